package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestWireReadsEveryFraming checks the bench's lean client against Go's own
// server: Content-Length and chunked bodies, a closing answer, headers and
// a body sent, and connections reused between requests.
func TestWireReadsEveryFraming(t *testing.T) {
	big := `{"anchored":true,"record":{"pad":"` + strings.Repeat("x", 70000) + `"},"height":1234}`
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/small":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"anchored":false,"height":7}`)
		case "/big": // larger than the server's buffer: chunked
			_, _ = io.WriteString(w, big)
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			if r.Header.Get("Authorization") != "Bearer k" || r.Header.Get("Content-Type") != "application/json" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write(b)
		case "/close":
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	w, err := newWire(srv.URL, 4, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status int
		body   string
	}
	get := func(method, path, auth string, body []byte) answer {
		t.Helper()
		var a answer
		if err := w.do(method, path, auth, body, func(s int, b []byte) { a = answer{s, string(b)} }); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return a
	}
	if a := get("GET", "/small", "", nil); a.status != 200 || answerHeight([]byte(a.body)) != 7 {
		t.Errorf("small: %d %q", a.status, a.body)
	}
	if a := get("GET", "/big", "", nil); a.status != 200 || a.body != big || answerHeight([]byte(a.body)) != 1234 {
		t.Errorf("big (chunked): status %d, %d bytes, height %d", a.status, len(a.body), answerHeight([]byte(a.body)))
	}
	if a := get("POST", "/echo", "k", []byte(`{"x":1}`)); a.status != 201 || a.body != `{"x":1}` {
		t.Errorf("echo: %d %q", a.status, a.body)
	}
	for range 3 {
		get("GET", "/small", "", nil)
	}
	if conns.Load() != 1 {
		t.Errorf("%d connections for 6 requests, want 1 kept alive", conns.Load())
	}
	if a := get("GET", "/close", "", nil); a.status != 503 {
		t.Errorf("close: %d", a.status)
	}
	get("GET", "/small", "", nil)
	if conns.Load() != 2 {
		t.Errorf("%d connections, want a new one after Connection: close", conns.Load())
	}
	if _, err := newWire("https://example.invalid", 1, time.Second); err == nil {
		t.Error("an https URL was accepted")
	}
}

func TestAnswerHeight(t *testing.T) {
	for body, want := range map[string]uint64{
		`{"anchored":true,"height":42}`: 42,
		`{"anchored":false}`:            0,
		`{"height":}`:                   0,
	} {
		if got := answerHeight([]byte(body)); got != want {
			t.Errorf("answerHeight(%s) = %d, want %d", body, got, want)
		}
	}
}

// A request of an open loop left queued at the end is a failure only if it
// waited for a client over a second; the last tick's requests are not.
func TestQueuedTooLong(t *testing.T) {
	end := time.Now()
	for _, c := range []struct {
		due  time.Duration // before the end
		want bool
	}{{0, false}, {5 * time.Millisecond, false}, {time.Second, false}, {time.Second + time.Millisecond, true}, {3 * time.Second, true}} {
		if got := queuedTooLong(end.Add(-c.due), end); got != c.want {
			t.Errorf("due %v before the end: failure %v, want %v", c.due, got, c.want)
		}
	}
}
