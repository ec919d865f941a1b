package notary

import (
	"context"
	"encoding/base64"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/sm"
)

// MaxScanBytes bounds a paper letter's scan.
const MaxScanBytes = 8 << 20

// SubmitPaper implements chengnuo.Service: it stores and anchors a letter
// the applicant signed on paper. The digest is SM3 over the scan's bytes;
// the department attests it with its own identity by anchoring it. Like
// Submit it is idempotent and survives a crash between storing and anchoring.
func (s *Service) SubmitPaper(ctx context.Context, req chengnuo.PaperRequest) (*chengnuo.Receipt, error) {
	switch req.MediaType {
	case "application/pdf", "image/jpeg", "image/png", "image/tiff":
	default:
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "mediaType must be application/pdf, image/jpeg, image/png or image/tiff")
	}
	scan, err := base64.StdEncoding.DecodeString(req.Scan)
	if err != nil || len(scan) == 0 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "scan must be the non-empty base64 of the file")
	}
	if len(scan) > MaxScanBytes {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "scan is larger than %d bytes", MaxScanBytes)
	}
	if err := letter.ValidateApplicant(&req.Applicant); err != nil {
		return nil, err
	}
	digest := sm.SM3Hex(scan)
	if done, r, err := s.resume(ctx, chengnuo.CommitmentID(digest)); done {
		return r, err
	}
	it, err := s.activeItem(ctx, req.ItemCode, req.ItemVersion)
	if err != nil {
		return nil, err
	}
	if it.RequireCertificate {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "item %s requires letters signed with an applicant certificate, not on paper", it.Code)
	}
	return s.store1(ctx, it, nil, &chengnuo.StoredLetter{
		ID: chengnuo.CommitmentID(digest), Digest: digest, Scan: req.Scan, MediaType: req.MediaType, Applicant: &req.Applicant,
		Request: chengnuo.AnchorRequest{
			LetterDigest: digest, ItemCode: it.Code, ItemVersion: it.Version, NoticeDigest: it.NoticeDigest,
			ApplicantKey: letter.ApplicantKey(s.cfg.ApplicantSecret, req.Applicant.IDType, req.Applicant.IDNumber),
			SignedBy:     chengnuo.SignedPaper,
		},
	})
}
