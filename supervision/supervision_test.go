package supervision_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/supervision"
)

var day = func(d int) time.Time { return time.Date(2026, 10, d, 10, 0, 0, 0, chengnuo.China) }

func record(t *testing.T, kind, id string, v any) *chengnuo.LedgerRecord {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return &chengnuo.LedgerRecord{Kind: kind, ID: id, Value: raw}
}

// story is a scripted month: letters at market and police, a request
// answered late, one declined, one open past its due time, a false
// outcome, a repair, an objection decided late, a sample, catalog changes
// reported on time, late and not at all.
func story(t *testing.T) *supervision.Memory {
	m := supervision.NewMemory()
	c := func(id, org, item string, at time.Time) *chengnuo.Commitment {
		return &chengnuo.Commitment{ID: id, Org: org, ItemCode: item, Status: chengnuo.StatusActive, AnchoredAt: at,
			History: []chengnuo.Transition{{Status: chengnuo.StatusActive, Org: org, At: at}}}
	}
	m1, m2, m3 := c("CN1", "MarketMSP", "SC-001", day(8)), c("CN2", "MarketMSP", "SC-001", day(9)), c("CN3", "MarketMSP", "HJ-001", day(9))
	p1 := c("CN4", "PoliceMSP", "HJ-001", day(12))
	old := c("CN0", "MarketMSP", "SC-001", time.Date(2026, 9, 1, 10, 0, 0, 0, chengnuo.China)) // before the period
	m2.Status = chengnuo.StatusWithdrawn
	m2.History = append(m2.History, chengnuo.Transition{Status: chengnuo.StatusWithdrawn, Org: "MarketMSP", At: day(13)})
	m3.Status = chengnuo.StatusConcluded
	m3.History = append(m3.History, chengnuo.Transition{Status: chengnuo.StatusConcluded, Org: "MarketMSP", At: day(14)})
	m1.Verification = chengnuo.VerifyFalse
	m1.Outcome = &chengnuo.Outcome{Result: chengnuo.VerifyFalse, Level: chengnuo.LevelSerious, At: day(15), CreditID: "CR1"}
	m.Apply(&chengnuo.LedgerBlock{Commitments: []*chengnuo.Commitment{old, m1, m2, m3, p1}, Time: day(15), Records: []*chengnuo.LedgerRecord{
		record(t, chengnuo.RecordRequest, "VR1", chengnuo.VerificationRequest{ID: "VR1", CommitmentID: "CN1", ItemCode: "SC-001", From: "MarketMSP", To: "PoliceMSP",
			RequestedAt: day(8), DueAt: day(10), Status: chengnuo.RequestAnswered, Answer: &chengnuo.Answer{Result: chengnuo.AnswerInconsistent, At: day(12), Overdue: true}}),
		record(t, chengnuo.RecordRequest, "VR2", chengnuo.VerificationRequest{ID: "VR2", CommitmentID: "CN2", ItemCode: "SC-001", From: "MarketMSP", To: "PoliceMSP",
			RequestedAt: day(9), DueAt: day(12), Status: chengnuo.RequestDeclined, Answer: &chengnuo.Answer{DeclineDigest: "d", At: day(9)}}),
		record(t, chengnuo.RecordRequest, "VR3", chengnuo.VerificationRequest{ID: "VR3", CommitmentID: "CN3", ItemCode: "HJ-001", From: "MarketMSP", To: "PoliceMSP",
			RequestedAt: day(9), DueAt: day(12), Status: chengnuo.RequestPending}),
		record(t, chengnuo.RecordCredit, "CR1", chengnuo.CreditRecord{ID: "CR1", CommitmentID: "CN1", Org: "MarketMSP", Level: chengnuo.LevelSerious,
			Status: chengnuo.CreditRepaired, CreatedAt: day(15), History: []chengnuo.Transition{{Status: chengnuo.CreditActive, At: day(15)}, {Status: chengnuo.CreditRepaired, At: day(20)}}}),
		record(t, chengnuo.RecordObjection, "OB1", chengnuo.Objection{ID: "OB1", CreditID: "CR1", From: "MarketMSP", Status: chengnuo.ObjectionRejected,
			FiledAt: day(16), DueAt: day(17), DecidedAt: day(19)}),
		record(t, chengnuo.RecordSample, "SA1", chengnuo.Sample{ID: "SA1", Org: "MarketMSP", ItemCode: "SC-001", DrawnAt: day(21), Selected: []string{"CN1", "CN2"}}),
		record(t, chengnuo.RecordCatalogChange, "SC-001@2", chengnuo.CatalogChange{ID: "SC-001@2", Code: "SC-001", At: day(8), ReportBy: day(16), ReportedAt: day(15)}),
		record(t, chengnuo.RecordCatalogChange, "HJ-001@2", chengnuo.CatalogChange{ID: "HJ-001@2", Code: "HJ-001", At: day(8), ReportBy: day(16), ReportedAt: day(19)}),
		record(t, chengnuo.RecordCatalogChange, "JZ-001@2", chengnuo.CatalogChange{ID: "JZ-001@2", Code: "JZ-001", At: day(8), ReportBy: day(16)}),
	}})
	m.Apply(&chengnuo.LedgerBlock{Time: day(22)})
	return m
}

func TestFiguresOfAScriptedStory(t *testing.T) {
	m := story(t)
	f := chengnuo.StatsFilter{From: day(1), To: day(31)}
	rep, err := supervision.Compute(t.Context(), m, f)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.AsOf.Equal(day(22)) || len(rep.Rows) != 7 {
		t.Fatalf("as of %s, %d rows", rep.AsOf, len(rep.Rows))
	}
	want := map[string]map[string]int{
		"MarketMSP SC-001": {"lettersAnchored": 2, "lettersWithdrawn": 1, "requestsSent": 2, "outcomesFalse": 1, "falseSerious": 1,
			"creditRecords": 1, "creditRepairs": 1, "objections": 1, "objectionsRejected": 1, "objectionsDecidedLate": 1, "samples": 1, "sampledLetters": 2},
		"MarketMSP HJ-001":  {"lettersAnchored": 1, "lettersConcluded": 1, "requestsSent": 1},
		"PoliceMSP SC-001":  {"requestsReceived": 2, "answeredLate": 1, "declined": 1},
		"PoliceMSP HJ-001":  {"lettersAnchored": 1, "requestsReceived": 1, "open": 1, "openOverdue": 1},
		"JusticeMSP SC-001": {"catalogChanges": 1, "reportedOnTime": 1},
		"JusticeMSP HJ-001": {"catalogChanges": 1, "reportedLate": 1},
		"JusticeMSP JZ-001": {"catalogChanges": 1, "reportOverdue": 1},
	}
	got := map[string]*chengnuo.StatsRow{}
	for _, r := range rep.Rows {
		got[r.Department+" "+r.Item] = r
	}
	for k, figures := range want {
		r := got[k]
		if r == nil {
			t.Fatalf("no row %s", k)
		}
		for _, col := range supervision.Columns() {
			if v, _ := supervision.Value(r, col); v != figures[col] {
				t.Errorf("%s %s = %d, want %d", k, col, v, figures[col])
			}
		}
	}
	if rep.Totals.LettersAnchored != 4 || rep.Totals.RequestsReceived != 3 || rep.Totals.CatalogChanges != 3 || rep.Totals.ReportOverdue != 1 {
		t.Fatalf("totals %+v", rep.Totals)
	}
	// Filters.
	only, _ := supervision.Compute(t.Context(), m, chengnuo.StatsFilter{Department: "PoliceMSP", Item: "HJ-001", AsOf: day(11)})
	if len(only.Rows) != 1 || only.Rows[0].OpenOverdue != 0 || only.Rows[0].Open != 1 {
		t.Fatalf("filtered, as of before the due time: %+v", only.Rows)
	}
	early, _ := supervision.Compute(t.Context(), m, chengnuo.StatsFilter{From: time.Date(2026, 9, 1, 0, 0, 0, 0, chengnuo.China), To: day(1)})
	if early.Totals.LettersAnchored != 1 || early.Totals.RequestsSent != 0 {
		t.Fatalf("September: %+v", early.Totals)
	}

	// The same figures as CSV and as a workbook, read back.
	names := chengnuo.Directory{"MarketMSP": {Name: "市市场监管局"}}
	var c bytes.Buffer
	if err := supervision.CSV(&c, rep, names); err != nil {
		t.Fatal(err)
	}
	lines, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(c.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var x bytes.Buffer
	if err := supervision.XLSX(&x, rep, names); err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenReader(&x)
	if err != nil {
		t.Fatal(err)
	}
	sheet, err := wb.GetRows(supervision.SheetFigures)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != len(rep.Rows)+2 || len(sheet) != len(lines) {
		t.Fatalf("%d CSV lines, %d sheet rows, %d rows", len(lines), len(sheet), len(rep.Rows))
	}
	for i := range lines {
		if strings.Join(lines[i], "|") != strings.Join(sheet[i], "|") {
			t.Fatalf("line %d differs:\n%v\n%v", i, lines[i], sheet[i])
		}
	}
	if sheet[0][0] != "部门 department" || sheet[0][3] != "存证承诺书 lettersAnchored" {
		t.Fatalf("header %v", sheet[0])
	}
	for _, r := range sheet[1:] {
		if r[0] == "MarketMSP" && r[2] == "SC-001" && (r[1] != "市市场监管局" || r[3] != "2") {
			t.Fatalf("market's row %v", r)
		}
	}
	last := sheet[len(sheet)-1]
	if last[1] != "合计 total" || last[3] != "4" {
		t.Fatalf("totals %v", last)
	}
	if v, _ := wb.GetCellType(supervision.SheetFigures, "D2"); v != excelize.CellTypeNumber && v != excelize.CellTypeUnset {
		t.Fatalf("a figure is stored as %v, not a number", v)
	}
}
