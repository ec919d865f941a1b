// Package registry is the HTTP client of a data-holding department's
// registry (for example 户籍 records), which answers assisted verification
// requests automatically: it implements chengnuo.Registry over a webhook.
//
// The request carries personal data, so the client is strict: it follows
// no redirects (a redirect would re-send the name and ID number to another
// address), requires TLS except to a loopback address, bounds every call in
// time and every answer in size.
package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/chengnuo/chengnuo"
)

// MaxAnswerBytes bounds a registry's answer.
const MaxAnswerBytes = 64 << 10

// Client asks one registry. It is safe for concurrent use.
type Client struct {
	url    string
	http   *http.Client
	secret []byte
}

var _ chengnuo.Registry = (*Client)(nil)

// NewHTTPClient returns the project's client for outbound calls: a timeout
// for the whole exchange, no redirects followed.
func NewHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
		},
	}
}

// New returns a client of the registry at rawURL (https, or http to a
// loopback address: a registry on the same host) that signs every call
// with secret (see Signature).
func New(rawURL string, timeout time.Duration, secret []byte) (*Client, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("registry %q: a webhook secret of at least %d bytes signs every call", rawURL, MinSecretBytes)
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("registry URL %q is not an absolute URL", rawURL)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("registry URL %q: plain http is allowed only to a loopback address; use https", rawURL)
		}
	default:
		return nil, fmt.Errorf("registry URL %q: scheme must be https (or http to loopback)", rawURL)
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &Client{url: u.String(), http: NewHTTPClient(timeout), secret: secret}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Check implements chengnuo.Registry. Any failure — no answer, a status
// other than 200, a body that is not one JSON answer or is too large — is
// EUNAVAILABLE: the request stays open and is asked again later.
func (c *Client) Check(ctx context.Context, q chengnuo.RegistryQuery) (*chengnuo.RegistryAnswer, error) {
	body, err := json.Marshal(q)
	if err != nil {
		return nil, chengnuo.Internal("could not encode the registry query", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, chengnuo.Internal("could not build the registry query", err)
	}
	req.Header.Set("Content-Type", "application/json")
	sign(req, c.secret, body, time.Now())
	res, err := c.http.Do(req)
	if err != nil {
		return nil, unavailable("the registry did not answer", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, unavailable("the registry answered with an error", fmt.Errorf("status %d", res.StatusCode))
	}
	raw, err := io.ReadAll(io.LimitReader(res.Body, MaxAnswerBytes+1))
	if err != nil {
		return nil, unavailable("the registry's answer could not be read", err)
	}
	if len(raw) > MaxAnswerBytes {
		return nil, unavailable("the registry's answer is too large", fmt.Errorf("more than %d bytes", MaxAnswerBytes))
	}
	var a chengnuo.RegistryAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, unavailable("the registry's answer is not JSON", err)
	}
	return &a, nil
}

func unavailable(msg string, err error) error {
	return &chengnuo.Error{Code: chengnuo.EUNAVAILABLE, Message: msg, Err: errors.Join(err)}
}
