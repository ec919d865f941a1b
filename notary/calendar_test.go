package notary_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/notary"
)

// notifier records the reminders it is given.
type notifier struct {
	mu  sync.Mutex
	got []chengnuo.Reminder
}

func (n *notifier) Remind(_ context.Context, r chengnuo.Reminder) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, r)
	return nil
}

// A request due by the end of the next working day is flagged and
// announced once; the calendars are published by the justice bureau only,
// and a missing year is said.
func TestRemindersAndCalendars(t *testing.T) {
	e := newEnv(t)
	it := testItem("T-1")
	it.Verification = chengnuo.VerificationRule{Method: "WRITTEN", Department: "PoliceMSP", TimeLimitDays: 1}
	e.publish(it)
	ctx := t.Context()
	m := e.dept("MarketMSP", notary.Config{})
	n := &notifier{}
	p := e.dept("PoliceMSP", notary.Config{Notifier: n})
	j := e.dept("JusticeMSP", notary.Config{})

	missing, err := m.svc.MissingCalendars(ctx)
	if y := chengnuo.Day(time.Now()).Year(); err != nil || len(missing) != 2 || missing[0] != y || missing[1] != y+1 {
		t.Fatalf("missing calendars %v %v", missing, err)
	}
	cal := &chengnuo.Calendar{Year: chengnuo.Day(time.Now()).Year(), Source: "测试"}
	if _, err := m.svc.PutCalendar(ctx, cal); chengnuo.ErrorCode(err) != chengnuo.EFORBIDDEN {
		t.Fatalf("market publishes a calendar: %v", err)
	}
	if _, err := j.svc.PutCalendar(ctx, &chengnuo.Calendar{Year: cal.Year, Workdays: []string{"not a day"}}); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
		t.Fatalf("a malformed calendar: %v", err)
	}
	v, err := j.svc.PutCalendar(ctx, cal)
	if err != nil || v.Version != 1 {
		t.Fatalf("publish: %+v %v", v, err)
	}
	if got, err := m.svc.Calendar(ctx, cal.Year, 0); err != nil || got.Version != 1 || got.Source != "测试" {
		t.Fatalf("read: %+v %v", got, err)
	}
	if missing, _ := j.svc.MissingCalendars(ctx); len(missing) != 1 {
		t.Fatalf("after publishing, missing %v", missing)
	}

	rc, err := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice))
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.svc.RequestVerification(ctx, rc.CommitmentID, "核查住所")
	if err != nil {
		t.Fatal(err)
	}
	if r.DueCalendar == "" || !r.DueAt.After(r.RequestedAt) {
		t.Fatalf("request %+v", r)
	}
	if err := p.svc.VerificationRequested(ctx, r); err != nil {
		t.Fatal(err)
	}
	// One working day: due by the end of the next working day at once.
	l, err := p.svc.Requests(ctx, chengnuo.RequestFilter{Side: "to", State: "pending"}, chengnuo.Page{})
	if err != nil || l.Urgent[r.ID] != chengnuo.UrgencyDueSoon {
		t.Fatalf("urgency %v %v", l.Urgent, err)
	}
	for range 2 {
		if err := p.svc.Remind(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(n.got) != 1 || n.got[0].RequestID != r.ID || n.got[0].Urgency != chengnuo.UrgencyDueSoon || n.got[0].DueDay != chengnuo.DeadlineDay(r.DueAt) {
		t.Fatalf("reminders %+v", n.got)
	}
	// The requesting department sees the same due time.
	if got, err := m.svc.GetVerification(ctx, r.ID); err != nil || !got.DueAt.Equal(r.DueAt) {
		t.Fatalf("the request at market: %+v %v", got, err)
	}
}
