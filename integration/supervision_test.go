package integration

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/client"
	"github.com/chengnuo/chengnuo/supervision"
)

// The supervision figures after a scripted story, on the real network:
// what the story implies, by department and item, the same at three
// departments' gateways and as `chengnuo stats` recomputes them from
// police's peer's block files, in JSON, CSV and the workbook.
func TestSupervisionFigures(t *testing.T) {
	it := verifiedItem(uniqueCode(t, "SUP"), "PoliceMSP", false)
	it.Verification = writtenBy("PoliceMSP", 3)
	code := publishVisible(t, it)
	m1 := anchorID(t, code, newPerson(t, "督查甲"))
	m2 := anchorID(t, code, newPerson(t, "督查乙"))
	m3 := anchorID(t, code, newPerson(t, "督查丙"))
	if r := submit(t, police, signedSubmissionAt(t, police, code, newPerson(t, "督查丁"))); r.Status != http.StatusCreated {
		t.Fatalf("police's letter: %d %s", r.Status, r.Raw)
	}
	clerkM, clerkP := apiKey(t, market, "CLERK"), apiKey(t, police, "CLERK")
	r1, r3 := requestCheck(t, m1, "核查住所"), requestCheck(t, m3, "核查学历")
	answer := func(rid, body string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			r := callAs(t, clerkP, "POST", gatewayURL(police)+"/v1/verification/requests/"+rid+"/answer", body)
			if r.Status == http.StatusOK {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("answer %s: %d %s", rid, r.Status, r.Raw)
			}
			time.Sleep(300 * time.Millisecond) // the details reach police first
		}
	}
	answer(r1, `{"result":"INCONSISTENT","evidence":"住所登记不一致"}`)
	answer(r3, `{"declineReason":"本部门不掌握学历信息"}`)
	waitAnswered(t, r1, 20*time.Second)
	out := recordOutcome(t, market, m1, client.OutcomeRequest{Result: client.OutcomeRequestResultFALSE, Reason: client.Ptr("不实"),
		Level: client.Ptr(client.OutcomeRequestLevelORDINARY), RequestId: client.Ptr(r1),
		Disposal: &client.DisposalRequest{Measures: []client.DisposalRequestMeasures{client.DisposalRequestMeasuresTERMINATED}}})
	if out.Status != http.StatusOK {
		t.Fatalf("outcome: %d %s", out.Status, out.Raw)
	}
	creditID := out.Body["outcome"].(map[string]any)["creditId"].(string)
	if r := callAs(t, apiKey(t, credit, "CREDIT_OFFICER"), "POST", gatewayURL(credit)+"/v1/credit/records/"+creditID+"/repair", `{"reason":"已整改"}`); r.Status != http.StatusOK {
		t.Fatalf("repair: %d %s", r.Status, r.Raw)
	}
	if r := callAs(t, clerkM, "POST", gatewayURL(market)+"/v1/commitments/"+m2+"/withdraw", `{"reason":"申请人撤回"}`); r.Status != http.StatusOK {
		t.Fatalf("withdraw: %d %s", r.Status, r.Raw)
	}
	barrier(t)
	time.Sleep(time.Second) // every read model past the barrier's block

	asOf := time.Now().UTC().Format(time.RFC3339)
	query := "/v1/stats?item=" + code + "&asOf=" + asOf
	want := map[string]map[string]int{
		"MarketMSP": {"lettersAnchored": 3, "lettersWithdrawn": 1, "requestsSent": 2, "outcomesFalse": 1, "falseOrdinary": 1,
			"creditRecords": 1, "creditRepairs": 1},
		"PoliceMSP": {"lettersAnchored": 1, "requestsReceived": 2, "answeredOnTime": 1, "declined": 1},
		// The item's publication: a catalog change to report within 7 working days.
		"JusticeMSP": {"catalogChanges": 1},
	}
	check := func(where string, raw []byte) {
		t.Helper()
		var rep chengnuo.StatsReport
		if err := json.Unmarshal(raw, &rep); err != nil {
			t.Fatalf("%s: %v %s", where, err, raw)
		}
		if len(rep.Rows) != 3 {
			t.Fatalf("%s: %d rows: %s", where, len(rep.Rows), raw)
		}
		for _, r := range rep.Rows {
			for _, col := range supervision.Columns() {
				if v, _ := supervision.Value(r, col); v != want[r.Department][col] || r.Item != code {
					t.Errorf("%s: %s %s = %d, want %d", where, r.Department, col, v, want[r.Department][col])
				}
			}
		}
	}
	var first []byte
	for _, slot := range []int{market, police, credit} {
		st, _, raw := fetch(t, "", gatewayURL(slot)+query)
		if st != http.StatusOK {
			t.Fatalf("stats at %s: %d %s", orgs[slot].key, st, raw)
		}
		check(orgs[slot].key, raw)
		if first == nil {
			first = raw
		} else if !bytes.Equal(first, raw) {
			t.Fatalf("the figures differ between departments:\n%s\n%s", first, raw)
		}
	}
	// Recomputed from police's peer's block files, with no gateway.
	ledger := filepath.Join(deptHome(police), "data", "peer", "ledgersData", "chains", "chains", "chengnuo")
	cmd := exec.Command(filepath.Join(net.state, "bin", "chengnuo"), "stats", "--blocks", ledger, "--item", code, "--as-of", asOf)
	recomputed, err := cmd.Output()
	if err != nil {
		t.Fatalf("chengnuo stats: %v", err)
	}
	check("chengnuo stats --blocks", recomputed)
	var a, b chengnuo.StatsReport
	_ = json.Unmarshal(first, &a)
	_ = json.Unmarshal(recomputed, &b)
	if ja, _ := json.Marshal(a); !bytes.Equal(ja, mustMarshal(t, b)) {
		t.Fatalf("the CLI's figures are not the gateways':\n%s\n%s", first, recomputed)
	}
	// CSV and the workbook, as the office opens them.
	req, _ := http.NewRequest("GET", gatewayURL(justice)+query, nil)
	req.Header.Set("Accept", "text/csv")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	lines, err := csv.NewReader(res.Body).ReadAll()
	if err != nil || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || len(lines) != 5 {
		t.Fatalf("CSV: %v %s %d lines", err, res.Header.Get("Content-Type"), len(lines))
	}
	st, media, xl := fetch(t, "", gatewayURL(justice)+query+"&format=xlsx")
	if st != http.StatusOK || media != supervision.MediaXLSX {
		t.Fatalf("workbook: %d %s", st, media)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(xl))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := wb.GetRows(supervision.SheetFigures)
	if err != nil || len(rows) != 5 {
		t.Fatalf("workbook rows %d %v", len(rows), err)
	}
	for i := range rows {
		if strings.Join(rows[i], "|") != strings.TrimPrefix(strings.Join(lines[i], "|"), "\ufeff") {
			t.Fatalf("workbook row %d %v, CSV %v", i, rows[i], lines[i])
		}
	}
	for _, r := range rows[1:4] {
		if r[0] == "MarketMSP" && (r[1] != "市市场监管局" || r[3] != "3") {
			t.Fatalf("market's row in the workbook: %v", r)
		}
	}
	if r := call(t, "GET", gatewayURL(justice)+"/v1/stats?from=2026-13-01", ""); r.Status != http.StatusBadRequest {
		t.Fatalf("a bad day: %d %s", r.Status, r.Raw)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
