// Package bolt is a department's own durable store (an embedded bbolt
// database under the state directory): full signed letters, reason texts,
// the disclosure index and its side of assisted verification — personal
// data that never goes to the shared ledger. It implements chengnuo.Store.
package bolt

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"syscall"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/chengnuo/chengnuo"
)

// Letters are kept in arrival order. Each held letter gets the next
// sequence number of its bucket; its body, its ledger state and its place in
// the queue of pending letters are keyed by that number, and only a small
// index maps its (random) id to it. A batch of new letters is then written
// at the end of the file, and marking the batch anchored rewrites the pages
// just written. Keyed by id, as before, every batch rewrote pages all over
// a file that grows by some 6 KB a letter, and all of them stayed mapped
// in the gateway's memory (issue 10: 204 MB of 232 after 35,000 letters).
var (
	bucketLetterIDs   = []byte("letter-ids")    // id -> seq (8 bytes, big endian)
	bucketBodies      = []byte("letter-bodies") // seq -> StoredLetter
	bucketStates      = []byte("letter-states") // seq -> ledgerState
	bucketQueue       = []byte("letter-queue")  // seq -> stored-at (unix ns, big-endian; empty in older stores), for each letter pending
	bucketSerials     = []byte("serials")
	bucketTexts       = []byte("texts")
	bucketDisclosures = []byte("disclosures") // until|id -> row; a letter's state names its row
	bucketOutgoing    = []byte("outgoing")
	bucketInbox       = []byte("inbox")
	bucketInboxOrder  = []byte("inbox-order") // requestedAt|id -> id
	bucketDrafts      = []byte("drafts")      // id -> Draft (its canonical letter)
	bucketLost        = []byte("lost")        // id -> LostLetter
)

// The layout before arrival order, read only to migrate it (migrateLetters).
var (
	legacyLetters = []byte("letters") // id -> StoredLetter, with its state until legacyRecords existed
	legacyRecords = []byte("records") // id -> ledgerState
	legacyPending = []byte("pending") // id -> nil
	// id -> until|id, before a letter's state named its disclosure row
	// (migrateDisclosedAt).
	legacyDisclosedAt = []byte("disclosed-at")
)

var allBuckets = [][]byte{bucketLetterIDs, bucketBodies, bucketStates, bucketQueue, bucketSerials, bucketTexts,
	bucketDisclosures, bucketOutgoing, bucketInbox, bucketInboxOrder, bucketDrafts,
	bucketAccounts, bucketSessions, bucketUserSessions, bucketAuditTrail, bucketLost}

// appendFill is the fill of the pages of buckets written in key order
// (bbolt's default, half, suits keys that arrive in random order).
const appendFill = 0.9

// DB implements chengnuo.Store. Every write is one fsynced bbolt transaction.
type DB struct {
	db *bbolt.DB
}

var _ chengnuo.Store = (*DB)(nil)

// Open opens or creates the database file.
func Open(path string) (*DB, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return migrateInboxOrder(tx)
	})
	if err == nil {
		err = migrateLetters(db)
	}
	if err == nil {
		err = migrateDisclosedAt(db)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init store: %w", err)
	}
	return &DB{db: db}, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// update runs one durable write transaction and maps storage failures.
func (d *DB) update(fn func(*bbolt.Tx) error) error {
	return storeError(d.db.Update(fn))
}

// batch is update for writes each request makes on its own (a draft's
// serial number): calls from concurrent requests share one write
// transaction and one fsync (bbolt's Batch), so the store's cost per call
// falls as load rises. fn may run more than once and must set everything it
// reports afresh. Letters are written a batch at a time by their callers.
func (d *DB) batch(fn func(*bbolt.Tx) error) error {
	return storeError(d.db.Batch(fn))
}

// view runs one read transaction.
func (d *DB) view(fn func(*bbolt.Tx) error) error {
	return storeError(d.db.View(fn))
}

// storeError keeps domain errors and turns the rest into EUNAVAILABLE (a
// full disk, a read-only file system) or EINTERNAL (anything else).
func storeError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*chengnuo.Error](err); ok {
		return err
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.EDQUOT) ||
		errors.Is(err, bbolt.ErrDatabaseNotOpen) || errors.Is(err, bbolt.ErrTimeout) {
		return &chengnuo.Error{Code: chengnuo.EUNAVAILABLE, Message: "the department's store cannot write now; nothing was changed", Err: err}
	}
	return chengnuo.Internal("the department's store failed", err)
}

func putJSON(tx *bbolt.Tx, bucket []byte, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put([]byte(key), raw)
}

func getJSON(tx *bbolt.Tx, bucket []byte, key string, v any) (bool, error) {
	raw := tx.Bucket(bucket).Get([]byte(key))
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("decode %s/%s: %w", bucket, key, err)
	}
	return true, nil
}

// timeKey formats a time so that keys sort by it.
func timeKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// page reads one page of bucket in key order, starting after the bookmark
// (the base64 of the last key of the previous page) or at seek, among the
// keys that begin with within (nil: all of them).
func page[T any](tx *bbolt.Tx, bucket, seek, within []byte, p chengnuo.Page, decode func(k, v []byte) (T, bool, error)) (*chengnuo.List[T], error) {
	limit, err := p.Limit()
	if err != nil {
		return nil, err
	}
	out := &chengnuo.List[T]{Items: []T{}}
	c := tx.Bucket(bucket).Cursor()
	var k, v []byte
	if p.Bookmark != "" {
		after, err := base64.RawURLEncoding.DecodeString(p.Bookmark)
		if err != nil || !bytes.HasPrefix(after, within) {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "malformed bookmark")
		}
		k, v = c.Seek(after)
		if k != nil && string(k) == string(after) {
			k, v = c.Next()
		}
	} else if seek != nil {
		k, v = c.Seek(seek)
	} else {
		k, v = c.First()
	}
	var last []byte
	for ; k != nil && bytes.HasPrefix(k, within); k, v = c.Next() {
		if len(out.Items) == limit {
			out.More, out.Bookmark = true, base64.RawURLEncoding.EncodeToString(last)
			break
		}
		item, ok, err := decode(k, v)
		if err != nil {
			return nil, err
		}
		last = append(last[:0], k...)
		if ok {
			out.Items = append(out.Items, item)
		}
	}
	return out, nil
}

// ---------------------------------------------------------------- letters

func seqKey(n uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, n)
	return k
}

// letterSeq returns the sequence key of a held letter, nil if none.
func letterSeq(tx *bbolt.Tx, id string) []byte {
	return tx.Bucket(bucketLetterIDs).Get([]byte(id))
}

func getLetter(tx *bbolt.Tx, id string) (*chengnuo.StoredLetter, error) {
	seq := letterSeq(tx, id)
	if seq == nil {
		return nil, chengnuo.LetterNotHeld(id)
	}
	return letterAt(tx, seq)
}

// letterAt reads the letter at seq, with its ledger state.
func letterAt(tx *bbolt.Tx, seq []byte) (*chengnuo.StoredLetter, error) {
	raw := tx.Bucket(bucketBodies).Get(seq)
	if raw == nil {
		return nil, fmt.Errorf("letter %x: no body", seq)
	}
	var l chengnuo.StoredLetter
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("decode letter %x: %w", seq, err)
	}
	ls, err := stateAt(tx, seq)
	l.State, l.Record = ls.State, ls.Record
	return &l, err
}

// ledgerState is the part of a stored letter that follows the ledger. It is
// kept apart from the letter, so that marking a letter anchored, the hot
// path's second write, neither reads nor rewrites the letter itself.
//
// Disclosed is the key of the letter's row in the disclosure list, while it
// has one. It used to be kept in an index of its own, by id: a write at a
// random place in the file for every letter anchored, where the state is
// rewritten in arrival order anyway.
type ledgerState struct {
	State     string               `json:"state"`
	Record    *chengnuo.Commitment `json:"record,omitempty"`
	Disclosed string               `json:"disclosed,omitempty"`
}

func stateAt(tx *bbolt.Tx, seq []byte) (ledgerState, error) {
	var ls ledgerState
	raw := tx.Bucket(bucketStates).Get(seq)
	if raw == nil {
		return ls, fmt.Errorf("letter %x: no state", seq)
	}
	if err := json.Unmarshal(raw, &ls); err != nil {
		return ls, fmt.Errorf("decode state %x: %w", seq, err)
	}
	return ls, nil
}

// currentState reads a letter's ledger state, and its sequence key, without
// reading the letter.
func currentState(tx *bbolt.Tx, id string) (ledgerState, []byte, error) {
	seq := letterSeq(tx, id)
	if seq == nil {
		return ledgerState{}, nil, chengnuo.LetterNotHeld(id)
	}
	ls, err := stateAt(tx, seq)
	return ls, seq, err
}

// putInOrder writes to a bucket whose keys mostly arrive in order.
func putInOrder(tx *bbolt.Tx, bucket, key, value []byte) error {
	b := tx.Bucket(bucket)
	b.FillPercent = appendFill
	return b.Put(key, value)
}

// putState records a letter's ledger state and keeps the pending queue. A
// letter that enters the queue is queued with storedAt, which PendingStats
// reads without decoding letters (zero: unknown, PendingStats decodes it).
func putState(tx *bbolt.Tx, seq []byte, ls ledgerState, storedAt time.Time) error {
	raw, err := json.Marshal(ls)
	if err != nil {
		return err
	}
	if err := putInOrder(tx, bucketStates, seq, raw); err != nil {
		return err
	}
	q := tx.Bucket(bucketQueue)
	if ls.State != chengnuo.StatePending {
		return q.Delete(seq)
	}
	if k, _ := q.Cursor().Seek(seq); bytes.Equal(k, seq) {
		return nil // queued already, with its time
	}
	var at []byte
	if !storedAt.IsZero() {
		at = binary.BigEndian.AppendUint64(nil, uint64(storedAt.UnixNano()))
	}
	return putInOrder(tx, bucketQueue, seq, at)
}

// putBody writes a letter's body at seq. Its state is kept apart (putState).
func putBody(tx *bbolt.Tx, seq []byte, l *chengnuo.StoredLetter) error {
	raw, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return putInOrder(tx, bucketBodies, seq, raw)
}

// addLetter holds a new letter under the next sequence number: body
// (already encoded) and state.
func addLetter(tx *bbolt.Tx, id string, body []byte, ls ledgerState, storedAt time.Time) error {
	bodies := tx.Bucket(bucketBodies)
	n, err := bodies.NextSequence()
	if err != nil {
		return err
	}
	seq := seqKey(n)
	if err := tx.Bucket(bucketLetterIDs).Put([]byte(id), seq); err != nil {
		return err
	}
	if err := putInOrder(tx, bucketBodies, seq, body); err != nil {
		return err
	}
	return putState(tx, seq, ls, storedAt)
}

// PutPending implements chengnuo.Store: one transaction, one fsync, for
// the whole batch. It is called once per anchoring batch, so it does not
// wait for others as the per-request writes do (bbolt's Batch).
func (d *DB) PutPending(_ context.Context, ls []*chengnuo.StoredLetter) ([]*chengnuo.StoredLetter, error) {
	existing := make([]*chengnuo.StoredLetter, len(ls))
	err := d.update(func(tx *bbolt.Tx) error {
		for i, l := range ls {
			if seq := letterSeq(tx, l.ID); seq != nil {
				prev, err := letterAt(tx, seq)
				if err != nil {
					return err
				}
				existing[i] = prev
				continue
			}
			body, err := json.Marshal(l)
			if err != nil {
				return err
			}
			if err := addLetter(tx, l.ID, body, ledgerState{State: l.State, Record: l.Record}, l.StoredAt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return existing, nil
}

// MarkAnchored implements chengnuo.Store, in one transaction.
func (d *DB) MarkAnchored(_ context.Context, marks []chengnuo.AnchorMark) error {
	return d.update(func(tx *bbolt.Tx) error {
		for _, m := range marks {
			if err := markAnchored(tx, m); err != nil {
				return err
			}
			// An anchored letter holds its draft's canonical text: the
			// draft goes (chengnuo.Store.MarkAnchored).
			if err := tx.Bucket(bucketDrafts).Delete([]byte(m.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}

func markAnchored(tx *bbolt.Tx, m chengnuo.AnchorMark) error {
	prev, seq, err := currentState(tx, m.ID)
	if err != nil {
		return err
	}
	// A recovery that raced the submission (here or at another replica)
	// may report an older state of the record than one already stored.
	rec, _ := chengnuo.KeepRecord(prev.Record, m.Record)
	next := ledgerState{State: chengnuo.StateAnchored, Record: rec, Disclosed: prev.Disclosed}
	if m.Disclosed != nil && listed(rec) {
		key := timeKey(m.Disclosed.Until) + "|" + m.ID
		raw, err := json.Marshal(m.Disclosed)
		if err != nil {
			return err
		}
		if err := dropDisclosure(tx, prev.Disclosed, key); err != nil {
			return err
		}
		if err := putInOrder(tx, bucketDisclosures, []byte(key), raw); err != nil {
			return err
		}
		next.Disclosed = key
	}
	return putState(tx, seq, next, time.Time{})
}

// dropDisclosure removes the disclosure row at key unless it is keep.
func dropDisclosure(tx *bbolt.Tx, key, keep string) error {
	if key == "" || key == keep {
		return nil
	}
	return tx.Bucket(bucketDisclosures).Delete([]byte(key))
}

// listed says whether a commitment in this state stays on the disclosure list.
func listed(rec *chengnuo.Commitment) bool {
	return rec.Status == chengnuo.StatusActive || rec.Status == chengnuo.StatusConcluded
}

// UpdateRecord implements chengnuo.Store.
func (d *DB) UpdateRecord(_ context.Context, id string, rec *chengnuo.Commitment) error {
	return d.update(func(tx *bbolt.Tx) error {
		prev, seq, err := currentState(tx, id)
		if err != nil {
			return err
		}
		rec, newer := chengnuo.KeepRecord(prev.Record, rec)
		if !newer {
			return nil
		}
		next := ledgerState{State: prev.State, Record: rec, Disclosed: prev.Disclosed}
		if !listed(rec) {
			if err := dropDisclosure(tx, prev.Disclosed, ""); err != nil {
				return err
			}
			next.Disclosed = ""
		}
		return putState(tx, seq, next, time.Time{})
	})
}

// Delete implements chengnuo.Store.
func (d *DB) Delete(_ context.Context, id string) error {
	return d.update(func(tx *bbolt.Tx) error {
		seq := letterSeq(tx, id)
		if seq == nil {
			return nil
		}
		seq = append([]byte(nil), seq...) // the page it points into changes below
		for _, b := range [][]byte{bucketQueue, bucketStates, bucketBodies} {
			if err := tx.Bucket(b).Delete(seq); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketLetterIDs).Delete([]byte(id))
	})
}

// Get implements chengnuo.Store.
func (d *DB) Get(_ context.Context, id string) (*chengnuo.StoredLetter, error) {
	var l *chengnuo.StoredLetter
	err := d.view(func(tx *bbolt.Tx) error {
		var err error
		l, err = getLetter(tx, id)
		return err
	})
	return l, err
}

// Pending implements chengnuo.Store.
func (d *DB) Pending(_ context.Context, limit int) ([]*chengnuo.StoredLetter, error) {
	var out []*chengnuo.StoredLetter
	err := d.view(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketQueue).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			l, err := letterAt(tx, k)
			if err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

// Letters implements chengnuo.Store: one page of the stored letters, in id
// order (a bookmark is the last id of the page before).
func (d *DB) Letters(_ context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.StoredLetter], error) {
	var out *chengnuo.List[*chengnuo.StoredLetter]
	err := d.view(func(tx *bbolt.Tx) error {
		var err error
		out, err = page(tx, bucketLetterIDs, nil, nil, p, func(_, seq []byte) (*chengnuo.StoredLetter, bool, error) {
			l, err := letterAt(tx, seq)
			return l, err == nil, err
		})
		return err
	})
	return out, err
}

// RecentLetters implements chengnuo.Store: the bodies backwards from the
// last sequence number (or from before the bookmark's).
func (d *DB) RecentLetters(_ context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.StoredLetter], error) {
	limit, err := p.Limit()
	if err != nil {
		return nil, err
	}
	out := &chengnuo.List[*chengnuo.StoredLetter]{Items: []*chengnuo.StoredLetter{}}
	err = d.view(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketBodies).Cursor()
		k, _ := c.Last()
		if p.Bookmark != "" {
			before, err := base64.RawURLEncoding.DecodeString(p.Bookmark)
			if err != nil || len(before) != 8 {
				return chengnuo.Errorf(chengnuo.EINVALID, "malformed bookmark")
			}
			if k, _ = c.Seek(before); k == nil {
				k, _ = c.Last()
			}
			for k != nil && bytes.Compare(k, before) >= 0 {
				k, _ = c.Prev()
			}
		}
		var last []byte
		for ; k != nil; k, _ = c.Prev() {
			if len(out.Items) == limit {
				out.More, out.Bookmark = true, base64.RawURLEncoding.EncodeToString(last)
				break
			}
			l, err := letterAt(tx, k)
			if err != nil {
				return err
			}
			last = append(last[:0], k...)
			out.Items = append(out.Items, l)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AddNote implements chengnuo.Store.
func (d *DB) AddNote(_ context.Context, id string, n chengnuo.Note) error {
	return d.update(func(tx *bbolt.Tx) error {
		l, err := getLetter(tx, id)
		if err != nil {
			return err
		}
		l.Notes = append(l.Notes, n)
		return putBody(tx, letterSeq(tx, id), l)
	})
}

// NextNumber implements chengnuo.Store.
func (d *DB) NextNumber(_ context.Context, year int) (int, error) {
	var n uint64
	err := d.batch(func(tx *bbolt.Tx) error {
		n = 0
		b := tx.Bucket(bucketSerials)
		k := []byte(strconv.Itoa(year))
		if raw := b.Get(k); len(raw) == 8 {
			n = binary.BigEndian.Uint64(raw)
		}
		n++
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], n)
		return b.Put(k, buf[:])
	})
	return int(n), err
}

// SkipNumbers implements chengnuo.Store.
func (d *DB) SkipNumbers(_ context.Context, year, n int) error {
	if n < 0 {
		return chengnuo.Errorf(chengnuo.EINVALID, "cannot skip a negative count of numbers")
	}
	return d.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSerials)
		k := []byte(strconv.Itoa(year))
		var cur uint64
		if raw := b.Get(k); len(raw) == 8 {
			cur = binary.BigEndian.Uint64(raw)
		}
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], cur+uint64(n))
		return b.Put(k, buf[:])
	})
}

// PutLost implements chengnuo.Store.
func (d *DB) PutLost(_ context.Context, ls []*chengnuo.LostLetter) error {
	return d.update(func(tx *bbolt.Tx) error {
		for _, l := range ls {
			if tx.Bucket(bucketLost).Get([]byte(l.ID)) != nil {
				continue
			}
			if err := putJSON(tx, bucketLost, l.ID, l); err != nil {
				return err
			}
		}
		return nil
	})
}

// Lost implements chengnuo.Store.
func (d *DB) Lost(_ context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.LostLetter], error) {
	var out *chengnuo.List[*chengnuo.LostLetter]
	err := d.view(func(tx *bbolt.Tx) error {
		var err error
		out, err = page(tx, bucketLost, nil, nil, p, func(_, v []byte) (*chengnuo.LostLetter, bool, error) {
			var l chengnuo.LostLetter
			err := json.Unmarshal(v, &l)
			return &l, err == nil, err
		})
		return err
	})
	return out, err
}

// GetLost implements chengnuo.Store.
func (d *DB) GetLost(_ context.Context, id string) (*chengnuo.LostLetter, error) {
	var l chengnuo.LostLetter
	err := d.view(func(tx *bbolt.Tx) error {
		ok, err := getJSON(tx, bucketLost, id, &l)
		if err == nil && !ok {
			err = chengnuo.Errorf(chengnuo.ENOTFOUND, "no lost letter %s", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// Snapshot calls fn with a consistent copy of the whole store, as of one
// read transaction, and its size: an online backup while letters keep
// arriving.
func (d *DB) Snapshot(fn func(size int64, w io.WriterTo) error) error {
	return d.db.View(func(tx *bbolt.Tx) error { return fn(tx.Size(), tx) })
}

// PutText implements chengnuo.Store.
func (d *DB) PutText(_ context.Context, t *chengnuo.Text) error {
	return d.update(func(tx *bbolt.Tx) error { return putJSON(tx, bucketTexts, t.Digest, t) })
}

// GetText implements chengnuo.Store.
func (d *DB) GetText(_ context.Context, digest string) (*chengnuo.Text, error) {
	var t chengnuo.Text
	err := d.view(func(tx *bbolt.Tx) error {
		ok, err := getJSON(tx, bucketTexts, digest, &t)
		if err == nil && !ok {
			err = chengnuo.TextNotKept(digest)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// PutDraft implements chengnuo.Store.
func (d *DB) PutDraft(_ context.Context, dr *chengnuo.Draft) error {
	return d.update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketDrafts).Get([]byte(dr.ID)) != nil {
			return nil
		}
		return putJSON(tx, bucketDrafts, dr.ID, dr)
	})
}

// GetDraft implements chengnuo.Store.
func (d *DB) GetDraft(_ context.Context, id string) (*chengnuo.Draft, error) {
	var dr chengnuo.Draft
	err := d.view(func(tx *bbolt.Tx) error {
		ok, err := getJSON(tx, bucketDrafts, id, &dr)
		if err == nil && !ok {
			err = chengnuo.DraftNotKept(id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &dr, nil
}

// Disclosures implements chengnuo.Store: rows whose period ends after at,
// in the order their periods end; rows whose period has not begun are skipped.
func (d *DB) Disclosures(_ context.Context, at time.Time, p chengnuo.Page) (*chengnuo.List[*chengnuo.DisclosedLetter], error) {
	var out *chengnuo.List[*chengnuo.DisclosedLetter]
	err := d.view(func(tx *bbolt.Tx) error {
		var err error
		// Seek past every key of a period ending at or before at.
		out, err = page(tx, bucketDisclosures, []byte(timeKey(at)+"|\xff"), nil, p, func(_, v []byte) (*chengnuo.DisclosedLetter, bool, error) {
			var row chengnuo.DisclosedLetter
			if err := json.Unmarshal(v, &row); err != nil {
				return nil, false, err
			}
			return &row, !at.Before(row.From), nil
		})
		return err
	})
	return out, err
}

// PendingStats implements chengnuo.Store, exactly: it counts every queued
// letter and reads each one's time from the queue itself (8 bytes, no
// letter decoded; a letter queued by an older store is decoded).
func (d *DB) PendingStats(context.Context) (int, time.Time, error) {
	var n int
	var oldest time.Time
	err := d.view(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketQueue).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			n++
			var at time.Time
			if len(v) == 8 {
				at = time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC()
			} else {
				l, err := letterAt(tx, k)
				if err != nil {
					return err
				}
				at = l.StoredAt
			}
			if oldest.IsZero() || at.Before(oldest) {
				oldest = at
			}
		}
		return nil
	})
	return n, oldest, err
}

// migrateChunk is how many entries one transaction of a migration moves:
// a transaction keeps what it writes in memory until it commits.
var migrateChunk = 5000

// migrateChunks moves the entries of bucket old into a newer layout,
// migrateChunk per transaction, each with move (which must not touch old);
// once old is empty, the transaction that finds it so drops old and, with
// it, the buckets in also. A migration cut short resumes where it stopped.
func migrateChunks(db *bbolt.DB, old []byte, also [][]byte, move func(tx *bbolt.Tx, k, v []byte) error) error {
	for {
		done := false
		err := db.Update(func(tx *bbolt.Tx) error {
			b := tx.Bucket(old)
			if b == nil {
				done = true
				return nil
			}
			var keys, values [][]byte
			c := b.Cursor()
			for k, v := c.First(); k != nil && len(keys) < migrateChunk; k, v = c.Next() {
				keys, values = append(keys, bytes.Clone(k)), append(values, bytes.Clone(v))
			}
			if len(keys) == 0 {
				done = true
				for _, name := range append([][]byte{old}, also...) {
					if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, bbolt.ErrBucketNotFound) {
						return err
					}
				}
				return nil
			}
			for i, k := range keys {
				if err := move(tx, k, values[i]); err != nil {
					return err
				}
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || done {
			return err
		}
	}
}

// migrateLetters moves letters kept by id (the layout before arrival order)
// into the current layout, each letter whole; the old buckets are dropped
// once empty. A letter from before ledger states were kept apart takes its
// state from its own value.
func migrateLetters(db *bbolt.DB) error {
	return migrateChunks(db, legacyLetters, [][]byte{legacyRecords, legacyPending}, func(tx *bbolt.Tx, id, body []byte) error {
		if letterSeq(tx, string(id)) != nil {
			return nil
		}
		// The state kept apart, whole, if there is one (as the earlier
		// layout read it); else the letter's own.
		src := body
		if raw := getRaw(tx.Bucket(legacyRecords), id); raw != nil {
			src = raw
		}
		var ls ledgerState
		if err := json.Unmarshal(src, &ls); err != nil {
			return fmt.Errorf("migrate the state of letter %s: %w", id, err)
		}
		return addLetter(tx, string(id), body, ls, time.Time{}) // PendingStats decodes it
	})
}

// migrateDisclosedAt moves the index of disclosure rows by id (the layout
// before a letter's state named its row) into the letters' states.
func migrateDisclosedAt(db *bbolt.DB) error {
	return migrateChunks(db, legacyDisclosedAt, nil, func(tx *bbolt.Tx, id, key []byte) error {
		ls, seq, err := currentState(tx, string(id))
		if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
			return nil // a row of no letter held: it stays listed, as it did
		}
		if err != nil || ls.Disclosed != "" {
			return err
		}
		ls.Disclosed = string(key)
		return putState(tx, seq, ls, time.Time{})
	})
}

// getRaw reads a key of a bucket that may not exist.
func getRaw(b *bbolt.Bucket, key []byte) []byte {
	if b == nil {
		return nil
	}
	return b.Get(key)
}
