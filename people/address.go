package people

import (
	"container/list"
	"net"
	"net/netip"
	"sync"
	"time"
)

// addressFailures counts failed logins per client address — an IPv4
// address or an IPv6 /64 — within a window and locks an address out when
// it reaches the limit. It remembers at most max addresses and forgets the
// one seen least recently (a flood of new addresses cannot grow it). It is
// per gateway replica; the per-account lock is in the shared store.
type addressFailures struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	max    int
	m      map[netip.Prefix]*list.Element
	recent *list.List
}

type addressEntry struct {
	key         netip.Prefix
	first       time.Time // start of the window
	n           int
	lockedUntil time.Time
}

func newAddressFailures(limit int, window time.Duration, max int) *addressFailures {
	return &addressFailures{limit: limit, window: window, max: max, m: map[netip.Prefix]*list.Element{}, recent: list.New()}
}

func addressKey(addr string) netip.Prefix {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}
	}
	ip = ip.WithZone("").Unmap()
	if ip.Is4() {
		return netip.PrefixFrom(ip, 32)
	}
	p, _ := ip.Prefix(64)
	return p
}

func (f *addressFailures) locked(addr string, now time.Time) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.m[addressKey(addr)]; ok {
		v := e.Value.(*addressEntry)
		return v.lockedUntil, now.Before(v.lockedUntil)
	}
	return time.Time{}, false
}

func (f *addressFailures) fail(addr string, now time.Time) {
	key := addressKey(addr)
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.m[key]
	if !ok {
		if f.recent.Len() >= f.max {
			old := f.recent.Back()
			f.recent.Remove(old)
			delete(f.m, old.Value.(*addressEntry).key)
		}
		e = f.recent.PushFront(&addressEntry{key: key, first: now})
		f.m[key] = e
	}
	f.recent.MoveToFront(e)
	v := e.Value.(*addressEntry)
	if now.Sub(v.first) > f.window {
		v.first, v.n = now, 0
	}
	v.n++
	if v.n >= f.limit {
		v.lockedUntil = now.Add(f.window)
	}
}
