package letter_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/sm"
)

func TestValidateID(t *testing.T) {
	tests := []struct {
		typ, n string
		ok     bool
	}{
		{letter.IDResident, "11010519491231002X", true},  // GB 11643 example
		{letter.IDResident, "440524188001010014", false}, // born 1880: before 1900
		{letter.IDResident, residentID("110101", "19000101"), true},
		{letter.IDResident, residentID("110101", "18991231"), false},
		{letter.IDResident, residentID("110101", time.Now().AddDate(0, 0, 1).Format("20060102")), false}, // born tomorrow
		{letter.IDResident, residentID("000000", "19850101"), false},
		{letter.IDResident, residentID("999999", "19850101"), false},
		{letter.IDResident, residentID("990101", "19850101"), false},
		{letter.IDResident, residentID("810000", "19850101"), true}, // Hong Kong
		{letter.IDUSCC, uscc("00000000000000000"), false},           // eighteen zeros (with its check character)
		{letter.IDUSCC, uscc("91110000MA0000000"), true},
		{letter.IDUSCC, uscc("94110000MA0000000"), false}, // 工商 has no type 4
		{letter.IDUSCC, uscc("X1110000MA0000000"), false}, // no authority X
		{letter.IDUSCC, uscc("91000000MA0000000"), false}, // region 000000
		{letter.IDUSCC, uscc("51440300MJ0000000"), true},  // 民政, 社会团体
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

// residentID completes a region code and a birth date to a resident ID
// number with a valid check digit.
func residentID(region, born string) string {
	first := region + born + "123"
	return first + string(letter.ResidentCheckChar(first))
}

// uscc completes 17 characters to a code with a valid check character.
func uscc(first string) string {
	c, ok := letter.USCCCheckChar(first)
	if !ok {
		panic(first)
	}
	return first + string(c)
}

func item() *chengnuo.Item {
	return &chengnuo.Item{Code: "T-1", Version: 3, Name: "事项", Department: "MarketMSP", Purpose: "用途", LegalBasis: "依据",
		Content: "内容", EligibleApplicants: "对象", CommitmentMethod: "书面", VerificationPower: "核查", Liability: "责任",
		Verification: chengnuo.VerificationRule{Exempt: true}}
}

var applicant = letter.Applicant{Name: "张三", IDType: letter.IDResident, IDNumber: " 11010519491231002x ", Contact: "13912345678"}
var organ = letter.Organ{MSPID: "MarketMSP", Name: "市市场监管局", ContactName: "李四", ContactPhone: "0571-1"}

func mustNew(t testing.TB) (*letter.Letter, []byte) {
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
		differential(t, in, l)
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

// recanonical edits a letter as a generic JSON tree and returns the
// canonical bytes of the result: a letter any other reader would accept as
// canonical JSON.
func recanonical(t *testing.T, c []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(c, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	raw, _ := json.Marshal(m)
	out, err := sm.Canonicalize(raw)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// One letter, one meaning: member names are matched byte for byte, so a
// name that Go's decoder would fold onto a schema field (Unicode folding,
// case) is refused instead of read differently by different readers.
func TestParseMatchesNamesExactly(t *testing.T) {
	_, c := mustNew(t)
	cases := map[string]func(m map[string]any){
		"folded twin of purpose": func(m map[string]any) { m["notice"].(map[string]any)["purpo\u017fe"] = "另一个用途" },
		"upper-case idNumber": func(m map[string]any) {
			a := m["applicant"].(map[string]any)
			a["IDNUMBER"] = a["idNumber"]
			delete(a, "idNumber")
		},
		"case variant at the top": func(m map[string]any) { m["Salt"] = m["salt"]; delete(m, "salt") },
		"unknown field":           func(m map[string]any) { m["extra"] = 1 },
		"object for a string":     func(m map[string]any) { m["number"] = map[string]any{"a": 1} },
		"array for an object":     func(m map[string]any) { m["organ"] = []any{1} },
		"string for an array":     func(m map[string]any) { m["commitment"] = "all" },
	}
	for name, edit := range cases {
		in := recanonical(t, c, edit)
		var l letter.Letter
		goReads := json.Unmarshal(in, &l) == nil
		if _, err := letter.Parse(in); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Errorf("%s: %v, want INVALID_ARGUMENT (encoding/json alone reads it: %v)", name, err, goReads)
		}
	}
	// A name twice, which no canonical encoder writes.
	dup := strings.Replace(string(c), `"salt":`, `"salt":"00","salt":`, 1)
	if _, err := letter.Parse([]byte(dup)); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
		t.Errorf("duplicate name: %v", err)
	}
}

// The differential test: whatever Parse accepts, a case-sensitive generic
// decoder reads as the same tree as the parsed letter.
func differential(t *testing.T, in []byte, l *letter.Letter) {
	t.Helper()
	var generic, parsed any
	if err := json.Unmarshal(in, &generic); err != nil {
		t.Fatalf("accepted bytes are not JSON: %v", err)
	}
	again, _ := json.Marshal(l)
	_ = json.Unmarshal(again, &parsed)
	if !reflect.DeepEqual(generic, parsed) {
		t.Fatalf("Parse and a generic decoder read different letters:\n%s\n%s", in, again)
	}
}

func TestParseAgreesWithAGenericDecoder(t *testing.T) {
	_, c := mustNew(t)
	l, err := letter.Parse(c)
	if err != nil {
		t.Fatal(err)
	}
	differential(t, c, l)
}

// The catalog refuses an item whose letters drafting would refuse: notice
// texts over the letter's limits, or a letter that could outgrow its size.
func TestCheckItem(t *testing.T) {
	if err := letter.CheckItem(item()); err != nil {
		t.Fatalf("a plain item: %v", err)
	}
	long := item()
	long.Content = strings.Repeat("内", 4001)
	if chengnuo.ErrorCode(letter.CheckItem(long)) != chengnuo.EINVALID {
		t.Fatal("a notice text over 4000 characters was accepted")
	}
	big := item()
	for _, f := range []*string{&big.Purpose, &big.LegalBasis, &big.Content, &big.EligibleApplicants} {
		*f = strings.Repeat("字", 3000) // each within the field limit, together too large
	}
	if chengnuo.ErrorCode(letter.CheckItem(big)) != chengnuo.EINVALID {
		t.Fatal("an item whose letters exceed the size limit was accepted")
	}
	if _, _, err := letter.New(big, applicant, organ, "〔2026〕第1号", strings.Repeat("ab", 32), "2026-01-01T00:00:00Z"); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
		t.Fatalf("drafting from the item: %v", err)
	}
	ctrl := item()
	ctrl.Liability = "责任\x07"
	if chengnuo.ErrorCode(letter.CheckItem(ctrl)) != chengnuo.EINVALID {
		t.Fatal("a control character was accepted")
	}
}

// BenchmarkParse is the gateway's per-letter cost of checking a submitted
// letter: canonical form, strict schema, field rules.
func BenchmarkParse(b *testing.B) {
	_, c := mustNew(b)
	b.SetBytes(int64(len(c)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := letter.Parse(c); err != nil {
			b.Fatal(err)
		}
	}
}
