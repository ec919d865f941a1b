package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/gateway"
)

// verifyOnly answers public verification and nothing else.
type verifyOnly struct {
	chengnuo.Service
	res *chengnuo.VerifyResult
}

func (v verifyOnly) VerifyDigest(context.Context, string) (*chengnuo.VerifyResult, error) {
	return v.res, nil
}
func (v verifyOnly) VerifyLetter(context.Context, []byte) (*chengnuo.VerifyResult, error) {
	return v.res, nil
}

// discard is a ResponseWriter that keeps nothing but its headers, reset by
// each request.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkVerifyRoute is the gateway's own work on a public verification,
// every middleware included, without the network: what is left of a
// request's CPU once the kernel's reads and writes are taken out.
func BenchmarkVerifyRoute(b *testing.B) {
	s := gateway.New(gateway.Options{Service: verifyOnly{res: verified(digest)}, MSPID: "JusticeMSP", PublicRate: 1e9, PublicBurst: 1e9})
	b.Run("digest", func(b *testing.B) {
		req := httptest.NewRequest("GET", "/v1/verify/"+digest, nil)
		req.RemoteAddr = "198.18.0.9:40000"
		w := &discard{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			s.ServeHTTP(w, req)
		}
	})
	b.Run("letter", func(b *testing.B) {
		body := `{"letter":"` + strings.Repeat(`{\"applicant\":\"压测\"},`, 80) + `"}`
		w := &discard{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest("POST", "/v1/verify", strings.NewReader(body))
			req.RemoteAddr = "198.18.0.9:40000"
			clear(w.h)
			s.ServeHTTP(w, req)
		}
	})
}
