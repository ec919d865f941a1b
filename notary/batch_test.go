package notary_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/bolt"
	"github.com/chengnuo/chengnuo/metrics"
	"github.com/chengnuo/chengnuo/notary"
	"github.com/chengnuo/chengnuo/sm"
)

// countingStore records the size of every letter write.
type countingStore struct {
	chengnuo.Store
	mu    sync.Mutex
	puts  []int
	marks []int
}

func (c *countingStore) PutPending(ctx context.Context, ls []*chengnuo.StoredLetter) ([]*chengnuo.StoredLetter, error) {
	c.mu.Lock()
	c.puts = append(c.puts, len(ls))
	c.mu.Unlock()
	return c.Store.PutPending(ctx, ls)
}

func (c *countingStore) MarkAnchored(ctx context.Context, marks []chengnuo.AnchorMark) error {
	c.mu.Lock()
	c.marks = append(c.marks, len(marks))
	c.mu.Unlock()
	return c.Store.MarkAnchored(ctx, marks)
}

func (c *countingStore) writes() (puts, marks []int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.puts), slices.Clone(c.marks)
}

// countedDept is a market department whose store counts its writes.
func (e *env) countedDept(cfg notary.Config) (*notary.Service, *countingStore) {
	e.t.Helper()
	db, err := bolt.Open(filepath.Join(e.t.TempDir(), "letters.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	cs := &countingStore{Store: db}
	cfg.MSPID, cfg.ApplicantSecret, cfg.NumberPrefix = "MarketMSP", secret, prefixes["MarketMSP"]
	svc, err := notary.New(e.t.Context(), cfg, e.net.Client(e.t, "MarketMSP"), cs)
	if err != nil {
		e.t.Fatal(err)
	}
	return svc, cs
}

// holdSubmits makes the ledger's next submission wait until release is
// closed; held is closed once it waits.
func (e *env) holdSubmits() (held, release chan struct{}) {
	held, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.net.FailSubmit = func(string) error {
		first := false
		once.Do(func() { first = true })
		if first {
			close(held)
			<-release
		}
		return nil
	}
	return held, release
}

// TestABatchIsStoredInOneWrite: the letters that share a transaction are
// stored in one write before it and marked anchored in one write after it,
// not one write per letter.
func TestABatchIsStoredInOneWrite(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	svc, cs := e.countedDept(notary.Config{BatchLinger: 2 * time.Second, BatchWorkers: 4})
	ctx := t.Context()
	held, release := e.holdSubmits()
	var first sync.WaitGroup
	first.Go(func() {
		if _, err := svc.Submit(ctx, signedLetter(t, svc, "T-1", alice)); err != nil {
			t.Error(err)
		}
	})
	<-held
	if puts, marks := cs.writes(); !slices.Equal(puts, []int{1}) || len(marks) != 0 {
		t.Fatalf("the first letter, in flight: puts %v marks %v, want [1] and none", puts, marks)
	}
	const n = 12
	var reqs []chengnuo.SubmitRequest
	for range n {
		reqs = append(reqs, signedLetter(t, svc, "T-1", alice))
	}
	var wg sync.WaitGroup
	receipts := make([]*chengnuo.Receipt, n)
	for i, r := range reqs {
		wg.Go(func() {
			rc, err := svc.Submit(ctx, r)
			if err != nil || rc.Status != chengnuo.StatusActive {
				t.Errorf("submission while busy: %+v %v", rc, err)
			}
			receipts[i] = rc
		})
	}
	wg.Wait()
	close(release)
	first.Wait()
	puts, marks := cs.writes()
	slices.Sort(puts)
	slices.Sort(marks)
	if !slices.Equal(puts, []int{1, n}) || !slices.Equal(marks, []int{1, n}) {
		t.Fatalf("store writes: puts %v, marks %v; want [1 %d] each", puts, marks, n)
	}
	for _, rc := range receipts {
		st, err := cs.Get(ctx, rc.CommitmentID)
		if err != nil || st.State != chengnuo.StateAnchored || st.Record.TxID != rc.TxID {
			t.Fatalf("stored %+v %v, want anchored by %s", st, err, rc.TxID)
		}
	}
	// A resubmission is answered from the store and writes nothing.
	if rc, err := svc.Submit(ctx, reqs[0]); err != nil || rc.TxID != receipts[0].TxID {
		t.Fatalf("resubmission: %+v %v", rc, err)
	}
	if p, m := cs.writes(); len(p) != 2 || len(m) != 2 {
		t.Fatalf("a resubmission wrote: puts %v marks %v", p, m)
	}
}

// TestALetterNoWorkerTookIsNotStored: a letter still queued when its request
// ends is answered EUNAVAILABLE, nothing stored, and never anchored; a
// letter a worker took and stored is answered pending (202) and anchored
// all the same.
func TestALetterNoWorkerTookIsNotStored(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	reg := metrics.New()
	svc, cs := e.countedDept(notary.Config{BatchWorkers: 1, Metrics: reg})
	ctx := t.Context()
	held, release := e.holdSubmits()
	gauges := func() string {
		var b strings.Builder
		reg.Write(&b)
		return b.String()
	}

	// Taken and stored, then held at the ledger past its request's end.
	taken := signedLetter(t, svc, "T-1", alice)
	tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	var pending *chengnuo.Receipt
	wg.Go(func() {
		var err error
		if pending, err = svc.Submit(tctx, taken); err != nil {
			t.Error(err)
		}
	})
	<-held

	// The one worker is busy: this one waits in the queue past its end.
	queued := signedLetter(t, svc, "T-1", alice)
	qctx, qcancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer qcancel()
	go func() {
		time.Sleep(100 * time.Millisecond)
		if g := gauges(); !strings.Contains(g, "chengnuo_anchor_queue_letters 1\n") {
			t.Errorf("while a letter waits, the queue gauge says:\n%s", g)
		}
	}()
	rc, err := svc.Submit(qctx, queued)
	code(t, err, chengnuo.EUNAVAILABLE)
	if rc != nil || chengnuo.ErrorMessage(err) != "the gateway is too busy to take the letter now; nothing was stored; submit it again" {
		t.Fatalf("queued letter: %+v %v", rc, err)
	}
	if g := gauges(); !strings.Contains(g, "chengnuo_letters_dropped_total 1\n") || !strings.Contains(g, "chengnuo_anchor_queue_letters 0\n") {
		t.Errorf("after the drop, metrics say:\n%s", g)
	}
	wg.Wait()
	if pending == nil || pending.Status != chengnuo.StatusPending {
		t.Fatalf("stored letter held at the ledger: %+v, want PENDING", pending)
	}
	queuedID := chengnuo.CommitmentID(sm.SM3Hex([]byte(queued.Letter)))
	if _, err := cs.Get(ctx, queuedID); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("the queued letter was stored: %v", err)
	}
	if st, err := cs.Get(ctx, pending.CommitmentID); err != nil || st.State != chengnuo.StatePending {
		t.Fatalf("the taken letter: %+v %v, want stored pending", st, err)
	}

	// The ledger comes back: the taken letter is anchored by its worker; the
	// dropped one is passed over. A later letter shows the worker moved on.
	close(release)
	later, err := svc.Submit(ctx, signedLetter(t, svc, "T-1", alice))
	if err != nil || later.Status != chengnuo.StatusActive {
		t.Fatalf("a later letter: %+v %v", later, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := cs.Get(ctx, pending.CommitmentID)
		if err == nil && st.State == chengnuo.StateAnchored {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the taken letter was not anchored: %+v %v", st, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := cs.Get(ctx, queuedID); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("the dropped letter was stored later: %v", err)
	}
	if res, err := svc.VerifyDigest(ctx, sm.SM3Hex([]byte(queued.Letter))); err != nil || res.Anchored {
		t.Fatalf("the dropped letter is on the ledger: %+v %v", res, err)
	}
	// Sent again, it goes through.
	if rc, err := svc.Submit(ctx, queued); err != nil || rc.Status != chengnuo.StatusActive {
		t.Fatalf("the dropped letter sent again: %+v %v", rc, err)
	}
}
