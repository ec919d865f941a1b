package bolt_test

import (
	"path/filepath"
	"testing"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/bolt"
)

func TestIndexAppliesBlocksInOrderOnce(t *testing.T) {
	ctx := t.Context()
	idx, err := bolt.OpenIndex(filepath.Join(t.TempDir(), "x.index"))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	c := &chengnuo.Commitment{ID: "CN1", LetterDigest: "d", TxID: "t1", BlockNumber: 0, Status: chengnuo.StatusActive}
	if err := idx.Apply(ctx, &chengnuo.LedgerBlock{Number: 1}); chengnuo.ErrorCode(err) != chengnuo.EINTERNAL {
		t.Fatalf("a gap was accepted: %v", err)
	}
	if err := idx.Apply(ctx, &chengnuo.LedgerBlock{Number: 0, Commitments: []*chengnuo.Commitment{c}}); err != nil {
		t.Fatal(err)
	}
	// Delivered again after a restart: ignored, the record unchanged.
	again := *c
	again.Status = chengnuo.StatusWithdrawn
	if err := idx.Apply(ctx, &chengnuo.LedgerBlock{Number: 0, Commitments: []*chengnuo.Commitment{&again}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := idx.Commitment(ctx, "CN1"); got.Status != chengnuo.StatusActive {
		t.Fatalf("a replayed block was applied again: %+v", got)
	}
	if h, _ := idx.Height(ctx); h != 1 {
		t.Fatalf("height %d", h)
	}
	if _, err := idx.Commitment(ctx, "CN2"); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("unknown id: %v", err)
	}
}
