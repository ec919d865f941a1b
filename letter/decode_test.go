package letter

import (
	"encoding/json"
	"reflect"
	"testing"
)

// agreeWithJSON checks decodeQuick against json.Unmarshal on bytes
// quickCheck accepted: where it decodes, it must give what json gives.
func agreeWithJSON(t *testing.T, in []byte) (decoded bool) {
	t.Helper()
	var fast, slow Letter
	if !decodeQuick(in, &fast) {
		return false
	}
	if err := json.Unmarshal(in, &slow); err != nil {
		t.Fatalf("decoded quickly what json refuses (%v):\n%q", err, in)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("quick and json decodings differ:\n in %q\nquick %#v\n json %#v", in, fast, slow)
	}
	return true
}

// Letters as the gateway drafts them — escapes, control characters,
// U+2028, astral characters, the empty commitment list — decode quickly
// and as json decodes them; shapes the letter's types cannot take are left
// to json.
func TestDecodeQuickAgrees(t *testing.T) {
	for _, c := range drafted(t) {
		if !quickCheck(c, schemaShape()) {
			t.Fatalf("a drafted letter missed the quick check: %q", c)
		}
		if !agreeWithJSON(t, c) {
			t.Fatalf("a drafted letter was left to json: %q", c)
		}
	}
	for _, in := range []string{
		`{}`,
		`{"commitment":[]}`,
		`{"notice":{"itemVersion":null},"salt":null}`,
		`{"commitment":["a\u001f\n\t\b\f\r\"\\","","é😀"]}`,
		`{"notice":{"disclosure":{"periodDays":-12,"public":true},"itemVersion":123456789012345}}`,
		`{"applicant":{"contact":"\u0000","name":"x"}}`,
	} {
		if !quickCheck([]byte(in), schemaShape()) {
			t.Fatalf("the quick check refused %s", in)
		}
		if !agreeWithJSON(t, []byte(in)) {
			t.Fatalf("left to json: %s", in)
		}
	}
	for _, in := range []string{
		`{"salt":12}`,                    // a number in a text field: json's error
		`{"notice":{"itemVersion":"3"}}`, // a text in a number field
		`{"commitment":"one"}`,           // a text for a list
		`{"notice":{"disclosure":{"public":"yes"}}}`,
	} {
		var l Letter
		if quickCheck([]byte(in), schemaShape()) && decodeQuick([]byte(in), &l) {
			t.Errorf("decoded %s quickly; json refuses it", in)
		}
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse took %s", in)
		}
	}
}

func FuzzDecodeQuick(f *testing.F) {
	for _, c := range drafted(f) {
		f.Add(c)
	}
	f.Add([]byte(`{"commitment":["a\u001f\n"],"notice":{"itemVersion":-12}}`))
	f.Add([]byte(`{"salt":12}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		if quickCheck(in, schemaShape()) {
			agreeWithJSON(t, in)
		}
	})
}

func BenchmarkDecodeQuick(b *testing.B) {
	c := drafted(b)[0]
	b.Run("quick", func(b *testing.B) {
		for b.Loop() {
			var l Letter
			if !decodeQuick(c, &l) {
				b.Fatal("missed")
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			var l Letter
			if err := json.Unmarshal(c, &l); err != nil {
				b.Fatal(err)
			}
		}
	})
}
