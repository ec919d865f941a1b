package notary

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/chengnuo/chengnuo/retry"
)

// maintainPolicy paces a maintenance pass that failed (the ledger away).
var maintainPolicy = retry.Policy{Initial: 2 * time.Second, Max: 30 * time.Second}

// Maintain keeps the department's promises while the gateway runs: every
// interval — and, after a failure, with backoff until a pass succeeds — it
// anchors letters stored but not yet anchored, delivers details and texts
// not yet delivered, purges answered details whose retention has passed,
// puts the department's name in the ledger's directory (once), checks the
// calendars of working days, and announces the requests addressed to the
// department that became due soon or overdue. It returns when ctx ends.
func (s *Service) Maintain(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		_ = retry.Do(ctx, maintainPolicy, nil, func(ctx context.Context) error { return s.MaintainOnce(ctx) })
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// MaintainOnce is one maintenance pass; it goes on past failures and
// returns them joined.
func (s *Service) MaintainOnce(ctx context.Context) error {
	n, err := s.Recover(ctx)
	if n > 0 {
		s.log.Info("recovered pending letters", slog.Int("anchored", n))
		if s.m.recovered != nil {
			s.m.recovered.Add(float64(n))
		}
	}
	_, cerr := s.checkCalendars(ctx)
	err = errors.Join(err, s.Deliver(ctx), s.PublishDepartment(ctx), cerr, s.Remind(ctx))
	if err != nil {
		s.log.Warn("maintenance pass", slog.String("error", err.Error()))
	}
	return err
}
