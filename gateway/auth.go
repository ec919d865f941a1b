package gateway

import (
	"container/list"
	"crypto/subtle"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/sm"
)

// HashKey returns the stored form of an API key: its SM3 (hex).
func HashKey(key string) string { return sm.SM3Hex([]byte(key)) }

const ctxClient = "client"

// authenticate resolves the caller's key, if any, from "Authorization:
// Bearer <key>" or "X-API-Key: <key>".
func (s *Server) authenticate(c *gin.Context) (*chengnuo.APIKey, bool) {
	key := c.GetHeader("X-API-Key")
	if h := c.GetHeader("Authorization"); key == "" && strings.HasPrefix(h, "Bearer ") {
		key = strings.TrimPrefix(h, "Bearer ")
	}
	if key == "" {
		return nil, false
	}
	hash := HashKey(key)
	for i := range s.opts.APIKeys {
		k := &s.opts.APIKeys[i]
		if subtle.ConstantTimeCompare([]byte(k.Hash), []byte(hash)) == 1 {
			return k, true
		}
	}
	return nil, false
}

// require admits callers holding at least one of roles.
func (s *Server) require(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		k, ok := s.authenticate(c)
		if !ok {
			s.fail(c, chengnuo.Errorf(chengnuo.EUNAUTHORIZED, "a valid API key is required (Authorization: Bearer <key>)"))
			return
		}
		for _, r := range roles {
			if slices.Contains(k.Roles, r) {
				c.Set(ctxClient, k.Name)
				c.Next()
				return
			}
		}
		s.fail(c, chengnuo.Errorf(chengnuo.EFORBIDDEN, "this API key lacks the role for this action (needs one of %s)", strings.Join(roles, ", ")))
	}
}

// limiter rate-limits public endpoints per client. A client is an IPv4
// address or an IPv6 /64 — the block one subscriber is given, so rotating
// addresses inside it gains nothing. It remembers at most max clients and
// forgets the one seen least recently when a new one comes: a request costs
// O(1) under the lock, and a flood of new addresses cannot grow the map.
type limiter struct {
	mu      sync.Mutex
	per     rate.Limit
	burst   int
	max     int
	clients map[netip.Prefix]*list.Element // of *visitor
	recent  *list.List                     // front: seen last
}

type visitor struct {
	key netip.Prefix
	lim *rate.Limiter
}

// DefaultMaxClients is how many clients the public rate limit remembers.
const DefaultMaxClients = 50000

func newLimiter(perSecond float64, burst, max int) *limiter {
	return &limiter{per: rate.Limit(perSecond), burst: burst, max: max, clients: map[netip.Prefix]*list.Element{}, recent: list.New()}
}

// clientKey is the rate limit's unit of an address: the IPv4 address
// (IPv4-mapped IPv6 included), or the IPv6 /64. An address that does not
// parse shares one bucket with every other such address.
func clientKey(addr string) netip.Prefix {
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

func (l *limiter) allow(addr string) bool {
	key := clientKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.clients[key]; ok {
		l.recent.MoveToFront(e)
		return e.Value.(*visitor).lim.Allow()
	}
	if l.recent.Len() >= l.max {
		oldest := l.recent.Back()
		l.recent.Remove(oldest)
		delete(l.clients, oldest.Value.(*visitor).key)
	}
	v := &visitor{key: key, lim: rate.NewLimiter(l.per, l.burst)}
	l.clients[key] = l.recent.PushFront(v)
	return v.lim.Allow()
}

// size is the number of clients remembered.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

func (s *Server) public(c *gin.Context) {
	if s.limit != nil && !s.limit.allow(c.ClientIP()) {
		c.Header("Retry-After", "1")
		s.fail(c, chengnuo.Errorf(chengnuo.ERATELIMITED, "too many requests; slow down"))
		return
	}
	c.Next()
}
