package bolt

import (
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/chengnuo/chengnuo"
)

// A store written before ledger states were kept apart holds each letter's
// state and record in the letter itself. It must read the same, and a
// later state must not regress below it.
func TestLettersStoredWithTheirStateStillRead(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	withdrawn := &chengnuo.Commitment{ID: "CNold", Status: chengnuo.StatusWithdrawn, BlockNumber: 9, History: []chengnuo.Transition{
		{Status: chengnuo.StatusActive, At: at}, {Status: chengnuo.StatusWithdrawn, At: at}}}
	old := []*chengnuo.StoredLetter{
		{ID: "CNold", Digest: "d1", Canonical: "{}", State: chengnuo.StateAnchored, Record: withdrawn, StoredAt: at},
		{ID: "CNpending", Digest: "d2", Canonical: "{}", State: chengnuo.StatePending, StoredAt: at},
	}
	err = db.db.Update(func(tx *bbolt.Tx) error { // as the earlier layout wrote them
		for _, l := range old {
			if err := putJSON(tx, bucketLetters, l.ID, l); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketPending).Put([]byte("CNpending"), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := db.Get(ctx, "CNold")
	if err != nil || l.State != chengnuo.StateAnchored || l.Record.Status != chengnuo.StatusWithdrawn {
		t.Fatalf("old letter read as %+v, %v", l, err)
	}
	// A recovery reporting the record as first anchored keeps the withdrawal.
	active := &chengnuo.Commitment{ID: "CNold", Status: chengnuo.StatusActive, History: withdrawn.History[:1]}
	if err := db.MarkAnchored(ctx, []chengnuo.AnchorMark{{ID: "CNold", Record: active}}); err != nil {
		t.Fatal(err)
	}
	if l, _ := db.Get(ctx, "CNold"); l.Record.Status != chengnuo.StatusWithdrawn || l.Record.BlockNumber != 9 || l.Canonical != "{}" {
		t.Fatalf("the withdrawal regressed: %+v", l.Record)
	}
	// The old pending letter is pending until marked, then anchored everywhere.
	if p, err := db.Pending(ctx, 10); err != nil || len(p) != 1 || p[0].ID != "CNpending" {
		t.Fatalf("pending %v %v", p, err)
	}
	rec := &chengnuo.Commitment{ID: "CNpending", Status: chengnuo.StatusActive, BlockNumber: 4, History: withdrawn.History[:1]}
	if err := db.MarkAnchored(ctx, []chengnuo.AnchorMark{{ID: "CNpending", Record: rec}}); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.Pending(ctx, 10); len(p) != 0 {
		t.Fatalf("still pending: %v", p)
	}
	list, err := db.Letters(ctx, chengnuo.Page{})
	if err != nil || len(list.Items) != 2 {
		t.Fatalf("letters %v %v", list, err)
	}
	for _, l := range list.Items {
		if l.State != chengnuo.StateAnchored || l.Record == nil {
			t.Errorf("listed %s as %s %v", l.ID, l.State, l.Record)
		}
	}
	// A note rewrites the letter, not its state; the state stays the newest.
	if err := db.AddNote(ctx, "CNpending", chengnuo.Note{Status: chengnuo.StatusWithdrawn, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if l, _ := db.Get(ctx, "CNpending"); l.State != chengnuo.StateAnchored || l.Record.BlockNumber != 4 || len(l.Notes) != 1 {
		t.Fatalf("after a note: %+v", l)
	}
	if err := db.Delete(ctx, "CNpending"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Get(ctx, "CNpending"); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("deleted letter: %v", err)
	}
	if err := db.MarkAnchored(ctx, []chengnuo.AnchorMark{{ID: "CNpending", Record: rec}}); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("marking a deleted letter: %v", err)
	}
}
