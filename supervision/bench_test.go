package supervision_test

import (
	"fmt"
	"testing"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/supervision"
)

// BenchmarkCompute computes a year's figures over 10^4 and 10^5 letters
// (four departments, forty items, a tenth withdrawn or concluded): the
// cost of a /v1/stats answer grows with the letters, as a scan must.
func BenchmarkCompute(b *testing.B) {
	orgs := []string{"JusticeMSP", "MarketMSP", "PoliceMSP", "CreditMSP"}
	for _, n := range []int{10_000, 100_000} {
		m := supervision.NewMemory()
		block := &chengnuo.LedgerBlock{Time: day(28)}
		for i := range n {
			org, item := orgs[i%len(orgs)], fmt.Sprintf("IT-%03d", i%40)
			c := &chengnuo.Commitment{ID: fmt.Sprintf("CN%08d", i), Org: org, ItemCode: item, Status: chengnuo.StatusActive,
				AnchoredAt: day(1 + i%27), History: []chengnuo.Transition{{Status: chengnuo.StatusActive, Org: org, At: day(1 + i%27)}}}
			if i%10 == 0 {
				c.Status = chengnuo.StatusWithdrawn
				c.History = append(c.History, chengnuo.Transition{Status: chengnuo.StatusWithdrawn, Org: org, At: day(28)})
			}
			block.Commitments = append(block.Commitments, c)
		}
		m.Apply(block)
		b.Run(fmt.Sprintf("letters=%d", n), func(b *testing.B) {
			for b.Loop() {
				r, err := supervision.Compute(b.Context(), m, chengnuo.StatsFilter{})
				if err != nil || len(r.Rows) == 0 {
					b.Fatal(r, err)
				}
			}
		})
	}
}
