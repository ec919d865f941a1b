package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/chengnuo/chengnuo"
)

// Notifier posts reminders (chengnuo.Reminder, JSON) to the department's
// reminder webhook — its messaging system, a duty officer's queue. The same
// strict client as the registry's: no redirects, TLS except to loopback,
// every call bounded.
type Notifier struct {
	url    string
	http   *http.Client
	secret []byte
}

var _ chengnuo.Notifier = (*Notifier)(nil)

// NewNotifier returns a notifier posting to rawURL (https, or http to a
// loopback address), every call signed with secret.
func NewNotifier(rawURL string, timeout time.Duration, secret []byte) (*Notifier, error) {
	c, err := New(rawURL, timeout, secret)
	if err != nil {
		return nil, err
	}
	return &Notifier{url: c.url, http: c.http, secret: secret}, nil
}

// Remind implements chengnuo.Notifier: any answer but 2xx is EUNAVAILABLE
// (the reminder is announced again at the next pass).
func (n *Notifier) Remind(ctx context.Context, r chengnuo.Reminder) error {
	body, err := json.Marshal(r)
	if err != nil {
		return chengnuo.Internal("could not encode the reminder", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return chengnuo.Internal("could not build the reminder", err)
	}
	req.Header.Set("Content-Type", "application/json")
	sign(req, n.secret, body, time.Now())
	res, err := n.http.Do(req)
	if err != nil {
		return unavailable("the reminder webhook did not answer", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, MaxAnswerBytes))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return unavailable("the reminder webhook answered with an error", fmt.Errorf("status %d", res.StatusCode))
	}
	return nil
}
