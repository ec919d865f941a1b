// Package postgres is a department's own durable store in PostgreSQL, for a
// department that runs more than one gateway replica: the replicas share
// it, so a letter stored by one is anchored, looked up and recovered by any
// of them. It implements chengnuo.Store with the same semantics as the
// embedded store (package bolt), which stays the default for one replica.
//
// Every row keeps its value as the JSON of the domain type (a jsonb
// column) beside the few columns that are queried: whether a letter is
// pending, a disclosure row's sort key and start, an inbox entry's order.
// Each write is one transaction; a read-modify-write locks its row.
package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chengnuo/chengnuo"
)

// opTimeout bounds one store operation when the caller set no deadline.
const opTimeout = 15 * time.Second

// schema is applied at Open under an advisory lock, so replicas starting
// together do not race; every statement is idempotent. Sort keys use the
// "C" collation: pages follow byte order, as in the embedded store,
// whatever the database's locale.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS letters (
		id        text COLLATE "C" PRIMARY KEY,
		pending   boolean NOT NULL,
		stored_at timestamptz NOT NULL,
		doc       jsonb NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS letters_pending ON letters (id) WHERE pending`,
	`CREATE INDEX IF NOT EXISTS letters_recent ON letters (stored_at, id)`,
	`CREATE TABLE IF NOT EXISTS serials (year integer PRIMARY KEY, n bigint NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS texts (digest text PRIMARY KEY, doc jsonb NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS drafts (id text PRIMARY KEY, doc jsonb NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS disclosures (
		id      text PRIMARY KEY,
		key     text COLLATE "C" NOT NULL UNIQUE,
		from_at timestamptz NOT NULL,
		doc     jsonb NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS outgoing (key text PRIMARY KEY, delivered boolean NOT NULL, doc jsonb NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS outgoing_undelivered ON outgoing (key) WHERE NOT delivered`,
	`CREATE TABLE IF NOT EXISTS inbox (request_id text PRIMARY KEY, order_key text COLLATE "C" NOT NULL UNIQUE, doc jsonb NOT NULL)`,
	// The workbench's people (chengnuo.People).
	`CREATE TABLE IF NOT EXISTS accounts (username text COLLATE "C" PRIMARY KEY, doc jsonb NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS sessions (id text PRIMARY KEY, username text NOT NULL, doc jsonb NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS sessions_username ON sessions (username)`,
	`CREATE TABLE IF NOT EXISTS audit_trail (key text COLLATE "C" PRIMARY KEY, doc jsonb NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS lost (id text COLLATE "C" PRIMARY KEY, doc jsonb NOT NULL)`,
}

// schemaLock is the advisory lock key of schema changes ("chengnuo").
const schemaLock = 0x6368656e676e756f

// DB implements chengnuo.Store on a PostgreSQL database.
type DB struct {
	pool *pgxpool.Pool
}

var _ chengnuo.Store = (*DB)(nil)

// IsURL says whether a store setting names a PostgreSQL database rather
// than a file of the embedded store.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database at url (a postgres:// URL; libpq's
// environment, e.g. PGPASSFILE, applies) and creates the schema.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store URL: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	d := &DB{pool: pool}
	if err := d.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("init store %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	return d, nil
}

// tables are the schema's tables; when all exist, Open changes nothing (so
// a replica can start on a database that refuses writes for now).
var tables = []string{"letters", "serials", "texts", "drafts", "disclosures", "outgoing", "inbox", "accounts", "sessions", "audit_trail", "lost"}

func (d *DB) migrate(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var n int
	err := d.pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY($1)`, tables).Scan(&n)
	if err != nil || n == len(tables) {
		return err
	}
	return pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(schemaLock)); err != nil {
			return err
		}
		for _, s := range schema {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
}

// Close closes every connection.
func (d *DB) Close() error {
	d.pool.Close()
	return nil
}

// storeError keeps domain errors, turns what a retry may cure (no
// connection, the server shutting down, a full disk, a read-only server,
// a deadline) into EUNAVAILABLE and the rest into EINTERNAL.
func storeError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*chengnuo.Error](err); ok {
		return err
	}
	unavailable := &chengnuo.Error{Code: chengnuo.EUNAVAILABLE, Message: "the department's store cannot write now; nothing was changed", Err: err}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"), // insufficient resources: disk full, out of memory, too many connections
			strings.HasPrefix(pe.Code, "57"), // operator intervention: shutdown, cancel
			pe.Code == "25006",               // read-only transaction (a standby)
			pe.Code == "40001", pe.Code == "40P01":
			return unavailable
		}
		return chengnuo.Internal("the department's store failed", err)
	}
	// Not a server's answer: the connection (refused, reset, timed out) or
	// the caller's deadline.
	return unavailable
}

// run runs fn in one transaction with a bounded time and maps its error.
func (d *DB) run(ctx context.Context, fn func(context.Context, pgx.Tx) error) error {
	ctx, cancel := bounded(ctx)
	defer cancel()
	return storeError(pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error { return fn(ctx, tx) }))
}

func bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, opTimeout)
}

// getJSON reads one jsonb value into v; false if there is no row.
func getJSON(ctx context.Context, q pgx.Tx, v any, sql string, args ...any) (bool, error) {
	var raw []byte
	if err := q.QueryRow(ctx, sql, args...).Scan(&raw); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		return false, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("decode stored value: %w", err)
	}
	return true, nil
}

// list reads the jsonb values sql selects (one column).
func list[T any](ctx context.Context, d *DB, sql string, args ...any) ([]*T, error) {
	var out []*T
	err := d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		out = nil
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var raw []byte
			if err := rows.Scan(&raw); err != nil {
				return err
			}
			v := new(T)
			if err := json.Unmarshal(raw, v); err != nil {
				return fmt.Errorf("decode stored value: %w", err)
			}
			out = append(out, v)
		}
		return rows.Err()
	})
	return out, err
}

// timeKey formats a time so that keys sort by it (the embedded store's format).
func timeKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// page reads one page of rows (key, doc) in key order: sql selects them
// with $1 the key to start after and $2 the row limit, extra arguments
// following. The bookmark is the base64 of the last key returned.
func page[T any](ctx context.Context, d *DB, p chengnuo.Page, after string, sql string, args ...any) (*chengnuo.List[T], error) {
	limit, err := p.Limit()
	if err != nil {
		return nil, err
	}
	if p.Bookmark != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Bookmark)
		if err != nil {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "malformed bookmark")
		}
		after = string(raw)
	}
	out := &chengnuo.List[T]{Items: []T{}}
	err = d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sql, append([]any{after, limit + 1}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var last string
		for rows.Next() {
			var key string
			var raw []byte
			if err := rows.Scan(&key, &raw); err != nil {
				return err
			}
			if len(out.Items) == limit {
				out.More, out.Bookmark = true, base64.RawURLEncoding.EncodeToString([]byte(last))
				break
			}
			var v T
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("decode stored value: %w", err)
			}
			out.Items = append(out.Items, v)
			last = key
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
