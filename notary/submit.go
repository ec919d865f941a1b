package notary

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/sm"
)

func decodeSignature(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) > 0 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) > 0 {
		return b, nil
	}
	return nil, chengnuo.Errorf(chengnuo.EINVALID, "signature must be DER in base64 or hex")
}

// verifySigner checks the signature and returns how the letter was
// signed. A certificate must chain to this department's applicant CAs,
// allow signatures, name the applicant (its subject's serial number is the
// applicant's ID number, as Chinese electronic-signature CAs issue it) and
// have been valid for the whole signing window: from the draft's time to
// the submission (its validity is an interval, so both ends suffice). A
// bare public key proves only that the letter was signed with that key:
// the letter is recorded as SM2_KEY.
func (s *Service) verifySigner(req chengnuo.SubmitRequest, l *chengnuo.Letter, canonical []byte, drafted time.Time) (string, error) {
	sig, err := decodeSignature(req.Signature)
	if err != nil {
		return "", err
	}
	switch {
	case req.PublicKey != "" && req.Certificate != "":
		return "", chengnuo.Errorf(chengnuo.EINVALID, "give either publicKey or certificate, not both")
	case req.Certificate != "":
		cert, err := sm.ParseCertificate(req.Certificate)
		if err != nil {
			return "", chengnuo.Errorf(chengnuo.EINVALID, "certificate: %v", err)
		}
		for _, at := range []time.Time{drafted, s.cfg.Now()} {
			if err := sm.VerifySigningCertificate(cert, s.cfg.Roots, at); err != nil {
				return "", chengnuo.Errorf(chengnuo.EINVALID, "certificate: %v", err)
			}
		}
		if letter.NormalizeID(cert.Subject.SerialNumber) != l.Applicant.IDNumber {
			return "", chengnuo.Errorf(chengnuo.EINVALID, "the certificate does not name the applicant: its subject's serial number is not the letter's ID number")
		}
		if err := sm.Verify(cert.PublicKey.(*ecdsa.PublicKey), sm.DefaultUID, canonical, sig); err != nil {
			return "", chengnuo.Errorf(chengnuo.EINVALID, "the signature does not verify with the certificate's key")
		}
		return chengnuo.SignedSM2, nil
	case req.PublicKey != "":
		pub, err := sm.ParsePublicKey(req.PublicKey)
		if err != nil {
			return "", chengnuo.Errorf(chengnuo.EINVALID, "publicKey: %v", err)
		}
		if err := sm.Verify(pub, sm.DefaultUID, canonical, sig); err != nil {
			return "", chengnuo.Errorf(chengnuo.EINVALID, "the signature does not verify with the given public key")
		}
		return chengnuo.SignedSM2Key, nil
	}
	return "", chengnuo.Errorf(chengnuo.EINVALID, "publicKey or certificate is required")
}

// receiptOf is the receipt of a stored letter; l is the letter already
// parsed, or nil to parse it here.
func receiptOf(st *chengnuo.StoredLetter, rec *chengnuo.Commitment, l *letter.Letter) *chengnuo.Receipt {
	r := &chengnuo.Receipt{CommitmentID: rec.ID, LetterDigest: rec.LetterDigest, Number: st.Number, Org: rec.Org,
		ItemCode: rec.ItemCode, ItemVersion: rec.ItemVersion, Status: rec.Status, TxID: rec.TxID,
		BlockNumber: rec.BlockNumber, AnchoredAt: rec.AnchoredAt, SignedBy: rec.SignedBy}
	if l == nil && st.Canonical != "" {
		l, _ = letter.Parse([]byte(st.Canonical))
	}
	if l != nil {
		r.Salt = l.Salt
	}
	return r
}

// Submit implements chengnuo.Service: it checks a signed letter, stores it,
// anchors it and returns the receipt. It is idempotent: the same letter
// again returns the existing receipt. If anchoring fails after the letter
// was stored, the letter stays pending and Recover anchors it later; it is
// never anchored twice.
func (s *Service) Submit(ctx context.Context, req chengnuo.SubmitRequest) (*chengnuo.Receipt, error) {
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
	signedBy, err := s.verifySigner(req, l, canonical, drafted)
	if err != nil {
		return nil, err
	}
	digest := letter.Digest(canonical)
	if done, r, err := s.resume(ctx, chengnuo.CommitmentID(digest)); done {
		return r, err
	}
	// Check the catalog first, so a refusal stores nothing.
	it, err := s.activeItem(ctx, l.Notice.ItemCode, l.Notice.ItemVersion)
	if err != nil {
		return nil, err
	}
	if it.NoticeDigest != l.NoticeDigest {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the letter's notice does not match item %s version %d", it.Code, it.Version)
	}
	if it.RequireCertificate && signedBy != chengnuo.SignedSM2 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "item %s requires letters signed with an applicant certificate", it.Code)
	}
	return s.store1(ctx, it, l, &chengnuo.StoredLetter{
		ID: chengnuo.CommitmentID(digest), Digest: digest, Canonical: req.Letter, Number: l.Number, Signature: req.Signature,
		PublicKey: req.PublicKey, Certificate: req.Certificate,
		Request: chengnuo.AnchorRequest{
			LetterDigest: digest, ItemCode: it.Code, ItemVersion: it.Version, NoticeDigest: l.NoticeDigest,
			ApplicantKey: letter.ApplicantKey(s.cfg.ApplicantSecret, l.Applicant.IDType, l.Applicant.IDNumber),
			SignedBy:     signedBy,
		},
	})
}

// pendingReceipt is the receipt of a letter stored but not yet anchored.
func (s *Service) pendingReceipt(st *chengnuo.StoredLetter, l *letter.Letter) *chengnuo.Receipt {
	r := receiptOf(st, &chengnuo.Commitment{ID: st.ID, LetterDigest: st.Digest, Org: s.cfg.MSPID, ItemCode: st.Request.ItemCode,
		ItemVersion: st.Request.ItemVersion, Status: chengnuo.StatusPending, SignedBy: st.Request.SignedBy}, l)
	return r
}

// resume answers a resubmission of a stored letter: from the store if it is
// anchored, by finishing its anchoring if not. done is false for a letter
// this department does not hold.
func (s *Service) resume(ctx context.Context, id string) (done bool, r *chengnuo.Receipt, err error) {
	prev, err := s.store.Get(ctx, id)
	if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
		return false, nil, nil
	}
	if err != nil {
		return true, nil, err
	}
	if prev.State == chengnuo.StateAnchored {
		return true, receiptOf(prev, prev.Record, nil), nil
	}
	r, err = s.receiptFor(s.anchor(ctx, prev, true, nil, nil), nil)
	return true, r, err
}

// store1 stores a checked letter (store before anchor: the worker anchoring
// its batch stores the batch first) and anchors it. l is the parsed letter
// (nil for a paper letter).
func (s *Service) store1(ctx context.Context, it *chengnuo.Item, l *letter.Letter, st *chengnuo.StoredLetter) (*chengnuo.Receipt, error) {
	st.State, st.StoredAt = chengnuo.StatePending, s.cfg.Now().UTC()
	return s.receiptFor(s.anchor(ctx, st, false, it, l), l)
}

// receiptFor is the receipt of a letter's outcome. A letter stored durably
// whose anchoring the ledger did not confirm gets a definite answer all the
// same: accepted, and anchored in the background.
func (s *Service) receiptFor(o outcome, l *letter.Letter) (*chengnuo.Receipt, error) {
	switch {
	case o.err == nil:
		return receiptOf(o.st, o.rec, l), nil
	case o.stored && chengnuo.Retryable(o.err):
		s.log.Warn("letter stored, anchoring deferred", slog.String("id", o.st.ID), slog.String("error", o.err.Error()))
		return s.pendingReceipt(o.st, l), nil
	}
	return nil, o.err
}

// disclosureRow is the public disclosure (公示) row of an anchored letter,
// personal data masked; nil if its item is not disclosed.
func (s *Service) disclosureRow(ctx context.Context, st *chengnuo.StoredLetter, rec *chengnuo.Commitment, it *chengnuo.Item, l *letter.Letter) (*chengnuo.DisclosedLetter, error) {
	if it == nil || it.Code != rec.ItemCode || it.Version != rec.ItemVersion {
		var err error
		if it, err = s.items.get(ctx, s.ledger, rec.ItemCode, rec.ItemVersion); err != nil {
			return nil, err
		}
	}
	if !it.Disclosure.Public {
		return nil, nil
	}
	var a *chengnuo.Applicant
	if l != nil {
		a = &l.Applicant
	} else {
		var err error
		if a, err = applicantOf(st); err != nil {
			return nil, err
		}
	}
	return &chengnuo.DisclosedLetter{CommitmentID: rec.ID, Number: st.Number, ItemCode: it.Code, ItemName: it.Name,
		Applicant: MaskName(a.Name), Org: rec.Org, Scope: it.Disclosure.Scope, From: rec.AnchoredAt,
		Until: rec.AnchoredAt.Add(time.Duration(it.Disclosure.PeriodDays) * 24 * time.Hour)}, nil
}

// applicantOf returns the applicant of a stored letter.
func applicantOf(st *chengnuo.StoredLetter) (*chengnuo.Applicant, error) {
	if st.Applicant != nil {
		return st.Applicant, nil
	}
	l, err := letter.Parse([]byte(st.Canonical))
	if err != nil {
		return nil, chengnuo.Internal("a stored letter could not be read", err)
	}
	return &l.Applicant, nil
}

// MaskName keeps the first character of a name and masks the rest.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", max(1, len(r)-1))
}

// recoverBatch bounds how many pending letters one Recover pass reads.
const recoverBatch = 1000

// Recover anchors every letter left pending by a crash or an unavailable
// ledger and returns how many it anchored. The chaincode refuses a second
// anchoring of the same digest, so a letter whose first attempt did commit
// is only marked anchored. Letters are anchored concurrently, so that they
// share batch transactions; a letter its submission is anchoring right now,
// or that was anchored since the pending list was read, is left alone. It
// stops at the first EUNAVAILABLE.
func (s *Service) Recover(ctx context.Context) (int, error) {
	var n atomic.Int64
	for {
		pending, err := s.store.Pending(ctx, recoverBatch)
		if err != nil || len(pending) == 0 {
			return int(n.Load()), err
		}
		var progress atomic.Bool
		var mu sync.Mutex
		var firstErr error
		var wg sync.WaitGroup
		sem := make(chan struct{}, contract.MaxBatch)
		for _, st := range pending {
			if _, busy := s.inflight.Load(st.ID); busy {
				continue
			}
			if s.cfg.RecoverAfter > 0 && s.cfg.Now().Sub(st.StoredAt) < s.cfg.RecoverAfter {
				continue // perhaps being anchored by another replica
			}
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				cur, err := s.store.Get(ctx, st.ID)
				if err != nil || cur.State != chengnuo.StatePending {
					progress.Store(true)
					return
				}
				if err := s.anchor(ctx, cur, true, nil, nil).err; err != nil {
					if chengnuo.Retryable(err) {
						mu.Lock()
						firstErr = cmp.Or(firstErr, err)
						mu.Unlock()
						return
					}
					s.log.Warn("pending letter refused by the ledger", slog.String("id", st.ID), slog.String("code", chengnuo.ErrorCode(err)))
					progress.Store(true)
					return
				}
				n.Add(1)
				progress.Store(true)
			})
		}
		wg.Wait()
		if firstErr != nil {
			return int(n.Load()), firstErr
		}
		if !progress.Load() || len(pending) < recoverBatch {
			return int(n.Load()), nil
		}
	}
}

// VerifyLetter implements chengnuo.Service: it recomputes a letter's digest
// and looks it up. The letter is not parsed beyond that: any change, even
// of one character, gives another digest.
func (s *Service) VerifyLetter(ctx context.Context, canonical []byte) (*chengnuo.VerifyResult, error) {
	if len(canonical) == 0 || len(canonical) > letter.MaxCanonicalBytes {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "letter must be 1 to %d bytes", letter.MaxCanonicalBytes)
	}
	return s.VerifyDigest(ctx, sm.SM3Hex(canonical))
}

// VerifyFile implements chengnuo.Service: the file is hashed as it is read,
// never buffered.
func (s *Service) VerifyFile(ctx context.Context, r io.Reader, maxBytes int64) (*chengnuo.VerifyResult, error) {
	h := sm.NewSM3()
	n, err := io.Copy(h, io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, &chengnuo.Error{Code: chengnuo.EINVALID, Message: "could not read the file", Err: err}
	}
	if n > maxBytes {
		return nil, chengnuo.Errorf(chengnuo.ETOOLARGE, "file exceeds %d bytes", maxBytes)
	}
	if n == 0 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the file is empty")
	}
	return s.VerifyDigest(ctx, hex.EncodeToString(h.Sum(nil)))
}

// VerifyDigest implements chengnuo.Service: the digest of a letter, or of
// the scan of a letter signed on paper, finds its record. The answer says
// what the record means (its verdict) and names its departments.
func (s *Service) VerifyDigest(ctx context.Context, digest string) (*chengnuo.VerifyResult, error) {
	digest, err := chengnuo.NormalizeDigest(digest)
	if err != nil {
		return nil, err
	}
	res := &chengnuo.VerifyResult{LetterDigest: digest, CommitmentID: chengnuo.CommitmentID(digest)}
	rec, h, err := s.findRecord(ctx, digest)
	res.Height = h
	if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	res.Anchored, res.Record, res.CommitmentID = true, publicRecord(rec), rec.ID
	v := chengnuo.VerdictOf(rec)
	res.Verdict = &v
	names := s.names(ctx)
	res.Names = map[string]string{}
	for _, org := range recordOrgs(rec) {
		res.Names[org] = names.Name(org)
	}
	return res, nil
}

// findRecord finds the record of a letter's digest or of a paper letter's
// scan (anchored as naming its commitment); ENOTFOUND for neither.
func (s *Service) findRecord(ctx context.Context, digest string) (*chengnuo.Commitment, uint64, error) {
	rec, h, err := s.lookup(ctx, chengnuo.CommitmentID(digest))
	if err == nil && rec.LetterDigest == digest {
		return rec, h, nil
	}
	if err != nil && chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		return nil, h, err
	}
	a, err := s.FindAnchor(ctx, digest)
	if err != nil {
		return nil, h, err
	}
	if a.CommitmentID == "" {
		return nil, h, chengnuo.Errorf(chengnuo.ENOTFOUND, "digest %s is anchored bare, not as a letter", digest)
	}
	rec, h2, err := s.lookup(ctx, a.CommitmentID)
	if err != nil {
		return nil, max(h, h2), err
	}
	if rec.ScanDigest != digest {
		return nil, max(h, h2), chengnuo.Internal("a scan's anchor names a record without it", fmt.Errorf("scan %s, commitment %s", digest, rec.ID))
	}
	return rec, max(h, h2), nil
}

// recordOrgs are the departments a record mentions: its own and those of
// its history.
func recordOrgs(rec *chengnuo.Commitment) []string {
	orgs := []string{rec.Org}
	for _, t := range rec.History {
		if !slices.Contains(orgs, t.Org) {
			orgs = append(orgs, t.Org)
		}
	}
	return orgs
}

// lookup reads a commitment from the read model, or from the ledger if the
// read model does not have it (yet: a block the peer committed after the
// read model's height), and says which height the answer reflects.
func (s *Service) lookup(ctx context.Context, id string) (*chengnuo.Commitment, uint64, error) {
	if s.cfg.Index == nil {
		rec, err := s.ledger.GetCommitment(ctx, id)
		return rec, 0, err
	}
	h := s.height.Load()
	rec, err := s.cfg.Index.Commitment(ctx, id)
	if chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		return rec, h, err
	}
	rec, err = s.ledger.GetCommitment(ctx, id)
	if err == nil && rec.BlockNumber >= h {
		h = rec.BlockNumber + 1
	}
	return rec, h, err
}

// Follow keeps the read model (Config.Index) up to date with the blocks of
// src, the department's own peer, until ctx ends.
func (s *Service) Follow(ctx context.Context, src chengnuo.BlockSource) error {
	if s.cfg.Index == nil {
		return errors.New("notary: no read model configured")
	}
	from, err := s.cfg.Index.Height(ctx)
	if err != nil {
		return err
	}
	s.height.Store(from)
	return src.FollowBlocks(ctx, from, func(ctx context.Context, b *chengnuo.LedgerBlock) error {
		if err := s.cfg.Index.Apply(ctx, b); err != nil {
			return err
		}
		s.height.Store(b.Number + 1)
		if b.Events {
			s.lastEvent.Store(b.Number)
		}
		return nil
	})
}

// LastEventBlock is the last block the read model applied that holds a
// chaincode event (0: none since the gateway started).
func (s *Service) LastEventBlock() uint64 { return s.lastEvent.Load() }

// IndexHeight is the read model's height: the blocks it has applied (0
// without a read model).
func (s *Service) IndexHeight() uint64 { return s.height.Load() }

// PublicCommitment implements chengnuo.Service.
func (s *Service) PublicCommitment(ctx context.Context, id string) (*chengnuo.Commitment, error) {
	rec, _, err := s.lookup(ctx, id)
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

// Commitment implements chengnuo.Service: the stored letter and the current
// ledger record. Only the anchoring department has the letter.
func (s *Service) Commitment(ctx context.Context, id string) (*chengnuo.CommitmentView, error) {
	st, err := s.store.Get(ctx, id)
	if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
		if l, lerr := s.store.GetLost(ctx, id); lerr == nil {
			return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "letter %s was anchored by this department on %s, after the backup its store was restored from: "+
				"the letter is lost with the old host; collect it again from the applicant", l.ID, l.AnchoredAt.In(chengnuo.China).Format("2006-01-02 15:04"))
		}
	}
	if err != nil {
		return nil, err
	}
	rec, err := s.ledger.GetCommitment(ctx, id)
	if err != nil {
		return nil, err
	}
	return &chengnuo.CommitmentView{Letter: st, Record: rec}, nil
}

// Withdraw implements chengnuo.Service: the reason text stays in the
// department's store, its digest goes on the ledger.
func (s *Service) Withdraw(ctx context.Context, id, reason string) (*chengnuo.Commitment, error) {
	if reason == "" || len([]rune(reason)) > 1000 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "a withdrawal needs a reason of 1 to 1000 characters")
	}
	n, err := s.note(chengnuo.StatusWithdrawn, reason)
	if err != nil {
		return nil, err
	}
	rec, err := s.ledger.Withdraw(ctx, id, n.Digest)
	if err != nil {
		return nil, err
	}
	n.At = rec.History[len(rec.History)-1].At
	return rec, s.keepTransition(ctx, id, rec, &n)
}

// Conclude implements chengnuo.Service.
func (s *Service) Conclude(ctx context.Context, id string) (*chengnuo.Commitment, error) {
	rec, err := s.ledger.Conclude(ctx, id)
	if err != nil {
		return nil, err
	}
	return rec, s.keepTransition(ctx, id, rec, nil)
}

// keepTransition brings the store's copy of a letter up to date after a
// transition on the ledger, with the note of its reason.
func (s *Service) keepTransition(ctx context.Context, id string, rec *chengnuo.Commitment, n *chengnuo.Note) error {
	err := s.store.UpdateRecord(ctx, id, rec)
	if err == nil && n != nil {
		err = s.store.AddNote(ctx, id, *n)
	}
	if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
		return nil // a letter this store does not hold (anchored before it existed)
	}
	return err
}
