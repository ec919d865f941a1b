package chengnuo

import "time"

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

// CommitmentID derives a commitment's id from its letter digest, so the same
// letter always has the same id and a gateway knows it before anchoring.
func CommitmentID(letterDigest string) string { return "CN" + letterDigest[:24] }

// NewCommitment is the record the ledger creates for an accepted anchor
// request: the chaincode writes it, and a gateway rebuilds it from its own
// request and the transaction rather than reading it back, so both derive it
// here. The request's item and notice are those the chaincode checked.
func NewCommitment(req AnchorRequest, org string, at time.Time, txID string) *Commitment {
	return &Commitment{
		ID: CommitmentID(req.LetterDigest), LetterDigest: req.LetterDigest, ItemCode: req.ItemCode, ItemVersion: req.ItemVersion,
		NoticeDigest: req.NoticeDigest, Org: org, ApplicantKey: req.ApplicantKey, SignedBy: req.SignedBy,
		Status: StatusActive, AnchoredAt: at, TxID: txID,
		History: []Transition{{Status: StatusActive, Org: org, At: at, TxID: txID}},
	}
}

// AnchorRequest asks the ledger to anchor one letter.
type AnchorRequest struct {
	LetterDigest string `json:"letterDigest"`
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
