package node_test

import (
	"bytes"
	"testing"

	"github.com/chengnuo/chengnuo/node"
)

// FuzzParseDefinition: whatever another department hands over, the parser
// answers with a definition or an error, never a panic; what it accepts
// re-encodes to a definition it accepts again, unchanged.
func FuzzParseDefinition(f *testing.F) {
	d := newDept(f, "market", "MarketMSP", 1)
	f.Add(d.def.JSON())
	f.Add([]byte(`{"key":"../org"}`))
	f.Add([]byte(`{"key":"a","peer":{"port":"1"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		def, err := node.ParseDefinition(raw)
		if err != nil {
			return
		}
		again, err := node.ParseDefinition(def.JSON())
		if err != nil || !bytes.Equal(again.JSON(), def.JSON()) {
			t.Fatalf("an accepted definition does not survive re-encoding: %v", err)
		}
	})
}

// FuzzDescribe: a configuration update from anyone is described or
// refused, never a panic.
func FuzzDescribe(f *testing.F) {
	j, m, p, c := newDept(f, "justice", "JusticeMSP", 0), newDept(f, "market", "MarketMSP", 1), newDept(f, "police", "PoliceMSP", 2), newDept(f, "credit", "CreditMSP", 3)
	block := channel(f, j, m, p, c)
	if leave, err := node.ProposeLeave(block, "CreditMSP"); err == nil {
		f.Add(leave)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, update []byte) {
		_, _ = node.Describe(block, update)
	})
}
