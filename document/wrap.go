package document

import (
	"strings"
	"unicode"
)

// noStart are the characters a line may not begin with (the closing
// punctuation of Chinese typesetting, 避头): such a character hangs at the
// end of the line before instead.
const noStart = "，。、；：？！）》」』】〕〉”’…—,.;:?!)]}%"

// missingGlyph stands for a character the documents cannot set: one outside
// the Basic Multilingual Plane (an emoji, a rare character of CJK
// Extension B), which the PDF writer's fonts do not reach. 〓 (the geta
// mark) is what Chinese typesetting prints for a character it lacks.
const missingGlyph = '〓'

// settable replaces the characters the documents cannot set, and control
// characters other than a newline (which letters refuse anyway) by spaces.
func settable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r > 0xFFFF:
			return missingGlyph
		case r != '\n' && (r < 0x20 || r >= 0x7f && r < 0xa0):
			return ' '
		}
		return r
	}, s)
}

// wrap breaks text into lines no wider than w (millimetres) in the current
// font. Every character of text is kept: a line breaks between any two
// Chinese characters, and between words of Latin text where it can (a
// word longer than a line, a digest say, breaks anywhere). Explicit
// newlines are kept. (fpdf's MultiCell treats a Chinese character as a
// space and drops the one it breaks at, so the documents never use it.)
func (d *doc) wrap(text string, w float64) []string {
	var lines []string
	for _, para := range strings.Split(settable(text), "\n") {
		lines = append(lines, d.wrapLine([]rune(para), w)...)
	}
	return lines
}

func (d *doc) wrapLine(rs []rune, w float64) []string {
	if len(rs) == 0 {
		return []string{""}
	}
	var lines []string
	start, width, space := 0, 0.0, -1 // space: the last breakable space of the line
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		cw := d.runeWidth(r)
		if width+cw <= w || i == start {
			if r == ' ' {
				space = i
			}
			width += cw
			continue
		}
		// r does not fit.
		switch {
		case strings.ContainsRune(noStart, r):
			// Hanging punctuation: r ends this line.
			lines = append(lines, string(rs[start:i+1]))
			start, width, space = i+1, 0, -1
		case r == ' ':
			lines = append(lines, string(rs[start:i]))
			start, width, space = i+1, 0, -1
		case isLatin(r) && i > start && isLatin(rs[i-1]) && space > start:
			// Inside a Latin word: break at the last space.
			lines = append(lines, string(rs[start:space]))
			start, space = space+1, -1
			width = d.width(string(rs[start:i])) + cw
		default:
			lines = append(lines, string(rs[start:i]))
			start, width, space = i, cw, -1
		}
	}
	if start < len(rs) {
		lines = append(lines, string(rs[start:]))
	}
	return lines
}

func isLatin(r rune) bool { return r < 0x2E80 && !unicode.IsSpace(r) }

// familyOf is the font a character is set in.
func familyOf(r rune) string {
	if r < 0x2E80 {
		return latinFamily
	}
	return cjkFamily
}

// runeWidth is a character's width in mm at the current size.
func (d *doc) runeWidth(r rune) float64 {
	k := [2]float64{float64(r), d.size}
	if w, ok := d.widths[k]; ok {
		return w
	}
	d.SetFont(familyOf(r), "", d.size)
	w := d.GetStringWidth(string(r))
	d.SetFont(cjkFamily, "", d.size)
	d.widths[k] = w
	return w
}

// width is a string's width in mm at the current size.
func (d *doc) width(s string) float64 {
	w := 0.0
	for _, r := range s {
		w += d.runeWidth(r)
	}
	return w
}

// put writes s on one line at the current position, aligned (L, C or R)
// in width w, each run of characters in its font; the position moves to
// the right of the width.
func (d *doc) put(w, h float64, s, align string) {
	s = settable(s)
	x0, y := d.GetX(), d.GetY()
	x := x0
	switch align {
	case "C":
		x += (w - d.width(s)) / 2
	case "R":
		x += w - d.width(s)
	}
	rs := []rune(settable(s))
	for i := 0; i < len(rs); {
		fam := familyOf(rs[i])
		j := i + 1
		for j < len(rs) && familyOf(rs[j]) == fam {
			j++
		}
		run := string(rs[i:j])
		rw := d.width(run)
		d.SetFont(fam, "", d.size)
		d.SetXY(x, y)
		d.CellFormat(rw, h, run, "", 0, "L", false, 0, "")
		x += rw
		i = j
	}
	d.SetFont(cjkFamily, "", d.size)
	d.SetXY(x0+w, y)
}

// text writes text at x in lines of width w and height h, starting a new
// page before a line that would not fit.
func (d *doc) text(x, w, h float64, text, align string) {
	for _, line := range d.wrap(text, w) {
		if d.GetY()+h > pageH-footerH {
			d.AddPage()
		}
		d.SetX(x)
		d.put(w, h, line, align)
		d.Ln(h)
	}
}
