package integration

import (
	"context"
	"encoding/json"
	"fmt"
	stdnet "net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
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
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var q map[string]any
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
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
	})}
	go func() { _ = srv.Serve(ln) }()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
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
