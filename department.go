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
	Canonical   string        `json:"canonical,omitempty"` // the letter: signed electronically, or the draft a paper letter was printed from
	Scan        string        `json:"scan,omitempty"`      // base64 of a paper letter's scan
	ScanDigest  string        `json:"scanDigest,omitempty"`
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
	Kind   string    `json:"kind"`           // what it explains, e.g. "objection-decision"
	Ref    string    `json:"ref"`            // the record it belongs to
	From   string    `json:"from,omitempty"` // the department that wrote it, when another did
	At     time.Time `json:"at,omitzero"`
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
	// Reminded is the last urgency announced by the reminder webhook
	// (UrgencyDueSoon, then UrgencyOverdue): each is announced once.
	Reminded string `json:"reminded,omitempty"`
}

// Urgencies of an open verification request, judged by ledger time on the
// calendar of working days.
const (
	UrgencyDueSoon = "DUE_SOON" // due by the end of the next working day
	UrgencyOverdue = "OVERDUE"
)

// Remind records that urgency u was announced; false if it (or a later
// one) already was.
func (e *InboxEntry) Remind(u string) bool {
	if e.Reminded == u || e.Reminded == UrgencyOverdue {
		return false
	}
	e.Reminded = u
	return true
}

// Reminder is what the reminder webhook announces: a request addressed to
// the department is due soon, or overdue. No personal data.
type Reminder struct {
	RequestID    string    `json:"requestId"`
	CommitmentID string    `json:"commitmentId"`
	From         string    `json:"from"`
	ItemCode     string    `json:"itemCode"`
	DueAt        time.Time `json:"dueAt"`
	DueDay       string    `json:"dueDay"` // the last day, YYYY-MM-DD (China)
	Urgency      string    `json:"urgency"`
}

// LetterNotHeld is a Store's error for a letter id it does not hold (every
// Store returns these not-found errors, worded once here).
func LetterNotHeld(id string) error {
	return Errorf(ENOTFOUND, "letter %s is not held by this department", id)
}

// TextNotKept is a Store's error for a text digest it does not keep.
func TextNotKept(digest string) error {
	return Errorf(ENOTFOUND, "no text with digest %s is kept here", digest)
}

// NotInInbox is a Store's error for a request its inbox does not hold.
func NotInInbox(requestID string) error {
	return Errorf(ENOTFOUND, "request %s is not in the inbox", requestID)
}

// Handle marks the entry handled with a note; false if it already was (a
// store applies it under its write lock, so that of two gateway replicas
// handling the same request exactly one does).
func (e *InboxEntry) Handle(note string) bool {
	if e.Handled {
		return false
	}
	e.Handled, e.Note = true, note
	e.Handlings++
	return true
}

// KeepRecord is the rule every store applies when a copy of a stored
// letter's ledger record arrives: history only grows — an event replayed
// late, or a recovery that raced a transition, brings an older state, and
// the stored record stays (newer is false) — and a copy without a block
// number (a transition's result) keeps the stored one's.
func KeepRecord(stored, incoming *Commitment) (keep *Commitment, newer bool) {
	if stored == nil {
		return incoming, true
	}
	if len(incoming.History) < len(stored.History) {
		return stored, false
	}
	if incoming.BlockNumber == 0 {
		cp := *incoming
		cp.BlockNumber = stored.BlockNumber
		return &cp, true
	}
	return incoming, true
}

// Kinds of outgoing deliveries.
const (
	DeliverDetails = "details" // a request's details, to its target
	DeliverText    = "text"    // a text, to the department entitled to it
	DeliverPurge   = "purge"   // purging an answered request's details, when due
)

// Outgoing is private data waiting to be delivered to another department
// (or a purge waiting for its time). Key is unique per delivery.
type Outgoing struct {
	Key       string               `json:"key"`
	Kind      string               `json:"kind"`
	To        string               `json:"to"`
	Request   *VerificationRequest `json:"request,omitempty"` // details and purges
	Share     *TextShare           `json:"share,omitempty"`   // texts
	Details   []byte               `json:"details,omitempty"` // personal data: dropped once delivered
	Due       time.Time            `json:"due,omitzero"`
	Delivered bool                 `json:"delivered"`
}

// Text kinds: what a shared text explains, and so who may read it.
const (
	TextDecline           = "decline"            // a decline reason: to the requester
	TextEvidence          = "evidence"           // an answer's evidence: to the requester
	TextProposal          = "proposal"           // a proposal's reason: to the catalog authority
	TextProposalDecision  = "proposal-decision"  // the decision's reason: to the proposer
	TextObjection         = "objection"          // an objection's reason: to the credit platform
	TextObjectionDecision = "objection-decision" // the decision's reason: to the department that filed it
)

// TextShare names a text to deliver: its kind, the record it belongs to and
// its digest on that record.
type TextShare struct {
	Kind   string `json:"kind"`
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
}

// SharedText is a text as the entitled department reads it from its private
// collection: the text and the salt that make the digest on the record.
type SharedText struct {
	Kind   string `json:"kind"`
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
	Text   string `json:"text"`
	Salt   string `json:"salt"`
	From   string `json:"from"`
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

// LetterFilter selects stored letters: Query matches a commitment id, a
// digest, a letter number or an applicant's ID number (any of them, whole);
// Status is a record status (ACTIVE, WITHDRAWN, …), PENDING for letters not
// anchored yet, or "" for all.
type LetterFilter struct {
	Query  string
	Status string
	// From and To bound the day a letter was stored (zero: unbounded); To
	// is exclusive.
	From, To time.Time
}

// LetterScan bounds how many stored letters one page of Letters reads.
const LetterScan = 2000

// LetterSummary is a line of the department's list of its letters.
// Personal data: it is the department's own view.
type LetterSummary struct {
	ID          string    `json:"id"`
	Digest      string    `json:"digest"`
	Number      string    `json:"number,omitempty"`
	ItemCode    string    `json:"itemCode"`
	ItemVersion int       `json:"itemVersion"`
	Applicant   string    `json:"applicant"`
	IDNumber    string    `json:"idNumber"`
	Status      string    `json:"status"` // the record's, or PENDING
	SignedBy    string    `json:"signedBy"`
	StoredAt    time.Time `json:"storedAt"`
}

// DraftRequest is what a clerk supplies to render a letter.
type DraftRequest struct {
	ItemCode     string    `json:"itemCode"`
	ItemVersion  int       `json:"itemVersion"`
	Applicant    Applicant `json:"applicant"`
	ContactName  string    `json:"contactName"`
	ContactPhone string    `json:"contactPhone"`
}

// Draft is an unsigned letter: the canonical bytes are what the applicant
// signs, electronically or on the paper printed from it. The department
// keeps every draft, so it can be printed again and a paper scan can name
// it. ID is the id its commitment will have (CommitmentID of Digest): the
// printed QR code names it.
type Draft struct {
	ID        string    `json:"id"`
	Letter    *Letter   `json:"letter"`
	Canonical string    `json:"canonical"`
	Digest    string    `json:"digest"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
}

// DraftNotKept is a Store's error for a draft id it does not keep.
func DraftNotKept(id string) error {
	return Errorf(ENOTFOUND, "no draft %s is kept by this department", id)
}

// SubmitRequest is a signed letter.
type SubmitRequest struct {
	Letter      string `json:"letter"`      // the canonical letter, exactly as signed
	Signature   string `json:"signature"`   // DER SM2 signature, base64 or hex
	PublicKey   string `json:"publicKey"`   // SM2 public key (PEM or uncompressed hex), or
	Certificate string `json:"certificate"` // an SM2 X.509 certificate (PEM)
}

// PaperRequest submits a letter the applicant signed on paper, as a scan:
// the letter printed from Draft (its id, or its digest), signed by hand.
// The scan must show the draft's QR code. ItemCode, ItemVersion and
// Applicant are the draft's; given, they must match it.
type PaperRequest struct {
	Draft       string    `json:"draft"`
	ItemCode    string    `json:"itemCode,omitempty"`
	ItemVersion int       `json:"itemVersion,omitempty"`
	Applicant   Applicant `json:"applicant,omitzero"`
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
	// Height is the number of blocks of the ledger this answer reflects:
	// the record is as of block Height-1. 0 when it is not known.
	Height uint64 `json:"height,omitempty"`
	// Verdict is what the record means to a reader; Names names the
	// departments the record mentions (MSP id -> name).
	Verdict *Verdict          `json:"verdict,omitempty"`
	Names   map[string]string `json:"names,omitempty"`
}

// ReceiptView is a receipt (回执 / 存证凭证) as the documents print it. The
// anchoring department's own receipt names the letter's number and the
// applicant (masked, as on the disclosure list); the public receipt, which
// any department's gateway gives from the ledger alone, has neither.
type ReceiptView struct {
	CommitmentID string    `json:"commitmentId"`
	LetterDigest string    `json:"letterDigest"`
	ScanDigest   string    `json:"scanDigest,omitempty"`
	Number       string    `json:"number,omitempty"`
	Applicant    string    `json:"applicant,omitempty"` // masked: 张*（1101**********0011）
	Org          string    `json:"org"`
	OrgName      string    `json:"orgName"`
	ItemCode     string    `json:"itemCode"`
	ItemVersion  int       `json:"itemVersion"`
	ItemName     string    `json:"itemName"`
	SignedBy     string    `json:"signedBy"`
	AnchoredAt   time.Time `json:"anchoredAt,omitzero"`
	BlockNumber  uint64    `json:"blockNumber,omitempty"`
	TxID         string    `json:"txId,omitempty"`
	GenesisHash  string    `json:"genesisHash"`
	Verdict      Verdict   `json:"verdict"`
}

// PrintableLetter is a letter as it is printed: the letter exactly as it
// is (or was) signed, its digest and id (its QR code names the id), the
// names of the departments it mentions and, for a stored letter, how it
// was signed and when it was anchored.
type PrintableLetter struct {
	Letter       *Letter
	ID, Digest   string
	OrgName      string // the issuing department
	VerifierName string // the verifying department of the notice, if any
	Draft        bool   // a draft, not signed yet
	SignedBy     string
	AnchoredAt   time.Time
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
	Result    string           `json:"result"`
	Reason    string           `json:"reason"`
	RequestID string           `json:"requestId"`
	Disposal  *DisposalRequest `json:"disposal"`
	Level     string           `json:"level"`
}

// DisposalRequest is a disposal as a clerk gives it, with the penalty's text.
type DisposalRequest struct {
	Measures          []string `json:"measures"`
	RectificationDays int      `json:"rectificationDays"` // working days, with RECTIFY
	Penalty           string   `json:"penalty"`
}

// ProposalRequest is a department's catalog change proposal as a clerk gives it.
type ProposalRequest struct {
	Kind   string `json:"kind"` // ADD, CHANGE, RETIRE
	Code   string `json:"code"`
	Item   *Item  `json:"item"`
	Reason string `json:"reason"`
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
	// Urgent flags the open requests due by the end of the next working
	// day (UrgencyDueSoon) or overdue (UrgencyOverdue), by id.
	Urgent map[string]string `json:"urgent,omitempty"`
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

// AuditFinding is one mismatch between a stored letter and the ledger.
type AuditFinding struct {
	CommitmentID string `json:"commitmentId"`
	Problem      string `json:"problem"`
}

// AuditReport is one page of an audit of the department's store against
// the ledger: every stored letter's digest and applicant key recomputed and
// compared with the ledger's record.
type AuditReport struct {
	Checked  int            `json:"checked"`
	Pending  int            `json:"pending"` // stored, not anchored yet: nothing to compare
	Findings []AuditFinding `json:"findings"`
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
// commitments of an item anchored in [From, To), and of inspectors from its
// pool of inspector codes.
type SampleRequest struct {
	ItemCode     string    `json:"itemCode"`
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	BasePermille int       `json:"basePermille"`
	Inspectors   []string  `json:"inspectors"`
}
