package gateway

import (
	"unicode/utf8"

	"github.com/chengnuo/chengnuo"
)

// The two busiest bodies the gateway reads are flat objects of strings: a
// letter posted for public verification, {"letter":"..."}, and a signed
// letter submitted, {"letter":"...","signature":"...","publicKey":"..."}.
// A letter is JSON inside JSON, every quote of it escaped, and
// encoding/json's reflection and unescaping cost a third of a verification
// by letter and a twentieth of a submission. stringMembers reads such an
// object in one pass. It answers ok only where encoding/json would decode
// the same values: members named exactly as listed, each at most once,
// string values with the simple escapes (\" \\ \/ \b \f \n \r \t), valid
// UTF-8, nothing after the object. Anything else (other or differently
// cased names, \u escapes, null, bad input) goes to the general decoder,
// which gives the errors. FuzzLetterOnly and FuzzSubmitOnly hold it to that.

// stringMembers reads raw as an object whose members are among names and
// whose values are strings; vals[i] is the value of names[i], nil if absent.
func stringMembers(raw []byte, names ...string) (vals [][]byte, ok bool) {
	vals = make([][]byte, len(names))
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return vals, skipSpace(raw, i+1) == len(raw)
	}
	for {
		// A member's name: one of names, plain, not seen yet.
		if i >= len(raw) || raw[i] != '"' {
			return nil, false
		}
		n := -1
		for k, name := range names {
			if end := i + 1 + len(name); end < len(raw) && raw[end] == '"' && string(raw[i+1:end]) == name {
				n = k
				break
			}
		}
		if n < 0 || vals[n] != nil {
			return nil, false
		}
		i = skipSpace(raw, i+len(names[n])+2)
		if i >= len(raw) || raw[i] != ':' {
			return nil, false
		}
		i = skipSpace(raw, i+1)
		if vals[n], i = stringValue(raw, i); vals[n] == nil {
			return nil, false
		}
		i = skipSpace(raw, i)
		switch {
		case i < len(raw) && raw[i] == ',':
			i = skipSpace(raw, i+1)
		case i < len(raw) && raw[i] == '}':
			return vals, skipSpace(raw, i+1) == len(raw)
		default:
			return nil, false
		}
	}
}

// stringValue reads the JSON string at raw[i:] and returns its value
// (never nil when read) and the index after it; nil where the general
// decoder must decide.
func stringValue(raw []byte, i int) ([]byte, int) {
	if i >= len(raw) || raw[i] != '"' {
		return nil, i
	}
	i++
	out := make([]byte, 0, min(len(raw)-i, 64<<10))
	for i < len(raw) {
		switch c := raw[i]; {
		case c == '"':
			if !utf8.Valid(out) {
				return nil, i
			}
			return out, i + 1
		case c < 0x20:
			return nil, i
		case c == '\\':
			if i+1 >= len(raw) || simpleEscapes[raw[i+1]] == 0 {
				return nil, i
			}
			out = append(out, simpleEscapes[raw[i+1]])
			i += 2
		default: // a run of plain bytes, copied at once
			j := i + 1
			for j < len(raw) && raw[j] >= 0x20 && raw[j] != '"' && raw[j] != '\\' {
				j++
			}
			out = append(out, raw[i:j]...)
			i = j
		}
	}
	return nil, i
}

// letterOnly reads the usual body of POST /v1/verify.
func letterOnly(raw []byte) ([]byte, bool) {
	vals, ok := stringMembers(raw, "letter")
	if !ok || vals[0] == nil {
		return nil, false
	}
	return vals[0], true
}

// submitOnly reads the usual body of POST /v1/commitments into r.
func submitOnly(raw []byte, r *chengnuo.SubmitRequest) bool {
	vals, ok := stringMembers(raw, "letter", "signature", "publicKey", "certificate")
	if !ok {
		return false
	}
	*r = chengnuo.SubmitRequest{Letter: string(vals[0]), Signature: string(vals[1]), PublicKey: string(vals[2]), Certificate: string(vals[3])}
	return true
}

// simpleEscapes maps the byte after a backslash to the byte it stands for;
// 0 where stringValue leaves the escape to the general decoder.
var simpleEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// skipSpace skips JSON whitespace from i.
func skipSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}
