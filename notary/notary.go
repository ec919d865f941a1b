// Package notary is a department's application service for commitment
// letters: it renders drafts from the catalog, checks signed letters,
// keeps the full letters in the department's own store and anchors their
// public records on the ledger, coalescing concurrent submissions into
// batches. It depends on the domain, the letter rules and two ports — the
// Ledger and the Store — that adapters implement.
package notary

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/sm"
)

// Letter states in the department's store.
const (
	StatePending  = "PENDING"  // stored, not yet known to be anchored
	StateAnchored = "ANCHORED" // the ledger holds its record
)

// StoredLetter is a full signed letter as the anchoring department keeps it.
// Personal data: it never leaves the department.
type StoredLetter struct {
	ID          string                 `json:"id"`
	Digest      string                 `json:"digest"`
	Canonical   string                 `json:"canonical,omitempty"` // an electronically signed letter
	Scan        string                 `json:"scan,omitempty"`      // base64 of a paper letter's scan
	MediaType   string                 `json:"mediaType,omitempty"`
	Applicant   *letter.Applicant      `json:"applicant,omitempty"` // of a paper letter (an electronic one carries it)
	Signature   string                 `json:"signature,omitempty"` // base64 DER
	PublicKey   string                 `json:"publicKey,omitempty"`
	Certificate string                 `json:"certificate,omitempty"`
	Request     chengnuo.AnchorRequest `json:"request"`
	State       string                 `json:"state"`
	Record      *chengnuo.Commitment   `json:"record,omitempty"`
	StoredAt    time.Time              `json:"storedAt"`
	Notes       []Note                 `json:"notes,omitempty"`
}

// Note is a reason text kept beside a ledger transition (whose record holds
// only the text's SM3 digest).
type Note struct {
	Status string    `json:"status"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

// Store keeps a department's letters durably.
type Store interface {
	// PutPending stores l unless a letter with the same id exists, in which
	// case it returns the existing one and stores nothing.
	PutPending(ctx context.Context, l *StoredLetter) (existing *StoredLetter, err error)
	// MarkAnchored records the ledger record of a stored letter.
	MarkAnchored(ctx context.Context, id string, rec *chengnuo.Commitment) error
	// Delete removes a letter the ledger refused.
	Delete(ctx context.Context, id string) error
	// Get returns a stored letter or ENOTFOUND.
	Get(ctx context.Context, id string) (*StoredLetter, error)
	// Pending lists letters not yet known to be anchored.
	Pending(ctx context.Context) ([]*StoredLetter, error)
	// AddNote appends a reason note to a stored letter.
	AddNote(ctx context.Context, id string, n Note) error
	// NextNumber returns the next letter serial number of a year (1, 2, …).
	NextNumber(ctx context.Context, year int) (int, error)
}

// Config configures a Service.
type Config struct {
	MSPID           string // this department
	OrganName       string // this department's name, printed on letters
	ApplicantSecret []byte // consortium secret for applicant keys
	Roots           *smx509.CertPool
	Logger          *slog.Logger
	Now             func() time.Time
	BatchWorkers    int // concurrent anchoring transactions; default 4

	// Verification enables assisted verification, outcomes and credit; nil disables them.
	Verification chengnuo.VerificationLedger
	// Webhook is this department's registry for online verification; empty: answers come from clerks.
	Webhook string
}

// Service is the department's letter service.
type Service struct {
	cfg    Config
	ledger chengnuo.Ledger
	store  Store
	log    *slog.Logger
	queue  chan *job
}

// New returns a Service and starts its anchoring workers, which stop when
// ctx ends.
func New(ctx context.Context, cfg Config, ledger chengnuo.Ledger, store Store) (*Service, error) {
	if cfg.MSPID == "" || len(cfg.ApplicantSecret) < 16 {
		return nil, fmt.Errorf("notary: MSP id and an applicant secret of at least 16 bytes are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BatchWorkers <= 0 {
		cfg.BatchWorkers = 4
	}
	if cfg.OrganName == "" {
		cfg.OrganName = cfg.MSPID
	}
	s := &Service{cfg: cfg, ledger: ledger, store: store, log: cfg.Logger, queue: make(chan *job, 1024)}
	for range cfg.BatchWorkers {
		go s.worker(ctx)
	}
	return s, nil
}

// DraftRequest is what a clerk supplies to render a letter.
type DraftRequest struct {
	ItemCode     string           `json:"itemCode"`
	ItemVersion  int              `json:"itemVersion"`
	Applicant    letter.Applicant `json:"applicant"`
	ContactName  string           `json:"contactName"`
	ContactPhone string           `json:"contactPhone"`
}

// Draft is an unsigned letter: the canonical bytes are what the applicant signs.
type Draft struct {
	Letter    *letter.Letter `json:"letter"`
	Canonical string         `json:"canonical"`
	Digest    string         `json:"digest"`
}

// Draft renders a letter from the current catalog version of an item.
func (s *Service) Draft(ctx context.Context, req DraftRequest) (*Draft, error) {
	it, err := s.activeItem(ctx, req.ItemCode, req.ItemVersion)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	n, err := s.store.NextNumber(ctx, now.Year())
	if err != nil {
		return nil, err
	}
	salt := make([]byte, letter.SaltBytes)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	organ := letter.Organ{MSPID: s.cfg.MSPID, Name: s.cfg.OrganName, ContactName: req.ContactName, ContactPhone: req.ContactPhone}
	number := fmt.Sprintf("〔%d〕%s第%06d号", now.Year(), s.cfg.MSPID, n)
	l, c, err := letter.New(it, req.Applicant, organ, number, hex.EncodeToString(salt), now.Format(time.RFC3339))
	if err != nil {
		return nil, err
	}
	return &Draft{Letter: l, Canonical: string(c), Digest: letter.Digest(c)}, nil
}

// SubmitRequest is a signed letter.
type SubmitRequest struct {
	Letter      string `json:"letter"`      // the canonical letter, exactly as signed
	Signature   string `json:"signature"`   // DER SM2 signature, base64 or hex
	PublicKey   string `json:"publicKey"`   // SM2 public key (PEM or uncompressed hex), or
	Certificate string `json:"certificate"` // an SM2 X.509 certificate (PEM)
}

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

// verifySigner checks the signature. A certificate must have been valid for
// the whole signing window: from the draft's time to the submission (its
// validity is an interval, so both ends suffice).
func (s *Service) verifySigner(req SubmitRequest, canonical []byte, drafted time.Time) error {
	sig, err := decodeSignature(req.Signature)
	if err != nil {
		return err
	}
	switch {
	case req.PublicKey != "" && req.Certificate != "":
		return chengnuo.Errorf(chengnuo.EINVALID, "give either publicKey or certificate, not both")
	case req.Certificate != "":
		cert, err := sm.ParseCertificate(req.Certificate)
		if err != nil {
			return chengnuo.Errorf(chengnuo.EINVALID, "certificate: %v", err)
		}
		for _, at := range []time.Time{drafted, s.cfg.Now()} {
			if err := sm.VerifyCertificate(cert, s.cfg.Roots, at); err != nil {
				return chengnuo.Errorf(chengnuo.EINVALID, "certificate: %v", err)
			}
		}
		if err := sm.Verify(cert.PublicKey.(*ecdsa.PublicKey), sm.DefaultUID, canonical, sig); err != nil {
			return chengnuo.Errorf(chengnuo.EINVALID, "the signature does not verify with the certificate's key")
		}
	case req.PublicKey != "":
		if s.cfg.Roots != nil {
			return chengnuo.Errorf(chengnuo.EINVALID, "this department accepts only certificates from its configured roots")
		}
		pub, err := sm.ParsePublicKey(req.PublicKey)
		if err != nil {
			return chengnuo.Errorf(chengnuo.EINVALID, "publicKey: %v", err)
		}
		if err := sm.Verify(pub, sm.DefaultUID, canonical, sig); err != nil {
			return chengnuo.Errorf(chengnuo.EINVALID, "the signature does not verify with the given public key")
		}
	default:
		return chengnuo.Errorf(chengnuo.EINVALID, "publicKey or certificate is required")
	}
	return nil
}
