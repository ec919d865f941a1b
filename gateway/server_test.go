package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/gateway"
)

// fakeAnchors is an in-memory AnchorService.
type fakeAnchors struct {
	mu      sync.Mutex
	m       map[string]*chengnuo.Anchor
	pingErr error
	failAll error
	calls   int
}

func newFake() *fakeAnchors { return &fakeAnchors{m: map[string]*chengnuo.Anchor{}} }

func (f *fakeAnchors) Anchor(_ context.Context, d string) (*chengnuo.Anchor, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.failAll != nil {
		return nil, f.failAll
	}
	if a, ok := f.m[d]; ok {
		return nil, &chengnuo.Error{Code: chengnuo.ECONFLICT, Message: "already anchored", TxID: a.TxID, Detail: a}
	}
	a := &chengnuo.Anchor{Digest: d, Org: "MarketMSP", TxID: "tx-" + d[:8], Timestamp: time.Unix(1, 0).UTC(), BlockNumber: 7}
	f.m[d] = a
	return a, nil
}

func (f *fakeAnchors) FindAnchor(_ context.Context, d string) (*chengnuo.Anchor, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a, ok := f.m[d]; ok {
		return a, nil
	}
	return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "not anchored")
}

func (f *fakeAnchors) Ping(context.Context) error { return f.pingErr }

var keys = []gateway.APIKey{
	{Name: "clerk", Hash: gateway.HashKey("clerk-key"), Roles: []string{gateway.RoleClerk}},
	{Name: "auditor", Hash: gateway.HashKey("auditor-key"), Roles: []string{gateway.RoleAuditor}},
}

func newServer(f *fakeAnchors, msp string) http.Handler {
	return gateway.New(gateway.Options{Anchors: f, MSPID: msp, APIKeys: keys, PublicRate: 1000, PublicBurst: 1000})
}

func do(t *testing.T, h http.Handler, method, path, body string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	return doAs(t, h, "clerk-key", method, path, body)
}

func doAs(t *testing.T, h http.Handler, key, method, path, body string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: response is not JSON: %q", method, path, rec.Body.String())
		}
	}
	return rec, out
}

var digest = strings.Repeat("0f", 32)

func TestAnchorLifecycle(t *testing.T) {
	f := newFake()
	h := newServer(f, "MarketMSP")

	rec, body := do(t, h, "POST", "/v1/anchors", `{"digest":"`+strings.ToUpper(digest)+`"}`)
	if rec.Code != http.StatusCreated || body["digest"] != digest || body["txId"] == "" || body["blockNumber"] != float64(7) {
		t.Fatalf("POST: %d %v", rec.Code, body)
	}
	if loc := rec.Header().Get("Location"); loc != "/v1/anchors/"+digest {
		t.Fatalf("Location = %q", loc)
	}
	if rec.Header().Get("X-Request-Id") == "" {
		t.Fatal("no X-Request-Id")
	}

	rec, body = do(t, h, "GET", "/v1/anchors/"+digest, "")
	if rec.Code != http.StatusOK || body["org"] != "MarketMSP" {
		t.Fatalf("GET: %d %v", rec.Code, body)
	}

	rec, body = do(t, h, "POST", "/v1/anchors", `{"digest":"`+digest+`"}`)
	rec2, _ := do(t, h, "GET", "/v1/anchors/"+digest, "")
	if rec.Code != http.StatusConflict || body["code"] != chengnuo.ECONFLICT {
		t.Fatalf("duplicate POST: %d %v", rec.Code, body)
	}
	record, _ := body["record"].(map[string]any)
	if record["txId"] != "tx-"+digest[:8] || rec2.Code != http.StatusOK {
		t.Fatalf("duplicate POST does not carry the existing record: %v", body)
	}
}

func TestBadRequests(t *testing.T) {
	big := `{"digest":"` + strings.Repeat("a", gateway.DefaultMaxBodyBytes) + `"}`
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"malformed json", "POST", "/v1/anchors", `{"digest":`, 400, chengnuo.EINVALID},
		{"empty body", "POST", "/v1/anchors", ``, 400, chengnuo.EINVALID},
		{"not an object", "POST", "/v1/anchors", `["x"]`, 400, chengnuo.EINVALID},
		{"missing digest", "POST", "/v1/anchors", `{}`, 400, chengnuo.EINVALID},
		{"null digest", "POST", "/v1/anchors", `{"digest":null}`, 400, chengnuo.EINVALID},
		{"digest wrong type", "POST", "/v1/anchors", `{"digest":42}`, 400, chengnuo.EINVALID},
		{"unknown field", "POST", "/v1/anchors", `{"digest":"` + digest + `","org":"PoliceMSP"}`, 400, chengnuo.EINVALID},
		{"trailing data", "POST", "/v1/anchors", `{"digest":"` + digest + `"} {}`, 400, chengnuo.EINVALID},
		{"short digest", "POST", "/v1/anchors", `{"digest":"abc"}`, 400, chengnuo.EINVALID},
		{"non-hex digest", "POST", "/v1/anchors", `{"digest":"` + strings.Repeat("xy", 32) + `"}`, 400, chengnuo.EINVALID},
		{"body too large", "POST", "/v1/anchors", big, 413, chengnuo.ETOOLARGE},
		{"get malformed digest", "GET", "/v1/anchors/nothex", "", 400, chengnuo.EINVALID},
		{"get unknown digest", "GET", "/v1/anchors/" + digest, "", 404, chengnuo.ENOTFOUND},
		{"unknown route", "GET", "/v1/nothing", "", 404, chengnuo.ENOTFOUND},
		{"wrong method", "DELETE", "/v1/anchors/" + digest, "", 405, "METHOD_NOT_ALLOWED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			h := newServer(f, "")
			rec, body := do(t, h, tt.method, tt.path, tt.body)
			if rec.Code != tt.status || body["code"] != tt.code || body["message"] == "" {
				t.Fatalf("%d %v, want %d %s", rec.Code, body, tt.status, tt.code)
			}
			if f.calls != 0 || len(f.m) != 0 {
				t.Fatal("a bad request reached the ledger")
			}
		})
	}
}

func TestLedgerErrorsMapToStatus(t *testing.T) {
	tests := []struct {
		err    error
		status int
	}{
		{&chengnuo.Error{Code: chengnuo.EUNAVAILABLE, Message: "commit status unknown", TxID: "tx1"}, 503},
		{&chengnuo.Error{Code: chengnuo.EPOLICY, Message: "rejected", TxID: "tx2"}, 502},
		{chengnuo.Errorf(chengnuo.EFORBIDDEN, "no"), 403},
		{context.DeadlineExceeded, 500},
	}
	for _, tt := range tests {
		f := newFake()
		f.failAll = tt.err
		rec, body := do(t, newServer(f, ""), "POST", "/v1/anchors", `{"digest":"`+digest+`"}`)
		if rec.Code != tt.status || body["code"] != chengnuo.ErrorCode(tt.err) {
			t.Errorf("%v: %d %v, want %d", tt.err, rec.Code, body, tt.status)
		}
		if e, ok := tt.err.(*chengnuo.Error); ok && e.TxID != "" && body["txId"] != e.TxID {
			t.Errorf("%v: tx id not reported: %v", tt.err, body)
		}
		if rec.Code == 500 && strings.Contains(rec.Body.String(), "deadline") {
			t.Errorf("internal error text leaked: %s", rec.Body.String())
		}
	}
}

func TestEveryCodeHasAStatus(t *testing.T) {
	for _, c := range chengnuo.Codes {
		if st := gateway.HTTPStatus(c); st < 400 || (c != chengnuo.EINTERNAL && st == 500) {
			t.Errorf("code %s maps to %d", c, st)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	f := newFake()
	h := newServer(f, "PoliceMSP")
	if rec, body := do(t, h, "GET", "/healthz", ""); rec.Code != 200 || body["org"] != "PoliceMSP" {
		t.Fatalf("healthz: %d %v", rec.Code, body)
	}
	if rec, _ := do(t, h, "GET", "/readyz", ""); rec.Code != 200 {
		t.Fatalf("readyz: %d", rec.Code)
	}
	f.pingErr = chengnuo.Errorf(chengnuo.EUNAVAILABLE, "peer down")
	if rec, body := do(t, h, "GET", "/readyz", ""); rec.Code != 503 || body["code"] != chengnuo.EUNAVAILABLE {
		t.Fatalf("readyz with ledger down: %d %v", rec.Code, body)
	}
}

func TestAuthentication(t *testing.T) {
	f := newFake()
	h := newServer(f, "MarketMSP")
	body := `{"digest":"` + digest + `"}`
	tests := []struct {
		key    string
		status int
		code   string
	}{
		{"", 401, chengnuo.EUNAUTHORIZED},
		{"wrong-key", 401, chengnuo.EUNAUTHORIZED},
		{"auditor-key", 403, chengnuo.EFORBIDDEN},
	}
	for _, tt := range tests {
		rec, out := doAs(t, h, tt.key, "POST", "/v1/anchors", body)
		if rec.Code != tt.status || out["code"] != tt.code {
			t.Errorf("key %q: %d %v, want %d %s", tt.key, rec.Code, out, tt.status, tt.code)
		}
	}
	if f.calls != 0 {
		t.Fatal("an unauthorized request reached the ledger")
	}
	// Reading an anchor is public.
	if rec, _ := doAs(t, h, "", "GET", "/v1/anchors/"+digest, ""); rec.Code != 404 {
		t.Fatalf("public GET: %d", rec.Code)
	}
}

func TestPublicRateLimit(t *testing.T) {
	h := gateway.New(gateway.Options{Anchors: newFake(), PublicRate: 1, PublicBurst: 2})
	codes := []int{}
	for range 4 {
		rec, _ := doAs(t, h, "", "GET", "/v1/anchors/"+digest, "")
		codes = append(codes, rec.Code)
	}
	if codes[0] != 404 || codes[1] != 404 || codes[3] != 429 {
		t.Fatalf("codes %v: want the burst served, then 429", codes)
	}
}

func TestRequestID(t *testing.T) {
	h := newServer(newFake(), "MarketMSP")
	for in, keep := range map[string]bool{"abc-123_x.y": true, "": false, "bad id\r\nX: y": false, strings.Repeat("a", 65): false} {
		req := httptest.NewRequest("GET", "/healthz", nil)
		req.Header.Set("X-Request-Id", in)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := rec.Header().Get("X-Request-Id")
		if (got == in) != keep || got == "" {
			t.Errorf("X-Request-Id %q -> %q", in, got)
		}
	}
}
