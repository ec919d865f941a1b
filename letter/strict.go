package letter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
)

// shape is the JSON shape of a Go type as encoding/json writes it: the
// exact member names of an object (fields), or the element shape of an
// array (elem), or neither: a scalar.
type shape struct {
	fields map[string]*shape
	elem   *shape
}

func (s *shape) scalar() bool { return s.fields == nil && s.elem == nil }

var (
	letterShapeOnce sync.Once
	letterShape     *shape
)

func shapeOf(t reflect.Type) *shape {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		s := &shape{fields: map[string]*shape{}}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			s.fields[name] = shapeOf(f.Type)
		}
		return s
	case reflect.Slice, reflect.Array:
		return &shape{elem: shapeOf(t.Elem())}
	}
	return &shape{}
}

// checkShape reads one JSON value from dec and checks it against s: every
// object member name must be one the schema names, byte for byte (Go's
// decoder would otherwise match names case-insensitively, with Unicode
// folding, so that "purpoſe" or "IDNUMBER" would fill "purpose" or
// "idNumber"), and no name may appear twice in an object.
func checkShape(dec *json.Decoder, s *shape, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		if s.fields == nil {
			return fmt.Errorf("%s: an object where the schema has none", orRoot(path))
		}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key := kt.(string)
			child, ok := s.fields[key]
			if !ok {
				return fmt.Errorf("%s: unknown field %q", orRoot(path), key)
			}
			if seen[key] {
				return fmt.Errorf("%s: field %q appears twice", orRoot(path), key)
			}
			seen[key] = true
			if err := checkShape(dec, child, path+"."+key); err != nil {
				return err
			}
		}
		_, err := dec.Token() // '}'
		return err
	case json.Delim('['):
		if s.elem == nil {
			return fmt.Errorf("%s: an array where the schema has none", orRoot(path))
		}
		for i := 0; dec.More(); i++ {
			if err := checkShape(dec, s.elem, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err := dec.Token() // ']'
		return err
	}
	if !s.scalar() {
		return fmt.Errorf("%s: a value where the schema has an object or an array", orRoot(path))
	}
	return nil
}

func orRoot(path string) string {
	if path == "" {
		return "letter"
	}
	return "letter" + path
}

// schemaShape is the shape of the Letter schema.
func schemaShape() *shape {
	letterShapeOnce.Do(func() { letterShape = shapeOf(reflect.TypeFor[Letter]()) })
	return letterShape
}

// checkSchema checks raw's shape against the Letter schema.
func checkSchema(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := checkShape(dec, schemaShape(), ""); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the letter")
	}
	return nil
}
