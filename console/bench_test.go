package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/internal/fabrictest"
)

// benchLetters is how many letters the department of the workbench's
// benchmarks holds: a year of a busy counter.
const benchLetters = 100_000

// BenchmarkWorkbenchPages: the busiest pages of a department holding
// 100,000 letters — the letter list's first page, a filter that matches
// one letter in fifty, a search for an ID number that matches none (the
// bounded scan of 2,000 letters a page), a search by the newest letter's
// number — each with its p50 and p99.
func BenchmarkWorkbenchPages(b *testing.B) {
	d, db := newDeptStore(b, fabrictest.NewNetwork(b), "MarketMSP", "市市场监管局")
	start := time.Now()
	const batch = 1000
	t0 := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	var lastNumber string
	for i := 0; i < benchLetters; i += batch {
		var ls []*chengnuo.StoredLetter
		var marks []chengnuo.AnchorMark
		for k := i; k < i+batch; k++ {
			id := fmt.Sprintf("CN%024x", k)
			status := chengnuo.StatusActive
			if k%50 == 0 {
				status = chengnuo.StatusWithdrawn
			}
			ls = append(ls, &chengnuo.StoredLetter{ID: id, Digest: fmt.Sprintf("%064x", k), Number: fmt.Sprintf("〔2026〕MarketMSP第%06d号", k),
				Applicant: &chengnuo.Applicant{Name: "申请人", IDType: "RESIDENT_ID", IDNumber: fmt.Sprintf("1101011990%08d", k)},
				Request:   chengnuo.AnchorRequest{LetterDigest: fmt.Sprintf("%064x", k), ItemCode: "SC-001", ItemVersion: 1, SignedBy: chengnuo.SignedPaper},
				State:     chengnuo.StatePending, StoredAt: t0.Add(time.Duration(k) * time.Minute)})
			marks = append(marks, chengnuo.AnchorMark{ID: id, Record: &chengnuo.Commitment{ID: id, Status: status, TxID: "tx"}})
			lastNumber = ls[len(ls)-1].Number
		}
		if _, err := db.PutPending(b.Context(), ls); err != nil {
			b.Fatal(err)
		}
		if err := db.MarkAnchored(b.Context(), marks); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d letters stored in %s", benchLetters, time.Since(start).Round(time.Millisecond))
	a := person(b, d, "bench.clerk", chengnuo.RoleClerk, chengnuo.RoleAuditor)
	pages := []struct{ name, path string }{
		{"list", "/console/letters"},
		{"withdrawn", "/console/letters?status=WITHDRAWN"},
		{"no-such-id", "/console/letters?q=" + url.QueryEscape("110101199999999999")},
		{"by-number", "/console/letters?q=" + url.QueryEscape(lastNumber)},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			var ds []time.Duration
			for b.Loop() {
				t := time.Now()
				if st, _ := a.get(p.path); st != http.StatusOK {
					b.Fatalf("%s: %d", p.path, st)
				}
				ds = append(ds, time.Since(t))
			}
			slices.Sort(ds)
			b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
