package integration

import (
	"context"
	"encoding/json"
	"fmt"
	stdnet "net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// registry is a fake population registry of the public security bureau:
// the police gateway's webhook for online verification. A claim containing
// "不一致" is answered INCONSISTENT, anything else CONSISTENT.
var registry struct {
	mu    sync.Mutex
	calls map[string]int // request id -> calls
	last  map[string]map[string]any
}

func startRegistry(port int) (func(), error) {
	registry.calls, registry.last = map[string]int{}, map[string]map[string]any{}
	ln, err := stdnet.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var q map[string]any
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
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
