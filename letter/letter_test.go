package letter_test

import (
	"strings"
	"testing"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
)

func TestValidateID(t *testing.T) {
	tests := []struct {
		typ, n string
		ok     bool
	}{
		{letter.IDResident, "11010519491231002X", true}, // GB 11643 example
		{letter.IDResident, "440524188001010014", true},
		{letter.IDResident, "110101199003077571", true},
		{letter.IDResident, "110101199003077578", false}, // wrong check digit
		{letter.IDResident, "11010519491231002", false},  // 17 characters
		{letter.IDResident, "11010519491331002X", false}, // month 13
		{letter.IDResident, "1101051949123100AX", false},
		{letter.IDUSCC, "91350100M000100Y43", true}, // GB 32100 example
		{letter.IDUSCC, "91350100M000100Y44", false},
		{letter.IDUSCC, "91350100M000100I43", false}, // I is not in the alphabet
		{letter.IDUSCC, "91350100M000100Y4", false},
		{letter.IDPassport, "E12345678", true},
		{letter.IDPassport, "E12", false},
		{letter.IDPassport, "E1234567-8", false},
		{"DRIVING_LICENCE", "123456", false},
	}
	for _, tt := range tests {
		if why, ok := letter.ValidateID(tt.typ, tt.n); ok != tt.ok {
			t.Errorf("ValidateID(%s, %s) = %v (%s), want %v", tt.typ, tt.n, ok, why, tt.ok)
		}
	}
}

func item() *chengnuo.Item {
	return &chengnuo.Item{Code: "T-1", Version: 3, Name: "事项", Department: "MarketMSP", Purpose: "用途", LegalBasis: "依据",
		Content: "内容", EligibleApplicants: "对象", CommitmentMethod: "书面", VerificationPower: "核查", Liability: "责任",
		Verification: chengnuo.VerificationRule{Exempt: true}}
}

var applicant = letter.Applicant{Name: "张三", IDType: letter.IDResident, IDNumber: " 11010519491231002x ", Contact: "13912345678"}
var organ = letter.Organ{MSPID: "MarketMSP", Name: "市市场监管局", ContactName: "李四", ContactPhone: "0571-1"}

func mustNew(t *testing.T) (*letter.Letter, []byte) {
	t.Helper()
	l, c, err := letter.New(item(), applicant, organ, "〔2026〕第1号", strings.Repeat("ab", 32), "2026-01-01T00:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	return l, c
}

func TestNewAndParseRoundTrip(t *testing.T) {
	l, c := mustNew(t)
	if l.Applicant.IDNumber != "11010519491231002X" {
		t.Fatalf("ID number not normalized: %q", l.Applicant.IDNumber)
	}
	back, err := letter.Parse(c)
	if err != nil {
		t.Fatalf("parse own letter: %v", err)
	}
	if back.NoticeDigest != l.NoticeDigest || back.Notice.ItemVersion != 3 || back.Notice.Effect != letter.Effect {
		t.Fatalf("round trip changed the letter: %+v", back)
	}
	nd, _ := letter.NoticeDigest(item())
	if l.NoticeDigest != nd {
		t.Fatal("the letter's notice digest differs from the item's")
	}
	if letter.Digest(c) == letter.Digest(append(c[:len(c):len(c)], ' ')) {
		t.Fatal("digest ignores a change")
	}
}

func TestApplicantKey(t *testing.T) {
	k1 := letter.ApplicantKey([]byte("secret-secret-16"), letter.IDResident, "11010519491231002x")
	k2 := letter.ApplicantKey([]byte("secret-secret-16"), letter.IDResident, " 11010519491231002X")
	k3 := letter.ApplicantKey([]byte("another-secret-1"), letter.IDResident, "11010519491231002X")
	if k1 != k2 || k1 == k3 || len(k1) != 64 {
		t.Fatalf("applicant keys: %s %s %s", k1, k2, k3)
	}
}

func TestParseRejects(t *testing.T) {
	_, c := mustNew(t)
	s := string(c)
	tests := map[string]string{
		"empty":                    "",
		"not json":                 "{",
		"not canonical":            " " + s,
		"unknown field":            strings.Replace(s, `{"applicant"`, `{"a":1,"applicant"`, 1),
		"wrong schema":             strings.Replace(s, letter.Schema, "other/v9", 1),
		"changed notice":           strings.Replace(s, `"content":"内容"`, `"content":"内容2"`, 1),
		"bad ID":                   strings.Replace(s, "11010519491231002X", "11010519491231002Y", 1),
		"lower-case ID":            strings.Replace(s, "11010519491231002X", "11010519491231002x", 1),
		"missing name":             strings.Replace(s, `"name":"张三"`, `"name":""`, 1),
		"short salt":               strings.Replace(s, strings.Repeat("ab", 32), "abcd", 1),
		"draftedAt not a time":     strings.Replace(s, "2026-01-01T00:00:00Z", "yesterday", 1),
		"altered commitment":       strings.Replace(s, "已经知晓", "未曾知晓", 1),
		"too large":                strings.Repeat(" ", letter.MaxCanonicalBytes+1),
		"control char in contact":  strings.Replace(s, `"contact":"13912345678"`, `"contact":"139\u0007"`, 1),
		"array instead of object":  "[]",
		"commitment not an array":  strings.Replace(s, `"commitment":[`, `"commitment":{"x":[`, 1),
		"number instead of string": strings.Replace(s, `"mspId":"MarketMSP"`, `"mspId":7`, 1),
	}
	for name, in := range tests {
		if in == s {
			t.Fatalf("%s: the mutation did not change the letter", name)
		}
		if _, err := letter.Parse([]byte(in)); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Errorf("%s: %v, want INVALID_ARGUMENT", name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	_, c, err := letter.New(item(), applicant, organ, "〔2026〕第1号", strings.Repeat("ab", 32), "2026-01-01T00:00:00Z")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(c)
	f.Add([]byte(`{"schema":"chengnuo/letter/v1"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		l, err := letter.Parse(in)
		if err != nil {
			if chengnuo.ErrorCode(err) == chengnuo.EINTERNAL {
				t.Fatalf("parser error without a code: %v", err)
			}
			return
		}
		// Whatever parses is canonical, valid, and re-encodes to the same bytes.
		again, err := letter.Canonical(l)
		if err != nil || string(again) != string(in) {
			t.Fatalf("accepted letter does not round-trip:\n in %s\nout %s", in, again)
		}
		if err := letter.Validate(l); err != nil {
			t.Fatalf("accepted letter fails validation: %v", err)
		}
	})
}

func FuzzValidateID(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "91350100M000100Y43", "E12345678", "", "\xff"} {
		f.Add(letter.IDResident, s)
		f.Add(letter.IDUSCC, s)
	}
	f.Fuzz(func(t *testing.T, typ, n string) {
		if _, ok := letter.ValidateID(typ, n); ok && typ == letter.IDResident {
			if letter.ResidentCheckChar(n[:17]) != n[17] {
				t.Fatalf("accepted %q with a wrong check digit", n)
			}
		}
	})
}
