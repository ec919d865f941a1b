package chengnuo

import (
	"context"
	"io"
	"time"
)

// Ledger is everything a department asks of the shared ledger. The Fabric
// adapter (package fabric) implements it; every method runs under ctx and
// returns *Error values. Common to all methods: EUNAVAILABLE when the ledger
// did not answer in time or the commit status is unknown (TxID is set then:
// the transaction may still commit), EABORTED when a concurrent transaction
// changed the same records (retrying may succeed), EPOLICY when the
// endorsement policy refused the transaction, and EFORBIDDEN when the
// chaincode refuses the caller's organization.
type Ledger interface {
	// Ping checks that the peer answers and the chaincode runs a query.
	Ping(ctx context.Context) error
	// Height is the number of blocks the organization's own peer has committed.
	Height(ctx context.Context) (uint64, error)
	// BlockOfTx returns the serialized block that holds transaction txID,
	// as the peer committed it (with its validation flags).
	BlockOfTx(ctx context.Context, txID string) ([]byte, error)
	// LedgerTime is the timestamp of the newest valid transaction the peer
	// has committed: the clock that judges periods and due dates.
	LedgerTime(ctx context.Context) (time.Time, error)

	// Anchor records a bare digest under the caller's organization. ECONFLICT
	// with the existing *Anchor as Detail if it is anchored already; EINVALID
	// for a malformed digest.
	Anchor(ctx context.Context, digest string) (*Anchor, error)
	// FindAnchor returns the record of a bare digest, or ENOTFOUND.
	FindAnchor(ctx context.Context, digest string) (*Anchor, error)

	// PublishItem publishes an item or a new version of it. EFORBIDDEN unless
	// the caller is the catalog authority; EINVALID for a malformed item.
	PublishItem(ctx context.Context, it *Item) (*Item, error)
	// RetireItem retires an item. ENOTFOUND, ECONFLICT if already retired.
	RetireItem(ctx context.Context, code string) (*Item, error)
	// GetItem returns one version of an item (0: the latest), or ENOTFOUND.
	GetItem(ctx context.Context, code string, version int) (*Item, error)
	// ListItems returns one page of the latest version of every item, in code order.
	ListItems(ctx context.Context, p Page) (*List[*Item], error)

	// AnchorCommitments anchors 1..contract.MaxBatch letters in one
	// transaction and reports per letter (a refused letter has a Code and
	// writes nothing; ECONFLICT with the existing Record if anchored already).
	AnchorCommitments(ctx context.Context, reqs []AnchorRequest) ([]AnchorResult, error)
	// GetCommitment returns a commitment's public record, or ENOTFOUND.
	GetCommitment(ctx context.Context, id string) (*Commitment, error)
	// Withdraw records the applicant's withdrawal. EFORBIDDEN for another
	// organization's commitment; ECONFLICT unless it is ACTIVE.
	Withdraw(ctx context.Context, id, reasonDigest string) (*Commitment, error)
	// Conclude records the matter as concluded; errors as Withdraw.
	Conclude(ctx context.Context, id string) (*Commitment, error)

	// RequestVerification opens an assisted verification request to the
	// item's verifying department. ECONFLICT if one is open or an outcome
	// exists; EINVALID for an exempt item.
	RequestVerification(ctx context.Context, commitmentID, detailsDigest string) (*VerificationRequest, error)
	// DeliverDetails writes a request's details into the target
	// organization's private collection, endorsed by that organization alone.
	// EINVALID if they do not match the request's digest.
	DeliverDetails(ctx context.Context, req *VerificationRequest, details []byte) error
	// GetRequestDetails returns a request's details to its target; ENOTFOUND
	// if not delivered yet or purged.
	GetRequestDetails(ctx context.Context, requestID string) (*RequestDetails, error)
	// PurgeDetails purges an answered request's details from the target's
	// private collection (only their hash remains). ECONFLICT while pending.
	PurgeDetails(ctx context.Context, req *VerificationRequest) error
	// AnswerVerification records the target's answer or written refusal
	// (digests only). ECONFLICT if already answered.
	AnswerVerification(ctx context.Context, requestID string, a Answer) (*VerificationRequest, error)
	// GetVerification returns a request's public record, or ENOTFOUND.
	GetVerification(ctx context.Context, requestID string) (*VerificationRequest, error)
	// ListRequests returns one page of the requests addressed to (side "to")
	// or sent by ("from") the caller, oldest first.
	ListRequests(ctx context.Context, side string, p Page) (*List[*VerificationRequest], error)

	// RecordOutcome records a commitment's outcome; FALSE also creates a
	// credit record. ECONFLICT if an outcome exists.
	RecordOutcome(ctx context.Context, commitmentID string, o Outcome) (*Commitment, error)

	// GetStanding is an applicant's credit records and eligibility, for the
	// credit platform. EFORBIDDEN for any other organization.
	GetStanding(ctx context.Context, applicantKey string) (*Standing, error)
	// GetCredit returns a credit record (credit platform only), or ENOTFOUND.
	GetCredit(ctx context.Context, id string) (*CreditRecord, error)
	// RepairCredit records credit repair (credit platform only). ECONFLICT
	// unless the record is ACTIVE.
	RepairCredit(ctx context.Context, id, reasonDigest string) (*CreditRecord, error)
	// FileObjection files an objection to an ACTIVE credit record.
	FileObjection(ctx context.Context, creditID, reasonDigest string) (*Objection, error)
	// DecideObjection upholds (annulling the record) or rejects an objection
	// (credit platform only). ECONFLICT if already decided.
	DecideObjection(ctx context.Context, objectionID string, uphold bool, reasonDigest string) (*Objection, error)

	// DrawSample records a draw of the caller's commitments of an item
	// anchored in [from, to), with the SM3 of the caller's secret (status
	// DRAWN). EINVALID for a bad period, rate or pool, or a period holding
	// more candidates than one draw may read; ECONFLICT if it overlaps an
	// earlier draw of the item.
	DrawSample(ctx context.Context, req SampleRequest, commitment string) (*Sample, error)
	// ContributeSample adds the caller's random contribution to another
	// department's draw. ECONFLICT once a contribution exists; EFORBIDDEN
	// for the drawing department itself.
	ContributeSample(ctx context.Context, id, contribution string) (*Sample, error)
	// PublishSample reveals the drawing department's secret and records the
	// selection. EINVALID if the secret does not match the commitment;
	// ECONFLICT before a contribution or once published.
	PublishSample(ctx context.Context, id, secret string) (*Sample, error)
	// GetSample returns a draw, or ENOTFOUND.
	GetSample(ctx context.Context, id string) (*Sample, error)

	// ProposeItemChange records a department's catalog change proposal
	// (Kind, Code, Item and ReasonDigest of p).
	ProposeItemChange(ctx context.Context, p Proposal) (*Proposal, error)
	// DecideProposal approves or rejects a proposal (catalog authority only).
	DecideProposal(ctx context.Context, id string, approve bool, reasonDigest string) (*Proposal, error)

	// ShareText delivers a text to the department entitled to it (by the
	// text's kind and record), into that department's private collection,
	// endorsed by it alone. EINVALID if the text does not make the digest
	// the record holds; EFORBIDDEN unless the caller wrote the record.
	ShareText(ctx context.Context, to string, t SharedText) error
	// GetText reads a text shared with the caller's organization, or ENOTFOUND.
	GetText(ctx context.Context, digest string) (*SharedText, error)
	// GetProposal returns a proposal, or ENOTFOUND.
	GetProposal(ctx context.Context, id string) (*Proposal, error)
	// ListProposals and ListObjections page through every proposal and
	// every objection, in id order.
	ListProposals(ctx context.Context, p Page) (*List[*Proposal], error)
	ListObjections(ctx context.Context, p Page) (*List[*Objection], error)

	// PutDepartment sets the caller's own entry of the department
	// directory (its name and letter-number prefix). EINVALID for a
	// malformed name or prefix; ECONFLICT if another department holds it.
	PutDepartment(ctx context.Context, name, numberPrefix string) (*Department, error)
	// Departments lists the directory, in MSP id order.
	Departments(ctx context.Context) ([]*Department, error)

	// PutCalendar publishes a year's calendar of working days as a new
	// version (catalog authority only); GetCalendar reads one (version 0:
	// the current one), ENOTFOUND if none is published.
	PutCalendar(ctx context.Context, c *Calendar) (*Calendar, error)
	GetCalendar(ctx context.Context, year, version int) (*Calendar, error)
	// ReportCatalogChange records a catalog change's report to the higher
	// level (catalog authority only); ListCatalogChanges pages through the
	// changes.
	ReportCatalogChange(ctx context.Context, id string) (*CatalogChange, error)
	ListCatalogChanges(ctx context.Context, p Page) (*List[*CatalogChange], error)
}

// EventHandler reacts to chaincode events. Every method must be idempotent:
// an event may be delivered again after a restart.
type EventHandler interface {
	// VerificationRequested: a new assisted verification request.
	VerificationRequested(ctx context.Context, r *VerificationRequest) error
	// VerificationAnswered: a request was answered or declined.
	VerificationAnswered(ctx context.Context, r *VerificationRequest) error
	// CommitmentChanged: a commitment was withdrawn, concluded or given an outcome.
	CommitmentChanged(ctx context.Context, c *Commitment) error
	// SampleChanged: a draw was recorded, contributed to or published.
	SampleChanged(ctx context.Context, s *Sample) error
	// ItemChanged: a catalog item was published (a new version) or retired.
	ItemChanged(ctx context.Context, it *Item) error
}

// LedgerBlock is what a department's read model takes from one committed
// block: the public records the block's valid transactions of the notary
// chaincode wrote, in order. A commitment created in this block carries the
// block's number; a commitment changed here keeps its anchoring block's
// number, which the read model already holds.
type LedgerBlock struct {
	Number      uint64
	Commitments []*Commitment
	Anchors     []*Anchor
	// Config is the whole serialized block if it is a configuration block
	// (the organisations, CAs and consenters in force from it on), kept
	// for proofs.
	Config []byte
	// Events says that a valid transaction of the block emitted a chaincode
	// event (what the department's event listener must handle).
	Events bool
	// Records are the block's other records kept for supervision
	// (requests, credit records, objections, samples, catalog changes), as
	// written; Time the latest timestamp of its valid transactions.
	Records []*LedgerRecord
	Time    time.Time
}

// Kinds of LedgerRecord.
const (
	RecordRequest       = "request"
	RecordCredit        = "credit"
	RecordObjection     = "objection"
	RecordSample        = "sample"
	RecordCatalogChange = "catalog-change"
)

// LedgerRecord is a record a block wrote: its kind, id and JSON.
type LedgerRecord struct {
	Kind  string
	ID    string
	Value []byte
}

// BlockSource streams the blocks the department's own peer has committed.
type BlockSource interface {
	// FollowBlocks calls h for every block from number from on, in order,
	// as the peer commits it, and returns when ctx ends. A block whose h
	// failed is delivered again.
	FollowBlocks(ctx context.Context, from uint64, h func(context.Context, *LedgerBlock) error) error
}

// Index is a department's read model of the ledger: the public records, as
// of a block height, kept by applying every committed block in order.
// Public verification is served from it without a chaincode call.
type Index interface {
	// Height is the number of blocks applied (the next block to apply).
	Height(ctx context.Context) (uint64, error)
	// Apply applies block b, which must be block Height (an older block is
	// ignored: blocks may be delivered again after a restart), atomically
	// with the new height.
	Apply(ctx context.Context, b *LedgerBlock) error
	// Commitment returns an indexed commitment, ENOTFOUND if none.
	Commitment(ctx context.Context, id string) (*Commitment, error)
	// Anchor returns an indexed bare anchor, ENOTFOUND if none.
	Anchor(ctx context.Context, digest string) (*Anchor, error)
	// ApplicantCommitments returns one page of an applicant's commitments,
	// in the order of their anchoring blocks (then of their ids).
	ApplicantCommitments(ctx context.Context, applicantKey string, p Page) (*List[*Commitment], error)
	// Configs returns the serialized configuration blocks before block n,
	// the genesis block first; EUNAVAILABLE while fewer than n blocks are
	// applied.
	Configs(ctx context.Context, n uint64) ([][]byte, error)
	// LedgerTime is the latest transaction time applied; Commitments and
	// Records walk every commitment, and every record of a kind
	// (LedgerBlock.Records), as last written.
	LedgerTime(ctx context.Context) (time.Time, error)
	Commitments(ctx context.Context, fn func(*Commitment) error) error
	Records(ctx context.Context, kind string, fn func(id string, value []byte) error) error
}

// LedgerEvents delivers the chaincode events a department reacts to.
type LedgerEvents interface {
	// Listen calls h for every event in ledger order, at least once each: an
	// event is checkpointed durably only after h returned nil. It returns
	// when ctx ends.
	Listen(ctx context.Context, h EventHandler) error
}

// AnchorMark is the ledger record of a stored letter that was anchored and,
// when its item is publicly disclosed, its disclosure row (nil otherwise).
type AnchorMark struct {
	ID        string
	Record    *Commitment
	Disclosed *DisclosedLetter
}

// Store is a department's own durable store (personal data that never goes
// to the shared ledger). Every write is durable when the method returns.
// Methods return ENOTFOUND for an unknown id and EUNAVAILABLE when the store
// cannot write (for example a full disk).
type Store interface {
	// PutPending stores each letter unless a letter with its id exists (or
	// comes earlier in ls), all in one durable write: the anchoring of a
	// batch costs the store one commit, not one per letter. existing[i] is
	// the letter already held for ls[i], nil where ls[i] was stored. On an
	// error nothing was stored.
	PutPending(ctx context.Context, ls []*StoredLetter) (existing []*StoredLetter, err error)
	// MarkAnchored records, in one durable write, the ledger records of
	// stored letters and, where a letter is publicly disclosed, its
	// disclosure row; the letters' drafts are dropped (each letter holds
	// its draft's canonical text). On an error nothing was changed.
	MarkAnchored(ctx context.Context, marks []AnchorMark) error
	// UpdateRecord replaces a stored letter's copy of its ledger record after
	// a transition, unless the copy is newer (a longer history); a letter
	// that is no longer ACTIVE or CONCLUDED leaves the disclosure list.
	UpdateRecord(ctx context.Context, id string, rec *Commitment) error
	// Delete removes a letter the ledger refused.
	Delete(ctx context.Context, id string) error
	// Get returns a stored letter.
	Get(ctx context.Context, id string) (*StoredLetter, error)
	// PendingStats counts the letters stored but not yet anchored and gives
	// the time the oldest of them was stored (of at most the first 1,000).
	PendingStats(ctx context.Context) (n int, oldest time.Time, err error)
	// Pending returns up to limit letters not yet known to be anchored.
	Pending(ctx context.Context, limit int) ([]*StoredLetter, error)
	// Letters returns one page of the stored letters, in id order.
	Letters(ctx context.Context, p Page) (*List[*StoredLetter], error)
	// RecentLetters lists every stored letter, the last stored first.
	RecentLetters(ctx context.Context, p Page) (*List[*StoredLetter], error)
	// AddNote appends a reason note to a stored letter.
	AddNote(ctx context.Context, id string, n Note) error
	// NextNumber returns the next letter serial number of a year (1, 2, …).
	NextNumber(ctx context.Context, year int) (int, error)
	// SkipNumbers advances a year's letter serial number by n, so that no
	// number issued after a restored backup was taken is issued again.
	SkipNumbers(ctx context.Context, year, n int) error
	// PutLost keeps the letters the ledger says this department anchored
	// but the store does not hold (a restore from an older backup); a
	// letter kept already is left as it is. Lost returns one page of them,
	// in id order; GetLost one by id (ENOTFOUND if none).
	PutLost(ctx context.Context, ls []*LostLetter) error
	Lost(ctx context.Context, p Page) (*List[*LostLetter], error)
	GetLost(ctx context.Context, id string) (*LostLetter, error)
	// PutDraft keeps a draft until its letter is anchored (a draft kept
	// already is left as it is); GetDraft returns one by id (DraftNotKept
	// if none).
	PutDraft(ctx context.Context, d *Draft) error
	GetDraft(ctx context.Context, id string) (*Draft, error)
	// PutText keeps a text whose salted digest went on the ledger; GetText
	// returns it by digest.
	PutText(ctx context.Context, t *Text) error
	GetText(ctx context.Context, digest string) (*Text, error)
	// Disclosures returns one page of the disclosure rows whose period holds
	// time at, ordered by the end of their period.
	Disclosures(ctx context.Context, at time.Time, p Page) (*List[*DisclosedLetter], error)

	// PutOutgoing keeps a delivery until it is done; a delivery whose key is
	// kept already is left as it is.
	PutOutgoing(ctx context.Context, o *Outgoing) error
	// MarkDelivered marks a delivery done and drops its personal data.
	MarkDelivered(ctx context.Context, key string) error
	// Undelivered lists up to limit deliveries not done yet whose keys
	// sort after after ("": from the first), in key order: a caller pages
	// through all of them with the last key of each page.
	Undelivered(ctx context.Context, after string, limit int) ([]*Outgoing, error)
	// PutInbox stores a received request; false if it was already there.
	PutInbox(ctx context.Context, e *InboxEntry) (bool, error)
	// MarkHandled marks an inbox entry handled; false if it already was.
	MarkHandled(ctx context.Context, requestID, note string) (bool, error)
	// InboxEntry returns one entry.
	InboxEntry(ctx context.Context, requestID string) (*InboxEntry, error)
	// MarkReminded records that an entry's urgency was announced; false if
	// it (or a later one) already was (InboxEntry.Remind).
	MarkReminded(ctx context.Context, requestID, urgency string) (bool, error)
	// SetRegistryAnswer keeps the registry's answer of an entry before it is submitted.
	SetRegistryAnswer(ctx context.Context, requestID string, a AnswerRequest) error
	// Inbox returns one page of the inbox, oldest request first.
	Inbox(ctx context.Context, p Page) (*List[*InboxEntry], error)
}

// RegistryQuery is what a department's registry (e.g. 户籍 records) is asked
// in online verification. Personal data.
type RegistryQuery struct {
	RequestID    string `json:"requestId"`
	CommitmentID string `json:"commitmentId"`
	ItemCode     string `json:"itemCode"`
	Claim        string `json:"claim"`
	Name         string `json:"name"`
	IDType       string `json:"idType"`
	IDNumber     string `json:"idNumber"`
}

// RegistryAnswer is a registry's finding.
type RegistryAnswer struct {
	Result   string `json:"result"` // CONSISTENT, INCONSISTENT or UNABLE
	Evidence string `json:"evidence"`
}

// Registry is a data-holding department's registry, asked to answer
// verification requests automatically (package registry: HTTP webhook).
type Registry interface {
	// Check asks the registry; EUNAVAILABLE if it did not answer usably.
	Check(ctx context.Context, q RegistryQuery) (*RegistryAnswer, error)
}

// Notifier announces reminders: the department's webhook (package
// registry) tells its people or systems that a request is due soon or
// overdue.
type Notifier interface {
	Remind(ctx context.Context, r Reminder) error
}

// Service is everything a department's HTTP gateway serves (package notary
// implements it; the gateway depends on nothing else). Methods return
// *Error values with the codes their Ledger and Store calls document, plus
// EINVALID for malformed input.
type Service interface {
	// Ping checks that the ledger answers.
	Ping(ctx context.Context) error

	// Anchor anchors a bare digest; FindAnchor reads one back (see Ledger).
	Anchor(ctx context.Context, digest string) (*Anchor, error)
	FindAnchor(ctx context.Context, digest string) (*Anchor, error)

	// Catalog (目录).
	ListItems(ctx context.Context, p Page) (*List[*Item], error)
	GetItem(ctx context.Context, code string, version int) (*Item, error)
	PublishItem(ctx context.Context, it *Item) (*Item, error)
	RetireItem(ctx context.Context, code string) (*Item, error)
	ProposeItemChange(ctx context.Context, p ProposalRequest) (*Proposal, error)
	GetProposal(ctx context.Context, id string) (*Proposal, error)
	DecideProposal(ctx context.Context, id string, d ProposalDecision) (*Proposal, error)
	// Proposals lists the catalog change proposals (public records).
	Proposals(ctx context.Context, p Page) (*List[*Proposal], error)

	// Text returns a text whose digest a record holds, to a department that
	// wrote it or is entitled to it; ENOTFOUND otherwise.
	Text(ctx context.Context, digest string) (*Text, error)

	// Audit recomputes, for one page of the department's stored letters,
	// the letter digest and the applicant key, and compares them with the
	// ledger's records, reporting every mismatch.
	Audit(ctx context.Context, p Page) (*AuditReport, error)
	// Letters lists the department's stored letters that match f, the last
	// stored first. A page reads at most LetterScan stored letters, so a
	// narrow filter may give fewer than a page, with More and a bookmark
	// to read on.
	Letters(ctx context.Context, f LetterFilter, p Page) (*List[*LetterSummary], error)

	// Draft renders a letter from the current catalog version of an item,
	// numbers it and keeps it.
	Draft(ctx context.Context, req DraftRequest) (*Draft, error)
	// GetDraft returns a kept draft by its id or digest.
	GetDraft(ctx context.Context, id string) (*Draft, error)
	// PrintDraft and PrintLetter give a kept draft or a stored letter in the
	// form it is printed; ENOTFOUND for an id this department does not hold.
	PrintDraft(ctx context.Context, id string) (*PrintableLetter, error)
	PrintLetter(ctx context.Context, id string) (*PrintableLetter, error)
	// Receipt is a commitment's receipt (回执): the department's own, from
	// its store, or (public) the one any gateway gives from the ledger.
	Receipt(ctx context.Context, id string, public bool) (*ReceiptView, error)
	// Departments is the department directory (names and number prefixes).
	Departments(ctx context.Context) (Directory, error)

	// Working days: the calendars on the ledger (see Ledger), and the
	// catalog changes with their reports.
	PutCalendar(ctx context.Context, c *Calendar) (*Calendar, error)
	Calendar(ctx context.Context, year, version int) (*Calendar, error)
	// MissingCalendars lists the years — this one and the next — for which
	// no calendar is published: their deadlines count Monday to Friday.
	MissingCalendars(ctx context.Context) ([]int, error)
	ReportCatalogChange(ctx context.Context, id string) (*CatalogChange, error)
	CatalogChanges(ctx context.Context, p Page) (*List[*CatalogChange], error)

	// Stats are the supervision figures (督促检查), from the read model of
	// the ledger alone: the same at every department.
	Stats(ctx context.Context, f StatsFilter) (*StatsReport, error)
	// Submit checks a signed letter, stores it and anchors it. Idempotent:
	// the same letter again returns the same receipt. When the ledger does
	// not confirm in time, the letter is kept and a receipt with status
	// StatusPending says so: it is anchored in the background (EUNAVAILABLE
	// only when it could not even be stored).
	Submit(ctx context.Context, req SubmitRequest) (*Receipt, error)
	// SubmitPaper stores and anchors a letter signed on paper (a scan).
	SubmitPaper(ctx context.Context, req PaperRequest) (*Receipt, error)
	// Commitment is the department's full view of one of its letters.
	Commitment(ctx context.Context, id string) (*CommitmentView, error)
	// Withdraw records the applicant's withdrawal with its reason.
	Withdraw(ctx context.Context, id, reason string) (*Commitment, error)
	// Conclude records that the matter is concluded.
	Conclude(ctx context.Context, id string) (*Commitment, error)

	// VerifyLetter, VerifyDigest and VerifyFile answer anyone whether a
	// letter (its canonical bytes), a digest or a file (hashed as it is
	// read, at most maxBytes) is anchored, and what became of it.
	VerifyLetter(ctx context.Context, canonical []byte) (*VerifyResult, error)
	VerifyDigest(ctx context.Context, digest string) (*VerifyResult, error)
	VerifyFile(ctx context.Context, r io.Reader, maxBytes int64) (*VerifyResult, error)
	// CommitmentProof and DigestProof return a proof bundle (JSON, schema
	// chengnuo-proof/2, package proof) of the latest write of a commitment,
	// or of the record of a digest (a letter's commitment, else a bare
	// anchor): checkable offline against the pinned genesis block.
	CommitmentProof(ctx context.Context, id string) ([]byte, error)
	DigestProof(ctx context.Context, digest string) ([]byte, error)
	// GenesisHash is the hex hash of the channel's genesis block header, as
	// this department's read model has it (a verifier should pin the value
	// the departments publish, not take it from one server).
	GenesisHash(ctx context.Context) (string, error)
	// PublicCommitment is a commitment's public record (no applicant key).
	PublicCommitment(ctx context.Context, id string) (*Commitment, error)

	// Assisted verification (协助核查).
	RequestVerification(ctx context.Context, commitmentID, claim string) (*VerificationRequest, error)
	Requests(ctx context.Context, f RequestFilter, p Page) (*RequestList, error)
	Inbox(ctx context.Context, p Page) (*List[*InboxEntry], error)
	GetVerification(ctx context.Context, requestID string) (*VerificationRequest, error)
	Details(ctx context.Context, requestID string) (*RequestDetails, error)
	Answer(ctx context.Context, requestID string, a AnswerRequest) (*VerificationRequest, error)
	PurgeDetails(ctx context.Context, requestID string) error
	RecordOutcome(ctx context.Context, commitmentID string, o OutcomeRequest) (*Commitment, error)

	// Credit (信用).
	LookupApplicant(ctx context.Context, idType, idNumber string, p Page) (*ApplicantView, error)
	GetCredit(ctx context.Context, id string) (*CreditRecord, error)
	RepairCredit(ctx context.Context, creditID, reason string) (*CreditRecord, error)
	FileObjection(ctx context.Context, creditID, reason string) (*Objection, error)
	DecideObjection(ctx context.Context, objectionID string, d ObjectionDecision) (*Objection, error)
	// Objections lists the objections to credit records (the credit
	// platform decides them).
	Objections(ctx context.Context, p Page) (*List[*Objection], error)

	// Sampling (双随机) and disclosure (公示).
	DrawSample(ctx context.Context, req SampleRequest) (*Sample, error)
	Sample(ctx context.Context, id string, p Page) (*SampleView, error)
	Disclosures(ctx context.Context, p Page) (*DisclosureList, error)
}
