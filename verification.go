package chengnuo

import "time"

// CreditAuthority is the MSP id of the credit platform (信用平台), the only
// organization that may repair credit records and decide objections.
const CreditAuthority = "CreditMSP"

// Verification states of a commitment (orthogonal to its lifecycle status).
const (
	VerifyNone         = ""                   // not checked yet
	VerifyUnder        = "UNDER_VERIFICATION" // an assisted verification request is open
	VerifyVerified     = "VERIFIED"           // consistent with the facts
	VerifyFalse        = "FALSE"              // a false commitment (虚假承诺)
	VerifyUnverifiable = "UNVERIFIABLE"       // could not be checked (reason recorded)
	VerifyExempt       = "EXEMPT"             // the item is exempt from verification (免于核查)
)

// Request statuses and answers of assisted verification (协助核查).
const (
	RequestPending  = "PENDING"
	RequestAnswered = "ANSWERED"
	RequestDeclined = "DECLINED"

	AnswerConsistent   = "CONSISTENT"
	AnswerInconsistent = "INCONSISTENT"
	AnswerUnable       = "UNABLE"
)

// Dishonesty levels (失信等级).
const (
	LevelMinor    = "MINOR"    // 轻微
	LevelOrdinary = "ORDINARY" // 一般
	LevelSerious  = "SERIOUS"  // 严重
)

// Disposal measures for a false commitment.
const (
	MeasureTerminated = "TERMINATED" // processing terminated
	MeasureRectify    = "RECTIFY"    // rectification ordered by a deadline
	MeasureRevoked    = "REVOKED"    // the decision revoked
	MeasurePenalty    = "PENALTY"    // a penalty imposed
	MeasureReferred   = "REFERRED"   // referred to judicial organs
)

// Credit record and objection statuses.
const (
	CreditActive   = "ACTIVE"
	CreditRepaired = "REPAIRED"
	CreditAnnulled = "ANNULLED"

	ObjectionPending  = "PENDING"
	ObjectionUpheld   = "UPHELD"
	ObjectionRejected = "REJECTED"
)

// VerificationRequest is the public record of an assisted verification
// request. The details the verifier needs (who, what to check) are personal
// data: only their SM3 digest is here; the details themselves live in the
// target organization's implicit private data collection.
type VerificationRequest struct {
	ID            string    `json:"id"`
	CommitmentID  string    `json:"commitmentId"`
	ItemCode      string    `json:"itemCode"`
	ItemVersion   int       `json:"itemVersion"`
	From          string    `json:"from"`
	To            string    `json:"to"`
	Method        string    `json:"method"`
	RequestedAt   time.Time `json:"requestedAt"`
	DueAt         time.Time `json:"dueAt"`
	TxID          string    `json:"txId"`
	DetailsDigest string    `json:"detailsDigest"`
	Status        string    `json:"status"`
	Answer        *Answer   `json:"answer,omitempty"`
}

// Answer is the target department's reply. A refusal (DECLINED) carries a
// mandatory written reason.
type Answer struct {
	Result         string    `json:"result,omitempty"`
	EvidenceDigest string    `json:"evidenceDigest,omitempty"`
	DeclineReason  string    `json:"declineReason,omitempty"`
	At             time.Time `json:"at"`
	TxID           string    `json:"txId"`
	Overdue        bool      `json:"overdue"`
	Automatic      bool      `json:"automatic,omitempty"` // answered by the department's registry (online verification)
}

// RequestDetails is what the verifying department needs. Personal data.
type RequestDetails struct {
	CommitmentID string `json:"commitmentId"`
	Name         string `json:"name"`
	IDType       string `json:"idType"`
	IDNumber     string `json:"idNumber"`
	Claim        string `json:"claim"`
	Salt         string `json:"salt"`
}

// Outcome is the anchoring department's conclusion about a commitment.
type Outcome struct {
	Result       string    `json:"result"` // VERIFIED, FALSE, UNVERIFIABLE, EXEMPT
	ReasonDigest string    `json:"reasonDigest,omitempty"`
	RequestID    string    `json:"requestId,omitempty"`
	Disposal     *Disposal `json:"disposal,omitempty"`
	Level        string    `json:"level,omitempty"` // for FALSE
	CreditID     string    `json:"creditId,omitempty"`
	At           time.Time `json:"at"`
	TxID         string    `json:"txId"`
}

// Disposal records what was done about a false commitment.
type Disposal struct {
	Measures              []string `json:"measures"`
	RectificationDeadline string   `json:"rectificationDeadline,omitempty"` // YYYY-MM-DD, with RECTIFY
	Penalty               string   `json:"penalty,omitempty"`               // with PENALTY
}

// CreditRecord is a dishonesty record created by a false commitment.
type CreditRecord struct {
	ID           string       `json:"id"`
	ApplicantKey string       `json:"applicantKey"`
	CommitmentID string       `json:"commitmentId"`
	Org          string       `json:"org"`
	Level        string       `json:"level"`
	Status       string       `json:"status"`
	CreatedAt    time.Time    `json:"createdAt"`
	TxID         string       `json:"txId"`
	History      []Transition `json:"history"`
}

// Objection (异议) to a credit record, filed through a department and decided
// by the credit platform.
type Objection struct {
	ID             string    `json:"id"`
	CreditID       string    `json:"creditId"`
	From           string    `json:"from"`
	ReasonDigest   string    `json:"reasonDigest"`
	Status         string    `json:"status"`
	FiledAt        time.Time `json:"filedAt"`
	TxID           string    `json:"txId"`
	DecisionDigest string    `json:"decisionDigest,omitempty"` // salted SM3 of the decision's reason, kept by the credit platform
	DecidedAt      time.Time `json:"decidedAt,omitzero"`
	DecisionTx     string    `json:"decisionTx,omitempty"`
}

// ApplicantView is the credit platform's view of one applicant.
type ApplicantView struct {
	ApplicantKey string          `json:"applicantKey"`
	Eligible     bool            `json:"eligible"`
	Reason       string          `json:"reason,omitempty"`
	Records      []*CreditRecord `json:"records"`
	Commitments  []*Commitment   `json:"commitments"` // one page
	Bookmark     string          `json:"bookmark,omitempty"`
	More         bool            `json:"more"`
}

// Sample is a recorded random draw (双随机) of commitments for routine
// verification. Seed, candidates and rates are on the ledger, so anyone
// with ledger access can recompute Selected.
type Sample struct {
	ID           string            `json:"id"`
	Org          string            `json:"org"`
	ItemCode     string            `json:"itemCode"`
	From         time.Time         `json:"from"`
	To           time.Time         `json:"to"`
	BasePermille int               `json:"basePermille"`
	Seed         string            `json:"seed"`
	Candidates   []SampleCandidate `json:"candidates"`
	Selected     []string          `json:"selected"`
	DrawnAt      time.Time         `json:"drawnAt"`
	TxID         string            `json:"txId"`
}

// SampleCandidate is one commitment in a draw with its selection rate, which
// depends on the applicant's credit status.
type SampleCandidate struct {
	CommitmentID string `json:"commitmentId"`
	Permille     int    `json:"permille"`
}

// Proposal is a department's request to add, change or retire a catalog item.
type Proposal struct {
	ID             string    `json:"id"`
	Kind           string    `json:"kind"` // ADD, CHANGE, RETIRE
	Code           string    `json:"code"`
	Item           *Item     `json:"item,omitempty"`
	Reason         string    `json:"reason"`
	From           string    `json:"from"`
	Status         string    `json:"status"` // PENDING, APPROVED, REJECTED
	ProposedAt     time.Time `json:"proposedAt"`
	TxID           string    `json:"txId"`
	DecisionReason string    `json:"decisionReason,omitempty"`
	Version        int       `json:"version,omitempty"` // the version published on approval
	DecisionTx     string    `json:"decisionTx,omitempty"`
}
