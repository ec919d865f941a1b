package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/chengnuo/chengnuo"
)

// Index is the department's read model of the public ledger records, in
// its own file next to the letter store: commitments by id and bare
// anchors by digest, with the height of the blocks applied. Each block is
// applied in one transaction with its height, so the index and its
// checkpoint never disagree, and a block delivered again is ignored.
//
// Decoded commitments are kept in memory (up to indexCacheMax, then the
// cache starts over), so a verification of a known letter reads no page
// and decodes no JSON. Records it returns are shared: callers must not
// modify them.
type Index struct {
	db          *bbolt.DB
	byApplicant bool

	mu    sync.RWMutex
	cache map[string]*chengnuo.Commitment
	gen   uint64 // blocks applied since open: a read that saw an older one may not fill the cache
}

// indexCacheMax bounds the records kept decoded in memory (about 1 KB each).
const indexCacheMax = 100_000

var _ chengnuo.Index = (*Index)(nil)

// Commitments are kept in the order they were first applied, as the store
// keeps letters: a block's records are appended at the end of the file, in
// pages filled to appendFill, and only a small index of ids is written at
// random places. Keyed by id (as before), every block touched pages all over
// the file and each gateway's whole read model stayed mapped in memory.
var (
	idxRecordIDs  = []byte("commitment-ids")     // commitment id -> sequence number (8 bytes, big endian)
	idxRecords    = []byte("commitment-records") // sequence number -> record (Commitment.LedgerJSON)
	legacyIdxRecs = []byte("commitments")        // commitment id -> record: the layout before
	idxAnchors    = []byte("anchors")
	idxMeta       = []byte("meta")
	// legacyIdxHeaders held every block's header for proofs of schema 1;
	// bundles of schema 2 need only the configuration blocks, so it is
	// dropped on open.
	legacyIdxHeaders = []byte("headers")
	idxConfigs       = []byte("configs") // block number -> serialized configuration block
	idxHeight        = []byte("height")
	// applicant key (64 hex) + anchoring block (8 bytes, big endian) +
	// commitment id -> nothing: an applicant's letters in anchoring order.
	idxApplicants = []byte("applicants")
	// kind + 0x00 + id -> the record as last written: the records kept for
	// supervision (chengnuo.LedgerRecord). A read model from before it
	// existed is rebuilt from block 0 (OpenIndex).
	idxSupervision = []byte("supervision")
	idxTime        = []byte("time") // in idxMeta: the latest transaction time applied (RFC 3339)
)

// OpenIndex opens or creates the index file. byApplicant keeps the
// commitments by applicant too, for the credit platform's lookups (the
// chaincode lets no one else look applicants up): built from the records
// held when it is missing, dropped when not wanted, so that a list kept is
// never one that missed blocks.
func OpenIndex(path string, byApplicant bool) (*Index, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		if tx.Bucket(idxSupervision) == nil && tx.Bucket(idxMeta) != nil && height(tx) > 0 {
			// Kept before the supervision records: start again from the
			// genesis block (the peer has every block).
			for _, b := range [][]byte{idxRecordIDs, idxRecords, legacyIdxRecs, idxAnchors, idxMeta, idxConfigs, idxApplicants} {
				if tx.Bucket(b) != nil {
					if err := tx.DeleteBucket(b); err != nil {
						return err
					}
				}
			}
		}
		if tx.Bucket(legacyIdxHeaders) != nil {
			if err := tx.DeleteBucket(legacyIdxHeaders); err != nil {
				return err
			}
		}
		for _, b := range [][]byte{idxRecordIDs, idxRecords, idxAnchors, idxMeta, idxConfigs, idxSupervision} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = migrateRecords(db)
	}
	if err == nil {
		err = db.Update(func(tx *bbolt.Tx) error {
			return keepByApplicant(tx, byApplicant)
		})
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init index: %w", err)
	}
	return &Index{db: db, byApplicant: byApplicant, cache: map[string]*chengnuo.Commitment{}}, nil
}

// keepByApplicant builds or drops the applicant list as byApplicant says.
func keepByApplicant(tx *bbolt.Tx, byApplicant bool) error {
	switch kept := tx.Bucket(idxApplicants) != nil; {
	case byApplicant && !kept:
		return indexApplicants(tx)
	case !byApplicant && kept:
		return tx.DeleteBucket(idxApplicants)
	}
	return nil
}

// recordGet returns the record of commitment id as kept, nil if none.
func recordGet(tx *bbolt.Tx, id []byte) []byte {
	seq := tx.Bucket(idxRecordIDs).Get(id)
	if seq == nil {
		return nil
	}
	return tx.Bucket(idxRecords).Get(seq)
}

// recordPut keeps the record of commitment id: in its place if it has one,
// else appended.
func recordPut(tx *bbolt.Tx, id, raw []byte) error {
	ids := tx.Bucket(idxRecordIDs)
	seq := bytes.Clone(ids.Get(id))
	if seq == nil {
		n, err := tx.Bucket(idxRecords).NextSequence()
		if err != nil {
			return err
		}
		seq = seqKey(n)
		if err := ids.Put(id, seq); err != nil {
			return err
		}
	}
	return putInOrder(tx, idxRecords, seq, raw)
}

// migrateRecords moves records kept by id (the layout before arrival
// order) into the current layout; the old bucket is dropped once empty.
func migrateRecords(db *bbolt.DB) error {
	return migrateChunks(db, legacyIdxRecs, nil, recordPut)
}

// Close closes the index.
func (x *Index) Close() error { return x.db.Close() }

func height(tx *bbolt.Tx) uint64 {
	if raw := tx.Bucket(idxMeta).Get(idxHeight); len(raw) == 8 {
		return binary.BigEndian.Uint64(raw)
	}
	return 0
}

// Height implements chengnuo.Index.
func (x *Index) Height(context.Context) (uint64, error) {
	var h uint64
	err := x.db.View(func(tx *bbolt.Tx) error {
		h = height(tx)
		return nil
	})
	return h, storeError(err)
}

// Apply implements chengnuo.Index.
func (x *Index) Apply(_ context.Context, b *chengnuo.LedgerBlock) error {
	applied := false
	err := storeError(x.db.Update(func(tx *bbolt.Tx) error {
		applied = false
		h := height(tx)
		switch {
		case b.Number < h:
			return nil
		case b.Number > h:
			return chengnuo.Internal("the read model cannot apply a block out of order",
				fmt.Errorf("block %d given at height %d", b.Number, h))
		}
		for _, c := range b.Commitments {
			if c.BlockNumber == 0 {
				// A change: the record keeps its anchoring block's number.
				var prev chengnuo.Commitment
				if raw := recordGet(tx, []byte(c.ID)); raw != nil && json.Unmarshal(raw, &prev) == nil {
					c.BlockNumber = prev.BlockNumber
				}
			}
			raw, err := c.LedgerJSON() // as the ledger has it: a new record without what it repeats
			if err != nil {
				return err
			}
			if err := recordPut(tx, []byte(c.ID), raw); err != nil {
				return err
			}
			if x.byApplicant {
				if err := putApplicant(tx, c); err != nil {
					return err
				}
			}
		}
		for _, a := range b.Anchors {
			if err := putJSON(tx, idxAnchors, a.Digest, a); err != nil {
				return err
			}
		}
		for _, r := range b.Records {
			if err := tx.Bucket(idxSupervision).Put([]byte(r.Kind+"\x00"+r.ID), r.Value); err != nil {
				return err
			}
		}
		if b.Time.After(indexTime(tx)) {
			if err := tx.Bucket(idxMeta).Put(idxTime, []byte(b.Time.UTC().Format(time.RFC3339Nano))); err != nil {
				return err
			}
		}
		if b.Config != nil {
			if err := tx.Bucket(idxConfigs).Put(blockKey(b.Number), b.Config); err != nil {
				return err
			}
		}
		applied = true
		return tx.Bucket(idxMeta).Put(idxHeight, blockKey(b.Number+1))
	}))
	if err == nil && applied {
		x.mu.Lock()
		x.gen++
		for _, c := range b.Commitments {
			if _, ok := x.cache[c.ID]; ok {
				x.cache[c.ID] = c
			}
		}
		x.mu.Unlock()
	}
	return err
}

// Commitment implements chengnuo.Index.
func (x *Index) Commitment(_ context.Context, id string) (*chengnuo.Commitment, error) {
	x.mu.RLock()
	c, ok := x.cache[id]
	gen := x.gen
	x.mu.RUnlock()
	if ok {
		return c, nil
	}
	c = &chengnuo.Commitment{}
	found := false
	err := x.db.View(func(tx *bbolt.Tx) error {
		raw := recordGet(tx, []byte(id))
		if raw == nil {
			return nil
		}
		found = true
		if err := json.Unmarshal(raw, c); err != nil {
			return fmt.Errorf("decode commitment %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, storeError(err)
	}
	if !found {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "commitment %s is not in the read model", id)
	}
	x.mu.Lock()
	if x.gen == gen { // no block applied since the read: c is current
		if len(x.cache) >= indexCacheMax {
			clear(x.cache)
		}
		x.cache[id] = c
	}
	x.mu.Unlock()
	return c, nil
}

// indexApplicants builds the applicant index of a read model kept before
// it had one, from the commitments it holds.
func indexApplicants(tx *bbolt.Tx) error {
	if _, err := tx.CreateBucket(idxApplicants); err != nil {
		return err
	}
	ids := tx.Bucket(idxRecordIDs)
	return ids.ForEach(func(id, seq []byte) error {
		var c chengnuo.Commitment
		if err := json.Unmarshal(tx.Bucket(idxRecords).Get(seq), &c); err != nil {
			return fmt.Errorf("decode commitment %s: %w", id, err)
		}
		c.ID = string(id)
		return putApplicant(tx, &c)
	})
}

// putApplicant indexes a commitment under its applicant.
func putApplicant(tx *bbolt.Tx, c *chengnuo.Commitment) error {
	if c.ApplicantKey == "" {
		return nil
	}
	k := make([]byte, 0, len(c.ApplicantKey)+8+len(c.ID))
	k = append(append(append(k, c.ApplicantKey...), blockKey(c.BlockNumber)...), c.ID...)
	return tx.Bucket(idxApplicants).Put(k, nil)
}

// ApplicantCommitments implements chengnuo.Index.
func (x *Index) ApplicantCommitments(ctx context.Context, applicantKey string, p chengnuo.Page) (*chengnuo.List[*chengnuo.Commitment], error) {
	if len(applicantKey) != 64 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "an applicant key is 64 hex characters")
	}
	if !x.byApplicant {
		return nil, chengnuo.Errorf(chengnuo.EUNAVAILABLE, "this read model does not keep letters by applicant")
	}
	prefix := []byte(applicantKey)
	var ids *chengnuo.List[string]
	err := x.db.View(func(tx *bbolt.Tx) error {
		var err error
		ids, err = page(tx, idxApplicants, prefix, prefix, p, func(k, _ []byte) (string, bool, error) {
			if len(k) <= len(prefix)+8 {
				return "", false, nil
			}
			return string(k[len(prefix)+8:]), true, nil
		})
		return err
	})
	if err != nil {
		return nil, storeError(err)
	}
	out := &chengnuo.List[*chengnuo.Commitment]{Items: make([]*chengnuo.Commitment, 0, len(ids.Items)), Bookmark: ids.Bookmark, More: ids.More}
	for _, id := range ids.Items {
		rec, err := x.Commitment(ctx, id)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, rec)
	}
	return out, nil
}

// Anchor implements chengnuo.Index.
func (x *Index) Anchor(_ context.Context, digest string) (*chengnuo.Anchor, error) {
	var a chengnuo.Anchor
	return indexGet(x, idxAnchors, digest, &a, "anchor")
}

func indexGet[T any](x *Index, bucket []byte, key string, v *T, what string) (*T, error) {
	var ok bool
	err := x.db.View(func(tx *bbolt.Tx) error {
		var err error
		ok, err = getJSON(tx, bucket, key, v)
		return err
	})
	if err != nil {
		return nil, storeError(err)
	}
	if !ok {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "%s %s is not in the read model", what, key)
	}
	return v, nil
}

func blockKey(n uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], n)
	return k[:]
}

// Snapshot calls fn with a consistent copy of the read model, as of one
// read transaction, and its size (as DB.Snapshot does for the store).
func (x *Index) Snapshot(fn func(size int64, w io.WriterTo) error) error {
	return x.db.View(func(tx *bbolt.Tx) error { return fn(tx.Size(), tx) })
}

// Configs implements chengnuo.Index.
func (x *Index) Configs(_ context.Context, n uint64) ([][]byte, error) {
	var out [][]byte
	err := x.db.View(func(tx *bbolt.Tx) error {
		if height(tx) < n {
			return chengnuo.Errorf(chengnuo.EUNAVAILABLE, "the read model has %d blocks, not yet %d; retry shortly", height(tx), n)
		}
		c := tx.Bucket(idxConfigs).Cursor()
		for k, v := c.First(); k != nil && binary.BigEndian.Uint64(k) < n; k, v = c.Next() {
			out = append(out, bytes.Clone(v))
		}
		return nil
	})
	return out, storeError(err)
}

// indexTime is the latest transaction time applied.
func indexTime(tx *bbolt.Tx) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, string(tx.Bucket(idxMeta).Get(idxTime)))
	return t
}

// LedgerTime implements chengnuo.Index.
func (x *Index) LedgerTime(context.Context) (time.Time, error) {
	var t time.Time
	err := x.db.View(func(tx *bbolt.Tx) error {
		t = indexTime(tx)
		return nil
	})
	return t, storeError(err)
}

// Records implements chengnuo.Index.
func (x *Index) Records(ctx context.Context, kind string, fn func(id string, value []byte) error) error {
	prefix := []byte(kind + "\x00")
	return storeError(x.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(idxSupervision).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(string(k[len(prefix):]), v); err != nil {
				return err
			}
		}
		return nil
	}))
}

// Commitments implements chengnuo.Index: every record, in the order first
// applied.
func (x *Index) Commitments(ctx context.Context, fn func(*chengnuo.Commitment) error) error {
	return storeError(x.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(idxRecords).ForEach(func(_, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var c chengnuo.Commitment
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			return fn(&c)
		})
	}))
}
