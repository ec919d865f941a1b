package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/people"
)

// Cookies: the session's, and the login form's double-submit token (a
// login is state-changing too, and has no session yet).
const (
	sessionCookie = "chengnuo_session"
	loginCookie   = "chengnuo_login"
)

type ctxKey int

const (
	ctxSession ctxKey = iota
	ctxAccount
	ctxToken
)

func sessionOf(r *http.Request) *chengnuo.Session {
	s, _ := r.Context().Value(ctxSession).(*chengnuo.Session)
	return s
}

func accountOf(r *http.Request) *chengnuo.Account {
	a, _ := r.Context().Value(ctxAccount).(*chengnuo.Account)
	return a
}

// setCookie writes a cookie of the workbench: HttpOnly, SameSite=Strict,
// Secure when the request came over TLS, scoped to /console/.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil, MaxAge: maxAge})
}

// csrfOf is the CSRF token a request carries: the form field csrf, or the
// X-CSRF-Token header (the workbench's script).
func csrfOf(r *http.Request) string {
	if t := r.Header.Get("X-CSRF-Token"); t != "" {
		return t
	}
	return r.PostFormValue("csrf")
}

// person wraps a handler that needs a logged-in person with one of roles
// (none: any person). Without a session a page asks to log in (GET) or is
// refused (401); a login waiting for its second factor, or a person who
// must change the initial password, reaches only that page; a POST without
// the session's CSRF token is refused (403); a person without the role is
// refused (403), and the refusal is in the audit trail.
func (c *Console) person(roles []string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ck, _ := r.Cookie(sessionCookie)
		token := ""
		if ck != nil {
			token = ck.Value
		}
		sess, acc, err := c.ppl.Authenticate(r.Context(), token)
		if err != nil {
			if r.Method == http.MethodGet && chengnuo.ErrorCode(err) == chengnuo.EUNAUTHORIZED {
				redirect(w, r, Prefix+"login?next="+url.QueryEscape(r.URL.RequestURI()))
				return
			}
			c.fail(w, r, "message", &view{Title: "请登录 Log in"}, err)
			return
		}
		ctx := context.WithValue(r.Context(), ctxSession, sess)
		ctx = context.WithValue(ctx, ctxAccount, acc)
		ctx = context.WithValue(ctx, ctxToken, token)
		r = r.WithContext(ctx)
		if r.Method == http.MethodPost && !people.CheckCSRF(sess, csrfOf(r)) {
			c.record(r, "csrf.refused", r.URL.Path, chengnuo.Errorf(chengnuo.EFORBIDDEN, "csrf"), "")
			c.fail(w, r, "message", &view{Title: "请求被拒绝 Refused"},
				chengnuo.Errorf(chengnuo.EFORBIDDEN, "this form is stale or did not come from the workbench (CSRF token missing or wrong); reload the page and try again"))
			return
		}
		path := r.URL.Path
		switch {
		case path == Prefix+"logout":
		case sess.Pending && path != Prefix+"second-factor":
			redirect(w, r, Prefix+"second-factor")
			return
		case !sess.Pending && acc.MustChangePassword && path != Prefix+"password":
			redirect(w, r, Prefix+"password")
			return
		}
		if len(roles) > 0 && !acc.Has(roles...) {
			c.record(r, "access.refused", path, chengnuo.Errorf(chengnuo.EFORBIDDEN, "role"), "")
			c.fail(w, r, "message", &view{Title: "无权访问 Not allowed"},
				chengnuo.Errorf(chengnuo.EFORBIDDEN, "this page needs one of the roles %s; you have %s", strings.Join(roles, ", "), strings.Join(acc.Roles, ", ")))
			return
		}
		h(w, r)
	}
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

type loginData struct {
	Username, Next, Token string
}

// safeNext keeps a post-login destination inside the workbench.
func safeNext(next string) string {
	if strings.HasPrefix(next, Prefix) && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return Prefix
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	token := randomToken()
	setCookie(w, r, loginCookie, token, 3600)
	c.render(w, r, http.StatusOK, "login", &view{Title: "登录 Log in", Data: loginData{Next: safeNext(r.URL.Query().Get("next")), Token: token}})
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	username := strings.TrimSpace(r.PostFormValue("username"))
	next := safeNext(r.PostFormValue("next"))
	token := randomToken()
	fresh := func() *view {
		setCookie(w, r, loginCookie, token, 3600)
		return &view{Title: "登录 Log in", Data: loginData{Username: username, Next: next, Token: token}}
	}
	ck, _ := r.Cookie(loginCookie)
	if ck == nil || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		c.fail(w, r, "login", fresh(), chengnuo.Errorf(chengnuo.EFORBIDDEN, "the login form is stale (CSRF token missing or wrong); try again"))
		return
	}
	l, err := c.ppl.Login(r.Context(), username, r.PostFormValue("password"), r.RemoteAddr)
	if err != nil {
		_ = c.ppl.Record(r.Context(), chengnuo.AuditEntry{Username: username, Action: "login", Outcome: chengnuo.ErrorCode(err), Address: r.RemoteAddr})
		c.fail(w, r, "login", fresh(), err)
		return
	}
	_ = c.ppl.Record(r.Context(), chengnuo.AuditEntry{Username: username, Action: "login", Outcome: "ok", Address: r.RemoteAddr})
	setCookie(w, r, loginCookie, "", -1)
	setCookie(w, r, sessionCookie, l.Token, 0)
	switch {
	case l.Session.Pending:
		redirect(w, r, Prefix+"second-factor")
	case l.Account.MustChangePassword:
		redirect(w, r, Prefix+"password")
	default:
		redirect(w, r, next)
	}
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	token, _ := r.Context().Value(ctxToken).(string)
	err := c.ppl.Logout(r.Context(), token)
	c.record(r, "logout", "", err, "")
	setCookie(w, r, sessionCookie, "", -1)
	redirect(w, r, Prefix+"login")
}

func (c *Console) passwordPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "password", &view{Title: "修改密码 Change password"})
}

func (c *Console) changePassword(w http.ResponseWriter, r *http.Request) {
	v := &view{Title: "修改密码 Change password"}
	next := r.PostFormValue("new")
	if next != r.PostFormValue("repeat") {
		c.fail(w, r, "password", v, chengnuo.Errorf(chengnuo.EINVALID, "the new password and its repetition differ (password)"))
		return
	}
	err := c.ppl.ChangePassword(r.Context(), sessionOf(r), r.PostFormValue("current"), next)
	c.record(r, "password.change", "", err, "")
	if err != nil {
		c.fail(w, r, "password", v, err)
		return
	}
	redirect(w, r, Prefix+"?notice=password")
}

type secondFactorData struct {
	Enrol       bool
	Secret, URI string
}

func (c *Console) secondFactorPage(w http.ResponseWriter, r *http.Request) {
	c.renderSecondFactor(w, r, nil)
}

func (c *Console) renderSecondFactor(w http.ResponseWriter, r *http.Request, err error) {
	a, sess := accountOf(r), sessionOf(r)
	v := &view{Title: "第二重验证 Second factor"}
	if !sess.Pending {
		redirect(w, r, Prefix)
		return
	}
	d := secondFactorData{Enrol: a.TOTPSecret == ""}
	if d.Enrol {
		secret := r.PostFormValue("secret")
		if secret == "" {
			var e error
			if secret, d.URI, e = c.ppl.NewTOTP(a.Username); e != nil {
				c.fail(w, r, "message", v, e)
				return
			}
		} else {
			d.URI = "otpauth://totp/" + url.PathEscape(c.opts.Organ) + ":" + a.Username + "?secret=" + secret + "&issuer=" + url.QueryEscape(c.opts.Organ)
		}
		d.Secret = secret
	}
	v.Data = d
	if err != nil {
		c.fail(w, r, "second-factor", v, err)
		return
	}
	c.render(w, r, http.StatusOK, "second-factor", v)
}

func (c *Console) secondFactor(w http.ResponseWriter, r *http.Request) {
	a, sess := accountOf(r), sessionOf(r)
	code := strings.TrimSpace(r.PostFormValue("code"))
	var err error
	action := "login.second-factor"
	if a.TOTPSecret == "" {
		action = "second-factor.enrol"
		err = c.ppl.ConfirmTOTP(r.Context(), sess, r.PostFormValue("secret"), code)
	} else {
		err = c.ppl.SecondFactor(r.Context(), sess, code, r.RemoteAddr)
	}
	c.record(r, action, "", err, "")
	if err != nil {
		c.renderSecondFactor(w, r, err)
		return
	}
	if a.MustChangePassword {
		redirect(w, r, Prefix+"password")
		return
	}
	redirect(w, r, Prefix)
}
