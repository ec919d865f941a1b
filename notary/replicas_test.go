package notary_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/internal/pgtest"
	"github.com/chengnuo/chengnuo/notary"
	"github.com/chengnuo/chengnuo/postgres"
)

// Two replicas of one department share a PostgreSQL store. A letter sent to
// both at once is stored once and anchored once, with one receipt; a letter
// one replica stored but could not anchor (its ledger calls failing) is
// anchored by the other's background pass — but only once it is older than
// RecoverAfter, so that a replica never races a submission in flight at
// another.
func TestReplicasShareOneStore(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	url := pgtest.Start(t).NewDB(t)
	now := time.Now()
	var clock atomic.Int64 // seconds added to now
	replica := func() *notary.Service {
		db, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		svc, err := notary.New(t.Context(), notary.Config{MSPID: "MarketMSP", NumberPrefix: "虎市监承", ApplicantSecret: secret, RecoverAfter: 20 * time.Second,
			Now: func() time.Time { return now.Add(time.Duration(clock.Load()) * time.Second) }}, e.net.Client(t, "MarketMSP"), db)
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	a, b := replica(), replica()
	ctx := t.Context()

	// The same letters at both replicas at once.
	var reqs []chengnuo.SubmitRequest
	for range 10 {
		reqs = append(reqs, signedLetter(t, a, "T-1", alice))
	}
	got := make([][2]*chengnuo.Receipt, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		for k, svc := range []*notary.Service{a, b} {
			wg.Go(func() {
				rc, err := svc.Submit(ctx, r)
				if err != nil {
					t.Error(err)
					return
				}
				got[i][k] = rc
			})
		}
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for i, g := range got {
		if g[0].TxID == "" || g[0].TxID != g[1].TxID || g[0].Status != chengnuo.StatusActive {
			t.Fatalf("letter %d: receipts %+v and %+v", i, g[0], g[1])
		}
	}
	// The ledger has each letter once, in the receipts' transaction (a
	// second anchoring of a digest is refused by the chaincode, and the
	// refused replica reports the first).
	for i, r := range reqs {
		v, err := b.VerifyLetter(ctx, []byte(r.Letter))
		if err != nil || !v.Anchored || v.Record.TxID != got[i][0].TxID || len(v.Record.History) != 1 {
			t.Fatalf("letter %d on the ledger: %+v %v", i, v, err)
		}
	}

	// Replica a stores a letter; the ledger fails its anchoring.
	var down atomic.Bool
	down.Store(true)
	e.net.FailSubmit = func(string) error {
		if down.Load() {
			return errors.New("injected")
		}
		return nil
	}
	req := signedLetter(t, a, "T-1", alice)
	if rc, err := a.Submit(ctx, req); err != nil || rc.Status != chengnuo.StatusPending {
		t.Fatalf("submit with the ledger failing: %+v %v", rc, err)
	}
	down.Store(false)
	// Too young: b leaves it to a.
	if n, err := b.Recover(ctx); err != nil || n != 0 {
		t.Fatalf("b recovered a fresh letter of a: %d %v", n, err)
	}
	clock.Store(21)
	if n, err := b.Recover(ctx); err != nil || n != 1 {
		t.Fatalf("b recovers a's letter: %d %v", n, err)
	}
	ra, err := a.Submit(ctx, req)
	if err != nil || ra.Status != chengnuo.StatusActive {
		t.Fatalf("a, asked again: %+v %v", ra, err)
	}
	rb, err := b.Submit(ctx, req)
	if err != nil || rb.TxID != ra.TxID {
		t.Fatalf("b, asked again: %+v %v; a said %s", rb, err, ra.TxID)
	}
}
