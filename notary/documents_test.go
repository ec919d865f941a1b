package notary_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/notary"
)

// Letters are numbered with the department's own prefix, by China's year;
// every draft is kept, found by its id or its digest, and printable.
func TestDraftsAreNumberedAndKept(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	// 2026-12-31 17:00 UTC is already 2027 in China.
	now := time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC)
	m := e.dept("MarketMSP", notary.Config{OrganName: "市市场监管局", Now: func() time.Time { return now }})
	ctx := t.Context()
	d, err := m.svc.Draft(ctx, chengnuo.DraftRequest{ItemCode: "T-1", Applicant: alice, ContactName: "李四", ContactPhone: "0451-1"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Letter.Number != "〔2027〕虎市监承第000001号" || d.ID != chengnuo.CommitmentID(d.Digest) || d.Letter.Organ.Name != "市市场监管局" {
		t.Fatalf("draft %s %s", d.Letter.Number, d.ID)
	}
	for _, key := range []string{d.ID, d.Digest, strings.ToUpper(d.Digest)} {
		got, err := m.svc.GetDraft(ctx, key)
		if err != nil || got.Canonical != d.Canonical || got.Letter.Number != d.Letter.Number {
			t.Fatalf("draft by %s: %v", key, err)
		}
	}
	for _, bad := range []string{"", "CN0000", "CN000000000000000000000000", "../x", d.ID + "0", strings.Repeat("z", 64)} {
		if _, err := m.svc.GetDraft(ctx, bad); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
			t.Errorf("draft %q: %v", bad, err)
		}
		if _, err := m.svc.PrintDraft(ctx, bad); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
			t.Errorf("print draft %q: %v", bad, err)
		}
	}
	p, err := m.svc.PrintDraft(ctx, d.ID)
	if err != nil || !p.Draft || p.OrgName != "市市场监管局" || p.Digest != d.Digest || p.ID != d.ID || p.VerifierName == "" {
		t.Fatalf("printable draft %+v %v", p, err)
	}
	// Another department's service does not hold this one's drafts.
	if _, err := e.dept("PoliceMSP", notary.Config{}).svc.GetDraft(ctx, d.ID); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("another department's draft: %v", err)
	}
	// A stored letter prints as signed; an unknown one does not print.
	req := signedLetter(t, m.svc, "T-1", alice)
	rc, err := m.svc.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := m.svc.PrintLetter(ctx, rc.CommitmentID)
	if err != nil || pl.Draft || pl.SignedBy != chengnuo.SignedSM2Key || pl.AnchoredAt.IsZero() || pl.Letter.Number != "〔2027〕虎市监承第000002号" {
		t.Fatalf("printable letter %+v %v", pl, err)
	}
	if _, err := m.svc.PrintLetter(ctx, "CN000000000000000000000000"); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("unknown letter: %v", err)
	}
}

// Departments name themselves on the ledger; pages and documents name them
// from there, and a record's verdict leads with what matters.
func TestDirectoryNamesDepartments(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	ctx := t.Context()
	m := e.dept("MarketMSP", notary.Config{OrganName: "市市场监管局"})
	p := e.dept("PoliceMSP", notary.Config{OrganName: "市公安局"})
	// Before it publishes, a department names itself and no other.
	if d, err := m.svc.Departments(ctx); err != nil || d.Name("MarketMSP") != "市市场监管局" || d.Name("PoliceMSP") != "PoliceMSP" {
		t.Fatalf("directory before: %+v %v", d, err)
	}
	for _, s := range []*notary.Service{m.svc, p.svc} {
		if err := s.PublishDepartment(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.PublishDepartment(ctx); err != nil { // once is enough: nothing more is written
			t.Fatal(err)
		}
	}
	list, err := p.ledger.Departments(ctx)
	if err != nil || len(list) != 2 || list[0].NumberPrefix != "虎市监承" || list[1].Name != "市公安局" {
		t.Fatalf("ledger directory: %+v %v", list, err)
	}
	// A fresh service reads the directory.
	c := e.dept("CreditMSP", notary.Config{OrganName: "信用平台"})
	if d, err := c.svc.Departments(ctx); err != nil || d.Name("MarketMSP") != "市市场监管局" || d.Name("PoliceMSP") != "市公安局" || d.Name("CreditMSP") != "信用平台" {
		t.Fatalf("directory: %+v %v", d, err)
	}
	// Two departments cannot take the same prefix.
	dup := e.dept("JusticeMSP", notary.Config{OrganName: "市司法局", NumberPrefix: "虎市监承"})
	if err := dup.svc.PublishDepartment(ctx); chengnuo.ErrorCode(err) != chengnuo.ECONFLICT {
		t.Fatalf("a taken prefix: %v", err)
	}

	rc, err := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice))
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.svc.VerifyDigest(ctx, rc.LetterDigest)
	if err != nil || v.Verdict == nil || v.Verdict.Kind != chengnuo.VerdictValid || v.Names["MarketMSP"] != "市市场监管局" {
		t.Fatalf("verify: %+v %v", v, err)
	}
	// Found false: the record stays ACTIVE, the verdict does not say valid.
	vr, err := m.svc.RequestVerification(ctx, rc.CommitmentID, "无犯罪记录")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.svc.Answer(ctx, vr.ID, chengnuo.AnswerRequest{Result: chengnuo.AnswerInconsistent, Evidence: "有记录"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.svc.RecordOutcome(ctx, rc.CommitmentID, chengnuo.OutcomeRequest{Result: chengnuo.VerifyFalse, Reason: "不实",
		RequestID: vr.ID, Level: chengnuo.LevelSerious,
		Disposal: &chengnuo.DisposalRequest{Measures: []string{chengnuo.MeasureTerminated, chengnuo.MeasureRevoked}}}); err != nil {
		t.Fatal(err)
	}
	v, err = c.svc.VerifyDigest(ctx, rc.LetterDigest)
	if err != nil || v.Record.Status != chengnuo.StatusActive || v.Verdict.Kind != chengnuo.VerdictFalse ||
		!strings.Contains(v.Verdict.Text, "虚假承诺") || !strings.Contains(v.Verdict.Text, "终止办理") || !strings.Contains(v.Verdict.Text, "撤销行政决定") {
		t.Fatalf("a false commitment: %+v %+v %v", v.Record, v.Verdict, err)
	}
	// The receipts: the department's own names the number and the masked
	// applicant; the public one neither.
	own, err := m.svc.Receipt(ctx, rc.CommitmentID, false)
	if err != nil || own.Number == "" || own.Applicant != notary.MaskName(alice.Name) || own.OrgName != "市市场监管局" ||
		own.ItemName != "测试事项" || own.TxID != rc.TxID || own.Verdict.Kind != chengnuo.VerdictFalse {
		t.Fatalf("own receipt %+v %v", own, err)
	}
	pub, err := c.svc.Receipt(ctx, rc.CommitmentID, true)
	if err != nil || pub.Number != "" || pub.Applicant != "" || pub.OrgName != "市市场监管局" || pub.LetterDigest != rc.LetterDigest {
		t.Fatalf("public receipt %+v %v", pub, err)
	}
	if _, err := c.svc.Receipt(ctx, rc.CommitmentID, false); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("another department's own receipt: %v", err)
	}
	for _, bad := range []string{"CN000000000000000000000000", "x", ""} {
		if _, err := c.svc.Receipt(ctx, bad, true); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
			t.Errorf("public receipt of %q: %v", bad, err)
		}
	}
}

// A department is configured with its name and prefix, both well formed.
func TestConfigNeedsANumberPrefix(t *testing.T) {
	e := newEnv(t)
	for _, cfg := range []notary.Config{
		{MSPID: "MarketMSP", ApplicantSecret: secret},
		{MSPID: "MarketMSP", ApplicantSecret: secret, NumberPrefix: "虎〔市〕监"},
		{MSPID: "MarketMSP", ApplicantSecret: secret, NumberPrefix: "虎市监承", OrganName: "市市场\n监管局"},
	} {
		if _, err := notary.New(t.Context(), cfg, e.net.Client(t, "MarketMSP"), nil); err == nil {
			t.Errorf("%+v: accepted", cfg)
		}
	}
}
