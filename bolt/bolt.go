// Package bolt is the department's own durable store (an embedded bbolt
// database under the state directory) for full signed letters — personal
// data that never goes to the shared ledger.
package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/notary"
)

var (
	bucketLetters = []byte("letters")
	bucketPending = []byte("pending")
	bucketSerials = []byte("serials")
)

// DB implements notary.Store. Every write is one fsynced bbolt transaction.
type DB struct {
	db *bbolt.DB
}

var _ notary.Store = (*DB)(nil)

// Open opens or creates the database file.
func Open(path string) (*DB, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketLetters, bucketPending, bucketSerials, bucketOutgoing, bucketInbox} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init store: %w", err)
	}
	return &DB{db: db}, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

func get(tx *bbolt.Tx, id string) (*notary.StoredLetter, error) {
	raw := tx.Bucket(bucketLetters).Get([]byte(id))
	if raw == nil {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "letter %s is not held by this department", id)
	}
	var l notary.StoredLetter
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("decode stored letter %s: %w", id, err)
	}
	return &l, nil
}

func put(tx *bbolt.Tx, l *notary.StoredLetter) error {
	raw, err := json.Marshal(l)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketLetters).Put([]byte(l.ID), raw); err != nil {
		return err
	}
	if l.State == notary.StatePending {
		return tx.Bucket(bucketPending).Put([]byte(l.ID), nil)
	}
	return tx.Bucket(bucketPending).Delete([]byte(l.ID))
}

// PutPending implements notary.Store.
func (d *DB) PutPending(_ context.Context, l *notary.StoredLetter) (*notary.StoredLetter, error) {
	var existing *notary.StoredLetter
	err := d.db.Update(func(tx *bbolt.Tx) error {
		if prev, err := get(tx, l.ID); err == nil {
			existing = prev
			return nil
		} else if chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
			return err
		}
		return put(tx, l)
	})
	return existing, err
}

// MarkAnchored implements notary.Store.
func (d *DB) MarkAnchored(_ context.Context, id string, rec *chengnuo.Commitment) error {
	return d.db.Update(func(tx *bbolt.Tx) error {
		l, err := get(tx, id)
		if err != nil {
			return err
		}
		l.State, l.Record = notary.StateAnchored, rec
		return put(tx, l)
	})
}

// Delete implements notary.Store.
func (d *DB) Delete(_ context.Context, id string) error {
	return d.db.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketPending).Delete([]byte(id)); err != nil {
			return err
		}
		return tx.Bucket(bucketLetters).Delete([]byte(id))
	})
}

// Get implements notary.Store.
func (d *DB) Get(_ context.Context, id string) (*notary.StoredLetter, error) {
	var l *notary.StoredLetter
	err := d.db.View(func(tx *bbolt.Tx) error {
		var err error
		l, err = get(tx, id)
		return err
	})
	return l, err
}

// Pending implements notary.Store.
func (d *DB) Pending(_ context.Context) ([]*notary.StoredLetter, error) {
	var out []*notary.StoredLetter
	err := d.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketPending).ForEach(func(k, _ []byte) error {
			l, err := get(tx, string(k))
			if err != nil {
				return err
			}
			out = append(out, l)
			return nil
		})
	})
	return out, err
}

// AddNote implements notary.Store.
func (d *DB) AddNote(_ context.Context, id string, n notary.Note) error {
	return d.db.Update(func(tx *bbolt.Tx) error {
		l, err := get(tx, id)
		if err != nil {
			return err
		}
		l.Notes = append(l.Notes, n)
		return put(tx, l)
	})
}

// NextNumber implements notary.Store.
func (d *DB) NextNumber(_ context.Context, year int) (int, error) {
	var n uint64
	err := d.db.Update(func(tx *bbolt.Tx) error {
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
