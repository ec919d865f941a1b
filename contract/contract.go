// Package contract is the wire contract between the notary chaincode and
// its clients, written once: function names with their argument and result
// types, event names with their payload types, transient keys and limits.
// The chaincode decodes exactly the structs the Fabric adapter encodes, so
// a change on one side that the other does not follow is a compile error.
//
// Every function takes one argument: the JSON of its argument struct
// (unknown fields refused). Every result is the JSON of its result type.
// Chaincode errors are "CODE: message" with a code of the domain.
//
// It imports only the domain package.
package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/chengnuo/chengnuo"
)

// Limits the chaincode enforces.
const (
	// MaxBatch bounds the letters of one anchoring transaction.
	MaxBatch = 500
	// MaxDetailsBytes bounds a verification request's details (transient data).
	MaxDetailsBytes = 16 << 10
	// MaxPageSize bounds one page of a list query.
	MaxPageSize = chengnuo.MaxPageSize
	// MaxSampleCandidates bounds the commitments one draw may read; a longer
	// period is refused (draw shorter periods), never silently cut.
	MaxSampleCandidates = 10000
)

// Transient-map keys.
const (
	TransientDetails = "details" // a request's details (chengnuo.RequestDetails JSON)
	TransientText    = "text"    // a shared text (chengnuo.SharedText JSON)
)

// MaxTextBytes bounds a shared text.
const MaxTextBytes = 16 << 10

// ImplicitCollection is the name of an organization's implicit private data collection.
func ImplicitCollection(msp string) string { return "_implicit_org_" + msp }

// Fn is one chaincode function. Its type parameters are the argument (A)
// and result (R) types; Submit says whether it is a transaction (ordered
// and committed) or a query (evaluated on one peer).
type Fn[A, R any] struct {
	Name   string
	Submit bool
}

// EncodeArgs is the function's argument bytes.
func (f Fn[A, R]) EncodeArgs(a *A) ([]byte, error) {
	raw, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode %s arguments: %w", f.Name, err)
	}
	return raw, nil
}

// DecodeArgs decodes the function's argument strictly: unknown fields and
// trailing data are refused with EINVALID.
func (f Fn[A, R]) DecodeArgs(raw []byte) (*A, error) {
	var a A
	if err := Strict(raw, &a); err != nil {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "malformed %s argument: %v", f.Name, err)
	}
	return &a, nil
}

// DecodeResult decodes the function's result.
func (f Fn[A, R]) DecodeResult(raw []byte) (*R, error) {
	var r R
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decode %s result: %w", f.Name, err)
	}
	return &r, nil
}

// Strict decodes exactly one JSON value into v, refusing unknown fields
// and trailing data.
func Strict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// Event is a chaincode event with its payload type.
type Event[P any] struct{ Name string }

// Decode decodes the event's payload.
func (e Event[P]) Decode(raw []byte) (*P, error) {
	var p P
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("decode %s event: %w", e.Name, err)
	}
	return &p, nil
}

// Events the chaincode emits (one per transaction at most).
var (
	// Anchored carries the record of an anchored bare digest.
	Anchored = Event[chengnuo.Anchor]{"Anchored"}
	// CommitmentsAnchored carries the ids of the records one batch created
	// (the records are in the transaction's write set; sending them again
	// would double the block's bytes per letter).
	CommitmentsAnchored = Event[[]string]{"CommitmentsAnchored"}
	// CommitmentChanged carries a commitment after a withdrawal or conclusion.
	CommitmentChanged = Event[chengnuo.Commitment]{"CommitmentChanged"}
	// VerificationRequested carries a new request's public record.
	VerificationRequested = Event[chengnuo.VerificationRequest]{"VerificationRequested"}
	// VerificationAnswered carries an answered request's public record.
	VerificationAnswered = Event[chengnuo.VerificationRequest]{"VerificationAnswered"}
	// OutcomeRecorded carries the commitment after an outcome.
	OutcomeRecorded = Event[chengnuo.Commitment]{"OutcomeRecorded"}
	// ItemPublished carries a newly published item version.
	ItemPublished = Event[chengnuo.Item]{"ItemPublished"}
	// ItemRetired: an item was retired (the payload is its latest version).
	ItemRetired = Event[chengnuo.Item]{"ItemRetired"}
	// SampleChanged carries a draw after it was recorded, contributed to or published.
	SampleChanged = Event[chengnuo.Sample]{"SampleChanged"}
)

// Empty is the argument of a function that takes none.
type Empty struct{}

// PingResult says which chaincode build serves which channel.
type PingResult struct {
	Version string `json:"version"`
	Channel string `json:"channel"`
}

// DigestArgs names a bare anchored digest.
type DigestArgs struct {
	Digest string `json:"digest"`
}

// IDArgs names one record.
type IDArgs struct {
	ID string `json:"id"`
}

// ItemArgs names one item version (0: the latest).
type ItemArgs struct {
	Code    string `json:"code"`
	Version int    `json:"version,omitempty"`
}

// PageArgs asks for one page of a list.
type PageArgs struct {
	PageSize int    `json:"pageSize,omitempty"`
	Bookmark string `json:"bookmark,omitempty"`
}

// AnchorBatchResult holds one result per letter, in request order. A
// created letter's result is {"created":true}: no digest (its request's)
// and no record — chengnuo.NewCommitment of its request, the caller's
// organization, AnchoredAt and the transaction id, which the caller
// rebuilds (the records themselves are in the write set) — so a batch's
// answer, which every endorser signs and the block keeps, stays small. A
// refused letter's result names its digest, code and message.
type AnchorBatchResult struct {
	AnchoredAt time.Time               `json:"anchoredAt"`
	Results    []chengnuo.AnchorResult `json:"results"`
}

// TransitionArgs moves a commitment; ReasonDigest is required for a withdrawal.
type TransitionArgs struct {
	ID           string `json:"id"`
	ReasonDigest string `json:"reasonDigest,omitempty"`
}

// RequestArgs opens an assisted verification request.
type RequestArgs struct {
	CommitmentID  string `json:"commitmentId"`
	DetailsDigest string `json:"detailsDigest"`
}

// AnswerArgs is the target's answer, or its written refusal.
type AnswerArgs struct {
	RequestID      string `json:"requestId"`
	Result         string `json:"result,omitempty"`
	EvidenceDigest string `json:"evidenceDigest,omitempty"`
	DeclineDigest  string `json:"declineDigest,omitempty"`
	Automatic      bool   `json:"automatic,omitempty"`
}

// ListRequestsArgs asks for the requests to ("to") or from ("from") the caller.
type ListRequestsArgs struct {
	Side string `json:"side"`
	PageArgs
}

// OutcomeArgs records a commitment's outcome.
type OutcomeArgs struct {
	CommitmentID string             `json:"commitmentId"`
	Result       string             `json:"result"`
	ReasonDigest string             `json:"reasonDigest,omitempty"`
	RequestID    string             `json:"requestId,omitempty"`
	Disposal     *chengnuo.Disposal `json:"disposal,omitempty"`
	Level        string             `json:"level,omitempty"`
}

// ApplicantArgs names an applicant by key.
type ApplicantArgs struct {
	ApplicantKey string `json:"applicantKey"`
}

// ReasonArgs acts on a record with the salted digest of a reason.
type ReasonArgs struct {
	ID           string `json:"id"`
	ReasonDigest string `json:"reasonDigest"`
}

// DecideObjectionArgs upholds or rejects an objection.
type DecideObjectionArgs struct {
	ID           string `json:"id"`
	Uphold       bool   `json:"uphold"`
	ReasonDigest string `json:"reasonDigest"`
}

// DrawSampleArgs records a draw with the SM3 (hex) of the drawer's secret.
type DrawSampleArgs struct {
	chengnuo.SampleRequest
	Commitment string `json:"commitment"`
}

// ContributeSampleArgs adds another department's random contribution (hex).
type ContributeSampleArgs struct {
	ID           string `json:"id"`
	Contribution string `json:"contribution"`
}

// PublishSampleArgs reveals the drawer's secret (hex).
type PublishSampleArgs struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// Sampling limits.
const (
	MaxInspectors        = 100 // codes in a draw's pool
	InspectorsPerSubject = 2   // inspectors drawn for each selected commitment (双随机)
)

// ProposalArgs proposes a catalog change.
type ProposalArgs struct {
	Kind         string         `json:"kind"`
	Code         string         `json:"code,omitempty"`
	Item         *chengnuo.Item `json:"item,omitempty"`
	ReasonDigest string         `json:"reasonDigest"`
}

// DecideProposalArgs approves or rejects a proposal.
type DecideProposalArgs struct {
	ID           string `json:"id"`
	Approve      bool   `json:"approve"`
	ReasonDigest string `json:"reasonDigest"`
}

// ShareArgs names a text delivered as transient data TransientText.
type ShareArgs = chengnuo.TextShare

// Done acknowledges a function that returns no record.
type Done struct {
	Done bool `json:"done"`
}

// The chaincode's functions.
var (
	Ping      = Fn[Empty, PingResult]{Name: "Ping"}
	Anchor    = Fn[DigestArgs, chengnuo.Anchor]{Name: "Anchor", Submit: true}
	GetAnchor = Fn[DigestArgs, chengnuo.Anchor]{Name: "GetAnchor"}

	PublishItem = Fn[chengnuo.Item, chengnuo.Item]{Name: "PublishItem", Submit: true}
	RetireItem  = Fn[ItemArgs, chengnuo.Item]{Name: "RetireItem", Submit: true}
	GetItem     = Fn[ItemArgs, chengnuo.Item]{Name: "GetItem"}
	ListItems   = Fn[PageArgs, chengnuo.List[*chengnuo.Item]]{Name: "ListItems"}

	AnchorCommitments = Fn[AnchorBatchArgs, AnchorBatchResult]{Name: "AnchorCommitments", Submit: true}
	GetCommitment     = Fn[IDArgs, chengnuo.Commitment]{Name: "GetCommitment"}
	Withdraw          = Fn[TransitionArgs, chengnuo.Commitment]{Name: "Withdraw", Submit: true}
	Conclude          = Fn[TransitionArgs, chengnuo.Commitment]{Name: "Conclude", Submit: true}

	RequestVerification = Fn[RequestArgs, chengnuo.VerificationRequest]{Name: "RequestVerification", Submit: true}
	DeliverDetails      = Fn[IDArgs, Done]{Name: "DeliverDetails", Submit: true}
	GetRequestDetails   = Fn[IDArgs, chengnuo.RequestDetails]{Name: "GetRequestDetails"}
	PurgeDetails        = Fn[IDArgs, Done]{Name: "PurgeDetails", Submit: true}
	AnswerVerification  = Fn[AnswerArgs, chengnuo.VerificationRequest]{Name: "AnswerVerification", Submit: true}
	GetVerification     = Fn[IDArgs, chengnuo.VerificationRequest]{Name: "GetVerification"}
	ListRequests        = Fn[ListRequestsArgs, chengnuo.List[*chengnuo.VerificationRequest]]{Name: "ListRequests"}

	RecordOutcome   = Fn[OutcomeArgs, chengnuo.Commitment]{Name: "RecordOutcome", Submit: true}
	GetStanding     = Fn[ApplicantArgs, chengnuo.Standing]{Name: "GetStanding"}
	GetCredit       = Fn[IDArgs, chengnuo.CreditRecord]{Name: "GetCredit"}
	RepairCredit    = Fn[ReasonArgs, chengnuo.CreditRecord]{Name: "RepairCredit", Submit: true}
	FileObjection   = Fn[ReasonArgs, chengnuo.Objection]{Name: "FileObjection", Submit: true}
	DecideObjection = Fn[DecideObjectionArgs, chengnuo.Objection]{Name: "DecideObjection", Submit: true}

	DrawSample       = Fn[DrawSampleArgs, chengnuo.Sample]{Name: "DrawSample", Submit: true}
	ContributeSample = Fn[ContributeSampleArgs, chengnuo.Sample]{Name: "ContributeSample", Submit: true}
	PublishSample    = Fn[PublishSampleArgs, chengnuo.Sample]{Name: "PublishSample", Submit: true}
	GetSample        = Fn[IDArgs, chengnuo.Sample]{Name: "GetSample"}

	ProposeItemChange = Fn[ProposalArgs, chengnuo.Proposal]{Name: "ProposeItemChange", Submit: true}
	DecideProposal    = Fn[DecideProposalArgs, chengnuo.Proposal]{Name: "DecideProposal", Submit: true}
	GetProposal       = Fn[IDArgs, chengnuo.Proposal]{Name: "GetProposal"}
	// ListProposals and ListObjections page through every proposal and
	// every objection, in id order (public records: digests, no text).
	ListProposals  = Fn[PageArgs, chengnuo.List[*chengnuo.Proposal]]{Name: "ListProposals"}
	ListObjections = Fn[PageArgs, chengnuo.List[*chengnuo.Objection]]{Name: "ListObjections"}

	ShareText = Fn[ShareArgs, Done]{Name: "ShareText", Submit: true}
	GetText   = Fn[DigestArgs, chengnuo.SharedText]{Name: "GetText"}

	// PutDepartment sets the caller's entry of the department directory;
	// ListDepartments reads the whole directory (one entry per member).
	PutDepartment   = Fn[DepartmentArgs, chengnuo.Department]{Name: "PutDepartment", Submit: true}
	ListDepartments = Fn[Empty, []*chengnuo.Department]{Name: "ListDepartments"}

	// PutCalendar publishes a year's calendar of working days (catalog
	// authority), as a new version; GetCalendar reads one (version 0: the
	// current one).
	PutCalendar = Fn[chengnuo.Calendar, chengnuo.Calendar]{Name: "PutCalendar", Submit: true}
	GetCalendar = Fn[CalendarArgs, chengnuo.Calendar]{Name: "GetCalendar"}
	// ReportCatalogChange records that a catalog change (code@version) was
	// reported to the higher level; ListCatalogChanges pages through them.
	ReportCatalogChange = Fn[IDArgs, chengnuo.CatalogChange]{Name: "ReportCatalogChange", Submit: true}
	ListCatalogChanges  = Fn[PageArgs, chengnuo.List[*chengnuo.CatalogChange]]{Name: "ListCatalogChanges"}
)

// CalendarArgs names a year's calendar and a version of it (0: current).
type CalendarArgs struct {
	Year    int `json:"year"`
	Version int `json:"version,omitempty"`
}

// DepartmentArgs is a department's own name and letter-number prefix.
type DepartmentArgs struct {
	Name         string `json:"name"`
	NumberPrefix string `json:"numberPrefix"`
}
