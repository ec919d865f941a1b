package console

import (
	"errors"
	"html/template"
	"io"
	"testing"
)

// Every page's template set is complete and escapes cleanly: html/template
// finds a missing template or an unsafe context only when a page is first
// rendered, so each is rendered here (with no data: a failure to read a
// field of nothing is not what this looks for).
func TestEveryPageTemplateEscapes(t *testing.T) {
	c := New(Options{})
	if len(c.pages) < 20 {
		t.Fatalf("%d pages parsed", len(c.pages))
	}
	for name, tp := range c.pages {
		err := tp.ExecuteTemplate(io.Discard, "layout.html", &view{})
		var te *template.Error
		if errors.As(err, &te) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
