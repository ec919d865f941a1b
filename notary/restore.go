package notary

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/chengnuo/chengnuo"
)

// Reconcile is run once after a department's store was restored from a
// backup (scripts/dept.sh restore): it waits until the read model has
// every block the department's peer has committed, then compares every
// letter the ledger says this department anchored with the store. A letter
// the store does not hold was anchored after the backup was taken: it is
// kept as lost (its id, digest, item, time and block), so the department
// knows exactly which letters to collect again, and each year's serial
// numbers skip past every number that may have been issued meanwhile
// (twice the lost letters, and RestoreNumberGap for drafts numbered after
// the backup and never signed, whose numbers may be on paper). Run again,
// it finds the same letters; the numbers it skips again only widen a gap,
// which is harmless where a number issued twice is not.
//
// atLeast is the channel's height as another department's orderer gives
// it: the restored peer pulls the blocks from the orderers, and a peer
// still catching up would hide the letters anchored last.
func (s *Service) Reconcile(ctx context.Context, atLeast uint64) (*chengnuo.Reconciliation, error) {
	if s.cfg.Index == nil {
		return nil, chengnuo.Errorf(chengnuo.EUNAVAILABLE, "this gateway keeps no read model")
	}
	var target uint64
	for {
		peer, err := s.ledger.Height(ctx)
		if err != nil {
			return nil, err
		}
		h, err := s.cfg.Index.Height(ctx)
		if err != nil {
			return nil, err
		}
		target = max(peer, atLeast)
		if peer >= atLeast && h >= target {
			break
		}
		select {
		case <-ctx.Done():
			return nil, chengnuo.Errorf(chengnuo.EUNAVAILABLE, "the peer has %d and the read model %d of %d blocks; retry when they have caught up", peer, h, target)
		case <-time.After(200 * time.Millisecond):
		}
	}
	out := &chengnuo.Reconciliation{Height: target, Lost: []*chengnuo.LostLetter{}}
	now := s.cfg.Now().UTC()
	var found []*chengnuo.LostLetter
	err := s.cfg.Index.Commitments(ctx, func(c *chengnuo.Commitment) error {
		if c.Org != s.cfg.MSPID {
			return nil
		}
		out.Anchored++
		_, err := s.store.Get(ctx, c.ID)
		switch chengnuo.ErrorCode(err) {
		case "":
			out.Held++
			return nil
		case chengnuo.ENOTFOUND:
		default:
			return err
		}
		if prev, err := s.store.GetLost(ctx, c.ID); err == nil {
			out.Lost = append(out.Lost, prev) // found by an earlier run
			return nil
		}
		l := chengnuo.LostFrom(c, now)
		found = append(found, l)
		out.Lost = append(out.Lost, l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	perYear := map[int]int{now.In(chengnuo.China).Year(): 0}
	for _, l := range found {
		perYear[l.AnchoredAt.In(chengnuo.China).Year()]++
	}
	if err := s.store.PutLost(ctx, found); err != nil {
		return nil, err
	}
	out.SkippedNumbers = map[string]int{}
	for year, n := range perYear {
		skip := 2*n + chengnuo.RestoreNumberGap
		if err := s.store.SkipNumbers(ctx, year, skip); err != nil {
			return nil, err
		}
		out.SkippedNumbers[strconv.Itoa(year)] = skip
	}
	s.log.Info("reconciled the store with the ledger", slog.Uint64("height", target), slog.Int("anchored", out.Anchored),
		slog.Int("held", out.Held), slog.Int("lost", len(out.Lost)), slog.Int("newly found", len(found)))
	return out, nil
}
