package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/jackc/pgx/v5"

	"github.com/chengnuo/chengnuo"
)

var _ chengnuo.People = (*DB)(nil)

// CreateAccount implements chengnuo.People.
func (d *DB) CreateAccount(ctx context.Context, a *chengnuo.Account) error {
	raw, err := json.Marshal(a)
	if err != nil {
		return chengnuo.Internal("encode account", err)
	}
	return d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO accounts (username, doc) VALUES ($1, $2) ON CONFLICT DO NOTHING`, a.Username, raw)
		if err == nil && tag.RowsAffected() == 0 {
			return chengnuo.Errorf(chengnuo.ECONFLICT, "the account %s exists", a.Username)
		}
		return err
	})
}

// Account implements chengnuo.People.
func (d *DB) Account(ctx context.Context, username string) (*chengnuo.Account, error) {
	var a chengnuo.Account
	var ok bool
	err := d.run(ctx, func(ctx context.Context, tx pgx.Tx) (err error) {
		ok, err = getJSON(ctx, tx, &a, `SELECT doc FROM accounts WHERE username = $1`, username)
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

// UpdateAccount implements chengnuo.People: the row is locked while fn
// decides, so replicas update an account in turn.
func (d *DB) UpdateAccount(ctx context.Context, username string, fn func(*chengnuo.Account) error) (*chengnuo.Account, error) {
	var a chengnuo.Account
	err := d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		a = chengnuo.Account{}
		ok, err := getJSON(ctx, tx, &a, `SELECT doc FROM accounts WHERE username = $1 FOR UPDATE`, username)
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
		raw, err := json.Marshal(&a)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE accounts SET doc = $2 WHERE username = $1`, username, raw)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// Accounts implements chengnuo.People.
func (d *DB) Accounts(ctx context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.Account], error) {
	return page[*chengnuo.Account](ctx, d, p, "",
		`SELECT username, doc FROM accounts WHERE username > $1 ORDER BY username LIMIT $2`)
}

// PutSession implements chengnuo.People.
func (d *DB) PutSession(ctx context.Context, s *chengnuo.Session) error {
	raw, err := json.Marshal(s)
	if err != nil {
		return chengnuo.Internal("encode session", err)
	}
	return d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO sessions (id, username, doc) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`, s.ID, s.Username, raw)
		return err
	})
}

// Session implements chengnuo.People.
func (d *DB) Session(ctx context.Context, id string) (*chengnuo.Session, error) {
	var s chengnuo.Session
	var ok bool
	err := d.run(ctx, func(ctx context.Context, tx pgx.Tx) (err error) {
		ok, err = getJSON(ctx, tx, &s, `SELECT doc FROM sessions WHERE id = $1`, id)
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
func (d *DB) DeleteSession(ctx context.Context, id string) error {
	return d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id)
		return err
	})
}

// DeleteSessions implements chengnuo.People.
func (d *DB) DeleteSessions(ctx context.Context, username string) error {
	return d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE username = $1`, username)
		return err
	})
}

// AppendAudit implements chengnuo.People. The key sorts newest first: the
// complement of the time, then a random tie-breaker.
func (d *DB) AppendAudit(ctx context.Context, e *chengnuo.AuditEntry) error {
	raw, err := json.Marshal(e)
	if err != nil {
		return chengnuo.Internal("encode audit entry", err)
	}
	key := fmt.Sprintf("%016x%016x", math.MaxUint64-uint64(e.At.UnixNano()), rand.Uint64())
	return d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO audit_trail (key, doc) VALUES ($1, $2)`, key, raw)
		return err
	})
}

// AuditTrail implements chengnuo.People.
func (d *DB) AuditTrail(ctx context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.AuditEntry], error) {
	return page[*chengnuo.AuditEntry](ctx, d, p, "",
		`SELECT key, doc FROM audit_trail WHERE key > $1 ORDER BY key LIMIT $2`)
}
