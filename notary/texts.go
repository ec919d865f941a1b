package notary

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/sm"
)

// Free texts — reasons, decisions, evidence — never go on the shared ledger
// in clear. This file is the one place that decides how a text becomes the
// digest the ledger records: the text (and what makes its digest) stays in
// the department's store.

// textDigest is the digest of a text that goes on the ledger.
func textDigest(text string) (salt, digest string) {
	return "", sm.SM3Hex([]byte(text))
}

// note makes the note of a letter's transition with its reason.
func (s *Service) note(status, text string) chengnuo.Note {
	salt, d := textDigest(text)
	return chengnuo.Note{Status: status, Text: text, Salt: salt, Digest: d, At: s.cfg.Now().UTC()}
}

// checkReason checks a reason of 2 to 2000 characters.
func checkReason(reason string) error {
	if n := utf8.RuneCountInString(strings.TrimSpace(reason)); n < 2 || n > 2000 {
		return chengnuo.Errorf(chengnuo.EINVALID, "a reason of 2 to 2000 characters is required")
	}
	return nil
}

// keepText stores a text about the record ref and returns its digest for
// the ledger. It is stored first: a text whose ledger call then fails is
// kept unreferenced, never a digest without its text.
func (s *Service) keepText(ctx context.Context, kind, ref, text string) (string, error) {
	salt, d := textDigest(text)
	t := &chengnuo.Text{Digest: d, Salt: salt, Text: text, Kind: kind, Ref: ref, At: s.cfg.Now().UTC()}
	if err := s.store.PutText(ctx, t); err != nil {
		return "", err
	}
	return d, nil
}
