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
// letter costs no chaincode query for its item.
type itemCache struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]cachedItem // code + "|" + version (0: the latest)
}

type cachedItem struct {
	it *chengnuo.Item
	at time.Time
}

func newItemCache(now func() time.Time) *itemCache {
	return &itemCache{now: now, m: map[string]cachedItem{}}
}

func (c *itemCache) get(ctx context.Context, l chengnuo.Ledger, code string, version int) (*chengnuo.Item, error) {
	k := code + "|" + strconv.Itoa(version)
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if ok && c.now().Sub(e.at) < itemCacheAge {
		return e.it, nil
	}
	it, err := l.GetItem(ctx, code, version)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.m[k] = cachedItem{it: it, at: c.now()}
	c.mu.Unlock()
	return it, nil
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
