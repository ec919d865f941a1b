package people_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/bolt"
	"github.com/chengnuo/chengnuo/people"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newService(t *testing.T) (*people.Service, *clock) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "letters.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	return people.New(people.Config{Store: db, Now: c.now, Issuer: "市市场监管局"}), c
}

func code(t *testing.T, err error, want string) {
	t.Helper()
	if chengnuo.ErrorCode(err) != want {
		t.Fatalf("error %v, want %s", err, want)
	}
}

func TestPasswordHash(t *testing.T) {
	h := people.HashPassword("correct horse")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || !people.CheckPassword(h, "correct horse") ||
		people.CheckPassword(h, "correct hors") || people.HashPassword("correct horse") == h {
		t.Fatalf("hash %s", h)
	}
	for _, bad := range []string{"", "$argon2id$", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", strings.Replace(h, "m=19456", "m=99999999", 1)} {
		if people.CheckPassword(bad, "correct horse") {
			t.Fatalf("a malformed hash %q matched", bad)
		}
	}
}

func TestLoginLifecycle(t *testing.T) {
	s, c := newService(t)
	ctx := t.Context()
	pw, err := s.AddAccount(ctx, "operator", "li.si", "李四", []string{chengnuo.RoleClerk})
	if err != nil || len(pw) != 16 {
		t.Fatalf("add: %q %v", pw, err)
	}
	_, err = s.AddAccount(ctx, "operator", "li.si", "", []string{chengnuo.RoleClerk})
	code(t, err, chengnuo.ECONFLICT)
	_, err = s.AddAccount(ctx, "operator", "Bad Name", "", []string{chengnuo.RoleClerk})
	code(t, err, chengnuo.EINVALID)
	_, err = s.AddAccount(ctx, "operator", "x1", "", []string{"root"})
	code(t, err, chengnuo.EINVALID)

	l, err := s.Login(ctx, "li.si", pw, "192.0.2.1:5000")
	if err != nil || l.Session.Pending || !l.Account.MustChangePassword {
		t.Fatalf("login: %+v %v", l, err)
	}
	sess, acc, err := s.Authenticate(ctx, l.Token)
	if err != nil || acc.Username != "li.si" || !people.CheckCSRF(sess, l.Session.CSRF) || people.CheckCSRF(sess, "") || people.CheckCSRF(sess, "x") {
		t.Fatalf("authenticate: %+v %v", sess, err)
	}
	code(t, s.ChangePassword(ctx, sess, pw, "short"), chengnuo.EINVALID)
	code(t, s.ChangePassword(ctx, sess, "wrong", "a long new password"), chengnuo.EINVALID)
	code(t, s.ChangePassword(ctx, sess, pw, pw), chengnuo.EINVALID)
	if err := s.ChangePassword(ctx, sess, pw, "a long new password"); err != nil {
		t.Fatal(err)
	}
	if _, acc, _ := s.Authenticate(ctx, l.Token); acc.MustChangePassword {
		t.Fatal("still must change the password")
	}
	// Idle and absolute expiry.
	c.t = c.t.Add(31 * time.Minute)
	_, _, err = s.Authenticate(ctx, l.Token)
	code(t, err, chengnuo.EUNAUTHORIZED)
	l, err = s.Login(ctx, "li.si", "a long new password", "192.0.2.1:5000")
	if err != nil {
		t.Fatal(err)
	}
	for range 30 {
		c.t = c.t.Add(25 * time.Minute)
		if _, _, err = s.Authenticate(ctx, l.Token); err != nil {
			break
		}
	}
	code(t, err, chengnuo.EUNAUTHORIZED)
	if c.t.Sub(l.Session.Created) > 13*time.Hour {
		t.Fatalf("a session used every 25 minutes lived %s", c.t.Sub(l.Session.Created))
	}
	// Logout; a disabled account's sessions end.
	l, _ = s.Login(ctx, "li.si", "a long new password", "192.0.2.1:5000")
	if err := s.Logout(ctx, l.Token); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Authenticate(ctx, l.Token)
	code(t, err, chengnuo.EUNAUTHORIZED)
	l, _ = s.Login(ctx, "li.si", "a long new password", "192.0.2.1:5000")
	if err := s.SetDisabled(ctx, "admin", "li.si", true); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Authenticate(ctx, l.Token)
	code(t, err, chengnuo.EUNAUTHORIZED)
	_, err = s.Login(ctx, "li.si", "a long new password", "192.0.2.1:5000")
	code(t, err, chengnuo.EUNAUTHORIZED)
}

// Repeated failures slow down, then lock the account; a reset unlocks it.
func TestLockout(t *testing.T) {
	s, c := newService(t)
	slept := s.Slept()
	ctx := t.Context()
	pw, _ := s.AddAccount(ctx, "operator", "wang.wu", "", []string{chengnuo.RoleClerk})
	for i := range 5 {
		_, err := s.Login(ctx, "wang.wu", "guess", "198.51.100."+string(rune('1'+i))+":1")
		code(t, err, chengnuo.EUNAUTHORIZED)
	}
	if got := *slept; len(got) != 4 || got[0] != 250*time.Millisecond || got[3] != 2*time.Second {
		t.Fatalf("slow-downs %v", got)
	}
	_, err := s.Login(ctx, "wang.wu", pw, "198.51.100.9:1")
	code(t, err, chengnuo.ERATELIMITED) // locked, even with the right password
	c.t = c.t.Add(16 * time.Minute)
	if _, err := s.Login(ctx, "wang.wu", pw, "198.51.100.9:1"); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	for range 5 {
		s.Login(ctx, "wang.wu", "guess", "198.51.100.9:1")
	}
	pw2, err := s.ResetPassword(ctx, "wang.wu")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "wang.wu", pw2, "198.51.100.9:1"); err != nil {
		t.Fatalf("after a reset: %v", err)
	}
}

// Failures from one address lock it out, whatever the usernames (an IPv6
// /64 is one address); other addresses are not affected.
func TestAddressLockout(t *testing.T) {
	s, _ := newService(t)
	s.Slept()
	ctx := t.Context()
	pw, _ := s.AddAccount(ctx, "operator", "zhao", "", []string{chengnuo.RoleClerk})
	for i := range 20 {
		_, err := s.Login(ctx, "user"+string(rune('a'+i)), "guess", "[2001:db8:7:7::"+string(rune('a'+i%6))+"]:1")
		code(t, err, chengnuo.EUNAUTHORIZED)
	}
	_, err := s.Login(ctx, "zhao", pw, "[2001:db8:7:7::99]:1")
	code(t, err, chengnuo.ERATELIMITED)
	if _, err := s.Login(ctx, "zhao", pw, "[2001:db8:7:8::1]:1"); err != nil {
		t.Fatalf("another /64: %v", err)
	}
}

// An administrator's login waits for the second factor: enrolment at the
// first login, a code at every later one; a code is good once.
func TestAdministratorSecondFactor(t *testing.T) {
	s, c := newService(t)
	ctx := t.Context()
	pw, _ := s.AddAccount(ctx, "operator", "admin", "管理员", []string{chengnuo.RoleAdmin})
	l, err := s.Login(ctx, "admin", pw, "192.0.2.1:1")
	if err != nil || !l.Session.Pending {
		t.Fatalf("an administrator's session is not pending: %+v %v", l, err)
	}
	secret, uri, err := s.NewTOTP("admin")
	if err != nil || !strings.HasPrefix(uri, "otpauth://totp/") {
		t.Fatalf("%q %v", uri, err)
	}
	code(t, s.ConfirmTOTP(ctx, l.Session, secret, "000000"), chengnuo.EINVALID)
	now, _ := people.Code(secret, c.t)
	if err := s.ConfirmTOTP(ctx, l.Session, secret, now); err != nil {
		t.Fatal(err)
	}
	if sess, _, _ := s.Authenticate(ctx, l.Token); sess.Pending {
		t.Fatal("still pending after enrolment")
	}
	// A later login needs a code; the same code twice is refused.
	c.t = c.t.Add(30 * time.Second)
	l, _ = s.Login(ctx, "admin", pw, "192.0.2.1:1")
	code(t, s.SecondFactor(ctx, l.Session, "123456", "192.0.2.1:1"), chengnuo.EUNAUTHORIZED)
	now, _ = people.Code(secret, c.t)
	if err := s.SecondFactor(ctx, l.Session, now, "192.0.2.1:1"); err != nil {
		t.Fatal(err)
	}
	l2, _ := s.Login(ctx, "admin", pw, "192.0.2.1:1")
	code(t, s.SecondFactor(ctx, l2.Session, now, "192.0.2.1:1"), chengnuo.EUNAUTHORIZED)
	// An administrator cannot take their own admin role or disable themselves.
	code(t, s.SetRoles(ctx, "admin", "admin", []string{chengnuo.RoleClerk}), chengnuo.EINVALID)
	code(t, s.SetDisabled(ctx, "admin", "admin", true), chengnuo.EINVALID)
}

func TestAuditTrail(t *testing.T) {
	s, c := newService(t)
	ctx := t.Context()
	for _, a := range []string{"login", "letter.submit"} {
		c.t = c.t.Add(time.Second)
		if err := s.Record(ctx, chengnuo.AuditEntry{Username: "li.si", Action: a, Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := s.Store().AuditTrail(ctx, chengnuo.Page{})
	if err != nil || len(l.Items) != 2 || l.Items[0].Action != "letter.submit" || !l.Items[0].At.Equal(c.t) {
		t.Fatalf("trail %+v %v", l, err)
	}
}

// BenchmarkHashPassword is a login's cost (one argon2id hash).
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		people.HashPassword("a good long password")
	}
}
