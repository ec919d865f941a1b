package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
)

func urlQuery(s string) string { return url.QueryEscape(s) }

// draftOf is the draft of a canonical letter (to show it again).
func (c *Console) draftOf(canonical string) (*chengnuo.Draft, error) {
	l, err := letter.Parse([]byte(canonical))
	if err != nil {
		return nil, err
	}
	return &chengnuo.Draft{Letter: l, Canonical: canonical, Digest: letter.Digest([]byte(canonical))}, nil
}

// ---------------------------------------------------------------- inbox

type inboxLine struct {
	Request *chengnuo.VerificationRequest
	Overdue bool
	DueSoon bool
}

type inboxData struct {
	Open, Done []inboxLine
	LedgerTime time.Time
}

// inboxLines are the requests addressed to this department: the open ones,
// the most urgent first (overdue, then by due date), and the last answered.
// The ledger (the department's read model) says which are open, judged by
// ledger time.
func (c *Console) inboxLines(r *http.Request) (*inboxData, error) {
	d := &inboxData{}
	p := chengnuo.Page{Size: chengnuo.MaxPageSize}
	for range 20 {
		l, err := c.svc.Requests(r.Context(), chengnuo.RequestFilter{Side: "to", State: "all"}, p)
		if err != nil {
			return nil, err
		}
		d.LedgerTime = l.LedgerTime
		for _, q := range l.Items {
			line := inboxLine{Request: q}
			if q.Status == chengnuo.RequestPending {
				// Judged by the service on the calendar of working days.
				line.Overdue = l.Urgent[q.ID] == chengnuo.UrgencyOverdue
				line.DueSoon = l.Urgent[q.ID] == chengnuo.UrgencyDueSoon
				d.Open = append(d.Open, line)
			} else {
				d.Done = append(d.Done, line)
			}
		}
		if !l.More {
			break
		}
		p.Bookmark = l.Bookmark
	}
	slices.SortStableFunc(d.Open, func(a, b inboxLine) int {
		if a.Overdue != b.Overdue {
			if a.Overdue {
				return -1
			}
			return 1
		}
		return a.Request.DueAt.Compare(b.Request.DueAt)
	})
	slices.SortStableFunc(d.Done, func(a, b inboxLine) int { return b.Request.RequestedAt.Compare(a.Request.RequestedAt) })
	if len(d.Done) > 50 {
		d.Done = d.Done[:50]
	}
	return d, nil
}

func (c *Console) inbox(w http.ResponseWriter, r *http.Request) {
	v := &view{Title: "协助核查 Verification inbox"}
	d, err := c.inboxLines(r)
	if err != nil {
		v.Data = &inboxData{}
		c.fail(w, r, "inbox", v, err)
		return
	}
	v.Data = d
	c.render(w, r, http.StatusOK, "inbox", v)
}

// inboxBadge is the count the workbench's script shows in the menu.
func (c *Console) inboxBadge(w http.ResponseWriter, r *http.Request) {
	d, err := c.inboxLines(r)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(statusOf(chengnuo.ErrorCode(err)))
		_ = json.NewEncoder(w).Encode(map[string]string{"code": chengnuo.ErrorCode(err)})
		return
	}
	urgent := 0
	for _, l := range d.Open {
		if l.Overdue || l.DueSoon {
			urgent++
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]int{"open": len(d.Open), "urgent": urgent})
}

type requestData struct {
	Request *chengnuo.VerificationRequest
	Details *chengnuo.RequestDetails
	Form    map[string]string
	Overdue bool
}

func (c *Console) inboxRequest(w http.ResponseWriter, r *http.Request) {
	c.showRequest(w, r, nil, "", nil)
}

func (c *Console) showRequest(w http.ResponseWriter, r *http.Request, err error, notice string, form map[string]string) {
	id := r.PathValue("id")
	v := &view{Title: "核查请求 " + id, Notice: notice}
	q, gerr := c.svc.GetVerification(r.Context(), id)
	if gerr != nil {
		c.fail(w, r, "message", v, gerr)
		return
	}
	d := &requestData{Request: q, Form: form}
	if q.Status == chengnuo.RequestPending {
		// The details are read only while they are needed; every read is
		// in the audit trail.
		det, derr := c.svc.Details(r.Context(), id)
		c.record(r, "verification.details", id, derr, "")
		if derr == nil {
			d.Details = det
		}
		if lt, lerr := c.svc.Requests(r.Context(), chengnuo.RequestFilter{Side: "to", State: "pending"}, chengnuo.Page{Size: 1}); lerr == nil {
			d.Overdue = q.DueAt.Before(lt.LedgerTime)
		}
	}
	v.Data = d
	if err != nil {
		c.fail(w, r, "request", v, err)
		return
	}
	c.render(w, r, http.StatusOK, "request", v)
}

func (c *Console) answer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	form := map[string]string{"result": r.PostFormValue("result"), "evidence": r.PostFormValue("evidence"), "declineReason": r.PostFormValue("declineReason")}
	a := chengnuo.AnswerRequest{Result: form["result"], Evidence: form["evidence"]}
	if form["result"] == "DECLINE" {
		a = chengnuo.AnswerRequest{DeclineReason: form["declineReason"]}
	}
	q, err := c.svc.Answer(r.Context(), id, a)
	txID := ""
	if q != nil && q.Answer != nil {
		txID = q.Answer.TxID
	}
	c.record(r, "verification.answer", id, err, txID)
	if err != nil {
		c.showRequest(w, r, err, "", form)
		return
	}
	c.showRequest(w, r, nil, "已答复。The request was answered.", nil)
}

// ---------------------------------------------------------------- credit

type creditData struct {
	IDType, IDNumber string
	View             *chengnuo.ApplicantView
	Record           *chengnuo.CreditRecord
	Objections       []textLine[*chengnuo.Objection]
}

// textLine is a record with the text behind one of its digests, when this
// department may read it.
type textLine[T any] struct {
	Record T
	Text   string
}

// textOf is the text of a digest this department is entitled to, or "".
func (c *Console) textOf(r *http.Request, digest string) string {
	if digest == "" {
		return ""
	}
	t, err := c.svc.Text(r.Context(), digest)
	if err != nil {
		return ""
	}
	return t.Text
}

// objections are the objections, pending ones first, with their reasons.
func (c *Console) objections(r *http.Request) []textLine[*chengnuo.Objection] {
	var out []textLine[*chengnuo.Objection]
	p := chengnuo.Page{Size: chengnuo.MaxPageSize}
	for range 10 {
		l, err := c.svc.Objections(r.Context(), p)
		if err != nil {
			break
		}
		for _, o := range l.Items {
			out = append(out, textLine[*chengnuo.Objection]{Record: o})
		}
		if !l.More {
			break
		}
		p.Bookmark = l.Bookmark
	}
	slices.SortStableFunc(out, func(a, b textLine[*chengnuo.Objection]) int {
		if pa, pb := a.Record.Status == chengnuo.ObjectionPending, b.Record.Status == chengnuo.ObjectionPending; pa != pb {
			if pa {
				return -1
			}
			return 1
		}
		return b.Record.FiledAt.Compare(a.Record.FiledAt)
	})
	if len(out) > 50 {
		out = out[:50]
	}
	for i := range out {
		if out[i].Record.Status == chengnuo.ObjectionPending {
			out[i].Text = c.textOf(r, out[i].Record.ReasonDigest)
		}
	}
	return out
}

func (c *Console) creditPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "credit", &view{Title: "信用 Credit", Data: &creditData{IDType: "RESIDENT_ID", Objections: c.objections(r)}})
}

func (c *Console) creditLookup(w http.ResponseWriter, r *http.Request) {
	d := &creditData{IDType: r.PostFormValue("idType"), IDNumber: strings.TrimSpace(r.PostFormValue("idNumber")), Objections: c.objections(r)}
	v := &view{Title: "信用 Credit", Data: d}
	av, err := c.svc.LookupApplicant(r.Context(), d.IDType, d.IDNumber, chengnuo.Page{Size: 50})
	c.record(r, "credit.lookup", "", err, "")
	if err != nil {
		c.fail(w, r, "credit", v, err)
		return
	}
	d.View = av
	c.render(w, r, http.StatusOK, "credit", v)
}

func (c *Console) creditRecord(w http.ResponseWriter, r *http.Request) {
	c.showCredit(w, r, nil, "")
}

func (c *Console) showCredit(w http.ResponseWriter, r *http.Request, err error, notice string) {
	id := r.PathValue("id")
	v := &view{Title: "信用记录 " + id, Notice: notice}
	rec, gerr := c.svc.GetCredit(r.Context(), id)
	if gerr != nil {
		c.fail(w, r, "message", v, gerr)
		return
	}
	v.Data = &creditData{Record: rec}
	if err != nil {
		c.fail(w, r, "credit-record", v, err)
		return
	}
	c.render(w, r, http.StatusOK, "credit-record", v)
}

func (c *Console) repair(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	rec, err := c.svc.RepairCredit(r.Context(), id, r.PostFormValue("reason"))
	txID := ""
	if rec != nil {
		txID = rec.TxID
	}
	c.record(r, "credit.repair", id, err, txID)
	c.showCredit(w, r, err, "信用已修复。The record was repaired.")
}

func (c *Console) decideObjection(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.PostFormValue("objectionId"))
	o, err := c.svc.DecideObjection(r.Context(), id, chengnuo.ObjectionDecision{Uphold: r.PostFormValue("uphold") == "true", Reason: r.PostFormValue("reason")})
	txID := ""
	if o != nil {
		txID = o.DecisionTx
	}
	c.record(r, "credit.objection-decision", id, err, txID)
	v := &view{Title: "信用 Credit", Data: &creditData{IDType: "RESIDENT_ID", Objections: c.objections(r)}}
	if err != nil {
		c.fail(w, r, "credit", v, err)
		return
	}
	v.Notice = "异议 " + o.ID + " 已决定：" + o.Status + "。The objection was decided."
	c.render(w, r, http.StatusOK, "credit", v)
}

// ---------------------------------------------------------------- catalog

type catalogData struct {
	Items   []*chengnuo.Item
	Item    *chengnuo.Item
	Form    *chengnuo.Item
	Changes []*chengnuo.CatalogChange
	Now     time.Time // ledger time, for what is overdue
}

func (c *Console) catalog(w http.ResponseWriter, r *http.Request) {
	v := &view{Title: "证明事项目录 Catalog"}
	d := &catalogData{}
	p := chengnuo.Page{Size: chengnuo.MaxPageSize}
	for range 20 {
		l, err := c.svc.ListItems(r.Context(), p)
		if err != nil {
			v.Data = d
			c.fail(w, r, "catalog", v, err)
			return
		}
		d.Items = append(d.Items, l.Items...)
		if !l.More {
			break
		}
		p.Bookmark = l.Bookmark
	}
	c.catalogChanges(r, d)
	v.Data = d
	c.render(w, r, http.StatusOK, "catalog", v)
}

// catalogChanges lists the catalog's changes with their reports, the
// unreported first, and judges which are overdue by ledger time.
func (c *Console) catalogChanges(r *http.Request, d *catalogData) {
	d.Now = c.opts.Now()
	if l, err := c.svc.Requests(r.Context(), chengnuo.RequestFilter{Side: "to", State: "pending"}, chengnuo.Page{Size: 1}); err == nil {
		d.Now = l.LedgerTime
	}
	p := chengnuo.Page{Size: chengnuo.MaxPageSize}
	for range 20 {
		l, err := c.svc.CatalogChanges(r.Context(), p)
		if err != nil {
			return
		}
		d.Changes = append(d.Changes, l.Items...)
		if !l.More {
			break
		}
		p.Bookmark = l.Bookmark
	}
	slices.SortStableFunc(d.Changes, func(a, b *chengnuo.CatalogChange) int {
		if a.ReportedAt.IsZero() != b.ReportedAt.IsZero() {
			if a.ReportedAt.IsZero() {
				return -1
			}
			return 1
		}
		return b.At.Compare(a.At)
	})
}

// reportChange records that a catalog change was reported to the higher level.
func (c *Console) reportChange(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ch, err := c.svc.ReportCatalogChange(r.Context(), id)
	tx := ""
	if ch != nil {
		tx = ch.ReportTx
	}
	c.record(r, "catalog.report", id, err, tx)
	if err != nil {
		d := &catalogData{}
		c.catalogChanges(r, d)
		c.fail(w, r, "catalog", &view{Title: "证明事项目录 Catalog", Data: d}, err)
		return
	}
	redirect(w, r, Prefix+"catalog#changes")
}

func (c *Console) item(w http.ResponseWriter, r *http.Request) {
	c.showItem(w, r, r.PathValue("code"), nil, "", nil)
}

func (c *Console) showItem(w http.ResponseWriter, r *http.Request, code string, err error, notice string, form *chengnuo.Item) {
	v := &view{Title: "证明事项 " + code, Notice: notice}
	version, _ := strconv.Atoi(r.URL.Query().Get("version"))
	it, gerr := c.svc.GetItem(r.Context(), code, version)
	if gerr != nil && form == nil {
		c.fail(w, r, "message", v, gerr)
		return
	}
	if form == nil {
		form = it
	}
	v.Data = &catalogData{Item: it, Form: form}
	if err != nil {
		c.fail(w, r, "item", v, err)
		return
	}
	c.render(w, r, http.StatusOK, "item", v)
}

// itemOf is the item form as posted.
func itemOf(r *http.Request) *chengnuo.Item {
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	days, _ := strconv.Atoi(g("timeLimitDays"))
	period, _ := strconv.Atoi(g("periodDays"))
	return &chengnuo.Item{Code: g("code"), Name: g("name"), Department: g("department"), Purpose: g("purpose"), LegalBasis: g("legalBasis"),
		Content: g("content"), EligibleApplicants: g("eligibleApplicants"), CommitmentMethod: g("commitmentMethod"),
		VerificationPower: g("verificationPower"), Liability: g("liability"), RequireCertificate: g("requireCertificate") == "on",
		Disclosure:   chengnuo.Disclosure{Public: g("disclosurePublic") == "on", Scope: g("disclosureScope"), PeriodDays: period},
		Verification: chengnuo.VerificationRule{Exempt: g("exempt") == "on", Method: g("method"), Department: g("verifyingDepartment"), TimeLimitDays: days}}
}

func (c *Console) publish(w http.ResponseWriter, r *http.Request) {
	it := itemOf(r)
	out, err := c.svc.PublishItem(r.Context(), it)
	txID := ""
	if out != nil {
		txID = out.PublishedTx
	}
	c.record(r, "catalog.publish", it.Code, err, txID)
	if err != nil {
		c.showItem(w, r, it.Code, err, "", it)
		return
	}
	c.showItem(w, r, out.Code, nil, "已发布第 "+strconv.Itoa(out.Version)+" 版。Version "+strconv.Itoa(out.Version)+" published.", nil)
}

func (c *Console) retire(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	_, err := c.svc.RetireItem(r.Context(), code)
	c.record(r, "catalog.retire", code, err, "")
	c.showItem(w, r, code, err, "已废止。Retired.", nil)
}

type proposalData struct {
	ID        string
	Proposal  *chengnuo.Proposal
	Items     []*chengnuo.Item
	Proposals []textLine[*chengnuo.Proposal]
}

// proposals are the catalog change proposals, pending ones first, with
// their reasons where this department may read them.
func (c *Console) proposals(r *http.Request) []textLine[*chengnuo.Proposal] {
	var out []textLine[*chengnuo.Proposal]
	p := chengnuo.Page{Size: chengnuo.MaxPageSize}
	for range 10 {
		l, err := c.svc.Proposals(r.Context(), p)
		if err != nil {
			break
		}
		for _, x := range l.Items {
			out = append(out, textLine[*chengnuo.Proposal]{Record: x})
		}
		if !l.More {
			break
		}
		p.Bookmark = l.Bookmark
	}
	slices.SortStableFunc(out, func(a, b textLine[*chengnuo.Proposal]) int {
		if pa, pb := a.Record.Status == "PENDING", b.Record.Status == "PENDING"; pa != pb {
			if pa {
				return -1
			}
			return 1
		}
		return b.Record.ProposedAt.Compare(a.Record.ProposedAt)
	})
	if len(out) > 50 {
		out = out[:50]
	}
	for i := range out {
		if out[i].Record.Status == "PENDING" {
			out[i].Text = c.textOf(r, out[i].Record.ReasonDigest)
		}
	}
	return out
}

func (c *Console) proposal(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.URL.Query().Get("id"))
	d := &proposalData{ID: id, Items: c.activeItems(r), Proposals: c.proposals(r)}
	v := &view{Title: "目录调整建议 Proposals", Data: d}
	if id != "" {
		p, err := c.svc.GetProposal(r.Context(), id)
		if err != nil {
			c.fail(w, r, "proposals", v, err)
			return
		}
		d.Proposal = p
	}
	c.render(w, r, http.StatusOK, "proposals", v)
}

func (c *Console) propose(w http.ResponseWriter, r *http.Request) {
	req := chengnuo.ProposalRequest{Kind: r.PostFormValue("kind"), Code: strings.TrimSpace(r.PostFormValue("code")), Reason: r.PostFormValue("reason")}
	p, err := c.svc.ProposeItemChange(r.Context(), req)
	id := ""
	if p != nil {
		id = p.ID
	}
	c.record(r, "catalog.propose", req.Code, err, "")
	v := &view{Title: "目录调整建议 Proposals", Data: &proposalData{Items: c.activeItems(r), Proposal: p, ID: id, Proposals: c.proposals(r)}}
	if err != nil {
		c.fail(w, r, "proposals", v, err)
		return
	}
	v.Notice = "建议已提交，编号 " + id + "。The proposal was filed."
	c.render(w, r, http.StatusOK, "proposals", v)
}

func (c *Console) decideProposal(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.PostFormValue("id"))
	p, err := c.svc.DecideProposal(r.Context(), id, chengnuo.ProposalDecision{Approve: r.PostFormValue("approve") == "true", Reason: r.PostFormValue("reason")})
	c.record(r, "catalog.proposal-decision", id, err, "")
	v := &view{Title: "目录调整建议 Proposals", Data: &proposalData{ID: id, Proposal: p, Items: c.activeItems(r), Proposals: c.proposals(r)}}
	if err != nil {
		c.fail(w, r, "proposals", v, err)
		return
	}
	v.Notice = "已决定。Decided."
	c.render(w, r, http.StatusOK, "proposals", v)
}

// ---------------------------------------------------------------- auditors

type trailData struct {
	Entries []*chengnuo.AuditEntry
	More    bool
	Next    string
}

func (c *Console) auditTrail(w http.ResponseWriter, r *http.Request) {
	d := &trailData{}
	v := &view{Title: "操作日志 Audit trail", Data: d}
	l, err := c.ppl.Store().AuditTrail(r.Context(), chengnuo.Page{Size: 50, Bookmark: r.URL.Query().Get("bookmark")})
	if err != nil {
		c.fail(w, r, "audit-trail", v, err)
		return
	}
	d.Entries, d.More = l.Items, l.More
	if l.More {
		d.Next = "?bookmark=" + urlQuery(l.Bookmark)
	}
	c.render(w, r, http.StatusOK, "audit-trail", v)
}

type storeAuditData struct {
	Report *chengnuo.AuditReport
	Next   string
}

func (c *Console) storeAudit(w http.ResponseWriter, r *http.Request) {
	d := &storeAuditData{}
	v := &view{Title: "账本核对 Store audit", Data: d}
	rep, err := c.svc.Audit(r.Context(), chengnuo.Page{Size: 200, Bookmark: r.URL.Query().Get("bookmark")})
	c.record(r, "store.audit", "", err, "")
	if err != nil {
		c.fail(w, r, "store-audit", v, err)
		return
	}
	d.Report = rep
	if rep.More {
		d.Next = "?bookmark=" + urlQuery(rep.Bookmark)
	}
	c.render(w, r, http.StatusOK, "store-audit", v)
}

// ---------------------------------------------------------------- administrators

type accountsData struct {
	Accounts []*chengnuo.Account
	Roles    []string
	Created  string // the username just added or reset
	Password string // its one-time password, shown once
	Form     map[string]string
}

func (c *Console) accounts(w http.ResponseWriter, r *http.Request) {
	c.showAccounts(w, r, nil, "", &accountsData{})
}

func (c *Console) showAccounts(w http.ResponseWriter, r *http.Request, err error, notice string, d *accountsData) {
	v := &view{Title: "账户 Accounts", Notice: notice, Data: d}
	d.Roles = chengnuo.PersonRoles
	l, lerr := c.ppl.Store().Accounts(r.Context(), chengnuo.Page{Size: chengnuo.MaxPageSize})
	if lerr == nil {
		d.Accounts = l.Items
	}
	if err == nil {
		err = lerr
	}
	if err != nil {
		c.fail(w, r, "accounts", v, err)
		return
	}
	c.render(w, r, http.StatusOK, "accounts", v)
}

func (c *Console) addAccount(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		c.showAccounts(w, r, chengnuo.Errorf(chengnuo.EINVALID, "the form could not be read"), "", &accountsData{})
		return
	}
	u, name := strings.TrimSpace(r.PostFormValue("username")), strings.TrimSpace(r.PostFormValue("name"))
	pw, err := c.ppl.AddAccount(r.Context(), accountOf(r).Username, u, name, r.PostForm["roles"])
	c.record(r, "account.add", u, err, "")
	if err != nil {
		c.showAccounts(w, r, err, "", &accountsData{Form: map[string]string{"username": u, "name": name}})
		return
	}
	c.showAccounts(w, r, nil, "账户已创建。The account was created.", &accountsData{Created: u, Password: pw})
}

func (c *Console) resetAccount(w http.ResponseWriter, r *http.Request) {
	u := r.PathValue("username")
	pw, err := c.ppl.ResetPassword(r.Context(), u)
	c.record(r, "account.reset", u, err, "")
	if err != nil {
		c.showAccounts(w, r, err, "", &accountsData{})
		return
	}
	c.showAccounts(w, r, nil, "密码已重置。The password was reset.", &accountsData{Created: u, Password: pw})
}

func (c *Console) setRoles(w http.ResponseWriter, r *http.Request) {
	u := r.PathValue("username")
	if err := r.ParseForm(); err != nil {
		c.showAccounts(w, r, chengnuo.Errorf(chengnuo.EINVALID, "the form could not be read"), "", &accountsData{})
		return
	}
	err := c.ppl.SetRoles(r.Context(), accountOf(r).Username, u, r.PostForm["roles"])
	c.record(r, "account.roles", u, err, "")
	c.showAccounts(w, r, err, "角色已更新。Roles updated.", &accountsData{})
}

func (c *Console) disableAccount(w http.ResponseWriter, r *http.Request) {
	u := r.PathValue("username")
	err := c.ppl.SetDisabled(r.Context(), accountOf(r).Username, u, true)
	c.record(r, "account.disable", u, err, "")
	c.showAccounts(w, r, err, "账户已停用。Disabled.", &accountsData{})
}

func (c *Console) enableAccount(w http.ResponseWriter, r *http.Request) {
	u := r.PathValue("username")
	err := c.ppl.SetDisabled(r.Context(), accountOf(r).Username, u, false)
	c.record(r, "account.enable", u, err, "")
	c.showAccounts(w, r, err, "账户已启用。Enabled.", &accountsData{})
}
