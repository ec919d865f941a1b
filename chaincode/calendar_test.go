package chaincode_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
)

func calendar2026(t *testing.T) chengnuo.Calendar {
	t.Helper()
	raw, err := os.ReadFile("../network/calendars/2026.json")
	if err != nil {
		t.Fatal(err)
	}
	var c chengnuo.Calendar
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// The justice bureau publishes the calendar; deadlines are computed from
// it by every endorser alike, record the version they used, and a
// correction changes new deadlines, not old ones.
func TestDeadlinesFollowThePublishedCalendar(t *testing.T) {
	l, _, id := seed(t)
	cal := calendar2026(t)
	refused(t, l.as(t, "MarketMSP"), contract.PutCalendar, cal, chengnuo.EFORBIDDEN)
	bad := cal
	bad.Workdays = []string{"2026-10-09"}
	refused(t, l.as(t, "JusticeMSP"), contract.PutCalendar, bad, chengnuo.EINVALID)
	refused(t, l, contract.GetCalendar, contract.CalendarArgs{Year: 2026}, chengnuo.ENOTFOUND)
	v1 := must(t, l, contract.PutCalendar, cal)
	if v1.Version != 1 || v1.TxID == "" || len(v1.Holidays) != 33 {
		t.Fatalf("calendar %+v", v1)
	}
	// On 2026-09-30, the last working day before National Day (10-01 to
	// 10-07 off, Saturday 10-10 worked), two working days: 10-08 and 10-09.
	l.now = time.Date(2026, 9, 30, 15, 0, 0, 0, chengnuo.China)
	r1 := request(t, l, id)
	if chengnuo.DeadlineDay(r1.DueAt) != "2026-10-09" || r1.DueCalendar != "2026v1" {
		t.Fatalf("request due %s (%s)", chengnuo.DeadlineDay(r1.DueAt), r1.DueCalendar)
	}
	// A correction: 10-09 becomes a holiday too.
	fixed := cal
	fixed.Holidays = append(append([]string{}, cal.Holidays...), "2026-10-09")
	v2 := must(t, l.as(t, "JusticeMSP"), contract.PutCalendar, fixed)
	if v2.Version != 2 {
		t.Fatalf("correction version %d", v2.Version)
	}
	if old := must(t, l, contract.GetCalendar, contract.CalendarArgs{Year: 2026, Version: 1}); len(old.Holidays) != 33 {
		t.Fatal("version 1 was changed by the correction")
	}
	if cur := must(t, l, contract.GetCalendar, contract.CalendarArgs{Year: 2026}); cur.Version != 2 {
		t.Fatalf("current version %d", cur.Version)
	}
	refused(t, l, contract.GetCalendar, contract.CalendarArgs{Year: 2026, Version: 3}, chengnuo.ENOTFOUND)
	// The old request keeps its deadline; a new one counts 10-08 and the
	// working Saturday 10-10.
	if r := must(t, l, contract.GetVerification, contract.IDArgs{ID: r1.ID}); !r.DueAt.Equal(r1.DueAt) || r.DueCalendar != "2026v1" {
		t.Fatalf("the correction changed an old deadline: %+v", r)
	}
	l.now = l.now.Add(time.Minute)
	id2 := anchorOne(t, l, hex64("a1"))
	r2 := request(t, l, id2)
	if chengnuo.DeadlineDay(r2.DueAt) != "2026-10-10" || r2.DueCalendar != "2026v2" {
		t.Fatalf("new request due %s (%s)", chengnuo.DeadlineDay(r2.DueAt), r2.DueCalendar)
	}
}

// anchorOne anchors one more letter at market and returns its id.
func anchorOne(t *testing.T, l *ledger, d string) string {
	t.Helper()
	it := must(t, l, contract.GetItem, contract.ItemArgs{Code: "T-1"})
	res := must(t, l.as(t, "MarketMSP"), contract.AnchorCommitments, contract.AnchorBatchArgs{Letters: []chengnuo.AnchorRequest{letterReq(it, d, hex64("ce"))}})
	if !res.Results[0].Created {
		t.Fatalf("anchor: %+v", res.Results[0])
	}
	return chengnuo.CommitmentID(d)
}

// Rectification, objections and catalog reports have their time limits in
// working days too.
func TestEveryTimeLimitIsInWorkingDays(t *testing.T) {
	l, _, id := seed(t)
	must(t, l.as(t, "JusticeMSP"), contract.PutCalendar, calendar2026(t))
	l.now = time.Date(2026, 9, 30, 15, 0, 0, 0, chengnuo.China)
	a := falseOutcome(id)
	a.Disposal = &chengnuo.Disposal{Measures: []string{chengnuo.MeasureTerminated, chengnuo.MeasureRectify}, RectificationDays: 3}
	c := must(t, l.as(t, "MarketMSP"), contract.RecordOutcome, a)
	if d := c.Outcome.Disposal; d.RectificationDeadline != "2026-10-10" || d.DeadlineCalendar != "2026v1" || d.RectificationDays != 3 {
		t.Fatalf("rectification %+v", d)
	}
	// An objection: 15 working days from 2026-09-30 (the holiday, 10-10 worked).
	ob := must(t, l.as(t, "MarketMSP"), contract.FileObjection, contract.ReasonArgs{ID: c.Outcome.CreditID, ReasonDigest: digest})
	if chengnuo.DeadlineDay(ob.DueAt) != "2026-10-27" || ob.DueCalendar != "2026v1" {
		t.Fatalf("objection due %s (%s)", chengnuo.DeadlineDay(ob.DueAt), ob.DueCalendar)
	}
	// A catalog change, reported within 7 working days.
	l.now = time.Date(2026, 9, 29, 10, 0, 0, 0, chengnuo.China)
	it := must(t, l.as(t, "JusticeMSP"), contract.PublishItem, testItem("T-2"))
	changes := must(t, l, contract.ListCatalogChanges, contract.PageArgs{})
	var ch *chengnuo.CatalogChange
	for _, x := range changes.Items {
		if x.ID == "T-2@1" {
			ch = x
		}
	}
	// 09-30, then 10-08, 10-09, 10-10 (Saturday, worked), 10-12, 10-13, 10-14.
	if ch == nil || ch.Kind != chengnuo.ChangePublish || ch.TxID != it.PublishedTx || chengnuo.DeadlineDay(ch.ReportBy) != "2026-10-14" {
		t.Fatalf("catalog change %+v", ch)
	}
	refused(t, l.as(t, "MarketMSP"), contract.ReportCatalogChange, contract.IDArgs{ID: "T-2@1"}, chengnuo.EFORBIDDEN)
	refused(t, l.as(t, "JusticeMSP"), contract.ReportCatalogChange, contract.IDArgs{ID: "T-9@1"}, chengnuo.ENOTFOUND)
	l.now = time.Date(2026, 10, 14, 23, 0, 0, 0, chengnuo.China)
	rep := must(t, l, contract.ReportCatalogChange, contract.IDArgs{ID: "T-2@1"})
	if rep.ReportedAt.IsZero() || rep.ReportedAt.After(rep.ReportBy) {
		t.Fatalf("report %+v", rep)
	}
	refused(t, l, contract.ReportCatalogChange, contract.IDArgs{ID: "T-2@1"}, chengnuo.ECONFLICT)
	must(t, l, contract.RetireItem, contract.ItemArgs{Code: "T-2"})
	x := must(t, l, contract.ListCatalogChanges, contract.PageArgs{})
	if len(x.Items) != 3 || x.Items[2].ID != "T-2@1-retired" || x.Items[2].Kind != chengnuo.ChangeRetire || !x.Items[1].ReportedAt.Equal(rep.ReportedAt) {
		t.Fatalf("catalog changes %+v", x.Items) // T-1@1, T-2@1, the retirement
	}
}
