package notary

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/sm"
)

// Free texts — reasons, decisions, evidence, penalties — never go on the
// shared ledger. This file is the one place that decides how a text becomes
// what the ledger records: the salted SM3 of the text (sm.TextDigest) with
// a fresh 128-bit salt, so that a short text cannot be guessed from its
// digest. The text and its salt stay in the authoring department's store;
// the department entitled to read it gets them through its private
// collection (share).

// seal makes a text's salt and digest.
func seal(text string) (salt, digest string, err error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", "", chengnuo.Internal("no randomness", err)
	}
	return hex.EncodeToString(b), sm.TextDigest(b, text), nil
}

// note makes the note of a letter's transition with its reason.
func (s *Service) note(status, text string) (chengnuo.Note, error) {
	salt, d, err := seal(text)
	return chengnuo.Note{Status: status, Text: text, Salt: salt, Digest: d, At: s.cfg.Now().UTC()}, err
}

// checkReason checks a reason of 2 to 2000 characters.
func checkReason(reason string) error {
	if n := utf8.RuneCountInString(strings.TrimSpace(reason)); n < 2 || n > 2000 {
		return chengnuo.Errorf(chengnuo.EINVALID, "a reason of 2 to 2000 characters is required")
	}
	return nil
}

// checkWrittenReason checks a written reason that goes to another
// department (a refusal, a decision): 4 to 500 characters, and no number
// of six or more digits, separators between the digits notwithstanding —
// a reason explains, it does not carry ID or phone numbers.
func checkWrittenReason(s string) error {
	if n := utf8.RuneCountInString(strings.TrimSpace(s)); n < 4 || n > 500 {
		return chengnuo.Errorf(chengnuo.EINVALID, "a written reason of 4 to 500 characters is required")
	}
	run := 0
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			run++
			if run >= 6 {
				return chengnuo.Errorf(chengnuo.EINVALID, "a written reason must not contain numbers of 6 or more digits (no ID or phone numbers)")
			}
		case unicode.IsSpace(r) || strings.ContainsRune("-‐‑–—_./·,，、:：()（）+*#", r):
			// a separator inside a number does not end it
		default:
			run = 0
		}
	}
	return nil
}

// keepText stores a text about the record ref and returns its digest for
// the ledger. It is stored first: a text whose ledger call then fails is
// kept unreferenced, never a digest without its text.
func (s *Service) keepText(ctx context.Context, kind, ref, text string) (*chengnuo.Text, error) {
	salt, d, err := seal(text)
	if err != nil {
		return nil, err
	}
	t := &chengnuo.Text{Digest: d, Salt: salt, Text: text, Kind: kind, Ref: ref, At: s.cfg.Now().UTC()}
	if err := s.store.PutText(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// reason checks a reason and keeps it.
func (s *Service) reason(ctx context.Context, kind, ref, text string, check func(string) error) (*chengnuo.Text, error) {
	if err := check(text); err != nil {
		return nil, err
	}
	return s.keepText(ctx, kind, ref, text)
}

// Text implements chengnuo.Service: a text this department wrote, or one
// shared with it.
func (s *Service) Text(ctx context.Context, digest string) (*chengnuo.Text, error) {
	digest, err := chengnuo.NormalizeDigest(digest)
	if err != nil {
		return nil, err
	}
	t, err := s.store.GetText(ctx, digest)
	if chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		return t, err
	}
	st, err := s.ledger.GetText(ctx, digest)
	if err != nil {
		return nil, err
	}
	return &chengnuo.Text{Digest: st.Digest, Salt: st.Salt, Text: st.Text, Kind: st.Kind, Ref: st.Ref, From: st.From}, nil
}
