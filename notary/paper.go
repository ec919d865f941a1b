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

// PaperRequest submits a letter the applicant signed on paper, as a scan.
// The digest is SM3 over the file bytes; the department attests it with its
// own identity by anchoring it.
type PaperRequest struct {
	ItemCode    string           `json:"itemCode"`
	ItemVersion int              `json:"itemVersion"`
	Applicant   letter.Applicant `json:"applicant"`
	Scan        string           `json:"scan"`      // base64 of the file
	MediaType   string           `json:"mediaType"` // e.g. application/pdf, image/jpeg
}

// SubmitPaper stores and anchors a paper-signed letter. Like Submit it is
// idempotent and survives a crash between storing and anchoring.
func (s *Service) SubmitPaper(ctx context.Context, req PaperRequest) (*Receipt, error) {
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
	id := chengnuo.CommitmentID(digest)
	if prev, err := s.store.Get(ctx, id); err == nil {
		if prev.State == StateAnchored {
			return paperReceipt(prev.Record), nil
		}
		rec, err := s.anchor(ctx, prev)
		if err != nil {
			return nil, err
		}
		return paperReceipt(rec), nil
	} else if chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		return nil, err
	}
	it, err := s.activeItem(ctx, req.ItemCode, req.ItemVersion)
	if err != nil {
		return nil, err
	}
	stored := &StoredLetter{
		ID: id, Digest: digest, Scan: req.Scan, MediaType: req.MediaType, Applicant: &req.Applicant,
		State: StatePending, StoredAt: s.cfg.Now().UTC(),
		Request: chengnuo.AnchorRequest{
			LetterDigest: digest, ItemCode: it.Code, ItemVersion: it.Version, NoticeDigest: it.NoticeDigest,
			ApplicantKey: letter.ApplicantKey(s.cfg.ApplicantSecret, req.Applicant.IDType, req.Applicant.IDNumber),
			SignedBy:     chengnuo.SignedPaper,
		},
	}
	if existing, err := s.store.PutPending(ctx, stored); err != nil {
		return nil, err
	} else if existing != nil {
		stored = existing
		if stored.State == StateAnchored {
			return paperReceipt(stored.Record), nil
		}
	}
	rec, err := s.anchor(ctx, stored)
	if err != nil {
		return nil, err
	}
	return paperReceipt(rec), nil
}

func paperReceipt(rec *chengnuo.Commitment) *Receipt {
	return &Receipt{CommitmentID: rec.ID, LetterDigest: rec.LetterDigest, Org: rec.Org, ItemCode: rec.ItemCode,
		ItemVersion: rec.ItemVersion, Status: rec.Status, TxID: rec.TxID, BlockNumber: rec.BlockNumber,
		AnchoredAt: rec.AnchoredAt, SignedBy: rec.SignedBy}
}

// activeItem returns an item version that accepts new letters.
func (s *Service) activeItem(ctx context.Context, code string, version int) (*chengnuo.Item, error) {
	if code == "" {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "itemCode is required")
	}
	it, err := s.ledger.GetItem(ctx, code, version)
	if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "%s", chengnuo.ErrorMessage(err))
	}
	if err != nil {
		return nil, err
	}
	if it.Status != chengnuo.ItemActive {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "item %s version %d is %s and accepts no new letters", it.Code, it.Version, it.Status)
	}
	return it, nil
}
