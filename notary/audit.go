package notary

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/sm"
)

// Audit implements chengnuo.Service. It trusts neither the store's own
// bookkeeping nor the gateway that wrote it: the digest is recomputed from
// the letter's bytes (and a paper letter's scan), the applicant key from the applicant
// the letter names, and both are compared with what the ledger holds. A
// gateway that anchored a letter under another applicant key — to slip an
// applicant past the eligibility gate — shows up here.
func (s *Service) Audit(ctx context.Context, p chengnuo.Page) (*chengnuo.AuditReport, error) {
	page, err := s.store.Letters(ctx, p)
	if err != nil {
		return nil, err
	}
	r := &chengnuo.AuditReport{Findings: []chengnuo.AuditFinding{}, Bookmark: page.Bookmark, More: page.More}
	for _, st := range page.Items {
		problems, err := s.audit(ctx, st)
		if err != nil {
			return nil, err
		}
		if st.State != chengnuo.StateAnchored {
			r.Pending++
		}
		r.Checked++
		for _, p := range problems {
			r.Findings = append(r.Findings, chengnuo.AuditFinding{CommitmentID: st.ID, Problem: p})
		}
	}
	return r, nil
}

// audit checks one stored letter.
func (s *Service) audit(ctx context.Context, st *chengnuo.StoredLetter) ([]string, error) {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	var digest, scanDigest string
	var applicant *chengnuo.Applicant
	switch {
	case st.Canonical != "":
		digest = letter.Digest([]byte(st.Canonical))
		l, err := letter.Parse([]byte(st.Canonical))
		if err != nil {
			bad("the stored letter does not parse: %s", chengnuo.ErrorMessage(err))
		} else {
			applicant = &l.Applicant
		}
		if st.Scan != "" {
			// A paper letter printed from its draft, and its scan.
			scan, err := base64.StdEncoding.DecodeString(st.Scan)
			if err != nil {
				bad("the stored scan is not base64")
			} else if scanDigest = sm.SM3Hex(scan); scanDigest != st.ScanDigest || scanDigest != st.Request.ScanDigest {
				bad("the scan's bytes hash to %s, not the stored scan digest %s", scanDigest, st.Request.ScanDigest)
			}
		}
	case st.Scan != "":
		scan, err := base64.StdEncoding.DecodeString(st.Scan)
		if err != nil {
			bad("the stored scan is not base64")
		}
		digest, applicant = sm.SM3Hex(scan), st.Applicant
	default:
		bad("the store holds neither a letter nor a scan")
	}
	if digest != "" && (digest != st.Digest || digest != st.Request.LetterDigest || chengnuo.CommitmentID(digest) != st.ID) {
		bad("the letter's bytes hash to %s, not the stored digest %s", digest, st.Request.LetterDigest)
	}
	var key string
	if applicant != nil {
		key = letter.ApplicantKey(s.cfg.ApplicantSecret, applicant.IDType, applicant.IDNumber)
		if key != st.Request.ApplicantKey {
			bad("the stored request's applicant key is not the letter's applicant's")
		}
	}
	if st.State != chengnuo.StateAnchored {
		return problems, nil
	}
	rec, err := s.ledger.GetCommitment(ctx, st.ID)
	if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
		return append(problems, "an anchored letter is not on the ledger"), nil
	}
	if err != nil {
		return nil, err
	}
	switch {
	case digest != "" && rec.LetterDigest != digest:
		bad("the ledger's letter digest %s is not the letter's %s", rec.LetterDigest, digest)
	case scanDigest != "" && rec.ScanDigest != scanDigest:
		bad("the ledger's scan digest %s is not the scan's %s", rec.ScanDigest, scanDigest)
	case key != "" && rec.ApplicantKey != key:
		bad("the ledger's applicant key is not the letter's applicant's")
	case rec.Org != s.cfg.MSPID:
		bad("the ledger records the letter under %s", rec.Org)
	case rec.ItemCode != st.Request.ItemCode || rec.ItemVersion != st.Request.ItemVersion || rec.NoticeDigest != st.Request.NoticeDigest:
		bad("the ledger's item or notice differs from the letter's")
	case rec.SignedBy != st.Request.SignedBy:
		bad("the ledger says the letter was signed %s, the store %s", rec.SignedBy, st.Request.SignedBy)
	}
	return problems, nil
}
