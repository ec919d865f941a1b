package bolt

import (
	"context"
	"encoding/json"
	"sort"

	bbolt "go.etcd.io/bbolt"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/notary"
)

var (
	bucketOutgoing = []byte("outgoing")
	bucketInbox    = []byte("inbox")
)

var _ notary.VerificationStore = (*DB)(nil)

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
	return true, json.Unmarshal(raw, v)
}

// PutOutgoing implements notary.VerificationStore.
func (d *DB) PutOutgoing(_ context.Context, o *notary.Outgoing) error {
	return d.db.Update(func(tx *bbolt.Tx) error { return putJSON(tx, bucketOutgoing, o.Request.ID, o) })
}

// MarkDelivered implements notary.VerificationStore.
func (d *DB) MarkDelivered(_ context.Context, id string) error {
	return d.db.Update(func(tx *bbolt.Tx) error {
		var o notary.Outgoing
		ok, err := getJSON(tx, bucketOutgoing, id, &o)
		if err != nil || !ok {
			return err
		}
		// Delivered: the personal details are no longer needed here.
		o.Delivered, o.Details = true, nil
		return putJSON(tx, bucketOutgoing, id, &o)
	})
}

// Undelivered implements notary.VerificationStore.
func (d *DB) Undelivered(_ context.Context) ([]*notary.Outgoing, error) {
	var out []*notary.Outgoing
	err := d.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketOutgoing).ForEach(func(_, v []byte) error {
			var o notary.Outgoing
			if err := json.Unmarshal(v, &o); err != nil {
				return err
			}
			if !o.Delivered {
				out = append(out, &o)
			}
			return nil
		})
	})
	return out, err
}

// PutInbox implements notary.VerificationStore.
func (d *DB) PutInbox(_ context.Context, e *notary.InboxEntry) (bool, error) {
	added := false
	err := d.db.Update(func(tx *bbolt.Tx) error {
		var prev notary.InboxEntry
		ok, err := getJSON(tx, bucketInbox, e.Request.ID, &prev)
		if err != nil || ok {
			return err
		}
		added = true
		return putJSON(tx, bucketInbox, e.Request.ID, e)
	})
	return added, err
}

// updateInbox applies fn to one inbox entry in a single transaction.
func (d *DB) updateInbox(id string, fn func(*notary.InboxEntry) (bool, error)) (bool, error) {
	changed := false
	err := d.db.Update(func(tx *bbolt.Tx) error {
		var e notary.InboxEntry
		ok, err := getJSON(tx, bucketInbox, id, &e)
		if err != nil {
			return err
		}
		if !ok {
			return chengnuo.Errorf(chengnuo.ENOTFOUND, "request %s is not in the inbox", id)
		}
		if changed, err = fn(&e); err != nil || !changed {
			return err
		}
		return putJSON(tx, bucketInbox, id, &e)
	})
	return changed, err
}

// MarkHandled implements notary.VerificationStore.
func (d *DB) MarkHandled(_ context.Context, id, note string) (bool, error) {
	return d.updateInbox(id, func(e *notary.InboxEntry) (bool, error) {
		if e.Handled {
			return false, nil
		}
		e.Handled, e.Note = true, note
		e.Handlings++
		return true, nil
	})
}

// Inbox implements notary.VerificationStore, oldest first.
func (d *DB) Inbox(_ context.Context) ([]*notary.InboxEntry, error) {
	out := []*notary.InboxEntry{}
	err := d.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketInbox).ForEach(func(_, v []byte) error {
			var e notary.InboxEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, &e)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Request.RequestedAt.Before(out[j].Request.RequestedAt) })
	return out, err
}

// Letters implements notary.LetterLister.
func (d *DB) Letters(_ context.Context) ([]*notary.StoredLetter, error) {
	var out []*notary.StoredLetter
	err := d.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketLetters).ForEach(func(_, v []byte) error {
			var l notary.StoredLetter
			if err := json.Unmarshal(v, &l); err != nil {
				return err
			}
			out = append(out, &l)
			return nil
		})
	})
	return out, err
}

// InboxEntry implements notary.VerificationStore.
func (d *DB) InboxEntry(_ context.Context, id string) (*notary.InboxEntry, error) {
	var e notary.InboxEntry
	err := d.db.View(func(tx *bbolt.Tx) error {
		ok, err := getJSON(tx, bucketInbox, id, &e)
		if err == nil && !ok {
			err = chengnuo.Errorf(chengnuo.ENOTFOUND, "request %s is not in the inbox", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// SetRegistryAnswer implements notary.VerificationStore.
func (d *DB) SetRegistryAnswer(_ context.Context, id string, a notary.AnswerRequest) error {
	_, err := d.updateInbox(id, func(e *notary.InboxEntry) (bool, error) {
		e.Registry = &a
		return true, nil
	})
	return err
}
