package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/chengnuo/chengnuo"
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

var submitOnlySeeds = []string{
	`{"letter":"{\"a\":1}","signature":"MEUCIQ==","publicKey":"04ab"}`,
	`{"letter":"L","signature":"S","certificate":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}`,
	` { "signature" : "S" , "letter" : "承诺书 \"引号\"" } `,
	`{"letter":"a","letter":"b"}`,
	`{"letter":"a","Signature":"S"}`,
	`{"letter":"a","signature":null}`,
	`{"letter":"a","signature":"\u0053"}`,
	`{"letter":"a","x":"y"}`,
	`{"letter":"a",}`,
	`{"letter":"a" "signature":"S"}`,
	`{"letter":"a"}{}`,
	`{}`,
	`{ }`,
	``,
}

// FuzzSubmitOnly holds the submission's fast path to encoding/json: whenever
// it accepts a body, the general decoder accepts it too, with the same
// request.
func FuzzSubmitOnly(f *testing.F) {
	for _, s := range submitOnlySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var fast chengnuo.SubmitRequest
		if !submitOnly(raw, &fast) {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var general chengnuo.SubmitRequest
		if err := dec.Decode(&general); err != nil || dec.More() {
			t.Fatalf("fast path accepted %q, encoding/json refused it: %v", raw, err)
		}
		if _, err := dec.Token(); err != io.EOF {
			t.Fatalf("fast path accepted %q with trailing data", raw)
		}
		if fast != general {
			t.Fatalf("fast path read %+v from %q, encoding/json %+v", fast, raw, general)
		}
	})
}

func TestSubmitOnlyTakesTheUsualShape(t *testing.T) {
	var r chengnuo.SubmitRequest
	body := ` { "signature" : "S" , "letter" : "承诺书 \"引号\"\n", "publicKey":"04ab", "certificate":"" } `
	want := chengnuo.SubmitRequest{Letter: "承诺书 \"引号\"\n", Signature: "S", PublicKey: "04ab"}
	if !submitOnly([]byte(body), &r) || r != want {
		t.Errorf("submitOnly(%s) = %+v; want %+v", body, r, want)
	}
	// Left to the general decoder, which decides (and may accept).
	for _, body := range submitOnlySeeds[3:] {
		if body == `{}` || body == `{ }` {
			continue
		}
		if submitOnly([]byte(body), &r) {
			t.Errorf("submitOnly(%q) took it; want the general decoder", body)
		}
	}
	for _, body := range []string{`{}`, `{ }`} {
		if !submitOnly([]byte(body), &r) || r != (chengnuo.SubmitRequest{}) {
			t.Errorf("submitOnly(%q) = %+v", body, r)
		}
	}
}

// BenchmarkSubmitBody compares the fast path with encoding/json on a
// submission's body the size and shape of a real one.
func BenchmarkSubmitBody(b *testing.B) {
	letter := strings.Repeat(`{"applicant":{"name":"压测","idType":"PASSPORT"},"commitment":["已经知晓行政机关告知的全部内容。"]},`, 16)
	raw, _ := json.Marshal(chengnuo.SubmitRequest{Letter: letter, Signature: strings.Repeat("MEUCIQ", 16), PublicKey: "04" + strings.Repeat("ab", 64)})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			var r chengnuo.SubmitRequest
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("submitOnly", func(b *testing.B) {
		for b.Loop() {
			var r chengnuo.SubmitRequest
			if !submitOnly(raw, &r) {
				b.Fatal("not taken")
			}
		}
	})
}
