package gateway

import "unicode/utf8"

// letterOnly reads the usual body of POST /v1/verify, {"letter":"..."},
// in one pass, without reflection: public verification by letter runs at
// thousands per second, and encoding/json cost a third of it. It answers
// ok only for that exact shape with the simple escapes (\" \\ \/ \b \f \n
// \r \t) and valid UTF-8, where encoding/json would decode the same
// letter; anything else (other fields, \u escapes, bad input) goes to the
// general decoder, which gives the errors. FuzzLetterOnly holds it to that.
func letterOnly(raw []byte) ([]byte, bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, false
	}
	i = skipSpace(raw, i+1)
	const name = `"letter"`
	if len(raw)-i < len(name) || string(raw[i:i+len(name)]) != name {
		return nil, false
	}
	i = skipSpace(raw, i+len(name))
	if i >= len(raw) || raw[i] != ':' {
		return nil, false
	}
	i = skipSpace(raw, i+1)
	if i >= len(raw) || raw[i] != '"' {
		return nil, false
	}
	i++
	out := make([]byte, 0, len(raw)-i)
	for {
		if i >= len(raw) {
			return nil, false
		}
		c := raw[i]
		switch {
		case c == '"':
			i = skipSpace(raw, i+1)
			if i >= len(raw) || raw[i] != '}' || skipSpace(raw, i+1) != len(raw) || !utf8.Valid(out) {
				return nil, false
			}
			return out, true
		case c < 0x20:
			return nil, false
		case c == '\\':
			if i+1 >= len(raw) {
				return nil, false
			}
			e := simpleEscapes[raw[i+1]]
			if e == 0 {
				return nil, false
			}
			out = append(out, e)
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
}

// simpleEscapes maps the byte after a backslash to the byte it stands for;
// 0 where letterOnly leaves the escape to the general decoder.
var simpleEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// skipSpace skips JSON whitespace from i.
func skipSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}
