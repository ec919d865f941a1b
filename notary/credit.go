package notary

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/sm"
)

func reasonDigest(reason string) (string, error) {
	if n := utf8.RuneCountInString(strings.TrimSpace(reason)); n < 2 || n > 2000 {
		return "", chengnuo.Errorf(chengnuo.EINVALID, "a reason of 2 to 2000 characters is required")
	}
	return sm.SM3Hex([]byte(reason)), nil
}

// withReason runs a ledger call that takes the SM3 digest of a checked reason.
func withReason[T any](s *Service, reason string, call func(chengnuo.VerificationLedger, string) (T, error)) (T, error) {
	var zero T
	vl, err := s.vledger()
	if err != nil {
		return zero, err
	}
	d, err := reasonDigest(reason)
	if err != nil {
		return zero, err
	}
	return call(vl, d)
}

// RepairCredit records credit repair (信用修复) with its reason (credit platform only).
func (s *Service) RepairCredit(ctx context.Context, creditID, reason string) (*chengnuo.CreditRecord, error) {
	return withReason(s, reason, func(vl chengnuo.VerificationLedger, d string) (*chengnuo.CreditRecord, error) {
		return vl.RepairCredit(ctx, creditID, d)
	})
}

// FileObjection files an applicant's objection (异议) to a credit record.
func (s *Service) FileObjection(ctx context.Context, creditID, reason string) (*chengnuo.Objection, error) {
	return withReason(s, reason, func(vl chengnuo.VerificationLedger, d string) (*chengnuo.Objection, error) {
		return vl.FileObjection(ctx, creditID, d)
	})
}

// Disclosure is one publicly disclosed letter (公示), personal data masked.
type Disclosure struct {
	CommitmentID string    `json:"commitmentId"`
	Number       string    `json:"number,omitempty"`
	ItemCode     string    `json:"itemCode"`
	ItemName     string    `json:"itemName"`
	Applicant    string    `json:"applicant"` // masked: 张*
	Org          string    `json:"org"`
	Scope        string    `json:"scope"`
	From         time.Time `json:"from"`
	Until        time.Time `json:"until"`
}

// MaskName keeps the first character of a name and masks the rest.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", max(1, len(r)-1))
}

// LetterLister lists a department's anchored letters.
type LetterLister interface {
	Letters(ctx context.Context) ([]*StoredLetter, error)
}

// Disclosures lists this department's letters under items that are
// disclosed, while their disclosure period runs — judged by ledger time.
func (s *Service) Disclosures(ctx context.Context) ([]*Disclosure, time.Time, error) {
	vl, err := s.vledger()
	if err != nil {
		return nil, time.Time{}, err
	}
	ll, ok := s.store.(LetterLister)
	if !ok {
		return nil, time.Time{}, chengnuo.Errorf(chengnuo.EUNAVAILABLE, "this store cannot list letters")
	}
	now, err := vl.LedgerTime(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	letters, err := ll.Letters(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	items := map[string]*chengnuo.Item{}
	out := []*Disclosure{}
	for _, st := range letters {
		if st.State != StateAnchored || st.Record == nil || st.Record.Status == chengnuo.StatusWithdrawn {
			continue
		}
		key := fmt.Sprintf("%s@%d", st.Request.ItemCode, st.Request.ItemVersion)
		it, ok := items[key]
		if !ok {
			it, err = s.ledger.GetItem(ctx, st.Request.ItemCode, st.Request.ItemVersion)
			if err != nil {
				return nil, time.Time{}, err
			}
			items[key] = it
		}
		if !it.Disclosure.Public {
			continue
		}
		until := st.Record.AnchoredAt.Add(time.Duration(it.Disclosure.PeriodDays) * 24 * time.Hour)
		if now.Before(st.Record.AnchoredAt) || !now.Before(until) {
			continue
		}
		d := &Disclosure{CommitmentID: st.ID, ItemCode: it.Code, ItemName: it.Name, Org: st.Record.Org,
			Scope: it.Disclosure.Scope, From: st.Record.AnchoredAt, Until: until}
		if a, err := applicantOf(st); err == nil {
			d.Applicant = MaskName(a.Name)
		}
		if st.Canonical != "" {
			if l, err := letter.Parse([]byte(st.Canonical)); err == nil {
				d.Number = l.Number
			}
		}
		out = append(out, d)
	}
	return out, now, nil
}
