package letter

import (
	"unicode/utf8"
)

// quickCheck reports whether raw is, at a glance, what Parse's general
// checks accept: one JSON value in RFC 8785 canonical form whose objects
// hold only the members shape s names, byte for byte and each once, and
// whose arrays and scalars sit where s has them. It covers the letters
// gateways draft (ASCII member names, integers, strings of any script) in
// one pass without allocating; false means only "not shown here", and the
// caller runs the general checks (sm.Canonicalize, then checkShape), which
// accept or give the error. It is deliberately narrower than those checks,
// never wider: FuzzQuickCheck holds it to them.
func quickCheck(raw []byte, s *shape) bool {
	q := quick{raw: raw}
	return q.value(s) && q.i == len(raw)
}

type quick struct {
	raw []byte
	i   int
}

// value checks one value at q.i against s and moves past it.
func (q *quick) value(s *shape) bool {
	if q.i >= len(q.raw) {
		return false
	}
	switch c := q.raw[q.i]; {
	case c == '{':
		return s.fields != nil && q.object(s)
	case c == '[':
		return s.elem != nil && q.array(s.elem)
	case !s.scalar():
		return false
	case c == '"':
		return q.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return q.integer()
	case c == 't':
		return q.literal("true")
	case c == 'f':
		return q.literal("false")
	case c == 'n':
		return q.literal("null")
	}
	return false
}

// object checks members in strictly increasing name order — RFC 8785's
// order, which for the ASCII names of the schema is byte order, and which
// rules out a name twice.
func (q *quick) object(s *shape) bool {
	q.i++ // '{'
	if q.peek('}') {
		q.i++
		return true
	}
	var prev []byte
	for {
		name, ok := q.name()
		if !ok || (prev != nil && string(name) <= string(prev)) {
			return false
		}
		child, ok := s.fields[string(name)]
		if !ok || !q.peek(':') {
			return false
		}
		q.i++
		if !q.value(child) {
			return false
		}
		prev = name
		switch {
		case q.peek(','):
			q.i++
		case q.peek('}'):
			q.i++
			return true
		default:
			return false
		}
	}
}

// name reads a member name made of printable ASCII without escapes.
func (q *quick) name() ([]byte, bool) {
	if !q.peek('"') {
		return nil, false
	}
	start := q.i + 1
	for j := start; j < len(q.raw); j++ {
		switch c := q.raw[j]; {
		case c == '"':
			q.i = j + 1
			return q.raw[start:j], true
		case c < 0x20 || c >= 0x7f || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

func (q *quick) array(elem *shape) bool {
	q.i++ // '['
	if q.peek(']') {
		q.i++
		return true
	}
	for {
		if !q.value(elem) {
			return false
		}
		switch {
		case q.peek(','):
			q.i++
		case q.peek(']'):
			q.i++
			return true
		default:
			return false
		}
	}
}

// str checks a string as RFC 8785 writes it: valid UTF-8 as is, except
// '"' and '\' and the control characters, which are escaped — \b \t \n
// \f \r by name, the others as \u00xx in lower-case hex.
func (q *quick) str() bool {
	for j := q.i + 1; j < len(q.raw); {
		c := q.raw[j]
		switch {
		case c == '"':
			q.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			n, ok := escape(q.raw[j+1:])
			if !ok {
				return false
			}
			j += 1 + n
		case c < utf8.RuneSelf:
			j++
		default:
			r, n := utf8.DecodeRune(q.raw[j:])
			if r == utf8.RuneError && n <= 1 {
				return false
			}
			j += n
		}
	}
	return false
}

// escape checks the escape after a backslash and returns its length.
func escape(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	switch b[0] {
	case '"', '\\', 'b', 't', 'n', 'f', 'r':
		return 1, true
	case 'u':
		if len(b) < 5 || b[1] != '0' || b[2] != '0' || (b[3] != '0' && b[3] != '1') || !lowerHex(b[4]) {
			return 0, false
		}
		switch c := hexVal(b[3])<<4 | hexVal(b[4]); c {
		case '\b', '\t', '\n', '\f', '\r':
			return 0, false // written by name
		}
		return 5, true
	}
	return 0, false
}

func lowerHex(c byte) bool { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') }

func hexVal(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'a' + 10
}

// integer checks an integer as RFC 8785 writes it: no leading zeros, no
// "-0", no fraction or exponent, and at most 15 digits, so that it is an
// exact IEEE 754 double whose shortest form is the digits themselves.
func (q *quick) integer() bool {
	j := q.i
	if q.raw[j] == '-' {
		j++
	}
	start := j
	for j < len(q.raw) && q.raw[j] >= '0' && q.raw[j] <= '9' {
		j++
	}
	digits := q.raw[start:j]
	switch {
	case len(digits) == 0 || len(digits) > 15:
		return false
	case digits[0] == '0' && (len(digits) > 1 || start > q.i):
		return false // a leading zero, or -0
	case j < len(q.raw) && (q.raw[j] == '.' || q.raw[j] == 'e' || q.raw[j] == 'E'):
		return false
	}
	q.i = j
	return true
}

func (q *quick) literal(lit string) bool {
	if len(q.raw)-q.i < len(lit) || string(q.raw[q.i:q.i+len(lit)]) != lit {
		return false
	}
	q.i += len(lit)
	return true
}

func (q *quick) peek(c byte) bool { return q.i < len(q.raw) && q.raw[q.i] == c }
