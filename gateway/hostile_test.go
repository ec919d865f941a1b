package gateway_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/gateway"
)

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// Issue 29, item 7: 40 slow clients from one address, each declaring a
// body of 12 MiB, used to make the gateway allocate 12 MiB apiece before
// the route's 64 KiB limit applied. Now a declared length over the limit
// is refused unread, a body within it takes only what has arrived, and a
// body that stalls is cut off.
func TestSlowClientsLeaveMemoryAlone(t *testing.T) {
	h := gateway.New(gateway.Options{Service: newFake(), APIKeys: keys, PublicRate: 1000, PublicBurst: 1000,
		BodyTimeout: 2 * time.Second})
	srv := httptest.NewServer(h)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	before := heapInUse()

	type slow struct {
		conn net.Conn
		r    *bufio.Reader
	}
	var clients []slow
	defer func() {
		for _, c := range clients {
			c.conn.Close()
		}
	}()
	// Half declare 12 MiB on the public verify route (limit 64 KiB), half
	// declare 60 KiB (within it) and then trickle.
	for i := range 40 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		length := 12 << 20
		if i%2 == 1 {
			length = 60 << 10
		}
		fmt.Fprintf(conn, "POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"letter\":\"", length)
		clients = append(clients, slow{conn, bufio.NewReader(conn)})
	}
	// The over-long ones are answered 413 without a byte of their bodies.
	for i := 0; i < len(clients); i += 2 {
		clients[i].conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		res, err := http.ReadResponse(clients[i].r, nil)
		if err != nil {
			t.Fatalf("client %d (12 MiB declared): %v", i, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("client %d (12 MiB declared): %d, want 413", i, res.StatusCode)
		}
	}
	// The others trickle a few bytes: the gateway holds what they sent.
	for range 3 {
		for i := 1; i < len(clients); i += 2 {
			clients[i].conn.Write([]byte("aaaa"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	during := heapInUse()
	if grew := int64(during) - int64(before); grew > 8<<20 {
		t.Fatalf("40 slow clients grew the heap by %d MiB (from %d to %d MiB)", grew>>20, before>>20, during>>20)
	}
	// Then they stall: each is cut off once its body time is up.
	for i := 1; i < len(clients); i += 2 {
		clients[i].conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		res, err := http.ReadResponse(clients[i].r, nil)
		if err == nil {
			res.Body.Close()
			if res.StatusCode < 400 {
				t.Fatalf("client %d stalled and got %d", i, res.StatusCode)
			}
			continue
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("client %d: the gateway still waits for its stalled body after 15 s", i)
		}
	}
	t.Logf("heap in use: %d KiB before, %d KiB with 40 slow clients", before>>10, during>>10)
}

// blockingProofs is a service whose proofs take until release is closed.
type blockingProofs struct {
	*fake
	started chan struct{}
	release chan struct{}
}

func (b blockingProofs) CommitmentProof(ctx context.Context, id string) ([]byte, error) {
	b.started <- struct{}{}
	<-b.release
	return b.fake.CommitmentProof(ctx, id)
}

// Issue 29, item 8: proofs are built MaxProofs at a time; one more is
// answered 503 at once, with Retry-After, whoever asks.
func TestProofBuildingIsCapped(t *testing.T) {
	svc := blockingProofs{fake: newFake(), started: make(chan struct{}, 8), release: make(chan struct{})}
	h := gateway.New(gateway.Options{Service: svc, PublicRate: 1000, PublicBurst: 1000, MaxProofs: 2})
	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for i := range 2 {
		wg.Go(func() {
			req := httptest.NewRequest("GET", fmt.Sprintf("/v1/commitments/CN%d/proof", i), nil)
			req.RemoteAddr = fmt.Sprintf("198.51.100.%d:1", i+1)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			codes <- rec.Code
		})
	}
	<-svc.started
	<-svc.started
	req := httptest.NewRequest("GET", "/v1/commitments/CN9/proof", nil)
	req.RemoteAddr = "203.0.113.9:1" // another client: the cap is not per client
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), chengnuo.EUNAVAILABLE) {
		t.Fatalf("a third proof while two are built: %d %s %q", rec.Code, rec.Header(), rec.Body.String())
	}
	close(svc.release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Fatalf("a proof within the cap: %d", c)
		}
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/verify/"+digest+"/proof", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("a proof after the others finished: %d", rec.Code)
	}
}

// Issue 29, item 9: the public limit counts an IPv6 /64 as one client, so
// rotating addresses inside it does not dodge it.
func TestRateLimitByIPv6Prefix(t *testing.T) {
	h := gateway.New(gateway.Options{Service: newFake(), PublicRate: 0.001, PublicBurst: 2})
	get := func(addr string) int {
		req := httptest.NewRequest("GET", "/v1/anchors/"+digest, nil)
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range 3 {
		code := get(fmt.Sprintf("[2001:db8:1:2:%x::%x]:443", i*7919, i+1))
		if want := map[bool]int{true: 404, false: 429}[i < 2]; code != want {
			t.Fatalf("address %d of one /64: %d, want %d", i, code, want)
		}
	}
	if code := get("[2001:db8:1:3::1]:443"); code != 404 {
		t.Fatalf("another /64: %d", code)
	}
	// An IPv4-mapped address is its IPv4 address.
	get("192.0.2.7:1")
	get("[::ffff:192.0.2.7]:1")
	if code := get("192.0.2.7:2"); code != 429 {
		t.Fatalf("IPv4 and its mapped form are one client: %d", code)
	}
	// Every page route is limited too.
	for _, path := range []string{"/verify", "/verify/assets/page.js", "/verify/genesis", "/verify/assets/chengnuo.wasm"} {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = "192.0.2.7:3"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusTooManyRequests {
			t.Errorf("%s is not rate limited: %d", path, rec.Code)
		}
	}
}

// The page and its assets carry ETags: a client that holds them gets 304.
func TestPageAssetsRevalidate(t *testing.T) {
	h := newServer(newFake(), "MarketMSP")
	for _, path := range []string{"/verify", "/verify/assets/page.js", "/verify/assets/page.css"} {
		rec, _ := do(t, h, "GET", path, "")
		etag := rec.Header().Get("ETag")
		if rec.Code != 200 || !strings.HasPrefix(etag, `"`) {
			t.Fatalf("%s: %d, ETag %q", path, rec.Code, etag)
		}
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("If-None-Match", etag)
		again := httptest.NewRecorder()
		h.ServeHTTP(again, req)
		if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
			t.Fatalf("%s revalidated: %d, %d bytes", path, again.Code, again.Body.Len())
		}
		req.Header.Set("If-None-Match", `"other"`)
		changed := httptest.NewRecorder()
		h.ServeHTTP(changed, req)
		if changed.Code != 200 {
			t.Fatalf("%s with another ETag: %d", path, changed.Code)
		}
	}
}

// /metrics is not on the public listener; the operations handler serves it.
func TestMetricsOnlyOnTheOperationsListener(t *testing.T) {
	s := newServer(newFake(), "MarketMSP")
	if rec, _ := do(t, s, "GET", "/metrics", ""); rec.Code != http.StatusNotFound {
		t.Fatalf("public /metrics: %d", rec.Code)
	}
	do(t, s, "GET", "/healthz", "")
	ops := s.Operations()
	for _, path := range []string{"/metrics", "/healthz", "/readyz"} {
		rec := httptest.NewRecorder()
		ops.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 {
			t.Fatalf("operations %s: %d", path, rec.Code)
		}
		if path == "/metrics" && !strings.Contains(rec.Body.String(), "chengnuo_http_requests_total") {
			t.Fatalf("operations /metrics: %s", rec.Body.String())
		}
	}
	rec := httptest.NewRecorder()
	ops.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/verify/"+digest, nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("the operations listener serves the API: %d", rec.Code)
	}
}
