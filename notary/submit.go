package notary

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/sm"
)

// Receipt is what the applicant keeps: enough for anyone to look the letter
// up, and no personal data.
type Receipt struct {
	CommitmentID string    `json:"commitmentId"`
	LetterDigest string    `json:"letterDigest"`
	Salt         string    `json:"salt,omitempty"`
	Number       string    `json:"number,omitempty"`
	Org          string    `json:"org"`
	ItemCode     string    `json:"itemCode"`
	ItemVersion  int       `json:"itemVersion"`
	Status       string    `json:"status"`
	TxID         string    `json:"txId"`
	BlockNumber  uint64    `json:"blockNumber"`
	AnchoredAt   time.Time `json:"anchoredAt"`
	SignedBy     string    `json:"signedBy,omitempty"`
}

func receiptOf(l *letter.Letter, rec *chengnuo.Commitment) *Receipt {
	return &Receipt{CommitmentID: rec.ID, LetterDigest: rec.LetterDigest, Salt: l.Salt, Number: l.Number, Org: rec.Org,
		ItemCode: rec.ItemCode, ItemVersion: rec.ItemVersion, Status: rec.Status, TxID: rec.TxID,
		BlockNumber: rec.BlockNumber, AnchoredAt: rec.AnchoredAt, SignedBy: rec.SignedBy}
}

// Submit checks a signed letter, stores it, anchors it and returns the
// receipt. It is idempotent: the same letter again returns the existing
// receipt. If anchoring fails after the letter was stored, the letter stays
// pending and Recover anchors it later; it is never anchored twice.
func (s *Service) Submit(ctx context.Context, req SubmitRequest) (*Receipt, error) {
	canonical := []byte(req.Letter)
	l, err := letter.Parse(canonical)
	if err != nil {
		return nil, err
	}
	if l.Organ.MSPID != s.cfg.MSPID {
		return nil, chengnuo.Errorf(chengnuo.EFORBIDDEN, "the letter was issued by %s; only that department may submit it", l.Organ.MSPID)
	}
	drafted, err := time.Parse(time.RFC3339, l.DraftedAt)
	if err != nil {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "draftedAt must be an RFC 3339 time")
	}
	if err := s.verifySigner(req, canonical, drafted); err != nil {
		return nil, err
	}
	digest := letter.Digest(canonical)
	id := chengnuo.CommitmentID(digest)

	// Already here? Then this is a retry: answer from the store or finish it.
	if prev, err := s.store.Get(ctx, id); err == nil {
		if prev.State == StateAnchored {
			return receiptOf(l, prev.Record), nil
		}
		return s.anchorStored(ctx, l, prev)
	} else if chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		return nil, err
	}

	// Check the catalog first, so a refusal stores nothing.
	it, err := s.activeItem(ctx, l.Notice.ItemCode, l.Notice.ItemVersion)
	if err != nil {
		return nil, err
	}
	if it.NoticeDigest != l.NoticeDigest {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the letter's notice does not match item %s version %d", it.Code, it.Version)
	}

	stored := &StoredLetter{
		ID: id, Digest: digest, Canonical: req.Letter, Signature: req.Signature, PublicKey: req.PublicKey,
		Certificate: req.Certificate, State: StatePending, StoredAt: s.cfg.Now().UTC(),
		Request: chengnuo.AnchorRequest{
			LetterDigest: digest, ItemCode: it.Code, ItemVersion: it.Version, NoticeDigest: l.NoticeDigest,
			ApplicantKey: letter.ApplicantKey(s.cfg.ApplicantSecret, l.Applicant.IDType, l.Applicant.IDNumber),
			SignedBy:     chengnuo.SignedSM2,
		},
	}
	existing, err := s.store.PutPending(ctx, stored)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		stored = existing
		if stored.State == StateAnchored {
			return receiptOf(l, stored.Record), nil
		}
	}
	return s.anchorStored(ctx, l, stored)
}

// anchorStored anchors a stored letter through the batcher and records the
// outcome in the store.
func (s *Service) anchorStored(ctx context.Context, l *letter.Letter, st *StoredLetter) (*Receipt, error) {
	rec, err := s.anchor(ctx, st)
	if err != nil {
		return nil, err
	}
	return receiptOf(l, rec), nil
}

func (s *Service) anchor(ctx context.Context, st *StoredLetter) (*chengnuo.Commitment, error) {
	res, err := s.enqueue(ctx, st.Request)
	if err != nil {
		// Unknown outcome: keep the letter pending for Recover.
		return nil, err
	}
	switch {
	case res.Created, res.Code == chengnuo.ECONFLICT && res.Record != nil && res.Record.LetterDigest == st.Digest:
		if err := s.store.MarkAnchored(ctx, st.ID, res.Record); err != nil {
			return nil, err
		}
		return res.Record, nil
	default:
		// The ledger refused the letter: nothing was written there; remove it here.
		if err := s.store.Delete(ctx, st.ID); err != nil {
			return nil, err
		}
		code := res.Code
		if code == "" {
			code = chengnuo.EINTERNAL
		}
		return nil, &chengnuo.Error{Code: code, Message: res.Message}
	}
}

// Recover anchors every letter left pending by a crash or an unavailable
// ledger. The chaincode refuses a second anchoring of the same digest, so a
// letter whose first attempt did commit is only marked anchored.
func (s *Service) Recover(ctx context.Context) (int, error) {
	pending, err := s.store.Pending(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, st := range pending {
		if _, err := s.anchor(ctx, st); err != nil {
			if chengnuo.ErrorCode(err) == chengnuo.EUNAVAILABLE {
				return n, err
			}
			s.log.Warn("pending letter refused by the ledger", slog.String("id", st.ID), slog.String("code", chengnuo.ErrorCode(err)))
			continue
		}
		n++
	}
	return n, nil
}

// job is one letter waiting for a batch.
type job struct {
	req  chengnuo.AnchorRequest
	done chan jobResult
}

type jobResult struct {
	res chengnuo.AnchorResult
	err error
}

func (s *Service) enqueue(ctx context.Context, req chengnuo.AnchorRequest) (chengnuo.AnchorResult, error) {
	j := &job{req: req, done: make(chan jobResult, 1)}
	select {
	case s.queue <- j:
	case <-ctx.Done():
		return chengnuo.AnchorResult{}, &chengnuo.Error{Code: chengnuo.EUNAVAILABLE, Message: "request cancelled before anchoring"}
	}
	select {
	case r := <-j.done:
		return r.res, r.err
	case <-ctx.Done():
		return chengnuo.AnchorResult{}, &chengnuo.Error{Code: chengnuo.EUNAVAILABLE, Message: "anchoring did not finish in time; the letter is kept and will be anchored"}
	}
}

// maxBatch matches the chaincode's limit.
const maxBatch = 100

// worker takes whatever letters are queued (at least one, at most maxBatch)
// and anchors them in one transaction: idle submissions are not delayed,
// busy ones share blocks and endorsements.
func (s *Service) worker(ctx context.Context) {
	for {
		var batch []*job
		select {
		case j := <-s.queue:
			batch = append(batch, j)
		case <-ctx.Done():
			return
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case j := <-s.queue:
				batch = append(batch, j)
			default:
				break drain
			}
		}
		s.anchorBatch(ctx, batch)
	}
}

func (s *Service) anchorBatch(ctx context.Context, batch []*job) {
	// The same letter submitted twice at once shares one slot in the batch.
	var reqs []chengnuo.AnchorRequest
	slot := map[string]int{}
	for _, j := range batch {
		if _, ok := slot[j.req.LetterDigest]; !ok {
			slot[j.req.LetterDigest] = len(reqs)
			reqs = append(reqs, j.req)
		}
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	results, err := s.ledger.AnchorCommitments(actx, reqs)
	if err == nil && len(results) != len(reqs) {
		err = errors.New("ledger returned a result count that differs from the batch")
	}
	if err != nil && chengnuo.ErrorCode(err) == chengnuo.ECONFLICT {
		// Lost an MVCC race to a concurrent batch: retry each letter alone.
		results, err = make([]chengnuo.AnchorResult, len(reqs)), nil
		errs := make([]error, len(reqs))
		for i, r := range reqs {
			one, e := s.ledger.AnchorCommitments(actx, []chengnuo.AnchorRequest{r})
			if e == nil && len(one) != 1 {
				e = errors.New("ledger returned no result")
			}
			if e != nil {
				errs[i] = e
				continue
			}
			results[i] = one[0]
		}
		for _, j := range batch {
			i := slot[j.req.LetterDigest]
			j.done <- jobResult{res: results[i], err: errs[i]}
		}
		return
	}
	s.log.Debug("anchored batch", slog.Int("letters", len(reqs)), slog.Any("error", err))
	for _, j := range batch {
		if err != nil {
			j.done <- jobResult{err: err}
			continue
		}
		j.done <- jobResult{res: results[slot[j.req.LetterDigest]]}
	}
}

// VerifyResult is the public answer about a letter: never personal data.
type VerifyResult struct {
	Anchored     bool                 `json:"anchored"`
	LetterDigest string               `json:"letterDigest"`
	CommitmentID string               `json:"commitmentId"`
	Record       *chengnuo.Commitment `json:"record,omitempty"`
}

// VerifyLetter recomputes a letter's digest and looks it up on the ledger.
// The letter is not parsed beyond that: any change, even of one character,
// gives another digest.
func (s *Service) VerifyLetter(ctx context.Context, canonical []byte) (*VerifyResult, error) {
	if len(canonical) == 0 || len(canonical) > letter.MaxCanonicalBytes {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "letter must be 1 to %d bytes", letter.MaxCanonicalBytes)
	}
	return s.VerifyDigest(ctx, sm.SM3Hex(canonical))
}

// VerifyDigest looks a letter digest up on the ledger.
func (s *Service) VerifyDigest(ctx context.Context, digest string) (*VerifyResult, error) {
	digest, err := chengnuo.NormalizeDigest(digest)
	if err != nil {
		return nil, err
	}
	res := &VerifyResult{LetterDigest: digest, CommitmentID: chengnuo.CommitmentID(digest)}
	rec, err := s.ledger.GetCommitment(ctx, res.CommitmentID)
	if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	if rec.LetterDigest != digest {
		return res, nil
	}
	res.Anchored, res.Record = true, publicRecord(rec)
	return res, nil
}

// PublicCommitment returns the public record of a commitment by id.
func (s *Service) PublicCommitment(ctx context.Context, id string) (*chengnuo.Commitment, error) {
	rec, err := s.ledger.GetCommitment(ctx, id)
	if err != nil {
		return nil, err
	}
	return publicRecord(rec), nil
}

// publicRecord drops the applicant key: it is pseudonymous, but linking a
// person's commitments is for the credit platform, not the public.
func publicRecord(c *chengnuo.Commitment) *chengnuo.Commitment {
	cp := *c
	cp.ApplicantKey = ""
	return &cp
}

// Commitment returns the department's full view: the stored letter and the
// current ledger record. Only the anchoring department has the letter.
func (s *Service) Commitment(ctx context.Context, id string) (*StoredLetter, *chengnuo.Commitment, error) {
	st, err := s.store.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	rec, err := s.ledger.GetCommitment(ctx, id)
	if err != nil {
		return st, nil, err
	}
	return st, rec, nil
}

// Withdraw records the applicant's withdrawal with its reason; the reason
// text stays in the department's store, its SM3 digest goes on the ledger.
func (s *Service) Withdraw(ctx context.Context, id, reason string) (*chengnuo.Commitment, error) {
	if reason == "" || len([]rune(reason)) > 1000 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "a withdrawal needs a reason of 1 to 1000 characters")
	}
	rec, err := s.ledger.Withdraw(ctx, id, sm.SM3Hex([]byte(reason)))
	if err != nil {
		return nil, err
	}
	if err := s.store.AddNote(ctx, id, Note{Status: chengnuo.StatusWithdrawn, Text: reason, At: rec.History[len(rec.History)-1].At}); err != nil && chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		return nil, err
	}
	return rec, nil
}

// Conclude records that the matter is concluded.
func (s *Service) Conclude(ctx context.Context, id string) (*chengnuo.Commitment, error) {
	return s.ledger.Conclude(ctx, id)
}

// Stored returns a letter held by this department.
func (s *Service) Stored(ctx context.Context, id string) (*StoredLetter, error) {
	return s.store.Get(ctx, id)
}
