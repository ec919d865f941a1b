// Package storetest is the conformance suite of chengnuo.Store: every
// implementation (the embedded bbolt store, PostgreSQL) runs it against a
// real instance of itself.
package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
)

// Store is a store under test; Close releases it (the data stays).
type Store interface {
	chengnuo.Store
	chengnuo.People
	Close() error
}

// Run runs the suite. fresh makes a new, empty store and returns a
// function that opens it; the suite opens it again to check durability.
// shared says that several handles may be open at once (replicas sharing
// one database); the suite then races two of them.
func Run(t *testing.T, fresh func(t *testing.T) func(t *testing.T) Store, shared bool) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, func(*testing.T) Store)
	}{
		{"LettersAndDisclosureIndex", lettersAndDisclosureIndex},
		{"MarkAnchoredNeverRegresses", markAnchoredNeverRegresses},
		{"BatchesAreAllOrNothing", batchesAreAllOrNothing},
		{"NumbersTextsAndInbox", numbersTextsAndInbox},
		{"PendingStatsAreExact", pendingStatsAreExact},
		{"UndeliveredPages", undeliveredPages},
		{"RecentLetters", recentLetters},
		{"Drafts", drafts},
		{"LostLettersAndSkippedNumbers", lostLettersAndSkippedNumbers},
		{"People", func(t *testing.T, open func(*testing.T) Store) { people(t, open, shared) }},
		{"ConcurrentWriters", func(t *testing.T, open func(*testing.T) Store) { concurrentWriters(t, open, shared) }},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, fresh(t)) })
	}
}

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// lostLettersAndSkippedNumbers: after a restore the letters found on the
// ledger but not in the store are kept once (found again, the first record
// stays), listed in id order a page at a time, and the year's serial
// numbers continue past the skipped ones.
func lostLettersAndSkippedNumbers(t *testing.T, open func(*testing.T) Store) {
	db := open(t)
	ctx := t.Context()
	var ls []*chengnuo.LostLetter
	for _, id := range []string{"CNc", "CNa", "CNb"} {
		ls = append(ls, &chengnuo.LostLetter{ID: id, LetterDigest: id + "-digest", ItemCode: "SC-001", AnchoredAt: t0, BlockNumber: 9, FoundAt: t0})
	}
	if err := db.PutLost(ctx, ls); err != nil {
		t.Fatal(err)
	}
	again := *ls[0]
	again.FoundAt = t0.Add(time.Hour)
	if err := db.PutLost(ctx, []*chengnuo.LostLetter{&again}); err != nil {
		t.Fatal(err)
	}
	if l, err := db.GetLost(ctx, "CNc"); err != nil || !l.FoundAt.Equal(t0) || l.LetterDigest != "CNc-digest" || l.BlockNumber != 9 {
		t.Fatalf("lost CNc: %+v %v", l, err)
	}
	if _, err := db.GetLost(ctx, "CNz"); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("an unknown lost letter: %v", err)
	}
	first, err := db.Lost(ctx, chengnuo.Page{Size: 2})
	if err != nil || len(first.Items) != 2 || !first.More || first.Items[0].ID != "CNa" || first.Items[1].ID != "CNb" {
		t.Fatalf("first page %+v %v", first, err)
	}
	rest, err := db.Lost(ctx, chengnuo.Page{Size: 2, Bookmark: first.Bookmark})
	if err != nil || len(rest.Items) != 1 || rest.More || rest.Items[0].ID != "CNc" {
		t.Fatalf("second page %+v %v", rest, err)
	}
	if n, _ := db.NextNumber(ctx, 2031); n != 1 {
		t.Fatalf("first number %d", n)
	}
	if err := db.SkipNumbers(ctx, 2031, 1000); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.NextNumber(ctx, 2031); n != 1002 {
		t.Fatalf("after skipping 1,000: %d", n)
	}
	if err := db.SkipNumbers(ctx, 2032, 5); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.NextNumber(ctx, 2032); n != 6 {
		t.Fatalf("a year that had none, after skipping 5: %d", n)
	}
	if err := db.SkipNumbers(ctx, 2031, -1); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
		t.Fatalf("a negative skip: %v", err)
	}
}

// drafts: a draft is kept once and for good — a second draft with the same
// id (the same canonical letter, given again) leaves the first — and an
// unknown id is ENOTFOUND.
func drafts(t *testing.T, open func(*testing.T) Store) {
	db := open(t)
	ctx := t.Context()
	d := &chengnuo.Draft{ID: "CN0123456789abcdef01234567", Digest: strings.Repeat("ab", 32), Canonical: `{"number":"〔2026〕虎市监承第000001号"}`, CreatedAt: t0}
	if err := db.PutDraft(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := db.PutDraft(ctx, &chengnuo.Draft{ID: d.ID, Digest: d.Digest, Canonical: "changed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetDraft(ctx, "CN0000000000000000000000"); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("unknown draft: %v", err)
	}
	db.Close()
	db = open(t)
	defer db.Close()
	got, err := db.GetDraft(ctx, d.ID)
	if err != nil || got.Canonical != d.Canonical || got.Digest != d.Digest || !got.CreatedAt.Equal(t0) {
		t.Fatalf("draft %+v, %v", got, err)
	}
	// Its letter stored, the draft stays (the ledger may still refuse the
	// letter); anchored, the draft goes: the letter holds its text.
	l := &chengnuo.StoredLetter{ID: d.ID, Digest: d.Digest, Canonical: d.Canonical, State: chengnuo.StatePending, StoredAt: t0}
	if _, err := put1(ctx, db, l); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetDraft(ctx, d.ID); err != nil {
		t.Fatalf("the draft of a pending letter: %v", err)
	}
	if err := mark1(ctx, db, d.ID, &chengnuo.Commitment{ID: d.ID, LetterDigest: d.Digest, Status: chengnuo.StatusActive}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetDraft(ctx, d.ID); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("the draft of an anchored letter is kept: %v", err)
	}
}

// pendingStatsAreExact: every pending letter is counted and the oldest is
// found wherever it sits (a store once looked at the first 1,000 only),
// and an anchored letter leaves the figures.
func pendingStatsAreExact(t *testing.T, open func(*testing.T) Store) {
	db := open(t)
	ctx := t.Context()
	const n = 1500
	var batch []*chengnuo.StoredLetter
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Second)
		if i == 1234 {
			at = t0.Add(-time.Hour) // stored later, dated earlier: a clock set back
		}
		batch = append(batch, &chengnuo.StoredLetter{ID: fmt.Sprintf("CNstat%04d", i), Digest: fmt.Sprintf("stat%d", i),
			State: chengnuo.StatePending, StoredAt: at})
	}
	if _, err := db.PutPending(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if got, oldest, err := db.PendingStats(ctx); err != nil || got != n || !oldest.Equal(t0.Add(-time.Hour)) {
		t.Fatalf("pending stats %d, oldest %s (%v); want %d and %s", got, oldest, err, n, t0.Add(-time.Hour))
	}
	if err := mark1(ctx, db, "CNstat1234", &chengnuo.Commitment{ID: "CNstat1234", Status: chengnuo.StatusActive, TxID: "tx"}, nil); err != nil {
		t.Fatal(err)
	}
	if got, oldest, err := db.PendingStats(ctx); err != nil || got != n-1 || !oldest.Equal(t0) {
		t.Fatalf("after one anchored: %d, oldest %s (%v); want %d and %s", got, oldest, err, n-1, t0)
	}
}

// undeliveredPages: deliveries not done come in key order, a page at a
// time after the last key of the page before; delivered ones are skipped.
func undeliveredPages(t *testing.T, open func(*testing.T) Store) {
	db := open(t)
	ctx := t.Context()
	for _, k := range []string{"text~c", "purge~a", "details~b", "text~a", "purge~b"} {
		if err := db.PutOutgoing(ctx, &chengnuo.Outgoing{Key: k, Kind: chengnuo.DeliverText, To: "PoliceMSP"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.MarkDelivered(ctx, "purge~b"); err != nil {
		t.Fatal(err)
	}
	var got []string
	after := ""
	for pages := 0; pages < 10; pages++ {
		page, err := db.Undelivered(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page {
			got = append(got, o.Key)
		}
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].Key
	}
	if fmt.Sprint(got) != "[details~b purge~a text~a text~c]" {
		t.Fatalf("paged through %v", got)
	}
}

// people: the workbench's accounts, sessions and audit trail.
func people(t *testing.T, open func(*testing.T) Store, shared bool) {
	db := open(t)
	ctx := t.Context()
	code := func(err error, want string) {
		t.Helper()
		if chengnuo.ErrorCode(err) != want {
			t.Fatalf("error %v, want code %s", err, want)
		}
	}
	for _, u := range []string{"wang.li", "ada", "zhang-san"} {
		if err := db.CreateAccount(ctx, &chengnuo.Account{Username: u, Roles: []string{chengnuo.RoleClerk}, PasswordHash: "h-" + u, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	code(db.CreateAccount(ctx, &chengnuo.Account{Username: "ada", Roles: []string{chengnuo.RoleAdmin}}), chengnuo.ECONFLICT)
	if a, err := db.Account(ctx, "ada"); err != nil || a.PasswordHash != "h-ada" || a.Has(chengnuo.RoleAdmin) {
		t.Fatalf("account %+v %v: a second create changed it", a, err)
	}
	_, err := db.Account(ctx, "nobody")
	code(err, chengnuo.ENOTFOUND)
	_, err = db.UpdateAccount(ctx, "nobody", func(*chengnuo.Account) error { return nil })
	code(err, chengnuo.ENOTFOUND)
	// An update that fails changes nothing.
	_, err = db.UpdateAccount(ctx, "ada", func(a *chengnuo.Account) error {
		a.PasswordHash = "changed"
		return chengnuo.Errorf(chengnuo.EINVALID, "no")
	})
	code(err, chengnuo.EINVALID)
	if a, _ := db.Account(ctx, "ada"); a.PasswordHash != "h-ada" {
		t.Fatal("a failed update was kept")
	}
	page1, err := db.Accounts(ctx, chengnuo.Page{Size: 2})
	if err != nil || len(page1.Items) != 2 || !page1.More || page1.Items[0].Username != "ada" || page1.Items[1].Username != "wang.li" {
		t.Fatalf("first page %+v %v", page1, err)
	}
	page2, err := db.Accounts(ctx, chengnuo.Page{Size: 2, Bookmark: page1.Bookmark})
	if err != nil || len(page2.Items) != 1 || page2.More || page2.Items[0].Username != "zhang-san" {
		t.Fatalf("second page %+v %v", page2, err)
	}
	// Sessions, and the end of all of one person's.
	for i, u := range []string{"ada", "ada", "wang.li"} {
		if err := db.PutSession(ctx, &chengnuo.Session{ID: fmt.Sprintf("s%d", i), Username: u, CSRF: "c", Created: t0, LastSeen: t0}); err != nil {
			t.Fatal(err)
		}
	}
	s, err := db.Session(ctx, "s0")
	if err != nil || s.Username != "ada" {
		t.Fatalf("session %+v %v", s, err)
	}
	s.LastSeen = t0.Add(time.Minute)
	if err := db.PutSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	if s, _ := db.Session(ctx, "s0"); !s.LastSeen.Equal(t0.Add(time.Minute)) {
		t.Fatal("a session's update was lost")
	}
	if err := db.DeleteSessions(ctx, "ada"); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"s0": chengnuo.ENOTFOUND, "s1": chengnuo.ENOTFOUND, "s2": ""} {
		_, err := db.Session(ctx, id)
		code(err, want)
	}
	if err := db.DeleteSession(ctx, "s2"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSession(ctx, "s2"); err != nil {
		t.Fatalf("ending a session that is gone: %v", err)
	}
	// The audit trail, newest first, in pages.
	for i := range 5 {
		if err := db.AppendAudit(ctx, &chengnuo.AuditEntry{At: t0.Add(time.Duration(i) * time.Second), Username: "ada",
			Action: fmt.Sprintf("a%d", i), Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	var actions []string
	p := chengnuo.Page{Size: 2}
	for range 5 {
		l, err := db.AuditTrail(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range l.Items {
			actions = append(actions, e.Action)
		}
		if !l.More {
			break
		}
		p.Bookmark = l.Bookmark
	}
	if fmt.Sprint(actions) != "[a4 a3 a2 a1 a0]" {
		t.Fatalf("audit trail %v, want newest first", actions)
	}
	// Kept across a reopen; and where replicas share the store, updates
	// of one account from two handles never lose one (a failed-login count).
	db.Close()
	a, b := open(t), db
	if shared {
		b = open(t)
	} else {
		b = a
	}
	defer a.Close()
	if b != a {
		defer b.Close()
	}
	if acc, err := a.Account(ctx, "zhang-san"); err != nil || acc.PasswordHash != "h-zhang-san" {
		t.Fatalf("after a reopen: %+v %v", acc, err)
	}
	var wg sync.WaitGroup
	for _, h := range []Store{a, b} {
		for range 10 {
			wg.Go(func() {
				if _, err := h.UpdateAccount(ctx, "ada", func(acc *chengnuo.Account) error { acc.Failed++; return nil }); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	if acc, _ := a.Account(ctx, "ada"); acc.Failed != 20 {
		t.Fatalf("20 updates from two handles counted %d", acc.Failed)
	}
}

// recentLetters: the last stored first, in pages.
func recentLetters(t *testing.T, open func(*testing.T) Store) {
	db := open(t)
	ctx := t.Context()
	for i := range 5 {
		if _, err := put1(ctx, db, &chengnuo.StoredLetter{ID: fmt.Sprintf("CNrecent%d", i), Digest: fmt.Sprint(i), State: chengnuo.StatePending,
			StoredAt: t0.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	p := chengnuo.Page{Size: 2}
	for range 5 {
		l, err := db.RecentLetters(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range l.Items {
			got = append(got, x.ID)
		}
		if !l.More {
			break
		}
		p.Bookmark = l.Bookmark
	}
	if fmt.Sprint(got) != "[CNrecent4 CNrecent3 CNrecent2 CNrecent1 CNrecent0]" {
		t.Fatalf("recent letters %v", got)
	}
	if _, err := db.RecentLetters(ctx, chengnuo.Page{Bookmark: "!!"}); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
		t.Fatalf("a malformed bookmark: %v", err)
	}
}

// put1 stores one letter: a batch of one.
func put1(ctx context.Context, db chengnuo.Store, l *chengnuo.StoredLetter) (*chengnuo.StoredLetter, error) {
	existing, err := db.PutPending(ctx, []*chengnuo.StoredLetter{l})
	if err != nil {
		return nil, err
	}
	if len(existing) != 1 {
		return nil, fmt.Errorf("PutPending of one letter answered %d", len(existing))
	}
	return existing[0], nil
}

// mark1 marks one letter anchored.
func mark1(ctx context.Context, db chengnuo.Store, id string, rec *chengnuo.Commitment, row *chengnuo.DisclosedLetter) error {
	return db.MarkAnchored(ctx, []chengnuo.AnchorMark{{ID: id, Record: rec, Disclosed: row}})
}

func lettersAndDisclosureIndex(t *testing.T, open func(*testing.T) Store) {
	db := open(t)
	ctx := t.Context()
	for i := range 5 {
		id := fmt.Sprintf("CN%02d", i)
		l := &chengnuo.StoredLetter{ID: id, Digest: id, State: chengnuo.StatePending}
		if prev, err := put1(ctx, db, l); err != nil || prev != nil {
			t.Fatal(prev, err)
		}
		if prev, _ := put1(ctx, db, &chengnuo.StoredLetter{ID: id, State: chengnuo.StatePending}); prev == nil || prev.Digest != id {
			t.Fatal("a second PutPending replaced the letter")
		}
	}
	if p, _ := db.Pending(ctx, 3); len(p) != 3 {
		t.Fatalf("pending limited to 3: %d", len(p))
	}
	for i := range 4 {
		id := fmt.Sprintf("CN%02d", i)
		rec := &chengnuo.Commitment{ID: id, Status: chengnuo.StatusActive, AnchoredAt: t0.Add(time.Duration(i) * time.Hour)}
		row := &chengnuo.DisclosedLetter{CommitmentID: id, From: rec.AnchoredAt, Until: rec.AnchoredAt.Add(24 * time.Hour)}
		if i == 3 {
			row = nil // an item that is not disclosed
		}
		if err := mark1(ctx, db, id, rec, row); err != nil {
			t.Fatal(err)
		}
	}
	if p, _ := db.Pending(ctx, 10); len(p) != 1 || p[0].ID != "CN04" {
		t.Fatalf("pending after anchoring: %+v", p)
	}
	at := t0.Add(90 * time.Minute) // CN00 and CN01 shown; CN02 not begun yet
	var got []string
	page := chengnuo.Page{Size: 1}
	for {
		l, err := db.Disclosures(ctx, at, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.Items {
			got = append(got, r.CommitmentID)
		}
		if !l.More {
			break
		}
		page.Bookmark = l.Bookmark
	}
	if fmt.Sprint(got) != "[CN00 CN01]" {
		t.Fatalf("disclosed at %s: %v", at, got)
	}
	if l, _ := db.Disclosures(ctx, t0.Add(25*time.Hour), chengnuo.Page{}); len(l.Items) != 1 || l.Items[0].CommitmentID != "CN02" {
		t.Fatalf("after CN00 and CN01 ended: %+v", l.Items)
	}
	if err := db.UpdateRecord(ctx, "CN01", &chengnuo.Commitment{ID: "CN01", Status: chengnuo.StatusWithdrawn}); err != nil {
		t.Fatal(err)
	}
	if l, _ := db.Disclosures(ctx, at, chengnuo.Page{}); len(l.Items) != 1 || l.Items[0].CommitmentID != "CN00" {
		t.Fatalf("after a withdrawal: %+v", l.Items)
	}
	if err := db.AddNote(ctx, "CN00", chengnuo.Note{Text: "n"}); err != nil {
		t.Fatal(err)
	}
	if l, _ := db.Get(ctx, "CN00"); len(l.Notes) != 1 || l.State != chengnuo.StateAnchored {
		t.Fatalf("letter %+v", l)
	}
	if err := db.Delete(ctx, "CN04"); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{getErr(t, db, "CN04"), db.AddNote(ctx, "none", chengnuo.Note{}), db.UpdateRecord(ctx, "none", &chengnuo.Commitment{}),
		mark1(ctx, db, "none", &chengnuo.Commitment{}, nil)} {
		if chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
			t.Errorf("unknown letter: %v", err)
		}
	}
	if _, err := db.Disclosures(ctx, at, chengnuo.Page{Bookmark: "%%%"}); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
		t.Fatalf("bad bookmark: %v", err)
	}
}

// A recovery racing the submission can mark a letter anchored with the
// record as it was before a withdrawal already stored: the stored record
// keeps the longer history, and the withdrawn letter is not disclosed again.
func markAnchoredNeverRegresses(t *testing.T, open func(*testing.T) Store) {
	db := open(t)
	ctx := t.Context()
	if _, err := put1(ctx, db, &chengnuo.StoredLetter{ID: "CN01", Digest: "d", State: chengnuo.StatePending}); err != nil {
		t.Fatal(err)
	}
	active := &chengnuo.Commitment{ID: "CN01", Status: chengnuo.StatusActive, AnchoredAt: t0,
		History: []chengnuo.Transition{{Status: chengnuo.StatusActive, At: t0}}}
	row := &chengnuo.DisclosedLetter{CommitmentID: "CN01", From: t0, Until: t0.Add(24 * time.Hour)}
	if err := mark1(ctx, db, "CN01", active, row); err != nil {
		t.Fatal(err)
	}
	withdrawn := &chengnuo.Commitment{ID: "CN01", Status: chengnuo.StatusWithdrawn, AnchoredAt: t0,
		History: append(append([]chengnuo.Transition{}, active.History...), chengnuo.Transition{Status: chengnuo.StatusWithdrawn, At: t0.Add(time.Minute)})}
	if err := db.UpdateRecord(ctx, "CN01", withdrawn); err != nil {
		t.Fatal(err)
	}
	// The late recovery.
	if err := mark1(ctx, db, "CN01", active, row); err != nil {
		t.Fatal(err)
	}
	if l, _ := db.Get(ctx, "CN01"); l.Record.Status != chengnuo.StatusWithdrawn {
		t.Fatalf("the record went back to %s", l.Record.Status)
	}
	if l, _ := db.Disclosures(ctx, t0.Add(time.Hour), chengnuo.Page{}); len(l.Items) != 0 {
		t.Fatalf("a withdrawn letter is disclosed again: %+v", l.Items)
	}
}

func getErr(t *testing.T, db Store, id string) error {
	_, err := db.Get(t.Context(), id)
	return err
}

func numbersTextsAndInbox(t *testing.T, open func(*testing.T) Store) {
	db := open(t)
	ctx := t.Context()
	for want := 1; want <= 3; want++ {
		if n, err := db.NextNumber(ctx, 2026); err != nil || n != want {
			t.Fatalf("number %d, %v; want %d", n, err, want)
		}
	}
	if n, _ := db.NextNumber(ctx, 2027); n != 1 {
		t.Fatalf("a new year starts at %d", n)
	}
	if err := db.PutText(ctx, &chengnuo.Text{Digest: "d1", Text: "理由", Kind: "k"}); err != nil {
		t.Fatal(err)
	}
	if tx, err := db.GetText(ctx, "d1"); err != nil || tx.Text != "理由" {
		t.Fatalf("text %+v %v", tx, err)
	}
	if _, err := db.GetText(ctx, "d2"); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("unknown text: %v", err)
	}
	// Inbox entries come back oldest request first, whatever their ids.
	for i, id := range []string{"VRc", "VRa", "VRb"} {
		r := &chengnuo.VerificationRequest{ID: id, RequestedAt: t0.Add(time.Duration(i) * time.Minute)}
		if added, err := db.PutInbox(ctx, &chengnuo.InboxEntry{Request: r}); !added || err != nil {
			t.Fatal(added, err)
		}
		if added, _ := db.PutInbox(ctx, &chengnuo.InboxEntry{Request: r}); added {
			t.Fatal("an entry was added twice")
		}
	}
	if changed, _ := db.MarkHandled(ctx, "VRa", "done"); !changed {
		t.Fatal("not marked")
	}
	// Reminders: each urgency once, none back from overdue.
	for i, c := range []struct {
		urgency string
		want    bool
	}{{chengnuo.UrgencyDueSoon, true}, {chengnuo.UrgencyDueSoon, false}, {chengnuo.UrgencyOverdue, true}, {chengnuo.UrgencyDueSoon, false}, {chengnuo.UrgencyOverdue, false}} {
		if got, err := db.MarkReminded(ctx, "VRb", c.urgency); err != nil || got != c.want {
			t.Fatalf("reminder %d (%s): %v %v", i, c.urgency, got, err)
		}
	}
	if e, err := db.InboxEntry(ctx, "VRb"); err != nil || e.Reminded != chengnuo.UrgencyOverdue {
		t.Fatalf("reminded %+v %v", e, err)
	}
	if _, err := db.MarkReminded(ctx, "VRnone", chengnuo.UrgencyDueSoon); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("an unknown request: %v", err)
	}
	if changed, _ := db.MarkHandled(ctx, "VRa", "again"); changed {
		t.Fatal("marked twice")
	}
	if err := db.SetRegistryAnswer(ctx, "VRb", chengnuo.AnswerRequest{Result: "CONSISTENT"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.MarkHandled(ctx, "VRz", ""); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("unknown entry: %v", err)
	}
	db.Close()
	db2 := open(t) // the same store, opened again: everything above is durable
	var order []string
	p := chengnuo.Page{Size: 2}
	for {
		l, err := db2.Inbox(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range l.Items {
			order = append(order, e.Request.ID)
		}
		if !l.More {
			break
		}
		p.Bookmark = l.Bookmark
	}
	if fmt.Sprint(order) != "[VRc VRa VRb]" {
		t.Fatalf("inbox order %v", order)
	}
	e, _ := db2.InboxEntry(ctx, "VRb")
	if e.Registry == nil || e.Registry.Result != "CONSISTENT" {
		t.Fatalf("entry %+v", e)
	}
	if _, err := db2.InboxEntry(ctx, "none"); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatal(err)
	}
	out := &chengnuo.Outgoing{Key: "details~VRo", Kind: chengnuo.DeliverDetails, Request: &chengnuo.VerificationRequest{ID: "VRo"}, Details: []byte("personal")}
	if err := db2.PutOutgoing(ctx, out); err != nil {
		t.Fatal(err)
	}
	if err := db2.PutOutgoing(ctx, &chengnuo.Outgoing{Key: "details~VRo", Kind: chengnuo.DeliverDetails}); err != nil {
		t.Fatal(err)
	}
	if u, _ := db2.Undelivered(ctx, "", 10); len(u) != 1 || string(u[0].Details) != "personal" {
		t.Fatalf("undelivered %+v (a second put must not replace the first)", u)
	}
	if err := db2.PutOutgoing(ctx, &chengnuo.Outgoing{}); chengnuo.ErrorCode(err) != chengnuo.EINTERNAL {
		t.Fatalf("a delivery without a key: %v", err)
	}
	if err := db2.MarkDelivered(ctx, "details~VRo"); err != nil {
		t.Fatal(err)
	}
	if u, _ := db2.Undelivered(ctx, "", 10); len(u) != 0 {
		t.Fatal("delivered details kept")
	}
	db2.Close()
	if _, err := db2.Get(ctx, "x"); chengnuo.ErrorCode(err) != chengnuo.EUNAVAILABLE {
		t.Fatalf("closed store: %v", err)
	}
}

// A batch is stored in one write: a letter held already, or twice in the
// batch, comes back as the one held; marking a batch that names a letter
// the store does not hold changes nothing at all.
func batchesAreAllOrNothing(t *testing.T, open func(*testing.T) Store) {
	db := open(t)
	ctx := t.Context()
	letter := func(id, digest string) *chengnuo.StoredLetter {
		return &chengnuo.StoredLetter{ID: id, Digest: digest, State: chengnuo.StatePending, StoredAt: t0}
	}
	if _, err := put1(ctx, db, letter("CN00", "old")); err != nil {
		t.Fatal(err)
	}
	existing, err := db.PutPending(ctx, []*chengnuo.StoredLetter{
		letter("CN02", "a"), letter("CN00", "new"), letter("CN01", "b"), letter("CN02", "c")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range existing {
		if e == nil {
			got = append(got, "stored")
		} else {
			got = append(got, e.Digest)
		}
	}
	if fmt.Sprint(got) != "[stored old stored a]" {
		t.Fatalf("existing letters %v, want [stored old stored a]", got)
	}
	for id, digest := range map[string]string{"CN00": "old", "CN01": "b", "CN02": "a"} {
		if l, err := db.Get(ctx, id); err != nil || l.Digest != digest || l.State != chengnuo.StatePending {
			t.Fatalf("%s: %+v %v, want digest %s pending", id, l, err, digest)
		}
	}
	rec := func(id string) *chengnuo.Commitment {
		return &chengnuo.Commitment{ID: id, Status: chengnuo.StatusActive, AnchoredAt: t0,
			History: []chengnuo.Transition{{Status: chengnuo.StatusActive, At: t0}}}
	}
	row := func(id string) *chengnuo.DisclosedLetter {
		return &chengnuo.DisclosedLetter{CommitmentID: id, From: t0, Until: t0.Add(24 * time.Hour)}
	}
	err = db.MarkAnchored(ctx, []chengnuo.AnchorMark{{ID: "CN00", Record: rec("CN00"), Disclosed: row("CN00")}, {ID: "CN09", Record: rec("CN09"), Disclosed: row("CN09")},
		{ID: "CN01", Record: rec("CN01"), Disclosed: row("CN01")}})
	if chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("marking a batch with a letter not held: %v, want ENOTFOUND", err)
	}
	if p, _ := db.Pending(ctx, 10); len(p) != 3 {
		t.Fatalf("%d letters pending after a failed mark, want all 3", len(p))
	}
	if l, _ := db.Disclosures(ctx, t0.Add(time.Hour), chengnuo.Page{}); len(l.Items) != 0 {
		t.Fatalf("a failed mark left disclosure rows: %+v", l.Items)
	}
	if err := db.MarkAnchored(ctx, []chengnuo.AnchorMark{{ID: "CN02", Record: rec("CN02")}, {ID: "CN00", Record: rec("CN00"), Disclosed: row("CN00")}}); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.Pending(ctx, 10); len(p) != 1 || p[0].ID != "CN01" {
		t.Fatalf("pending after marking CN00 and CN02: %+v", p)
	}
	if l, _ := db.Disclosures(ctx, t0.Add(time.Hour), chengnuo.Page{}); len(l.Items) != 1 || l.Items[0].CommitmentID != "CN00" {
		t.Fatalf("disclosed after marking: %+v", l.Items)
	}
	if existing, err := db.PutPending(ctx, nil); err != nil || len(existing) != 0 {
		t.Fatalf("an empty batch: %v %v", existing, err)
	}
	if err := db.MarkAnchored(ctx, nil); err != nil {
		t.Fatalf("an empty mark: %v", err)
	}
}

// concurrentWriters races writers — on two handles of one database when
// shared, as two gateway replicas do: serial numbers are never handed out
// twice, one letter id is stored once, an inbox entry is added and handled
// once.
func concurrentWriters(t *testing.T, open func(*testing.T) Store, shared bool) {
	a := open(t)
	b := Store(a)
	if shared {
		b = open(t)
	}
	handles := []Store{a, b}
	ctx := t.Context()
	const n = 40
	var wg sync.WaitGroup
	numbers := make([]int, n)
	stored := make([]*chengnuo.StoredLetter, n)
	putErr := make([]error, n)
	added, handled := make([]bool, n), make([]bool, n)
	req := &chengnuo.VerificationRequest{ID: "VRrace", RequestedAt: t0}
	if _, err := a.PutInbox(ctx, &chengnuo.InboxEntry{Request: &chengnuo.VerificationRequest{ID: "VRhandle", RequestedAt: t0}}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		db := handles[i%2]
		wg.Go(func() {
			var err error
			if numbers[i], err = db.NextNumber(ctx, 2030); err != nil {
				t.Error(err)
			}
			l := &chengnuo.StoredLetter{ID: "CNrace", Digest: fmt.Sprint("d", i), State: chengnuo.StatePending, StoredAt: t0}
			stored[i], putErr[i] = put1(ctx, db, l)
			if added[i], err = db.PutInbox(ctx, &chengnuo.InboxEntry{Request: req}); err != nil {
				t.Error(err)
			}
			if handled[i], err = db.MarkHandled(ctx, "VRhandle", fmt.Sprint("replica ", i%2)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, v := range numbers {
		if seen[v] || v < 1 || v > n {
			t.Fatalf("serial numbers %v: %d twice or out of 1..%d", numbers, v, n)
		}
		seen[v] = true
	}
	winner := ""
	for i := range n {
		if putErr[i] != nil {
			t.Fatal(putErr[i])
		}
		if stored[i] == nil {
			if winner != "" {
				t.Fatalf("letter CNrace stored twice (%s and d%d)", winner, i)
			}
			winner = fmt.Sprint("d", i)
		}
	}
	l, err := b.Get(ctx, "CNrace")
	if err != nil || l.Digest != winner {
		t.Fatalf("stored %+v (%v); the one put that stored was %q", l, err, winner)
	}
	for i := range n {
		if stored[i] != nil && stored[i].Digest != winner {
			t.Fatalf("put %d was told the letter is %s; it is %s", i, stored[i].Digest, winner)
		}
	}
	count := func(bs []bool) (c int) {
		for _, v := range bs {
			if v {
				c++
			}
		}
		return c
	}
	if c := count(added); c != 1 {
		t.Fatalf("an inbox entry added %d times", c)
	}
	if c := count(handled); c != 1 {
		t.Fatalf("an inbox entry handled %d times", c)
	}
	if e, _ := a.InboxEntry(ctx, "VRhandle"); e.Handlings != 1 {
		t.Fatalf("entry handled %d times", e.Handlings)
	}
	if p, _ := a.Pending(ctx, 10); len(p) != 1 {
		t.Fatalf("pending %d letters, want 1", len(p))
	}
	if n, oldest, err := b.PendingStats(ctx); err != nil || n != 1 || !oldest.Equal(t0) {
		t.Fatalf("pending stats %d %s %v", n, oldest, err)
	}
}

// Bench measures the store's hot path as the anchoring workers drive it: a
// batch of letters stored pending in one write, then marked anchored with
// their disclosure rows in another, four batches at a time (the gateway's
// workers). A batch of one is what every letter cost when each request
// wrote its own letter; the figure to compare is cpu-µs per letter.
func Bench(b *testing.B, s chengnuo.Store) {
	for _, size := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) { benchBatches(b, s, size) })
	}
}

func benchBatches(b *testing.B, s chengnuo.Store, size int) {
	ctx := b.Context()
	var n atomic.Int64
	// About the size of a real letter, and like it JSON: stored as a JSON
	// string, its quotes are escaped, which is what decoding it costs.
	canonical := strings.Repeat(`{"承诺":"本人承诺"},`, 120)
	var wg sync.WaitGroup
	batches := make(chan int)
	cpu0 := cpuTime()
	b.ResetTimer()
	for range 4 {
		wg.Go(func() {
			for k := range batches {
				ls := make([]*chengnuo.StoredLetter, k)
				marks := make([]chengnuo.AnchorMark, k)
				for i := range ls {
					// Ids are digests: scattered over the key space, as in use.
					id := fmt.Sprintf("CN%024x", uint64(n.Add(1))*0x9e3779b97f4a7c15)
					ls[i] = &chengnuo.StoredLetter{ID: id, Digest: id, Canonical: canonical, State: chengnuo.StatePending, StoredAt: t0}
					marks[i] = chengnuo.AnchorMark{ID: id,
						Record: &chengnuo.Commitment{ID: id, Status: chengnuo.StatusActive, AnchoredAt: t0, BlockNumber: 7,
							History: []chengnuo.Transition{{Status: chengnuo.StatusActive, At: t0}}},
						Disclosed: &chengnuo.DisclosedLetter{CommitmentID: id, From: t0, Until: t0.Add(24 * time.Hour)}}
				}
				if _, err := s.PutPending(ctx, ls); err != nil {
					b.Error(err)
					return
				}
				if err := s.MarkAnchored(ctx, marks); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	for left := b.N; left > 0; left -= size {
		batches <- min(size, left)
	}
	close(batches)
	wg.Wait()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
