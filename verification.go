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
	ID           string    `json:"id"`
	CommitmentID string    `json:"commitmentId"`
	ItemCode     string    `json:"itemCode"`
	ItemVersion  int       `json:"itemVersion"`
	From         string    `json:"from"`
	To           string    `json:"to"`
	Method       string    `json:"method"`
	RequestedAt  time.Time `json:"requestedAt"`
	// DueAt is the end of the item's time limit in working days (24:00
	// China time of its last day); DueCalendar the calendar versions it
	// was computed with (Calendars.Versions).
	DueAt         time.Time `json:"dueAt"`
	DueCalendar   string    `json:"dueCalendar,omitempty"`
	TxID          string    `json:"txId"`
	DetailsDigest string    `json:"detailsDigest"`
	Status        string    `json:"status"`
	Answer        *Answer   `json:"answer,omitempty"`
}

// Answer is the target department's reply. A refusal (DECLINED) carries a
// mandatory written reason; the ledger holds only its salted digest, the
// text goes to the requesting department (see Text).
type Answer struct {
	Result         string    `json:"result,omitempty"`
	EvidenceDigest string    `json:"evidenceDigest,omitempty"`
	DeclineDigest  string    `json:"declineDigest,omitempty"`
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

// Disposal records what was done about a false commitment. The penalty's
// description is free text: the ledger holds its salted digest only.
type Disposal struct {
	Measures []string `json:"measures"`
	// With RECTIFY: the time limit in working days, and the last day the
	// chaincode computed from it (YYYY-MM-DD) with the calendar versions.
	RectificationDays     int    `json:"rectificationDays,omitempty"`
	RectificationDeadline string `json:"rectificationDeadline,omitempty"`
	DeadlineCalendar      string `json:"deadlineCalendar,omitempty"`
	PenaltyDigest         string `json:"penaltyDigest,omitempty"` // with PENALTY
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
	ID           string    `json:"id"`
	CreditID     string    `json:"creditId"`
	From         string    `json:"from"`
	ReasonDigest string    `json:"reasonDigest"`
	Status       string    `json:"status"`
	FiledAt      time.Time `json:"filedAt"`
	TxID         string    `json:"txId"`
	// DueAt is when the credit platform should have decided it
	// (ObjectionDays working days), with the calendar versions used.
	DueAt          time.Time `json:"dueAt,omitzero"`
	DueCalendar    string    `json:"dueCalendar,omitempty"`
	DecisionDigest string    `json:"decisionDigest,omitempty"` // salted SM3 of the decision's reason, kept by the credit platform
	DecidedAt      time.Time `json:"decidedAt,omitzero"`
	DecisionTx     string    `json:"decisionTx,omitempty"`
}

// Standing is what the ledger says of an applicant's credit: every credit
// record and, from them, whether the commitment route is open.
type Standing struct {
	ApplicantKey string          `json:"applicantKey"`
	Eligible     bool            `json:"eligible"`
	Reason       string          `json:"reason,omitempty"`
	Records      []*CreditRecord `json:"records"`
}

// ApplicantView is the credit platform's view of one applicant: the
// standing, and one page of their commitments from the department's read
// model as of block Height (the ledger keeps no per-applicant index).
type ApplicantView struct {
	Standing
	Commitments []*Commitment `json:"commitments"` // one page, oldest anchoring first
	Bookmark    string        `json:"bookmark,omitempty"`
	More        bool          `json:"more"`
	Height      uint64        `json:"height"`
}

// Sample statuses. A draw is a commit-reveal between two departments, so
// that neither can choose its outcome: the drawing department records the
// draw (candidates, rates, inspector pool fixed) with the SM3 of a secret it
// keeps (DRAWN); another department then adds its random contribution
// (CONTRIBUTED), not knowing the secret; the drawing department reveals the
// secret, which must match its commitment, and the selection follows from
// both (PUBLISHED).
const (
	SampleDrawn       = "DRAWN"
	SampleContributed = "CONTRIBUTED"
	SamplePublished   = "PUBLISHED"
)

// Sample is a random draw (双随机) of commitments for routine verification,
// and of the inspectors who check them. Everything that decides the
// selection is on the ledger: anyone can recompute Seed from Secret,
// Contribution and ID, and Selected and Assignments from Seed.
type Sample struct {
	ID            string             `json:"id"`
	Org           string             `json:"org"`
	ItemCode      string             `json:"itemCode"`
	From          time.Time          `json:"from"`
	To            time.Time          `json:"to"`
	BasePermille  int                `json:"basePermille"`
	Inspectors    []string           `json:"inspectors"` // the pool: the department's inspector codes
	Candidates    []SampleCandidate  `json:"candidates"`
	Status        string             `json:"status"`
	DrawnAt       time.Time          `json:"drawnAt"`
	TxID          string             `json:"txId"`
	Commitment    string             `json:"commitment"`             // SM3 of the drawing department's secret
	Contribution  string             `json:"contribution,omitempty"` // another department's random contribution (hex)
	ContributedBy string             `json:"contributedBy,omitempty"`
	ContributedTx string             `json:"contributedTx,omitempty"`
	Secret        string             `json:"secret,omitempty"` // the drawing department's secret, revealed
	Seed          string             `json:"seed,omitempty"`
	Selected      []string           `json:"selected"`
	Assignments   []SampleAssignment `json:"assignments"`
	PublishedAt   time.Time          `json:"publishedAt,omitzero"`
	PublishedTx   string             `json:"publishedTx,omitempty"`
}

// SampleAssignment names the inspectors drawn for one selected commitment.
type SampleAssignment struct {
	CommitmentID string   `json:"commitmentId"`
	Inspectors   []string `json:"inspectors"`
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
	ReasonDigest   string    `json:"reasonDigest"` // salted SM3 of the proposer's reason
	From           string    `json:"from"`
	Status         string    `json:"status"` // PENDING, APPROVED, REJECTED
	ProposedAt     time.Time `json:"proposedAt"`
	TxID           string    `json:"txId"`
	DecisionDigest string    `json:"decisionDigest,omitempty"` // salted SM3 of the decision's reason
	Version        int       `json:"version,omitempty"`        // the version published on approval
	DecisionTx     string    `json:"decisionTx,omitempty"`
}
