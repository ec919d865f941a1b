package notary

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
)

// Letters implements chengnuo.Service: the store's letters, the last
// stored first, filtered here. A page reads at most chengnuo.LetterScan
// stored letters whatever it finds, so that a narrow filter answers in
// bounded time; the bookmark continues where it stopped.
func (s *Service) Letters(ctx context.Context, f chengnuo.LetterFilter, p chengnuo.Page) (*chengnuo.List[*chengnuo.LetterSummary], error) {
	limit, err := p.Limit()
	if err != nil {
		return nil, err
	}
	q := strings.TrimSpace(f.Query)
	if len(q) > 128 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "a search is at most 128 characters")
	}
	out := &chengnuo.List[*chengnuo.LetterSummary]{Items: []*chengnuo.LetterSummary{}}
	if q != "" && (strings.HasPrefix(q, "CN") || len(q) == 64) {
		// An id or a digest names one letter.
		id := q
		if len(q) == 64 {
			id = chengnuo.CommitmentID(strings.ToLower(q))
		}
		l, err := s.store.Get(ctx, id)
		if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND && len(q) == 64 {
			// A paper letter's scan names its letter.
			if a, aerr := s.FindAnchor(ctx, strings.ToLower(q)); aerr == nil && a.CommitmentID != "" {
				l, err = s.store.Get(ctx, a.CommitmentID)
			}
		}
		if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if sum := summarize(l); f.Status == "" || sum.Status == f.Status {
			out.Items = append(out.Items, sum)
		}
		return out, nil
	}
	page := chengnuo.Page{Size: min(chengnuo.MaxPageSize, max(limit, 100)), Bookmark: p.Bookmark}
	for scanned := 0; scanned < chengnuo.LetterScan; {
		l, err := s.store.RecentLetters(ctx, page)
		if err != nil {
			return nil, err
		}
		for i, st := range l.Items {
			scanned++
			if !f.From.IsZero() && st.StoredAt.Before(f.From) {
				return out, nil // the last stored come first: the rest are older still
			}
			sum := summarize(st)
			if !f.To.IsZero() && !st.StoredAt.Before(f.To) {
				continue
			}
			if (f.Status == "" || sum.Status == f.Status) && (q == "" || sum.Number == q || letter.NormalizeID(q) == sum.IDNumber) {
				out.Items = append(out.Items, sum)
				if q != "" && sum.Number == q {
					return out, nil // a letter number is unique
				}
			}
			if len(out.Items) == limit {
				// The next page starts after this letter: a bookmark of
				// the store's page that ends here.
				if i < len(l.Items)-1 || l.More {
					rest, err := s.store.RecentLetters(ctx, chengnuo.Page{Size: i + 1, Bookmark: page.Bookmark})
					if err != nil {
						return nil, err
					}
					out.More, out.Bookmark = rest.More, rest.Bookmark
				}
				return out, nil
			}
		}
		if !l.More {
			return out, nil
		}
		page.Bookmark = l.Bookmark
		if scanned >= chengnuo.LetterScan {
			out.More, out.Bookmark = true, l.Bookmark
		}
	}
	return out, nil
}

// summarize is a stored letter's line in the list.
func summarize(l *chengnuo.StoredLetter) *chengnuo.LetterSummary {
	sum := &chengnuo.LetterSummary{ID: l.ID, Digest: l.Digest, Number: l.Number, ItemCode: l.Request.ItemCode, ItemVersion: l.Request.ItemVersion,
		SignedBy: l.Request.SignedBy, StoredAt: l.StoredAt, Status: chengnuo.StatePending}
	if l.Record != nil && l.State == chengnuo.StateAnchored {
		sum.Status = l.Record.Status
	}
	if l.Applicant != nil {
		sum.Applicant, sum.IDNumber = l.Applicant.Name, l.Applicant.IDNumber
	} else if l.Canonical != "" {
		var doc struct {
			Applicant chengnuo.Applicant `json:"applicant"`
			Number    string             `json:"number"`
		}
		if json.Unmarshal([]byte(l.Canonical), &doc) == nil {
			sum.Applicant, sum.IDNumber = doc.Applicant.Name, doc.Applicant.IDNumber
			if sum.Number == "" {
				sum.Number = doc.Number
			}
		}
	}
	return sum
}
