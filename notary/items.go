package notary

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/chengnuo/chengnuo"
)

// itemCacheAge bounds how long a cached catalog item is used without
// asking the ledger again. Publications and retirements reach the cache
// sooner, through ItemChanged; the age only bounds a missed event. The
// chaincode checks every letter's item again when anchoring, so a stale
// entry can delay a refusal, never admit a letter the ledger would not.
const itemCacheAge = 30 * time.Second

// itemCache keeps the catalog items drafts and submissions read, so that a
// letter costs no chaincode query for its item. One caller at a time loads
// an item the cache lacks or holds too long; while it does, the others use
// the entry held, however old, or, if there is none, wait for the load.
// Before, every submission in flight when an entry aged out queried the
// ledger at once: at 600 concurrent submissions that passed the peer's limit
// on concurrent gateway calls (500), and letters failed.
type itemCache struct {
	now     func() time.Time
	mu      sync.Mutex
	m       map[string]cachedItem // code + "|" + version (0: the latest)
	loading map[string]*itemLoad
}

type cachedItem struct {
	it *chengnuo.Item
	at time.Time
}

// itemLoad is one ledger read of an item that other callers may wait for.
type itemLoad struct {
	done chan struct{}
	it   *chengnuo.Item
	err  error
}

// itemSource is where the cache reads items (the ledger).
type itemSource interface {
	GetItem(ctx context.Context, code string, version int) (*chengnuo.Item, error)
}

// itemLoadTimeout bounds one load, which runs for every caller waiting for
// it, whatever the context of the caller that started it.
const itemLoadTimeout = 10 * time.Second

func newItemCache(now func() time.Time) *itemCache {
	return &itemCache{now: now, m: map[string]cachedItem{}, loading: map[string]*itemLoad{}}
}

func (c *itemCache) get(ctx context.Context, l itemSource, code string, version int) (*chengnuo.Item, error) {
	k := code + "|" + strconv.Itoa(version)
	c.mu.Lock()
	e, held := c.m[k]
	if held && c.now().Sub(e.at) < itemCacheAge {
		c.mu.Unlock()
		return e.it, nil
	}
	ld, loading := c.loading[k]
	if loading && held {
		c.mu.Unlock()
		return e.it, nil // being refreshed; the chaincode checks the item again
	}
	if !loading {
		ld = &itemLoad{done: make(chan struct{})}
		c.loading[k] = ld
	}
	c.mu.Unlock()
	if !loading {
		c.load(ctx, l, k, code, version, ld)
	}
	select {
	case <-ld.done:
		return ld.it, ld.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// load reads an item for every caller waiting on ld and caches it (not a
// failure: the next caller tries again).
func (c *itemCache) load(ctx context.Context, l itemSource, k, code string, version int, ld *itemLoad) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), itemLoadTimeout)
	defer cancel()
	ld.it, ld.err = l.GetItem(lctx, code, version)
	c.mu.Lock()
	if ld.err == nil {
		c.m[k] = cachedItem{it: ld.it, at: c.now()}
	}
	delete(c.loading, k)
	c.mu.Unlock()
	close(ld.done)
}

// forget drops every cached version of an item.
func (c *itemCache) forget(code string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if len(k) > len(code) && k[:len(code)] == code && k[len(code)] == '|' {
			delete(c.m, k)
		}
	}
}

// ItemChanged implements chengnuo.EventHandler: a published or retired item
// is read from the ledger again at its next use.
func (s *Service) ItemChanged(_ context.Context, it *chengnuo.Item) error {
	s.items.forget(it.Code)
	return nil
}
