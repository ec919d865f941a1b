package gateway_test

import (
	"context"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
)

// fake is an in-memory chengnuo.Service: every method records its call and
// its main arguments, and returns fail[method] if set, else a canned result.
type fake struct {
	mu    sync.Mutex
	calls []string
	args  map[string][]any
	fail  map[string]error
	// anchors keeps bare anchors so that conflicts and reads behave.
	anchors map[string]*chengnuo.Anchor
}

func newFake() *fake {
	return &fake{args: map[string][]any{}, fail: map[string]error{}, anchors: map[string]*chengnuo.Anchor{}}
}

func (f *fake) record(method string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, method)
	f.args[method] = args
	if err, ok := f.fail[method]; ok {
		return err
	}
	return f.fail["*"]
}

func (f *fake) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.calls...)
}

var t0 = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)

func commitment(id string) *chengnuo.Commitment {
	return &chengnuo.Commitment{ID: id, LetterDigest: digest, ItemCode: "T-1", ItemVersion: 1, NoticeDigest: digest, SignedBy: chengnuo.SignedSM2, Org: "MarketMSP", Status: chengnuo.StatusActive,
		AnchoredAt: t0, TxID: "tx-c", BlockNumber: 3, History: []chengnuo.Transition{{Status: chengnuo.StatusActive, Org: "MarketMSP", At: t0, TxID: "tx-c"}}}
}

func request(id string) *chengnuo.VerificationRequest {
	return &chengnuo.VerificationRequest{ID: id, CommitmentID: "CN1", ItemCode: "T-1", ItemVersion: 1, From: "MarketMSP", To: "PoliceMSP",
		Method: "ONLINE", RequestedAt: t0, DueAt: t0.Add(48 * time.Hour), TxID: "tx-r", DetailsDigest: digest, Status: chengnuo.RequestPending}
}

func item(code string) *chengnuo.Item {
	return &chengnuo.Item{Code: code, Version: 1, Name: "n", Department: "MarketMSP", Purpose: "p", LegalBasis: "b", Content: "c",
		EligibleApplicants: "e", CommitmentMethod: "m", VerificationPower: "v", Liability: "l", Status: chengnuo.ItemActive,
		NoticeDigest: digest, PublishedAt: t0, PublishedTx: "tx-i", Verification: chengnuo.VerificationRule{Exempt: true}}
}

func receipt() *chengnuo.Receipt {
	return &chengnuo.Receipt{CommitmentID: "CN1", LetterDigest: digest, Org: "MarketMSP", ItemCode: "T-1", ItemVersion: 1,
		Status: chengnuo.StatusActive, TxID: "tx-s", BlockNumber: 4, AnchoredAt: t0, SignedBy: chengnuo.SignedSM2}
}

func (f *fake) Ping(context.Context) error { return f.record("Ping") }

func (f *fake) Anchor(_ context.Context, d string) (*chengnuo.Anchor, error) {
	if err := f.record("Anchor", d); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if a, ok := f.anchors[d]; ok {
		return nil, &chengnuo.Error{Code: chengnuo.ECONFLICT, Message: "already anchored", TxID: a.TxID, Detail: a}
	}
	a := &chengnuo.Anchor{Digest: d, Org: "MarketMSP", TxID: "tx-" + d[:8], Timestamp: time.Unix(1, 0).UTC(), BlockNumber: 7}
	f.anchors[d] = a
	return a, nil
}

func (f *fake) FindAnchor(_ context.Context, d string) (*chengnuo.Anchor, error) {
	if err := f.record("FindAnchor", d); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if a, ok := f.anchors[d]; ok {
		return a, nil
	}
	return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "not anchored")
}

func (f *fake) ListItems(_ context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.Item], error) {
	if err := f.record("ListItems", p); err != nil {
		return nil, err
	}
	return &chengnuo.List[*chengnuo.Item]{Items: []*chengnuo.Item{item("T-1")}, More: true, Bookmark: "next"}, nil
}

func (f *fake) GetItem(_ context.Context, code string, v int) (*chengnuo.Item, error) {
	return item(code), f.record("GetItem", code, v)
}

func (f *fake) PublishItem(_ context.Context, it *chengnuo.Item) (*chengnuo.Item, error) {
	return item(it.Code), f.record("PublishItem", it.Code)
}

func (f *fake) RetireItem(_ context.Context, code string) (*chengnuo.Item, error) {
	it := item(code)
	it.Status = chengnuo.ItemRetired
	return it, f.record("RetireItem", code)
}

func proposal(id string) *chengnuo.Proposal {
	return &chengnuo.Proposal{ID: id, Kind: "RETIRE", Code: "T-1", ReasonDigest: digest, From: "MarketMSP", Status: "PENDING", ProposedAt: t0, TxID: "tx-p"}
}

func (f *fake) Text(_ context.Context, d string) (*chengnuo.Text, error) {
	return &chengnuo.Text{Digest: d, Salt: "00", Text: "理由", Kind: chengnuo.TextDecline, Ref: "VR1", From: "PoliceMSP"}, f.record("Text", d)
}

func (f *fake) ProposeItemChange(_ context.Context, p chengnuo.ProposalRequest) (*chengnuo.Proposal, error) {
	return proposal("PR1"), f.record("ProposeItemChange", p.Kind, p.Code, p.Reason)
}

func (f *fake) GetProposal(_ context.Context, id string) (*chengnuo.Proposal, error) {
	return proposal(id), f.record("GetProposal", id)
}

func (f *fake) DecideProposal(_ context.Context, id string, d chengnuo.ProposalDecision) (*chengnuo.Proposal, error) {
	p := proposal(id)
	p.Status = "APPROVED"
	return p, f.record("DecideProposal", id, d.Approve, d.Reason)
}

func (f *fake) Draft(_ context.Context, r chengnuo.DraftRequest) (*chengnuo.Draft, error) {
	return &chengnuo.Draft{Letter: &chengnuo.Letter{Schema: "s", Number: "n"}, Canonical: "{}", Digest: digest}, f.record("Draft", r.ItemCode)
}

func (f *fake) Submit(_ context.Context, r chengnuo.SubmitRequest) (*chengnuo.Receipt, error) {
	rc := receipt()
	if r.Letter == "pending" {
		rc.Status, rc.TxID, rc.BlockNumber = chengnuo.StatusPending, "", 0
	}
	return rc, f.record("Submit", r.Letter)
}

func (f *fake) SubmitPaper(_ context.Context, r chengnuo.PaperRequest) (*chengnuo.Receipt, error) {
	rc := receipt()
	rc.SignedBy = chengnuo.SignedPaper
	return rc, f.record("SubmitPaper", r.MediaType)
}

func (f *fake) Commitment(_ context.Context, id string) (*chengnuo.CommitmentView, error) {
	return &chengnuo.CommitmentView{Letter: &chengnuo.StoredLetter{ID: id, Digest: digest, State: chengnuo.StateAnchored, StoredAt: t0},
		Record: commitment(id)}, f.record("Commitment", id)
}

func (f *fake) Withdraw(_ context.Context, id, reason string) (*chengnuo.Commitment, error) {
	c := commitment(id)
	c.Status = chengnuo.StatusWithdrawn
	return c, f.record("Withdraw", id, reason)
}

func (f *fake) Conclude(_ context.Context, id string) (*chengnuo.Commitment, error) {
	c := commitment(id)
	c.Status = chengnuo.StatusConcluded
	return c, f.record("Conclude", id)
}

func verified(d string) *chengnuo.VerifyResult {
	return &chengnuo.VerifyResult{Anchored: true, LetterDigest: d, CommitmentID: "CN1", Record: commitment("CN1")}
}

func (f *fake) VerifyLetter(_ context.Context, b []byte) (*chengnuo.VerifyResult, error) {
	return verified(digest), f.record("VerifyLetter", string(b))
}

func (f *fake) VerifyDigest(_ context.Context, d string) (*chengnuo.VerifyResult, error) {
	return verified(digest), f.record("VerifyDigest", d)
}

func (f *fake) CommitmentProof(_ context.Context, id string) ([]byte, error) {
	return []byte(`{"version":"chengnuo-proof/2","subject":{"kind":"commitment","id":"` + id + `"}}`), f.record("CommitmentProof", id)
}

func (f *fake) DigestProof(_ context.Context, d string) ([]byte, error) {
	return []byte(`{"version":"chengnuo-proof/2","subject":{"kind":"anchor","letterDigest":"` + d + `"}}`), f.record("DigestProof", d)
}

func (f *fake) GenesisHash(context.Context) (string, error) {
	return strings.Repeat("ab", 32), f.record("GenesisHash")
}

func (f *fake) VerifyFile(_ context.Context, r io.Reader, max int64) (*chengnuo.VerifyResult, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, &chengnuo.Error{Code: chengnuo.EINVALID, Message: "could not read", Err: err}
	}
	return verified(digest), f.record("VerifyFile", string(b))
}

func (f *fake) PublicCommitment(_ context.Context, id string) (*chengnuo.Commitment, error) {
	return commitment(id), f.record("PublicCommitment", id)
}

func (f *fake) RequestVerification(_ context.Context, id, claim string) (*chengnuo.VerificationRequest, error) {
	return request("VR1"), f.record("RequestVerification", id, claim)
}

func (f *fake) Requests(_ context.Context, flt chengnuo.RequestFilter, p chengnuo.Page) (*chengnuo.RequestList, error) {
	l := &chengnuo.RequestList{LedgerTime: t0}
	l.Items = []*chengnuo.VerificationRequest{request("VR1")}
	return l, f.record("Requests", flt.Side, flt.State, p.Size, p.Bookmark)
}

func (f *fake) Inbox(_ context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.InboxEntry], error) {
	return &chengnuo.List[*chengnuo.InboxEntry]{Items: []*chengnuo.InboxEntry{{Request: request("VR1"), ReceivedAt: t0, Handled: true, Handlings: 1}}},
		f.record("Inbox", p.Size)
}

func (f *fake) GetVerification(_ context.Context, id string) (*chengnuo.VerificationRequest, error) {
	return request(id), f.record("GetVerification", id)
}

func (f *fake) Details(_ context.Context, id string) (*chengnuo.RequestDetails, error) {
	return &chengnuo.RequestDetails{CommitmentID: "CN1", Name: "张三", IDType: "RESIDENT_ID", IDNumber: "11010519491231002X", Claim: "c", Salt: "00"},
		f.record("Details", id)
}

func (f *fake) Answer(_ context.Context, id string, a chengnuo.AnswerRequest) (*chengnuo.VerificationRequest, error) {
	r := request(id)
	r.Status = chengnuo.RequestAnswered
	r.Answer = &chengnuo.Answer{Result: a.Result, EvidenceDigest: digest, At: t0, TxID: "tx-a"}
	return r, f.record("Answer", id, a.Result, a.Evidence)
}

func (f *fake) PurgeDetails(_ context.Context, id string) error { return f.record("PurgeDetails", id) }

func (f *fake) RecordOutcome(_ context.Context, id string, o chengnuo.OutcomeRequest) (*chengnuo.Commitment, error) {
	c := commitment(id)
	c.Verification = o.Result
	c.Outcome = &chengnuo.Outcome{Result: o.Result, At: t0, TxID: "tx-o"}
	return c, f.record("RecordOutcome", id, o.Result, o.Reason)
}

func credit(id string) *chengnuo.CreditRecord {
	return &chengnuo.CreditRecord{ID: id, ApplicantKey: digest, CommitmentID: "CN1", Org: "MarketMSP", Level: chengnuo.LevelMinor,
		Status: chengnuo.CreditActive, CreatedAt: t0, TxID: "tx-cr", History: []chengnuo.Transition{}}
}

func (f *fake) LookupApplicant(_ context.Context, idType, idNumber string, p chengnuo.Page) (*chengnuo.ApplicantView, error) {
	return &chengnuo.ApplicantView{Standing: chengnuo.Standing{ApplicantKey: digest, Eligible: true, Records: []*chengnuo.CreditRecord{}}, Commitments: []*chengnuo.Commitment{}},
		f.record("LookupApplicant", idType, idNumber, p.Size)
}

func (f *fake) GetCredit(_ context.Context, id string) (*chengnuo.CreditRecord, error) {
	return credit(id), f.record("GetCredit", id)
}

func (f *fake) RepairCredit(_ context.Context, id, reason string) (*chengnuo.CreditRecord, error) {
	c := credit(id)
	c.Status = chengnuo.CreditRepaired
	return c, f.record("RepairCredit", id, reason)
}

func objection(id string) *chengnuo.Objection {
	return &chengnuo.Objection{ID: id, CreditID: "CR1", From: "MarketMSP", ReasonDigest: digest, Status: chengnuo.ObjectionPending, FiledAt: t0, TxID: "tx-ob"}
}

func (f *fake) FileObjection(_ context.Context, id, reason string) (*chengnuo.Objection, error) {
	return objection("OB1"), f.record("FileObjection", id, reason)
}

func (f *fake) DecideObjection(_ context.Context, id string, d chengnuo.ObjectionDecision) (*chengnuo.Objection, error) {
	o := objection(id)
	o.Status = chengnuo.ObjectionUpheld
	return o, f.record("DecideObjection", id, d.Uphold, d.Reason)
}

func sample(id string) *chengnuo.Sample {
	return &chengnuo.Sample{ID: id, Org: "MarketMSP", ItemCode: "T-1", From: t0, To: t0.Add(time.Hour), BasePermille: 100, Seed: digest,
		Inspectors: []string{"I-1"}, Candidates: []chengnuo.SampleCandidate{{CommitmentID: "CN1", Permille: 100}}, Selected: []string{"CN1"},
		Assignments: []chengnuo.SampleAssignment{{CommitmentID: "CN1", Inspectors: []string{"I-1"}}}, Status: chengnuo.SamplePublished,
		DrawnAt: t0, TxID: "tx-sp", Commitment: digest, Contribution: digest, ContributedBy: "PoliceMSP", ContributedTx: "tx-c", Secret: digest,
		PublishedAt: t0, PublishedTx: "tx-pub"}
}

func (f *fake) DrawSample(_ context.Context, r chengnuo.SampleRequest) (*chengnuo.Sample, error) {
	return sample("SP1"), f.record("DrawSample", r.ItemCode, r.BasePermille)
}

func (f *fake) Sample(_ context.Context, id string, p chengnuo.Page) (*chengnuo.SampleView, error) {
	return &chengnuo.SampleView{Sample: sample(id), Results: []chengnuo.SampleResult{}}, f.record("Sample", id, p.Size)
}

func (f *fake) Disclosures(_ context.Context, p chengnuo.Page) (*chengnuo.DisclosureList, error) {
	l := &chengnuo.DisclosureList{LedgerTime: t0, Org: "MarketMSP"}
	l.Items = []*chengnuo.DisclosedLetter{{CommitmentID: "CN1", ItemCode: "T-1", ItemName: "n", Applicant: "张*", Org: "MarketMSP", Scope: "s", From: t0, Until: t0}}
	return l, f.record("Disclosures", p.Size, p.Bookmark)
}

func (f *fake) Proposals(_ context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.Proposal], error) {
	return &chengnuo.List[*chengnuo.Proposal]{Items: []*chengnuo.Proposal{}}, f.record("Proposals", p.Size)
}

func (f *fake) Objections(_ context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.Objection], error) {
	return &chengnuo.List[*chengnuo.Objection]{Items: []*chengnuo.Objection{}}, f.record("Objections", p.Size)
}

func (f *fake) Letters(_ context.Context, lf chengnuo.LetterFilter, p chengnuo.Page) (*chengnuo.List[*chengnuo.LetterSummary], error) {
	return &chengnuo.List[*chengnuo.LetterSummary]{Items: []*chengnuo.LetterSummary{}}, f.record("Letters", lf.Query)
}

func (f *fake) Audit(_ context.Context, p chengnuo.Page) (*chengnuo.AuditReport, error) {
	return &chengnuo.AuditReport{Checked: 2, Findings: []chengnuo.AuditFinding{{CommitmentID: "CN1", Problem: "p"}}}, f.record("Audit", p.Size)
}

var _ chengnuo.Service = (*fake)(nil)

func (f *fake) Departments(context.Context) (chengnuo.Directory, error) {
	if err := f.record("Departments"); err != nil {
		return nil, err
	}
	return chengnuo.Directory{
		"MarketMSP": {MSPID: "MarketMSP", Name: "市市场监管局", NumberPrefix: "虎市监承"},
		"PoliceMSP": {MSPID: "PoliceMSP", Name: "市公安局", NumberPrefix: "虎公承"},
	}, nil
}

// printable is the fake's letter: a real one, so that documents render.
func printable(draft bool) *chengnuo.PrintableLetter {
	it := &chengnuo.Item{Code: "T-1", Version: 1, Name: "测试事项", Purpose: "p", LegalBasis: "b", Content: "c", EligibleApplicants: "e",
		CommitmentMethod: "m", VerificationPower: "v", Liability: "l", Verification: chengnuo.VerificationRule{Exempt: true}}
	l, c, err := letter.New(it, letter.Applicant{Name: "张三", IDType: letter.IDResident, IDNumber: "11010519491231002X", Contact: "138"},
		letter.Organ{MSPID: "MarketMSP", Name: "市市场监管局", ContactName: "李四", ContactPhone: "0451"}, "〔2026〕虎市监承第000001号",
		strings.Repeat("ab", 32), "2026-05-01T08:00:00Z")
	if err != nil {
		panic(err)
	}
	d := letter.Digest(c)
	return &chengnuo.PrintableLetter{Letter: l, ID: chengnuo.CommitmentID(d), Digest: d, OrgName: "市市场监管局", Draft: draft}
}

func (f *fake) GetDraft(_ context.Context, id string) (*chengnuo.Draft, error) {
	if err := f.record("GetDraft", id); err != nil {
		return nil, err
	}
	p := printable(true)
	return &chengnuo.Draft{ID: p.ID, Letter: p.Letter, Digest: p.Digest}, nil
}

func (f *fake) PrintDraft(_ context.Context, id string) (*chengnuo.PrintableLetter, error) {
	if err := f.record("PrintDraft", id); err != nil {
		return nil, err
	}
	return printable(true), nil
}

func (f *fake) PrintLetter(_ context.Context, id string) (*chengnuo.PrintableLetter, error) {
	if err := f.record("PrintLetter", id); err != nil {
		return nil, err
	}
	return printable(false), nil
}

func (f *fake) Receipt(_ context.Context, id string, public bool) (*chengnuo.ReceiptView, error) {
	if err := f.record("Receipt", id, public); err != nil {
		return nil, err
	}
	r := &chengnuo.ReceiptView{CommitmentID: id, LetterDigest: digest, Org: "MarketMSP", OrgName: "市市场监管局", ItemCode: "T-1", ItemVersion: 1,
		ItemName: "测试事项", SignedBy: chengnuo.SignedSM2, AnchoredAt: t0, BlockNumber: 4, TxID: "tx-s", GenesisHash: digest,
		Verdict: chengnuo.VerdictOf(commitment(id))}
	if !public {
		r.Number, r.Applicant = "〔2026〕虎市监承第000001号", "张*"
	}
	return r, nil
}

func calendar(year int) *chengnuo.Calendar {
	return &chengnuo.Calendar{Year: year, Version: 1, Holidays: []string{"2026-10-01"}, Workdays: []string{"2026-10-10"}, PublishedAt: t0, TxID: "tx-cal"}
}

func (f *fake) PutCalendar(_ context.Context, c *chengnuo.Calendar) (*chengnuo.Calendar, error) {
	if err := f.record("PutCalendar", c.Year, len(c.Holidays)); err != nil {
		return nil, err
	}
	return calendar(c.Year), nil
}

func (f *fake) Calendar(_ context.Context, year, version int) (*chengnuo.Calendar, error) {
	if err := f.record("Calendar", year, version); err != nil {
		return nil, err
	}
	return calendar(year), nil
}

func (f *fake) MissingCalendars(context.Context) ([]int, error) {
	if err := f.record("MissingCalendars"); err != nil {
		return nil, err
	}
	return []int{2027}, nil
}

func catalogChange(id string) *chengnuo.CatalogChange {
	return &chengnuo.CatalogChange{ID: id, Code: "T-1", Version: 1, Kind: chengnuo.ChangePublish, At: t0, TxID: "tx-i", ReportBy: t0.Add(9 * 24 * time.Hour), DueCalendar: "2026v1"}
}

func (f *fake) ReportCatalogChange(_ context.Context, id string) (*chengnuo.CatalogChange, error) {
	if err := f.record("ReportCatalogChange", id); err != nil {
		return nil, err
	}
	return catalogChange(id), nil
}

func (f *fake) CatalogChanges(_ context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.CatalogChange], error) {
	if err := f.record("CatalogChanges", p.Size); err != nil {
		return nil, err
	}
	return &chengnuo.List[*chengnuo.CatalogChange]{Items: []*chengnuo.CatalogChange{catalogChange("T-1@1")}}, nil
}

func (f *fake) Stats(_ context.Context, flt chengnuo.StatsFilter) (*chengnuo.StatsReport, error) {
	if err := f.record("Stats", flt.From.Format(time.DateOnly), flt.Department); err != nil {
		return nil, err
	}
	r := &chengnuo.StatsRow{Department: "MarketMSP", Item: "T-1", LettersAnchored: 3, RequestsSent: 1}
	return &chengnuo.StatsReport{From: flt.From, To: flt.To, AsOf: t0, Rows: []*chengnuo.StatsRow{r}, Totals: *r}, nil
}
