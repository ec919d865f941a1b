package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	stdnet "net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	chregistry "github.com/chengnuo/chengnuo/registry"
)

// registry is a fake population registry of the public security bureau:
// the police gateway's webhook for online verification. A claim containing
// "不一致" is answered INCONSISTENT, anything else CONSISTENT.
var registry struct {
	mu    sync.Mutex
	calls map[string]int // request id -> calls
	last  map[string]map[string]any
	// reminders are what police's reminder webhook (/reminders) received.
	reminders []map[string]any
	// violations are calls whose body the document's webhooks do not describe.
	violations []string
}

func startRegistry(port int) (func(), error) {
	registry.calls, registry.last = map[string]int{}, map[string]map[string]any{}
	// The registry is public security's own system: with a host per
	// department it listens on that host's loopback, where only public
	// security's gateway can reach it.
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var ln stdnet.Listener
	var err error
	if net.netns {
		ln, err = listenInNetNS(fmt.Sprintf("cn%d-police", net.base), addr)
	} else {
		ln, err = stdnet.Listen("tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: registryHandler()}
	go func() { _ = srv.Serve(ln) }()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// registryHandler answers only calls signed with police's webhook secret
// (the reference Verifier of package registry), as a registry must.
func registryHandler() http.Handler {
	v := chregistry.NewVerifier(func() ([]byte, error) {
		return chregistry.ReadSecret(filepath.Join(deptHome(police), "gateway", "webhook.secret"))
	})
	return v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var q map[string]any
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		// The call is what the document's webhooks say it is.
		schema := "RegistryQuery"
		if r.URL.Path == "/reminders" {
			schema = "Reminder"
		}
		if err := webhookBody(schema, q); err != nil {
			registry.mu.Lock()
			registry.violations = append(registry.violations, fmt.Sprintf("%s %s: %v", r.URL.Path, schema, err))
			registry.mu.Unlock()
			http.Error(w, "not a "+schema, http.StatusBadRequest)
			return
		}
		if r.URL.Path == "/reminders" {
			registry.mu.Lock()
			registry.reminders = append(registry.reminders, q)
			registry.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return
		}
		id, _ := q["requestId"].(string)
		claim, _ := q["claim"].(string)
		registry.mu.Lock()
		registry.calls[id]++
		registry.last[id] = q
		registry.mu.Unlock()
		result := "CONSISTENT"
		if strings.Contains(claim, "不一致") {
			result = "INCONSISTENT"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"result": result, "evidence": "registry lookup " + id})
	}))
}

func registryCalls(id string) int {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return registry.calls[id]
}

var netDialer = stdnet.Dialer{Timeout: 5 * time.Second}

// listenInNetNS opens a TCP listener inside a named network namespace: one
// OS thread enters the namespace, listens and is then discarded (the
// goroutine ends locked, so the runtime does not reuse the thread). The
// socket stays in the namespace it was created in.
func listenInNetNS(ns, addr string) (stdnet.Listener, error) {
	type result struct {
		ln  stdnet.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		f, err := os.Open("/run/netns/" + ns)
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{err: fmt.Errorf("setns %s: %w", ns, err)}
			return
		}
		ln, err := stdnet.Listen("tcp", addr)
		ch <- result{ln, err}
	}()
	r := <-ch
	return r.ln, r.err
}

// Issue 35: the registry the tests run — police's, behind the reference
// Verifier — answers a call signed with police's webhook secret (every
// assisted verification answered automatically in this suite is one, made
// by police's gateway), and refuses a call without a signature, with
// another secret, or delivered a second time: it is no oracle for whoever
// can reach it.
func TestRegistryAnswersOnlyItsGateway(t *testing.T) {
	h := registryHandler()
	secret, err := chregistry.ReadSecret(filepath.Join(deptHome(police), "gateway", "webhook.secret"))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"requestId":"VRsigned","commitmentId":"CN000000000000000000000000","itemCode":"T-1","claim":"姓名与身份证号一致",` +
		`"name":"张三","idType":"RESIDENT_ID","idNumber":"11010519491231002X"}`)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	call := func(hdr map[string]string) (int, string) {
		req := httptest.NewRequest(http.MethodPost, "/verify", bytes.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	signed := func(secret []byte, delivery string) map[string]string {
		return map[string]string{chregistry.HeaderTimestamp: ts, chregistry.HeaderDelivery: delivery,
			chregistry.HeaderSignature: chregistry.Signature(secret, ts, delivery, body)}
	}
	delivery := randomDigest(t)[:32]
	if st, msg := call(signed(secret, delivery)); st != http.StatusOK || !strings.Contains(msg, "CONSISTENT") {
		t.Fatalf("a signed call: %d %s", st, msg)
	}
	for name, hdr := range map[string]map[string]string{
		"unsigned":       nil,
		"another secret": signed([]byte("a secret that is not police's"), randomDigest(t)[:32]),
		"replayed":       signed(secret, delivery),
	} {
		if st, msg := call(hdr); st != http.StatusUnauthorized {
			t.Errorf("%s: %d %s", name, st, msg)
		}
	}
	if n := registryCalls("VRsigned"); n != 1 {
		t.Fatalf("the registry answered %d times, want once", n)
	}
}
