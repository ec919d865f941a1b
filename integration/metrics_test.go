package integration

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Every gateway replica serves /metrics in the Prometheus text format, on
// its operations listener only,
// with what an operator alerts on; after a letter, the figures show it.
// Of two letters one after the other, the second at least is endorsed by
// departments named from discovery's earlier choice, and they are enough:
// nothing is endorsed again.
func TestMetricsOnEveryGateway(t *testing.T) {
	code := publishVisible(t, verifiedItem(uniqueCode(t, "METRIC"), "PoliceMSP", false))
	before := metricsOf(t, opsURL(market))
	for i := range 2 {
		if r := anchorAt(t, code, newPerson(t, fmt.Sprintf("指标%d", i))); r.Status != http.StatusCreated {
			t.Fatalf("letter %d: %d %s", i, r.Status, r.Raw)
		}
	}
	after := metricsOf(t, opsURL(market))
	plan := func(body, p string) float64 {
		return labelled(body, "chengnuo_ledger_endorsements_total", `plan="`+p+`"`)
	}
	if d := plan(after, "named") - plan(before, "named"); d < 1 {
		t.Errorf("of two letters, %v endorsed by named departments", d)
	}
	if d := plan(after, "failed") - plan(before, "failed"); d != 0 {
		t.Errorf("%v batches endorsed again after their named departments failed them", d)
	}
	var urls []string
	for slot := range orgs {
		urls = append(urls, opsURLs(slot)...)
		// The public listener does not serve them.
		for _, g := range gatewayURLs(slot) {
			res, err := http.Get(g + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusNotFound {
				t.Fatalf("%s/metrics on the public listener: %d", g, res.StatusCode)
			}
		}
	}
	if len(urls) != len(orgs)+1 {
		t.Fatalf("gateways %v: want one per department and market's second replica", urls)
	}
	for _, url := range urls {
		res, err := http.Get(url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body := string(raw)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("%s/metrics: %d %s", url, res.StatusCode, res.Header.Get("Content-Type"))
		}
		for _, name := range []string{"chengnuo_http_requests_total", "chengnuo_http_request_duration_seconds_bucket",
			"chengnuo_pending_letters", "chengnuo_pending_oldest_age_seconds", "chengnuo_read_model_lag_blocks",
			"chengnuo_event_checkpoint_block", "chengnuo_event_checkpoint_lag_blocks"} {
			if !regexp.MustCompile(`(?m)^` + name + `[ {]`).MatchString(body) {
				t.Errorf("%s/metrics lacks %s", url, name)
			}
		}
		// Every department's listener has handled events (the catalog's at least).
		if v := sample(t, body, "chengnuo_event_checkpoint_block"); v <= 0 {
			t.Errorf("%s: event checkpoint at block %v", url, v)
		}
	}
	// Each listener catches up with the events its read model has seen.
	for _, url := range urls {
		for end := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			res, err := http.Get(url + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			lag := sample(t, string(raw), "chengnuo_event_checkpoint_lag_blocks")
			if lag == 0 {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("%s: event listener %v blocks behind after 20 s", url, lag)
			}
		}
	}
	// The replica that anchored the letter counted its batch.
	res, err := http.Get(opsURL(market) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !regexp.MustCompile(`(?m)^chengnuo_anchor_batches_total\{outcome="ok"\} [1-9]`).Match(raw) {
		t.Fatalf("market counted no anchoring batch:\n%s", raw)
	}
	// Market's PostgreSQL store archives its log (the base backup of its
	// first start closed a segment at least), and no attempt is failing.
	if v := sample(t, string(raw), "chengnuo_store_wal_archived"); v < 1 {
		t.Errorf("market's store archived %v log segments", v)
	}
	if v := sample(t, string(raw), "chengnuo_store_wal_archive_failing"); v != 0 {
		t.Errorf("market's log archiving is failing:\n%s", raw)
	}
	// ... and timed each step of its transaction.
	for _, step := range []string{"endorse", "order", "commit"} {
		if !regexp.MustCompile(`(?m)^chengnuo_ledger_step_seconds_count\{step="` + step + `"\} [1-9]`).Match(raw) {
			t.Errorf("market timed no %s step:\n%s", step, raw)
		}
	}
}

func metricsOf(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("%s/metrics: %d %v", url, res.StatusCode, err)
	}
	return string(raw)
}

// labelled is the value of a metric's sample with the given labels, 0 if
// it has none yet.
func labelled(body, name, labels string) float64 {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name+"{"+labels+"}") + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// sample is the value of an unlabelled metric.
func sample(t *testing.T, body, name string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no sample of %s", name)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
