package letter

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/sm"
)

// drafted returns letters as gateways draft them, with texts that exercise
// every kind of character a string may hold.
func drafted(t testing.TB) [][]byte {
	t.Helper()
	texts := []string{
		"内容",
		"第一行\n第二行",
		`引号"和反斜杠\`,
		"<a href='x'>&amp;</a>",
		"行分隔\u2028段分隔\u2029",
		"𪚥 emoji 😀",
		"DEL\x7f",
	}
	var out [][]byte
	for i, text := range texts {
		it := &chengnuo.Item{Code: "T-1", Version: 3 + i, Name: "事项", Department: "MarketMSP", Purpose: "用途",
			LegalBasis: "依据", Content: text, EligibleApplicants: "对象", CommitmentMethod: "书面", VerificationPower: "核查",
			Liability: "责任", Disclosure: chengnuo.Disclosure{Public: true, Scope: "全市", PeriodDays: 30},
			Verification: chengnuo.VerificationRule{Method: "ONLINE", Department: "JusticeMSP", TimeLimitDays: 5}}
		_, c, err := New(it, Applicant{Name: "张三", IDType: IDResident, IDNumber: "11010519491231002X", Contact: text},
			Organ{MSPID: "MarketMSP", Name: "市市场监管局", ContactName: "李四", ContactPhone: "0571-1"},
			"〔2026〕第1号", strings.Repeat("ab", 32), "2026-01-01T00:00:00+08:00")
		if err != nil {
			t.Fatalf("draft with %q: %v", text, err)
		}
		out = append(out, c)
	}
	return out
}

// Every letter a gateway drafts takes the quick path: otherwise the
// quick path buys nothing.
func TestQuickCheckTakesDraftedLetters(t *testing.T) {
	for _, c := range drafted(t) {
		if !quickCheck(c, schemaShape()) {
			t.Errorf("a drafted letter missed the quick path:\n%s", c)
		}
		if _, err := Parse(c); err != nil {
			t.Errorf("a drafted letter was refused: %v", err)
		}
	}
}

// Whatever is not canonical or not the schema's shape is left to the
// general checks, which refuse it.
func TestQuickCheckLeavesTheRestToTheGeneralChecks(t *testing.T) {
	c := string(drafted(t)[0])
	cases := map[string]string{
		"space":                   " " + c,
		"trailing data":           c + "{}",
		"members out of order":    strings.Replace(c, `{"applicant":`, `{"zz":1,"applicant":`, 1),
		"unknown member":          strings.Replace(c, `{"applicant":`, `{"a":1,"applicant":`, 1),
		"member twice":            strings.Replace(c, `"salt":`, `"salt":"00","salt":`, 1),
		"escaped slash":           strings.Replace(c, `0571-1`, `0571\/1`, 1),
		"escaped letter":          strings.Replace(c, `0571-1`, `0571\u002d1`, 1),
		"upper-case escape":       strings.Replace(c, `0571-1`, `0571\u001F1`, 1),
		"backspace as \\u":        strings.Replace(c, `0571-1`, `0571\u00081`, 1),
		"negative zero":           strings.Replace(c, `"itemVersion":3`, `"itemVersion":-0`, 1),
		"leading zero":            strings.Replace(c, `"itemVersion":3`, `"itemVersion":03`, 1),
		"fraction":                strings.Replace(c, `"itemVersion":3`, `"itemVersion":3.0`, 1),
		"exponent":                strings.Replace(c, `"itemVersion":3`, `"itemVersion":3e0`, 1),
		"sixteen digits":          strings.Replace(c, `"itemVersion":3`, `"itemVersion":1000000000000000`, 1),
		"invalid UTF-8":           strings.Replace(c, `0571-1`, "0571\xff1", 1),
		"raw control character":   strings.Replace(c, `0571-1`, "0571\x011", 1),
		"escaped member name":     strings.Replace(c, `"salt":`, `"s\u0061lt":`, 1),
		"array for an object":     strings.Replace(c, `"organ":{`, `"organ":[{`, 1),
		"object for a string":     strings.Replace(c, `"number":"`, `"number":{"a":"`, 1),
		"unterminated":            c[:len(c)-1],
		"misspelled literal":      strings.Replace(c, `"exempt":false`, `"exempt":fals`, 1),
		"literal for an object":   strings.Replace(c, `"disclosure":{"periodDays":30,"public":true,"scope":"全市"}`, `"disclosure":null`, 1),
		"number for an array":     strings.Replace(c, `"commitment":[`, `"commitment":1,"x":[`, 1),
		"empty":                   "",
		"bare string at the root": `"letter"`,
	}
	for name, in := range cases {
		if in == c {
			t.Fatalf("%s: the mutation did not change the letter", name)
		}
		if quickCheck([]byte(in), schemaShape()) {
			t.Errorf("%s: taken by the quick path", name)
		}
		if _, err := Parse([]byte(in)); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Errorf("%s: %v, want INVALID_ARGUMENT", name, err)
		}
	}
}

// FuzzQuickCheck holds the quick path to the general checks: whatever it
// takes is canonical and of the schema's shape.
func FuzzQuickCheck(f *testing.F) {
	for _, c := range drafted(f) {
		f.Add(c)
	}
	f.Add([]byte(`{"commitment":["a\u001f\n"],"schema":"x"}`))
	f.Add([]byte(`{"notice":{"itemVersion":-12}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		if !quickCheck(in, schemaShape()) {
			return
		}
		c, err := sm.Canonicalize(in)
		if err != nil || !bytes.Equal(c, in) {
			t.Fatalf("the quick path took a non-canonical letter (%v):\n in %q\nout %q", err, in, c)
		}
		if err := checkSchema(in); err != nil {
			t.Fatalf("the quick path took a letter outside the schema: %v\n%q", err, in)
		}
	})
}

func BenchmarkQuickCheck(b *testing.B) {
	c := drafted(b)[0]
	b.SetBytes(int64(len(c)))
	for b.Loop() {
		if !quickCheck(c, schemaShape()) {
			b.Fatal("missed")
		}
	}
}

// general is the general way: encoding/json, then RFC 8785.
func general(t testing.TB, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	c, err := sm.Canonicalize(raw)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The typed encoder writes what the general way writes, or declines.
func TestCanonicalAgrees(t *testing.T) {
	type inner struct {
		B bool `json:"b,omitempty"`
	}
	type odd struct {
		Zeta   string   `json:"zeta"`
		Alpha  int      `json:"alpha,omitempty"`
		Nil    []string `json:"nil"`
		Empty  []string `json:"empty,omitempty"`
		Inner  inner    `json:"inner,omitempty"` // a struct is never empty
		Ptr    *inner   `json:"ptr,omitempty"`
		NilPtr *inner   `json:"nilPtr"`
		Plain  string
		hidden string
		Skip   string `json:"-"`
	}
	handled := []any{
		odd{Zeta: "z", Ptr: &inner{B: true}, Empty: []string{}},
		odd{Alpha: -999_999_999_999_999, Nil: []string{"\x00\x1f\u2028", "é"}},
		&odd{Plain: `"\`},
	}
	for _, c := range drafted(t) {
		l, err := Parse(c)
		if err != nil {
			t.Fatal(err)
		}
		handled = append(handled, l, *l, l.Notice)
	}
	for _, v := range handled {
		got, ok := appendCanonical(nil, reflect.ValueOf(v))
		if !ok {
			t.Errorf("%T declined", v)
			continue
		}
		if want := general(t, v); !bytes.Equal(got, want) {
			t.Errorf("%T:\n got %s\nwant %s", v, got, want)
		}
	}
	type quoted struct {
		N int `json:"n,string"`
	}
	declined := map[string]any{
		"a float":          3.5,
		"a big integer":    int64(1) << 60,
		"invalid UTF-8":    "\xff",
		"bytes":            []byte("x"),
		"a map":            map[string]string{"a": "b"},
		"a string option":  quoted{},
		"a non-ASCII name": struct{ Ü string }{},
		"an HTML name": struct {
			A string `json:"<a>"`
		}{},
	}
	for name, v := range declined {
		if _, ok := appendCanonical(nil, reflect.ValueOf(v)); ok {
			t.Errorf("%s: handled", name)
		}
		if c, err := Canonical(v); err == nil && !bytes.Equal(c, general(t, v)) {
			t.Errorf("%s: Canonical differs from the general way", name)
		}
	}
}

// FuzzCanonical holds the typed encoder to the general way over letters
// with arbitrary texts and numbers.
func FuzzCanonical(f *testing.F) {
	f.Add("张三", "第一行\n第二行", "\x00\x7f\u2028", int64(3), true)
	f.Add(`"\`, "", "\xff", int64(-1)<<53, false)
	f.Fuzz(func(t *testing.T, name, text, other string, n int64, b bool) {
		l := Letter{Schema: Schema, Number: other, Salt: text,
			Applicant:  Applicant{Name: name, Contact: text},
			Notice:     Notice{ItemVersion: int(n), Content: text, Disclosure: chengnuo.Disclosure{Public: b, Scope: other, PeriodDays: int(n)}},
			Commitment: []string{name, text, other}}
		raw, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		want, err := sm.Canonicalize(raw)
		if err != nil {
			return // the general way itself declines (a number JCS cannot hold)
		}
		got, ok := appendCanonical(nil, reflect.ValueOf(l))
		if ok && !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}

func BenchmarkCanonical(b *testing.B) {
	l, err := Parse(drafted(b)[0])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Canonical(l); err != nil {
			b.Fatal(err)
		}
	}
}
