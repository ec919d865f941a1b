package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/chengnuo/chengnuo"
)

// PutOutgoing implements chengnuo.Store.
func (d *DB) PutOutgoing(ctx context.Context, o *chengnuo.Outgoing) error {
	if o.Key == "" {
		return chengnuo.Internal("an outgoing delivery needs a key", nil)
	}
	raw, err := json.Marshal(o)
	if err != nil {
		return chengnuo.Internal("encode delivery", err)
	}
	return d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO outgoing (key, delivered, doc) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO NOTHING`, o.Key, o.Delivered, raw)
		return err
	})
}

// MarkDelivered implements chengnuo.Store.
func (d *DB) MarkDelivered(ctx context.Context, key string) error {
	return d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var o chengnuo.Outgoing
		ok, err := getJSON(ctx, tx, &o, `SELECT doc FROM outgoing WHERE key = $1 FOR UPDATE`, key)
		if err != nil || !ok {
			return err
		}
		// Delivered: the personal data is no longer needed here.
		o.Delivered, o.Details = true, nil
		raw, err := json.Marshal(&o)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE outgoing SET delivered = true, doc = $2 WHERE key = $1`, key, raw)
		return err
	})
}

// Undelivered implements chengnuo.Store.
func (d *DB) Undelivered(ctx context.Context, after string, limit int) ([]*chengnuo.Outgoing, error) {
	return list[chengnuo.Outgoing](ctx, d, `SELECT doc FROM outgoing WHERE NOT delivered AND key > $1 ORDER BY key LIMIT $2`, after, limit)
}

// PutInbox implements chengnuo.Store: of replicas that receive the same
// request event, exactly one adds it.
func (d *DB) PutInbox(ctx context.Context, e *chengnuo.InboxEntry) (bool, error) {
	raw, err := json.Marshal(e)
	if err != nil {
		return false, chengnuo.Internal("encode inbox entry", err)
	}
	added := false
	err = d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		// No conflict target: two replicas inserting the same request at
		// once may meet first on order_key, which derives from the id, and
		// a targeted ON CONFLICT would fail there instead of doing nothing.
		tag, err := tx.Exec(ctx, `INSERT INTO inbox (request_id, order_key, doc) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, e.Request.ID, timeKey(e.Request.RequestedAt)+"|"+e.Request.ID, raw)
		added = err == nil && tag.RowsAffected() == 1
		return err
	})
	return added, err
}

// updateInbox applies fn to one inbox entry, its row locked.
func (d *DB) updateInbox(ctx context.Context, id string, fn func(*chengnuo.InboxEntry) bool) (bool, error) {
	changed := false
	err := d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var e chengnuo.InboxEntry
		ok, err := getJSON(ctx, tx, &e, `SELECT doc FROM inbox WHERE request_id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		if !ok {
			return chengnuo.NotInInbox(id)
		}
		if changed = fn(&e); !changed {
			return nil
		}
		raw, err := json.Marshal(&e)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE inbox SET doc = $2 WHERE request_id = $1`, id, raw)
		return err
	})
	return changed, err
}

// MarkHandled implements chengnuo.Store: of replicas handling the same
// entry, exactly one marks it.
func (d *DB) MarkHandled(ctx context.Context, id, note string) (bool, error) {
	return d.updateInbox(ctx, id, func(e *chengnuo.InboxEntry) bool { return e.Handle(note) })
}

// MarkReminded implements chengnuo.Store.
func (d *DB) MarkReminded(ctx context.Context, id, urgency string) (bool, error) {
	return d.updateInbox(ctx, id, func(e *chengnuo.InboxEntry) bool { return e.Remind(urgency) })
}

// SetRegistryAnswer implements chengnuo.Store.
func (d *DB) SetRegistryAnswer(ctx context.Context, id string, a chengnuo.AnswerRequest) error {
	_, err := d.updateInbox(ctx, id, func(e *chengnuo.InboxEntry) bool {
		e.Registry = &a
		return true
	})
	return err
}

// InboxEntry implements chengnuo.Store.
func (d *DB) InboxEntry(ctx context.Context, id string) (*chengnuo.InboxEntry, error) {
	var e chengnuo.InboxEntry
	err := d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		ok, err := getJSON(ctx, tx, &e, `SELECT doc FROM inbox WHERE request_id = $1`, id)
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
func (d *DB) Inbox(ctx context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.InboxEntry], error) {
	return page[*chengnuo.InboxEntry](ctx, d, p, "",
		`SELECT order_key, doc FROM inbox WHERE order_key > $1 ORDER BY order_key LIMIT $2`)
}
