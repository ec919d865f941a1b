package scan_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/tiff"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/document"
	"github.com/chengnuo/chengnuo/internal/pdftest"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/scan"
)

const base = "https://chengnuo.example.gov.cn"

// printed is a letter as the gateway prints it, and the address its QR
// codes hold.
func printed(t testing.TB) ([]byte, string) {
	t.Helper()
	it := &chengnuo.Item{Code: "SC-001", Version: 1, Name: "测试事项", Purpose: "p", LegalBasis: "b", Content: "c", EligibleApplicants: "e",
		CommitmentMethod: "m", VerificationPower: "v", Liability: "l", Verification: chengnuo.VerificationRule{Exempt: true}}
	l, c, err := letter.New(it, letter.Applicant{Name: "张三", IDType: letter.IDResident, IDNumber: "11010519491231002X", Contact: "138"},
		letter.Organ{MSPID: "MarketMSP", Name: "市市场监管局", ContactName: "李四", ContactPhone: "0451"}, "〔2026〕虎市监承第000001号",
		strings.Repeat("ab", 32), "2026-05-01T08:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	d := letter.Digest(c)
	p := &chengnuo.PrintableLetter{Letter: l, ID: chengnuo.CommitmentID(d), Digest: d, OrgName: "市市场监管局", Draft: true}
	pdf, err := document.LetterPDF(p, base)
	if err != nil {
		t.Fatal(err)
	}
	return pdf, document.VerifyURL(base, p.ID)
}

func reencode(t *testing.T, pngBytes []byte, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := enc(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// scannerPDF is a PDF as a scanner writes it: one JPEG image a page.
func scannerPDF(t *testing.T, jpegs ...[]byte) []byte {
	t.Helper()
	f := fpdf.New("P", "mm", "A4", "")
	for i, j := range jpegs {
		f.AddPage()
		name := string(rune('a' + i))
		f.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "JPG"}, bytes.NewReader(j))
		f.ImageOptions(name, 0, 0, 210, 297, false, fpdf.ImageOptions{ImageType: "JPG"}, 0, "")
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The QR code of a printed letter is read from its scan, whatever form the
// scanner gave it: PNG, JPEG, TIFF, a scanner's PDF of JPEG pages, or the
// printed PDF itself.
func TestQRCodesOfAScan(t *testing.T) {
	pdf, want := printed(t)
	page := pdftest.Page(t, pdf, 1, 200)
	gray := pdftest.Page(t, pdf, 2, 150)
	jpg := reencode(t, page, func(b *bytes.Buffer, img image.Image) error { return jpeg.Encode(b, img, &jpeg.Options{Quality: 70}) })
	tif := reencode(t, gray, func(b *bytes.Buffer, img image.Image) error {
		return tiff.Encode(b, img, &tiff.Options{Compression: tiff.Deflate})
	})
	blank := reencode(t, page, func(b *bytes.Buffer, img image.Image) error { return png.Encode(b, image.NewGray(img.Bounds())) })
	for _, c := range []struct {
		name, media string
		data        []byte
		found       bool
	}{
		{"png", "image/png", page, true},
		{"jpeg", "image/jpeg", jpg, true},
		{"tiff", "image/tiff", tif, true},
		{"scanner's pdf", "application/pdf", scannerPDF(t, reencode(t, blank, func(b *bytes.Buffer, img image.Image) error { return jpeg.Encode(b, img, nil) }), jpg), true},
		{"printed pdf", "application/pdf", pdf, true},
		{"blank page", "image/png", blank, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			codes, err := scan.QRCodes(c.media, c.data)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(codes) == 1 && codes[0] == want; got != c.found {
				t.Fatalf("codes %q, want %s: %v", codes, want, c.found)
			}
		})
	}
}

// pngHeader is a PNG whose header claims w×h pixels (and holds none).
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit gray
	b := []byte("\x89PNG\r\n\x1a\n")
	b = binary.BigEndian.AppendUint32(b, 13)
	chunk := append([]byte("IHDR"), ihdr...)
	b = append(b, chunk...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
	return b
}

// What cannot be read is an EINVALID error, and nothing large is allocated
// for a file that only claims to be large.
func TestBadScansAreRefused(t *testing.T) {
	huge := []byte("%PDF-1.4\n1 0 obj <</Type/XObject/Subtype/Image/Width 100000/Height 100000/BitsPerComponent 8/ColorSpace/DeviceGray/Filter/FlateDecode/Length 3>> stream\nabc\nendstream endobj\n")
	for _, c := range []struct{ name, media string }{{"text/plain", "text/plain"}, {"", ""}} {
		if _, err := scan.QRCodes(c.media, []byte("x")); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Errorf("media type %q: %v", c.name, err)
		}
	}
	for name, c := range map[string]struct {
		media string
		data  []byte
	}{
		"not a png":        {"image/png", []byte("GIF89a")},
		"not a jpeg":       {"image/jpeg", []byte{0xff, 0xd8, 0xff, 0x00}},
		"not a tiff":       {"image/tiff", []byte("II*\x00")},
		"not a pdf":        {"application/pdf", []byte("a scanned letter")},
		"a huge png":       {"image/png", pngHeader(200000, 200000)},
		"a huge pdf image": {"application/pdf", huge},
	} {
		if _, err := scan.QRCodes(c.media, c.data); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A PDF whose images cannot be decoded has no codes, and no error.
	if codes, err := scan.QRCodes("application/pdf", []byte("%PDF-1.4\n1 0 obj <</Subtype/Image/Width 2/Height 2/Filter/JBIG2Decode>> stream\nxx\nendstream\n")); err != nil || len(codes) != 0 {
		t.Fatalf("an undecodable image: %q %v", codes, err)
	}
}

// FuzzQRCodes: whatever a scan holds, QRCodes returns codes or an error;
// it never panics nor hangs.
func FuzzQRCodes(f *testing.F) {
	pdf, _ := printed(f)
	f.Add("application/pdf", pdf[:min(len(pdf), 4000)])
	f.Add("application/pdf", []byte("%PDF-1.4\n<</Subtype/Image/Width 8/Height 8/BitsPerComponent 1/DecodeParms<</Predictor 15>>/Filter/FlateDecode>> stream\nx\x9c\x03\x00\x00\x00\x00\x01\nendstream"))
	f.Add("application/pdf", []byte("%PDF-1.4\n<< <</Subtype/Image>> >>stream\n"))
	f.Add("image/png", pngHeader(4, 4))
	f.Fuzz(func(t *testing.T, media string, data []byte) {
		codes, err := scan.QRCodes(media, data)
		if err != nil && chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Fatalf("an error that is not EINVALID: %v", err)
		}
		if err != nil && codes != nil {
			t.Fatal("codes with an error")
		}
	})
}
