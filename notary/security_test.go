package notary_test

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
	letterpkg "github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/notary"
	"github.com/chengnuo/chengnuo/sm"
)

// Texts never reach the ledger in clear; each reaches the department its
// kind entitles, and no other.
func TestTextsReachTheEntitledOnly(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	j := e.dept("JusticeMSP", notary.Config{})
	m := e.dept("MarketMSP", notary.Config{})
	p := e.dept("PoliceMSP", notary.Config{})
	c := e.dept("CreditMSP", notary.Config{})
	ctx := t.Context()
	rc, _ := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice))
	r, err := m.svc.RequestVerification(ctx, rc.CommitmentID, "核查户籍")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"no", "数据含有身份证号110101198501010011", "身份证 1101-0519-4912-3100-2X", "电话 138 0000 0000", "电话138.0000.0000"} {
		if _, err := p.svc.Answer(ctx, r.ID, chengnuo.AnswerRequest{DeclineReason: bad}); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Errorf("decline reason %q: %v", bad, err)
		}
	}
	const why = "本部门不掌握该项数据，请向教育部门申请核查"
	d, err := p.svc.Answer(ctx, r.ID, chengnuo.AnswerRequest{DeclineReason: why})
	if err != nil || d.Status != chengnuo.RequestDeclined || d.Answer.DeclineDigest == "" {
		t.Fatalf("decline: %+v %v", d, err)
	}
	got, err := m.svc.Text(ctx, d.Answer.DeclineDigest)
	if err != nil || got.Text != why || got.From != "PoliceMSP" {
		t.Fatalf("the requester reads %+v, %v", got, err)
	}
	if _, err := c.svc.Text(ctx, d.Answer.DeclineDigest); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("another department read the reason: %v", err)
	}
	if own, err := p.svc.Text(ctx, d.Answer.DeclineDigest); err != nil || own.Text != why {
		t.Fatalf("the author reads %+v, %v", own, err)
	}
	// A salted digest: recomputable from the text and its salt only.
	salt, _ := hex.DecodeString(got.Salt)
	if sm.TextDigest(salt, why) != d.Answer.DeclineDigest || sm.SM3Hex([]byte(why)) == d.Answer.DeclineDigest {
		t.Fatal("the digest is not the salted digest of the text")
	}

	// A false commitment's penalty stays with the anchoring department.
	out, err := m.svc.RecordOutcome(ctx, rc.CommitmentID, chengnuo.OutcomeRequest{Result: chengnuo.VerifyFalse, RequestID: r.ID, Level: chengnuo.LevelMinor,
		Disposal: &chengnuo.DisposalRequest{Measures: []string{chengnuo.MeasurePenalty}, Penalty: "罚款五千元"}})
	if err != nil || out.Outcome.Disposal.PenaltyDigest == "" {
		t.Fatalf("outcome: %+v %v", out, err)
	}
	st, _ := m.db.Get(ctx, rc.CommitmentID)
	if len(st.Notes) != 1 || st.Notes[0].Text != "罚款五千元" || st.Notes[0].Digest != out.Outcome.Disposal.PenaltyDigest {
		t.Fatalf("penalty note %+v", st.Notes)
	}

	// Objection: reason to the credit platform, decision to the filer.
	ob, err := m.svc.FileObjection(ctx, out.Outcome.CreditID, "申请人提出异议：核查对象有误")
	if err != nil {
		t.Fatal(err)
	}
	if txt, err := c.svc.Text(ctx, ob.ReasonDigest); err != nil || txt.Kind != chengnuo.TextObjection {
		t.Fatalf("the credit platform reads %+v, %v", txt, err)
	}
	dec, err := c.svc.DecideObjection(ctx, ob.ID, chengnuo.ObjectionDecision{Uphold: true, Reason: "经复核，核查对象有误，异议成立"})
	if err != nil {
		t.Fatal(err)
	}
	if txt, err := m.svc.Text(ctx, dec.DecisionDigest); err != nil || txt.Text != "经复核，核查对象有误，异议成立" {
		t.Fatalf("the filer reads %+v, %v", txt, err)
	}
	if _, err := p.svc.Text(ctx, dec.DecisionDigest); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("police read the decision: %v", err)
	}

	// Proposal: reason to the justice bureau, decision to the proposer.
	pr, err := m.svc.ProposeItemChange(ctx, chengnuo.ProposalRequest{Kind: "RETIRE", Code: "T-1", Reason: "实际办理中不再需要此事项"})
	if err != nil {
		t.Fatal(err)
	}
	if txt, err := j.svc.Text(ctx, pr.ReasonDigest); err != nil || txt.Text != "实际办理中不再需要此事项" {
		t.Fatalf("justice reads %+v, %v", txt, err)
	}
	pd, err := j.svc.DecideProposal(ctx, pr.ID, chengnuo.ProposalDecision{Approve: false, Reason: "该事项仍需保留"})
	if err != nil {
		t.Fatal(err)
	}
	if txt, err := m.svc.Text(ctx, pd.DecisionDigest); err != nil || txt.Text != "该事项仍需保留" {
		t.Fatalf("the proposer reads %+v, %v", txt, err)
	}

	// None of it is anywhere in public state.
	for _, k := range e.net.World.Keys() {
		v := string(e.net.World.Get(k))
		for _, text := range []string{why, "罚款五千元", "申请人提出异议", "异议成立", "不再需要此事项", "仍需保留", "户籍一致"} {
			if strings.Contains(v, text) {
				t.Fatalf("%q is in public state under %q", text, k)
			}
		}
	}
	_, err = m.svc.Text(ctx, "nothex")
	code(t, err, chengnuo.EINVALID)
}

// Answered details are purged once their retention passes, whoever
// answered; the requester cannot deliver them again.
func TestDetailsPurgedAfterAnswer(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{})
	now := time.Now()
	clock := func() time.Time { return now }
	p := e.dept("PoliceMSP", notary.Config{Registry: &registry{answer: chengnuo.AnswerConsistent}, DetailsRetention: time.Hour, Now: clock})
	ctx := t.Context()
	rc, _ := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice))
	r, err := m.svc.RequestVerification(ctx, rc.CommitmentID, "核查户籍")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.svc.VerificationRequested(ctx, r); err != nil { // answered by the registry
		t.Fatal(err)
	}
	coll := contract.ImplicitCollection("PoliceMSP")
	if e.net.World.Private(coll, "details~"+r.ID) == nil {
		t.Fatal("details purged before their retention passed")
	}
	if err := p.svc.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if e.net.World.Private(coll, "details~"+r.ID) == nil {
		t.Fatal("details purged before their retention passed")
	}
	now = now.Add(2 * time.Hour)
	if err := p.svc.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if e.net.World.Private(coll, "details~"+r.ID) != nil {
		t.Fatal("answered details were not purged")
	}
	_, err = p.svc.Details(ctx, r.ID)
	code(t, err, chengnuo.ENOTFOUND)
	// A second pass does nothing more.
	if err := p.svc.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
}

// The disclosure list follows the ledger even when the change did not go
// through this service (another replica, an administrator).
func TestDisclosureFollowsLedgerEvents(t *testing.T) {
	e := newEnv(t)
	it := testItem("P-1")
	it.Disclosure = chengnuo.Disclosure{Public: true, Scope: "政务网", PeriodDays: 7}
	e.publish(it)
	m := e.dept("MarketMSP", notary.Config{})
	ctx := t.Context()
	rc, err := m.svc.Submit(ctx, signedLetter(t, m.svc, "P-1", alice))
	if err != nil {
		t.Fatal(err)
	}
	w, err := m.ledger.Withdraw(ctx, rc.CommitmentID, sm.SM3Hex([]byte("behind the service's back")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.svc.CommitmentChanged(ctx, w); err != nil {
		t.Fatal(err)
	}
	if l, _ := m.svc.Disclosures(ctx, chengnuo.Page{}); len(l.Items) != 0 {
		t.Fatalf("a withdrawn letter is disclosed: %+v", l.Items)
	}
	// An older state replayed late does not undo it.
	older := *w
	older.Status, older.History = chengnuo.StatusActive, older.History[:1]
	if err := m.svc.CommitmentChanged(ctx, &older); err != nil {
		t.Fatal(err)
	}
	if st, _ := m.db.Get(ctx, rc.CommitmentID); st.Record.Status != chengnuo.StatusWithdrawn || st.Record.BlockNumber == 0 {
		t.Fatalf("stored record %+v", st.Record)
	}
	// Another department's commitments are not this store's business.
	other := *w
	other.Org = "PoliceMSP"
	if err := m.svc.CommitmentChanged(ctx, &other); err != nil {
		t.Fatal(err)
	}
}

func TestRefusedDraftsTakeNoNumber(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{})
	ctx := t.Context()
	bad := alice
	bad.IDNumber = "000000198501010011"
	if _, err := m.svc.Draft(ctx, chengnuo.DraftRequest{ItemCode: "T-1", Applicant: bad, ContactName: "窗口", ContactPhone: "1"}); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
		t.Fatalf("bad ID: %v", err)
	}
	d, err := m.svc.Draft(ctx, chengnuo.DraftRequest{ItemCode: "T-1", Applicant: alice, ContactName: "窗口", ContactPhone: "1"})
	if err != nil || !strings.HasSuffix(d.Letter.Number, "第000001号") {
		t.Fatalf("first good draft %v, %v", d, err)
	}
}

// A draw is a commit-reveal with another department: neither chooses it.
func TestSamplesAreDrawnWithAnotherDepartment(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{SampleWait: time.Millisecond})
	p := e.dept("PoliceMSP", notary.Config{})
	c := e.dept("CreditMSP", notary.Config{})
	ctx := t.Context()
	from := time.Now().Add(-time.Minute)
	for range 3 {
		if _, err := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice)); err != nil {
			t.Fatal(err)
		}
	}
	sp, err := m.svc.DrawSample(ctx, chengnuo.SampleRequest{ItemCode: "T-1", From: from, To: time.Now().Add(time.Minute), BasePermille: 500, Inspectors: []string{"I-1", "I-2", "I-3"}})
	if err != nil || sp.Status != chengnuo.SampleDrawn {
		t.Fatalf("draw: %+v %v", sp, err)
	}
	// The other departments' gateways see the draw (events); one contributes.
	if err := m.svc.SampleChanged(ctx, sp); err != nil { // the drawer does not contribute to its own draw
		t.Fatal(err)
	}
	for _, d := range []*dept{p, c} {
		if err := d.svc.SampleChanged(ctx, sp); err != nil {
			t.Fatal(err)
		}
	}
	cur, err := m.svc.Sample(ctx, sp.ID, chengnuo.Page{}) // read: published once contributed
	if err != nil || cur.Sample.Status != chengnuo.SamplePublished || cur.Sample.ContributedBy != "PoliceMSP" {
		t.Fatalf("after the contribution: %+v %v", cur, err)
	}
	sp = cur.Sample
	secret, _ := hex.DecodeString(sp.Secret)
	if sm.SM3Hex(secret) != sp.Commitment || sp.Seed == "" {
		t.Fatalf("the revealed secret does not match the commitment: %+v", sp)
	}
	// The event of the contribution, seen again, changes nothing.
	if err := m.svc.SampleChanged(ctx, &chengnuo.Sample{ID: sp.ID, Org: "MarketMSP", Status: chengnuo.SampleContributed, Commitment: sp.Commitment}); err != nil {
		t.Fatal(err)
	}
	if len(sp.Assignments) != len(sp.Selected) {
		t.Fatalf("%d assignments for %d selected", len(sp.Assignments), len(sp.Selected))
	}
	_, err = m.svc.DrawSample(ctx, chengnuo.SampleRequest{ItemCode: "T-1", From: from, To: time.Now(), BasePermille: 500, Inspectors: []string{"I-1"}})
	code(t, err, chengnuo.ECONFLICT)
}

// The audit recomputes each stored letter's digest and applicant key and
// finds a letter anchored under another applicant's key — what a
// compromised gateway would do to slip an applicant past the gate.
func TestAuditFindsMismatches(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{})
	ctx := t.Context()
	for range 3 {
		if _, err := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := m.svc.Audit(ctx, chengnuo.Page{})
	if err != nil || r.Checked != 3 || len(r.Findings) != 0 || r.More {
		t.Fatalf("clean audit: %+v %v", r, err)
	}
	// A letter anchored under a forged applicant key.
	req := signedLetter(t, m.svc, "T-1", alice)
	l, _ := letterOf(req.Letter)
	forged := sm.SM3Hex([]byte("someone else"))
	it, _ := m.ledger.GetItem(ctx, "T-1", 0)
	d := sm.SM3Hex([]byte(req.Letter))
	st := &chengnuo.StoredLetter{ID: chengnuo.CommitmentID(d), Digest: d, Canonical: req.Letter, Number: l.Number, State: chengnuo.StatePending,
		Request: chengnuo.AnchorRequest{LetterDigest: d, ItemCode: "T-1", ItemVersion: it.Version, NoticeDigest: it.NoticeDigest, ApplicantKey: forged, SignedBy: chengnuo.SignedSM2Key}}
	if _, err := m.db.PutPending(ctx, []*chengnuo.StoredLetter{st}); err != nil {
		t.Fatal(err)
	}
	if n, err := m.svc.Recover(ctx); err != nil || n != 1 {
		t.Fatalf("anchor the forged letter: %d %v", n, err)
	}
	var found []chengnuo.AuditFinding
	p := chengnuo.Page{Size: 2}
	for {
		r, err := m.svc.Audit(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		found = append(found, r.Findings...)
		if !r.More {
			break
		}
		p.Bookmark = r.Bookmark
	}
	if len(found) == 0 || found[0].CommitmentID != st.ID {
		t.Fatalf("findings %+v, want the forged letter %s", found, st.ID)
	}
}

func letterOf(canonical string) (*chengnuo.Letter, error) {
	return letterpkg.Parse([]byte(canonical))
}
