package bolt

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/chengnuo/chengnuo"
)

// writeLegacy writes letters as the layout before arrival order did: keyed
// by id, each with its state, and with states kept apart in records.
func writeLegacy(t *testing.T, path string, letters []*chengnuo.StoredLetter, records map[string]ledgerState) {
	t.Helper()
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	err = raw.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{legacyLetters, legacyRecords, legacyPending} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		for _, l := range letters {
			if err := putJSON(tx, legacyLetters, l.ID, l); err != nil {
				return err
			}
			if l.State == chengnuo.StatePending {
				if err := tx.Bucket(legacyPending).Put([]byte(l.ID), nil); err != nil {
					return err
				}
			}
		}
		for id, ls := range records {
			if err := putJSON(tx, legacyRecords, id, ls); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A store written before letters were kept in arrival order, some letters
// from before ledger states were kept apart (their state in the letter
// itself), is migrated when opened. It must read the same, and a later state
// must not regress below it.
func TestLettersStoredWithTheirStateStillRead(t *testing.T) {
	defer func(n int) { migrateChunk = n }(migrateChunk)
	migrateChunk = 1 // a transaction per letter: the migration resumes where the last one stopped
	path := filepath.Join(t.TempDir(), "store.db")
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	withdrawn := &chengnuo.Commitment{ID: "CNold", Status: chengnuo.StatusWithdrawn, BlockNumber: 9, History: []chengnuo.Transition{
		{Status: chengnuo.StatusActive, At: at}, {Status: chengnuo.StatusWithdrawn, At: at}}}
	kept := &chengnuo.Commitment{ID: "CNkept", Status: chengnuo.StatusConcluded, BlockNumber: 7}
	writeLegacy(t, path, []*chengnuo.StoredLetter{
		{ID: "CNold", Digest: "d1", Canonical: "{}", State: chengnuo.StateAnchored, Record: withdrawn, StoredAt: at},
		{ID: "CNpending", Digest: "d2", Canonical: "{}", State: chengnuo.StatePending, StoredAt: at},
		{ID: "CNkept", Digest: "d3", Canonical: "{}", State: chengnuo.StatePending, StoredAt: at},
	}, map[string]ledgerState{"CNkept": {State: chengnuo.StateAnchored, Record: kept}})
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	err = db.db.View(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{legacyLetters, legacyRecords, legacyPending} {
			if tx.Bucket(name) != nil {
				t.Errorf("bucket %s left after the migration", name)
			}
		}
		if n := tx.Bucket(bucketBodies).Stats().KeyN; n != 3 {
			t.Errorf("%d letters migrated, want 3", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if l, err := db.Get(ctx, "CNkept"); err != nil || l.State != chengnuo.StateAnchored || l.Record.Status != chengnuo.StatusConcluded || l.Digest != "d3" {
		t.Fatalf("a letter with its state kept apart read as %+v, %v", l, err)
	}
	l, err := db.Get(ctx, "CNold")
	if err != nil || l.State != chengnuo.StateAnchored || l.Record.Status != chengnuo.StatusWithdrawn {
		t.Fatalf("old letter read as %+v, %v", l, err)
	}
	// A recovery reporting the record as first anchored keeps the withdrawal.
	active := &chengnuo.Commitment{ID: "CNold", Status: chengnuo.StatusActive, History: withdrawn.History[:1]}
	if err := db.MarkAnchored(ctx, []chengnuo.AnchorMark{{ID: "CNold", Record: active}}); err != nil {
		t.Fatal(err)
	}
	if l, _ := db.Get(ctx, "CNold"); l.Record.Status != chengnuo.StatusWithdrawn || l.Record.BlockNumber != 9 || l.Canonical != "{}" {
		t.Fatalf("the withdrawal regressed: %+v", l.Record)
	}
	// The old pending letter is pending until marked, then anchored everywhere.
	if p, err := db.Pending(ctx, 10); err != nil || len(p) != 1 || p[0].ID != "CNpending" {
		t.Fatalf("pending %v %v", p, err)
	}
	rec := &chengnuo.Commitment{ID: "CNpending", Status: chengnuo.StatusActive, BlockNumber: 4, History: withdrawn.History[:1]}
	if err := db.MarkAnchored(ctx, []chengnuo.AnchorMark{{ID: "CNpending", Record: rec}}); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.Pending(ctx, 10); len(p) != 0 {
		t.Fatalf("still pending: %v", p)
	}
	list, err := db.Letters(ctx, chengnuo.Page{})
	if err != nil || len(list.Items) != 3 {
		t.Fatalf("letters %v %v", list, err)
	}
	for _, l := range list.Items {
		if l.State != chengnuo.StateAnchored || l.Record == nil {
			t.Errorf("listed %s as %s %v", l.ID, l.State, l.Record)
		}
	}
	// A note rewrites the letter, not its state; the state stays the newest.
	if err := db.AddNote(ctx, "CNpending", chengnuo.Note{Status: chengnuo.StatusWithdrawn, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if l, _ := db.Get(ctx, "CNpending"); l.State != chengnuo.StateAnchored || l.Record.BlockNumber != 4 || len(l.Notes) != 1 {
		t.Fatalf("after a note: %+v", l)
	}
	if err := db.Delete(ctx, "CNpending"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Get(ctx, "CNpending"); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("deleted letter: %v", err)
	}
	if err := db.MarkAnchored(ctx, []chengnuo.AnchorMark{{ID: "CNpending", Record: rec}}); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("marking a deleted letter: %v", err)
	}
}

// New letters are appended in the order they arrive, whatever their ids, and
// the queue of pending letters is in that order too: oldest first.
func TestLettersKeptInArrivalOrder(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var want []string
	for batch := range 3 {
		var ls []*chengnuo.StoredLetter
		for i := range 40 {
			id := fmt.Sprintf("CN%08x", uint32((batch*40+i)*2654435761)) // ids in no particular order
			want = append(want, id)
			ls = append(ls, &chengnuo.StoredLetter{ID: id, Digest: id, Canonical: "{}", State: chengnuo.StatePending, StoredAt: at})
		}
		if _, err := db.PutPending(ctx, ls); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	err = db.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketBodies).ForEach(func(_, v []byte) error {
			var l chengnuo.StoredLetter
			if err := json.Unmarshal(v, &l); err != nil {
				return err
			}
			got = append(got, l.ID)
			return nil
		})
	})
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("letters kept in the order %v (%v), want %v", got, err, want)
	}
	pending, err := db.Pending(ctx, 5)
	if err != nil || len(pending) != 5 {
		t.Fatalf("pending %v %v", pending, err)
	}
	for i, l := range pending {
		if l.ID != want[i] {
			t.Errorf("pending %d is %s, want %s", i, l.ID, want[i])
		}
	}
}

// A read model written before records were kept in arrival order (by id)
// is migrated when opened, a record per transaction here: it reads the
// same, keeps its height, changes a migrated record in place, appends new
// ones, and lists them by applicant.
func TestIndexKeptByIDMigrates(t *testing.T) {
	defer func(n int) { migrateChunk = n }(migrateChunk)
	migrateChunk = 1
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "x.index")
	applicant := strings.Repeat("a", 64)
	digest := func(b string) string { return strings.Repeat(b, 64) }
	old := []*chengnuo.Commitment{
		{LetterDigest: digest("1"), ApplicantKey: applicant, TxID: "t1", BlockNumber: 3, Status: chengnuo.StatusActive},
		{LetterDigest: digest("2"), ApplicantKey: applicant, TxID: "t2", BlockNumber: 4, Status: chengnuo.StatusWithdrawn},
		{ID: "CNother", LetterDigest: digest("3"), TxID: "t3", BlockNumber: 4, Status: chengnuo.StatusActive}, // an id its digest does not give
	}
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{legacyIdxRecs, idxMeta, idxSupervision} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		for _, c := range old {
			if c.ID == "" {
				c.ID = chengnuo.CommitmentID(c.LetterDigest)
			}
			v, err := c.LedgerJSON()
			if err != nil {
				return err
			}
			if err := tx.Bucket(legacyIdxRecs).Put([]byte(c.ID), v); err != nil {
				return err
			}
		}
		return tx.Bucket(idxMeta).Put(idxHeight, blockKey(5))
	})
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}

	idx, err := OpenIndex(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if h, _ := idx.Height(ctx); h != 5 {
		t.Fatalf("height %d after migration, want 5", h)
	}
	for _, want := range old {
		got, err := idx.Commitment(ctx, want.ID)
		if err != nil || got.ID != want.ID || got.LetterDigest != want.LetterDigest || got.Status != want.Status || got.BlockNumber != want.BlockNumber {
			t.Fatalf("migrated %s: %+v %v", want.ID, got, err)
		}
	}
	seqs := func() map[string]string {
		m := map[string]string{}
		_ = idx.db.View(func(tx *bbolt.Tx) error {
			if tx.Bucket(legacyIdxRecs) != nil {
				t.Error("the layout before is still there")
			}
			return tx.Bucket(idxRecordIDs).ForEach(func(k, v []byte) error {
				m[string(k)] = fmt.Sprintf("%x", v)
				return nil
			})
		})
		return m
	}
	before := seqs()
	if len(before) != len(old) {
		t.Fatalf("ids after migration: %v", before)
	}
	changed := *old[0]
	changed.Status, changed.BlockNumber, changed.History = chengnuo.StatusWithdrawn, 0, nil
	fresh := &chengnuo.Commitment{LetterDigest: digest("4"), ApplicantKey: applicant, TxID: "t4", BlockNumber: 5, Status: chengnuo.StatusActive}
	fresh.ID = chengnuo.CommitmentID(fresh.LetterDigest)
	if err := idx.Apply(ctx, &chengnuo.LedgerBlock{Number: 5, Commitments: []*chengnuo.Commitment{&changed, fresh}}); err != nil {
		t.Fatal(err)
	}
	after := seqs()
	if after[old[0].ID] != before[old[0].ID] || len(after) != len(old)+1 || after[fresh.ID] <= slices.Max(slices.Collect(maps.Values(before))) {
		t.Fatalf("sequence numbers before %v, after %v: a change stays in place, a new record goes last", before, after)
	}
	if got, err := idx.Commitment(ctx, old[0].ID); err != nil || got.Status != chengnuo.StatusWithdrawn || got.BlockNumber != 3 {
		t.Fatalf("changed after migration: %+v %v", got, err)
	}
	l, err := idx.ApplicantCommitments(ctx, applicant, chengnuo.Page{})
	if err != nil || len(l.Items) != 3 || l.Items[0].ID != old[0].ID || l.Items[2].ID != fresh.ID {
		t.Fatalf("applicant list after migration: %+v %v", l, err)
	}
}

// A store from before a letter's state named its disclosure row kept the
// rows' keys in an index by id. Opened, the index moves into the states and
// is dropped; a withdrawal then still takes the letter off the list, and a
// letter marked again with another period is listed once, for that period.
func TestDisclosureIndexByIDMigrates(t *testing.T) {
	defer func(n int) { migrateChunk = n }(migrateChunk)
	migrateChunk = 1
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "store.db")
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	row := func(id string, days int) *chengnuo.DisclosedLetter {
		return &chengnuo.DisclosedLetter{CommitmentID: id, From: at, Until: at.Add(time.Duration(days) * 24 * time.Hour)}
	}
	rec := func(id string) *chengnuo.Commitment {
		return &chengnuo.Commitment{ID: id, Status: chengnuo.StatusActive, AnchoredAt: at,
			History: []chengnuo.Transition{{Status: chengnuo.StatusActive, At: at}}}
	}
	ids := []string{"CNa", "CNb", "CNc"}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var ls []*chengnuo.StoredLetter
	var marks []chengnuo.AnchorMark
	for _, id := range ids {
		ls = append(ls, &chengnuo.StoredLetter{ID: id, Digest: id, Canonical: "{}", State: chengnuo.StatePending, StoredAt: at})
		marks = append(marks, chengnuo.AnchorMark{ID: id, Record: rec(id), Disclosed: row(id, 30)})
	}
	if _, err := db.PutPending(ctx, ls); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkAnchored(ctx, marks); err != nil {
		t.Fatal(err)
	}
	// Back to the layout before: the keys in an index by id, not in the states.
	err = db.db.Update(func(tx *bbolt.Tx) error {
		legacy, err := tx.CreateBucket(legacyDisclosedAt)
		if err != nil {
			return err
		}
		for _, id := range ids {
			ls, seq, err := currentState(tx, id)
			if err != nil {
				return err
			}
			if ls.Disclosed == "" {
				return fmt.Errorf("%s: the state names no disclosure row", id)
			}
			if err := legacy.Put([]byte(id), []byte(ls.Disclosed)); err != nil {
				return err
			}
			ls.Disclosed = ""
			if err := putState(tx, seq, ls, time.Time{}); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(legacyDisclosedAt) != nil {
			t.Error("the index by id is still there")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	listed := func() string {
		l, err := db.Disclosures(ctx, at.Add(time.Hour), chengnuo.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range l.Items {
			got = append(got, fmt.Sprintf("%s until day %d", r.CommitmentID, int(r.Until.Sub(at).Hours()/24)))
		}
		return strings.Join(got, ", ")
	}
	if got := listed(); got != "CNa until day 30, CNb until day 30, CNc until day 30" {
		t.Fatalf("listed after the migration: %s", got)
	}
	if err := db.UpdateRecord(ctx, "CNb", &chengnuo.Commitment{ID: "CNb", Status: chengnuo.StatusWithdrawn, AnchoredAt: at,
		History: []chengnuo.Transition{{Status: chengnuo.StatusActive, At: at}, {Status: chengnuo.StatusWithdrawn, At: at}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkAnchored(ctx, []chengnuo.AnchorMark{{ID: "CNc", Record: rec("CNc"), Disclosed: row("CNc", 10)}}); err != nil {
		t.Fatal(err)
	}
	if got := listed(); got != "CNc until day 10, CNa until day 30" {
		t.Fatalf("listed after withdrawing CNb and marking CNc again: %s", got)
	}
}

// A read model kept before the supervision records starts again from the
// genesis block: records it never kept cannot be made up.
func TestIndexWithoutSupervisionStartsAgain(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "old.index")
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{idxRecordIDs, idxRecords, idxAnchors, idxMeta, legacyIdxHeaders, idxConfigs} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return tx.Bucket(idxMeta).Put(idxHeight, blockKey(7))
	})
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := OpenIndex(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if h, _ := idx.Height(ctx); h != 0 {
		t.Fatalf("height %d, want 0: the read model must be rebuilt", h)
	}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	if err := idx.Apply(ctx, &chengnuo.LedgerBlock{Number: 0, Time: at, Records: []*chengnuo.LedgerRecord{
		{Kind: chengnuo.RecordRequest, ID: "VR1", Value: []byte(`{"id":"VR1"}`)}, {Kind: chengnuo.RecordCredit, ID: "CR1", Value: []byte(`{}`)}}}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	if err := idx.Records(ctx, chengnuo.RecordRequest, func(id string, v []byte) error { ids = append(ids, id+string(v)); return nil }); err != nil || len(ids) != 1 || ids[0] != `VR1{"id":"VR1"}` {
		t.Fatalf("records %v %v", ids, err)
	}
	if lt, _ := idx.LedgerTime(ctx); !lt.Equal(at) {
		t.Fatalf("ledger time %s", lt)
	}
}

// Issue 33: a read model that kept every block's header (for bundles of
// schema 1) drops them on open and keeps its height and configuration
// blocks: bundles of schema 2 need nothing else.
func TestIndexDropsBlockHeaders(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "headers.index")
	idx, err := OpenIndex(path, false)
	if err != nil {
		t.Fatal(err)
	}
	for n := range uint64(3) {
		b := &chengnuo.LedgerBlock{Number: n}
		if n == 0 {
			b.Config = []byte("genesis")
		}
		if err := idx.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	idx.Close()
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bbolt.Tx) error {
		hb, err := tx.CreateBucket(legacyIdxHeaders)
		for n := range uint64(3) {
			err = errors.Join(err, hb.Put(blockKey(n), []byte("header")))
		}
		return err
	})
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	if idx, err = OpenIndex(path, false); err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if h, _ := idx.Height(ctx); h != 3 {
		t.Fatalf("height %d after dropping the headers, want 3", h)
	}
	if err := idx.db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(legacyIdxHeaders) != nil {
			return errors.New("the headers are still kept")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if cs, err := idx.Configs(ctx, 3); err != nil || len(cs) != 1 || string(cs[0]) != "genesis" {
		t.Fatalf("configs %q %v", cs, err)
	}
	if _, err := idx.Configs(ctx, 4); chengnuo.ErrorCode(err) != chengnuo.EUNAVAILABLE {
		t.Fatalf("configs before block 4 of 3 applied: %v", err)
	}
}
