package console_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/bolt"
	"github.com/chengnuo/chengnuo/console"
	"github.com/chengnuo/chengnuo/internal/fabrictest"
	"github.com/chengnuo/chengnuo/notary"
	"github.com/chengnuo/chengnuo/people"
	"github.com/chengnuo/chengnuo/sm"
)

var secret = []byte("0123456789abcdef0123")

// prefixes are the test departments' letter-number prefixes.
var prefixes = map[string]string{"MarketMSP": "虎市监承", "PoliceMSP": "虎公承", "JusticeMSP": "虎司承", "CreditMSP": "虎信承"}

// dept is a department's workbench on an in-memory channel running the
// real chaincode, with the real service and store.
type dept struct {
	srv *httptest.Server
	ppl *people.Service
	svc chengnuo.Service
}

func newDept(t testing.TB, net *fabrictest.Network, msp, organ string) *dept {
	d, _ := newDeptStore(t, net, msp, organ)
	return d
}

// newDeptStore is newDept with its store.
func newDeptStore(t testing.TB, net *fabrictest.Network, msp, organ string) (*dept, *bolt.DB) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "letters.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc, err := notary.New(t.Context(), notary.Config{MSPID: msp, OrganName: organ, NumberPrefix: prefixes[msp], ApplicantSecret: secret}, net.Client(t, msp), db)
	if err != nil {
		t.Fatal(err)
	}
	ppl := people.New(people.Config{Store: db, Issuer: organ})
	c := console.New(console.Options{Service: svc, People: ppl, MSPID: msp, Organ: organ})
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return &dept{srv: srv, ppl: ppl, svc: svc}, db
}

// agent is a person's browser: a cookie jar, and the CSRF token of the
// last page it read.
type agent struct {
	t    testing.TB
	base string
	hc   *http.Client
	csrf string
	last string
}

func newAgent(t testing.TB, d *dept) *agent {
	jar, _ := cookiejar.New(nil)
	return &agent{t: t, base: d.srv.URL, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (a *agent) read(res *http.Response, err error) (int, string) {
	a.t.Helper()
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	body := string(b)
	if m := csrfRE.FindStringSubmatch(body); m != nil {
		a.csrf = m[1]
	}
	a.last = body
	if loc := res.Header.Get("Location"); loc != "" && res.StatusCode == http.StatusSeeOther {
		return res.StatusCode, loc
	}
	return res.StatusCode, body
}

func (a *agent) get(path string) (int, string) {
	a.t.Helper()
	return a.read(a.hc.Get(a.base + path))
}

// upload sends a multipart form with a file and the page's CSRF token.
func (a *agent) upload(path string, form url.Values, field, name, mediaType string, content []byte) (int, string) {
	a.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	form.Set("csrf", a.csrf)
	for k, vs := range form {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="`+field+`"; filename="`+name+`"`)
	h.Set("Content-Type", mediaType)
	fw, _ := mw.CreatePart(h)
	_, _ = fw.Write(content)
	_ = mw.Close()
	return a.read(a.hc.Post(a.base+path, mw.FormDataContentType(), &buf))
}

// post sends a form with the page's CSRF token (unless form sets csrf).
func (a *agent) post(path string, form url.Values) (int, string) {
	a.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", a.csrf)
	}
	return a.read(a.hc.PostForm(a.base+path, form))
}

// login logs in and, at the first login, chooses a password.
func (a *agent) login(user, password string) {
	a.t.Helper()
	a.get("/console/login")
	st, loc := a.post("/console/login", url.Values{"username": {user}, "password": {password}})
	if st != http.StatusSeeOther {
		a.t.Fatalf("login of %s: %d %s", user, st, loc)
	}
	if loc == "/console/password" {
		a.get("/console/password")
		if st, loc := a.post("/console/password", url.Values{"current": {password}, "new": {"a good long password"}, "repeat": {"a good long password"}}); st != http.StatusSeeOther {
			a.t.Fatalf("password change: %d %s", st, loc)
		}
	}
}

func person(t testing.TB, d *dept, user string, roles ...string) *agent {
	t.Helper()
	pw, err := d.ppl.AddAccount(t.Context(), "test", user, user, roles)
	if err != nil {
		t.Fatal(err)
	}
	a := newAgent(t, d)
	a.login(user, pw)
	return a
}

// Every route of the workbench refuses a request without a session: a
// page asks to log in, an action is refused.
func TestEveryRouteNeedsASession(t *testing.T) {
	d := newDept(t, fabrictest.NewNetwork(t), "MarketMSP", "市市场监管局")
	a := newAgent(t, d)
	for _, path := range console.RoutePaths() {
		method, p, _ := strings.Cut(path, " ")
		p = strings.NewReplacer("{$}", "", "{id}", "CN0", "{code}", "T-1", "{username}", "x").Replace(p)
		var st int
		var body string
		if method == http.MethodGet {
			st, body = a.get(p)
			if st != http.StatusSeeOther || !strings.HasPrefix(body, "/console/login?next=") {
				t.Errorf("GET %s without a session: %d %s", p, st, body)
			}
		} else {
			st, body = a.post(p, url.Values{"csrf": {"x"}})
			if st != http.StatusUnauthorized {
				t.Errorf("POST %s without a session: %d", p, st)
			}
		}
	}
}

// A request without the session's CSRF token is refused and changes
// nothing; so is a login without the login form's token.
func TestCSRFIsRequired(t *testing.T) {
	d := newDept(t, fabrictest.NewNetwork(t), "MarketMSP", "市市场监管局")
	admin := person(t, d, "root", chengnuo.RoleClerk) // a clerk, who may not add accounts either way
	for _, form := range []url.Values{{"csrf": {""}}, {"csrf": {"forged"}}} {
		form.Set("username", "mallory")
		form.Set("roles", chengnuo.RoleAdmin)
		if st, _ := admin.post("/console/accounts", form); st != http.StatusForbidden {
			t.Fatalf("a forged form: %d", st)
		}
	}
	pw, _ := d.ppl.AddAccount(t.Context(), "test", "li", "", []string{chengnuo.RoleClerk})
	b := newAgent(t, d)
	if st, _ := b.post("/console/login", url.Values{"username": {"li"}, "password": {pw}, "csrf": {"guessed"}}); st != http.StatusForbidden {
		t.Fatalf("a login without the form's token: %d", st)
	}
	// The logout form needs the token too.
	c := person(t, d, "wang", chengnuo.RoleClerk)
	if st, _ := c.post("/console/logout", url.Values{"csrf": {"nope"}}); st != http.StatusForbidden {
		t.Fatalf("logout without the token: %d", st)
	}
	if st, _ := c.get("/console/"); st != http.StatusOK {
		t.Fatalf("the session ended on a forged logout: %d", st)
	}
}

// The access matrix: a person with one role reaches exactly the routes of
// that role (and those open to anyone); the others are refused with 403.
func TestAccessMatrix(t *testing.T) {
	d := newDept(t, fabrictest.NewNetwork(t), "MarketMSP", "市市场监管局")
	for _, role := range chengnuo.PersonRoles {
		if role == chengnuo.RoleAdmin {
			continue // needs a second factor: TestAdministratorNeedsASecondFactor
		}
		a := person(t, d, "p-"+role, role)
		for _, r := range console.RouteRoles() {
			method, p, _ := strings.Cut(r.Pattern, " ")
			p = strings.NewReplacer("{$}", "", "{id}", "CN0", "{code}", "T-1", "{username}", "x").Replace(p)
			if p == "/console/logout" {
				continue
			}
			allowed := len(r.Roles) == 0 || contains(r.Roles, role)
			var st int
			var body string
			a.get("/console/")
			if method == http.MethodGet {
				st, body = a.get(p)
			} else {
				st, body = a.post(p, url.Values{})
			}
			// A role refusal is the workbench's own; a 403 from the
			// service (an organisation's rule: only the justice bureau
			// publishes) is not one.
			if refused := st == http.StatusForbidden && strings.Contains(body, "无权访问"); refused == allowed {
				t.Errorf("%s: %s %s answered %d (allowed %v)", role, method, p, st, allowed)
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestSessionCookieFlagsAndLockout(t *testing.T) {
	d := newDept(t, fabrictest.NewNetwork(t), "MarketMSP", "市市场监管局")
	pw, _ := d.ppl.AddAccount(t.Context(), "test", "zhao", "", []string{chengnuo.RoleClerk})
	a := newAgent(t, d)
	a.get("/console/login")
	res, err := a.hc.PostForm(a.base+"/console/login", url.Values{"username": {"zhao"}, "password": {pw}, "csrf": {a.csrf}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var sc *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "chengnuo_session" {
			sc = c
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != "/console/" || sc.Secure {
		t.Fatalf("session cookie %+v (Secure only over TLS)", sc)
	}
	// Over TLS the cookie is Secure.
	tls := httptest.NewTLSServer(d.srv.Config.Handler)
	defer tls.Close()
	hc := tls.Client()
	jar, _ := cookiejar.New(nil)
	hc.Jar, hc.CheckRedirect = jar, func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	b := &agent{t: t, base: tls.URL, hc: hc}
	b.get("/console/login")
	res, err = hc.PostForm(tls.URL+"/console/login", url.Values{"username": {"zhao"}, "password": {pw}, "csrf": {b.csrf}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if cs := res.Cookies(); len(cs) == 0 || !cs[len(cs)-1].Secure {
		t.Fatalf("over TLS: %+v", cs)
	}
	// Five wrong passwords lock the account, even for the right one.
	c := newAgent(t, d)
	for range 5 {
		c.get("/console/login")
		if st, _ := c.post("/console/login", url.Values{"username": {"zhao"}, "password": {"wrong guess"}}); st != http.StatusUnauthorized {
			t.Fatalf("a wrong password: %d", st)
		}
	}
	c.get("/console/login")
	if st, body := c.post("/console/login", url.Values{"username": {"zhao"}, "password": {pw}}); st != http.StatusTooManyRequests || !strings.Contains(body, "locked") {
		t.Fatalf("a locked account: %d", st)
	}
}

// An administrator's login waits for a second factor; nothing else opens.
func TestAdministratorNeedsASecondFactor(t *testing.T) {
	d := newDept(t, fabrictest.NewNetwork(t), "MarketMSP", "市市场监管局")
	pw, _ := d.ppl.AddAccount(t.Context(), "operator", "admin", "管理员", []string{chengnuo.RoleAdmin})
	a := newAgent(t, d)
	a.get("/console/login")
	if st, loc := a.post("/console/login", url.Values{"username": {"admin"}, "password": {pw}}); st != http.StatusSeeOther || loc != "/console/second-factor" {
		t.Fatalf("admin login: %d %s", st, loc)
	}
	if st, loc := a.get("/console/accounts"); st != http.StatusSeeOther || loc != "/console/second-factor" {
		t.Fatalf("before the second factor: %d %s", st, loc)
	}
	_, page := a.get("/console/second-factor")
	m := regexp.MustCompile(`name="secret" value="([A-Z2-7]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no enrolment secret on the page")
	}
	code, _ := people.Code(m[1], time.Now())
	if st, loc := a.post("/console/second-factor", url.Values{"secret": {m[1]}, "code": {code}}); st != http.StatusSeeOther || loc != "/console/password" {
		t.Fatalf("enrolment: %d %s", st, loc)
	}
	a.get("/console/password")
	a.post("/console/password", url.Values{"current": {pw}, "new": {"the admin's own password"}, "repeat": {"the admin's own password"}})
	if st, _ := a.get("/console/accounts"); st != http.StatusOK {
		t.Fatalf("the accounts page after the second factor: %d", st)
	}
	// The administrator adds a clerk: the one-time password is shown once.
	st, body := a.post("/console/accounts", url.Values{"username": {"new.clerk"}, "name": {"新窗口"}, "roles": {chengnuo.RoleClerk}})
	pwRE := regexp.MustCompile(`id="one-time-password">([A-Za-z0-9]{16})<`)
	mm := pwRE.FindStringSubmatch(body)
	if st != http.StatusOK || mm == nil {
		t.Fatalf("add account: %d", st)
	}
	newAgent(t, d).login("new.clerk", mm[1])
}

// The clerk's letter, on paper: drafted, the scan uploaded, the letter's
// page; a failed submission leaves the draft as it was; a withdrawal.
func TestClerkLetterOnPaper(t *testing.T) {
	net := fabrictest.NewNetwork(t)
	j := newDept(t, net, "JusticeMSP", "市司法局")
	m := newDept(t, net, "MarketMSP", "市市场监管局")
	if _, err := j.svc.PublishItem(t.Context(), &chengnuo.Item{Code: "T-1", Name: "测试事项", Department: "MarketMSP", Purpose: "p", LegalBasis: "b",
		Content: "c", EligibleApplicants: "e", CommitmentMethod: "m", VerificationPower: "v", Liability: "l",
		Verification: chengnuo.VerificationRule{Method: "ONLINE", Department: "PoliceMSP", TimeLimitDays: 5}}); err != nil {
		t.Fatal(err)
	}
	clerk := person(t, m, "li.si", chengnuo.RoleClerk)
	clerk.get("/console/letters/new")
	form := url.Values{"itemCode": {"T-1"}, "name": {"张三"}, "idType": {"RESIDENT_ID"}, "idNumber": {"11010519491231002X"},
		"contact": {"13800000000"}, "contactName": {"李四"}, "contactPhone": {"0571-88888888"}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("idNumber", "123")
	if st, body := clerk.post("/console/drafts", bad); st != http.StatusBadRequest || !strings.Contains(body, `aria-invalid="true"`) {
		t.Fatalf("a bad ID number: %d", st)
	}
	st, loc := clerk.post("/console/drafts", form)
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/drafts/CN") {
		t.Fatalf("draft: %d %s", st, loc)
	}
	draftID := strings.TrimPrefix(loc, "/console/drafts/")
	st, body := clerk.get(loc)
	if st != http.StatusOK || !strings.Contains(body, "证明事项告知承诺书") || !strings.Contains(body, "三、申请人承诺") ||
		!strings.Contains(body, "〔") || !strings.Contains(body, "虎市监承第") || !strings.Contains(body, "（十）承诺书是否公开及公开范围、时限") {
		t.Fatalf("draft page: %d", st)
	}
	// Reloading the draft's page shows the same draft: no new number.
	if _, again := clerk.get(loc); !strings.Contains(again, draftID) {
		t.Fatal("the draft's page changed")
	}
	// The letter to print.
	res, err := clerk.hc.Get(clerk.base + loc + "/letter.pdf")
	if err != nil {
		t.Fatal(err)
	}
	printed, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(printed, []byte("%PDF-")) {
		t.Fatalf("the letter's PDF: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if st, _ := clerk.get("/console/drafts/CN000000000000000000000000/letter.pdf"); st != http.StatusNotFound {
		t.Fatalf("the PDF of a draft that does not exist: %d", st)
	}
	clerk.get(loc)
	// Its scan, signed on paper: the PDF stands in for the scanner's.
	st, letterLoc := clerk.upload("/console/letters/paper", url.Values{"draft": {draftID}}, "scan", "signed.pdf", "application/pdf", printed)
	if st != http.StatusSeeOther || letterLoc != "/console/letters/"+draftID+"?notice=submitted" {
		t.Fatalf("paper: %d %s", st, letterLoc)
	}
	if st, page := clerk.get(letterLoc); st != http.StatusOK || !strings.Contains(page, "纸质签名") || !strings.Contains(page, "扫描件摘要") ||
		!strings.Contains(page, "/console/letters/"+draftID+"/receipt.pdf") || !strings.Contains(page, "有效。") {
		t.Fatalf("the paper letter's page: %d", st)
	}
	if st, page := clerk.get("/console/letters/" + draftID + "/receipt"); st != http.StatusOK || !strings.Contains(page, "告知承诺书存证凭证") ||
		!strings.Contains(page, "张*") || strings.Contains(page, "张三") || !strings.Contains(page, "市市场监管局") || !strings.Contains(page, "data:image/png;base64,") {
		t.Fatalf("the receipt page: %d", st)
	}
	for _, doc := range []string{"/receipt.pdf", "/letter.pdf"} {
		res, err := clerk.hc.Get(clerk.base + "/console/letters/" + draftID + doc)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Fatalf("%s: %d", doc, res.StatusCode)
		}
	}
	// A second draft, for the electronic signature.
	if st, loc = clerk.post("/console/drafts", form); st != http.StatusSeeOther {
		t.Fatalf("second draft: %d", st)
	}
	_, body = clerk.get(loc)
	canonical := regexp.MustCompile(`name="letter" value="([^"]+)"`).FindStringSubmatch(body)
	if canonical == nil {
		t.Fatal("no letter in the draft page")
	}
	// A scan of the first letter does not go for the second.
	if st, page := clerk.upload("/console/letters/paper", url.Values{"draft": {strings.TrimPrefix(loc, "/console/drafts/")}}, "scan", "signed.pdf", "application/pdf", printed); st != http.StatusBadRequest || !strings.Contains(page, "the scan is not of letter") {
		t.Fatalf("a scan of another letter: %d", st)
	}
	// A signature that does not verify: refused, the draft shown again.
	st, body = clerk.post("/console/letters", url.Values{"letter": {htmlUnescape(canonical[1])}, "signature": {base64.StdEncoding.EncodeToString([]byte("nope"))},
		"key": {"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"}})
	if st != http.StatusBadRequest || !strings.Contains(body, "证明事项告知承诺书") {
		t.Fatalf("a bad signature: %d", st)
	}
	if l, _ := m.svc.Letters(t.Context(), chengnuo.LetterFilter{}, chengnuo.Page{}); len(l.Items) != 1 || l.Items[0].ID != draftID {
		t.Fatalf("refused submissions stored letters: %d", len(l.Items))
	}
	// A good one: signed with an SM2 key.
	key, _ := sm.GenerateKey()
	sig, _ := sm.Sign(key, []byte(htmlUnescape(canonical[1])))
	pub, _ := sm.MarshalPublicKeyPEM(&key.PublicKey)
	st, loc = clerk.post("/console/letters", url.Values{"letter": {htmlUnescape(canonical[1])}, "signature": {base64.StdEncoding.EncodeToString(sig)}, "key": {string(pub)}})
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/letters/CN") {
		t.Fatalf("submit: %d %s", st, loc)
	}
	id := strings.TrimPrefix(strings.Split(loc, "?")[0], "/console/letters/")
	if st, body := clerk.get(loc); st != http.StatusOK || !strings.Contains(body, "有效 ACTIVE") || !strings.Contains(body, "11010519491231002X") {
		t.Fatalf("the letter's page: %d", st)
	}
	// Found by the applicant's ID number.
	if st, body := clerk.get("/console/letters?q=11010519491231002X"); st != http.StatusOK || !strings.Contains(body, id) {
		t.Fatalf("the list by ID number: %d", st)
	}
	clerk.get("/console/letters/" + id)
	if st, body := clerk.post("/console/letters/"+id+"/withdraw", url.Values{"reason": {"申请人主动撤回"}}); st != http.StatusOK || !strings.Contains(body, "已撤回 WITHDRAWN") {
		t.Fatalf("withdraw: %d", st)
	}
	// The audit trail has all of it, by the person.
	l, _ := m.ppl.Store().AuditTrail(t.Context(), chengnuo.Page{})
	var got []string
	for _, e := range l.Items {
		if e.Username == "li.si" {
			got = append(got, e.Action+":"+e.Outcome)
		}
	}
	want := "[letter.withdraw:ok letter.submit:ok letter.submit:INVALID_ARGUMENT letter.submit-paper:INVALID_ARGUMENT letter.draft:ok " +
		"document.letter:ok document.receipt:ok letter.submit-paper:ok document.letter:NOT_FOUND document.letter:ok letter.draft:ok letter.draft:INVALID_ARGUMENT password.change:ok login:ok]"
	if fmt.Sprint(got) != want {
		t.Fatalf("audit trail %v\nwant %s", got, want)
	}
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#39;", "'", "&#43;", "+").Replace(s)
}

// The verifying department's officer answers from the inbox.
func TestInboxAnswer(t *testing.T) {
	net := fabrictest.NewNetwork(t)
	j := newDept(t, net, "JusticeMSP", "市司法局")
	m := newDept(t, net, "MarketMSP", "市市场监管局")
	p := newDept(t, net, "PoliceMSP", "市公安局")
	if _, err := j.svc.PublishItem(t.Context(), &chengnuo.Item{Code: "T-1", Name: "测试事项", Department: "MarketMSP", Purpose: "p", LegalBasis: "b",
		Content: "c", EligibleApplicants: "e", CommitmentMethod: "m", VerificationPower: "v", Liability: "l",
		Verification: chengnuo.VerificationRule{Method: "ONLINE", Department: "PoliceMSP", TimeLimitDays: 5}}); err != nil {
		t.Fatal(err)
	}
	d, err := m.svc.Draft(t.Context(), chengnuo.DraftRequest{ItemCode: "T-1", Applicant: chengnuo.Applicant{Name: "张三", IDType: "RESIDENT_ID",
		IDNumber: "11010519491231002X", Contact: "1"}, ContactName: "a", ContactPhone: "1"})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := sm.GenerateKey()
	sig, _ := sm.Sign(key, []byte(d.Canonical))
	pub, _ := sm.MarshalPublicKeyPEM(&key.PublicKey)
	rc, err := m.svc.Submit(t.Context(), chengnuo.SubmitRequest{Letter: d.Canonical, Signature: base64.StdEncoding.EncodeToString(sig), PublicKey: string(pub)})
	if err != nil {
		t.Fatal(err)
	}
	q, err := m.svc.RequestVerification(t.Context(), rc.CommitmentID, "核查住所")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.svc.(interface {
		VerificationRequested(ctx context.Context, r *chengnuo.VerificationRequest) error
	}).VerificationRequested(t.Context(), q); err != nil {
		t.Fatal(err)
	}
	officer := person(t, p, "zhao", chengnuo.RoleClerk)
	if st, body := officer.get("/console/inbox"); st != http.StatusOK || !strings.Contains(body, q.ID) {
		t.Fatalf("inbox: %d", st)
	}
	st, body := officer.get("/console/inbox/" + q.ID)
	if st != http.StatusOK || !strings.Contains(body, `id="evidence"`) || !strings.Contains(body, "11010519491231002X") {
		t.Fatalf("the request's page: %d\n%s", st, body)
	}
	if st, body := officer.post("/console/inbox/"+q.ID+"/answer", url.Values{"result": {"INCONSISTENT"}, "evidence": {"不一致"}}); st != http.StatusOK || !strings.Contains(body, "INCONSISTENT") {
		t.Fatalf("answer: %d\n%s", st, body)
	}
}
