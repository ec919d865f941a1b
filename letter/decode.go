package letter

import (
	"reflect"
	"strconv"
	"sync"
	"unicode/utf8"
)

// plan is how to fill one Go value of the letter's types from JSON.
type plan struct {
	kind   reflect.Kind
	typ    reflect.Type
	fields map[string]fieldPlan // a struct's members by JSON name
	elem   *plan                // a slice's elements
}

type fieldPlan struct {
	index int
	p     *plan
}

func planOf(t reflect.Type) *plan {
	p := &plan{kind: t.Kind(), typ: t}
	switch t.Kind() {
	case reflect.Struct:
		p.fields = map[string]fieldPlan{}
		// The encoder's list (nil for a struct whose JSON names follow
		// rules of their own): such a struct decodes the general way.
		for _, f := range jsonFields(t) {
			p.fields[f.name] = fieldPlan{index: f.index, p: planOf(t.Field(f.index).Type)}
		}
	case reflect.Slice:
		p.elem = planOf(t.Elem())
	}
	return p
}

var letterPlan = sync.OnceValue(func() *plan { return planOf(reflect.TypeFor[Letter]()) })

// decodeQuick fills l from bytes quickCheck has accepted — RFC 8785 form, of
// the schema's shape — without encoding/json's second validating pass and
// reflection per token: a sixth of a submission's CPU under load went to
// json.Unmarshal. It gives what json.Unmarshal gives; false where it would
// not be sure to (a kind the letter's types do not use, a number in a text
// field), and the caller then decodes the general way, which gives the
// error. FuzzDecodeQuick holds it to json.Unmarshal.
func decodeQuick(raw []byte, l *Letter) bool {
	d := fastDecoder{raw: raw}
	return d.value(letterPlan(), reflect.ValueOf(l).Elem()) && d.i == len(raw)
}

type fastDecoder struct {
	raw []byte
	i   int
	buf []byte
}

func (d *fastDecoder) value(p *plan, v reflect.Value) bool {
	if d.i >= len(d.raw) {
		return false
	}
	c := d.raw[d.i]
	if c == 'n' {
		// null leaves a value as it is, and these are fresh, zero values.
		d.i += len("null")
		return true
	}
	switch p.kind {
	case reflect.Struct:
		return c == '{' && d.object(p, v)
	case reflect.Slice:
		return c == '[' && d.array(p, v)
	case reflect.String:
		if c != '"' {
			return false
		}
		s, ok := d.str()
		if ok {
			v.SetString(s)
		}
		return ok
	case reflect.Int, reflect.Int64, reflect.Int32:
		if c != '-' && (c < '0' || c > '9') {
			return false
		}
		j := d.i + 1
		for j < len(d.raw) && d.raw[j] >= '0' && d.raw[j] <= '9' {
			j++
		}
		n, err := strconv.ParseInt(string(d.raw[d.i:j]), 10, 64)
		if err != nil || v.OverflowInt(n) {
			return false
		}
		v.SetInt(n)
		d.i = j
		return true
	case reflect.Bool:
		switch {
		case c == 't':
			v.SetBool(true)
			d.i += len("true")
		case c == 'f':
			d.i += len("false")
		default:
			return false
		}
		return true
	}
	return false
}

// object fills a struct; quickCheck has ruled out unknown and repeated
// names and names with escapes.
func (d *fastDecoder) object(p *plan, v reflect.Value) bool {
	d.i++ // '{'
	if d.raw[d.i] == '}' {
		d.i++
		return true
	}
	for {
		start := d.i + 1
		end := start
		for end < len(d.raw) && d.raw[end] != '"' {
			end++
		}
		f, ok := p.fields[string(d.raw[start:end])]
		if !ok || end+1 >= len(d.raw) {
			return false
		}
		d.i = end + 2 // '"' ':'
		if !d.value(f.p, v.Field(f.index)) || d.i >= len(d.raw) {
			return false
		}
		switch d.raw[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return true
		default:
			return false
		}
	}
}

// array fills a slice: empty but not nil for [], as json.Unmarshal does.
func (d *fastDecoder) array(p *plan, v reflect.Value) bool {
	d.i++ // '['
	s := reflect.MakeSlice(p.typ, 0, 4)
	if d.raw[d.i] == ']' {
		d.i++
		v.Set(s)
		return true
	}
	for {
		e := reflect.New(p.elem.typ).Elem()
		if !d.value(p.elem, e) || d.i >= len(d.raw) {
			return false
		}
		s = reflect.Append(s, e)
		switch d.raw[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			v.Set(s)
			return true
		default:
			return false
		}
	}
}

// str reads a string in RFC 8785 form: valid UTF-8, and only the escapes
// quickCheck lets through (\" \\ \b \t \n \f \r and \u00xx).
func (d *fastDecoder) str() (string, bool) {
	start := d.i + 1
	j := start
	for j < len(d.raw) && d.raw[j] != '"' && d.raw[j] != '\\' {
		j++
	}
	if j < len(d.raw) && d.raw[j] == '"' {
		d.i = j + 1
		return string(d.raw[start:j]), true
	}
	b := append(d.buf[:0], d.raw[start:j]...)
	for j < len(d.raw) {
		c := d.raw[j]
		switch {
		case c == '"':
			d.i, d.buf = j+1, b
			return string(b), true
		case c != '\\':
			b = append(b, c)
			j++
			continue
		case j+1 >= len(d.raw):
			return "", false
		}
		switch e := d.raw[j+1]; e {
		case '"', '\\':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 't':
			b = append(b, '\t')
		case 'n':
			b = append(b, '\n')
		case 'f':
			b = append(b, '\f')
		case 'r':
			b = append(b, '\r')
		case 'u':
			if j+5 >= len(d.raw) || d.raw[j+2] != '0' || d.raw[j+3] != '0' || !lowerHex(d.raw[j+4]) || !lowerHex(d.raw[j+5]) {
				return "", false
			}
			b = utf8.AppendRune(b, rune(hexVal(d.raw[j+4])<<4|hexVal(d.raw[j+5])))
			j += 4
		default:
			return "", false
		}
		j += 2
	}
	return "", false
}
