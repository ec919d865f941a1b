package registry_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/registry"
)

var secret = []byte("a webhook secret of the police bureau")

var query = chengnuo.RegistryQuery{RequestID: "VR1", CommitmentID: "CN1", ItemCode: "T-1", Claim: "c", Name: "张三", IDType: "RESIDENT_ID", IDNumber: "11010519491231002X"}

func TestCheck(t *testing.T) {
	var redirected atomic.Int32
	mux := http.NewServeMux()
	v := registry.NewVerifier(func() ([]byte, error) { return secret, nil })
	mux.Handle("/ok", v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var q chengnuo.RegistryQuery
		if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&q) != nil || q != query {
			http.Error(w, "bad query", 400)
			return
		}
		_, _ = w.Write([]byte(`{"result":"CONSISTENT","evidence":"户籍一致"}`))
	})))
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) { redirected.Add(1) })
	mux.HandleFunc("/error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) })
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"result":"CONSISTENT","evidence":"` + strings.Repeat("x", registry.MaxAnswerBytes) + `"}`))
	})
	mux.HandleFunc("/garbage", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`not json`)) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { time.Sleep(time.Second) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c, err := registry.New(srv.URL+"/ok", time.Second, secret)
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Check(t.Context(), query)
	if err != nil || a.Result != chengnuo.AnswerConsistent || a.Evidence != "户籍一致" {
		t.Fatalf("ok: %+v %v", a, err)
	}
	for _, path := range []string{"/redirect", "/error", "/huge", "/garbage", "/slow"} {
		c, err := registry.New(srv.URL+path, 500*time.Millisecond, secret)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Check(t.Context(), query); chengnuo.ErrorCode(err) != chengnuo.EUNAVAILABLE {
			t.Errorf("%s: %v, want UNAVAILABLE", path, err)
		}
	}
	if redirected.Load() != 0 {
		t.Fatal("a redirect was followed: the personal data went to another address")
	}
	srv.Close()
	if _, err := c.Check(t.Context(), query); chengnuo.ErrorCode(err) != chengnuo.EUNAVAILABLE {
		t.Fatalf("closed registry: %v", err)
	}
}

func TestNewRefusesUnsafeURLs(t *testing.T) {
	for url, ok := range map[string]bool{
		"https://registry.police.example/verify": true,
		"http://127.0.0.1:9000/verify":           true,
		"http://localhost:9000/verify":           true,
		"http://[::1]:9000/verify":               true,
		"http://registry.police.example/verify":  false,
		"http://198.18.0.5/verify":               false,
		"ftp://127.0.0.1/verify":                 false,
		"/verify":                                false,
		"::not a url":                            false,
	} {
		if _, err := registry.New(url, time.Second, secret); (err == nil) != ok {
			t.Errorf("New(%q): %v, want ok=%v", url, err, ok)
		}
	}
}

func TestNewNeedsASecret(t *testing.T) {
	for _, s := range [][]byte{nil, []byte("short")} {
		if _, err := registry.New("https://registry.police.example/verify", time.Second, s); err == nil {
			t.Errorf("a registry client with secret %q", s)
		}
		if _, err := registry.NewNotifier("https://duty.police.example/reminders", time.Second, s); err == nil {
			t.Errorf("a notifier with secret %q", s)
		}
	}
}

// Issue 35: the registry answers its gateway and nobody else. The
// reference Verifier refuses a call that is unsigned, signed with another
// secret, altered, out of its time window, or delivered a second time.
func TestSignedCallsAndTheirRefusals(t *testing.T) {
	var got []chengnuo.RegistryQuery
	v := registry.NewVerifier(func() ([]byte, error) { return secret, nil })
	srv := httptest.NewServer(v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var q chengnuo.RegistryQuery
		_ = json.NewDecoder(r.Body).Decode(&q)
		got = append(got, q)
		_, _ = w.Write([]byte(`{"result":"CONSISTENT"}`))
	})))
	defer srv.Close()
	c, err := registry.New(srv.URL, time.Second, secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Check(t.Context(), query); err != nil || len(got) != 1 || got[0] != query {
		t.Fatalf("a signed call: %v %v", got, err)
	}
	body, _ := json.Marshal(query)
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	post := func(h map[string]string, b []byte) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(b))
		for k, val := range h {
			req.Header.Set(k, val)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		msg, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(msg)
	}
	signed := func(secret []byte, ts, delivery string, b []byte) map[string]string {
		return map[string]string{registry.HeaderTimestamp: ts, registry.HeaderDelivery: delivery,
			registry.HeaderSignature: registry.Signature(secret, ts, delivery, b)}
	}
	replayed := signed(secret, ts, "0123456789abcdef0123456789abcdef", body)
	if st, msg := post(replayed, body); st != http.StatusOK {
		t.Fatalf("a call signed by hand: %d %s", st, msg)
	}
	old := strconv.FormatInt(now.Add(-registry.Window-time.Minute).Unix(), 10)
	future := strconv.FormatInt(now.Add(registry.Window+time.Minute).Unix(), 10)
	for name, c := range map[string]struct {
		h    map[string]string
		b    []byte
		says string
	}{
		"unsigned":              {nil, body, "not signed"},
		"another secret":        {signed([]byte("somebody else's secret, long"), ts, "d1", body), body, "does not verify"},
		"altered body":          {signed(secret, ts, "d2", body), bytes.Replace(body, []byte("张三"), []byte("李四"), 1), "does not verify"},
		"signature without sm3": {map[string]string{registry.HeaderTimestamp: ts, registry.HeaderDelivery: "d3", registry.HeaderSignature: "00"}, body, "does not verify"},
		"too old":               {signed(secret, old, "d4", body), body, "outside the window"},
		"from the future":       {signed(secret, future, "d5", body), body, "outside the window"},
		"replayed":              {replayed, body, "replay"},
	} {
		if st, msg := post(c.h, c.b); st != http.StatusUnauthorized || !strings.Contains(msg, c.says) {
			t.Errorf("%s: %d %q", name, st, msg)
		}
	}
	if len(got) != 2 {
		t.Fatalf("%d calls reached the registry, want the 2 signed ones", len(got))
	}
	// The reminder webhook's calls are signed the same way.
	n, err := registry.NewNotifier(srv.URL, time.Second, secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Remind(t.Context(), chengnuo.Reminder{RequestID: "VR1"}); err != nil || len(got) != 3 {
		t.Fatalf("a signed reminder: %v (%d calls)", err, len(got))
	}
}
