package console

import (
	"cmp"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/chengnuo/chengnuo"
)

type homeData struct {
	Inbox, Overdue int
	Notice         string
}

func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	v := &view{Title: "工作台 Workbench"}
	d := homeData{}
	if a := accountOf(r); a.Has(readers...) {
		if l, err := c.svc.Requests(r.Context(), chengnuo.RequestFilter{Side: "to", State: "pending"}, chengnuo.Page{Size: chengnuo.MaxPageSize}); err == nil {
			d.Inbox = len(l.Items)
			for _, q := range l.Items {
				if q.DueAt.Before(l.LedgerTime) {
					d.Overdue++
				}
			}
		}
	}
	switch r.URL.Query().Get("notice") {
	case "password":
		v.Notice = "密码已修改。Your password was changed."
	}
	v.Data = d
	c.render(w, r, http.StatusOK, "home", v)
}

type lettersData struct {
	Query, Status string
	From, To      string
	Letters       []*chengnuo.LetterSummary
	More          bool
	Next          string
	Statuses      []string
}

var letterStatuses = []string{chengnuo.StatePending, chengnuo.StatusActive, chengnuo.StatusWithdrawn, chengnuo.StatusConcluded}

func (c *Console) letters(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := lettersData{Query: q.Get("q"), Status: q.Get("status"), From: q.Get("from"), To: q.Get("to"), Statuses: letterStatuses}
	v := &view{Title: "承诺书 Letters", Data: &d}
	f := chengnuo.LetterFilter{Query: d.Query, Status: d.Status}
	for _, x := range []struct {
		in  string
		out *time.Time
		add int
	}{{d.From, &f.From, 0}, {d.To, &f.To, 1}} {
		if x.in == "" {
			continue
		}
		day, err := time.ParseInLocation("2006-01-02", x.in, time.Local)
		if err != nil {
			c.fail(w, r, "letters", v, chengnuo.Errorf(chengnuo.EINVALID, "dates are YYYY-MM-DD"))
			return
		}
		*x.out = day.AddDate(0, 0, x.add)
	}
	l, err := c.svc.Letters(r.Context(), f, chengnuo.Page{Size: 25, Bookmark: q.Get("bookmark")})
	if err != nil {
		c.fail(w, r, "letters", v, err)
		return
	}
	d.Letters, d.More = l.Items, l.More
	if l.More {
		d.Next = "?q=" + urlQuery(d.Query) + "&status=" + urlQuery(d.Status) + "&from=" + urlQuery(d.From) + "&to=" + urlQuery(d.To) +
			"&bookmark=" + urlQuery(l.Bookmark)
	}
	c.render(w, r, http.StatusOK, "letters", v)
}

type newLetterData struct {
	Items []*chengnuo.Item
	Form  draftForm
}

// draftForm is the letter form as the clerk filled it, kept across errors.
type draftForm struct {
	ItemCode, Name, IDType, IDNumber, Contact, ContactName, ContactPhone string
}

func formOf(r *http.Request) draftForm {
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return draftForm{ItemCode: g("itemCode"), Name: g("name"), IDType: g("idType"), IDNumber: g("idNumber"), Contact: g("contact"),
		ContactName: g("contactName"), ContactPhone: g("contactPhone")}
}

func (c *Console) activeItems(r *http.Request) []*chengnuo.Item {
	var out []*chengnuo.Item
	p := chengnuo.Page{Size: chengnuo.MaxPageSize}
	for range 20 {
		l, err := c.svc.ListItems(r.Context(), p)
		if err != nil {
			return out
		}
		for _, it := range l.Items {
			if it.Status == chengnuo.ItemActive {
				out = append(out, it)
			}
		}
		if !l.More {
			break
		}
		p.Bookmark = l.Bookmark
	}
	return out
}

func (c *Console) newLetter(w http.ResponseWriter, r *http.Request) {
	d := &newLetterData{Items: c.activeItems(r), Form: draftForm{ItemCode: r.URL.Query().Get("item"), IDType: "RESIDENT_ID"}}
	c.render(w, r, http.StatusOK, "letter-new", &view{Title: "新建承诺书 New letter", Data: d})
}

type draftData struct {
	Form   draftForm
	Draft  *chengnuo.Draft
	Item   *chengnuo.Item
	Number string
}

// draft renders the letter as the applicant will read and sign it.
func (c *Console) draft(w http.ResponseWriter, r *http.Request) {
	f := formOf(r)
	d, err := c.svc.Draft(r.Context(), chengnuo.DraftRequest{ItemCode: f.ItemCode,
		Applicant:   chengnuo.Applicant{Name: f.Name, IDType: f.IDType, IDNumber: f.IDNumber, Contact: f.Contact},
		ContactName: f.ContactName, ContactPhone: f.ContactPhone})
	c.record(r, "letter.draft", f.ItemCode, err, "")
	if err != nil {
		c.fail(w, r, "letter-new", &view{Title: "新建承诺书 New letter", Data: &newLetterData{Items: c.activeItems(r), Form: f}}, err)
		return
	}
	// The draft is kept: show it at its own address, so that reloading
	// the page shows it again rather than drafting (and numbering) anew.
	redirect(w, r, Prefix+"drafts/"+d.ID)
}

// submit takes the applicant's SM2 signature over the drafted letter.
func (c *Console) submit(w http.ResponseWriter, r *http.Request) {
	req := chengnuo.SubmitRequest{Letter: r.PostFormValue("letter"), Signature: strings.TrimSpace(r.PostFormValue("signature"))}
	if key := strings.TrimSpace(r.PostFormValue("key")); strings.Contains(key, "CERTIFICATE") {
		req.Certificate = key
	} else {
		req.PublicKey = key
	}
	rc, err := c.svc.Submit(r.Context(), req)
	txID := ""
	if rc != nil {
		txID = rc.TxID
	}
	c.record(r, "letter.submit", idOf(rc), err, txID)
	if err != nil {
		c.redraft(w, r, err)
		return
	}
	redirect(w, r, Prefix+"letters/"+rc.CommitmentID+"?notice=submitted")
}

// redraft shows the draft again, as it was, with the error: a failed
// submission changes nothing.
func (c *Console) redraft(w http.ResponseWriter, r *http.Request, err error) {
	f := formOf(r)
	v := &view{Title: "承诺书 Letter"}
	d, derr := c.svc.GetDraft(r.Context(), r.PostFormValue("draft"))
	if derr != nil {
		d, derr = c.draftOf(r.PostFormValue("letter"))
	}
	if derr != nil {
		v.Data = &newLetterData{Items: c.activeItems(r), Form: f}
		c.fail(w, r, "letter-new", v, err)
		return
	}
	it, _ := c.svc.GetItem(r.Context(), d.Letter.Notice.ItemCode, d.Letter.Notice.ItemVersion)
	v.Data = &draftData{Form: f, Draft: d, Item: it}
	c.fail(w, r, "letter-draft", v, err)
}

func idOf(rc *chengnuo.Receipt) string {
	if rc == nil {
		return ""
	}
	return rc.CommitmentID
}

// submitPaper takes the scan of a letter the applicant signed on paper.
func (c *Console) submitPaper(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(maxUploadBytes); err != nil {
		c.redraft(w, r, chengnuo.Errorf(chengnuo.EINVALID, "the scan could not be read (at most 12 MiB) (scan)"))
		return
	}
	file, hdr, err := r.FormFile("scan")
	if err != nil {
		c.redraft(w, r, chengnuo.Errorf(chengnuo.EINVALID, "choose the scan of the signed letter (scan)"))
		return
	}
	defer file.Close()
	raw, err := io.ReadAll(file)
	if err != nil {
		c.redraft(w, r, chengnuo.Errorf(chengnuo.EINVALID, "the scan could not be read (scan)"))
		return
	}
	media := hdr.Header.Get("Content-Type")
	if media == "" || media == "application/octet-stream" {
		media = http.DetectContentType(raw)
	}
	rc, err := c.svc.SubmitPaper(r.Context(), chengnuo.PaperRequest{Draft: r.PostFormValue("draft"),
		Scan: base64.StdEncoding.EncodeToString(raw), MediaType: strings.TrimSpace(strings.Split(media, ";")[0])})
	txID := ""
	if rc != nil {
		txID = rc.TxID
	}
	c.record(r, "letter.submit-paper", idOf(rc), err, txID)
	if err != nil {
		c.redraft(w, r, err)
		return
	}
	redirect(w, r, Prefix+"letters/"+rc.CommitmentID+"?notice=submitted")
}

type letterData struct {
	View     *chengnuo.CommitmentView
	Summary  *chengnuo.LetterSummary
	Requests []*chengnuo.VerificationRequest
	Answers  map[string]string // request id -> the evidence or the reason for declining, as shared with this department
	Today    string
}

func (c *Console) letter(w http.ResponseWriter, r *http.Request) {
	c.showLetter(w, r, r.PathValue("id"), nil, "")
}

func (c *Console) showLetter(w http.ResponseWriter, r *http.Request, id string, err error, notice string) {
	v := &view{Title: "承诺书 " + id, Notice: notice}
	switch r.URL.Query().Get("notice") {
	case "submitted":
		v.Notice = "承诺书已提交并存证。The letter was submitted and anchored."
	}
	cv, gerr := c.svc.Commitment(r.Context(), id)
	if gerr != nil {
		c.fail(w, r, "message", v, gerr)
		return
	}
	d := &letterData{View: cv, Summary: c.summaryOf(cv), Today: c.opts.Now().Format("2006-01-02"), Answers: map[string]string{}}
	if l, err := c.svc.Requests(r.Context(), chengnuo.RequestFilter{Side: "from", State: "all"}, chengnuo.Page{Size: chengnuo.MaxPageSize}); err == nil {
		for _, q := range l.Items {
			if q.CommitmentID == id {
				d.Requests = append(d.Requests, q)
				if a := q.Answer; a != nil {
					d.Answers[q.ID] = c.textOf(r, cmp.Or(a.EvidenceDigest, a.DeclineDigest))
				}
			}
		}
	}
	v.Data = d
	if err != nil {
		c.fail(w, r, "letter", v, err)
		return
	}
	c.render(w, r, http.StatusOK, "letter", v)
}

// summaryOf is a letter's list line, for its page's header: the applicant
// from the paper letter's record, or from the signed letter itself.
func (c *Console) summaryOf(cv *chengnuo.CommitmentView) *chengnuo.LetterSummary {
	s := &chengnuo.LetterSummary{ID: cv.Letter.ID, Number: cv.Letter.Number, Status: chengnuo.StatePending}
	if cv.Record != nil {
		s.Status = cv.Record.Status
	}
	if cv.Letter.Applicant != nil {
		s.Applicant, s.IDNumber = cv.Letter.Applicant.Name, cv.Letter.Applicant.IDNumber
	} else if d, err := c.draftOf(cv.Letter.Canonical); err == nil {
		s.Applicant, s.IDNumber = d.Letter.Applicant.Name, d.Letter.Applicant.IDNumber
		if s.Number == "" {
			s.Number = d.Letter.Number
		}
	}
	return s
}

// act runs a letter action, records it and shows the letter again.
func (c *Console) act(w http.ResponseWriter, r *http.Request, action string, do func(id string) (string, error), done string) {
	id := r.PathValue("id")
	txID, err := do(id)
	c.record(r, action, id, err, txID)
	if err != nil {
		c.showLetter(w, r, id, err, "")
		return
	}
	c.showLetter(w, r, id, nil, done)
}

func (c *Console) withdraw(w http.ResponseWriter, r *http.Request) {
	c.act(w, r, "letter.withdraw", func(id string) (string, error) {
		rec, err := c.svc.Withdraw(r.Context(), id, r.PostFormValue("reason"))
		return txOf(rec), err
	}, "已撤回。Withdrawn.")
}

func (c *Console) conclude(w http.ResponseWriter, r *http.Request) {
	c.act(w, r, "letter.conclude", func(id string) (string, error) {
		rec, err := c.svc.Conclude(r.Context(), id)
		return txOf(rec), err
	}, "已办结。Concluded.")
}

func (c *Console) requestVerification(w http.ResponseWriter, r *http.Request) {
	c.act(w, r, "verification.request", func(id string) (string, error) {
		q, err := c.svc.RequestVerification(r.Context(), id, r.PostFormValue("claim"))
		if q != nil {
			return q.TxID, err
		}
		return "", err
	}, "已发起协助核查。Verification requested.")
}

func (c *Console) outcome(w http.ResponseWriter, r *http.Request) {
	c.act(w, r, "letter.outcome", func(id string) (string, error) {
		if err := r.ParseForm(); err != nil {
			return "", chengnuo.Errorf(chengnuo.EINVALID, "the form could not be read")
		}
		o := chengnuo.OutcomeRequest{Result: r.PostFormValue("result"), Reason: r.PostFormValue("reason"),
			RequestID: r.PostFormValue("requestId"), Level: r.PostFormValue("level")}
		if o.Result == "FALSE" {
			days := 0
			if v := strings.TrimSpace(r.PostFormValue("rectificationDays")); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					return "", chengnuo.Errorf(chengnuo.EINVALID, "the rectification time limit is a number of working days (rectificationDays)")
				}
				days = n
			}
			o.Disposal = &chengnuo.DisposalRequest{Measures: r.PostForm["measures"], RectificationDays: days, Penalty: r.PostFormValue("penalty")}
		}
		rec, err := c.svc.RecordOutcome(r.Context(), id, o)
		return txOf(rec), err
	}, "已记录核查结果。Outcome recorded.")
}

func txOf(rec *chengnuo.Commitment) string {
	if rec == nil || len(rec.History) == 0 {
		return ""
	}
	return rec.History[len(rec.History)-1].TxID
}

func (c *Console) fileObjection(w http.ResponseWriter, r *http.Request) {
	creditID := strings.TrimSpace(r.PostFormValue("creditId"))
	o, err := c.svc.FileObjection(r.Context(), creditID, r.PostFormValue("reason"))
	txID := ""
	if o != nil {
		txID = o.TxID
	}
	c.record(r, "credit.objection", creditID, err, txID)
	v := &view{Title: "异议 Objection"}
	if err != nil {
		c.fail(w, r, "message", v, err)
		return
	}
	v.Notice = "异议已提交，编号 " + o.ID + "。The objection was filed."
	c.render(w, r, http.StatusOK, "message", v)
}

type requestsData struct {
	Requests   []*chengnuo.VerificationRequest
	LedgerTime time.Time
	More       bool
	Next       string
	State      string
}

func (c *Console) requests(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	if state == "" {
		state = "all"
	}
	d := &requestsData{State: state}
	v := &view{Title: "已发起核查 Requests sent", Data: d}
	l, err := c.svc.Requests(r.Context(), chengnuo.RequestFilter{Side: "from", State: state}, chengnuo.Page{Size: 25, Bookmark: r.URL.Query().Get("bookmark")})
	if err != nil {
		c.fail(w, r, "requests", v, err)
		return
	}
	d.Requests, d.LedgerTime, d.More = l.Items, l.LedgerTime, l.More
	if l.More {
		d.Next = "?state=" + urlQuery(state) + "&bookmark=" + urlQuery(l.Bookmark)
	}
	c.render(w, r, http.StatusOK, "requests", v)
}

type samplesData struct {
	Items  []*chengnuo.Item
	Sample *chengnuo.Sample
	Form   map[string]string
}

func (c *Console) samplesPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "samples", &view{Title: "双随机抽查 Samples", Data: &samplesData{Items: c.activeItems(r), Form: map[string]string{"basePermille": "50"}}})
}

func (c *Console) drawSample(w http.ResponseWriter, r *http.Request) {
	form := map[string]string{}
	for _, k := range []string{"itemCode", "from", "to", "basePermille", "inspectors"} {
		form[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	d := &samplesData{Items: c.activeItems(r), Form: form}
	v := &view{Title: "双随机抽查 Samples", Data: d}
	from, err1 := time.ParseInLocation("2006-01-02", form["from"], time.Local)
	to, err2 := time.ParseInLocation("2006-01-02", form["to"], time.Local)
	if err1 != nil || err2 != nil {
		c.fail(w, r, "samples", v, chengnuo.Errorf(chengnuo.EINVALID, "from and to are dates (YYYY-MM-DD)"))
		return
	}
	permille, _ := strconv.Atoi(form["basePermille"])
	var inspectors []string
	for _, s := range strings.FieldsFunc(form["inspectors"], func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '\n' }) {
		inspectors = append(inspectors, strings.TrimSpace(s))
	}
	s, err := c.svc.DrawSample(r.Context(), chengnuo.SampleRequest{ItemCode: form["itemCode"], From: from, To: to.AddDate(0, 0, 1),
		BasePermille: permille, Inspectors: inspectors})
	c.record(r, "sample.draw", form["itemCode"], err, "")
	if err != nil {
		c.fail(w, r, "samples", v, err)
		return
	}
	d.Sample = s
	v.Notice = "抽查已登记。The draw was recorded."
	c.render(w, r, http.StatusOK, "samples", v)
}
