// Package console is a department's workbench (工作台): the pages its
// people — clerks, the officers who answer assisted verification, the
// credit platform's and the justice bureau's staff, auditors and
// administrators — use to do everything the API can, in a browser, each
// action attributed to the person in the department's audit trail.
//
// It is an HTTP adapter beside the JSON API (package gateway) over the same
// chengnuo.Service, so a rule changed in the service shows in both. Pages
// are rendered on the server with html/template; assets are embedded; the
// Content-Security-Policy admits only the workbench's own script and
// style. Every state-changing request is a POST carrying the session's
// CSRF token.
package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/people"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Options configures a Console.
type Options struct {
	Service chengnuo.Service
	People  *people.Service
	MSPID   string // the department
	Organ   string // its name, as letters print it
	// PublicURL is the address of the public verification page's gateway,
	// which the documents' QR codes open (default: the address the person
	// reached the workbench at).
	PublicURL string
	Logger    *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// RequestTimeout bounds one request's work (default 60 s).
	RequestTimeout time.Duration
}

// Console serves the workbench under /console/.
type Console struct {
	opts  Options
	svc   chengnuo.Service
	ppl   *people.Service
	log   *slog.Logger
	mux   *http.ServeMux
	pages map[string]*template.Template
}

// Prefix is where the workbench is served.
const Prefix = "/console/"

// New builds the workbench.
func New(opts Options) *Console {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 60 * time.Second
	}
	if opts.Organ == "" {
		opts.Organ = opts.MSPID
	}
	c := &Console{opts: opts, svc: opts.Service, ppl: opts.People, log: opts.Logger, mux: http.NewServeMux(), pages: map[string]*template.Template{}}
	c.parseTemplates()
	c.routes()
	return c
}

// maxFormBytes bounds a form; a paper scan's upload has its own bound.
const (
	maxFormBytes   = 256 << 10
	maxUploadBytes = 12 << 20
)

// ServeHTTP implements http.Handler: security headers, a deadline and a
// body limit for every request, then the routes.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), c.opts.RequestTimeout)
	defer cancel()
	limit := int64(maxFormBytes)
	if strings.HasSuffix(r.URL.Path, "/paper") {
		limit = maxUploadBytes
	}
	if r.ContentLength > limit {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	c.mux.ServeHTTP(w, r.WithContext(ctx))
}

// parseTemplates parses each page with the layout.
func (c *Console) parseTemplates() {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	// Files whose names start with _ are partials every page may use.
	var partials []string
	for _, n := range names {
		if strings.HasPrefix(n, "templates/_") {
			partials = append(partials, n)
		}
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		files := append([]string{"templates/layout.html", n}, partials...)
		fm := template.FuncMap{"dept": c.deptName}
		maps.Copy(fm, funcs)
		c.pages[base] = template.Must(template.New("layout.html").Funcs(fm).ParseFS(templateFS, files...))
	}
}

// view is what every page is rendered with.
type view struct {
	// CalendarWarning lists the years (this one, the next) whose calendar
	// of working days is not published.
	CalendarWarning []int
	Title           string
	Org             string
	MSPID           string
	Account         *chengnuo.Account
	CSRF            string
	Nav             []navItem
	Path            string
	Notice          string // a success message
	Problem         *problem
	Data            any
}

// problem is an error shown on a page: its message, and the form field it
// concerns when it names one.
type problem struct {
	Code, Message, Field string
}

type navItem struct {
	Href, Label string
	Current     bool
}

// render writes a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	t := c.pages[page]
	if t == nil {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	if v.Org == "" {
		v.Org = c.opts.Organ
	}
	v.MSPID, v.Path = c.opts.MSPID, r.URL.Path
	if a := accountOf(r); a != nil {
		v.Account = a
		v.Nav = c.nav(a, r.URL.Path)
		// Deadlines count working days on the ledger's calendars: a year
		// without one counts Monday to Friday, and every page says so.
		if years, err := c.svc.MissingCalendars(r.Context()); err == nil && len(years) > 0 {
			v.CalendarWarning = years
		}
	}
	if s := sessionOf(r); s != nil {
		v.CSRF = s.CSRF
	}
	// Rendered whole before a byte is sent: a page that fails is an error
	// page, never half a page.
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.log.Error("render", slog.String("page", page), slog.String("error", err.Error()))
		http.Error(w, "内部错误 (internal error)", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// fail renders page again with err shown at the field it concerns, with the
// HTTP status of its code.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, page string, v *view, err error) {
	code := chengnuo.ErrorCode(err)
	msg := chengnuo.ErrorMessage(err)
	if code == chengnuo.EINTERNAL {
		c.log.Error("workbench", slog.String("path", r.URL.Path), slog.String("error", err.Error()))
		msg = "内部错误，请稍后重试 (internal error)"
	}
	v.Problem = &problem{Code: code, Message: msg, Field: fieldOf(msg)}
	c.render(w, r, statusOf(code), page, v)
}

// statusOf is the HTTP status of an error code (the API's mapping).
func statusOf(code string) int {
	switch code {
	case chengnuo.EINVALID:
		return http.StatusBadRequest
	case chengnuo.ENOTFOUND:
		return http.StatusNotFound
	case chengnuo.ECONFLICT, chengnuo.EABORTED:
		return http.StatusConflict
	case chengnuo.EFORBIDDEN:
		return http.StatusForbidden
	case chengnuo.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case chengnuo.ERATELIMITED:
		return http.StatusTooManyRequests
	case chengnuo.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case chengnuo.EPOLICY:
		return http.StatusBadGateway
	case chengnuo.EINELIGIBLE:
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// fields are the form fields an error message may name, longest first.
var fields = []string{"contactPhone", "contactName", "idNumber", "idType", "itemCode", "declineReason", "evidence",
	"reason", "claim", "signature", "publicKey", "certificate", "scan", "mediaType", "name", "contact", "password", "code",
	"username", "roles", "result", "level", "measures", "rectificationDays", "penalty", "basePermille", "inspectors"}

// fieldOf is the form field an error message concerns, or "".
func fieldOf(msg string) string {
	for _, f := range fields {
		if strings.Contains(msg, f) {
			return f
		}
	}
	return ""
}

// redirect answers a POST with 303 to a page (post/redirect/get).
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// record writes the audit trail's entry for an action by the person of r.
func (c *Console) record(r *http.Request, action, object string, err error, txID string) {
	outcome := "ok"
	if err != nil {
		outcome = chengnuo.ErrorCode(err)
	}
	user := ""
	if a := accountOf(r); a != nil {
		user = a.Username
	}
	_ = c.ppl.Record(context.WithoutCancel(r.Context()), chengnuo.AuditEntry{Username: user, Action: action, Object: object,
		Outcome: outcome, Address: r.RemoteAddr, TxID: txID})
}

// errForbidden is an action outside the person's roles.
var errForbidden = errors.New("forbidden")

// deptName is a department's name, as the departments publish them on the
// ledger (the service caches the directory), or its MSP id.
func (c *Console) deptName(msp string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	d, _ := c.svc.Departments(ctx)
	return d.Name(msp)
}
