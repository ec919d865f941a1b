package registry

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chengnuo/chengnuo/sm"
)

// Every call a gateway makes to a department's own systems — the registry
// that answers assisted verification (with a name and an ID number in the
// request) and the reminder webhook — is signed with a secret the gateway
// and that system share (one per department, DEPT_HOME/gateway/webhook.secret),
// so that the registry answers its gateway and nobody else: without it, a
// registry reachable by others would be an oracle for "are this name and
// this ID number consistent".
//
// The headers:
//
//	X-Chengnuo-Timestamp: the time of the call, Unix seconds
//	X-Chengnuo-Delivery:  a random id of the call (32 hexadecimal digits)
//	X-Chengnuo-Signature: sm3=HEX(HMAC-SM3(secret, timestamp "\n" delivery "\n" body))
//
// A receiver recomputes the signature over the raw body and compares it in
// constant time, refuses a timestamp more than Window away from its clock,
// and refuses a delivery id it has seen within the window (a replay);
// Verifier does exactly that.
const (
	HeaderTimestamp = "X-Chengnuo-Timestamp"
	HeaderDelivery  = "X-Chengnuo-Delivery"
	HeaderSignature = "X-Chengnuo-Signature"
	// Window is how far a call's timestamp may be from the receiver's
	// clock, and how long a receiver remembers delivery ids.
	Window = 5 * time.Minute
	// MinSecretBytes is the least a webhook secret holds.
	MinSecretBytes = 16
)

// Errors a Verifier returns.
var (
	ErrUnsigned     = errors.New("the call is not signed")
	ErrBadSignature = errors.New("the signature does not verify")
	ErrStale        = errors.New("the call's timestamp is outside the window")
	ErrReplayed     = errors.New("the call was delivered before (a replay)")
)

// ReadSecret reads a webhook secret file: at least MinSecretBytes after
// trimming white space.
func ReadSecret(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := bytes.TrimSpace(raw)
	if len(s) < MinSecretBytes {
		return nil, fmt.Errorf("%s: a webhook secret holds at least %d bytes", path, MinSecretBytes)
	}
	return s, nil
}

// Signature is the signature header's value for a call.
func Signature(secret []byte, timestamp, delivery string, body []byte) string {
	msg := make([]byte, 0, len(timestamp)+len(delivery)+2+len(body))
	msg = append(append(append(append(append(msg, timestamp...), '\n'), delivery...), '\n'), body...)
	return "sm3=" + hex.EncodeToString(sm.HMACSM3(secret, msg))
}

// sign sets the signature headers of a call with body at time now.
func sign(req *http.Request, secret, body []byte, now time.Time) {
	var id [16]byte
	_, _ = rand.Read(id[:])
	ts, delivery := strconv.FormatInt(now.Unix(), 10), hex.EncodeToString(id[:])
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderDelivery, delivery)
	req.Header.Set(HeaderSignature, Signature(secret, ts, delivery, body))
}

// Verifier checks signed calls, as a registry or reminder receiver should.
// It is safe for concurrent use.
type Verifier struct {
	secret func() ([]byte, error)
	now    func() time.Time
	mu     sync.Mutex
	seen   map[string]time.Time // delivery id -> when it expires from memory
}

// NewVerifier checks calls against secret (a function, so that a file can
// be read when the first call comes).
func NewVerifier(secret func() ([]byte, error)) *Verifier {
	return &Verifier{secret: secret, now: time.Now, seen: map[string]time.Time{}}
}

// Check verifies one call with its raw body.
func (v *Verifier) Check(h http.Header, body []byte) error {
	ts, delivery, sig := h.Get(HeaderTimestamp), h.Get(HeaderDelivery), h.Get(HeaderSignature)
	if ts == "" || delivery == "" || sig == "" {
		return ErrUnsigned
	}
	secret, err := v.secret()
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(sig), []byte(Signature(secret, ts, delivery, body))) != 1 {
		return ErrBadSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	now := v.now()
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > Window {
		return ErrStale
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for id, until := range v.seen {
		if now.After(until) {
			delete(v.seen, id)
		}
	}
	if _, dup := v.seen[delivery]; dup {
		return ErrReplayed
	}
	v.seen[delivery] = now.Add(2 * Window)
	return nil
}

// Handler refuses, with 401 and the reason, every call that does not
// verify; a call that does reaches next with its body intact. Bodies are
// read up to MaxAnswerBytes.
func (v *Verifier) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxAnswerBytes+1))
		if err != nil || len(body) > MaxAnswerBytes {
			http.Error(w, "the body is too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		if err := v.Check(r.Header, body); err != nil {
			http.Error(w, "refused: "+strings.TrimSpace(err.Error()), http.StatusUnauthorized)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}
