package notary

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
)

// slowItems is a ledger whose item reads wait for release and are counted.
type slowItems struct {
	calls   atomic.Int32
	release chan struct{}
	version atomic.Int32
	fail    atomic.Bool
}

func (s *slowItems) GetItem(ctx context.Context, code string, _ int) (*chengnuo.Item, error) {
	s.calls.Add(1)
	select {
	case <-s.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if s.fail.Load() {
		return nil, chengnuo.Errorf(chengnuo.EUNAVAILABLE, "the peer is busy")
	}
	return &chengnuo.Item{Code: code, Version: int(s.version.Load()), Status: chengnuo.ItemActive}, nil
}

// getAll asks for the item from n goroutines at once and returns what
// each got.
func getAll(c *itemCache, src itemSource, n int) ([]*chengnuo.Item, []error) {
	its, errs := make([]*chengnuo.Item, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { its[i], errs[i] = c.get(context.Background(), src, "SC-001", 0) })
	}
	wg.Wait()
	return its, errs
}

// TestItemCacheLoadsOnce: however many submissions need an item at once,
// the ledger is asked once; when the entry ages out, one caller refreshes
// it while the others go on with the entry held.
func TestItemCacheLoadsOnce(t *testing.T) {
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	c := newItemCache(func() time.Time { clock.Lock(); defer clock.Unlock(); return now })
	src := &slowItems{release: make(chan struct{})}
	src.version.Store(1)

	// Empty cache: 200 callers, one read, all get its item.
	go func() {
		for src.calls.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond) // let the others queue behind the load
		close(src.release)
	}()
	its, errs := getAll(c, src, 200)
	if n := src.calls.Load(); n != 1 {
		t.Fatalf("%d ledger reads for 200 callers, want 1", n)
	}
	for i := range its {
		if errs[i] != nil || its[i] == nil || its[i].Version != 1 {
			t.Fatalf("caller %d: %+v %v", i, its[i], errs[i])
		}
	}

	// Aged out while a refresh is held at the ledger: the others do not
	// wait, and get the entry held.
	clock.Lock()
	now = now.Add(itemCacheAge + time.Second)
	clock.Unlock()
	src.release = make(chan struct{})
	src.version.Store(2)
	refreshed := make(chan *chengnuo.Item)
	go func() {
		it, _ := c.get(context.Background(), src, "SC-001", 0)
		refreshed <- it
	}()
	for src.calls.Load() != 2 {
		time.Sleep(time.Millisecond)
	}
	its, errs = getAll(c, src, 100)
	for i := range its {
		if errs[i] != nil || its[i].Version != 1 {
			t.Fatalf("caller %d during the refresh: %+v %v", i, its[i], errs[i])
		}
	}
	if n := src.calls.Load(); n != 2 {
		t.Fatalf("%d ledger reads, want 2", n)
	}
	close(src.release)
	if it := <-refreshed; it.Version != 2 {
		t.Fatalf("refreshed %+v", it)
	}
	if it, err := c.get(context.Background(), src, "SC-001", 0); err != nil || it.Version != 2 || src.calls.Load() != 2 {
		t.Fatalf("after the refresh: %+v %v, %d reads", it, err, src.calls.Load())
	}
}

// TestItemCacheFailureIsShared: a failed load answers everyone waiting for
// it, is not cached, and the next caller tries again; a caller whose own
// time runs out stops waiting without failing the load.
func TestItemCacheFailureIsShared(t *testing.T) {
	c := newItemCache(time.Now)
	src := &slowItems{release: make(chan struct{})}
	src.fail.Store(true)
	go func() {
		for src.calls.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
		close(src.release)
	}()
	_, errs := getAll(c, src, 50)
	for i, err := range errs {
		if chengnuo.ErrorCode(err) != chengnuo.EUNAVAILABLE {
			t.Fatalf("caller %d: %v", i, err)
		}
	}
	if n := src.calls.Load(); n != 1 {
		t.Fatalf("%d ledger reads, want 1", n)
	}
	src.fail.Store(false)
	src.version.Store(3)
	if it, err := c.get(context.Background(), src, "SC-001", 0); err != nil || it.Version != 3 || src.calls.Load() != 2 {
		t.Fatalf("after a failure: %+v %v, %d reads", it, err, src.calls.Load())
	}

	// A waiter with a short deadline gives up; the load it waited for
	// still completes for the caller that started it.
	c = newItemCache(time.Now)
	src = &slowItems{release: make(chan struct{})}
	src.version.Store(4)
	first := make(chan error)
	go func() {
		_, err := c.get(context.Background(), src, "SC-001", 0)
		first <- err
	}()
	for src.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := c.get(ctx, src, "SC-001", 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiter past its deadline: %v", err)
	}
	close(src.release)
	if err := <-first; err != nil {
		t.Fatalf("the load itself: %v", err)
	}
}
