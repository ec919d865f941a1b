package registry_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/registry"
)

var query = chengnuo.RegistryQuery{RequestID: "VR1", CommitmentID: "CN1", ItemCode: "T-1", Claim: "c", Name: "张三", IDType: "RESIDENT_ID", IDNumber: "11010519491231002X"}

func TestCheck(t *testing.T) {
	var redirected atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		var q chengnuo.RegistryQuery
		if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&q) != nil || q != query {
			http.Error(w, "bad query", 400)
			return
		}
		_, _ = w.Write([]byte(`{"result":"CONSISTENT","evidence":"户籍一致"}`))
	})
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

	c, err := registry.New(srv.URL+"/ok", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Check(t.Context(), query)
	if err != nil || a.Result != chengnuo.AnswerConsistent || a.Evidence != "户籍一致" {
		t.Fatalf("ok: %+v %v", a, err)
	}
	for _, path := range []string{"/redirect", "/error", "/huge", "/garbage", "/slow"} {
		c, err := registry.New(srv.URL+path, 500*time.Millisecond)
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
		if _, err := registry.New(url, time.Second); (err == nil) != ok {
			t.Errorf("New(%q): %v, want ok=%v", url, err, ok)
		}
	}
}
