package chengnuo

import "time"

// Letter states in a department's store.
const (
	StatePending  = "PENDING"  // stored, not yet known to be anchored
	StateAnchored = "ANCHORED" // the ledger holds its record
)

// StoredLetter is a full signed letter as the anchoring department keeps it.
// Personal data: it never leaves the department.
type StoredLetter struct {
	ID          string        `json:"id"`
	Digest      string        `json:"digest"`
	Canonical   string        `json:"canonical,omitempty"` // an electronically signed letter
	Scan        string        `json:"scan,omitempty"`      // base64 of a paper letter's scan
	MediaType   string        `json:"mediaType,omitempty"`
	Applicant   *Applicant    `json:"applicant,omitempty"` // of a paper letter (an electronic one carries it)
	Number      string        `json:"number,omitempty"`
	Signature   string        `json:"signature,omitempty"` // base64 DER
	PublicKey   string        `json:"publicKey,omitempty"`
	Certificate string        `json:"certificate,omitempty"`
	Request     AnchorRequest `json:"request"`
	State       string        `json:"state"`
	Record      *Commitment   `json:"record,omitempty"`
	StoredAt    time.Time     `json:"storedAt"`
	Notes       []Note        `json:"notes,omitempty"`
}

// Note is a reason text kept beside a ledger transition (whose record holds
// only the text's SM3 digest).
type Note struct {
	Status string    `json:"status"`
	Text   string    `json:"text"`
	Salt   string    `json:"salt,omitempty"`
	Digest string    `json:"digest,omitempty"`
	At     time.Time `json:"at"`
}

// Text is a free text (a reason, a decision, evidence) kept by the
// department that wrote it. Only Digest — SM3 over Salt and Text, see
// package sm — goes on the ledger, so the text cannot be guessed from it.
type Text struct {
	Digest string    `json:"digest"`
	Salt   string    `json:"salt"`
	Text   string    `json:"text"`
	Kind   string    `json:"kind"` // what it explains, e.g. "objection-decision"
	Ref    string    `json:"ref"`  // the record it belongs to
	At     time.Time `json:"at"`
}

// InboxEntry is a verification request addressed to this department, as
// its gateway learned of it from the ledger's events.
type InboxEntry struct {
	Request    *VerificationRequest `json:"request"`
	ReceivedAt time.Time            `json:"receivedAt"`
	Handled    bool                 `json:"handled"`
	Handlings  int                  `json:"handlings"` // how often it was handled; stays 1
	Note       string               `json:"note,omitempty"`
	Registry   *AnswerRequest       `json:"registry,omitempty"` // the registry's answer, kept before submitting it
}

// Outgoing is a request's details waiting to be delivered to the target.
type Outgoing struct {
	Request   *VerificationRequest `json:"request"`
	Details   []byte               `json:"details"`
	Delivered bool                 `json:"delivered"`
}

// DisclosedLetter is one publicly disclosed letter (公示), personal data masked.
type DisclosedLetter struct {
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

// DraftRequest is what a clerk supplies to render a letter.
type DraftRequest struct {
	ItemCode     string    `json:"itemCode"`
	ItemVersion  int       `json:"itemVersion"`
	Applicant    Applicant `json:"applicant"`
	ContactName  string    `json:"contactName"`
	ContactPhone string    `json:"contactPhone"`
}

// Draft is an unsigned letter: the canonical bytes are what the applicant signs.
type Draft struct {
	Letter    *Letter `json:"letter"`
	Canonical string  `json:"canonical"`
	Digest    string  `json:"digest"`
}

// SubmitRequest is a signed letter.
type SubmitRequest struct {
	Letter      string `json:"letter"`      // the canonical letter, exactly as signed
	Signature   string `json:"signature"`   // DER SM2 signature, base64 or hex
	PublicKey   string `json:"publicKey"`   // SM2 public key (PEM or uncompressed hex), or
	Certificate string `json:"certificate"` // an SM2 X.509 certificate (PEM)
}

// PaperRequest submits a letter the applicant signed on paper, as a scan.
type PaperRequest struct {
	ItemCode    string    `json:"itemCode"`
	ItemVersion int       `json:"itemVersion"`
	Applicant   Applicant `json:"applicant"`
	Scan        string    `json:"scan"`      // base64 of the file
	MediaType   string    `json:"mediaType"` // application/pdf, image/jpeg, image/png, image/tiff
}

// Receipt is what the applicant keeps: enough for anyone to look the letter
// up, and no personal data.
type Receipt struct {
	CommitmentID string    `json:"commitmentId"`
	LetterDigest string    `json:"letterDigest"`
	Salt         string    `json:"salt,omitempty"`
	Number       string    `json:"number,omitempty"`
	Org          string    `json:"org"`
	ItemCode     string    `json:"itemCode"`
	ItemVersion  int       `json:"itemVersion"`
	Status       string    `json:"status"`
	TxID         string    `json:"txId"`
	BlockNumber  uint64    `json:"blockNumber"`
	AnchoredAt   time.Time `json:"anchoredAt"`
	SignedBy     string    `json:"signedBy,omitempty"`
}

// VerifyResult is the public answer about a letter: never personal data.
type VerifyResult struct {
	Anchored     bool        `json:"anchored"`
	LetterDigest string      `json:"letterDigest"`
	CommitmentID string      `json:"commitmentId"`
	Record       *Commitment `json:"record,omitempty"`
}

// CommitmentView is the anchoring department's full view of a commitment:
// its stored letter and the current ledger record.
type CommitmentView struct {
	Letter *StoredLetter `json:"letter"`
	Record *Commitment   `json:"record"`
}

// AnswerRequest is the target department's answer (or written refusal).
type AnswerRequest struct {
	Result        string `json:"result"`
	Evidence      string `json:"evidence"` // kept by the department; only its salted SM3 goes on the ledger
	DeclineReason string `json:"declineReason"`
}

// OutcomeRequest is the anchoring department's conclusion about one of its commitments.
type OutcomeRequest struct {
	Result    string    `json:"result"`
	Reason    string    `json:"reason"`
	RequestID string    `json:"requestId"`
	Disposal  *Disposal `json:"disposal"`
	Level     string    `json:"level"`
}

// RequestFilter selects verification requests: Side is "to" (addressed to
// this department) or "from" (sent by it); State is pending, overdue or all.
type RequestFilter struct {
	Side  string
	State string
}

// RequestList is one page of verification requests with the ledger time
// that judged "overdue".
type RequestList struct {
	List[*VerificationRequest]
	LedgerTime time.Time `json:"ledgerTime"`
}

// DisclosureList is one page of the public disclosure list, judged by ledger time.
type DisclosureList struct {
	List[*DisclosedLetter]
	LedgerTime time.Time `json:"ledgerTime"`
	Org        string    `json:"org"`
}

// SampleResult is one selected commitment's current verification state:
// the published results of a draw (一公开).
type SampleResult struct {
	CommitmentID string `json:"commitmentId"`
	Status       string `json:"status"`
	Verification string `json:"verification,omitempty"`
}

// SampleView is a draw with the current state of one page of its selection.
type SampleView struct {
	Sample   *Sample        `json:"sample"`
	Results  []SampleResult `json:"results"`
	Bookmark string         `json:"bookmark,omitempty"`
	More     bool           `json:"more"`
}

// ObjectionDecision is the credit platform's decision on an objection.
type ObjectionDecision struct {
	Uphold bool   `json:"uphold"`
	Reason string `json:"reason"`
}

// ProposalDecision is the catalog authority's decision on a proposal.
type ProposalDecision struct {
	Approve bool   `json:"approve"`
	Reason  string `json:"reason"`
}

// SampleRequest asks for a random draw (双随机) of this department's
// commitments of an item anchored in [From, To).
type SampleRequest struct {
	ItemCode     string    `json:"itemCode"`
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	BasePermille int       `json:"basePermille"`
}
