package letter

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// appendCanonical appends the RFC 8785 canonical JSON of v — what
// sm.Canonicalize makes of json.Marshal(v) — for the kinds letters are made
// of: structs with ASCII member names, strings, integers of at most 15
// digits, booleans and slices. ok is false for anything else (the caller
// then takes the general way); TestCanonicalAgrees and FuzzCanonical hold
// it to the general way.
func appendCanonical(b []byte, v reflect.Value) ([]byte, bool) {
	switch v.Kind() {
	case reflect.String:
		return appendString(b, v.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := v.Int()
		if n > maxExact || n < -maxExact {
			return b, false
		}
		return strconv.AppendInt(b, n, 10), true
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool()), true
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, "null"...), true
		}
		return appendCanonical(b, v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i := range v.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendCanonical(b, v.Index(i)); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case reflect.Struct:
		fields, ok := sortedFields(v.Type())
		if !ok {
			return b, false
		}
		b = append(b, '{')
		first := true
		for _, f := range fields {
			fv := v.Field(f.index)
			if f.omitEmpty && empty(fv) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, '"')
			b = append(b, f.name...)
			b = append(b, '"', ':')
			if b, ok = appendCanonical(b, fv); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	}
	return b, false
}

// empty is encoding/json's test for omitempty: a struct is never empty.
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Struct:
		return false
	}
	return v.IsZero()
}

// maxExact bounds the integers whose shortest double form is their digits.
const maxExact = 999_999_999_999_999

// appendString writes s as RFC 8785 does; invalid UTF-8, which
// encoding/json would replace, is left to the general way.
func appendString(b []byte, s string) ([]byte, bool) {
	if !utf8.ValidString(s) {
		return b, false
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\f':
			b = append(b, '\\', 'f')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			const hex = "0123456789abcdef"
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"'), true
}

// field is a struct field as encoding/json writes it.
type field struct {
	name      string
	index     int
	omitEmpty bool
}

var fieldCache sync.Map // reflect.Type -> []field, or nil if not handled

// sortedFields lists a struct's JSON members in RFC 8785 order; ok is
// false for what appendCanonical leaves to the general way.
func sortedFields(t reflect.Type) ([]field, bool) {
	f, ok := fieldCache.Load(t)
	if !ok {
		f, _ = fieldCache.LoadOrStore(t, jsonFields(t))
	}
	fs := f.([]field)
	return fs, fs != nil
}

// jsonFields lists a struct's members sorted by name, or nil for embedded
// fields, non-ASCII or escaped names, options other than omitempty, and
// twin names (encoding/json's rules for those are its own).
func jsonFields(t reflect.Type) []field {
	fs := []field{}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if !sf.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		if sf.Anonymous || (opts != "" && opts != "omitempty") || !plainName(name) {
			return nil
		}
		fs = append(fs, field{name: name, index: i, omitEmpty: opts == "omitempty"})
	}
	slices.SortFunc(fs, func(a, b field) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(fs); i++ {
		if fs[i].name == fs[i-1].name {
			return nil
		}
	}
	return fs
}

// plainName reports whether a member name is printable ASCII that JSON
// writes without escapes.
func plainName(s string) bool {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return s != ""
}
