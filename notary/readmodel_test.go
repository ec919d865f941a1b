package notary_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/bolt"
	"github.com/chengnuo/chengnuo/metrics"
	"github.com/chengnuo/chengnuo/notary"
)

// waitHeight waits until the service's read model has applied block n-1.
func waitHeight(t *testing.T, s *notary.Service, n uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.IndexHeight() < n {
		if time.Now().After(deadline) {
			t.Fatalf("read model at height %d, want %d", s.IndexHeight(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// withIndex starts msp's service with a read model.
func withIndex(t *testing.T, e *env, msp string) (*dept, *bolt.Index) {
	t.Helper()
	idx, err := bolt.OpenIndex(filepath.Join(t.TempDir(), msp+".index"), msp == chengnuo.CreditAuthority)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	return e.dept(msp, notary.Config{Index: idx}), idx
}

func TestReadModelServesVerification(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{})
	p, idx := withIndex(t, e, "PoliceMSP")
	ctx := t.Context()
	go func() { _ = p.svc.Follow(ctx, p.ledger) }()

	req := signedLetter(t, m.svc, "T-1", alice)
	rc, err := m.svc.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	waitHeight(t, p.svc, rc.BlockNumber+1)
	if got := p.svc.LastEventBlock(); got != rc.BlockNumber {
		t.Fatalf("last block with an event %d, want the anchoring block %d", got, rc.BlockNumber)
	}
	rec, err := idx.Commitment(ctx, rc.CommitmentID)
	if err != nil || rec.TxID != rc.TxID || rec.BlockNumber != rc.BlockNumber || rec.Status != chengnuo.StatusActive {
		t.Fatalf("indexed record %+v %v, receipt %+v", rec, err, rc)
	}
	v, err := p.svc.VerifyLetter(ctx, []byte(req.Letter))
	if err != nil || !v.Anchored || v.Record.ApplicantKey != "" || v.Height <= rc.BlockNumber || v.Record.BlockNumber != rc.BlockNumber {
		t.Fatalf("verify from the read model: %+v %v", v, err)
	}

	// A change keeps the anchoring block's number and is seen at once.
	if _, err := m.svc.Withdraw(ctx, rc.CommitmentID, "申请人撤回"); err != nil {
		t.Fatal(err)
	}
	waitHeight(t, p.svc, e.net.Height())
	v, err = p.svc.VerifyDigest(ctx, rc.LetterDigest)
	if err != nil || v.Record.Status != chengnuo.StatusWithdrawn || v.Record.BlockNumber != rc.BlockNumber || v.Height != e.net.Height() {
		t.Fatalf("after withdrawal: %+v %v (height %d)", v, err, e.net.Height())
	}

	// Bare anchors are indexed too.
	a, err := m.svc.Anchor(ctx, "ab"+rc.LetterDigest[2:])
	if err != nil {
		t.Fatal(err)
	}
	waitHeight(t, p.svc, a.BlockNumber+1)
	if got, err := idx.Anchor(ctx, a.Digest); err != nil || got.TxID != a.TxID || got.BlockNumber != a.BlockNumber {
		t.Fatalf("indexed anchor %+v %v, want %+v", got, err, a)
	}
}

// A letter in a block the read model has not applied yet is still found:
// the service asks the ledger, and says so in the height.
func TestReadModelFallsBackToTheLedger(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{})
	p, _ := withIndex(t, e, "PoliceMSP") // not following
	ctx := t.Context()
	req := signedLetter(t, m.svc, "T-1", alice)
	rc, err := m.svc.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.svc.VerifyLetter(ctx, []byte(req.Letter))
	if err != nil || !v.Anchored || v.Height != rc.BlockNumber+1 {
		t.Fatalf("verify without the read model: %+v %v", v, err)
	}
	other := "ff" + rc.LetterDigest[2:]
	if other == rc.LetterDigest { // one digest in 256 starts with ff
		other = "00" + rc.LetterDigest[2:]
	}
	v, err = p.svc.VerifyDigest(ctx, other)
	if err != nil || v.Anchored {
		t.Fatalf("unknown digest: %+v %v", v, err)
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	reg := metrics.New()
	m := e.dept("MarketMSP", notary.Config{Metrics: reg})
	ctx := t.Context()
	if _, err := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice)); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	reg.Write(&b)
	for _, want := range []string{
		`chengnuo_anchor_batches_total{outcome="ok"} 1`,
		`chengnuo_anchor_batch_letters_count 1`,
		"chengnuo_pending_letters 0\n",
		"chengnuo_pending_oldest_age_seconds 0\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, b.String())
		}
	}
}
