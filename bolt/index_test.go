package bolt_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/bolt"
)

func TestIndexAppliesBlocksInOrderOnce(t *testing.T) {
	ctx := t.Context()
	idx, err := bolt.OpenIndex(filepath.Join(t.TempDir(), "x.index"), false)
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

// An applicant's letters are listed in the order of their anchoring blocks,
// a page at a time, from a read model that keeps them by applicant; one
// that did not (an earlier version, or opened without) builds the list from
// the records it holds when opened with it.
func TestIndexListsAnApplicantsLetters(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "x.index")
	idx, err := bolt.OpenIndex(path, true)
	if err != nil {
		t.Fatal(err)
	}
	a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
	rec := func(id, applicant string, block uint64) *chengnuo.Commitment {
		return &chengnuo.Commitment{ID: id, LetterDigest: "d" + id, ApplicantKey: applicant, TxID: "t", BlockNumber: block, Status: chengnuo.StatusActive}
	}
	withdrawn := rec("CNb", a, 0) // a change keeps its anchoring block
	withdrawn.Status = chengnuo.StatusWithdrawn
	for _, blk := range []*chengnuo.LedgerBlock{
		{Number: 0},
		{Number: 1, Commitments: []*chengnuo.Commitment{rec("CNb", a, 1)}},
		{Number: 2, Commitments: []*chengnuo.Commitment{rec("CNa", a, 2), rec("CNc", b, 2)}},
		{Number: 3, Commitments: []*chengnuo.Commitment{withdrawn}},
	} {
		if err := idx.Apply(ctx, blk); err != nil {
			t.Fatal(err)
		}
	}
	list := func(idx *bolt.Index) []string {
		t.Helper()
		var got []string
		p := chengnuo.Page{Size: 1}
		for i := 0; ; i++ {
			l, err := idx.ApplicantCommitments(ctx, a, p)
			if err != nil || len(l.Items) != 1 || l.More != (l.Bookmark != "") || i > 3 {
				t.Fatalf("page %d: %+v %v", i, l, err)
			}
			got = append(got, l.Items[0].ID+" "+l.Items[0].Status)
			if !l.More {
				return got
			}
			p.Bookmark = l.Bookmark
		}
	}
	want := []string{"CNb " + chengnuo.StatusWithdrawn, "CNa " + chengnuo.StatusActive}
	if got := list(idx); !slices.Equal(got, want) {
		t.Fatalf("applicant a: %q, want %q", got, want)
	}
	if l, err := idx.ApplicantCommitments(ctx, b, chengnuo.Page{}); err != nil || len(l.Items) != 1 || l.Items[0].ID != "CNc" || l.More {
		t.Fatalf("applicant b: %+v %v", l, err)
	}
	if l, err := idx.ApplicantCommitments(ctx, strings.Repeat("c", 64), chengnuo.Page{}); err != nil || len(l.Items) != 0 || l.More {
		t.Fatalf("an applicant without letters: %+v %v", l, err)
	}
	for _, p := range []chengnuo.Page{{Bookmark: "!!"}, {Bookmark: "AAAA"}, {Size: chengnuo.MaxPageSize + 1}} {
		if _, err := idx.ApplicantCommitments(ctx, a, p); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Fatalf("page %+v: %v", p, err)
		}
	}
	if _, err := idx.ApplicantCommitments(ctx, "aaaa", chengnuo.Page{}); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
		t.Fatalf("a key prefix lists: %v", err)
	}
	idx.Close()

	// Opened without the list: dropped, and blocks applied meanwhile are
	// not listed until it is opened with it again, which rebuilds it.
	idx, err = bolt.OpenIndex(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := idx.ApplicantCommitments(ctx, a, chengnuo.Page{}); chengnuo.ErrorCode(err) != chengnuo.EUNAVAILABLE {
		t.Fatalf("a read model without the list: %v", err)
	}
	if err := idx.Apply(ctx, &chengnuo.LedgerBlock{Number: 4, Commitments: []*chengnuo.Commitment{rec("CNd", a, 4)}}); err != nil {
		t.Fatal(err)
	}
	idx.Close()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket([]byte("applicants")) != nil {
			t.Error("the list was kept by a read model opened without it")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	idx, err = bolt.OpenIndex(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	want = append(want, "CNd "+chengnuo.StatusActive)
	if got := list(idx); !slices.Equal(got, want) {
		t.Fatalf("applicant a, list built at open: %q, want %q", got, want)
	}
}
