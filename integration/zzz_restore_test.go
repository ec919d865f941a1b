package integration

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo/client"
	"github.com/chengnuo/chengnuo/proof"
)

// streamed is one letter of the drill's stream at market.
type streamed struct {
	id, digest string
	sent, done time.Time
	status     int
}

// Issue 34, the drill: letters stream in at market; a backup is taken
// midway; market's host is destroyed (processes killed, namespace and
// directory removed) while the other departments keep anchoring; market is
// restored onto a new host from the backup. Every letter answered before
// the backup is readable in full again, every letter after it is listed by
// the restore, no letter is anchored twice, market anchors again, and a
// proof built by the restored market verifies. Bad backups are refused
// before anything is written, and so is a restore over a running
// department. It runs last: it takes market away for a while.
func TestDepartmentRestoredFromBackup(t *testing.T) {
	code := publishVisible(t, verifiedItem(uniqueCode(t, "DRILL"), "PoliceMSP", false))
	// Requests of assisted verification addressed to market: their details
	// are in market's implicit private collection, on market's peer only.
	// The restored peer meets those blocks and cannot get their private
	// data from anyone: it must commit them without it, not wait.
	toMarket := publishVisible(t, verifiedItem(uniqueCode(t, "DRILLV"), "MarketMSP", false))
	clerkP := apiKey(t, police, "CLERK")
	for i := range 3 {
		r := submit(t, police, signedSubmissionAt(t, police, toMarket, newPerson(t, fmt.Sprintf("核查%d", i))))
		if r.Status != http.StatusCreated {
			t.Fatalf("police's letter: %d %s", r.Status, r.Raw)
		}
		id := receipt(t, r)["commitmentId"].(string)
		if v := callAs(t, clerkP, "POST", gatewayURL(police)+"/v1/commitments/"+id+"/verification", `{"claim":"核查经营场所"}`); v.Status != http.StatusCreated {
			t.Fatalf("a request to market: %d %s", v.Status, v.Raw)
		}
	}
	var subs []client.SubmitRequest
	for range 40 {
		subs = append(subs, signedSubmission(t, code, newPerson(t, "演练")))
	}
	var (
		mu         sync.Mutex
		letters    []*streamed
		backup     = make(chan struct{})
		backupDone atomic.Bool
		wg         sync.WaitGroup
	)
	// The stream: a dozen letters, then the backup starts while letters
	// keep coming, and at least six more once it has finished.
	wg.Go(func() {
		afterDone := 0
		for i, sub := range subs {
			if i == 12 {
				close(backup)
			}
			if afterDone >= 6 {
				return
			}
			s := &streamed{sent: time.Now()}
			if backupDone.Load() {
				afterDone++
			}
			r := submit(t, market, sub)
			s.done, s.status = time.Now(), r.Status
			if r.Status == http.StatusCreated {
				rc := receipt(t, r)
				s.id, s.digest = rc["commitmentId"].(string), rc["letterDigest"].(string)
			}
			mu.Lock()
			letters = append(letters, s)
			mu.Unlock()
		}
	})
	<-backup
	backupStart := time.Now()
	out, err := script(5*time.Minute, "backup", "market")
	backupEnd := time.Now()
	backupDone.Store(true)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	wg.Wait()
	m := regexp.MustCompile(`backup of MarketMSP at block height (\d+): (\S+\.cnbak), (\d+) parts, (\d+) bytes of state, (\d+) bytes sealed, in ([0-9.]+) s`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the backup does not say what it wrote:\n%s", out)
	}
	file := m[2]
	t.Logf("backup: %s parts, %s bytes of state, %s bytes sealed, in %s s, at block height %s", m[3], m[4], m[5], m[6], m[1])
	var before, after []*streamed
	for _, s := range letters {
		if s.status != http.StatusCreated {
			t.Fatalf("a letter of the stream was answered %d", s.status)
		}
		switch {
		case s.done.Before(backupStart):
			before = append(before, s)
		case s.sent.After(backupEnd):
			after = append(after, s)
		}
	}
	if len(before) < 6 || len(after) < 1 {
		t.Fatalf("%d letters before the backup, %d after: the stream did not straddle it", len(before), len(after))
	}

	// Bad backups are refused before anything is written.
	bin := filepath.Join(net.state, "bin", "chengnuo")
	key := filepath.Join(net.state, "backup-keys", "market.key")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	flipped := bytes.Clone(raw)
	flipped[len(flipped)/2] ^= 1
	otherKey := filepath.Join(dir, "other.key")
	if out, err := exec.Command(bin, "backup", "keygen", "--out", otherKey).CombinedOutput(); err != nil {
		t.Fatalf("keygen: %v %s", err, out)
	}
	for _, bad := range []struct {
		name string
		raw  []byte
		key  string
		says string
	}{
		{"truncated", raw[:len(raw)*2/3], key, "cut short"},
		{"altered", flipped, key, "altered"},
		{"another key", raw, otherKey, "another key"},
	} {
		path := filepath.Join(dir, bad.name+".cnbak")
		if err := os.WriteFile(path, bad.raw, 0o600); err != nil {
			t.Fatal(err)
		}
		home := filepath.Join(dir, bad.name+"-home")
		out, err := exec.Command(bin, "backup", "restore", "--in", path, "--key", bad.key, "--home", home).CombinedOutput()
		if err == nil || !strings.Contains(string(out), bad.says) {
			t.Fatalf("%s backup: %v\n%s", bad.name, err, out)
		}
		if _, err := os.Lstat(home); err == nil {
			t.Fatalf("%s backup: the restore wrote %s", bad.name, home)
		}
		if left, _ := filepath.Glob(home + "*"); len(left) != 0 {
			t.Fatalf("%s backup: left behind %v", bad.name, left)
		}
	}
	// Restoring over the running department is refused and changes nothing.
	if out, err := script(time.Minute, "restore", "market", file); err == nil || !strings.Contains(out, "exists") {
		t.Fatalf("restore over the running market: %v\n%s", err, out)
	}
	if r := call(t, "GET", gatewayURL(market)+"/readyz", ""); r.Status != http.StatusOK {
		t.Fatalf("market after a refused restore: %d", r.Status)
	}

	// The host is lost; the others carry on.
	if out, err := script(2*time.Minute, "destroy", "market"); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
	if _, err := os.Stat(deptHome(market)); !os.IsNotExist(err) {
		t.Fatalf("market's directory survived: %v", err)
	}
	// The consenters without market's orderer elect a new leader if it was
	// the leader, and the gateways stop asking market's peer: a client
	// resends what it was not answered (the same digest: idempotent).
	during := randomDigest(t)
	gone := time.Now()
	for {
		r := callAs(t, apiKey(t, police, "CLERK"), "POST", gatewayURL(police)+"/v1/anchors", `{"digest":"`+during+`"}`)
		if r.Status == http.StatusCreated || r.Status == http.StatusOK {
			break
		}
		if r.Status != http.StatusServiceUnavailable || time.Since(gone) > 2*time.Minute {
			t.Fatalf("police anchors while market is gone: %d %s", r.Status, r.Raw)
		}
		time.Sleep(time.Second)
	}
	t.Logf("police anchored %s after market's host was lost", time.Since(gone).Round(100*time.Millisecond))

	t0 := time.Now()
	out, err = script(10*time.Minute, "restore", "market", file)
	took := time.Since(t0)
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	t.Logf("market restored in %s from %d bytes", took.Round(time.Second), len(raw))
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "[network]") || strings.Contains(line, "letters") || strings.HasPrefix(line, "  CN") {
			t.Log("restore: " + line)
		}
	}
	if err := loadNetwork(); err != nil {
		t.Fatal(err)
	}

	// Every letter answered before the backup is back in full; every letter
	// after it is listed, on the restore's output and in its CSV, and the
	// clerk is told what became of it.
	var held []string
	var lost [][2]string
	for _, s := range before {
		held = append(held, s.id)
	}
	for _, s := range after {
		lost = append(lost, [2]string{s.id, s.digest})
	}
	checkRecovered(t, out, held, lost)
	// No letter is anchored twice: each record has its one anchoring.
	for _, s := range letters {
		r := call(t, "GET", gatewayURL(justice)+"/v1/public/commitments/"+s.id, "")
		if h, _ := r.Body["history"].([]any); r.Status != http.StatusOK || len(h) > 1 {
			t.Fatalf("letter %s after the restore: %d %s", s.id, r.Status, r.Raw)
		}
	}
	// The restored read model has what was anchored while market was gone.
	if r := waitVisible(t, market, "/v1/anchors/"+during); r.Status != http.StatusOK || r.Body["digest"] != during {
		t.Fatalf("market's read model after the restore: %d %s", r.Status, r.Raw)
	}
	// Market anchors again, and its proofs verify.
	r := submit(t, market, signedSubmission(t, code, newPerson(t, "恢复后")))
	if r.Status != http.StatusCreated {
		t.Fatalf("market anchors after the restore: %d %s", r.Status, r.Raw)
	}
	id := receipt(t, r)["commitmentId"].(string)
	rep, err := verifyBundle(t, fetchProof(t, market, "/v1/commitments/"+id+"/proof"), proof.Options{GenesisHash: genesisHash(t)})
	if err != nil || !rep.Proven() {
		t.Fatalf("a proof built by the restored market: %+v %v", rep, err)
	}
}

// checkRecovered checks market after a restore that printed out: the
// letters held are readable in full, each lost letter (id, digest) is listed
// on the output and in lost-market.csv and reads as lost, and no held
// letter is listed.
func checkRecovered(t *testing.T, out string, held []string, lost [][2]string) {
	t.Helper()
	clerk := apiKey(t, market, "CLERK")
	for _, id := range held {
		r := callAs(t, clerk, "GET", gatewayURL(market)+"/v1/commitments/"+id, "")
		l, _ := r.Body["letter"].(map[string]any)
		if c, _ := l["canonical"].(string); r.Status != http.StatusOK || c == "" || l["signature"] == nil {
			t.Fatalf("letter %s (before the recovery point) after the restore: %d %s", id, r.Status, r.Raw)
		}
	}
	csv, err := os.ReadFile(filepath.Join(net.state, "lost-market.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lost {
		if !strings.Contains(out, l[0]) || !strings.Contains(string(csv), l[0]+","+l[1]) {
			t.Fatalf("letter %s (after the recovery point) is not listed:\n%s\n%s", l[0], out, csv)
		}
		r := callAs(t, clerk, "GET", gatewayURL(market)+"/v1/commitments/"+l[0], "")
		if r.Status != http.StatusNotFound || !strings.Contains(r.Raw, "after the backup") {
			t.Fatalf("a lost letter's view: %d %s", r.Status, r.Raw)
		}
	}
	for _, id := range held {
		if strings.Contains(string(csv), id) {
			t.Fatalf("letter %s (before the recovery point) is listed as lost:\n%s", id, csv)
		}
	}
}

// Continuous protection across a lost host: market's log is archived to
// another disk (here a directory outside its home, which the host's
// destruction leaves alone). Letters anchored after the last backup are
// then not lost with the host: the restore recovers them from the archive
// instead of listing them. It runs after the drill, and last.
func TestLostHostRecoveredFromLogArchive(t *testing.T) {
	archive := filepath.Join(net.state, "wal-archive-market")
	if out, err := script(3*time.Minute, "dept", "market", "wal-archive", archive, "3"); err != nil {
		t.Fatalf("wal-archive: %v\n%s", err, out)
	}
	code := publishVisible(t, verifiedItem(uniqueCode(t, "WAL"), "PoliceMSP", false))
	anchor := func(name string) string {
		t.Helper()
		r := submit(t, market, signedSubmission(t, code, newPerson(t, name)))
		if r.Status != http.StatusCreated {
			t.Fatalf("submit at market: %d %s", r.Status, r.Raw)
		}
		return receipt(t, r)["commitmentId"].(string)
	}
	var held []string
	for range 3 {
		held = append(held, anchor("归档前"))
	}
	// A point-in-time restore to now first: the recovery settings it leaves
	// in the cluster travel in every later base backup, and must not bind
	// a later recovery.
	time.Sleep(time.Second)
	out, err := script(5*time.Minute, "pitr", "market", time.Now().Format(time.RFC3339Nano))
	if err != nil {
		t.Fatalf("pitr: %v\n%s", err, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "archive") || strings.Contains(line, "restoring PostgreSQL") {
			t.Log("pitr: " + line)
		}
	}
	out, err = script(5*time.Minute, "backup", "market")
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`: (\S+\.cnbak), (\d+) parts, (\d+) bytes of state`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the backup does not say what it wrote:\n%s", out)
	}
	t.Logf("backup without the log archive: %s parts, %s bytes of state", m[2], m[3])
	if n, _ := strconv.Atoi(m[3]); n > 64<<20 {
		t.Fatalf("the backup holds %d bytes of state: the log archive went into it", n)
	}
	var afterBackup []string
	for range 4 {
		afterBackup = append(afterBackup, anchor("归档后"))
	}
	// The archive_timeout (3 s) closes and archives the segment with them.
	time.Sleep(10 * time.Second)

	if out, err := script(2*time.Minute, "destroy", "market"); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
	t0 := time.Now()
	out, err = script(10*time.Minute, "restore", "market", m[1])
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	t.Logf("market restored in %s, its letters from the log archive", time.Since(t0).Round(time.Second))
	if !strings.Contains(out, "recovered the letters from the log archive") {
		t.Fatalf("the restore did not use the log archive:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "log archive") || strings.Contains(line, "letters this department") {
			t.Log("restore: " + line)
		}
	}
	if err := loadNetwork(); err != nil {
		t.Fatal(err)
	}
	clerk := apiKey(t, market, "CLERK")
	for _, id := range append(held, afterBackup...) {
		if strings.Contains(out, id) {
			t.Fatalf("letter %s is listed as lost although the archive holds it:\n%s", id, out)
		}
		r := callAs(t, clerk, "GET", gatewayURL(market)+"/v1/commitments/"+id, "")
		l, _ := r.Body["letter"].(map[string]any)
		if c, _ := l["canonical"].(string); r.Status != http.StatusOK || c == "" {
			t.Fatalf("letter %s after the restore: %d %s", id, r.Status, r.Raw)
		}
	}
	if id := anchor("归档恢复后"); id == "" {
		t.Fatal("no commitment id")
	}
}
