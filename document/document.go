// Package document renders the documents the policy prescribes: the
// commitment letter (告知承诺书) laid out as the reference template of the
// policy's attachment, in two copies, and the receipt (回执 / 存证凭证) a
// department gives for an anchored letter. Both are A4 PDFs, written in
// pure Go (codeberg.org/go-pdf/fpdf) with an embedded, subsetted CJK font
// (font/README.md says which, and its license); their text is extractable
// and they carry title and author metadata. The receipt is HTML too.
//
// Every page carries a QR code to the letter's public page
// (<gateway>/verify?id=…). The output is a function of its input: the
// same letter gives the same bytes (the documents' dates are the letter's
// own), so a document can be cached and compared.
package document

import (
	"bytes"
	_ "embed"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/chengnuo/chengnuo"
)

// The embedded fonts (font/README.md): Droid Sans Fallback for Chinese,
// DejaVu Sans for the Latin letters, digits and punctuation it lacks.
var (
	//go:embed font/DroidSansFallbackFull.ttf
	cjkFont []byte
	//go:embed font/DejaVuSans.ttf
	latinFont []byte
)

// The fonts' family names inside the documents.
const (
	cjkFamily   = "DroidSansFallback"
	latinFamily = "DejaVuSans"
)

// MediaType is the documents' media type.
const MediaType = "application/pdf"

// VerifyURL is the public page of commitment id on the gateway at base
// (e.g. https://chengnuo.example.gov.cn): what the documents' QR codes
// encode.
func VerifyURL(base, id string) string {
	return strings.TrimRight(base, "/") + "/verify?id=" + url.QueryEscape(id)
}

// imageOptions are the QR codes' (PNG images).
var imageOptions = fpdf.ImageOptions{ImageType: "PNG"}

// qrPNG is a QR code of s (error correction level M: a printed code
// survives a stain or a fold), as PNG.
func qrPNG(s string) ([]byte, error) {
	return qrcode.Encode(s, qrcode.Medium, 320)
}

// FileName is a document's file name: its kind and the letters and digits
// of its id (an id from a request never makes a path or a header of its
// own).
func FileName(kind, id string) string {
	return kind + "-" + strings.Map(func(r rune) rune {
		if r < 128 && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return -1
	}, id) + ".pdf"
}

// ShortDigest is a digest in the short form the footer prints: its first
// and last eight hex digits.
func ShortDigest(d string) string {
	if len(d) <= 16 {
		return d
	}
	return d[:8] + "…" + d[len(d)-8:]
}

// page geometry, in millimetres.
const (
	pageW, pageH = 210.0, 297.0
	marginX      = 22.0
	marginTop    = 20.0
	footerH      = 34.0 // the bottom margin: the footer and its QR code
	qrSize       = 24.0
	bodyW        = pageW - 2*marginX
)

// doc is a PDF being written, with the documents' font, metadata and
// footer.
type doc struct {
	*fpdf.Fpdf
	qr      string // image name of the QR code
	footer  func(page int)
	created time.Time
	size    float64                // the font size, in points
	widths  map[[2]float64]float64 // (rune, size) -> width in mm
}

// newDoc starts an A4 document; at is its creation date (the letter's own
// time, so the bytes are a function of the letter).
func newDoc(title, author, subject, verifyURL string, at time.Time) (*doc, error) {
	title, author, subject = settable(title), settable(author), settable(subject)
	f := fpdf.New("P", "mm", "A4", "")
	f.SetMargins(marginX, marginTop, marginX)
	f.SetAutoPageBreak(true, footerH)
	f.SetTitle(title, true)
	f.SetAuthor(author, true)
	f.SetSubject(subject, true)
	f.SetCreator("chengnuo", true)
	f.SetProducer("chengnuo (codeberg.org/go-pdf/fpdf)", true)
	f.SetLang("zh-CN")
	f.SetCreationDate(at)
	f.SetModificationDate(at)
	f.SetCatalogSort(true)
	f.AddUTF8FontFromBytes(cjkFamily, "", cjkFont)
	f.AddUTF8FontFromBytes(latinFamily, "", latinFont)
	f.SetCellMargin(0)
	png, err := qrPNG(verifyURL)
	if err != nil {
		return nil, fmt.Errorf("QR code: %w", err)
	}
	f.RegisterImageOptionsReader("qr", imageOptions, bytes.NewReader(png))
	d := &doc{Fpdf: f, qr: "qr", created: at, widths: map[[2]float64]float64{}}
	f.SetFooterFunc(func() {
		if d.footer != nil {
			d.footer(f.PageNo())
		}
	})
	return d, f.Error()
}

// font sets the font size in points.
func (d *doc) font(size float64) {
	d.size = size
	d.SetFont(cjkFamily, "", size)
}

// drawQR draws the QR code with its caption at the bottom right of the
// page.
func (d *doc) drawQR() {
	x, y := pageW-marginX-qrSize, pageH-footerH+5
	d.ImageOptions(d.qr, x, y, qrSize, qrSize, false, imageOptions, 0, "")
	d.font(7)
	d.SetXY(x-4, y+qrSize)
	d.put(qrSize+8, 3.5, "扫码核验", "C")
}

// renders bounds the documents written at once. The PDF writer parses the
// fonts for every document (some 50 MB allocated, 0.1 s, for a letter:
// make bench), so a burst of prints waits its turn instead of holding that
// much memory per request.
var renders = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

// rendering takes a turn to write a document; done gives it back and turns a
// panic of the PDF writer into an error: a document that cannot be written
// is an internal error, never a crash.
func rendering() { renders <- struct{}{} }

func done(err *error) {
	<-renders
	if r := recover(); r != nil {
		*err = fmt.Errorf("document: the PDF writer failed: %v", r)
	}
}

// output writes the document.
func (d *doc) output() ([]byte, error) {
	var buf bytes.Buffer
	if err := d.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// chinaDate is a date as the documents print it: 2026年12月7日.
func chinaDate(t time.Time) string {
	t = t.In(chengnuo.China)
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// chinaTime is a time as the documents print it, China Standard Time.
func chinaTime(t time.Time) string {
	return t.In(chengnuo.China).Format("2006-01-02 15:04:05") + "（北京时间）"
}
