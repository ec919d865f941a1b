package integration

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chengnuo/chengnuo/client"
	"github.com/chengnuo/chengnuo/internal/a11y"
	workbench "github.com/chengnuo/chengnuo/people"
	"github.com/chengnuo/chengnuo/sm"
)

// accountAdd creates a workbench account with the documented command and
// returns the one-time password from its last line.
func accountAdd(t *testing.T, dept, user, roles string) string {
	t.Helper()
	out, err := script(time.Minute, "dept", dept, "account-add", user, roles)
	if err != nil {
		t.Fatalf("account-add %s at %s: %v\n%s", user, dept, err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	pw := strings.TrimSpace(lines[len(lines)-1])
	if !regexp.MustCompile(`^[A-Za-z0-9]{16}$`).MatchString(pw) {
		t.Fatalf("account-add's last line is not a password: %q", pw)
	}
	return pw
}

// browser is one person's Chromium tab, with the steps it photographs and
// checks with axe-core.
type browser struct {
	t   *testing.T
	ctx context.Context
	dir string
	n   *int
}

func newBrowser(t *testing.T, alloc context.Context, dir string, n *int) *browser {
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(cancel)
	return &browser{t: t, ctx: ctx, dir: dir, n: n}
}

func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		body, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("main")))
		b.t.Fatalf("%s: %v\npage: %s", what, err, body)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return v
}

func (b *browser) value(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return v
}

// waitText waits until the text of sel contains want (a page that a
// click is replacing may still show an older notice).
func (b *browser) waitText(sel, want string) string {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		cancel()
		if err == nil && strings.Contains(v, want) {
			return v
		}
		if time.Now().After(deadline) {
			body, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("main")))
			b.t.Fatalf("%s never read %q; the page:\n%s", sel, want, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// attr reads an attribute of the first element matching sel.
func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		b.t.Fatalf("read %s's %s: %v", sel, name, err)
	}
	return v.Value
}

// step checks the page with axe-core (no serious or critical violation)
// and keeps a screenshot.
func (b *browser) step(name string) {
	b.t.Helper()
	vs, err := a11y.Check(b.ctx)
	if err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Errorf("%s: accessibility: %s", name, v)
		}
	}
	shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	*b.n++
	f := filepath.Join(b.dir, fmt.Sprintf("workbench-%02d-%s.png", *b.n, name))
	if err := os.WriteFile(f, shot, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("%s: %d axe findings (none serious); %s", name, len(vs), f)
}

// login logs in at a department's workbench and, at the first login,
// sets the person's own password.
func (b *browser) login(gw, user, pw string) {
	b.t.Helper()
	b.do("open the login page", chromedp.Navigate(gw+"/console/login"), chromedp.WaitVisible(chromedp.CSS("#username")))
	b.do("log in", chromedp.SetValue(chromedp.CSS("#username"), user), chromedp.SetValue(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS("form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#current")))
	b.do("choose a password", chromedp.SetValue(chromedp.CSS("#current"), pw), chromedp.SetValue(chromedp.CSS("#new"), "my own password 1"),
		chromedp.SetValue(chromedp.CSS("#repeat"), "my own password 1"), chromedp.Click(chromedp.CSS("main form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".tiles")))
}

// TestWorkbenchStory runs the policy's story in three departments'
// workbenches, each step done in Chromium by a person logged in there: a
// market clerk drafts and submits a letter and asks police to verify it; a
// police officer answers INCONSISTENT from the inbox; the market clerk
// records the outcome FALSE with its disposal; a market clerk files an
// objection, and a credit officer sees the record and decides it; a
// justice officer publishes a new version of the item. Every page is
// checked with axe-core and photographed.
func TestWorkbenchStory(t *testing.T) {
	// Written verification: police's registry answers only online
	// verification, so an officer answers this one.
	it := verifiedItem(uniqueCode(t, "BENCH"), "PoliceMSP", false)
	it.Verification.Method = client.Ptr(client.VerificationRuleMethodWRITTEN)
	code := publishVisible(t, it)
	p := newPerson(t, "工作台甲")
	pwClerk := accountAdd(t, "market", "wang.clerk", "clerk")
	pwPolice := accountAdd(t, "police", "zhao.officer", "clerk")
	pwCredit := accountAdd(t, "credit", "sun.credit", "credit-officer,auditor")
	pwJustice := accountAdd(t, "justice", "qian.catalog", "catalog-admin")

	alloc, dir := chromium(t, 1366, 768)
	n := 0
	M, P, C, J := gatewayURL(market), gatewayURL(police), gatewayURL(credit), gatewayURL(justice)

	// 1. The market clerk drafts the letter.
	clerk := newBrowser(t, alloc, dir, &n)
	clerk.login(M, "wang.clerk", pwClerk)
	clerk.step("market-clerk-home")
	clerk.do("open the new letter form", chromedp.Navigate(M+"/console/letters/new?item="+code), chromedp.WaitVisible(chromedp.CSS("#idNumber")))
	clerk.do("fill in the applicant", chromedp.SetValue(chromedp.CSS("#name"), p.name), chromedp.SetValue(chromedp.CSS("#idNumber"), p.idNumber),
		chromedp.SetValue(chromedp.CSS("#contact"), p.phone), chromedp.SetValue(chromedp.CSS("#contactName"), "王窗口"),
		chromedp.SetValue(chromedp.CSS("#contactPhone"), "0571-88888888"))
	clerk.step("market-clerk-new-letter")
	clerk.do("render the letter", chromedp.Click(chromedp.CSS("main form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("article.letter")))
	if href := clerk.attr("#print-draft", "href"); !regexp.MustCompile(`^/console/drafts/CN[0-9a-f]{24}/letter\.pdf$`).MatchString(href) {
		t.Fatalf("the draft's print link is %q", href)
	}
	clerk.step("market-clerk-draft")
	canonical := clerk.value("#canonical")
	key, _ := sm.GenerateKey()
	sig, err := sm.Sign(key, []byte(canonical))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := sm.MarshalPublicKeyPEM(&key.PublicKey)
	clerk.do("submit the signed letter", chromedp.SetValue(chromedp.CSS("#signature"), base64.StdEncoding.EncodeToString(sig)),
		chromedp.SetValue(chromedp.CSS("#key"), string(pub)), chromedp.Click(chromedp.CSS(`form[action="/console/letters"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#letter-status")))
	if s := clerk.text("#letter-status"); !strings.Contains(s, "ACTIVE") {
		t.Fatalf("the submitted letter is %q", s)
	}
	clerk.step("market-clerk-receipt")
	url, err := chromedp.Run(clerk.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	id := regexp.MustCompile(`CN[0-9a-f]{24}`).FindString(url)
	// The receipt, as the applicant takes it home.
	clerk.do("open the receipt", chromedp.Navigate(M+"/console/letters/"+id+"/receipt"), chromedp.WaitVisible(chromedp.CSS(".receipt")))
	if r := clerk.text(".receipt"); !strings.Contains(r, "告知承诺书存证凭证") || !strings.Contains(r, "市市场监管局") || strings.Contains(r, p.name) ||
		!strings.Contains(r, string([]rune(p.name)[:1])+"*") || !strings.Contains(r, genesisHash(t)) {
		t.Fatalf("the receipt page reads %q", r)
	}
	clerk.step("market-clerk-receipt-page")
	clerk.do("back to the letter", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#letter-status")))
	clerk.do("ask police to verify", chromedp.SetValue(chromedp.CSS("#claim"), "核查申请人住所使用权"),
		chromedp.Click(chromedp.CSS(`form[action$="/verification"] button`)))
	clerk.waitText(".notice", "已发起协助核查")
	clerk.step("market-clerk-verification-requested")
	// Police's inbox may hold other tests' requests: this one is the
	// letter's.
	reqID := regexp.MustCompile(`VR[0-9a-f]{24}`).FindString(clerk.text("main"))
	if reqID == "" {
		t.Fatal("the letter's page does not list its verification request")
	}

	// The same pages fit a tablet's width: nothing scrolls sideways.
	for _, path := range []string{"/console/letters", "/console/letters/" + id, "/console/letters/new"} {
		clerk.do("a tablet's width", chromedp.EmulateViewport(768, 1024), chromedp.Navigate(M+path), chromedp.WaitVisible(chromedp.CSS("main")))
		wide, err := chromedp.Run(clerk.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		if err != nil || wide {
			t.Errorf("%s at 768 px scrolls sideways (%v)", path, err)
		}
	}
	clerk.step("market-clerk-letter-tablet")
	clerk.do("back to 1366 px", chromedp.EmulateViewport(1366, 768))

	// 2. The police officer answers from the inbox.
	officer := newBrowser(t, alloc, dir, &n)
	officer.login(P, "zhao.officer", pwPolice)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		officer.do("open the inbox", chromedp.Navigate(P+"/console/inbox"), chromedp.WaitVisible(chromedp.CSS("main")))
		if strings.Contains(officer.text("main"), reqID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the request did not reach police's inbox in 30 s")
		}
	}
	officer.do("the badge counts it", chromedp.WaitVisible(chromedp.CSS("#inbox-badge")))
	officer.step("police-inbox")
	officer.do("open the request", chromedp.Navigate(P+"/console/inbox/"+reqID), chromedp.WaitVisible(chromedp.CSS("#evidence")))
	if d := officer.text("main"); !strings.Contains(d, p.idNumber) {
		t.Fatalf("the details are not shown to the verifying department: %s", d)
	}
	officer.do("answer INCONSISTENT", chromedp.Click(chromedp.CSS(`input[value="INCONSISTENT"]`)),
		chromedp.SetValue(chromedp.CSS("#evidence"), "户籍与住所信息不一致"), chromedp.Click(chromedp.CSS("main form button[type=submit]")))
	officer.waitText(".notice", "已答复")
	if s := officer.text("#request-status"); !strings.Contains(s, "INCONSISTENT") {
		t.Fatalf("the answered request reads %q", s)
	}
	officer.step("police-answered")

	// 3. The market clerk records the outcome FALSE.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		clerk.do("reopen the letter", chromedp.Navigate(M+"/console/letters/"+id), chromedp.WaitVisible(chromedp.CSS("#result")))
		// The answer, and police's evidence, shared with market.
		if m := clerk.text("main"); strings.Contains(m, "核查不一致") && strings.Contains(m, "户籍与住所信息不一致") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the answer did not reach market in 30 s")
		}
	}
	clerk.do("record FALSE", chromedp.SetValue(chromedp.CSS("#result"), "FALSE"), chromedp.SetValue(chromedp.CSS("#reason-outcome"), "经协助核查，承诺不实"),
		chromedp.SetValue(chromedp.CSS("#requestId"), reqID), chromedp.Click(chromedp.CSS(`input[value="RECTIFY"]`)),
		chromedp.SetValue(chromedp.CSS("#rectificationDays"), "20"),
		chromedp.SetValue(chromedp.CSS("#level"), "ORDINARY"), chromedp.Click(chromedp.CSS(`form[action$="/outcome"] button`)))
	clerk.waitText(".notice", "已记录核查结果")
	creditID := regexp.MustCompile(`CR[0-9a-f]{24}`).FindString(clerk.text("main"))
	if creditID == "" || !strings.Contains(clerk.text("#letter-status"), "FALSE") {
		t.Fatalf("no credit record after FALSE: %s", clerk.text("main"))
	}
	clerk.step("market-clerk-outcome-false")
	clerk.do("file an objection", chromedp.SetValue(chromedp.CSS("#reason-objection"), "申请人提出异议：核查对象有误"),
		chromedp.Click(chromedp.CSS(`form[action="/console/objections"] button`)))
	objectionID := regexp.MustCompile(`OB[0-9a-f]{24}`).FindString(clerk.waitText(".notice", "异议已提交"))
	if objectionID == "" {
		t.Fatalf("no objection id: %s", clerk.text("main"))
	}

	// 4. The credit officer sees the record and decides the objection.
	officerC := newBrowser(t, alloc, dir, &n)
	officerC.login(C, "sun.credit", pwCredit)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		officerC.do("look the applicant up", chromedp.Navigate(C+"/console/credit"), chromedp.WaitVisible(chromedp.CSS("#idNumber")),
			chromedp.SetValue(chromedp.CSS("#idNumber"), p.idNumber), chromedp.Click(chromedp.CSS(`form[action="/console/credit/lookup"] button`)),
			chromedp.WaitVisible(chromedp.CSS("#standing")))
		if strings.Contains(officerC.text("main"), creditID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the credit record did not reach the credit platform in 30 s")
		}
	}
	if s := officerC.text("main"); !strings.Contains(s, objectionID) || !strings.Contains(s, "核查对象有误") {
		t.Fatalf("the objection and its reason are not listed at the credit platform: %s", s)
	}
	officerC.step("credit-standing")
	officerC.do("decide the objection", chromedp.SetValue(chromedp.CSS("#objectionId"), objectionID), chromedp.Click(chromedp.CSS(`input[name="uphold"][value="true"]`)),
		chromedp.SetValue(chromedp.CSS("#reason-decision"), "经复核，核查对象有误，异议成立"),
		chromedp.Click(chromedp.CSS(`form[action="/console/credit/objections/decision"] button`)))
	officerC.waitText(".notice", "UPHELD")
	officerC.step("credit-objection-decided")
	officerC.do("the audit trail shows who did it", chromedp.Navigate(C+"/console/audit-trail"), chromedp.WaitVisible(chromedp.CSS("main table")))
	if s := officerC.text("main table"); !strings.Contains(s, "sun.credit") || !strings.Contains(s, "credit.objection-decision") {
		t.Fatalf("the audit trail: %s", s)
	}
	officerC.step("credit-audit-trail")

	// 5. The justice officer publishes a new version of the item.
	justiceB := newBrowser(t, alloc, dir, &n)
	justiceB.login(J, "qian.catalog", pwJustice)
	justiceB.do("open the item", chromedp.Navigate(J+"/console/catalog/"+code), chromedp.WaitVisible(chromedp.CSS("#f-purpose")))
	justiceB.do("publish version 2", chromedp.SetValue(chromedp.CSS("#f-purpose"), "准营审批（第二版）"),
		chromedp.Click(chromedp.CSS(`form[action="/console/catalog"] button`)))
	justiceB.waitText(".notice", "已发布第 2 版")
	if s := justiceB.text("#item-version"); !strings.HasPrefix(strings.TrimSpace(s), "2") {
		t.Fatalf("the item's version after publishing: %q", s)
	}
	justiceB.step("justice-new-version")
}

// TestWorkbenchEveryPage: an administrator of market with every role logs
// in (the second factor enrolled in the browser), adds an account, and
// visits every page of the workbench; axe-core finds no serious or
// critical violation on any of them, the login page included.
func TestWorkbenchEveryPage(t *testing.T) {
	pw := accountAdd(t, "market", "ma.admin", "admin,clerk,auditor,catalog-admin,credit-officer")
	alloc, dir := chromium(t, 1366, 768)
	n := 100
	b := newBrowser(t, alloc, dir, &n)
	M := gatewayURL(market)
	b.do("open the login page", chromedp.Navigate(M+"/console/login"), chromedp.WaitVisible(chromedp.CSS("#username")))
	b.step("login")
	b.do("log in", chromedp.SetValue(chromedp.CSS("#username"), "ma.admin"), chromedp.SetValue(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS("form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#secret-show")))
	b.step("second-factor-enrol")
	code, err := workbench.Code(b.value("#secret-show"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.do("enrol the second factor", chromedp.SetValue(chromedp.CSS("#code"), code), chromedp.Click(chromedp.CSS("main form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#current")))
	b.do("choose a password", chromedp.SetValue(chromedp.CSS("#current"), pw), chromedp.SetValue(chromedp.CSS("#new"), "the admin's password"),
		chromedp.SetValue(chromedp.CSS("#repeat"), "the admin's password"), chromedp.Click(chromedp.CSS("main form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".tiles")))
	b.do("open the accounts", chromedp.Navigate(M+"/console/accounts"), chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SetValue(chromedp.CSS("#username"), "new.person"), chromedp.Click(chromedp.CSS(`input[name="roles"][value="auditor"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/console/accounts"] button`)))
	if p := b.waitText("#one-time", "new.person"); !regexp.MustCompile(`[A-Za-z0-9]{16}`).MatchString(b.text("#one-time-password")) {
		t.Fatalf("no one-time password shown: %s", p)
	}
	b.step("accounts")
	for _, page := range []string{"", "letters", "letters/new", "inbox", "requests", "samples", "credit", "catalog", "catalog/SC-001",
		"proposals", "supervision", "audit-trail", "audit", "password"} {
		b.do("open /console/"+page, chromedp.Navigate(M+"/console/"+page), chromedp.WaitVisible(chromedp.CSS("main h1")))
		name := strings.ReplaceAll(cmpOr(page, "home"), "/", "-")
		b.step("page-" + name)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
