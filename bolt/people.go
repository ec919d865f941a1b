package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"

	"go.etcd.io/bbolt"

	"github.com/chengnuo/chengnuo"
)

// The workbench's people: accounts by username, sessions by id (the SM3 of
// the cookie), sessions by username (to end them all), and the audit trail
// keyed newest first (the complement of its time, then a sequence number).
var (
	bucketAccounts     = []byte("accounts")
	bucketSessions     = []byte("sessions")
	bucketUserSessions = []byte("user-sessions") // username|id -> nil
	bucketAuditTrail   = []byte("audit-trail")
)

var _ chengnuo.People = (*DB)(nil)

// CreateAccount implements chengnuo.People.
func (d *DB) CreateAccount(_ context.Context, a *chengnuo.Account) error {
	return d.update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketAccounts).Get([]byte(a.Username)) != nil {
			return chengnuo.Errorf(chengnuo.ECONFLICT, "the account %s exists", a.Username)
		}
		return putJSON(tx, bucketAccounts, a.Username, a)
	})
}

// Account implements chengnuo.People.
func (d *DB) Account(_ context.Context, username string) (*chengnuo.Account, error) {
	var a chengnuo.Account
	var ok bool
	err := d.view(func(tx *bbolt.Tx) (err error) {
		ok, err = getJSON(tx, bucketAccounts, username, &a)
		return err
	})
	if err == nil && !ok {
		err = chengnuo.Errorf(chengnuo.ENOTFOUND, "no account %s", username)
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// UpdateAccount implements chengnuo.People.
func (d *DB) UpdateAccount(_ context.Context, username string, fn func(*chengnuo.Account) error) (*chengnuo.Account, error) {
	var a chengnuo.Account
	err := d.update(func(tx *bbolt.Tx) error {
		ok, err := getJSON(tx, bucketAccounts, username, &a)
		if err != nil {
			return err
		}
		if !ok {
			return chengnuo.Errorf(chengnuo.ENOTFOUND, "no account %s", username)
		}
		if err := fn(&a); err != nil {
			return err
		}
		a.Username = username
		return putJSON(tx, bucketAccounts, username, &a)
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// Accounts implements chengnuo.People.
func (d *DB) Accounts(_ context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.Account], error) {
	var out *chengnuo.List[*chengnuo.Account]
	err := d.view(func(tx *bbolt.Tx) (err error) {
		out, err = page(tx, bucketAccounts, nil, nil, p, func(_, v []byte) (*chengnuo.Account, bool, error) {
			var a chengnuo.Account
			return &a, true, json.Unmarshal(v, &a)
		})
		return err
	})
	return out, err
}

// PutSession implements chengnuo.People.
func (d *DB) PutSession(_ context.Context, s *chengnuo.Session) error {
	return d.update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketUserSessions).Put([]byte(s.Username+"|"+s.ID), nil); err != nil {
			return err
		}
		return putJSON(tx, bucketSessions, s.ID, s)
	})
}

// Session implements chengnuo.People.
func (d *DB) Session(_ context.Context, id string) (*chengnuo.Session, error) {
	var s chengnuo.Session
	var ok bool
	err := d.view(func(tx *bbolt.Tx) (err error) {
		ok, err = getJSON(tx, bucketSessions, id, &s)
		return err
	})
	if err == nil && !ok {
		err = chengnuo.Errorf(chengnuo.ENOTFOUND, "no such session")
	}
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// DeleteSession implements chengnuo.People.
func (d *DB) DeleteSession(_ context.Context, id string) error {
	return d.update(func(tx *bbolt.Tx) error {
		var s chengnuo.Session
		ok, err := getJSON(tx, bucketSessions, id, &s)
		if err != nil || !ok {
			return err
		}
		if err := tx.Bucket(bucketUserSessions).Delete([]byte(s.Username + "|" + id)); err != nil {
			return err
		}
		return tx.Bucket(bucketSessions).Delete([]byte(id))
	})
}

// DeleteSessions implements chengnuo.People.
func (d *DB) DeleteSessions(_ context.Context, username string) error {
	return d.update(func(tx *bbolt.Tx) error {
		prefix := []byte(username + "|")
		var keys [][]byte
		c := tx.Bucket(bucketUserSessions).Cursor()
		for k, _ := c.Seek(prefix); k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
			keys = append(keys, append([]byte(nil), k...))
		}
		for _, k := range keys {
			if err := tx.Bucket(bucketSessions).Delete(k[len(prefix):]); err != nil {
				return err
			}
			if err := tx.Bucket(bucketUserSessions).Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// AppendAudit implements chengnuo.People.
func (d *DB) AppendAudit(_ context.Context, e *chengnuo.AuditEntry) error {
	return d.batch(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAuditTrail)
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		key := binary.BigEndian.AppendUint64(nil, math.MaxUint64-uint64(e.At.UnixNano()))
		key = binary.BigEndian.AppendUint64(key, math.MaxUint64-n)
		raw, err := json.Marshal(e)
		if err != nil {
			return err
		}
		return b.Put(key, raw)
	})
}

// AuditTrail implements chengnuo.People.
func (d *DB) AuditTrail(_ context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.AuditEntry], error) {
	var out *chengnuo.List[*chengnuo.AuditEntry]
	err := d.view(func(tx *bbolt.Tx) (err error) {
		out, err = page(tx, bucketAuditTrail, nil, nil, p, func(_, v []byte) (*chengnuo.AuditEntry, bool, error) {
			var e chengnuo.AuditEntry
			return &e, true, json.Unmarshal(v, &e)
		})
		return err
	})
	return out, err
}
