package chengnuo

import (
	"encoding/json"
	"time"
)

// Commitment statuses.
const (
	StatusActive    = "ACTIVE"
	StatusWithdrawn = "WITHDRAWN"
	StatusConcluded = "CONCLUDED"
	// StatusPending is a receipt's status for a letter the department has
	// stored durably but not yet anchored (the ledger was unavailable): it
	// will be anchored in the background; poll its digest.
	StatusPending = "PENDING"
)

// Signing methods of a letter.
const (
	SignedSM2    = "SM2"     // the applicant's SM2 signature, with a certificate that names the applicant and chains to an applicant CA
	SignedSM2Key = "SM2_KEY" // an SM2 signature with a bare public key: nothing ties the key to the applicant
	SignedPaper  = "PAPER"   // signed on paper; the digest is of the scan, attested by the department
)

// Commitment is the public ledger record of an anchored commitment letter.
// It holds no personal data: the applicant appears only as ApplicantKey, a
// keyed digest (HMAC-SM3 under a consortium secret) of the ID type and number.
type Commitment struct {
	ID           string       `json:"id"`
	LetterDigest string       `json:"letterDigest"`
	ScanDigest   string       `json:"scanDigest,omitempty"` // a paper letter's scan, signed by hand (SM3)
	ItemCode     string       `json:"itemCode"`
	ItemVersion  int          `json:"itemVersion"`
	NoticeDigest string       `json:"noticeDigest"`
	Org          string       `json:"org"`
	ApplicantKey string       `json:"applicantKey,omitempty"`
	SignedBy     string       `json:"signedBy"`
	Status       string       `json:"status"`
	Verification string       `json:"verification,omitempty"` // see Verify* constants
	Outcome      *Outcome     `json:"outcome,omitempty"`
	AnchoredAt   time.Time    `json:"anchoredAt"`
	TxID         string       `json:"txId"`
	BlockNumber  uint64       `json:"blockNumber,omitempty"`
	History      []Transition `json:"history"`
}

// Transition is one step of a commitment's lifecycle. History is append-only.
type Transition struct {
	Status       string    `json:"status"`
	Org          string    `json:"org"`
	At           time.Time `json:"at"`
	TxID         string    `json:"txId"`
	ReasonDigest string    `json:"reasonDigest,omitempty"` // SM3 of the reason text, kept by the department
}

// LedgerJSON is a new record as the chaincode writes it: without its id,
// which its key holds and its digest derives, and without its history while
// that is only its creation, which the record's own fields repeat. Every
// letter's record is kept in a block and in every peer's state, and the two
// are a fifth of it (about 180 of 660 bytes). UnmarshalJSON restores both;
// a record that changed is written whole (encoding/json).
func (c *Commitment) LedgerJSON() ([]byte, error) {
	type plain Commitment
	v := struct {
		*plain
		ID      string       `json:"id,omitempty"`
		History []Transition `json:"history,omitempty"`
	}{plain: (*plain)(c), ID: c.ID, History: c.History}
	if len(c.LetterDigest) >= 24 && c.ID == CommitmentID(c.LetterDigest) {
		v.ID = ""
	}
	if len(c.History) == 1 && c.History[0].same(c.creation()) {
		v.History = nil
	}
	return json.Marshal(v)
}

// creation is the transition that created the record, as its own fields
// say.
func (c *Commitment) creation() Transition {
	return Transition{Status: c.Status, Org: c.Org, At: c.AnchoredAt, TxID: c.TxID}
}

func (t Transition) same(u Transition) bool {
	return t.Status == u.Status && t.Org == u.Org && t.At.Equal(u.At) && t.TxID == u.TxID && t.ReasonDigest == u.ReasonDigest
}

// UnmarshalJSON decodes a record, restoring what LedgerJSON leaves out: the
// id from the digest, and the history, if absent, as the creation alone.
func (c *Commitment) UnmarshalJSON(b []byte) error {
	type plain Commitment
	if err := json.Unmarshal(b, (*plain)(c)); err != nil {
		return err
	}
	if c.ID == "" && len(c.LetterDigest) >= 24 {
		c.ID = CommitmentID(c.LetterDigest)
	}
	if c.History == nil && c.TxID != "" {
		c.History = []Transition{c.creation()}
	}
	return nil
}

// CommitmentID derives a commitment's id from its letter digest, so the same
// letter always has the same id and a gateway knows it before anchoring.
func CommitmentID(letterDigest string) string { return "CN" + letterDigest[:24] }

// NewCommitment is the record the ledger creates for an accepted anchor
// request: the chaincode writes it, and a gateway rebuilds it from its own
// request and the transaction rather than reading it back, so both derive it
// here. The request's item and notice are those the chaincode checked.
func NewCommitment(req AnchorRequest, org string, at time.Time, txID string) *Commitment {
	return &Commitment{
		ID: CommitmentID(req.LetterDigest), LetterDigest: req.LetterDigest, ScanDigest: req.ScanDigest, ItemCode: req.ItemCode, ItemVersion: req.ItemVersion,
		NoticeDigest: req.NoticeDigest, Org: org, ApplicantKey: req.ApplicantKey, SignedBy: req.SignedBy,
		Status: StatusActive, AnchoredAt: at, TxID: txID,
		History: []Transition{{Status: StatusActive, Org: org, At: at, TxID: txID}},
	}
}

// AnchorRequest asks the ledger to anchor one letter.
type AnchorRequest struct {
	LetterDigest string `json:"letterDigest"`
	// ScanDigest is the SM3 of a paper letter's scan: the letter printed
	// from its draft (LetterDigest, the draft's canonical bytes) and signed
	// by hand. The ledger binds both, and either finds the record.
	ScanDigest   string `json:"scanDigest,omitempty"`
	ItemCode     string `json:"itemCode"`
	ItemVersion  int    `json:"itemVersion"`
	NoticeDigest string `json:"noticeDigest"`
	ApplicantKey string `json:"applicantKey"`
	SignedBy     string `json:"signedBy"`
}

// AnchorResult is the per-letter outcome of a batch anchoring.
type AnchorResult struct {
	LetterDigest string      `json:"letterDigest,omitempty"` // the chaincode names only refused letters; results are in request order
	Created      bool        `json:"created"`                // false: already anchored (Record is the existing one) or refused
	Code         string      `json:"code,omitempty"`
	Message      string      `json:"message,omitempty"`
	Record       *Commitment `json:"record,omitempty"`
}
