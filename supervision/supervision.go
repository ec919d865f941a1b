// Package supervision computes the figures the leading group's office
// supervises the policy with (督促检查): per department and item, what the
// shared ledger says was done in a period — letters, assisted
// verification and its timeliness, outcomes, credit, objections, samples,
// catalog changes and their reports. The figures come from the ledger's
// records alone, so every department's gateway gives the same ones, and
// anyone with a peer's blocks recomputes them (chengnuo stats --blocks).
// Aggregates only: no personal data.
package supervision

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/chengnuo/chengnuo"
)

// Source is what the figures are computed from: a read model of the
// ledger (chengnuo.Index), or the records of a peer's blocks (Blocks).
type Source interface {
	LedgerTime(ctx context.Context) (time.Time, error)
	Commitments(ctx context.Context, fn func(*chengnuo.Commitment) error) error
	Records(ctx context.Context, kind string, fn func(id string, value []byte) error) error
}

// Compute computes the figures of f from src.
func Compute(ctx context.Context, src Source, f chengnuo.StatsFilter) (*chengnuo.StatsReport, error) {
	asOf := f.AsOf
	if asOf.IsZero() {
		t, err := src.LedgerTime(ctx)
		if err != nil {
			return nil, err
		}
		asOf = t
	}
	rep := &chengnuo.StatsReport{From: f.From, To: f.To, AsOf: asOf.UTC()}
	rows := map[[2]string]*chengnuo.StatsRow{}
	in := func(t time.Time) bool {
		return !t.IsZero() && (f.From.IsZero() || !t.Before(f.From)) && (f.To.IsZero() || t.Before(f.To))
	}
	row := func(dept, item string) *chengnuo.StatsRow {
		if (f.Department != "" && dept != f.Department) || (f.Item != "" && item != f.Item) {
			return nil
		}
		k := [2]string{dept, item}
		if rows[k] == nil {
			rows[k] = &chengnuo.StatsRow{Department: dept, Item: item}
		}
		return rows[k]
	}
	itemOf := map[string]string{} // commitment id -> item
	err := src.Commitments(ctx, func(c *chengnuo.Commitment) error {
		itemOf[c.ID] = c.ItemCode
		r := row(c.Org, c.ItemCode)
		if r == nil {
			return nil
		}
		if in(c.AnchoredAt) {
			r.LettersAnchored++
		}
		for _, t := range c.History {
			if !in(t.At) {
				continue
			}
			switch t.Status {
			case chengnuo.StatusWithdrawn:
				r.LettersWithdrawn++
			case chengnuo.StatusConcluded:
				r.LettersConcluded++
			}
		}
		if o := c.Outcome; o != nil && in(o.At) {
			switch o.Result {
			case chengnuo.VerifyVerified:
				r.OutcomesVerified++
			case chengnuo.VerifyUnverifiable:
				r.OutcomesUnverifiable++
			case chengnuo.VerifyExempt:
				r.OutcomesExempt++
			case chengnuo.VerifyFalse:
				r.OutcomesFalse++
				switch o.Level {
				case chengnuo.LevelMinor:
					r.FalseMinor++
				case chengnuo.LevelOrdinary:
					r.FalseOrdinary++
				case chengnuo.LevelSerious:
					r.FalseSerious++
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	each := func(kind string, fn func([]byte) error) error {
		return src.Records(ctx, kind, func(_ string, v []byte) error { return fn(v) })
	}
	err = each(chengnuo.RecordRequest, func(v []byte) error {
		var q chengnuo.VerificationRequest
		if err := json.Unmarshal(v, &q); err != nil {
			return fmt.Errorf("a request: %w", err)
		}
		if !in(q.RequestedAt) {
			return nil
		}
		if r := row(q.From, q.ItemCode); r != nil {
			r.RequestsSent++
		}
		r := row(q.To, q.ItemCode)
		if r == nil {
			return nil
		}
		r.RequestsReceived++
		switch a := q.Answer; {
		case q.Status == chengnuo.RequestDeclined:
			r.Declined++
		case a != nil && a.Overdue:
			r.AnsweredLate++
		case a != nil:
			r.AnsweredOnTime++
		default:
			r.Open++
			if asOf.After(q.DueAt) {
				r.OpenOverdue++
			}
		}
		return nil
	})
	if err == nil {
		err = each(chengnuo.RecordCredit, func(v []byte) error {
			var c chengnuo.CreditRecord
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("a credit record: %w", err)
			}
			r := row(c.Org, itemOf[c.CommitmentID])
			if r == nil {
				return nil
			}
			if in(c.CreatedAt) {
				r.CreditRecords++
			}
			for _, t := range c.History {
				if t.Status == chengnuo.CreditRepaired && in(t.At) {
					r.CreditRepairs++
				}
			}
			return nil
		})
	}
	if err == nil {
		credit := map[string]string{} // credit id -> item
		_ = each(chengnuo.RecordCredit, func(v []byte) error {
			var c chengnuo.CreditRecord
			if json.Unmarshal(v, &c) == nil {
				credit[c.ID] = itemOf[c.CommitmentID]
			}
			return nil
		})
		err = each(chengnuo.RecordObjection, func(v []byte) error {
			var o chengnuo.Objection
			if err := json.Unmarshal(v, &o); err != nil {
				return fmt.Errorf("an objection: %w", err)
			}
			r := row(o.From, credit[o.CreditID])
			if r == nil || !in(o.FiledAt) {
				return nil
			}
			r.Objections++
			switch o.Status {
			case chengnuo.ObjectionUpheld:
				r.ObjectionsUpheld++
			case chengnuo.ObjectionRejected:
				r.ObjectionsRejected++
			}
			if !o.DueAt.IsZero() && (o.DecidedAt.After(o.DueAt) || o.DecidedAt.IsZero() && asOf.After(o.DueAt)) {
				r.ObjectionsLate++
			}
			return nil
		})
	}
	if err == nil {
		err = each(chengnuo.RecordSample, func(v []byte) error {
			var s chengnuo.Sample
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("a sample: %w", err)
			}
			if r := row(s.Org, s.ItemCode); r != nil && in(s.DrawnAt) {
				r.Samples++
				r.SampledLetters += len(s.Selected)
			}
			return nil
		})
	}
	if err == nil {
		err = each(chengnuo.RecordCatalogChange, func(v []byte) error {
			var c chengnuo.CatalogChange
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("a catalog change: %w", err)
			}
			r := row(chengnuo.CatalogAuthority, c.Code)
			if r == nil || !in(c.At) {
				return nil
			}
			r.CatalogChanges++
			switch {
			case c.ReportedAt.IsZero():
				if asOf.After(c.ReportBy) {
					r.ReportOverdue++
				}
			case c.ReportedAt.After(c.ReportBy):
				r.ReportedLate++
			default:
				r.ReportedOnTime++
			}
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	rep.Rows = make([]*chengnuo.StatsRow, 0, len(rows))
	for _, r := range rows {
		rep.Rows = append(rep.Rows, r)
		add(&rep.Totals, r)
	}
	slices.SortFunc(rep.Rows, func(a, b *chengnuo.StatsRow) int {
		return cmp.Or(cmp.Compare(a.Department, b.Department), cmp.Compare(a.Item, b.Item))
	})
	rep.Totals.Department, rep.Totals.Item = "", ""
	return rep, nil
}

// add adds r's figures to t's.
func add(t, r *chengnuo.StatsRow) {
	for i, f := range fields(r) {
		*fields(t)[i].v += *f.v
	}
}
