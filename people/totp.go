package people

import (
	"context"
	"crypto/subtle"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/chengnuo/chengnuo"
)

// The second factor's parameters are what every authenticator app takes
// (RFC 6238: SHA-1, six digits, 30 s), with one step of clock skew.

// NewTOTP makes a second-factor secret for an account; the person adds it
// to an authenticator app (the URI, or the secret typed in) and confirms
// it with a code (ConfirmTOTP). Nothing is stored until then.
func (s *Service) NewTOTP(username string) (secret, uri string, err error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.cfg.Issuer, AccountName: username, Period: 30,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", chengnuo.Internal("make a second-factor secret", err)
	}
	return key.Secret(), key.URL(), nil
}

// matchStep is the time step (of now's, the one before or after) whose
// code is code, or false.
func matchStep(secret, code string, now time.Time) (int64, bool) {
	step := now.Unix() / 30
	for _, s := range []int64{step - 1, step, step + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*30, 0), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && len(code) == len(want) && subtle.ConstantTimeCompare([]byte(code), []byte(want)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// ConfirmTOTP stores secret as the account's second factor if code is
// valid for it, and completes the session's login.
func (s *Service) ConfirmTOTP(ctx context.Context, sess *chengnuo.Session, secret, code string) error {
	step, ok := matchStep(secret, code, s.cfg.Now())
	if !ok {
		return chengnuo.Errorf(chengnuo.EINVALID, "the code does not match: check the authenticator app's clock and try the next code")
	}
	if _, err := s.store.UpdateAccount(ctx, sess.Username, func(a *chengnuo.Account) error {
		if a.TOTPSecret != "" {
			return chengnuo.Errorf(chengnuo.ECONFLICT, "a second factor is enrolled already")
		}
		a.TOTPSecret, a.TOTPStep = secret, step
		return nil
	}); err != nil {
		return err
	}
	sess.Pending = false
	return s.store.PutSession(ctx, sess)
}

// SecondFactor completes a pending login with a code from the account's
// authenticator. A wrong code counts as a failed login.
func (s *Service) SecondFactor(ctx context.Context, sess *chengnuo.Session, code, address string) error {
	now := s.cfg.Now()
	ok := false
	_, err := s.store.UpdateAccount(ctx, sess.Username, func(a *chengnuo.Account) error {
		if a.TOTPSecret == "" {
			return chengnuo.Errorf(chengnuo.EINVALID, "no second factor is enrolled")
		}
		if now.Before(a.LockedUntil) {
			return chengnuo.Errorf(chengnuo.ERATELIMITED, "the account is locked after repeated failed logins")
		}
		var step int64
		step, ok = matchStep(a.TOTPSecret, code, now)
		ok = ok && step > a.TOTPStep // a code is good once
		if ok {
			a.TOTPStep, a.Failed = step, 0
		} else {
			a.Failed++
			if a.Failed >= s.cfg.LockAfter {
				a.LockedUntil = now.Add(s.cfg.LockFor)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !ok {
		s.addresses.fail(address, now)
		return chengnuo.Errorf(chengnuo.EUNAUTHORIZED, "the code is wrong or has expired")
	}
	sess.Pending = false
	return s.store.PutSession(ctx, sess)
}

// Code is the TOTP code of secret at a time (for tests and tools).
func Code(secret string, at time.Time) (string, error) { return totp.GenerateCode(secret, at) }
