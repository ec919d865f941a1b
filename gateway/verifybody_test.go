package gateway

import (
	"bytes"
	"testing"
)

var letterOnlySeeds = []string{
	`{"letter":"{\"a\":1}"}`,
	` {  "letter" : "x\\y\/z\b\f\n\r\t" } `,
	`{"letter":"承诺书 \"引号\""}`,
	`{"letter":"\u0041"}`,
	`{"letter":"a","x":1}`,
	`{"letter":1}`,
	`{"letter":"a"`,
	`{"letter":"a"}x`,
	`{"letter":"a"}{}`,
	`{"Letter":"a"}`,
	`{"letter":"bad \xff utf8"}`,
	`{"letter":"ctl ` + "\x01" + `"}`,
	`{"letter":"a\`,
	`{}`,
	``,
}

// FuzzLetterOnly holds the fast path to encoding/json: whenever it accepts
// a body, the general decoder accepts it too and finds the same letter.
func FuzzLetterOnly(f *testing.F) {
	for _, s := range letterOnlySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := letterOnly(raw)
		if !ok {
			return
		}
		var r verifyBody
		if err := decodeJSONBytes(raw, &r); err != nil {
			t.Fatalf("fast path accepted %q, encoding/json refused it: %v", raw, err)
		}
		if r.Letter == nil || !bytes.Equal(got, []byte(*r.Letter)) {
			t.Fatalf("fast path read %q from %q, encoding/json %v", got, raw, r.Letter)
		}
	})
}

func TestLetterOnlyTakesTheUsualShape(t *testing.T) {
	for body, want := range map[string]string{
		`{"letter":"{\"a\":1}"}`:        `{"a":1}`,
		` {  "letter" : "x\\y\/z\n" } `: "x\\y/z\n",
		`{"letter":"承诺书 \"引号\""}`:       `承诺书 "引号"`,
		`{"letter":""}`:                 ``,
	} {
		got, ok := letterOnly([]byte(body))
		if !ok || string(got) != want {
			t.Errorf("letterOnly(%s) = %q, %v; want %q", body, got, ok, want)
		}
	}
	for _, body := range []string{`{"letter":"\u0041"}`, `{"letter":"a","x":1}`, `{"letter":1}`, `{"letter":"a"}x`,
		`{"Letter":"a"}`, `{"letter":"bad ` + "\xff" + `"}`, `{}`, ``, `{"letter":"a\`} {
		if got, ok := letterOnly([]byte(body)); ok {
			t.Errorf("letterOnly(%q) took %q; want the general decoder", body, got)
		}
	}
}
