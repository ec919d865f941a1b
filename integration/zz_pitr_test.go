package integration

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Continuous protection of a PostgreSQL store (issue 34): market keeps its
// letters in PostgreSQL, whose write-ahead log is archived as it is
// written. Letters are anchored before and after a point in time; the
// store is restored to that point (`network.sh pitr`): the letters before
// it are readable in full, the letters after it are listed from the ledger
// and marked lost, none is anchored twice, and market anchors again.
func TestPointInTimeRestore(t *testing.T) {
	code := publishVisible(t, testItem(uniqueCode(t, "PITR")))
	type letter struct{ id, digest string }
	anchor := func(name string) letter {
		t.Helper()
		r := submit(t, market, signedSubmission(t, code, newPerson(t, name)))
		if r.Status != http.StatusCreated {
			t.Fatalf("submit at market: %d %s", r.Status, r.Raw)
		}
		rc := receipt(t, r)
		return letter{rc["commitmentId"].(string), rc["letterDigest"].(string)}
	}
	var before, after []letter
	for range 4 {
		before = append(before, anchor("时点前"))
	}
	time.Sleep(1500 * time.Millisecond)
	point := time.Now()
	time.Sleep(1500 * time.Millisecond)
	for range 3 {
		after = append(after, anchor("时点后"))
	}

	// A time it cannot read, or one before every base backup, is refused
	// before anything is stopped.
	for arg, says := range map[string]string{"yesterday-ish": "cannot read the time", "2000-01-01T00:00:00Z": "no base backup"} {
		if out, err := script(time.Minute, "pitr", "market", arg); err == nil || !strings.Contains(out, says) {
			t.Fatalf("pitr %q: %v\n%s", arg, err, out)
		}
	}
	if r := callAs(t, apiKey(t, market, "CLERK"), "GET", gatewayURL(market)+"/v1/commitments/"+after[0].id, ""); r.Status != http.StatusOK {
		t.Fatalf("market after a refused pitr: %d %s", r.Status, r.Raw)
	}

	t0 := time.Now()
	out, err := script(5*time.Minute, "pitr", "market", point.Format(time.RFC3339Nano))
	took := time.Since(t0)
	if err != nil {
		t.Fatalf("pitr: %v\n%s", err, out)
	}
	t.Logf("market's store restored to %s in %s", point.Format(time.RFC3339Nano), took.Round(100*time.Millisecond))
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "base backup") || strings.Contains(line, "letters") || strings.HasPrefix(line, "  CN") {
			t.Log("pitr: " + line)
		}
	}

	var held []string
	var lost [][2]string
	for _, l := range before {
		held = append(held, l.id)
	}
	for _, l := range after {
		lost = append(lost, [2]string{l.id, l.digest})
	}
	checkRecovered(t, out, held, lost)
	clerk := apiKey(t, market, "CLERK")
	// Market anchors again, with a number of its own (none reused), once.
	again := anchor("时点恢复后")
	for _, l := range append(append(before, after...), again) {
		r := call(t, "GET", gatewayURL(justice)+"/v1/public/commitments/"+l.id, "")
		if h, _ := r.Body["history"].([]any); r.Status != http.StatusOK || len(h) != 1 {
			t.Fatalf("letter %s: %d %s", l.id, r.Status, r.Raw)
		}
	}
	// Both replicas serve the restored store.
	for _, u := range gatewayURLs(market) {
		if r := callAs(t, clerk, "GET", u+"/v1/commitments/"+again.id, ""); r.Status != http.StatusOK {
			t.Fatalf("%s after the restore: %d %s", u, r.Status, r.Raw)
		}
	}
}
