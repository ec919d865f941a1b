package bolt_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/bolt"
)

func open(t *testing.T) (*bolt.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.db")
	db, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func TestLettersAndDisclosureIndex(t *testing.T) {
	db, _ := open(t)
	ctx := t.Context()
	for i := range 5 {
		id := fmt.Sprintf("CN%02d", i)
		l := &chengnuo.StoredLetter{ID: id, Digest: id, State: chengnuo.StatePending}
		if prev, err := db.PutPending(ctx, l); err != nil || prev != nil {
			t.Fatal(prev, err)
		}
		if prev, _ := db.PutPending(ctx, &chengnuo.StoredLetter{ID: id, State: chengnuo.StatePending}); prev == nil || prev.Digest != id {
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
		if err := db.MarkAnchored(ctx, id, rec, row); err != nil {
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
	for _, err := range []error{getErr(db, "CN04"), db.AddNote(ctx, "none", chengnuo.Note{}), db.UpdateRecord(ctx, "none", &chengnuo.Commitment{}),
		db.MarkAnchored(ctx, "none", &chengnuo.Commitment{}, nil)} {
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
func TestMarkAnchoredNeverRegresses(t *testing.T) {
	db, _ := open(t)
	ctx := t.Context()
	if _, err := db.PutPending(ctx, &chengnuo.StoredLetter{ID: "CN01", Digest: "d", State: chengnuo.StatePending}); err != nil {
		t.Fatal(err)
	}
	active := &chengnuo.Commitment{ID: "CN01", Status: chengnuo.StatusActive, AnchoredAt: t0,
		History: []chengnuo.Transition{{Status: chengnuo.StatusActive, At: t0}}}
	row := &chengnuo.DisclosedLetter{CommitmentID: "CN01", From: t0, Until: t0.Add(24 * time.Hour)}
	if err := db.MarkAnchored(ctx, "CN01", active, row); err != nil {
		t.Fatal(err)
	}
	withdrawn := &chengnuo.Commitment{ID: "CN01", Status: chengnuo.StatusWithdrawn, AnchoredAt: t0,
		History: append(append([]chengnuo.Transition{}, active.History...), chengnuo.Transition{Status: chengnuo.StatusWithdrawn, At: t0.Add(time.Minute)})}
	if err := db.UpdateRecord(ctx, "CN01", withdrawn); err != nil {
		t.Fatal(err)
	}
	// The late recovery.
	if err := db.MarkAnchored(ctx, "CN01", active, row); err != nil {
		t.Fatal(err)
	}
	if l, _ := db.Get(ctx, "CN01"); l.Record.Status != chengnuo.StatusWithdrawn {
		t.Fatalf("the record went back to %s", l.Record.Status)
	}
	if l, _ := db.Disclosures(ctx, t0.Add(time.Hour), chengnuo.Page{}); len(l.Items) != 0 {
		t.Fatalf("a withdrawn letter is disclosed again: %+v", l.Items)
	}
}

func getErr(db *bolt.DB, id string) error {
	_, err := db.Get(context.Background(), id)
	return err
}

func TestNumbersTextsAndInbox(t *testing.T) {
	db, path := open(t)
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
	db2, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
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
	if u, _ := db2.Undelivered(ctx, 10); len(u) != 1 || string(u[0].Details) != "personal" {
		t.Fatalf("undelivered %+v (a second put must not replace the first)", u)
	}
	if err := db2.PutOutgoing(ctx, &chengnuo.Outgoing{}); chengnuo.ErrorCode(err) != chengnuo.EINTERNAL {
		t.Fatalf("a delivery without a key: %v", err)
	}
	if err := db2.MarkDelivered(ctx, "details~VRo"); err != nil {
		t.Fatal(err)
	}
	if u, _ := db2.Undelivered(ctx, 10); len(u) != 0 {
		t.Fatal("delivered details kept")
	}
	db2.Close()
	if _, err := db2.Get(ctx, "x"); chengnuo.ErrorCode(err) != chengnuo.EUNAVAILABLE {
		t.Fatalf("closed store: %v", err)
	}
}
