package scan_test

import (
	"testing"

	"github.com/chengnuo/chengnuo/internal/pdftest"
	"github.com/chengnuo/chengnuo/scan"
)

// BenchmarkQRCodes reads the QR code of a letter's page as a scanner gives
// it (PNG at 200 dpi, a 1654×2339 page) and of the printed PDF (its page
// images): the cost a paper submission adds.
func BenchmarkQRCodes(b *testing.B) {
	pdf, want := printed(b)
	for _, c := range []struct {
		name, media string
		data        []byte
	}{
		{"png-200dpi", "image/png", pdftest.Page(b, pdf, 1, 200)},
		{"pdf", "application/pdf", pdf},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				codes, err := scan.QRCodes(c.media, c.data)
				if err != nil || len(codes) != 1 || codes[0] != want {
					b.Fatalf("%q %v", codes, err)
				}
			}
		})
	}
}
