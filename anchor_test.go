package chengnuo_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chengnuo/chengnuo"
)

func TestNormalizeDigest(t *testing.T) {
	valid := strings.Repeat("ab", 32)
	tests := []struct {
		in, want string
		ok       bool
	}{
		{valid, valid, true},
		{strings.ToUpper(valid), valid, true},
		{"", "", false},
		{valid[:63], "", false},
		{valid + "a", "", false},
		{strings.Repeat("zz", 32), "", false},
		{" " + valid[1:], "", false},
		{strings.Repeat("é", 32), "", false},
	}
	for _, tt := range tests {
		got, err := chengnuo.NormalizeDigest(tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("NormalizeDigest(%q) = %q, %v", tt.in, got, err)
		}
		if err != nil && chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Errorf("NormalizeDigest(%q) code = %s, want %s", tt.in, chengnuo.ErrorCode(err), chengnuo.EINVALID)
		}
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	e := chengnuo.Errorf(chengnuo.ENOTFOUND, "no %s", "thing")
	wrapped := fmt.Errorf("context: %w", e)
	if chengnuo.ErrorCode(wrapped) != chengnuo.ENOTFOUND || chengnuo.ErrorMessage(wrapped) != "no thing" {
		t.Fatalf("wrapped: %s / %s", chengnuo.ErrorCode(wrapped), chengnuo.ErrorMessage(wrapped))
	}
	plain := errors.New("secret internals")
	if chengnuo.ErrorCode(plain) != chengnuo.EINTERNAL || strings.Contains(chengnuo.ErrorMessage(plain), "secret") {
		t.Fatalf("plain error leaked: %s / %s", chengnuo.ErrorCode(plain), chengnuo.ErrorMessage(plain))
	}
	if chengnuo.ErrorCode(nil) != "" {
		t.Fatal("nil error has a code")
	}
}
