package document_test

import (
	"testing"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/document"
)

// BenchmarkLetterPDF renders a letter (two copies) as a clerk prints it,
// and with a 2,000-character legal basis; BenchmarkReceiptPDF a receipt.
// Figures: time and allocations per document, and its size (pdf-bytes:
// the fonts are subsetted, so a document carries a few dozen KB of them).
// BenchmarkQRCodeOnly is the baseline of the same run: the QR code alone.
func BenchmarkLetterPDF(b *testing.B) {
	for _, n := range []int{20, 2000} {
		p := printable(b, n, true)
		b.Run(map[int]string{20: "short", 2000: "legal-basis-2000"}[n], func(b *testing.B) {
			var size int
			for b.Loop() {
				pdf, err := document.LetterPDF(p, base)
				if err != nil {
					b.Fatal(err)
				}
				size = len(pdf)
			}
			b.ReportMetric(float64(size), "pdf-bytes")
		})
	}
}

func BenchmarkReceiptPDF(b *testing.B) {
	r := &chengnuo.ReceiptView{CommitmentID: "CNc50dc6a6ad210549704991ca", LetterDigest: "c5", Org: "MarketMSP", OrgName: "市市场监管局",
		ItemCode: "SC-001", ItemVersion: 1, ItemName: "无犯罪记录证明", SignedBy: chengnuo.SignedPaper, GenesisHash: "9a"}
	var size int
	for b.Loop() {
		pdf, err := document.ReceiptPDF(r, base)
		if err != nil {
			b.Fatal(err)
		}
		size = len(pdf)
	}
	b.ReportMetric(float64(size), "pdf-bytes")
}

func BenchmarkQRCodeOnly(b *testing.B) {
	r := &chengnuo.ReceiptView{CommitmentID: "CNc50dc6a6ad210549704991ca"}
	for b.Loop() {
		if _, err := document.ReceiptHTML(r, base); err != nil {
			b.Fatal(err)
		}
	}
}
