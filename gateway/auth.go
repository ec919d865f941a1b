package gateway

import (
	"crypto/subtle"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

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

// limiter rate-limits public endpoints per client address.
type limiter struct {
	mu      sync.Mutex
	per     rate.Limit
	burst   int
	clients map[string]*visitor
}

type visitor struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{per: rate.Limit(perSecond), burst: burst, clients: map[string]*visitor{}}
}

func (l *limiter) allow(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.clients) > 10000 {
		for k, v := range l.clients {
			if now.Sub(v.seen) > time.Minute {
				delete(l.clients, k)
			}
		}
	}
	v, ok := l.clients[host]
	if !ok {
		v = &visitor{lim: rate.NewLimiter(l.per, l.burst)}
		l.clients[host] = v
	}
	v.seen = now
	return v.lim.Allow()
}

func (s *Server) public(c *gin.Context) {
	if s.limit != nil && !s.limit.allow(c.ClientIP()) {
		c.Header("Retry-After", "1")
		s.fail(c, chengnuo.Errorf(chengnuo.ERATELIMITED, "too many requests; slow down"))
		return
	}
	c.Next()
}
