package notary_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
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
