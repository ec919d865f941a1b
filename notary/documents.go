package notary

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
)

// directoryAge is how long the department directory read from the ledger
// is used before it is read again: names change rarely, and a page or a
// document names departments on every request.
const directoryAge = time.Minute

// directory caches the department directory.
type directory struct {
	mu        sync.Mutex
	at        time.Time
	d         chengnuo.Directory
	published bool // this department's own entry is on the ledger as configured
}

// Departments implements chengnuo.Service: the directory from the ledger,
// read at most once a minute. While the ledger cannot be read, the last
// directory read is used; this department is always named as configured.
func (s *Service) Departments(ctx context.Context) (chengnuo.Directory, error) {
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	if s.dir.d != nil && s.cfg.Now().Sub(s.dir.at) < directoryAge {
		return s.dir.d, nil
	}
	list, err := s.ledger.Departments(ctx)
	if err != nil {
		if s.dir.d != nil {
			s.log.Warn("department directory: using the last one read", slog.String("error", err.Error()))
			return s.dir.d, nil
		}
		return s.ownDirectory(), nil
	}
	d := chengnuo.Directory{}
	for _, e := range list {
		d[e.MSPID] = e
	}
	if _, ok := d[s.cfg.MSPID]; !ok {
		d[s.cfg.MSPID] = s.self()
	}
	s.dir.d, s.dir.at = d, s.cfg.Now()
	return d, nil
}

// self is this department's entry as configured.
func (s *Service) self() *chengnuo.Department {
	return &chengnuo.Department{MSPID: s.cfg.MSPID, Name: s.cfg.OrganName, NumberPrefix: s.cfg.NumberPrefix}
}

// ownDirectory names this department alone.
func (s *Service) ownDirectory() chengnuo.Directory {
	return chengnuo.Directory{s.cfg.MSPID: s.self()}
}

// names is the directory, or this department alone when it cannot be read
// (a name is never worth failing a page for).
func (s *Service) names(ctx context.Context) chengnuo.Directory {
	d, err := s.Departments(ctx)
	if err != nil {
		return s.ownDirectory()
	}
	return d
}

// PublishDepartment puts this department's name and number prefix in the
// ledger's directory unless they are there already. A maintenance pass
// calls it until it succeeds once.
func (s *Service) PublishDepartment(ctx context.Context) error {
	s.dir.mu.Lock()
	done := s.dir.published
	s.dir.mu.Unlock()
	if done {
		return nil
	}
	list, err := s.ledger.Departments(ctx)
	if err != nil {
		return err
	}
	for _, e := range list {
		if e.MSPID == s.cfg.MSPID && e.Name == s.cfg.OrganName && e.NumberPrefix == s.cfg.NumberPrefix {
			s.dir.mu.Lock()
			s.dir.published = true
			s.dir.mu.Unlock()
			return nil
		}
	}
	d, err := s.ledger.PutDepartment(ctx, s.cfg.OrganName, s.cfg.NumberPrefix)
	if err != nil {
		return err
	}
	s.log.Info("department directory entry published", slog.String("name", d.Name), slog.String("numberPrefix", d.NumberPrefix), slog.String("tx", d.TxID))
	s.dir.mu.Lock()
	s.dir.published, s.dir.d = true, nil // read the directory again
	s.dir.mu.Unlock()
	return nil
}

// idRE is a commitment id: CN and 24 lower-case hex digits.
var idRE = regexp.MustCompile(`^CN[0-9a-f]{24}$`)

// draftID is the id a draft is named by: its id, or its digest's.
func draftID(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if d, err := chengnuo.NormalizeDigest(s); err == nil {
		return chengnuo.CommitmentID(d), true
	}
	return s, idRE.MatchString(s)
}

// GetDraft implements chengnuo.Service.
func (s *Service) GetDraft(ctx context.Context, id string) (*chengnuo.Draft, error) {
	key, ok := draftID(id)
	if !ok {
		return nil, chengnuo.DraftNotKept(id)
	}
	d, err := s.store.GetDraft(ctx, key)
	if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
		// Once its letter is anchored the draft is dropped: the letter
		// holds the same canonical text, printed and resubmitted alike.
		if st, serr := s.store.Get(ctx, key); serr == nil && st.Canonical != "" {
			d, err = &chengnuo.Draft{ID: st.ID, Digest: st.Digest, Canonical: st.Canonical, CreatedAt: st.StoredAt}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	l, err := letter.Parse([]byte(d.Canonical))
	if err != nil {
		return nil, chengnuo.Internal("a kept draft could not be read", err)
	}
	d.Letter = l
	return d, nil
}

// printable is a letter with the names of the departments it mentions.
func (s *Service) printable(ctx context.Context, l *chengnuo.Letter, digest string) *chengnuo.PrintableLetter {
	names := s.names(ctx)
	p := &chengnuo.PrintableLetter{Letter: l, ID: chengnuo.CommitmentID(digest), Digest: digest, OrgName: names.Name(l.Organ.MSPID)}
	if p.OrgName == l.Organ.MSPID {
		p.OrgName = l.Organ.Name
	}
	if v := l.Notice.Verification.Department; v != "" {
		p.VerifierName = names.Name(v)
	}
	return p
}

// PrintDraft implements chengnuo.Service.
func (s *Service) PrintDraft(ctx context.Context, id string) (*chengnuo.PrintableLetter, error) {
	d, err := s.GetDraft(ctx, id)
	if err != nil {
		return nil, err
	}
	p := s.printable(ctx, d.Letter, d.Digest)
	p.Draft = true
	return p, nil
}

// PrintLetter implements chengnuo.Service: a stored letter as it was
// signed (a paper letter: the draft it was printed from).
func (s *Service) PrintLetter(ctx context.Context, id string) (*chengnuo.PrintableLetter, error) {
	st, err := s.store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if st.Canonical == "" {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "letter %s was signed on paper without a draft: only its scan is kept, there is no letter to print", id)
	}
	l, err := letter.Parse([]byte(st.Canonical))
	if err != nil {
		return nil, chengnuo.Internal("a stored letter could not be read", err)
	}
	p := s.printable(ctx, l, st.Digest)
	p.SignedBy = st.Request.SignedBy
	if st.Record != nil {
		p.AnchoredAt = st.Record.AnchoredAt
	}
	return p, nil
}

// Receipt implements chengnuo.Service.
func (s *Service) Receipt(ctx context.Context, id string, public bool) (*chengnuo.ReceiptView, error) {
	var st *chengnuo.StoredLetter
	if !public {
		var err error
		if st, err = s.store.Get(ctx, id); err != nil {
			return nil, err
		}
	} else if !idRE.MatchString(id) {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "commitment %s does not exist", id)
	}
	rec, _, err := s.lookup(ctx, id)
	switch {
	case err == nil:
	case chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND && st != nil:
		// Stored, not anchored yet: the receipt says so.
		rec = &chengnuo.Commitment{ID: st.ID, LetterDigest: st.Digest, ScanDigest: st.ScanDigest, ItemCode: st.Request.ItemCode,
			ItemVersion: st.Request.ItemVersion, Org: s.cfg.MSPID, SignedBy: st.Request.SignedBy, Status: chengnuo.StatusPending}
	default:
		return nil, err
	}
	names := s.names(ctx)
	r := &chengnuo.ReceiptView{CommitmentID: rec.ID, LetterDigest: rec.LetterDigest, ScanDigest: rec.ScanDigest,
		Org: rec.Org, OrgName: names.Name(rec.Org), ItemCode: rec.ItemCode, ItemVersion: rec.ItemVersion, ItemName: rec.ItemCode,
		SignedBy: rec.SignedBy, AnchoredAt: rec.AnchoredAt, BlockNumber: rec.BlockNumber, TxID: rec.TxID, Verdict: chengnuo.VerdictOf(rec)}
	if it, err := s.items.get(ctx, s.ledger, rec.ItemCode, rec.ItemVersion); err == nil {
		r.ItemName = it.Name
	}
	// A gateway without a read model (or one that has not read the
	// genesis block yet) cannot say it: the receipt says so instead of
	// failing.
	if h, err := s.GenesisHash(ctx); err == nil {
		r.GenesisHash = h
	} else if chengnuo.ErrorCode(err) != chengnuo.EUNAVAILABLE {
		return nil, err
	}
	if st != nil {
		r.Number = st.Number
		if a, err := applicantOf(st); err == nil {
			r.Applicant = MaskName(a.Name)
		}
	}
	return r, nil
}
