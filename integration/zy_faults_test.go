package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo/client"
	"github.com/chengnuo/chengnuo/letter"
)

// The fault scenarios of issue 12. Each runs a stream of signed letters
// from concurrent clients, injects one fault a third of the way in, and
// then accounts for every letter:
//
//   - requests: HTTP submissions made, retries included;
//   - failures: those the client saw fail (no answer, or a 5xx);
//   - accepted 202: letters stored and answered 202, anchored in the background;
//   - lost: letters answered 201 or 202 that are not on the ledger within
//     two minutes without being submitted again;
//   - doubled: letters with more than one creating write on the ledger;
//   - recover: seconds from the fault until the part is back and serving.
//
// A client that sees a failure does what a real one does: it submits the
// same letter again (submission is idempotent) until it gets an answer, and
// from then on at the next replica if its department has several (the
// failover of a load balancer). In `make test` the
// streams are short; `make chaos` (CHENGNUO_CHAOS=1) runs them ten times
// longer and prints the table the rows are appended to
// (CHENGNUO_CHAOS_TABLE).

// fault is one scenario.
type fault struct {
	name    string   // as the table names it
	slot    int      // the department letters are submitted at
	targets []string // its gateway replicas, tried in turn
	// inject breaks something; it returns a check that the broken part is
	// back (polled until true), or nil if nothing needs to come back.
	inject func(t *testing.T) (back func() bool)
}

// faultResult is one row of the table.
type faultResult struct {
	Fault    string  `json:"fault"`
	Letters  int     `json:"letters"`
	Requests int     `json:"requests"`
	Failures int     `json:"failures"`
	Pending  int     `json:"accepted202"` // letters answered 202: stored, anchored later
	Lost     int     `json:"lost"`
	Doubled  int     `json:"doubled"`
	Recover  float64 `json:"recoverSeconds"`
}

// chaos says whether this is the long run of `make chaos`.
func chaos() bool { return os.Getenv("CHENGNUO_CHAOS") == "1" }

// streamSize is the letters and clients of a stream.
func streamSize() (letters, clients int) {
	if chaos() {
		return 600, 40
	}
	return 60, 12
}

// postTo submits a letter to one gateway, returning a transport error
// instead of failing the test: the gateway may be dead at that moment.
func postTo(url string, sub client.SubmitRequest, key string) (int, map[string]any, error) {
	api, err := client.New(url, httpClient, key)
	if err != nil {
		return 0, nil, err
	}
	res, err := api.SubmitCommitmentWithResponse(context.Background(), sub)
	if err != nil {
		return 0, nil, err
	}
	var m map[string]any
	_ = json.Unmarshal(res.Body, &m)
	return res.StatusCode(), m, nil
}

// runFault runs the scenario and returns its row (also logged, and
// appended to CHENGNUO_CHAOS_TABLE when set). It fails the test if a
// letter is lost or doubled, or a client never gets an answer.
func runFault(t *testing.T, f fault) faultResult {
	t.Helper()
	n, clients := streamSize()
	code := publishVisible(t, verifiedItem(uniqueCode(t, "FAULT"), "PoliceMSP", false))
	subs := make([]client.SubmitRequest, n)
	for i := range subs {
		subs[i] = signedSubmissionAt(t, f.slot, code, newPerson(t, fmt.Sprintf("故障%03d", i)))
	}
	key := apiKey(t, f.slot, "CLERK")

	type outcome struct {
		status int // the final answer: 201 or 202
		txID   string
	}
	outcomes := make([]outcome, n)
	var requests, failures, next, answered atomic.Int32
	var injected time.Time
	var back func() bool
	var injectOnce sync.Once
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			prefer := c
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				deadline := time.Now().Add(3 * time.Minute)
				for {
					url := f.targets[prefer%len(f.targets)]
					requests.Add(1)
					status, body, err := postTo(url, subs[i], key)
					if err == nil && (status == http.StatusCreated || status == http.StatusAccepted) {
						o := outcome{status: status}
						if rc, ok := body["receipt"].(map[string]any); ok {
							o.txID, _ = rc["txId"].(string)
						}
						outcomes[i] = o
						break
					}
					if err == nil && status < 500 {
						t.Errorf("letter %d: answered %d %v", i, status, body)
						break
					}
					failures.Add(1)
					prefer++ // as a load balancer does: another replica, if there is one
					if time.Now().After(deadline) {
						t.Errorf("letter %d: no answer in 3 minutes (last: %d %v)", i, status, err)
						break
					}
					time.Sleep(500 * time.Millisecond)
				}
				if answered.Add(1) == int32(n/3) {
					injectOnce.Do(func() {
						injected = time.Now()
						back = f.inject(t)
					})
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// The broken part comes back.
	res := faultResult{Fault: f.name, Letters: n, Requests: int(requests.Load()), Failures: int(failures.Load())}
	if back != nil {
		for end := time.Now().Add(2 * time.Minute); !back(); time.Sleep(200 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s: not back 2 minutes after the fault", f.name)
			}
		}
	}
	// And serves: a new letter is anchored.
	for end := time.Now().Add(time.Minute); ; time.Sleep(500 * time.Millisecond) {
		status, body, err := postTo(f.targets[0], signedSubmissionAt(t, f.slot, code, newPerson(t, "恢复")), key)
		if err == nil && status == http.StatusCreated {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("%s: a new letter is not anchored a minute after the part came back: %d %v %v", f.name, status, body, err)
		}
	}
	res.Recover = time.Since(injected).Seconds()

	// Every accepted letter reaches the ledger by itself: another
	// department reports it, without the client submitting it again.
	first, last := ^uint64(0), uint64(0)
	ids := make([]string, n)
	for i, o := range outcomes {
		digest := letter.Digest([]byte(subs[i].Letter))
		var rec map[string]any
		for end := time.Now().Add(2 * time.Minute); ; time.Sleep(time.Second) {
			r := call(t, "GET", gatewayURL(police)+"/v1/verify/"+digest, "")
			if r.Status == http.StatusOK && r.Body["anchored"] == true {
				rec, _ = r.Body["record"].(map[string]any)
				break
			}
			if time.Now().After(end) {
				break
			}
		}
		if rec == nil {
			res.Lost++
			t.Errorf("letter %d (answered %d) is not on the ledger 2 minutes after the fault", i, o.status)
			continue
		}
		if o.status == http.StatusCreated && rec["txId"] != o.txID {
			t.Errorf("letter %d: receipt tx %s, ledger tx %v", i, o.txID, rec["txId"])
		}
		ids[i] = rec["id"].(string)
		block := uint64(rec["blockNumber"].(float64))
		first, last = min(first, block), max(last, block)
	}
	if res.Lost == 0 {
		created := creations(t, first, last)
		for i, id := range ids {
			if len(created[id]) != 1 {
				res.Doubled++
				t.Errorf("letter %d (%s) created in blocks %v", i, id, created[id])
			}
		}
	}
	for _, o := range outcomes {
		if o.status == http.StatusAccepted {
			res.Pending++
		}
	}
	tableRow(t, res)
	return res
}

// tableRow logs a row of the fault table and appends it to
// CHENGNUO_CHAOS_TABLE when that is set.
func tableRow(t *testing.T, res faultResult) {
	t.Helper()
	row, _ := json.Marshal(res)
	t.Logf("fault row: %s", row)
	if path := os.Getenv("CHENGNUO_CHAOS_TABLE"); path != "" {
		if fh, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintf(fh, "%s\n", row)
			fh.Close()
		}
	}
}

// killChild SIGKILLs one supervised process of a department and returns a
// check that its supervisor has started it again and it is healthy.
func killChild(t *testing.T, slot int, name string, healthy func() bool) func() bool {
	t.Helper()
	pid := childPID(t, deptHome(slot), name)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %s's %s: %v", orgs[slot].key, name, err)
	}
	return func() bool {
		raw, err := os.ReadFile(deptHome(slot) + "/run/" + name + ".child")
		if err != nil {
			return false
		}
		now, _ := strconv.Atoi(string(bytes.TrimSpace(raw)))
		return now != pid && now != 0 && healthy()
	}
}

func httpOK(url string) func() bool {
	return func() bool {
		res, err := http.Get(url)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}
}

// statusHealthy: the department's node kit reports every process healthy.
func statusHealthy(slot int) func() bool {
	return func() bool {
		_, err := script(30*time.Second, "dept", orgs[slot].key, "status")
		return err == nil
	}
}

// Gateway loss: market's first replica is SIGKILLed mid-stream and its
// supervisor restarts it; clients that lose an answer submit again (at the
// same replica: a department with one gateway). Every letter is anchored
// exactly once and a lost answer is recovered by resubmission.
func TestGatewayKilledMidStream(t *testing.T) {
	url := gatewayURL(market)
	runFault(t, fault{name: "gateway SIGKILL (restarted by its supervisor)", slot: market, targets: []string{url},
		inject: func(t *testing.T) func() bool { return killChild(t, market, "gateway", httpOK(url+"/readyz")) }})
}

// Two replicas: one is SIGKILLed under load and clients fail over to the
// other, which carries on; the shared store means nothing stored by the
// dead one is lost or anchored twice.
func TestReplicaKilledOtherCarriesOn(t *testing.T) {
	urls := gatewayURLs(market)
	if len(urls) != 2 {
		t.Fatalf("market runs %d gateway replicas, want 2: %v", len(urls), urls)
	}
	runFault(t, fault{name: "one of two gateway replicas SIGKILLed", slot: market, targets: urls,
		inject: func(t *testing.T) func() bool { return killChild(t, market, "gateway2", httpOK(urls[1]+"/readyz")) }})
}

// Orderer loss: the BFT leader's orderer (justice's, consenter 1) is
// SIGKILLed under a stream. The gateway resubmits a transaction whose
// outcome it did not learn; at most 1 % of requests may see an error.
func TestOrdererKilledUnderStream(t *testing.T) {
	r := runFault(t, fault{name: "BFT leader orderer SIGKILL", slot: market, targets: gatewayURLs(market),
		inject: func(t *testing.T) func() bool { return killChild(t, justice, "orderer", statusHealthy(justice)) }})
	if r.Failures*100 > r.Requests {
		t.Fatalf("%d of %d requests failed with the leader's orderer killed; at most 1 %% may", r.Failures, r.Requests)
	}
}

// Peer loss: the department's own peer is SIGKILLed; letters are stored
// and answered (202 while the peer is away) and anchored once it is back.
// Another department's peer SIGKILLed: endorsement uses the remaining
// majority and no client sees an error.
func TestPeerKilledUnderStream(t *testing.T) {
	runFault(t, fault{name: "own peer SIGKILL", slot: market, targets: gatewayURLs(market),
		inject: func(t *testing.T) func() bool { return killChild(t, market, "peer", statusHealthy(market)) }})
	r := runFault(t, fault{name: "another department's peer SIGKILL", slot: market, targets: gatewayURLs(market),
		inject: func(t *testing.T) func() bool { return killChild(t, credit, "peer", statusHealthy(credit)) }})
	if r.Failures*100 > r.Requests {
		t.Fatalf("%d of %d requests failed with another department's peer killed", r.Failures, r.Requests)
	}
}

// Chaincode server loss: the department's chaincode server is SIGKILLed
// and restarted by its supervisor; nothing is lost or doubled.
func TestChaincodeServerKilledUnderStream(t *testing.T) {
	runFault(t, fault{name: "own chaincode server SIGKILL", slot: market, targets: gatewayURLs(market),
		inject: func(t *testing.T) func() bool { return killChild(t, market, "chaincode", statusHealthy(market)) }})
}

// mountSmall moves a directory onto a tmpfs just big enough for what it
// holds, so that the disk fills at will; the returned function copies the
// contents back to the real disk and unmounts it.
func mountSmall(t *testing.T, dir string, spare int64) func() {
	t.Helper()
	var size int64
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			size += fi.Size()
		}
	}
	aside := dir + ".aside"
	if err := os.Rename(dir, aside); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) {
		t.Helper()
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size+spare), "tmpfs", dir)
	run("cp", "-a", "--sparse=never", aside+"/.", dir+"/")
	return func() {
		run("rm", "-rf", aside)
		run("cp", "-a", dir+"/.", aside+"/")
		run("umount", dir)
		run("rmdir", dir)
		if err := os.Rename(aside, dir); err != nil {
			t.Fatal(err)
		}
	}
}

// fill writes a file until the file system is full; removing it frees the space.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := fh.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return path
			}
			t.Fatal(err)
		}
	}
}

// Disk full: police's embedded store sits on a file system that fills up.
// Submissions get a clear 503 UNAVAILABLE and nothing is anchored that is
// not stored; public reads go on; once there is room again the same
// letters are accepted and anchored.
func TestStoreDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small file system")
	}
	code := publishVisible(t, verifiedItem(uniqueCode(t, "FULL"), "MarketMSP", false))
	// Drafted before the disk fills. An anchored letter's draft is dropped,
	// and the store reuses its pages, so some letters still fit on a full
	// disk: the letters are sent until a few have been refused.
	subs := make([]client.SubmitRequest, 120)
	for i := range subs {
		subs[i] = signedSubmissionAt(t, police, code, newPerson(t, fmt.Sprintf("磁盘满%02d", i)))
	}
	stored := submit(t, police, signedSubmissionAt(t, police, code, newPerson(t, "磁盘满前")))
	if stored.Status != http.StatusCreated {
		t.Fatalf("before: %d %s", stored.Status, stored.Raw)
	}
	dir := filepath.Join(deptHome(police), "data", "gateway")
	stopGateway := func() {
		t.Helper()
		if out, err := script(time.Minute, "dept", "police", "stop-proc", "gateway"); err != nil {
			t.Fatalf("stop police's gateway: %v\n%s", err, out)
		}
	}
	stopGateway()
	unmount := mountSmall(t, dir, 1<<20)
	cleaned := false
	cleanup := func() {
		if cleaned {
			return
		}
		cleaned = true
		stopGateway()
		unmount()
		if out, err := script(5*time.Minute, "up"); err != nil {
			t.Fatalf("up after the disk-full test: %v\n%s", err, out)
		}
	}
	t.Cleanup(cleanup)
	if out, err := script(5*time.Minute, "up"); err != nil {
		t.Fatalf("start police's gateway on the small file system: %v\n%s", err, out)
	}
	filler := fill(t, dir)

	key := apiKey(t, police, "CLERK")
	refused := map[int]bool{}
	sent := 0
	for i, sub := range subs {
		if len(refused) >= 5 {
			break
		}
		sent++
		status, body, err := postTo(gatewayURL(police), sub, key)
		if err != nil {
			t.Fatalf("letter %d with the disk full: no answer: %v", i, err)
		}
		switch {
		case status == http.StatusServiceUnavailable && body["code"] == "UNAVAILABLE":
			refused[i] = true
		case status == http.StatusCreated || status == http.StatusAccepted:
			// The store still had room in its file for this one.
		default:
			t.Fatalf("letter %d with the disk full: %d %v", i, status, body)
		}
	}
	if len(refused) == 0 {
		t.Fatalf("none of %d letters was refused with the disk full", sent)
	}
	// Nothing refused reached the ledger; reads still work.
	for i := range refused {
		digest := letter.Digest([]byte(subs[i].Letter))
		if r := call(t, "GET", gatewayURL(market)+"/v1/verify/"+digest, ""); r.Status != http.StatusOK || r.Body["anchored"] != false {
			t.Fatalf("letter %d, refused for a full disk, is reported as %d %s", i, r.Status, r.Raw)
		}
	}
	if r := call(t, "GET", gatewayURL(police)+"/v1/verify/"+receipt(t, stored)["letterDigest"].(string), ""); r.Status != http.StatusOK || r.Body["anchored"] != true {
		t.Fatalf("public verification at police with its disk full: %d %s", r.Status, r.Raw)
	}
	t.Logf("disk full: %d of %d letters refused with 503 UNAVAILABLE, none of them on the ledger", len(refused), sent)

	// Room again: the same letters are accepted and anchored.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	requests := sent
	for i := range refused {
		var r response
		for end := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
			if r = submit(t, police, subs[i]); r.Status == http.StatusCreated || time.Now().After(end) {
				break
			}
		}
		requests++
		if r.Status != http.StatusCreated {
			t.Fatalf("letter %d with room again: %d %s", i, r.Status, r.Raw)
		}
	}
	tableRow(t, faultResult{Fault: "department store's disk full (503 while full)", Letters: sent, Requests: requests,
		Failures: len(refused), Recover: time.Since(freed).Seconds()})
	cleanup()
	// The store came back to the real disk whole.
	if r := submit(t, police, subs[0]); r.Status != http.StatusCreated {
		t.Fatalf("after moving back: %d %s", r.Status, r.Raw)
	}
}

// Restarts always come back: every process of two departments — the BFT
// leader's included, supervisors and all, PostgreSQL too — is SIGKILLed,
// as in a power cut; `down` then `up` brings the same network back,
// healthy, with its letters.
func TestRestartAfterHostsKilled(t *testing.T) {
	code := publishVisible(t, verifiedItem(uniqueCode(t, "POWER"), "PoliceMSP", false))
	before := anchorAt(t, code, newPerson(t, "断电前"))
	if before.Status != http.StatusCreated {
		t.Fatalf("before: %d %s", before.Status, before.Raw)
	}
	for _, slot := range []int{justice, market} {
		pids, _ := filepath.Glob(filepath.Join(deptHome(slot), "run", "*.pid"))
		children, _ := filepath.Glob(filepath.Join(deptHome(slot), "run", "*.child"))
		for _, f := range append(pids, children...) {
			raw, _ := os.ReadFile(f)
			if pid, err := strconv.Atoi(string(bytes.TrimSpace(raw))); err == nil && pid > 0 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	if out, err := script(3*time.Minute, "down"); err != nil {
		t.Fatalf("down after the power cut: %v\n%s", err, out)
	}
	t0 := time.Now()
	if out, err := script(5*time.Minute, "up"); err != nil {
		t.Fatalf("up after the power cut: %v\n%s", err, out)
	}
	t.Logf("network back %s after up", time.Since(t0).Round(time.Millisecond))
	if out, err := script(time.Minute, "status"); err != nil {
		t.Fatalf("status after the restart: %v\n%s", err, out)
	}
	rc := receipt(t, before)
	// Each department reports it once its restarted peer has caught up.
	for _, url := range append(gatewayURLs(market), gatewayURL(justice)) {
		for end := time.Now().Add(time.Minute); ; time.Sleep(500 * time.Millisecond) {
			r := call(t, "GET", url+"/v1/verify/"+rc["letterDigest"].(string), "")
			rec, _ := r.Body["record"].(map[string]any)
			if r.Status == http.StatusOK && rec["txId"] == rc["txId"] {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("%s a minute after the restart: %d %s", url, r.Status, r.Raw)
			}
		}
	}
	if r := anchorAt(t, code, newPerson(t, "断电后")); r.Status != http.StatusCreated {
		t.Fatalf("a letter after the restart: %d %s", r.Status, r.Raw)
	}
	tableRow(t, faultResult{Fault: "two departments' hosts SIGKILLed, then down and up", Letters: 2, Requests: 2,
		Recover: time.Since(t0).Seconds()})
}
