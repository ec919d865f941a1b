package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chengnuo/chengnuo"
)

// getLetter reads a letter, locking its row when lock is set.
func getLetter(ctx context.Context, tx pgx.Tx, id string, lock bool) (*chengnuo.StoredLetter, error) {
	sql := `SELECT doc FROM letters WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	var l chengnuo.StoredLetter
	ok, err := getJSON(ctx, tx, &l, sql, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, chengnuo.LetterNotHeld(id)
	}
	return &l, nil
}

func putLetter(ctx context.Context, tx pgx.Tx, l *chengnuo.StoredLetter) error {
	raw, err := json.Marshal(l)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO letters (id, pending, stored_at, doc) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET pending = EXCLUDED.pending, doc = EXCLUDED.doc`,
		l.ID, l.State == chengnuo.StatePending, l.StoredAt, raw)
	return err
}

// PutPending implements chengnuo.Store, in one transaction and two round
// trips: one statement inserts the batch and reports what it inserted, one
// reads the letters held already. Of concurrent puts of one id, from any
// replica, exactly one stores its letter; the others get that one. Rows are
// inserted in id order, so that two replicas storing overlapping batches
// cannot deadlock.
func (d *DB) PutPending(ctx context.Context, ls []*chengnuo.StoredLetter) ([]*chengnuo.StoredLetter, error) {
	existing := make([]*chengnuo.StoredLetter, len(ls))
	if len(ls) == 0 {
		return existing, nil
	}
	order := byID(len(ls), func(i int) string { return ls[i].ID })
	ids, pending, storedAt, docs := make([]string, len(ls)), make([]bool, len(ls)), make([]time.Time, len(ls)), make([]string, len(ls))
	for k, i := range order {
		raw, err := json.Marshal(ls[i])
		if err != nil {
			return nil, chengnuo.Internal("encode letter", err)
		}
		ids[k], pending[k], storedAt[k], docs[k] = ls[i].ID, ls[i].State == chengnuo.StatePending, ls[i].StoredAt, string(raw)
	}
	err := d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		clear(existing)
		rows, err := tx.Query(ctx, `INSERT INTO letters (id, pending, stored_at, doc)
			SELECT u.id, u.pending, u.stored_at, u.doc::jsonb
			FROM unnest($1::text[], $2::boolean[], $3::timestamptz[], $4::text[]) WITH ORDINALITY AS u(id, pending, stored_at, doc, n)
			ORDER BY u.n
			ON CONFLICT (id) DO NOTHING RETURNING id`, ids, pending, storedAt, docs)
		if err != nil {
			return err
		}
		inserted, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		// An id stored by this statement came first in the batch: a later
		// letter of the same id gets it, as from a put before.
		first := map[string]bool{}
		for _, id := range inserted {
			first[id] = true
		}
		var held []int // indexes of the letters held already
		var ids []string
		for i, l := range ls {
			if first[l.ID] {
				delete(first, l.ID)
				continue
			}
			held, ids = append(held, i), append(ids, l.ID)
		}
		if len(held) == 0 {
			return nil
		}
		found, err := getLetters(ctx, tx, ids, false)
		if err != nil {
			return err
		}
		for _, i := range held {
			if existing[i] = found[ls[i].ID]; existing[i] == nil {
				return fmt.Errorf("letter %s neither stored nor held", ls[i].ID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return existing, nil
}

// getLetters reads letters by id, locking their rows (in id order) when
// lock is set.
func getLetters(ctx context.Context, tx pgx.Tx, ids []string, lock bool) (map[string]*chengnuo.StoredLetter, error) {
	sql := `SELECT id, doc FROM letters WHERE id = ANY($1) ORDER BY id`
	if lock {
		sql += ` FOR UPDATE`
	}
	rows, err := tx.Query(ctx, sql, ids)
	if err != nil {
		return nil, err
	}
	out := map[string]*chengnuo.StoredLetter{}
	var id string
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &raw}, func() error {
		var l chengnuo.StoredLetter
		if err := json.Unmarshal(raw, &l); err != nil {
			return fmt.Errorf("decode stored letter %s: %w", id, err)
		}
		out[id] = &l
		return nil
	})
	return out, err
}

// byID returns the indexes 0..n-1 ordered by the ids id gives them.
func byID(n int, id func(int) string) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(id(a), id(b)) })
	return order
}

// listed says whether a commitment in this state stays on the disclosure list.
func listed(rec *chengnuo.Commitment) bool {
	return rec.Status == chengnuo.StatusActive || rec.Status == chengnuo.StatusConcluded
}

// MarkAnchored implements chengnuo.Store, in one transaction and three
// round trips: the letters are read and locked (in id order), and written
// back with their disclosure rows by one statement each. Marks of the same
// letter apply in turn, as if made one after another.
func (d *DB) MarkAnchored(ctx context.Context, marks []chengnuo.AnchorMark) error {
	if len(marks) == 0 {
		return nil
	}
	ids := make([]string, 0, len(marks))
	for _, m := range marks {
		ids = append(ids, m.ID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		held, err := getLetters(ctx, tx, ids, true)
		if err != nil {
			return err
		}
		rows := map[string]*chengnuo.DisclosedLetter{}
		for _, m := range marks {
			l := held[m.ID]
			if l == nil {
				return chengnuo.LetterNotHeld(m.ID)
			}
			// A recovery that raced the submission (here or at another
			// replica) may report an older state of the record than one
			// already stored.
			l.State, l.Record = chengnuo.StateAnchored, keep(l.Record, m.Record)
			if m.Disclosed != nil && listed(l.Record) {
				rows[m.ID] = m.Disclosed
			}
		}
		docs := make([]string, len(ids))
		for k, id := range ids {
			raw, err := json.Marshal(held[id])
			if err != nil {
				return err
			}
			docs[k] = string(raw)
		}
		if _, err := tx.Exec(ctx, `UPDATE letters SET pending = false, doc = u.doc::jsonb
			FROM unnest($1::text[], $2::text[]) AS u(id, doc) WHERE letters.id = u.id`, ids, docs); err != nil {
			return err
		}
		// An anchored letter holds its draft's canonical text: the draft
		// goes (chengnuo.Store.MarkAnchored).
		if _, err := tx.Exec(ctx, `DELETE FROM drafts WHERE id = ANY($1)`, ids); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		var rids, keys, rdocs []string
		var from []time.Time
		for _, id := range ids {
			r := rows[id]
			if r == nil {
				continue
			}
			raw, err := json.Marshal(r)
			if err != nil {
				return err
			}
			rids, keys, from, rdocs = append(rids, id), append(keys, timeKey(r.Until)+"|"+id), append(from, r.From), append(rdocs, string(raw))
		}
		_, err = tx.Exec(ctx, `INSERT INTO disclosures (id, key, from_at, doc)
			SELECT u.id, u.key, u.from_at, u.doc::jsonb FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) AS u(id, key, from_at, doc)
			ON CONFLICT (id) DO UPDATE SET key = EXCLUDED.key, from_at = EXCLUDED.from_at, doc = EXCLUDED.doc`, rids, keys, from, rdocs)
		return err
	})
}

// keep is chengnuo.KeepRecord's record.
func keep(stored, reported *chengnuo.Commitment) *chengnuo.Commitment {
	rec, _ := chengnuo.KeepRecord(stored, reported)
	return rec
}

// UpdateRecord implements chengnuo.Store.
func (d *DB) UpdateRecord(ctx context.Context, id string, rec *chengnuo.Commitment) error {
	return d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		l, err := getLetter(ctx, tx, id, true)
		if err != nil {
			return err
		}
		rec, newer := chengnuo.KeepRecord(l.Record, rec)
		if !newer {
			return nil
		}
		l.Record = rec
		if err := putLetter(ctx, tx, l); err != nil {
			return err
		}
		if listed(rec) {
			return nil
		}
		_, err = tx.Exec(ctx, `DELETE FROM disclosures WHERE id = $1`, id)
		return err
	})
}

// Delete implements chengnuo.Store.
func (d *DB) Delete(ctx context.Context, id string) error {
	return d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM letters WHERE id = $1`, id)
		return err
	})
}

// Get implements chengnuo.Store.
func (d *DB) Get(ctx context.Context, id string) (*chengnuo.StoredLetter, error) {
	var l *chengnuo.StoredLetter
	err := d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		l, err = getLetter(ctx, tx, id, false)
		return err
	})
	return l, err
}

// Pending implements chengnuo.Store.
func (d *DB) Pending(ctx context.Context, limit int) ([]*chengnuo.StoredLetter, error) {
	return list[chengnuo.StoredLetter](ctx, d, `SELECT doc FROM letters WHERE pending ORDER BY id LIMIT $1`, limit)
}

// PendingStats implements chengnuo.Store.
func (d *DB) PendingStats(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest *time.Time
	err := d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*), min(stored_at) FROM letters WHERE pending`).Scan(&n, &oldest)
	})
	if err != nil || oldest == nil {
		return n, time.Time{}, err
	}
	return n, oldest.UTC(), nil
}

// Letters implements chengnuo.Store: one page of the stored letters, in id order.
func (d *DB) Letters(ctx context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.StoredLetter], error) {
	return page[*chengnuo.StoredLetter](ctx, d, p, "",
		`SELECT id, doc FROM letters WHERE id > $1 ORDER BY id LIMIT $2`)
}

// RecentLetters implements chengnuo.Store: by storing time, then id, both
// descending; the bookmark is the last row's "time|id".
func (d *DB) RecentLetters(ctx context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.StoredLetter], error) {
	limit, err := p.Limit()
	if err != nil {
		return nil, err
	}
	before, beforeID := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), ""
	if p.Bookmark != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Bookmark)
		at, id, ok := strings.Cut(string(raw), "|")
		t, perr := time.Parse(time.RFC3339Nano, at)
		if err != nil || !ok || perr != nil {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "malformed bookmark")
		}
		before, beforeID = t, id
	}
	out := &chengnuo.List[*chengnuo.StoredLetter]{Items: []*chengnuo.StoredLetter{}}
	err = d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		out.Items = out.Items[:0]
		rows, err := tx.Query(ctx, `SELECT stored_at, id, doc FROM letters
			WHERE stored_at < $1 OR (stored_at = $1 AND id < $2) ORDER BY stored_at DESC, id DESC LIMIT $3`, before, beforeID, limit+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		var lastAt time.Time
		var lastID string
		for rows.Next() {
			var at time.Time
			var id string
			var raw []byte
			if err := rows.Scan(&at, &id, &raw); err != nil {
				return err
			}
			if len(out.Items) == limit {
				out.More = true
				out.Bookmark = base64.RawURLEncoding.EncodeToString([]byte(lastAt.UTC().Format(time.RFC3339Nano) + "|" + lastID))
				break
			}
			var l chengnuo.StoredLetter
			if err := json.Unmarshal(raw, &l); err != nil {
				return fmt.Errorf("decode stored letter: %w", err)
			}
			out.Items = append(out.Items, &l)
			lastAt, lastID = at, id
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AddNote implements chengnuo.Store.
func (d *DB) AddNote(ctx context.Context, id string, n chengnuo.Note) error {
	return d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		l, err := getLetter(ctx, tx, id, true)
		if err != nil {
			return err
		}
		l.Notes = append(l.Notes, n)
		return putLetter(ctx, tx, l)
	})
}

// NextNumber implements chengnuo.Store: one row per year, incremented in
// place, so replicas never hand out the same number.
func (d *DB) NextNumber(ctx context.Context, year int) (int, error) {
	var n int64
	err := d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO serials (year, n) VALUES ($1, 1)
			ON CONFLICT (year) DO UPDATE SET n = serials.n + 1 RETURNING n`, year).Scan(&n)
	})
	return int(n), err
}

// SkipNumbers implements chengnuo.Store.
func (d *DB) SkipNumbers(ctx context.Context, year, n int) error {
	if n < 0 {
		return chengnuo.Errorf(chengnuo.EINVALID, "cannot skip a negative count of numbers")
	}
	return d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO serials (year, n) VALUES ($1, $2)
			ON CONFLICT (year) DO UPDATE SET n = serials.n + EXCLUDED.n`, year, n)
		return err
	})
}

// PutLost implements chengnuo.Store.
func (d *DB) PutLost(ctx context.Context, ls []*chengnuo.LostLetter) error {
	return d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		for _, l := range ls {
			raw, err := json.Marshal(l)
			if err != nil {
				return chengnuo.Internal("encode lost letter", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO lost (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, l.ID, raw); err != nil {
				return err
			}
		}
		return nil
	})
}

// Lost implements chengnuo.Store.
func (d *DB) Lost(ctx context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.LostLetter], error) {
	return page[*chengnuo.LostLetter](ctx, d, p, "", `SELECT id, doc FROM lost WHERE id > $1 ORDER BY id LIMIT $2`)
}

// GetLost implements chengnuo.Store.
func (d *DB) GetLost(ctx context.Context, id string) (*chengnuo.LostLetter, error) {
	var l chengnuo.LostLetter
	err := d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		ok, err := getJSON(ctx, tx, &l, `SELECT doc FROM lost WHERE id = $1`, id)
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

// PutText implements chengnuo.Store.
func (d *DB) PutText(ctx context.Context, t *chengnuo.Text) error {
	raw, err := json.Marshal(t)
	if err != nil {
		return chengnuo.Internal("encode text", err)
	}
	return d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO texts (digest, doc) VALUES ($1, $2)
			ON CONFLICT (digest) DO UPDATE SET doc = EXCLUDED.doc`, t.Digest, raw)
		return err
	})
}

// PutDraft implements chengnuo.Store.
func (d *DB) PutDraft(ctx context.Context, dr *chengnuo.Draft) error {
	raw, err := json.Marshal(dr)
	if err != nil {
		return chengnuo.Internal("encode draft", err)
	}
	return d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO drafts (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, dr.ID, raw)
		return err
	})
}

// GetDraft implements chengnuo.Store.
func (d *DB) GetDraft(ctx context.Context, id string) (*chengnuo.Draft, error) {
	var dr chengnuo.Draft
	err := d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		ok, err := getJSON(ctx, tx, &dr, `SELECT doc FROM drafts WHERE id = $1`, id)
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

// GetText implements chengnuo.Store.
func (d *DB) GetText(ctx context.Context, digest string) (*chengnuo.Text, error) {
	var t chengnuo.Text
	err := d.run(ctx, func(ctx context.Context, tx pgx.Tx) error {
		ok, err := getJSON(ctx, tx, &t, `SELECT doc FROM texts WHERE digest = $1`, digest)
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

// Disclosures implements chengnuo.Store: rows whose period ends after at,
// in the order their periods end; rows whose period has not begun are skipped.
func (d *DB) Disclosures(ctx context.Context, at time.Time, p chengnuo.Page) (*chengnuo.List[*chengnuo.DisclosedLetter], error) {
	// Start past every key of a period ending at or before at.
	return page[*chengnuo.DisclosedLetter](ctx, d, p, timeKey(at)+"|\x7f", // after any id
		`SELECT key, doc FROM disclosures WHERE key > $1 AND from_at <= $3 ORDER BY key LIMIT $2`, at)
}
