package notary

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/retry"
	"github.com/chengnuo/chengnuo/sm"
)

// RecordOutcome implements chengnuo.Service: VERIFIED, FALSE (with disposal
// and level), UNVERIFIABLE (with reason) or EXEMPT for one of this
// department's commitments. The reason and a penalty's description stay
// here as notes of the letter; their salted digests go on the ledger.
func (s *Service) RecordOutcome(ctx context.Context, commitmentID string, o chengnuo.OutcomeRequest) (*chengnuo.Commitment, error) {
	out := chengnuo.Outcome{Result: o.Result, RequestID: o.RequestID, Level: o.Level}
	var notes []chengnuo.Note
	if o.Reason != "" {
		if err := checkReason(o.Reason); err != nil {
			return nil, err
		}
		n, err := s.note(o.Result, o.Reason)
		if err != nil {
			return nil, err
		}
		notes, out.ReasonDigest = append(notes, n), n.Digest
	}
	if d := o.Disposal; d != nil {
		out.Disposal = &chengnuo.Disposal{Measures: d.Measures, RectificationDays: d.RectificationDays}
		if d.Penalty != "" {
			if err := checkReason(d.Penalty); err != nil {
				return nil, err
			}
			n, err := s.note(chengnuo.MeasurePenalty, d.Penalty)
			if err != nil {
				return nil, err
			}
			notes, out.Disposal.PenaltyDigest = append(notes, n), n.Digest
		}
	}
	c, err := s.ledger.RecordOutcome(ctx, commitmentID, out)
	if err != nil {
		return nil, err
	}
	if err := s.keepTransition(ctx, commitmentID, c, nil); err != nil {
		return nil, err
	}
	for _, n := range notes {
		n.At = c.Outcome.At
		if err := s.store.AddNote(ctx, commitmentID, n); err != nil && chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
			return nil, err
		}
	}
	return c, nil
}

// LookupApplicant implements chengnuo.Service: the credit platform's lookup
// by ID type and number. The gateway computes the applicant key; the ledger
// never sees the number. The standing comes from the chaincode (which
// refuses any organization but the credit platform); the letters from the
// read model, once it has applied every block the peer had committed when
// the standing was read, so the two agree.
func (s *Service) LookupApplicant(ctx context.Context, idType, idNumber string, p chengnuo.Page) (*chengnuo.ApplicantView, error) {
	n := letter.NormalizeID(idNumber)
	if why, ok := letter.ValidateID(idType, n); !ok {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "%s", why)
	}
	if _, err := p.Limit(); err != nil {
		return nil, err
	}
	key := letter.ApplicantKey(s.cfg.ApplicantSecret, idType, n)
	st, err := s.ledger.GetStanding(ctx, key)
	if err != nil {
		return nil, err
	}
	if s.cfg.Index == nil {
		return nil, chengnuo.Errorf(chengnuo.EUNAVAILABLE, "this gateway keeps no read model, from which an applicant's letters are listed")
	}
	h, err := s.caughtUp(ctx)
	if err != nil {
		return nil, err
	}
	l, err := s.cfg.Index.ApplicantCommitments(ctx, key, p)
	if err != nil {
		return nil, err
	}
	return &chengnuo.ApplicantView{Standing: *st, Commitments: l.Items, Bookmark: l.Bookmark, More: l.More, Height: h}, nil
}

// catchUpWait bounds how long a read waits for the read model to apply the
// blocks its peer has committed.
const catchUpWait = 10 * time.Second

// caughtUp waits until the read model has applied every block the peer has
// committed now, and returns the height it reached.
func (s *Service) caughtUp(ctx context.Context) (uint64, error) {
	want, err := s.ledger.Height(ctx)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, catchUpWait)
	defer cancel()
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		if h := s.height.Load(); h >= want {
			return h, nil
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return 0, chengnuo.Errorf(chengnuo.EUNAVAILABLE, "the read model is at block %d, its peer at %d; try again shortly", s.height.Load(), want)
		}
	}
}

// GetCredit implements chengnuo.Service.
func (s *Service) GetCredit(ctx context.Context, id string) (*chengnuo.CreditRecord, error) {
	return s.ledger.GetCredit(ctx, id)
}

// RepairCredit implements chengnuo.Service: credit repair (信用修复) with its
// reason (credit platform only). The reason stays with the credit platform.
func (s *Service) RepairCredit(ctx context.Context, creditID, reason string) (*chengnuo.CreditRecord, error) {
	t, err := s.reason(ctx, "credit-repair", creditID, reason, checkReason)
	if err != nil {
		return nil, err
	}
	return s.ledger.RepairCredit(ctx, creditID, t.Digest)
}

// FileObjection implements chengnuo.Service: an applicant's objection (异议)
// to a credit record, filed through this department; the reason goes to
// the credit platform.
func (s *Service) FileObjection(ctx context.Context, creditID, reason string) (*chengnuo.Objection, error) {
	t, err := s.reason(ctx, chengnuo.TextObjection, creditID, reason, checkReason)
	if err != nil {
		return nil, err
	}
	o, err := s.ledger.FileObjection(ctx, creditID, t.Digest)
	if err != nil {
		return nil, err
	}
	return o, s.share(ctx, chengnuo.CreditAuthority, t, chengnuo.TextObjection, o.ID)
}

// DecideObjection implements chengnuo.Service (credit platform only); the
// decision's reason goes to the department that filed the objection.
func (s *Service) DecideObjection(ctx context.Context, objectionID string, d chengnuo.ObjectionDecision) (*chengnuo.Objection, error) {
	t, err := s.reason(ctx, chengnuo.TextObjectionDecision, objectionID, d.Reason, checkWrittenReason)
	if err != nil {
		return nil, err
	}
	o, err := s.ledger.DecideObjection(ctx, objectionID, d.Uphold, t.Digest)
	if err != nil {
		return nil, err
	}
	return o, s.share(ctx, o.From, t, chengnuo.TextObjectionDecision, o.ID)
}

// DrawSample implements chengnuo.Service. A draw is a commit-reveal with
// another department, so that this department cannot choose its outcome:
// it records the draw with the SM3 of a fresh secret it keeps; another
// department's gateway adds a random contribution when it sees the draw;
// then this department reveals its secret and the selection follows from
// both. DrawSample waits up to Config.SampleWait for the whole exchange and
// returns the draw as it stands (DRAWN or CONTRIBUTED: it is completed in
// the background, and when next read).
func (s *Service) DrawSample(ctx context.Context, req chengnuo.SampleRequest) (*chengnuo.Sample, error) {
	if req.ItemCode == "" {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "itemCode is required")
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, chengnuo.Internal("no randomness", err)
	}
	commitment := sm.SM3Hex(secret)
	if err := s.store.PutText(ctx, &chengnuo.Text{Digest: commitment, Text: hex.EncodeToString(secret), Kind: "sample-secret",
		At: s.cfg.Now().UTC()}); err != nil {
		return nil, err
	}
	sp, err := s.ledger.DrawSample(ctx, req, commitment)
	if err != nil {
		return nil, err
	}
	errWaiting := errors.New("waiting for a contribution")
	_ = retry.Do(ctx, retry.Policy{Initial: 100 * time.Millisecond, Max: time.Second, Within: s.cfg.SampleWait},
		func(err error) bool { return err == errWaiting }, func(ctx context.Context) error {
			cur, err := s.ledger.GetSample(ctx, sp.ID)
			if err != nil {
				return err
			}
			if sp, err = s.complete(ctx, cur); err == nil && sp.Status != chengnuo.SamplePublished {
				err = errWaiting
			}
			return err
		})
	return sp, nil
}

// complete publishes one of this department's draws once another
// department has contributed to it.
func (s *Service) complete(ctx context.Context, sp *chengnuo.Sample) (*chengnuo.Sample, error) {
	if sp.Org != s.cfg.MSPID || sp.Status != chengnuo.SampleContributed {
		return sp, nil
	}
	t, err := s.store.GetText(ctx, sp.Commitment)
	if err != nil {
		return sp, err
	}
	out, err := s.ledger.PublishSample(ctx, sp.ID, t.Text)
	if code := chengnuo.ErrorCode(err); code == chengnuo.ECONFLICT || code == chengnuo.EABORTED {
		if cur, err := s.ledger.GetSample(ctx, sp.ID); err == nil {
			return cur, nil // published meanwhile
		}
		return sp, err
	}
	if err != nil {
		return sp, err
	}
	return out, nil
}

// SampleChanged implements chengnuo.EventHandler: this department adds its
// random contribution to another department's new draw, and publishes its
// own draws once contributed to. Races between departments end in a
// conflict for all but one, which is fine.
func (s *Service) SampleChanged(ctx context.Context, sp *chengnuo.Sample) error {
	switch {
	case sp.Status == chengnuo.SampleDrawn && sp.Org != s.cfg.MSPID:
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return chengnuo.Internal("no randomness", err)
		}
		_, err := s.ledger.ContributeSample(ctx, sp.ID, hex.EncodeToString(b))
		switch chengnuo.ErrorCode(err) {
		case chengnuo.ECONFLICT, chengnuo.EABORTED, chengnuo.EFORBIDDEN:
			return nil // another department was first
		}
		return err
	case sp.Status == chengnuo.SampleContributed && sp.Org == s.cfg.MSPID:
		_, err := s.complete(ctx, sp)
		return err
	}
	return nil
}

// Sample implements chengnuo.Service: a draw with the current state of one
// page of its selection (the published results, 一公开). One page costs one
// ledger read per selected commitment on it, bounded by the page size.
func (s *Service) Sample(ctx context.Context, id string, p chengnuo.Page) (*chengnuo.SampleView, error) {
	limit, err := p.Limit()
	if err != nil {
		return nil, err
	}
	start := 0
	if p.Bookmark != "" {
		if start, err = strconv.Atoi(p.Bookmark); err != nil || start < 0 {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "malformed bookmark")
		}
	}
	sp, err := s.ledger.GetSample(ctx, id)
	if err != nil {
		return nil, err
	}
	if done, err := s.complete(ctx, sp); err != nil {
		s.log.Warn("sample not published yet", slog.String("sample", id), slog.String("error", err.Error()))
	} else {
		sp = done
	}
	v := &chengnuo.SampleView{Sample: sp, Results: []chengnuo.SampleResult{}}
	end := min(len(sp.Selected), start+limit)
	for i := start; i < end; i++ {
		cm, err := s.ledger.GetCommitment(ctx, sp.Selected[i])
		if err != nil {
			return nil, err
		}
		v.Results = append(v.Results, chengnuo.SampleResult{CommitmentID: cm.ID, Status: cm.Status, Verification: cm.Verification})
	}
	if end < len(sp.Selected) {
		v.More, v.Bookmark = true, strconv.Itoa(end)
	}
	return v, nil
}

// Disclosures implements chengnuo.Service: this department's letters under
// disclosed items while their period runs — judged by ledger time — from
// the store's disclosure index.
func (s *Service) Disclosures(ctx context.Context, p chengnuo.Page) (*chengnuo.DisclosureList, error) {
	now, err := s.ledger.LedgerTime(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.Disclosures(ctx, now, p)
	if err != nil {
		return nil, err
	}
	return &chengnuo.DisclosureList{List: *rows, LedgerTime: now, Org: s.cfg.MSPID}, nil
}
