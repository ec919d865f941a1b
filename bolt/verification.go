package bolt

import (
	"context"
	"encoding/json"

	bbolt "go.etcd.io/bbolt"

	"github.com/chengnuo/chengnuo"
)

// PutOutgoing implements chengnuo.Store.
func (d *DB) PutOutgoing(_ context.Context, o *chengnuo.Outgoing) error {
	if o.Key == "" {
		return chengnuo.Internal("an outgoing delivery needs a key", nil)
	}
	return d.update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketOutgoing).Get([]byte(o.Key)) != nil {
			return nil
		}
		return putJSON(tx, bucketOutgoing, o.Key, o)
	})
}

// MarkDelivered implements chengnuo.Store.
func (d *DB) MarkDelivered(_ context.Context, key string) error {
	return d.update(func(tx *bbolt.Tx) error {
		var o chengnuo.Outgoing
		ok, err := getJSON(tx, bucketOutgoing, key, &o)
		if err != nil || !ok {
			return err
		}
		// Delivered: the personal data is no longer needed here.
		o.Delivered, o.Details = true, nil
		return putJSON(tx, bucketOutgoing, key, &o)
	})
}

// outgoing decodes a delivery, completing one written before deliveries
// had kinds and keys (then every delivery was a request's details).
func outgoing(k, v []byte) (*chengnuo.Outgoing, error) {
	var o chengnuo.Outgoing
	if err := json.Unmarshal(v, &o); err != nil {
		return nil, err
	}
	if o.Kind == "" {
		o.Kind, o.Key = chengnuo.DeliverDetails, string(k)
		if o.Request != nil {
			o.To = o.Request.To
		}
	}
	return &o, nil
}

// Undelivered implements chengnuo.Store.
func (d *DB) Undelivered(_ context.Context, after string, limit int) ([]*chengnuo.Outgoing, error) {
	var out []*chengnuo.Outgoing
	err := d.view(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketOutgoing).Cursor()
		k, v := c.First()
		if after != "" {
			if k, v = c.Seek([]byte(after)); k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			o, err := outgoing(k, v)
			if err != nil {
				return err
			}
			if !o.Delivered {
				out = append(out, o)
			}
		}
		return nil
	})
	return out, err
}

func inboxOrderKey(e *chengnuo.InboxEntry) []byte {
	return []byte(timeKey(e.Request.RequestedAt) + "|" + e.Request.ID)
}

// migrateInboxOrder indexes inbox entries written before the order index existed.
func migrateInboxOrder(tx *bbolt.Tx) error {
	order := tx.Bucket(bucketInboxOrder)
	if order.Stats().KeyN > 0 {
		return nil
	}
	return tx.Bucket(bucketInbox).ForEach(func(k, v []byte) error {
		var e chengnuo.InboxEntry
		if err := json.Unmarshal(v, &e); err != nil || e.Request == nil {
			return err
		}
		return order.Put(inboxOrderKey(&e), k)
	})
}

// PutInbox implements chengnuo.Store.
func (d *DB) PutInbox(_ context.Context, e *chengnuo.InboxEntry) (bool, error) {
	added := false
	err := d.update(func(tx *bbolt.Tx) error {
		var prev chengnuo.InboxEntry
		ok, err := getJSON(tx, bucketInbox, e.Request.ID, &prev)
		if err != nil || ok {
			return err
		}
		added = true
		if err := tx.Bucket(bucketInboxOrder).Put(inboxOrderKey(e), []byte(e.Request.ID)); err != nil {
			return err
		}
		return putJSON(tx, bucketInbox, e.Request.ID, e)
	})
	return added, err
}

// updateInbox applies fn to one inbox entry in a single transaction.
func (d *DB) updateInbox(id string, fn func(*chengnuo.InboxEntry) bool) (bool, error) {
	changed := false
	err := d.update(func(tx *bbolt.Tx) error {
		var e chengnuo.InboxEntry
		ok, err := getJSON(tx, bucketInbox, id, &e)
		if err != nil {
			return err
		}
		if !ok {
			return chengnuo.NotInInbox(id)
		}
		if changed = fn(&e); !changed {
			return nil
		}
		return putJSON(tx, bucketInbox, id, &e)
	})
	return changed, err
}

// MarkHandled implements chengnuo.Store.
func (d *DB) MarkHandled(_ context.Context, id, note string) (bool, error) {
	return d.updateInbox(id, func(e *chengnuo.InboxEntry) bool { return e.Handle(note) })
}

// MarkReminded implements chengnuo.Store.
func (d *DB) MarkReminded(_ context.Context, id, urgency string) (bool, error) {
	return d.updateInbox(id, func(e *chengnuo.InboxEntry) bool { return e.Remind(urgency) })
}

// SetRegistryAnswer implements chengnuo.Store.
func (d *DB) SetRegistryAnswer(_ context.Context, id string, a chengnuo.AnswerRequest) error {
	_, err := d.updateInbox(id, func(e *chengnuo.InboxEntry) bool {
		e.Registry = &a
		return true
	})
	return err
}

// InboxEntry implements chengnuo.Store.
func (d *DB) InboxEntry(_ context.Context, id string) (*chengnuo.InboxEntry, error) {
	var e chengnuo.InboxEntry
	err := d.view(func(tx *bbolt.Tx) error {
		ok, err := getJSON(tx, bucketInbox, id, &e)
		if err == nil && !ok {
			err = chengnuo.NotInInbox(id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// Inbox implements chengnuo.Store: oldest request first.
func (d *DB) Inbox(_ context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.InboxEntry], error) {
	var out *chengnuo.List[*chengnuo.InboxEntry]
	err := d.view(func(tx *bbolt.Tx) error {
		var err error
		out, err = page(tx, bucketInboxOrder, nil, nil, p, func(_, id []byte) (*chengnuo.InboxEntry, bool, error) {
			var e chengnuo.InboxEntry
			ok, err := getJSON(tx, bucketInbox, string(id), &e)
			return &e, ok, err
		})
		return err
	})
	return out, err
}
