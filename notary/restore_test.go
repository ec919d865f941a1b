package notary_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/bolt"
	"github.com/chengnuo/chengnuo/notary"
)

// Issue 34: a store restored from a backup holds the letters anchored
// before it; the letters anchored after it are found on the ledger, kept as
// lost, and the serial numbers skip past every number that may have been
// issued meanwhile.
func TestReconcileAfterRestore(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	ctx := t.Context()
	m, _ := withIndex(t, e, "MarketMSP")
	p := e.dept("PoliceMSP", notary.Config{})
	before, err := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice))
	if err != nil {
		t.Fatal(err)
	}
	// The backup: a consistent snapshot of the store while it is open.
	snapshot := filepath.Join(t.TempDir(), "letters.db")
	if err := m.db.Snapshot(func(size int64, w io.WriterTo) error {
		f, err := os.Create(snapshot)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := w.WriteTo(f)
		if err == nil && n != size {
			t.Errorf("snapshot of %d bytes, announced %d", n, size)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var after []*chengnuo.Receipt
	for range 2 {
		rc, err := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice))
		if err != nil {
			t.Fatal(err)
		}
		after = append(after, rc)
	}
	// Another department's letter is not market's to collect.
	if _, err := p.svc.Submit(ctx, signedLetter(t, p.svc, "T-1", alice)); err != nil {
		t.Fatal(err)
	}

	// The host is lost; the store comes back from the snapshot, with a
	// read model rebuilt from the blocks.
	db, err := bolt.Open(snapshot)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	idx, err := bolt.OpenIndex(filepath.Join(t.TempDir(), "restored.index"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	restored, err := notary.New(ctx, notary.Config{MSPID: "MarketMSP", ApplicantSecret: secret, NumberPrefix: "市监承", Index: idx}, m.ledger, db)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = restored.Follow(ctx, m.ledger) }()
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r, err := restored.Reconcile(rctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Anchored != 3 || r.Held != 1 || len(r.Lost) != 2 || r.Height != e.net.Height() {
		t.Fatalf("reconciliation %+v", r)
	}
	lost := map[string]*chengnuo.LostLetter{}
	for _, l := range r.Lost {
		lost[l.ID] = l
	}
	for _, rc := range after {
		l := lost[rc.CommitmentID]
		if l == nil || l.LetterDigest != rc.LetterDigest || l.BlockNumber != rc.BlockNumber || l.TxID != rc.TxID || l.ItemCode != "T-1" {
			t.Fatalf("lost letter of %+v: %+v", rc, l)
		}
	}
	if lost[before.CommitmentID] != nil {
		t.Fatal("a letter in the backup is called lost")
	}
	if l, err := db.GetLost(ctx, after[0].CommitmentID); err != nil || l.LetterDigest != after[0].LetterDigest {
		t.Fatalf("not marked in the store: %+v %v", l, err)
	}
	year := time.Now().In(chengnuo.China).Year()
	if r.SkippedNumbers[strconv.Itoa(year)] != 2*2+chengnuo.RestoreNumberGap {
		t.Fatalf("skipped %v", r.SkippedNumbers)
	}
	// The backup had issued one number (the first letter's draft); the
	// next is past the skipped ones.
	if n, err := db.NextNumber(ctx, year); err != nil || n != 1+2*2+chengnuo.RestoreNumberGap+1 {
		t.Fatalf("next number %d %v", n, err)
	}
	// The clerk asking for a lost letter is told what became of it.
	if _, err := restored.Commitment(ctx, after[0].CommitmentID); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND ||
		!strings.Contains(chengnuo.ErrorMessage(err), "after the backup") {
		t.Fatalf("a lost letter's view: %v", err)
	}
	// A peer that has not caught up with the channel is waited for, not
	// trusted: letters anchored last would go unnoticed.
	short, stop := context.WithTimeout(ctx, 500*time.Millisecond)
	defer stop()
	if _, err := restored.Reconcile(short, e.net.Height()+100); chengnuo.ErrorCode(err) != chengnuo.EUNAVAILABLE {
		t.Fatalf("reconcile ahead of the peer: %v", err)
	}
	// Run again: the same letters, kept once.
	r2, err := restored.Reconcile(rctx, 0)
	if err != nil || len(r2.Lost) != 2 || r2.Held != 1 {
		t.Fatalf("again: %+v %v", r2, err)
	}
	if l, _ := db.Lost(ctx, chengnuo.Page{}); len(l.Items) != 2 {
		t.Fatalf("kept %d lost letters", len(l.Items))
	}
}

// Issue 33: a draft is dropped once its letter is anchored (the letter
// holds the same text), which halves what a letter costs the store; asked
// for again, the draft is the letter's text.
func TestDraftDroppedOnceAnchored(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	ctx := t.Context()
	m := e.dept("MarketMSP", notary.Config{})
	req := signedLetter(t, m.svc, "T-1", alice)
	rc, err := m.svc.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.db.GetDraft(ctx, rc.CommitmentID); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("the draft of an anchored letter is still stored: %v", err)
	}
	d, err := m.svc.GetDraft(ctx, rc.CommitmentID)
	if err != nil || d.Canonical != req.Letter || d.Letter == nil || d.Letter.Number == "" {
		t.Fatalf("the draft asked for again: %+v %v", d, err)
	}
	if p, err := m.svc.PrintDraft(ctx, rc.LetterDigest); err != nil || p.Digest != rc.LetterDigest {
		t.Fatalf("printing the draft again: %+v %v", p, err)
	}
	// Submitted again (a lost answer): the same receipt, nothing new.
	again, err := m.svc.Submit(ctx, req)
	if err != nil || again.TxID != rc.TxID {
		t.Fatalf("resubmission: %+v %v", again, err)
	}
}
