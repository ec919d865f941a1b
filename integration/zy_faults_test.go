package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// postRaw submits a letter, returning a transport error instead of failing
// the test: the gateway may be dead at that moment.
func postRaw(slot int, sub map[string]string, key string) (int, map[string]any, error) {
	body, _ := json.Marshal(sub)
	req, err := http.NewRequest("POST", gatewayURL(slot)+"/v1/commitments", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, nil, err
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return res.StatusCode, m, nil
}

// TestGatewayKilledMidStream: market's gateway is killed with SIGKILL in
// the middle of a stream of submissions (its supervisor restarts it).
// Every letter it answered 201 or 202 is anchored exactly once; a letter
// whose answer was lost is submitted again and gets the one receipt of its
// single anchoring.
func TestGatewayKilledMidStream(t *testing.T) {
	code := publishVisible(t, verifiedItem(uniqueCode(t, "KILL"), "PoliceMSP", false))
	const n, clients = 60, 12
	subs := make([]map[string]string, n)
	for i := range subs {
		subs[i] = signedSubmission(t, code, newPerson(t, fmt.Sprintf("断电%02d", i)))
	}
	key := apiKey(t, market, "CLERK")
	pid := childPID(t, deptHome(market), "gateway")

	type answer struct {
		status int
		txID   string
		err    error
	}
	answers := make([]answer, n)
	var next, done atomic.Int32
	var killOnce sync.Once
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				status, body, err := postRaw(market, subs[i], key)
				a := answer{status: status, err: err}
				if rc, ok := body["receipt"].(map[string]any); ok {
					a.txID, _ = rc["txId"].(string)
				}
				answers[i] = a
				if done.Add(1) == n/3 {
					killOnce.Do(func() {
						if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
							t.Errorf("kill the gateway: %v", err)
						}
					})
				}
			}
		})
	}
	wg.Wait()

	// The supervisor brings it back.
	deadline := time.Now().Add(90 * time.Second)
	for {
		if res, err := http.Get(gatewayURL(market) + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK && childPID(t, deptHome(market), "gateway") != pid {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("market's gateway is not back 90 s after SIGKILL")
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Every letter, submitted again, has exactly one anchoring.
	lost, first, last := 0, ^uint64(0), uint64(0)
	ids := make([]string, n)
	for i, a := range answers {
		if a.err != nil || a.status >= 500 {
			lost++
		} else if a.status != http.StatusCreated && a.status != http.StatusAccepted {
			t.Fatalf("letter %d: answered %d", i, a.status)
		}
		var r response
		for end := time.Now().Add(60 * time.Second); ; {
			r = submit(t, market, subs[i])
			if r.Status == http.StatusCreated || time.Now().After(end) {
				break
			}
			time.Sleep(time.Second) // 202: still pending; the background pass anchors it
		}
		if r.Status != http.StatusCreated {
			t.Fatalf("letter %d resubmitted: %d %s", i, r.Status, r.Raw)
		}
		rc := receipt(t, r)
		if a.status == http.StatusCreated && rc["txId"] != a.txID {
			t.Fatalf("letter %d: first receipt tx %s, now %v", i, a.txID, rc["txId"])
		}
		ids[i] = rc["commitmentId"].(string)
		block := uint64(rc["blockNumber"].(float64))
		first, last = min(first, block), max(last, block)
	}
	created := creations(t, first, last)
	for i, id := range ids {
		if len(created[id]) != 1 {
			t.Fatalf("letter %d (%s) created in blocks %v", i, id, created[id])
		}
	}
	t.Logf("%d letters, gateway killed after %d answers: %d answers lost, all %d anchored exactly once", n, n/3, lost, n)
}
