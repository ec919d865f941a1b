package chaincode_test

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/sm"
)

func detailsOf(id string) []byte {
	raw, _ := json.Marshal(chengnuo.RequestDetails{CommitmentID: id, Name: "张三", IDType: "RESIDENT_ID", IDNumber: "11010519491231002X", Claim: "c", Salt: "00"})
	return raw
}

// request opens a verification request of commitment id at market.
func request(t *testing.T, l *ledger, id string) *chengnuo.VerificationRequest {
	t.Helper()
	return must(t, l.as(t, "MarketMSP"), contract.RequestVerification, contract.RequestArgs{CommitmentID: id, DetailsDigest: sm.SM3Hex(detailsOf(id))})
}

// Overdue is judged by ledger time: the answer transaction's timestamp
// against the due date derived from the request's timestamp.
func TestAnswerOverdueByLedgerTime(t *testing.T) {
	// Requested on Friday 2026-01-02 at 11:04 Beijing time, with two working
	// days and no calendar of 2026 published (Monday to Friday): Monday
	// and Tuesday count; due at 24:00 of Tuesday 2026-01-06.
	due := time.Date(2026, 1, 7, 0, 0, 0, 0, chengnuo.China)
	for _, tc := range []struct {
		at      time.Time
		overdue bool
	}{{due.Add(-time.Minute), false}, {due.Add(time.Minute), true}} {
		l, _, id := seed(t)
		r := request(t, l, id)
		if r.To != "PoliceMSP" || !r.DueAt.Equal(due) || r.DueCalendar != "2026v0" || l.events[contract.VerificationRequested.Name] == nil {
			t.Fatalf("request: %+v", r)
		}
		l.now = tc.at
		answer := contract.AnswerArgs{RequestID: r.ID, Result: chengnuo.AnswerConsistent, EvidenceDigest: digest}
		refused(t, l.as(t, "MarketMSP"), contract.AnswerVerification, answer, chengnuo.EFORBIDDEN)
		a := must(t, l.as(t, "PoliceMSP"), contract.AnswerVerification, answer)
		if a.Status != chengnuo.RequestAnswered || a.Answer.Overdue != tc.overdue {
			t.Errorf("answered at %s: overdue %v, want %v", tc.at, a.Answer.Overdue, tc.overdue)
		}
		if l.events[contract.VerificationAnswered.Name] == nil {
			t.Error("no VerificationAnswered event")
		}
		refused(t, l, contract.AnswerVerification, answer, chengnuo.ECONFLICT)
	}
}

func TestRequestRules(t *testing.T) {
	l, _, id := seed(t)
	refused(t, l.as(t, "PoliceMSP"), contract.RequestVerification, contract.RequestArgs{CommitmentID: id, DetailsDigest: digest}, chengnuo.EFORBIDDEN)
	refused(t, l.as(t, "MarketMSP"), contract.RequestVerification, contract.RequestArgs{CommitmentID: id, DetailsDigest: "short"}, chengnuo.EINVALID)
	r := request(t, l, id)
	refused(t, l, contract.RequestVerification, contract.RequestArgs{CommitmentID: id, DetailsDigest: digest}, chengnuo.ECONFLICT)
	c := must(t, l, contract.GetCommitment, contract.IDArgs{ID: id})
	if c.Verification != chengnuo.VerifyUnder {
		t.Fatalf("verification %q", c.Verification)
	}
	for name, a := range map[string]contract.AnswerArgs{
		"no result":        {RequestID: r.ID},
		"bad result":       {RequestID: r.ID, Result: "MAYBE", EvidenceDigest: digest},
		"no evidence":      {RequestID: r.ID, Result: chengnuo.AnswerConsistent},
		"both":             {RequestID: r.ID, Result: chengnuo.AnswerConsistent, DeclineDigest: digest},
		"text, not digest": {RequestID: r.ID, DeclineDigest: "本部门不掌握该数据"},
		"unknown request":  {RequestID: "VRnone", Result: chengnuo.AnswerConsistent, EvidenceDigest: digest},
	} {
		want := chengnuo.EINVALID
		if name == "unknown request" {
			want = chengnuo.ENOTFOUND
		}
		if _, err := call(t, l.as(t, "PoliceMSP"), contract.AnswerVerification, a); chengnuo.ErrorCode(err) != want {
			t.Errorf("%s: %v", name, err)
		}
	}
	d := must(t, l, contract.AnswerVerification, contract.AnswerArgs{RequestID: r.ID, DeclineDigest: hex64("de")})
	if d.Status != chengnuo.RequestDeclined || d.Answer.DeclineDigest != hex64("de") {
		t.Fatalf("declined: %+v", d)
	}
	for side, org := range map[string]string{"to": "PoliceMSP", "from": "MarketMSP"} {
		page := must(t, l.as(t, org), contract.ListRequests, contract.ListRequestsArgs{Side: side})
		if len(page.Items) != 1 || page.Items[0].ID != r.ID || page.More {
			t.Fatalf("%s list: %+v", side, page)
		}
	}
	if page := must(t, l.as(t, "JusticeMSP"), contract.ListRequests, contract.ListRequestsArgs{Side: "to"}); len(page.Items) != 0 {
		t.Fatalf("justice sees %+v", page.Items)
	}
	refused(t, l, contract.ListRequests, contract.ListRequestsArgs{Side: "sideways"}, chengnuo.EINVALID)
	refused(t, l, contract.GetVerification, contract.IDArgs{ID: "VRnone"}, chengnuo.ENOTFOUND)
}

// Requests list oldest first over many pages.
func TestListRequestsPagesInTimeOrder(t *testing.T) {
	l, it, _ := seed(t)
	var want []string
	for i := range 7 {
		l.now = l.now.Add(time.Minute)
		d := hex64(string(rune('0'+i)) + "a")
		must(t, l.as(t, "MarketMSP"), contract.AnchorCommitments, contract.AnchorBatchArgs{Letters: []chengnuo.AnchorRequest{letterReq(it, d, hex64("ee"))}})
		want = append(want, request(t, l, chengnuo.CommitmentID(d)).ID)
	}
	var got []string
	p := contract.PageArgs{PageSize: 3}
	for {
		page := must(t, l.as(t, "PoliceMSP"), contract.ListRequests, contract.ListRequestsArgs{Side: "to", PageArgs: p})
		for _, r := range page.Items {
			got = append(got, r.ID)
		}
		if !page.More {
			break
		}
		p.Bookmark = page.Bookmark
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("listed %v, want %v (request order)", got, want)
	}
}

func TestDetailsReachOnlyTheTarget(t *testing.T) {
	l, _, id := seed(t)
	r := request(t, l, id)
	details := detailsOf(id)
	l.peer = "PoliceMSP"
	l.trans = map[string][]byte{contract.TransientDetails: details}
	refused(t, l.as(t, "PoliceMSP"), contract.DeliverDetails, contract.IDArgs{ID: r.ID}, chengnuo.EFORBIDDEN)
	l.as(t, "MarketMSP")
	for name, tm := range map[string]map[string][]byte{
		"missing":   nil,
		"mismatch":  {contract.TransientDetails: []byte(`{"commitmentId":"x"}`)},
		"too large": {contract.TransientDetails: make([]byte, contract.MaxDetailsBytes+1)},
	} {
		l.trans = tm
		if _, err := call(t, l, contract.DeliverDetails, contract.IDArgs{ID: r.ID}); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	l.trans = map[string][]byte{contract.TransientDetails: details}
	must(t, l, contract.DeliverDetails, contract.IDArgs{ID: r.ID})
	if len(l.world.Keys()) == 0 || strings.Contains(strings.Join(l.world.Keys(), ""), "details") {
		t.Fatal("details went to public state")
	}
	l.trans = nil
	refused(t, l, contract.GetRequestDetails, contract.IDArgs{ID: r.ID}, chengnuo.EFORBIDDEN)
	got := must(t, l.as(t, "PoliceMSP"), contract.GetRequestDetails, contract.IDArgs{ID: r.ID})
	if got.Name != "张三" {
		t.Fatalf("details %+v", got)
	}
	refused(t, l, contract.PurgeDetails, contract.IDArgs{ID: r.ID}, chengnuo.ECONFLICT)
	must(t, l, contract.AnswerVerification, contract.AnswerArgs{RequestID: r.ID, Result: chengnuo.AnswerConsistent, EvidenceDigest: digest})
	// Answered: the details are not accepted again.
	l.trans = map[string][]byte{contract.TransientDetails: details}
	refused(t, l.as(t, "MarketMSP"), contract.DeliverDetails, contract.IDArgs{ID: r.ID}, chengnuo.ECONFLICT)
	l.trans = nil
	l.as(t, "PoliceMSP")
	refused(t, l.as(t, "MarketMSP"), contract.PurgeDetails, contract.IDArgs{ID: r.ID}, chengnuo.EFORBIDDEN)
	must(t, l.as(t, "PoliceMSP"), contract.PurgeDetails, contract.IDArgs{ID: r.ID})
	refused(t, l, contract.GetRequestDetails, contract.IDArgs{ID: r.ID}, chengnuo.ENOTFOUND)
	// Another peer holds no copy.
	l.peer = "CreditMSP"
	if _, err := call(t, l.as(t, "PoliceMSP"), contract.GetRequestDetails, contract.IDArgs{ID: r.ID}); err == nil {
		t.Fatal("a non-member peer answered with private data")
	}
}

func falseOutcome(id string) contract.OutcomeArgs {
	return contract.OutcomeArgs{CommitmentID: id, Result: chengnuo.VerifyFalse, Level: chengnuo.LevelMinor,
		Disposal: &chengnuo.Disposal{Measures: []string{chengnuo.MeasureTerminated}}}
}

func TestOutcomeRules(t *testing.T) {
	l, _, id := seed(t)
	l.as(t, "MarketMSP")
	bad := map[string]contract.OutcomeArgs{
		"unknown result":      {CommitmentID: id, Result: "MAYBE"},
		"unverifiable no why": {CommitmentID: id, Result: chengnuo.VerifyUnverifiable},
		"exempt not exempt":   {CommitmentID: id, Result: chengnuo.VerifyExempt},
		"false no disposal":   {CommitmentID: id, Result: chengnuo.VerifyFalse, Level: chengnuo.LevelMinor},
		"false no level":      {CommitmentID: id, Result: chengnuo.VerifyFalse, Disposal: &chengnuo.Disposal{Measures: []string{"TERMINATED"}}},
		"unknown measure":     {CommitmentID: id, Result: chengnuo.VerifyFalse, Level: chengnuo.LevelMinor, Disposal: &chengnuo.Disposal{Measures: []string{"JAIL"}}},
		"rectify no deadline": {CommitmentID: id, Result: chengnuo.VerifyFalse, Level: chengnuo.LevelMinor, Disposal: &chengnuo.Disposal{Measures: []string{"RECTIFY"}}},
		"rectify by a date":   {CommitmentID: id, Result: chengnuo.VerifyFalse, Level: chengnuo.LevelMinor, Disposal: &chengnuo.Disposal{Measures: []string{"RECTIFY"}, RectificationDays: 5, RectificationDeadline: "2026-02-01"}},
		"rectify 366 days":    {CommitmentID: id, Result: chengnuo.VerifyFalse, Level: chengnuo.LevelMinor, Disposal: &chengnuo.Disposal{Measures: []string{"RECTIFY"}, RectificationDays: 366}},
		"days, no rectify":    {CommitmentID: id, Result: chengnuo.VerifyFalse, Level: chengnuo.LevelMinor, Disposal: &chengnuo.Disposal{Measures: []string{"TERMINATED"}, RectificationDays: 5}},
		"penalty no digest":   {CommitmentID: id, Result: chengnuo.VerifyFalse, Level: chengnuo.LevelMinor, Disposal: &chengnuo.Disposal{Measures: []string{"PENALTY"}}},
		"penalty in clear":    {CommitmentID: id, Result: chengnuo.VerifyFalse, Level: chengnuo.LevelMinor, Disposal: &chengnuo.Disposal{Measures: []string{"PENALTY"}, PenaltyDigest: "罚款五千元"}},
		"digest, no penalty":  {CommitmentID: id, Result: chengnuo.VerifyFalse, Level: chengnuo.LevelMinor, Disposal: &chengnuo.Disposal{Measures: []string{"TERMINATED"}, PenaltyDigest: digest}},
		"bad reason digest":   {CommitmentID: id, Result: chengnuo.VerifyVerified, ReasonDigest: "x"},
		"request of none":     {CommitmentID: id, Result: chengnuo.VerifyVerified, RequestID: "VRnone"},
	}
	for name, a := range bad {
		want := chengnuo.EINVALID
		if name == "request of none" {
			want = chengnuo.ENOTFOUND
		}
		if _, err := call(t, l, contract.RecordOutcome, a); chengnuo.ErrorCode(err) != want {
			t.Errorf("%s: %v", name, err)
		}
	}
	refused(t, l.as(t, "PoliceMSP"), contract.RecordOutcome, contract.OutcomeArgs{CommitmentID: id, Result: chengnuo.VerifyVerified}, chengnuo.EFORBIDDEN)
	c := must(t, l.as(t, "MarketMSP"), contract.RecordOutcome, contract.OutcomeArgs{CommitmentID: id, Result: chengnuo.VerifyUnverifiable, ReasonDigest: digest})
	if c.Verification != chengnuo.VerifyUnverifiable || c.Outcome.ReasonDigest != digest || l.events[contract.OutcomeRecorded.Name] == nil {
		t.Fatalf("outcome: %+v", c)
	}
	refused(t, l, contract.RecordOutcome, contract.OutcomeArgs{CommitmentID: id, Result: chengnuo.VerifyVerified}, chengnuo.ECONFLICT)
	refused(t, l, contract.RequestVerification, contract.RequestArgs{CommitmentID: id, DetailsDigest: digest}, chengnuo.ECONFLICT)
}

func TestEligibilityGateAndCredit(t *testing.T) {
	l, it, id := seed(t)
	c := must(t, l.as(t, "MarketMSP"), contract.RecordOutcome, falseOutcome(id))
	cid := c.Outcome.CreditID
	if cid == "" {
		t.Fatalf("no credit record: %+v", c)
	}
	next := []chengnuo.AnchorRequest{letterReq(it, hex64("12"), hex64("cd"))}
	res := must(t, l, contract.AnchorCommitments, contract.AnchorBatchArgs{Letters: next})
	if res.Results[0].Created || res.Results[0].Code != chengnuo.EINELIGIBLE {
		t.Fatalf("ineligible applicant anchored: %+v", res.Results[0])
	}
	refused(t, l, contract.GetStanding, contract.ApplicantArgs{ApplicantKey: hex64("cd")}, chengnuo.EFORBIDDEN)
	refused(t, l, contract.GetCredit, contract.IDArgs{ID: cid}, chengnuo.EFORBIDDEN)
	refused(t, l, contract.RepairCredit, contract.ReasonArgs{ID: cid, ReasonDigest: digest}, chengnuo.EFORBIDDEN)
	view := must(t, l.as(t, "CreditMSP"), contract.GetStanding, contract.ApplicantArgs{ApplicantKey: hex64("cd")})
	if view.Eligible || len(view.Records) != 1 || view.Records[0].ID != cid || view.Reason == "" || view.ApplicantKey != hex64("cd") {
		t.Fatalf("standing %+v", view)
	}
	refused(t, l, contract.GetStanding, contract.ApplicantArgs{ApplicantKey: "short"}, chengnuo.EINVALID)
	refused(t, l, contract.RepairCredit, contract.ReasonArgs{ID: cid, ReasonDigest: "short"}, chengnuo.EINVALID)
	refused(t, l, contract.GetCredit, contract.IDArgs{ID: "CRnone"}, chengnuo.ENOTFOUND)

	// Objection filed through market, rejected, then another upheld: the record is annulled.
	refused(t, l.as(t, "MarketMSP"), contract.FileObjection, contract.ReasonArgs{ID: cid, ReasonDigest: "x"}, chengnuo.EINVALID)
	ob := must(t, l, contract.FileObjection, contract.ReasonArgs{ID: cid, ReasonDigest: digest})
	refused(t, l, contract.DecideObjection, contract.DecideObjectionArgs{ID: ob.ID, ReasonDigest: digest}, chengnuo.EFORBIDDEN)
	l.as(t, "CreditMSP")
	refused(t, l, contract.DecideObjection, contract.DecideObjectionArgs{ID: ob.ID, ReasonDigest: "x"}, chengnuo.EINVALID)
	if d := must(t, l, contract.DecideObjection, contract.DecideObjectionArgs{ID: ob.ID, ReasonDigest: digest}); d.Status != chengnuo.ObjectionRejected {
		t.Fatalf("rejected: %+v", d)
	}
	refused(t, l, contract.DecideObjection, contract.DecideObjectionArgs{ID: ob.ID, ReasonDigest: digest}, chengnuo.ECONFLICT)
	l.now = l.now.Add(time.Second)
	ob2 := must(t, l.as(t, "PoliceMSP"), contract.FileObjection, contract.ReasonArgs{ID: cid, ReasonDigest: hex64("77")})
	if d := must(t, l.as(t, "CreditMSP"), contract.DecideObjection, contract.DecideObjectionArgs{ID: ob2.ID, Uphold: true, ReasonDigest: digest}); d.Status != chengnuo.ObjectionUpheld || d.DecisionDigest != digest {
		t.Fatalf("upheld: %+v", d)
	}
	if cr := must(t, l, contract.GetCredit, contract.IDArgs{ID: cid}); cr.Status != chengnuo.CreditAnnulled {
		t.Fatalf("credit record after an upheld objection: %s", cr.Status)
	}
	refused(t, l, contract.RepairCredit, contract.ReasonArgs{ID: cid, ReasonDigest: digest}, chengnuo.ECONFLICT)
	refused(t, l.as(t, "MarketMSP"), contract.FileObjection, contract.ReasonArgs{ID: cid, ReasonDigest: digest}, chengnuo.ECONFLICT)
	res = must(t, l, contract.AnchorCommitments, contract.AnchorBatchArgs{Letters: next})
	if !res.Results[0].Created {
		t.Fatalf("applicant with an annulled record refused: %+v", res.Results[0])
	}
}

func TestRepairReopensTheRoute(t *testing.T) {
	l, it, id := seed(t)
	c := must(t, l.as(t, "MarketMSP"), contract.RecordOutcome, falseOutcome(id))
	cr := must(t, l.as(t, "CreditMSP"), contract.RepairCredit, contract.ReasonArgs{ID: c.Outcome.CreditID, ReasonDigest: digest})
	if cr.Status != chengnuo.CreditRepaired || len(cr.History) != 2 {
		t.Fatalf("repaired: %+v", cr)
	}
	res := must(t, l.as(t, "MarketMSP"), contract.AnchorCommitments, contract.AnchorBatchArgs{Letters: []chengnuo.AnchorRequest{letterReq(it, hex64("13"), hex64("cd"))}})
	if !res.Results[0].Created {
		t.Fatalf("repaired applicant refused: %+v", res.Results[0])
	}
	view := must(t, l.as(t, "CreditMSP"), contract.GetStanding, contract.ApplicantArgs{ApplicantKey: hex64("cd")})
	if !view.Eligible || view.Reason != "" || len(view.Records) != 1 || view.Records[0].Status != chengnuo.CreditRepaired {
		t.Fatalf("standing after repair %+v", view)
	}
}

// Withdrawing during a verification does not escape its outcome.
func TestWithdrawalDoesNotEscapeVerification(t *testing.T) {
	l, _, id := seed(t)
	request(t, l, id)
	must(t, l, contract.Withdraw, contract.TransitionArgs{ID: id, ReasonDigest: digest})
	c := must(t, l, contract.RecordOutcome, falseOutcome(id))
	if c.Status != chengnuo.StatusWithdrawn || c.Verification != chengnuo.VerifyFalse || c.Outcome.CreditID == "" {
		t.Fatalf("outcome after withdrawal: %+v", c)
	}
	l2, _, id2 := seed(t)
	must(t, l2.as(t, "MarketMSP"), contract.Withdraw, contract.TransitionArgs{ID: id2, ReasonDigest: digest})
	refused(t, l2, contract.RecordOutcome, contract.OutcomeArgs{CommitmentID: id2, Result: chengnuo.VerifyVerified}, chengnuo.ECONFLICT)
	refused(t, l2, contract.RequestVerification, contract.RequestArgs{CommitmentID: id2, DetailsDigest: digest}, chengnuo.ECONFLICT)
}

func TestExemptItems(t *testing.T) {
	l := newLedger(t)
	ex := testItem("EX-1")
	ex.Verification = chengnuo.VerificationRule{Exempt: true}
	it := must(t, l.as(t, "JusticeMSP"), contract.PublishItem, ex)
	must(t, l.as(t, "MarketMSP"), contract.AnchorCommitments, contract.AnchorBatchArgs{Letters: []chengnuo.AnchorRequest{letterReq(it, digest, hex64("cd"))}})
	id := chengnuo.CommitmentID(digest)
	refused(t, l, contract.RequestVerification, contract.RequestArgs{CommitmentID: id, DetailsDigest: digest}, chengnuo.EINVALID)
	if c := must(t, l, contract.RecordOutcome, contract.OutcomeArgs{CommitmentID: id, Result: chengnuo.VerifyExempt}); c.Verification != chengnuo.VerifyExempt {
		t.Fatalf("exempt: %+v", c)
	}
}

func TestProposals(t *testing.T) {
	l := newLedger(t)
	must(t, l.as(t, "JusticeMSP"), contract.PublishItem, testItem("OLD-1"))
	l.as(t, "MarketMSP")
	newItem := testItem("NEW-1")
	r := hex64("5a")
	bad := map[string]contract.ProposalArgs{
		"kind":           {Kind: "DROP", Code: "OLD-1", ReasonDigest: r},
		"text reason":    {Kind: "RETIRE", Code: "OLD-1", ReasonDigest: "理由足够长"},
		"add no item":    {Kind: "ADD", ReasonDigest: r},
		"retire w/ item": {Kind: "RETIRE", Code: "OLD-1", Item: &newItem, ReasonDigest: r},
		"bad item":       {Kind: "ADD", Item: &chengnuo.Item{Code: "X"}, ReasonDigest: r},
	}
	for name, a := range bad {
		if _, err := call(t, l, contract.ProposeItemChange, a); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	old := testItem("OLD-1")
	refused(t, l, contract.ProposeItemChange, contract.ProposalArgs{Kind: "ADD", Item: &old, ReasonDigest: r}, chengnuo.ECONFLICT)
	refused(t, l, contract.ProposeItemChange, contract.ProposalArgs{Kind: "CHANGE", Item: &newItem, ReasonDigest: r}, chengnuo.ENOTFOUND)
	refused(t, l, contract.ProposeItemChange, contract.ProposalArgs{Kind: "RETIRE", Code: "NONE-1", ReasonDigest: r}, chengnuo.ENOTFOUND)
	add := must(t, l, contract.ProposeItemChange, contract.ProposalArgs{Kind: "ADD", Item: &newItem, ReasonDigest: r})
	ret := must(t, l, contract.ProposeItemChange, contract.ProposalArgs{Kind: "RETIRE", Code: "OLD-1", ReasonDigest: r})
	rej := must(t, l, contract.ProposeItemChange, contract.ProposalArgs{Kind: "CHANGE", Item: &old, ReasonDigest: r})
	if add.ReasonDigest != r {
		t.Fatalf("proposal %+v", add)
	}
	d := hex64("d1")
	refused(t, l, contract.DecideProposal, contract.DecideProposalArgs{ID: add.ID, Approve: true, ReasonDigest: d}, chengnuo.EFORBIDDEN)
	l.as(t, "JusticeMSP")
	refused(t, l, contract.DecideProposal, contract.DecideProposalArgs{ID: add.ID, Approve: true, ReasonDigest: "经审核同意"}, chengnuo.EINVALID)
	refused(t, l, contract.DecideProposal, contract.DecideProposalArgs{ID: "PRnone", Approve: true, ReasonDigest: d}, chengnuo.ENOTFOUND)
	if got := must(t, l, contract.DecideProposal, contract.DecideProposalArgs{ID: add.ID, Approve: true, ReasonDigest: d}); got.Status != "APPROVED" || got.Version != 1 || got.DecisionDigest != d {
		t.Fatalf("add: %+v", got)
	}
	if got := must(t, l, contract.DecideProposal, contract.DecideProposalArgs{ID: ret.ID, Approve: true, ReasonDigest: d}); got.Status != "APPROVED" {
		t.Fatalf("retire: %+v", got)
	}
	if got := must(t, l, contract.DecideProposal, contract.DecideProposalArgs{ID: rej.ID, ReasonDigest: d}); got.Status != "REJECTED" {
		t.Fatalf("reject: %+v", got)
	}
	refused(t, l, contract.DecideProposal, contract.DecideProposalArgs{ID: rej.ID, Approve: true, ReasonDigest: d}, chengnuo.ECONFLICT)
	if it := must(t, l, contract.GetItem, contract.ItemArgs{Code: "OLD-1"}); it.Status != chengnuo.ItemRetired {
		t.Fatalf("OLD-1 is %s", it.Status)
	}
	if p := must(t, l, contract.GetProposal, contract.IDArgs{ID: add.ID}); p.Status != "APPROVED" || p.From != "MarketMSP" {
		t.Fatalf("get: %+v", p)
	}
}

// sealed is a shared text with its salt and digest.
func sealed(kind, ref, from, text string) (chengnuo.SharedText, []byte) {
	salt := []byte("0123456789abcdef")
	st := chengnuo.SharedText{Kind: kind, Ref: ref, Digest: sm.TextDigest(salt, text), Text: text, Salt: hex.EncodeToString(salt), From: from}
	raw, _ := json.Marshal(st)
	return st, raw
}

// A text reaches only the department its kind entitles, and only from the
// department that wrote the record; the ledger never holds it.
func TestShareText(t *testing.T) {
	l, _, id := seed(t)
	r := request(t, l, id)
	decline, raw := sealed(chengnuo.TextDecline, r.ID, "PoliceMSP", "本部门不掌握该项数据")
	share := contract.ShareArgs{Kind: decline.Kind, Ref: decline.Ref, Digest: decline.Digest}
	l.trans = map[string][]byte{contract.TransientText: raw}
	l.peer = "MarketMSP"
	refused(t, l.as(t, "PoliceMSP"), contract.ShareText, share, chengnuo.ENOTFOUND) // not declined yet
	must(t, l, contract.AnswerVerification, contract.AnswerArgs{RequestID: r.ID, DeclineDigest: decline.Digest})
	refused(t, l.as(t, "MarketMSP"), contract.ShareText, share, chengnuo.EFORBIDDEN) // the requester did not write it
	l.as(t, "PoliceMSP")
	other, otherRaw := sealed(chengnuo.TextDecline, r.ID, "PoliceMSP", "另一个理由")
	refused(t, l, contract.ShareText, contract.ShareArgs{Kind: other.Kind, Ref: other.Ref, Digest: other.Digest}, chengnuo.EINVALID)
	for name, tm := range map[string]map[string][]byte{
		"no text":      nil,
		"another text": {contract.TransientText: otherRaw},
		"not json":     {contract.TransientText: []byte("x")},
		"too large":    {contract.TransientText: make([]byte, contract.MaxTextBytes+1)},
	} {
		l.trans = tm
		if _, err := call(t, l, contract.ShareText, share); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	refused(t, l, contract.ShareText, contract.ShareArgs{Kind: "gossip", Ref: r.ID, Digest: decline.Digest}, chengnuo.EINVALID)
	l.trans = map[string][]byte{contract.TransientText: raw}
	must(t, l, contract.ShareText, share)
	l.trans = nil
	for _, k := range l.world.Keys() {
		if strings.Contains(string(l.world.Get(k)), decline.Text) {
			t.Fatal("the text went to public state")
		}
	}
	got := must(t, l.as(t, "MarketMSP"), contract.GetText, contract.DigestArgs{Digest: decline.Digest})
	if got.Text != decline.Text || got.From != "PoliceMSP" {
		t.Fatalf("text at the requester: %+v", got)
	}
	l.peer = "CreditMSP"
	refused(t, l.as(t, "CreditMSP"), contract.GetText, contract.DigestArgs{Digest: decline.Digest}, chengnuo.ENOTFOUND)
	refused(t, l, contract.GetText, contract.DigestArgs{Digest: "x"}, chengnuo.EINVALID)
}
