package notary

import (
	"context"
	"encoding/base64"
	"net/url"
	"slices"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/scan"
	"github.com/chengnuo/chengnuo/sm"
)

// MaxScanBytes bounds a paper letter's scan.
const MaxScanBytes = 8 << 20

// SubmitPaper implements chengnuo.Service: it stores and anchors a letter
// the applicant signed on paper — the draft printed, signed by hand and
// scanned. The scan must show the draft's QR code (so a scan of another
// letter, or of nothing printed here, is refused); the ledger record binds
// the draft's digest (what the printed QR code names) and the scan's, and
// either finds it. The department attests the scan with its own identity
// by anchoring it. Like Submit it is idempotent and survives a crash
// between storing and anchoring.
func (s *Service) SubmitPaper(ctx context.Context, req chengnuo.PaperRequest) (*chengnuo.Receipt, error) {
	if !slices.Contains(scan.MediaTypes, req.MediaType) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "mediaType must be application/pdf, image/jpeg, image/png or image/tiff")
	}
	raw, err := base64.StdEncoding.DecodeString(req.Scan)
	if err != nil || len(raw) == 0 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "scan must be the non-empty base64 of the file")
	}
	if len(raw) > MaxScanBytes {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "scan is larger than %d bytes", MaxScanBytes)
	}
	if req.Draft == "" {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "draft is required: print the draft (its letter.pdf), have the applicant sign it, and name it here with the scan")
	}
	d, err := s.GetDraft(ctx, req.Draft)
	if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "draft %s is not kept by this department", req.Draft)
	}
	if err != nil {
		return nil, err
	}
	l := d.Letter
	if err := paperMatchesDraft(req, l); err != nil {
		return nil, err
	}
	scanDigest := sm.SM3Hex(raw)
	if prev, err := s.store.Get(ctx, d.ID); err == nil && prev.ScanDigest != scanDigest {
		if prev.ScanDigest == "" {
			return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "letter %s was submitted already, signed electronically", l.Number)
		}
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "letter %s was submitted already, with another scan (SM3 %s)", l.Number, prev.ScanDigest)
	}
	if done, r, err := s.resume(ctx, d.ID); done {
		return r, err
	}
	codes, err := scan.QRCodes(req.MediaType, raw)
	if err != nil {
		return nil, err
	}
	if !namesCommitment(codes, d.ID) {
		if len(codes) == 0 {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "no QR code could be read from the scan; scan every page of letter %s at 200 dpi or more", l.Number)
		}
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the scan is not of letter %s: its QR code names another letter", l.Number)
	}
	it, err := s.activeItem(ctx, l.Notice.ItemCode, l.Notice.ItemVersion)
	if err != nil {
		return nil, err
	}
	if it.NoticeDigest != l.NoticeDigest {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the draft's notice does not match item %s version %d", it.Code, it.Version)
	}
	if it.RequireCertificate {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "item %s requires letters signed with an applicant certificate, not on paper", it.Code)
	}
	return s.store1(ctx, it, l, &chengnuo.StoredLetter{
		ID: d.ID, Digest: d.Digest, Canonical: d.Canonical, Number: l.Number, Scan: req.Scan, ScanDigest: scanDigest,
		MediaType: req.MediaType,
		Request: chengnuo.AnchorRequest{
			LetterDigest: d.Digest, ScanDigest: scanDigest, ItemCode: it.Code, ItemVersion: it.Version, NoticeDigest: l.NoticeDigest,
			ApplicantKey: letter.ApplicantKey(s.cfg.ApplicantSecret, l.Applicant.IDType, l.Applicant.IDNumber),
			SignedBy:     chengnuo.SignedPaper,
		},
	})
}

// paperMatchesDraft checks the fields a paper submission may repeat.
func paperMatchesDraft(req chengnuo.PaperRequest, l *chengnuo.Letter) error {
	if req.ItemCode != "" && (req.ItemCode != l.Notice.ItemCode || req.ItemVersion != 0 && req.ItemVersion != l.Notice.ItemVersion) {
		return chengnuo.Errorf(chengnuo.EINVALID, "the draft is for item %s version %d", l.Notice.ItemCode, l.Notice.ItemVersion)
	}
	if a := req.Applicant; a != (chengnuo.Applicant{}) {
		if a.Name != l.Applicant.Name || a.IDType != l.Applicant.IDType || letter.NormalizeID(a.IDNumber) != l.Applicant.IDNumber {
			return chengnuo.Errorf(chengnuo.EINVALID, "the applicant differs from the draft's")
		}
	}
	return nil
}

// namesCommitment says whether one of the codes is a public-page address
// of commitment id (…/verify?id=id, on whichever gateway).
func namesCommitment(codes []string, id string) bool {
	for _, c := range codes {
		u, err := url.Parse(c)
		if err == nil && u.Query().Get("id") == id {
			return true
		}
	}
	return false
}
