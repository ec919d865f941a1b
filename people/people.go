// Package people is who may use a department's workbench and how they
// prove it: accounts per person with roles, passwords kept as argon2id
// hashes, sessions, a second factor (TOTP) for administrators, lockout
// after repeated failures (per account and per address), and the audit
// trail of what each person did. It keeps its state in a chengnuo.People
// store (the department's own) and depends on nothing else of the project.
package people

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/sm"
)

// Config configures a Service; zero fields take the defaults below.
type Config struct {
	Store chengnuo.People
	Now   func() time.Time
	// Issuer names the department in authenticator apps (TOTP).
	Issuer string
	// IdleTimeout ends a session unused this long (default 30 min);
	// MaxAge ends any session this long after its login (default 12 h).
	IdleTimeout, MaxAge time.Duration
	// LockAfter failed logins in a row lock an account for LockFor
	// (defaults 5 and 15 min); from the second failure on, each answer
	// is slowed (SlowStep doubling, at most 2 s).
	LockAfter int
	LockFor   time.Duration
	SlowStep  time.Duration
	// AddressFailures failed logins from one address (IPv4, or IPv6 /64)
	// within AddressWindow lock the address out for AddressWindow
	// (defaults 20 and 15 min).
	AddressFailures int
	AddressWindow   time.Duration
	Logger          *slog.Logger
}

// Service manages accounts and sessions.
type Service struct {
	cfg       Config
	store     chengnuo.People
	addresses *addressFailures
	sleep     func(context.Context, time.Duration)
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.IdleTimeout, 30*time.Minute)
	def(&cfg.MaxAge, 12*time.Hour)
	def(&cfg.LockFor, 15*time.Minute)
	def(&cfg.SlowStep, 250*time.Millisecond)
	def(&cfg.AddressWindow, 15*time.Minute)
	if cfg.LockAfter <= 0 {
		cfg.LockAfter = 5
	}
	if cfg.AddressFailures <= 0 {
		cfg.AddressFailures = 20
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "chengnuo"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, store: cfg.Store, addresses: newAddressFailures(cfg.AddressFailures, cfg.AddressWindow, 50000),
		sleep: func(ctx context.Context, d time.Duration) {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
			case <-t.C:
			}
		}}
}

// MinPasswordLength is the shortest password a person may choose.
const MinPasswordLength = 10

// randomString is n random bytes, base64url.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// initialPassword is a one-time password: 16 characters a person can type
// (no 0/O, 1/l/I).
func initialPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// AddAccount creates an account with a one-time initial password, which it
// returns: the person must change it at the first login. by is who added
// it (an administrator, or "operator" for the node kit's command).
func (s *Service) AddAccount(ctx context.Context, by, username, name string, roles []string) (string, error) {
	if err := chengnuo.ValidUsername(username); err != nil {
		return "", err
	}
	if err := chengnuo.ValidRoles(roles); err != nil {
		return "", err
	}
	if err := checkName(name); err != nil {
		return "", err
	}
	pw := initialPassword()
	a := &chengnuo.Account{Username: username, Name: name, Roles: roles, PasswordHash: HashPassword(pw),
		MustChangePassword: true, CreatedAt: s.cfg.Now().UTC(), CreatedBy: by}
	if err := s.store.CreateAccount(ctx, a); err != nil {
		return "", err
	}
	return pw, nil
}

func checkName(name string) error {
	if utf8.RuneCountInString(name) > 64 || strings.ContainsAny(name, "\x00\r\n\t") {
		return chengnuo.Errorf(chengnuo.EINVALID, "a name is at most 64 characters on one line")
	}
	return nil
}

// ResetPassword gives an account a new one-time password (returned), ends
// its sessions and unlocks it.
func (s *Service) ResetPassword(ctx context.Context, username string) (string, error) {
	pw := initialPassword()
	_, err := s.store.UpdateAccount(ctx, username, func(a *chengnuo.Account) error {
		a.PasswordHash, a.MustChangePassword, a.Failed, a.LockedUntil = HashPassword(pw), true, 0, time.Time{}
		return nil
	})
	if err != nil {
		return "", err
	}
	return pw, s.store.DeleteSessions(ctx, username)
}

// SetRoles changes an account's roles. An administrator cannot take the
// admin role from themselves (a department would lock itself out).
func (s *Service) SetRoles(ctx context.Context, by, username string, roles []string) error {
	if err := chengnuo.ValidRoles(roles); err != nil {
		return err
	}
	_, err := s.store.UpdateAccount(ctx, username, func(a *chengnuo.Account) error {
		if by == username && a.Has(chengnuo.RoleAdmin) && !contains(roles, chengnuo.RoleAdmin) {
			return chengnuo.Errorf(chengnuo.EINVALID, "you cannot take the admin role from yourself")
		}
		a.Roles = roles
		return nil
	})
	if err != nil {
		return err
	}
	return s.store.DeleteSessions(ctx, username) // the new roles take effect at the next login
}

// SetDisabled disables or enables an account; a disabled one's sessions end.
func (s *Service) SetDisabled(ctx context.Context, by, username string, disabled bool) error {
	if by == username && disabled {
		return chengnuo.Errorf(chengnuo.EINVALID, "you cannot disable your own account")
	}
	if _, err := s.store.UpdateAccount(ctx, username, func(a *chengnuo.Account) error {
		a.Disabled = disabled
		return nil
	}); err != nil {
		return err
	}
	if disabled {
		return s.store.DeleteSessions(ctx, username)
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// Login is a successful first step of a login.
type Login struct {
	Token   string // the session cookie's value
	Session *chengnuo.Session
	Account *chengnuo.Account
}

// errBadLogin is the one answer to a wrong username or password: it does
// not say which was wrong.
func errBadLogin() error {
	return chengnuo.Errorf(chengnuo.EUNAUTHORIZED, "wrong username or password")
}

// Login checks a username and password from address. Failures are
// counted per account (the account locks after LockAfter in a row) and per
// address (it is locked out after AddressFailures in a window), and each
// answer after the first failure is slowed. An administrator's session
// waits for the second factor (Session.Pending).
func (s *Service) Login(ctx context.Context, username, password, address string) (*Login, error) {
	now := s.cfg.Now()
	if until, locked := s.addresses.locked(address, now); locked {
		return nil, chengnuo.Errorf(chengnuo.ERATELIMITED, "too many failed logins from your address; try again after %s", until.Format("15:04"))
	}
	a, err := s.store.Account(ctx, username)
	if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND || (err == nil && a.Disabled) {
		HashPassword(password) // as long as a wrong password takes
		s.addresses.fail(address, now)
		return nil, errBadLogin()
	}
	if err != nil {
		return nil, err
	}
	if now.Before(a.LockedUntil) {
		s.addresses.fail(address, now)
		return nil, chengnuo.Errorf(chengnuo.ERATELIMITED, "the account is locked after repeated failed logins; try again after %s, or ask an administrator to reset it",
			a.LockedUntil.Local().Format("15:04"))
	}
	if !CheckPassword(a.PasswordHash, password) {
		s.addresses.fail(address, now)
		failed := 0
		_, err := s.store.UpdateAccount(ctx, username, func(a *chengnuo.Account) error {
			a.Failed++
			if a.Failed >= s.cfg.LockAfter {
				a.LockedUntil = now.Add(s.cfg.LockFor)
			}
			failed = a.Failed
			return nil
		})
		if err != nil {
			return nil, err
		}
		if failed > 1 {
			s.sleep(ctx, min(s.cfg.SlowStep<<(failed-2), 2*time.Second))
		}
		return nil, errBadLogin()
	}
	a, err = s.store.UpdateAccount(ctx, username, func(a *chengnuo.Account) error {
		a.Failed, a.LockedUntil, a.LastLogin = 0, time.Time{}, now.UTC()
		return nil
	})
	if err != nil {
		return nil, err
	}
	token := randomString(32)
	sess := &chengnuo.Session{ID: sessionID(token), Username: username, CSRF: randomString(32), Created: now.UTC(), LastSeen: now.UTC(),
		Pending: a.Has(chengnuo.RoleAdmin)}
	if err := s.store.PutSession(ctx, sess); err != nil {
		return nil, err
	}
	return &Login{Token: token, Session: sess, Account: a}, nil
}

// sessionID is what the store keeps of a session token: its SM3.
func sessionID(token string) string { return sm.SM3Hex([]byte("chengnuo-session|" + token)) }

// Authenticate returns the session of a cookie's token and its account, or
// EUNAUTHORIZED when there is none, it expired (idle or absolute) or the
// account was disabled. It refreshes LastSeen at most once a minute.
func (s *Service) Authenticate(ctx context.Context, token string) (*chengnuo.Session, *chengnuo.Account, error) {
	if token == "" || len(token) > 100 {
		return nil, nil, chengnuo.Errorf(chengnuo.EUNAUTHORIZED, "please log in")
	}
	sess, err := s.store.Session(ctx, sessionID(token))
	if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
		return nil, nil, chengnuo.Errorf(chengnuo.EUNAUTHORIZED, "please log in")
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.cfg.Now()
	if now.Sub(sess.LastSeen) > s.cfg.IdleTimeout || now.Sub(sess.Created) > s.cfg.MaxAge {
		_ = s.store.DeleteSession(ctx, sess.ID)
		return nil, nil, chengnuo.Errorf(chengnuo.EUNAUTHORIZED, "your session has expired; please log in again")
	}
	a, err := s.store.Account(ctx, sess.Username)
	if err != nil || a.Disabled {
		_ = s.store.DeleteSession(ctx, sess.ID)
		return nil, nil, chengnuo.Errorf(chengnuo.EUNAUTHORIZED, "please log in")
	}
	if now.Sub(sess.LastSeen) > time.Minute {
		sess.LastSeen = now.UTC()
		if err := s.store.PutSession(ctx, sess); err != nil {
			return nil, nil, err
		}
	}
	return sess, a, nil
}

// CheckCSRF compares a request's token with the session's, in constant time.
func CheckCSRF(sess *chengnuo.Session, token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(sess.CSRF), []byte(token)) == 1
}

// Logout ends the session of a token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.store.DeleteSession(ctx, sessionID(token))
}

// ChangePassword sets a person's own password: the current one must be
// given; the new one is at least MinPasswordLength characters, not the
// username, not the current one. Every other session of the person ends.
func (s *Service) ChangePassword(ctx context.Context, sess *chengnuo.Session, current, next string) error {
	switch {
	case utf8.RuneCountInString(next) < MinPasswordLength:
		return chengnuo.Errorf(chengnuo.EINVALID, "a password has at least %d characters", MinPasswordLength)
	case len(next) > 256:
		return chengnuo.Errorf(chengnuo.EINVALID, "a password has at most 256 bytes")
	case strings.EqualFold(next, sess.Username):
		return chengnuo.Errorf(chengnuo.EINVALID, "a password cannot be the username")
	case next == current:
		return chengnuo.Errorf(chengnuo.EINVALID, "choose a password other than the current one")
	}
	_, err := s.store.UpdateAccount(ctx, sess.Username, func(a *chengnuo.Account) error {
		if !CheckPassword(a.PasswordHash, current) {
			return chengnuo.Errorf(chengnuo.EINVALID, "the current password is wrong")
		}
		a.PasswordHash, a.MustChangePassword = HashPassword(next), false
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.store.DeleteSessions(ctx, sess.Username); err != nil {
		return err
	}
	return s.store.PutSession(ctx, sess) // this one stays
}

// Record appends an entry to the audit trail; a failure to record is
// logged, and returned.
func (s *Service) Record(ctx context.Context, e chengnuo.AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.cfg.Now().UTC()
	}
	if err := s.store.AppendAudit(ctx, &e); err != nil {
		s.cfg.Logger.Error("audit trail not written", slog.String("action", e.Action), slog.String("user", e.Username),
			slog.String("error", err.Error()))
		return err
	}
	return nil
}

// Store is the service's store, for reads (accounts, the audit trail).
func (s *Service) Store() chengnuo.People { return s.store }

// String describes a login for logs without its token.
func (l *Login) String() string { return fmt.Sprintf("login of %s", l.Session.Username) }
