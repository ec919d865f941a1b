package gateway

import (
	"fmt"
	"testing"
)

// The limiter remembers at most max clients, however many come, and keeps
// the ones seen last.
func TestLimiterIsBounded(t *testing.T) {
	l := newLimiter(1, 1, 100)
	for i := range 10000 {
		l.allow(fmt.Sprintf("[2001:db8:%x:%x::1]:1", i>>16, i&0xffff))
	}
	if n := l.size(); n != 100 {
		t.Fatalf("%d clients remembered, want 100", n)
	}
	// The last client is still known (and spent its one request).
	if l.allow("[2001:db8:0:270f::2]:9") {
		t.Fatal("the client seen last was forgotten")
	}
}

func BenchmarkLimiterManyClients(b *testing.B) {
	l := newLimiter(1000, 1000, DefaultMaxClients)
	addrs := make([]string, 200000)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("10.%d.%d.%d:1", i>>16, (i>>8)&0xff, i&0xff)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.allow(addrs[i%len(addrs)])
	}
}
