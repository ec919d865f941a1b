package notary

import (
	"context"
	"strconv"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
)

// RecordOutcome implements chengnuo.Service: VERIFIED, FALSE (with disposal
// and level), UNVERIFIABLE (with reason) or EXEMPT for one of this
// department's commitments. The reason stays here; its digest goes on the ledger.
func (s *Service) RecordOutcome(ctx context.Context, commitmentID string, o chengnuo.OutcomeRequest) (*chengnuo.Commitment, error) {
	out := chengnuo.Outcome{Result: o.Result, RequestID: o.RequestID, Disposal: o.Disposal, Level: o.Level}
	var n *chengnuo.Note
	if o.Reason != "" {
		if err := checkReason(o.Reason); err != nil {
			return nil, err
		}
		nt := s.note(o.Result, o.Reason)
		n, out.ReasonDigest = &nt, nt.Digest
	}
	c, err := s.ledger.RecordOutcome(ctx, commitmentID, out)
	if err != nil {
		return nil, err
	}
	if n != nil {
		n.At = c.Outcome.At
	}
	return c, s.keepTransition(ctx, commitmentID, c, n)
}

// LookupApplicant implements chengnuo.Service: the credit platform's lookup
// by ID type and number. The gateway computes the applicant key; the ledger
// never sees the number.
func (s *Service) LookupApplicant(ctx context.Context, idType, idNumber string, p chengnuo.Page) (*chengnuo.ApplicantView, error) {
	n := letter.NormalizeID(idNumber)
	if why, ok := letter.ValidateID(idType, n); !ok {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "%s", why)
	}
	return s.ledger.GetApplicant(ctx, letter.ApplicantKey(s.cfg.ApplicantSecret, idType, n), p)
}

// GetCredit implements chengnuo.Service.
func (s *Service) GetCredit(ctx context.Context, id string) (*chengnuo.CreditRecord, error) {
	return s.ledger.GetCredit(ctx, id)
}

// RepairCredit implements chengnuo.Service: credit repair (信用修复) with its
// reason (credit platform only).
func (s *Service) RepairCredit(ctx context.Context, creditID, reason string) (*chengnuo.CreditRecord, error) {
	d, err := s.reason(ctx, "credit-repair", creditID, reason)
	if err != nil {
		return nil, err
	}
	return s.ledger.RepairCredit(ctx, creditID, d)
}

// FileObjection implements chengnuo.Service: an applicant's objection (异议)
// to a credit record, filed through this department.
func (s *Service) FileObjection(ctx context.Context, creditID, reason string) (*chengnuo.Objection, error) {
	d, err := s.reason(ctx, "objection", creditID, reason)
	if err != nil {
		return nil, err
	}
	return s.ledger.FileObjection(ctx, creditID, d)
}

// DecideObjection implements chengnuo.Service (credit platform only).
func (s *Service) DecideObjection(ctx context.Context, objectionID string, d chengnuo.ObjectionDecision) (*chengnuo.Objection, error) {
	digest, err := s.reason(ctx, "objection-decision", objectionID, d.Reason)
	if err != nil {
		return nil, err
	}
	return s.ledger.DecideObjection(ctx, objectionID, d.Uphold, digest)
}

// reason checks a reason and keeps it, returning its digest.
func (s *Service) reason(ctx context.Context, kind, ref, text string) (string, error) {
	if err := checkReason(text); err != nil {
		return "", err
	}
	return s.keepText(ctx, kind, ref, text)
}

// DrawSample implements chengnuo.Service.
func (s *Service) DrawSample(ctx context.Context, req chengnuo.SampleRequest) (*chengnuo.Sample, error) {
	if req.ItemCode == "" {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "itemCode is required")
	}
	return s.ledger.DrawSample(ctx, req.ItemCode, req.From, req.To, req.BasePermille)
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
