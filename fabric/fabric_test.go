package fabric_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/fabric"
	"github.com/chengnuo/chengnuo/internal/fabrictest"
	"github.com/chengnuo/chengnuo/sm"
)

func item(code string) *chengnuo.Item {
	return &chengnuo.Item{Code: code, Name: "测试事项", Department: "MarketMSP", Purpose: "p", LegalBasis: "b", Content: "c",
		EligibleApplicants: "e", CommitmentMethod: "m", VerificationPower: "v", Liability: "l",
		Verification: chengnuo.VerificationRule{Method: "ONLINE", Department: "PoliceMSP", TimeLimitDays: 5}}
}

func digestOf(s string) string { return sm.SM3Hex([]byte(s)) }

type orgs struct {
	net                           *fabrictest.Network
	justice, market, police, cred *fabric.Client
}

func newOrgs(t *testing.T) *orgs {
	n := fabrictest.NewNetwork(t)
	return &orgs{net: n, justice: n.Client(t, "JusticeMSP"), market: n.Client(t, "MarketMSP"),
		police: n.Client(t, "PoliceMSP"), cred: n.Client(t, "CreditMSP")}
}

// anchor publishes (once) item code and anchors letters for it at market.
func (o *orgs) anchor(t *testing.T, code string, letters ...string) []chengnuo.AnchorResult {
	t.Helper()
	ctx := t.Context()
	it, err := o.market.GetItem(ctx, code, 0)
	if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
		it, err = o.justice.PublishItem(ctx, item(code))
	}
	if err != nil {
		t.Fatal(err)
	}
	var reqs []chengnuo.AnchorRequest
	for _, l := range letters {
		reqs = append(reqs, chengnuo.AnchorRequest{LetterDigest: digestOf(l), ItemCode: code, ItemVersion: it.Version,
			NoticeDigest: it.NoticeDigest, ApplicantKey: digestOf("applicant " + l), SignedBy: chengnuo.SignedSM2})
	}
	res, err := o.market.AnchorCommitments(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}
	// The chaincode names only refused letters; the client names them all.
	for i, r := range res {
		if r.LetterDigest != reqs[i].LetterDigest {
			t.Fatalf("result %d names %q, want %s", i, r.LetterDigest, reqs[i].LetterDigest)
		}
	}
	return res
}

func code(t *testing.T, err error, want string) {
	t.Helper()
	if got := chengnuo.ErrorCode(err); got != want {
		t.Fatalf("code %s (%v), want %s", got, err, want)
	}
}

func TestAnchorAndFind(t *testing.T) {
	o := newOrgs(t)
	ctx := t.Context()
	d := digestOf("bare")
	a, err := o.market.Anchor(ctx, strings.ToUpper(d))
	if err != nil || a.Digest != d || a.Org != "MarketMSP" || a.BlockNumber == 0 || a.TxID == "" {
		t.Fatalf("anchor: %+v %v", a, err)
	}
	got, err := o.police.FindAnchor(ctx, d)
	if err != nil || got.TxID != a.TxID || got.BlockNumber != a.BlockNumber {
		t.Fatalf("find at another org: %+v %v", got, err)
	}
	_, err = o.police.Anchor(ctx, d)
	code(t, err, chengnuo.ECONFLICT)
	var e *chengnuo.Error
	if !errors.As(err, &e) || e.TxID != a.TxID || e.Detail.(*chengnuo.Anchor).Org != "MarketMSP" {
		t.Fatalf("conflict does not carry the first record: %+v", e)
	}
	_, err = o.market.FindAnchor(ctx, digestOf("never"))
	code(t, err, chengnuo.ENOTFOUND)
	_, err = o.market.Anchor(ctx, "xyz")
	code(t, err, chengnuo.EINVALID)
	if err := o.market.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestCatalogPagesAndVersions(t *testing.T) {
	o := newOrgs(t)
	ctx := t.Context()
	for _, c := range []string{"A-1", "B-1", "C-1", "D-1", "E-1"} {
		if _, err := o.justice.PublishItem(ctx, item(c)); err != nil {
			t.Fatal(err)
		}
	}
	_, err := o.market.PublishItem(ctx, item("X-1"))
	code(t, err, chengnuo.EFORBIDDEN)
	v2, err := o.justice.PublishItem(ctx, item("A-1"))
	if err != nil || v2.Version != 2 {
		t.Fatalf("new version: %+v %v", v2, err)
	}
	v1, err := o.market.GetItem(ctx, "A-1", 1)
	if err != nil || v1.Status != chengnuo.ItemSuperseded {
		t.Fatalf("old version: %+v %v", v1, err)
	}
	var codes []string
	p := chengnuo.Page{Size: 2}
	for pages := 0; ; pages++ {
		l, err := o.market.ListItems(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range l.Items {
			codes = append(codes, it.Code)
		}
		if !l.More {
			break
		}
		if pages > 5 || l.Bookmark == "" {
			t.Fatalf("paging does not end: %+v", l)
		}
		p.Bookmark = l.Bookmark
	}
	if strings.Join(codes, ",") != "A-1,B-1,C-1,D-1,E-1" {
		t.Fatalf("paged catalog = %v", codes)
	}
	_, err = o.market.ListItems(ctx, chengnuo.Page{Size: chengnuo.MaxPageSize + 1})
	code(t, err, chengnuo.EINVALID)
	r, err := o.justice.RetireItem(ctx, "B-1")
	if err != nil || r.Status != chengnuo.ItemRetired {
		t.Fatalf("retire: %+v %v", r, err)
	}
	_, err = o.justice.RetireItem(ctx, "B-1")
	code(t, err, chengnuo.ECONFLICT)
}

func TestCommitmentLifecycle(t *testing.T) {
	o := newOrgs(t)
	ctx := t.Context()
	res := o.anchor(t, "T-1", "letter one", "letter two")
	if !res[0].Created || !res[1].Created || res[0].Record.BlockNumber == 0 {
		t.Fatalf("anchor: %+v", res)
	}
	// The batch went in the compact form: its notice once, then rows.
	args := o.net.Args(res[0].Record.TxID)
	if len(args) != 2 || string(args[0]) != contract.AnchorCommitments.Name ||
		!bytes.HasPrefix(args[1], []byte(`{"notices":[{"itemCode":"T-1",`)) || bytes.Count(args[1], []byte(`"noticeDigest"`)) != 1 ||
		!bytes.Contains(args[1], []byte(`"rows":[["`+digestOf("letter one")+`","`+digestOf("applicant letter one")+`",0,"SM2"],`)) {
		t.Fatalf("anchoring arguments: %q", args)
	}
	again := o.anchor(t, "T-1", "letter one")
	if again[0].Created || again[0].Code != chengnuo.ECONFLICT || again[0].Record.TxID != res[0].Record.TxID ||
		again[0].Record.BlockNumber != res[0].Record.BlockNumber {
		t.Fatalf("second anchoring: %+v", again[0])
	}
	id := res[0].Record.ID
	c, err := o.police.GetCommitment(ctx, id)
	if err != nil || c.LetterDigest != digestOf("letter one") || c.BlockNumber != res[0].Record.BlockNumber {
		t.Fatalf("get: %+v %v", c, err)
	}
	// The batch's answer carries no records: the client rebuilds them, and
	// they must be exactly what the chaincode wrote.
	if !reflect.DeepEqual(c, res[0].Record) {
		t.Fatalf("rebuilt record differs from the ledger's:\n%+v\n%+v", res[0].Record, c)
	}
	_, err = o.police.Withdraw(ctx, id, digestOf("reason"))
	code(t, err, chengnuo.EFORBIDDEN)
	w, err := o.market.Withdraw(ctx, id, digestOf("reason"))
	if err != nil || w.Status != chengnuo.StatusWithdrawn || w.History[1].ReasonDigest != digestOf("reason") {
		t.Fatalf("withdraw: %+v %v", w, err)
	}
	_, err = o.market.Conclude(ctx, id)
	code(t, err, chengnuo.ECONFLICT)
	if c, err := o.market.Conclude(ctx, res[1].Record.ID); err != nil || c.Status != chengnuo.StatusConcluded {
		t.Fatalf("conclude: %+v %v", c, err)
	}
	_, err = o.market.GetCommitment(ctx, "CNnone")
	code(t, err, chengnuo.ENOTFOUND)
}

func TestVerificationCreditAndSampling(t *testing.T) {
	o := newOrgs(t)
	ctx := t.Context()
	res := o.anchor(t, "T-1", "checked letter")
	id := res[0].Record.ID
	details, _ := json.Marshal(chengnuo.RequestDetails{CommitmentID: id, Name: "张三", IDType: "RESIDENT_ID", IDNumber: "11010519491231002X", Claim: "c", Salt: "00"})
	r, err := o.market.RequestVerification(ctx, id, sm.SM3Hex(details))
	if err != nil || r.To != "PoliceMSP" || r.Status != chengnuo.RequestPending {
		t.Fatalf("request: %+v %v", r, err)
	}
	_, err = o.market.RequestVerification(ctx, id, sm.SM3Hex(details))
	code(t, err, chengnuo.ECONFLICT)
	code(t, o.market.DeliverDetails(ctx, r, []byte(`{"commitmentId":"other"}`)), chengnuo.EINVALID)
	if err := o.market.DeliverDetails(ctx, r, details); err != nil {
		t.Fatal(err)
	}
	if got := o.net.World.Private(contract.ImplicitCollection("PoliceMSP"), "details~"+r.ID); string(got) != string(details) {
		t.Fatalf("details not in the target's collection: %q", got)
	}
	d, err := o.police.GetRequestDetails(ctx, r.ID)
	if err != nil || d.Name != "张三" {
		t.Fatalf("details at target: %+v %v", d, err)
	}
	_, err = o.market.GetRequestDetails(ctx, r.ID)
	code(t, err, chengnuo.EFORBIDDEN)
	code(t, o.police.PurgeDetails(ctx, r), chengnuo.ECONFLICT)
	ans, err := o.police.AnswerVerification(ctx, r.ID, chengnuo.Answer{Result: chengnuo.AnswerInconsistent, EvidenceDigest: digestOf("e")})
	if err != nil || ans.Status != chengnuo.RequestAnswered || ans.Answer.Overdue {
		t.Fatalf("answer: %+v %v", ans, err)
	}
	if err := o.police.PurgeDetails(ctx, r); err != nil {
		t.Fatal(err)
	}
	_, err = o.police.GetRequestDetails(ctx, r.ID)
	code(t, err, chengnuo.ENOTFOUND)
	for _, side := range []struct {
		c    *fabric.Client
		side string
	}{{o.police, "to"}, {o.market, "from"}} {
		l, err := side.c.ListRequests(ctx, side.side, chengnuo.Page{})
		if err != nil || len(l.Items) != 1 || l.Items[0].ID != r.ID || l.More {
			t.Fatalf("list %s: %+v %v", side.side, l, err)
		}
	}
	got, err := o.justice.GetVerification(ctx, r.ID)
	if err != nil || got.Status != chengnuo.RequestAnswered {
		t.Fatalf("get request: %+v %v", got, err)
	}

	c, err := o.market.RecordOutcome(ctx, id, chengnuo.Outcome{Result: chengnuo.VerifyFalse, RequestID: r.ID, Level: chengnuo.LevelSerious,
		Disposal: &chengnuo.Disposal{Measures: []string{chengnuo.MeasureTerminated}}})
	if err != nil || c.Outcome.CreditID == "" {
		t.Fatalf("outcome: %+v %v", c, err)
	}
	view, err := o.cred.GetStanding(ctx, c.ApplicantKey)
	if err != nil || view.Eligible || len(view.Records) != 1 || view.Records[0].ID != c.Outcome.CreditID {
		t.Fatalf("applicant: %+v %v", view, err)
	}
	_, err = o.market.GetStanding(ctx, c.ApplicantKey)
	code(t, err, chengnuo.EFORBIDDEN)
	refused := o.anchor(t, "T-1", "checked letter")
	if refused[0].Code != chengnuo.ECONFLICT {
		t.Fatalf("same letter again: %+v", refused[0])
	}
	ob, err := o.market.FileObjection(ctx, c.Outcome.CreditID, digestOf("objection"))
	if err != nil || ob.Status != chengnuo.ObjectionPending {
		t.Fatalf("objection: %+v %v", ob, err)
	}
	dec, err := o.cred.DecideObjection(ctx, ob.ID, false, digestOf("decision"))
	if err != nil || dec.Status != chengnuo.ObjectionRejected || dec.DecisionDigest != digestOf("decision") {
		t.Fatalf("decide: %+v %v", dec, err)
	}
	cr, err := o.cred.RepairCredit(ctx, c.Outcome.CreditID, digestOf("repair"))
	if err != nil || cr.Status != chengnuo.CreditRepaired {
		t.Fatalf("repair: %+v %v", cr, err)
	}
	if got, err := o.cred.GetCredit(ctx, cr.ID); err != nil || got.Status != chengnuo.CreditRepaired {
		t.Fatalf("get credit: %+v %v", got, err)
	}

	o.anchor(t, "T-1", "s1", "s2", "s3")
	from := time.Now().Add(-time.Hour)
	pool := []string{"I-1", "I-2", "I-3"}
	secret := strings.Repeat("ab", 32)
	raw, _ := hex.DecodeString(secret)
	sp, err := o.market.DrawSample(ctx, chengnuo.SampleRequest{ItemCode: "T-1", From: from, To: time.Now().Add(time.Hour), BasePermille: 1000, Inspectors: pool}, sm.SM3Hex(raw))
	if err != nil || len(sp.Candidates) != 4 || sp.Status != chengnuo.SampleDrawn {
		t.Fatalf("sample: %+v %v", sp, err)
	}
	if _, err := o.police.ContributeSample(ctx, sp.ID, strings.Repeat("cd", 32)); err != nil {
		t.Fatal(err)
	}
	pub, err := o.market.PublishSample(ctx, sp.ID, secret)
	if err != nil || len(pub.Selected) != 4 || len(pub.Assignments) != 4 || pub.Status != chengnuo.SamplePublished {
		t.Fatalf("publish: %+v %v", pub, err)
	}
	if got, err := o.police.GetSample(ctx, sp.ID); err != nil || got.Seed != pub.Seed {
		t.Fatalf("get sample: %+v %v", got, err)
	}
	empty, err := o.market.DrawSample(ctx, chengnuo.SampleRequest{ItemCode: "T-1", From: from.Add(-48 * time.Hour), To: from.Add(-24 * time.Hour), BasePermille: 10, Inspectors: pool}, sm.SM3Hex(raw))
	if err != nil || len(empty.Candidates) != 0 {
		t.Fatalf("sample of an empty period: %+v %v", empty, err)
	}
}

func TestProposals(t *testing.T) {
	o := newOrgs(t)
	ctx := t.Context()
	p, err := o.market.ProposeItemChange(ctx, chengnuo.Proposal{Kind: "ADD", Item: item("N-1"), ReasonDigest: digestOf("建议新增此事项")})
	if err != nil || p.Status != "PENDING" || p.From != "MarketMSP" {
		t.Fatalf("propose: %+v %v", p, err)
	}
	_, err = o.market.DecideProposal(ctx, p.ID, true, digestOf("自己批准自己"))
	code(t, err, chengnuo.EFORBIDDEN)
	d, err := o.justice.DecideProposal(ctx, p.ID, true, digestOf("经审核同意新增"))
	if err != nil || d.Status != "APPROVED" || d.Version != 1 {
		t.Fatalf("decide: %+v %v", d, err)
	}
	if got, err := o.police.GetProposal(ctx, p.ID); err != nil || got.Status != "APPROVED" {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := o.police.GetItem(ctx, "N-1", 0); err != nil {
		t.Fatal(err)
	}
}

func TestLedgerTimeAndHeight(t *testing.T) {
	o := newOrgs(t)
	ctx := t.Context()
	_, err := o.market.LedgerTime(ctx)
	code(t, err, chengnuo.EUNAVAILABLE) // only the genesis block
	before := time.Now().Add(-time.Second)
	if _, err := o.market.Anchor(ctx, digestOf("tick")); err != nil {
		t.Fatal(err)
	}
	at, err := o.police.LedgerTime(ctx)
	if err != nil || at.Before(before) || at.After(time.Now().Add(time.Second)) {
		t.Fatalf("ledger time %s, %v", at, err)
	}
	h, err := o.police.Height(ctx)
	if err != nil || h != o.net.Height() {
		t.Fatalf("height %d, %v; want %d", h, err, o.net.Height())
	}
}

func TestSubmitFailuresAreMapped(t *testing.T) {
	o := newOrgs(t)
	ctx := t.Context()
	o.net.FailSubmit = func(string) error { return errors.New("orderer down") }
	_, err := o.market.Anchor(ctx, digestOf("x"))
	code(t, err, chengnuo.EUNAVAILABLE)
	// An unconfirmed submission may still commit (with SmartBFT, orderers
	// that already ordered it refuse it again): never "not recorded".
	var se *chengnuo.Error
	if !errors.As(err, &se) || se.TxID == "" || !strings.Contains(se.Message, "may still commit") || strings.Contains(se.Message, "not recorded") {
		t.Fatalf("unconfirmed submission: %+v", se)
	}
	o.net.FailSubmit = nil
	o.net.FailCommitStatus = func(string) error { return errors.New("slow") }
	_, err = o.market.Anchor(ctx, digestOf("y"))
	code(t, err, chengnuo.EUNAVAILABLE)
	var e *chengnuo.Error
	if !errors.As(err, &e) || e.TxID == "" || !strings.Contains(e.Message, "may still commit") {
		t.Fatalf("unknown commit status: %+v", e)
	}
	o.net.FailCommitStatus = nil
	// It did commit: the record is there.
	if _, err := o.police.FindAnchor(ctx, digestOf("y")); err != nil {
		t.Fatal(err)
	}
}

// A transaction whose ordering failed once, or whose commit status did not
// come once, or that was ordered although its submission was reported
// failed, commits exactly once: the client sees no error. Only one that
// was not ordered is submitted again; the others' commit status is asked
// for first.
func TestUnknownOutcomeIsRetriedOnce(t *testing.T) {
	o := newOrgs(t)
	ctx := t.Context()
	for _, mode := range []string{"submit", "commit status", "ordered"} {
		var failed atomic.Bool
		once := func(string) error {
			if failed.CompareAndSwap(false, true) {
				return errors.New("injected")
			}
			return nil
		}
		switch mode {
		case "submit":
			o.net.FailSubmit = once
		case "commit status":
			o.net.FailCommitStatus = once
		default:
			o.net.FailOrdered = once
		}
		height, resubmitted := o.net.Height(), o.net.Resubmitted()
		a, err := o.market.Anchor(ctx, digestOf("retry "+mode))
		o.net.FailSubmit, o.net.FailCommitStatus, o.net.FailOrdered = nil, nil, nil
		if err != nil || !failed.Load() {
			t.Fatalf("%s failing once: %v (injected: %v)", mode, err, failed.Load())
		}
		if got := o.net.Height(); got != height+1 || a.BlockNumber != height {
			t.Fatalf("%s failing once: %d blocks added, anchored in block %d; want one, block %d", mode, got-height, a.BlockNumber, height)
		}
		if got := o.net.Resubmitted() - resubmitted; got != 0 {
			t.Fatalf("%s failing once: %d copies of the ordered transaction submitted again", mode, got)
		}
	}
}

// An endorser that has not committed the record yet answers NOT_FOUND: the
// endorsement is tried again and succeeds once it has; a record that does
// not exist is still NOT_FOUND.
func TestEndorserLagIsWaitedOut(t *testing.T) {
	o := newOrgs(t)
	ctx := t.Context()
	res := o.anchor(t, "T-1", "lagging")
	var lagged atomic.Int32
	o.net.LagEndorse = func(fn string) string {
		if fn == contract.Withdraw.Name && lagged.Add(1) <= 2 {
			return "NOT_FOUND: commitment " + res[0].Record.ID + " does not exist"
		}
		return ""
	}
	defer func() { o.net.LagEndorse = nil }()
	if w, err := o.market.Withdraw(ctx, res[0].Record.ID, digestOf("r")); err != nil || w.Status != chengnuo.StatusWithdrawn || lagged.Load() != 3 {
		t.Fatalf("withdraw behind a lagging endorser: %+v %v (%d endorsements)", w, err, lagged.Load())
	}
	_, err := o.market.Withdraw(ctx, "CN000000000000000000000000", digestOf("r"))
	code(t, err, chengnuo.ENOTFOUND)
}

// Two transactions that read and write the same key: one wins, the other
// is refused at commit as ABORTED (retryable), not as a duplicate.
func TestConcurrentWritesAbortOne(t *testing.T) {
	o := newOrgs(t)
	ctx := t.Context()
	if _, err := o.justice.PublishItem(ctx, item("R-1")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = o.justice.PublishItem(context.WithoutCancel(ctx), item("R-1"))
		})
	}
	wg.Wait()
	ok, aborted := 0, 0
	for _, err := range errs {
		switch chengnuo.ErrorCode(err) {
		case "":
			ok++
		case chengnuo.EABORTED:
			aborted++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	it, _ := o.justice.GetItem(ctx, "R-1", 0)
	if ok == 0 || it.Version != 1+ok {
		t.Fatalf("%d succeeded, %d aborted, latest version %d", ok, aborted, it.Version)
	}
}

// handler records the events it is given; its first call fails, to show
// that a failed handling is retried.
type handler struct {
	mu       sync.Mutex
	failed   bool
	seen     map[string]int
	answered map[string]int
	changed  map[string]string
}

func (h *handler) note(m map[string]int, id string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.failed {
		h.failed = true
		return errors.New("transient")
	}
	m[id]++
	return nil
}

func (h *handler) VerificationRequested(_ context.Context, r *chengnuo.VerificationRequest) error {
	return h.note(h.seen, r.ID)
}

func (h *handler) VerificationAnswered(_ context.Context, r *chengnuo.VerificationRequest) error {
	return h.note(h.answered, r.ID)
}

func (h *handler) CommitmentChanged(_ context.Context, c *chengnuo.Commitment) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.changed[c.ID] = c.Status + "/" + c.Verification
	return nil
}

func (h *handler) SampleChanged(context.Context, *chengnuo.Sample) error { return nil }
func (h *handler) ItemChanged(context.Context, *chengnuo.Item) error     { return nil }

func (h *handler) count() (int, int, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.seen), len(h.answered), len(h.changed)
}

func TestListen(t *testing.T) {
	o := newOrgs(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	h := &handler{seen: map[string]int{}, answered: map[string]int{}, changed: map[string]string{}}
	done := make(chan error, 1)
	go func() { done <- o.police.Listen(ctx, h) }()
	var ids []string
	for _, l := range []string{"e1", "e2", "e3"} {
		res := o.anchor(t, "T-1", l)
		r, err := o.market.RequestVerification(ctx, res[0].Record.ID, digestOf("d"+l))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if _, err := o.police.AnswerVerification(ctx, ids[0], chengnuo.Answer{Result: chengnuo.AnswerConsistent, EvidenceDigest: digestOf("e")}); err != nil {
		t.Fatal(err)
	}
	w := o.anchor(t, "T-1", "withdrawn")
	if _, err := o.market.Withdraw(ctx, w[0].Record.ID, digestOf("why")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, a, c := h.count()
		if s == len(ids) && a == 1 && c == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("handled %v / %v / %v", h.seen, h.answered, h.changed)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("listener returned %v", err)
	}
	for _, id := range ids {
		if h.seen[id] != 1 {
			t.Fatalf("request %s handled %d times", id, h.seen[id])
		}
	}
	if h.changed[w[0].Record.ID] != chengnuo.StatusWithdrawn+"/" {
		t.Fatalf("changed %v", h.changed)
	}
}

func TestShareAndGetText(t *testing.T) {
	o := newOrgs(t)
	ctx := t.Context()
	res := o.anchor(t, "T-1", "declined letter")
	r, err := o.market.RequestVerification(ctx, res[0].Record.ID, digestOf("d"))
	if err != nil {
		t.Fatal(err)
	}
	salt := []byte("0123456789abcdef")
	text := "本部门不掌握该项数据"
	d := sm.TextDigest(salt, text)
	if _, err := o.police.AnswerVerification(ctx, r.ID, chengnuo.Answer{DeclineDigest: d}); err != nil {
		t.Fatal(err)
	}
	st := chengnuo.SharedText{Kind: chengnuo.TextDecline, Ref: r.ID, Digest: d, Text: text, Salt: hex.EncodeToString(salt), From: "PoliceMSP"}
	code(t, o.market.ShareText(ctx, "MarketMSP", st), chengnuo.EFORBIDDEN)
	if err := o.police.ShareText(ctx, "MarketMSP", st); err != nil {
		t.Fatal(err)
	}
	got, err := o.market.GetText(ctx, d)
	if err != nil || got.Text != text {
		t.Fatalf("text: %+v %v", got, err)
	}
	_, err = o.police.GetText(ctx, d)
	code(t, err, chengnuo.ENOTFOUND)
}

func TestCorruptCheckpointIsRefusedWithTheRecovery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.checkpoint")
	if err := fabric.CheckCheckpoint(path); err != nil {
		t.Fatalf("a first start (no file): %v", err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := fabric.CheckCheckpoint(path)
	if err == nil || !strings.Contains(err.Error(), "move it aside") {
		t.Fatalf("a corrupt checkpoint: %v", err)
	}
}

// Concurrent anchorings of one digest: one wins; every other ends CONFLICT
// carrying the winner's record (a race lost at commit is tried again).
func TestConcurrentAnchorsReportTheWinner(t *testing.T) {
	o := newOrgs(t)
	ctx := t.Context()
	d := digestOf("raced")
	var wg sync.WaitGroup
	errs := make([]error, 6)
	wins := make([]*chengnuo.Anchor, 6)
	for i := range errs {
		c := []*fabric.Client{o.market, o.police}[i%2]
		wg.Go(func() { wins[i], errs[i] = c.Anchor(ctx, d) })
	}
	wg.Wait()
	var winner string
	for i, err := range errs {
		if err == nil {
			if winner != "" {
				t.Fatalf("two anchorings of one digest: %s and %s", winner, wins[i].TxID)
			}
			winner = wins[i].TxID
		}
	}
	for i, err := range errs {
		if err == nil {
			continue
		}
		var e *chengnuo.Error
		if !errors.As(err, &e) || e.Code != chengnuo.ECONFLICT || e.TxID != winner {
			t.Fatalf("anchoring %d: %v (tx %v), want CONFLICT with the winner %s", i, err, e, winner)
		}
	}
}

// Anchoring batches name the endorsers discovery chose for an earlier one,
// so all of them endorse at once. A named organization that cannot endorse,
// or a policy that now needs more, costs one attempt: the batch is endorsed
// again as discovery chooses, and anchored once.
func TestAnchoringNamesLearnedEndorsers(t *testing.T) {
	o := newOrgs(t)
	endorsed := func(res []chengnuo.AnchorResult) ([]string, bool) {
		t.Helper()
		if len(res) != 1 || !res[0].Created {
			t.Fatalf("anchoring: %+v", res)
		}
		return o.net.Endorsers(res[0].Record.TxID)
	}
	orgs, named := endorsed(o.anchor(t, "E-1", "first"))
	if named || !reflect.DeepEqual(orgs, []string{"MarketMSP", "PoliceMSP", "CreditMSP"}) {
		t.Fatalf("first batch endorsed by %v (named %v), want discovery's choice", orgs, named)
	}
	orgs, named = endorsed(o.anchor(t, "E-1", "second"))
	if !named || !reflect.DeepEqual(orgs, []string{"MarketMSP", "CreditMSP", "PoliceMSP"}) {
		t.Fatalf("second batch endorsed by %v (named %v), want the learned organizations named", orgs, named)
	}
	// Other transactions leave the choice to discovery.
	w, err := o.market.Withdraw(t.Context(), o.anchor(t, "E-1", "withdrawn")[0].Record.ID, digestOf("r"))
	if err != nil {
		t.Fatal(err)
	}
	if _, named := o.net.Endorsers(w.History[len(w.History)-1].TxID); named {
		t.Fatal("a withdrawal named its endorsers")
	}

	// Police's peers are down: the named set fails, discovery's choice
	// (without police) endorses, and is learned.
	o.net.SetDown("PoliceMSP", true)
	orgs, named = endorsed(o.anchor(t, "E-1", "police down"))
	if named || !reflect.DeepEqual(orgs, []string{"MarketMSP", "CreditMSP", "JusticeMSP"}) {
		t.Fatalf("with police down endorsed by %v (named %v), want discovery's new choice", orgs, named)
	}
	orgs, named = endorsed(o.anchor(t, "E-1", "police still down"))
	if !named || slices.Contains(orgs, "PoliceMSP") {
		t.Fatalf("after police failed a named set, endorsed by %v (named %v)", orgs, named)
	}
	o.net.SetDown("PoliceMSP", false)

	// The policy now needs all four: the named three are refused at commit,
	// the batch is made again, and its letter is anchored once.
	o.net.Majority = 4
	height := o.net.Height()
	res := o.anchor(t, "E-1", "stricter policy")
	orgs, named = endorsed(res)
	if named || len(orgs) != 4 {
		t.Fatalf("under the stricter policy endorsed by %v (named %v), want discovery's four", orgs, named)
	}
	if got := o.net.Height() - height; got != 2 {
		t.Fatalf("%d blocks for one batch, want 2 (the refused one, then the one that counts)", got)
	}
	again, err := o.market.AnchorCommitments(t.Context(), []chengnuo.AnchorRequest{{LetterDigest: res[0].LetterDigest,
		ItemCode: "E-1", ItemVersion: res[0].Record.ItemVersion, NoticeDigest: res[0].Record.NoticeDigest,
		ApplicantKey: res[0].Record.ApplicantKey, SignedBy: chengnuo.SignedSM2}})
	if err != nil || again[0].Code != chengnuo.ECONFLICT || again[0].Record.TxID != res[0].Record.TxID {
		t.Fatalf("the letter again: %+v %v, want the one record", again, err)
	}
	if _, named := o.net.Endorsers(again[0].Record.TxID); named {
		t.Fatal("the record is the refused transaction's")
	}
}
