package console

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/chengnuo/chengnuo"
)

// Role groups of the workbench's pages.
var (
	anyone    = []string(nil)
	clerks    = []string{chengnuo.RoleClerk}
	readers   = []string{chengnuo.RoleClerk, chengnuo.RoleAuditor}
	auditors  = []string{chengnuo.RoleAuditor}
	officers  = []string{chengnuo.RoleCreditOfficer}
	catalogue = []string{chengnuo.RoleCatalogAdmin}
	admins    = []string{chengnuo.RoleAdmin}
)

// route is one of the workbench's routes: who may use it.
type route struct {
	pattern string
	roles   []string
	handler func(*Console) http.HandlerFunc
}

// routeTable is every route of the workbench with the roles that may use
// it (nil: any person logged in). The access matrix test walks it.
var routeTable = []route{
	{"GET /console/{$}", anyone, func(c *Console) http.HandlerFunc { return c.home }},
	{"POST /console/logout", anyone, func(c *Console) http.HandlerFunc { return c.logout }},
	{"GET /console/password", anyone, func(c *Console) http.HandlerFunc { return c.passwordPage }},
	{"POST /console/password", anyone, func(c *Console) http.HandlerFunc { return c.changePassword }},
	{"GET /console/second-factor", anyone, func(c *Console) http.HandlerFunc { return c.secondFactorPage }},
	{"POST /console/second-factor", anyone, func(c *Console) http.HandlerFunc { return c.secondFactor }},

	// Letters (clerks act; auditors read).
	{"GET /console/letters", readers, func(c *Console) http.HandlerFunc { return c.letters }},
	{"GET /console/letters/new", clerks, func(c *Console) http.HandlerFunc { return c.newLetter }},
	{"POST /console/drafts", clerks, func(c *Console) http.HandlerFunc { return c.draft }},
	{"GET /console/drafts/{id}", readers, func(c *Console) http.HandlerFunc { return c.showDraft }},
	{"GET /console/drafts/{id}/letter.pdf", readers, func(c *Console) http.HandlerFunc { return c.pdf("letter", c.draftPDF) }},
	{"GET /console/letters/{id}/letter.pdf", readers, func(c *Console) http.HandlerFunc { return c.pdf("letter", c.letterPDF) }},
	{"GET /console/letters/{id}/receipt", readers, func(c *Console) http.HandlerFunc { return c.receipt }},
	{"GET /console/letters/{id}/receipt.pdf", readers, func(c *Console) http.HandlerFunc { return c.pdf("receipt", c.receiptPDF) }},
	{"POST /console/letters", clerks, func(c *Console) http.HandlerFunc { return c.submit }},
	{"POST /console/letters/paper", clerks, func(c *Console) http.HandlerFunc { return c.submitPaper }},
	{"GET /console/letters/{id}", readers, func(c *Console) http.HandlerFunc { return c.letter }},
	{"POST /console/letters/{id}/withdraw", clerks, func(c *Console) http.HandlerFunc { return c.withdraw }},
	{"POST /console/letters/{id}/conclude", clerks, func(c *Console) http.HandlerFunc { return c.conclude }},
	{"POST /console/letters/{id}/verification", clerks, func(c *Console) http.HandlerFunc { return c.requestVerification }},
	{"POST /console/letters/{id}/outcome", clerks, func(c *Console) http.HandlerFunc { return c.outcome }},
	{"POST /console/objections", clerks, func(c *Console) http.HandlerFunc { return c.fileObjection }},
	{"GET /console/requests", readers, func(c *Console) http.HandlerFunc { return c.requests }},
	{"GET /console/samples", clerks, func(c *Console) http.HandlerFunc { return c.samplesPage }},
	{"POST /console/samples", clerks, func(c *Console) http.HandlerFunc { return c.drawSample }},

	// Assisted verification asked of this department.
	{"GET /console/inbox", readers, func(c *Console) http.HandlerFunc { return c.inbox }},
	{"GET /console/inbox/badge", readers, func(c *Console) http.HandlerFunc { return c.inboxBadge }},
	{"GET /console/inbox/{id}", clerks, func(c *Console) http.HandlerFunc { return c.inboxRequest }},
	{"POST /console/inbox/{id}/answer", clerks, func(c *Console) http.HandlerFunc { return c.answer }},

	// Credit platform.
	{"GET /console/credit", officers, func(c *Console) http.HandlerFunc { return c.creditPage }},
	{"POST /console/credit/lookup", officers, func(c *Console) http.HandlerFunc { return c.creditLookup }},
	{"GET /console/credit/records/{id}", officers, func(c *Console) http.HandlerFunc { return c.creditRecord }},
	{"POST /console/credit/records/{id}/repair", officers, func(c *Console) http.HandlerFunc { return c.repair }},
	{"POST /console/credit/objections/decision", officers, func(c *Console) http.HandlerFunc { return c.decideObjection }},

	// Justice bureau: the catalog and proposals.
	{"GET /console/catalog", anyone, func(c *Console) http.HandlerFunc { return c.catalog }},
	{"GET /console/supervision", anyone, func(c *Console) http.HandlerFunc { return c.supervision }},
	{"GET /console/catalog/{code}", anyone, func(c *Console) http.HandlerFunc { return c.item }},
	{"POST /console/catalog", catalogue, func(c *Console) http.HandlerFunc { return c.publish }},
	{"POST /console/catalog/{code}/retire", catalogue, func(c *Console) http.HandlerFunc { return c.retire }},
	{"POST /console/catalog/changes/{id}/report", catalogue, func(c *Console) http.HandlerFunc { return c.reportChange }},
	{"POST /console/proposals", clerks, func(c *Console) http.HandlerFunc { return c.propose }},
	{"GET /console/proposals", anyone, func(c *Console) http.HandlerFunc { return c.proposal }},
	{"POST /console/proposals/decision", catalogue, func(c *Console) http.HandlerFunc { return c.decideProposal }},

	// Auditors.
	{"GET /console/audit-trail", auditors, func(c *Console) http.HandlerFunc { return c.auditTrail }},
	{"GET /console/audit", auditors, func(c *Console) http.HandlerFunc { return c.storeAudit }},

	// Administrators.
	{"GET /console/accounts", admins, func(c *Console) http.HandlerFunc { return c.accounts }},
	{"POST /console/accounts", admins, func(c *Console) http.HandlerFunc { return c.addAccount }},
	{"POST /console/accounts/{username}/reset", admins, func(c *Console) http.HandlerFunc { return c.resetAccount }},
	{"POST /console/accounts/{username}/roles", admins, func(c *Console) http.HandlerFunc { return c.setRoles }},
	{"POST /console/accounts/{username}/disable", admins, func(c *Console) http.HandlerFunc { return c.disableAccount }},
	{"POST /console/accounts/{username}/enable", admins, func(c *Console) http.HandlerFunc { return c.enableAccount }},
}

func (c *Console) routes() {
	c.mux.HandleFunc("GET /console/login", c.loginPage)
	c.mux.HandleFunc("POST /console/login", c.login)
	assets, _ := fs.Sub(assetFS, "assets")
	c.mux.Handle("GET /console/assets/", http.StripPrefix("/console/assets/", assetServer(assets)))
	for _, rt := range routeTable {
		c.mux.HandleFunc(rt.pattern, c.person(rt.roles, rt.handler(c)))
	}
	c.mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, "message", &view{Title: "找不到页面 Not found"}, chengnuo.Errorf(chengnuo.ENOTFOUND, "no page %s", r.URL.Path))
	})
}

// assetServer serves the embedded assets; they may be cached (their names
// change with the binary only through a new deployment, so revalidate).
func assetServer(assets fs.FS) http.Handler {
	fsrv := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		fsrv.ServeHTTP(w, r)
	})
}

// nav is the menu of a person: the pages of their roles.
func (c *Console) nav(a *chengnuo.Account, path string) []navItem {
	var out []navItem
	add := func(href, label string, roles ...string) {
		if len(roles) == 0 || a.Has(roles...) {
			out = append(out, navItem{Href: href, Label: label, Current: path == href || (href != Prefix && strings.HasPrefix(path, href))})
		}
	}
	add(Prefix, "首页 Home")
	add(Prefix+"letters", "承诺书 Letters", readers...)
	add(Prefix+"letters/new", "新建承诺书 New letter", clerks...)
	add(Prefix+"inbox", "协助核查 Verification inbox", readers...)
	add(Prefix+"requests", "已发起核查 Requests sent", readers...)
	add(Prefix+"samples", "双随机抽查 Samples", clerks...)
	add(Prefix+"credit", "信用 Credit", officers...)
	add(Prefix+"catalog", "证明事项目录 Catalog")
	add(Prefix+"proposals", "目录调整建议 Proposals")
	add(Prefix+"supervision", "督促检查 Supervision")
	add(Prefix+"audit-trail", "操作日志 Audit trail", auditors...)
	add(Prefix+"audit", "账本核对 Store audit", auditors...)
	add(Prefix+"accounts", "账户 Accounts", admins...)
	return out
}

// RouteAccess is a route of the workbench and the roles that may use it
// (none: any person logged in).
type RouteAccess struct {
	Pattern string
	Roles   []string
}

// RouteRoles lists every route that needs a session, with its roles.
func RouteRoles() []RouteAccess {
	out := make([]RouteAccess, len(routeTable))
	for i, r := range routeTable {
		out[i] = RouteAccess{Pattern: r.pattern, Roles: r.roles}
	}
	return out
}

// RoutePaths lists the patterns of every route that needs a session.
func RoutePaths() []string {
	var out []string
	for _, r := range routeTable {
		out = append(out, r.pattern)
	}
	return out
}
