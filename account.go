package chengnuo

import (
	"context"
	"regexp"
	"slices"
	"time"
)

// RoleAdmin manages the department's accounts in the workbench. It is a
// role of people, not of API keys.
const RoleAdmin = "admin"

// PersonRoles are the roles an account (a person) may hold: every API role
// and admin.
var PersonRoles = append(slices.Clone(Roles), RoleAdmin)

// Account is a person's account at a department's workbench (/console/).
// It lives in the department's own store, never on the ledger.
type Account struct {
	Username string   `json:"username"`
	Name     string   `json:"name,omitempty"` // the person's name as shown
	Roles    []string `json:"roles"`
	// PasswordHash is the password's slow salted hash (argon2id, PHC
	// string); never the password.
	PasswordHash string `json:"passwordHash"`
	// MustChangePassword is set for an initial or reset password: the
	// person must choose their own at the next login.
	MustChangePassword bool `json:"mustChangePassword,omitempty"`
	// TOTPSecret is the second factor's shared secret (base32), set once
	// the person enrolled it; administrators must have one.
	TOTPSecret string `json:"totpSecret,omitempty"`
	// TOTPStep is the time step of the last code accepted: a code is good
	// once (no replay within its 30 s).
	TOTPStep  int64     `json:"totpStep,omitempty"`
	Disabled  bool      `json:"disabled,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy,omitempty"`
	// Failed counts the failed logins since the last success; LockedUntil
	// is when a locked account may try again.
	Failed      int       `json:"failed,omitempty"`
	LockedUntil time.Time `json:"lockedUntil,omitzero"`
	LastLogin   time.Time `json:"lastLogin,omitzero"`
}

// Has reports whether the account holds one of roles.
func (a *Account) Has(roles ...string) bool {
	for _, r := range roles {
		if slices.Contains(a.Roles, r) {
			return true
		}
	}
	return false
}

// usernameRE is what a username may look like: it appears in the audit
// trail and in URLs.
var usernameRE = regexp.MustCompile(`^[a-z][a-z0-9._-]{1,31}$`)

// ValidUsername checks a username: 2 to 32 lower-case letters, digits, dots,
// dashes and underscores, starting with a letter.
func ValidUsername(u string) error {
	if !usernameRE.MatchString(u) {
		return Errorf(EINVALID, "a username is 2 to 32 lower-case letters, digits, '.', '-' or '_', starting with a letter")
	}
	return nil
}

// ValidRoles checks a person's roles: at least one, each known, none twice.
func ValidRoles(roles []string) error {
	if len(roles) == 0 {
		return Errorf(EINVALID, "an account needs at least one role")
	}
	for i, r := range roles {
		if !slices.Contains(PersonRoles, r) || slices.Contains(roles[:i], r) {
			return Errorf(EINVALID, "unknown or repeated role %q (roles: %v)", r, PersonRoles)
		}
	}
	return nil
}

// Session is a person's login at the workbench. ID is the SM3 of the
// session cookie's value, so the store never holds a usable token.
type Session struct {
	ID       string    `json:"id"`
	Username string    `json:"username"`
	CSRF     string    `json:"csrf"` // the token every state-changing request carries
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"lastSeen"`
	// Pending is set while a login waits for its second factor: the
	// session then opens nothing but the second-factor form.
	Pending bool `json:"pending,omitempty"`
}

// AuditEntry is one thing a person did in the workbench, as the
// department's audit trail keeps it (its own store, never the ledger).
type AuditEntry struct {
	At       time.Time `json:"at"`
	Username string    `json:"username"`
	Action   string    `json:"action"`           // e.g. "letter.submit", "account.add", "login.fail"
	Object   string    `json:"object,omitempty"` // what it was done to: a commitment id, a request id, a username
	Outcome  string    `json:"outcome"`          // "ok" or the error code
	Address  string    `json:"address,omitempty"`
	TxID     string    `json:"txId,omitempty"`
}

// People is where a department keeps its workbench's accounts, sessions and
// audit trail: its own store (bbolt, or PostgreSQL shared by its replicas).
// Methods return *Error values: ENOTFOUND, ECONFLICT (an account that
// exists), EUNAVAILABLE when the store cannot answer.
type People interface {
	// CreateAccount adds an account; ECONFLICT if the username is taken.
	CreateAccount(ctx context.Context, a *Account) error
	// Account returns an account, or ENOTFOUND.
	Account(ctx context.Context, username string) (*Account, error)
	// UpdateAccount applies fn to the account atomically (a shared store's
	// replicas update one account in turn); fn's error aborts it.
	UpdateAccount(ctx context.Context, username string, fn func(*Account) error) (*Account, error)
	// Accounts lists the accounts by username.
	Accounts(ctx context.Context, p Page) (*List[*Account], error)

	// PutSession keeps a session (a new one, or a changed one).
	PutSession(ctx context.Context, s *Session) error
	// Session returns a session, or ENOTFOUND.
	Session(ctx context.Context, id string) (*Session, error)
	// DeleteSession ends a session; ending one that is gone is no error.
	DeleteSession(ctx context.Context, id string) error
	// DeleteSessions ends every session of an account (its password
	// changed, it was disabled).
	DeleteSessions(ctx context.Context, username string) error

	// AppendAudit adds an entry to the audit trail.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// AuditTrail lists the trail, newest first.
	AuditTrail(ctx context.Context, p Page) (*List[*AuditEntry], error)
}
