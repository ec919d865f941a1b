package document

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzWrap: breaking a text into lines keeps every character, in order,
// and no line is wider than the width unless it is one character (or one
// that ends with a hanging punctuation mark).
func FuzzWrap(f *testing.F) {
	d, err := newDoc("t", "a", "s", "https://x/verify?id=CN1", time.Unix(0, 0))
	if err != nil {
		f.Fatal(err)
	}
	d.font(11)
	for _, s := range []string{"", "证明事项告知承诺书", strings.Repeat("依据第三十一条。", 40), "word word " + strings.Repeat("x", 300),
		"a\nb\n\n c", "😀〓𠮷", "，，，，", strings.Repeat("中", 200) + "。"} {
		f.Add(s, 60.0)
	}
	f.Fuzz(func(t *testing.T, text string, w float64) {
		if !utf8.ValidString(text) || w < 5 || w > 400 || len(text) > 4000 {
			return
		}
		lines := d.wrap(text, w)
		want := strings.ReplaceAll(settable(text), "\n", "")
		got := strings.Join(lines, "")
		// A line breaks at a space between Latin words and drops it.
		if strings.ReplaceAll(got, " ", "") != strings.ReplaceAll(want, " ", "") {
			t.Fatalf("characters lost or moved:\n got %q\nwant %q", got, want)
		}
		for _, l := range lines {
			rs := []rune(l)
			if len(rs) > 1 && d.width(string(rs[:len(rs)-1])) > w+1e-9 {
				t.Fatalf("line %q is %.1f mm wide, more than %.1f", l, d.width(l), w)
			}
		}
	})
}
