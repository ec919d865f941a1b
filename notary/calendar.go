package notary

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/supervision"
)

// PutCalendar implements chengnuo.Service.
func (s *Service) PutCalendar(ctx context.Context, c *chengnuo.Calendar) (*chengnuo.Calendar, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	out, err := s.ledger.PutCalendar(ctx, c)
	if err == nil {
		s.missing.Store(nil) // look again
	}
	return out, err
}

// Calendar implements chengnuo.Service.
func (s *Service) Calendar(ctx context.Context, year, version int) (*chengnuo.Calendar, error) {
	if year < 2000 || year > 2100 || version < 0 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "year must be 2000 to 2100 and version 0 (current) or more")
	}
	return s.ledger.GetCalendar(ctx, year, version)
}

// MissingCalendars implements chengnuo.Service: this year (China's) and
// the next, as the ledger last said (the maintenance pass asks again).
func (s *Service) MissingCalendars(ctx context.Context) ([]int, error) {
	if m := s.missing.Load(); m != nil {
		return *m, nil
	}
	return s.checkCalendars(ctx)
}

// checkCalendars asks the ledger which of this year's and next year's
// calendars are missing, and remembers the answer.
func (s *Service) checkCalendars(ctx context.Context) ([]int, error) {
	y := chengnuo.Day(s.cfg.Now()).Year()
	missing := []int{}
	for _, year := range []int{y, y + 1} {
		_, err := s.ledger.GetCalendar(ctx, year, 0)
		switch {
		case chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND:
			missing = append(missing, year)
		case err != nil:
			return nil, err
		}
	}
	s.missing.Store(&missing)
	return missing, nil
}

// ReportCatalogChange implements chengnuo.Service.
func (s *Service) ReportCatalogChange(ctx context.Context, id string) (*chengnuo.CatalogChange, error) {
	return s.ledger.ReportCatalogChange(ctx, id)
}

// CatalogChanges implements chengnuo.Service.
func (s *Service) CatalogChanges(ctx context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.CatalogChange], error) {
	return s.ledger.ListCatalogChanges(ctx, p)
}

// missingYears holds the years without a calendar, as last checked.
type missingYears = atomic.Pointer[[]int]

// calendarAge is how long the calendars read from the ledger are used.
const calendarAge = time.Minute

// calendarCache holds the calendars around this year.
type calendarCache struct {
	mu   sync.Mutex
	at   time.Time
	cals chengnuo.Calendars
}

// calendars are the ledger's calendars of last year, this year and the
// next two (a year not published is absent: Monday to Friday), read at
// most once a minute.
func (s *Service) calendars(ctx context.Context) (chengnuo.Calendars, error) {
	s.cals.mu.Lock()
	defer s.cals.mu.Unlock()
	if s.cals.cals != nil && s.cfg.Now().Sub(s.cals.at) < calendarAge {
		return s.cals.cals, nil
	}
	y := chengnuo.Day(s.cfg.Now()).Year()
	cals := chengnuo.Calendars{}
	for year := y - 1; year <= y+2; year++ {
		c, err := s.ledger.GetCalendar(ctx, year, 0)
		switch {
		case err == nil:
			cals[year] = c
		case chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND:
			return nil, err
		}
	}
	s.cals.cals, s.cals.at = cals, s.cfg.Now()
	return cals, nil
}

// urgency is an open request's urgency at ledger time now: overdue, due
// by the end of the next working day, or "".
func urgency(r *chengnuo.VerificationRequest, now time.Time, cals chengnuo.Calendars) string {
	switch {
	case r.Status != chengnuo.RequestPending:
		return ""
	case now.After(r.DueAt):
		return chengnuo.UrgencyOverdue
	case !r.DueAt.After(cals.Deadline(now, 1)):
		return chengnuo.UrgencyDueSoon
	}
	return ""
}

// Remind announces, once each, the requests addressed to this department
// that became due soon or overdue, through the reminder webhook, and
// counts the overdue ones (chengnuo_requests_overdue). It stops at the
// first webhook failure: the next pass tries again.
func (s *Service) Remind(ctx context.Context) error {
	now, err := s.ledger.LedgerTime(ctx)
	if err != nil {
		return err
	}
	cals, err := s.calendars(ctx)
	if err != nil {
		return err
	}
	overdue := 0
	p := chengnuo.Page{Size: chengnuo.MaxPageSize}
	for {
		l, err := s.ledger.ListRequests(ctx, "to", p)
		if err != nil {
			return err
		}
		for _, r := range l.Items {
			u := urgency(r, now, cals)
			if u == chengnuo.UrgencyOverdue {
				overdue++
			}
			if u == "" || s.cfg.Notifier == nil {
				continue
			}
			e, err := s.store.InboxEntry(ctx, r.ID)
			if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
				continue // not received yet: the next pass
			}
			if err != nil {
				return err
			}
			if e.Reminded == u || e.Reminded == chengnuo.UrgencyOverdue {
				continue
			}
			if err := s.cfg.Notifier.Remind(ctx, chengnuo.Reminder{RequestID: r.ID, CommitmentID: r.CommitmentID, From: r.From,
				ItemCode: r.ItemCode, DueAt: r.DueAt, DueDay: chengnuo.DeadlineDay(r.DueAt), Urgency: u}); err != nil {
				return err
			}
			if _, err := s.store.MarkReminded(ctx, r.ID, u); err != nil {
				return err
			}
			if s.m.reminders != nil {
				s.m.reminders.Inc(u)
			}
		}
		if !l.More {
			break
		}
		p.Bookmark = l.Bookmark
	}
	s.overdue.Store(int64(overdue))
	return nil
}

// Stats implements chengnuo.Service: computed from the read model, which
// holds every record the blocks wrote.
func (s *Service) Stats(ctx context.Context, f chengnuo.StatsFilter) (*chengnuo.StatsReport, error) {
	if s.cfg.Index == nil {
		return nil, chengnuo.Errorf(chengnuo.EUNAVAILABLE, "this gateway keeps no read model, so it cannot compute the figures")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "from must be before to")
	}
	return supervision.Compute(ctx, s.cfg.Index, f)
}
