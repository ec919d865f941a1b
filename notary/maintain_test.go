package notary_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/bolt"
	"github.com/chengnuo/chengnuo/notary"
)

// While the gateway runs, a letter whose anchoring failed is anchored by
// the background loop, without a restart.
func TestMaintainAnchorsInTheBackground(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{})
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	req := signedLetter(t, m.svc, "T-1", alice)
	var down atomic.Bool
	down.Store(true)
	e.net.FailSubmit = func(string) error {
		if down.Load() {
			return errors.New("orderers away")
		}
		return nil
	}
	// Stored and answered at once: pending, to be anchored in the background.
	if rc, err := m.svc.Submit(ctx, req); err != nil || rc.Status != chengnuo.StatusPending || rc.TxID != "" {
		t.Fatalf("submit while the ledger is away: %+v %v", rc, err)
	}
	go m.svc.Maintain(ctx, 20*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	down.Store(false)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if p, _ := m.db.Pending(ctx, 10); len(p) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the pending letter was not anchored in the background")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if v, err := m.svc.VerifyLetter(ctx, []byte(req.Letter)); err != nil || !v.Anchored {
		t.Fatalf("verify: %+v %v", v, err)
	}
}

// pagingStore records the pages Deliver asks for.
type pagingStore struct {
	*bolt.DB
	afters []string
}

func (p *pagingStore) Undelivered(ctx context.Context, after string, limit int) ([]*chengnuo.Outgoing, error) {
	p.afters = append(p.afters, after)
	return p.DB.Undelivered(ctx, after, limit)
}

// Deliver pages through every kept delivery: deliveries not due at the
// front (purges waiting for their time) do not hide the ones behind them,
// as they did when it read the first 1,000 only (issue 29).
func TestDeliverPagesThroughEveryDelivery(t *testing.T) {
	e := newEnv(t)
	db, err := bolt.Open(filepath.Join(t.TempDir(), "letters.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ps := &pagingStore{DB: db}
	svc, err := notary.New(t.Context(), notary.Config{MSPID: "MarketMSP", NumberPrefix: "虎市监承", ApplicantSecret: secret}, e.net.Client(t, "MarketMSP"), ps)
	if err != nil {
		t.Fatal(err)
	}
	svc.SetDeliverPage(2)
	far := time.Now().Add(24 * time.Hour)
	for i := range 5 {
		o := &chengnuo.Outgoing{Key: fmt.Sprintf("purge~VR%d", i), Kind: chengnuo.DeliverPurge, To: "MarketMSP", Due: far,
			Request: &chengnuo.VerificationRequest{ID: fmt.Sprintf("VR%d", i)}}
		if err := db.PutOutgoing(t.Context(), o); err != nil {
			t.Fatal(err)
		}
	}
	ps.afters = nil
	if err := svc.Deliver(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ps.afters); got != "[ purge~VR1 purge~VR3]" {
		t.Fatalf("Deliver read the pages after %s; want every page: [ purge~VR1 purge~VR3]", got)
	}
}
