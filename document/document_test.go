package document_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/document"
	"github.com/chengnuo/chengnuo/internal/pdftest"
	"github.com/chengnuo/chengnuo/letter"
)

// printable is a letter whose legal basis is n characters long.
func printable(t testing.TB, n int, draft bool) *chengnuo.PrintableLetter {
	t.Helper()
	var basis strings.Builder
	for i := 1; basis.Len() < 4*n; i++ {
		fmt.Fprintf(&basis, "第%d条：申请人应当如实提交有关材料，并对其真实性负责（see Art. %d, “quoted”）。", i, i)
	}
	it := &chengnuo.Item{Code: "SC-001", Version: 2, Name: "无犯罪记录证明", Purpose: "办理营业执照", LegalBasis: string([]rune(basis.String())[:n]),
		Content: "申请人无犯罪记录", EligibleApplicants: "自然人", CommitmentMethod: "书面承诺，本人签名", VerificationPower: "行政机关有权核查",
		Liability: "记入信用记录", Disclosure: chengnuo.Disclosure{Public: true, Scope: "市政务服务网", PeriodDays: 30},
		Verification: chengnuo.VerificationRule{Method: "ONLINE", Department: "PoliceMSP", TimeLimitDays: 5}}
	l, c, err := letter.New(it, letter.Applicant{Name: "张三丰", IDType: letter.IDResident, IDNumber: "11010519491231002X", Contact: "13800000000"},
		letter.Organ{MSPID: "MarketMSP", Name: "市市场监管局", ContactName: "李四", ContactPhone: "0451-1234567"},
		"〔2026〕虎市监承第000123号", strings.Repeat("ab", 32), "2026-12-07T10:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	d := letter.Digest(c)
	p := &chengnuo.PrintableLetter{Letter: l, ID: chengnuo.CommitmentID(d), Digest: d, OrgName: "市市场监管局", VerifierName: "市公安局", Draft: draft}
	if !draft {
		p.SignedBy, p.AnchoredAt = chengnuo.SignedSM2, time.Date(2026, 12, 7, 10, 5, 0, 0, time.UTC)
	}
	return p
}

const base = "https://chengnuo.example.gov.cn"

// The letter reads as the reference template, part for part, in both
// copies; a long legal basis flows onto further pages whole; every page
// carries the number, the digest, its page of the copy and a QR code.
func TestLetterIsTheReferenceTemplate(t *testing.T) {
	pagesOf := map[int]int{}
	for _, n := range []int{20, 2000, 4000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			p := printable(t, n, true)
			pdf, err := document.LetterPDF(p, base)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := document.LetterPDF(p, base)
			if !bytes.Equal(pdf, again) {
				t.Fatal("the same letter gave other bytes")
			}
			info := pdftest.Info(t, pdf)
			var pages int
			fmt.Sscan(info["Pages"], &pages)
			pagesOf[n] = pages
			if pages%2 != 0 || pages < 2 || info["Title"] != document.Title+" "+p.Letter.Number || info["Author"] != "市市场监管局" {
				t.Fatalf("info %v", info)
			}
			text := pdftest.Text(t, pdf)
			want := []string{document.Title, p.Letter.Number, document.BasicInfo, "申请人：张三丰", "证件类型：居民身份证", "证号：11010519491231002X",
				"联系方式：13800000000", "行政机关：市市场监管局", "联系人姓名：李四", "联系方式：0451-1234567", document.NoticeSection}
			texts := []string{"无犯罪记录证明（事项编码 SC-001，第 2 版）", "办理营业执照", p.Letter.Notice.LegalBasis, "申请人无犯罪记录", "自然人",
				"书面承诺，本人签名", letter.Effect, "行政机关有权核查", "记入信用记录", "本承诺书将予以公开，公开范围：市政务服务网，公开期限：自存证之日起 30 日。"}
			for i, h := range document.NoticeHeadings {
				want = append(want, h, texts[i])
				if i == 7 {
					want = append(want, "核查方式：在线核查；核查部门：市公安局；核查时限：5 日。")
				}
			}
			want = append(want, document.CommitmentSection, document.CommitmentPreamble)
			for i, s := range letter.Statements {
				want = append(want, document.CommitmentNumbers[i]+s)
			}
			want = append(want, "申请人：", "行政机关：市市场监管局", "（签字盖章）", "（盖章）", "年月日", "年月日", document.Closing)
			pdftest.InOrder(t, "the letter", pdftest.Body(text), append(want, want...))
			for i, page := range text {
				c := strings.ReplaceAll(document.Copies[i*2/pages], "　", "")
				joined := strings.Join(strings.Fields(page), "")
				for _, w := range []string{"编号：" + p.Letter.Number, "承诺书摘要（SM3）：" + document.ShortDigest(p.Digest), "回执编号：" + p.ID,
					fmt.Sprintf("%s第%d页共%d页", c, i%(pages/2)+1, pages/2)} {
					if !strings.Contains(joined, w) {
						t.Fatalf("page %d lacks %q: %s", i+1, w, joined)
					}
				}
				if codes := pdftest.QRCodes(t, pdftest.Page(t, pdf, i+1, 150)); len(codes) != 1 || codes[0] != base+"/verify?id="+p.ID {
					t.Fatalf("page %d's QR code: %q", i+1, codes)
				}
			}
			// The fonts are embedded, and subsetted: the letter carries a
			// few dozen kilobytes of their 4.8 MB.
			if len(pdf) > 200<<10 {
				t.Fatalf("the letter is %d bytes: are the fonts subsetted?", len(pdf))
			}
		})
	}
	if !(pagesOf[20] < pagesOf[2000] && pagesOf[2000] < pagesOf[4000]) {
		t.Fatalf("pages by length of the legal basis: %v", pagesOf)
	}
	// A stored letter says how it was signed.
	pdf, err := document.LetterPDF(printable(t, 20, false), base)
	if err != nil {
		t.Fatal(err)
	}
	if body := pdftest.Body(pdftest.Text(t, pdf)); !strings.Contains(body, "签署方式：SM2数字证书签名；存证时间：2026-12-0718:05:00（北京时间）") {
		t.Fatalf("a signed letter's footnote: %s", body)
	}
}

// Hostile text in a letter's fields is printed as text: no field breaks the
// layout or the PDF.
func TestLetterPrintsHostileText(t *testing.T) {
	p := printable(t, 20, true)
	p.Letter.Applicant.Name = "(\\) <script>) Tj ET BT 😀 \u202e名"
	p.Letter.Notice.Purpose = strings.Repeat("W", 300) + " " + strings.Repeat("ABCDEF0123456789", 30)
	pdf, err := document.LetterPDF(p, base)
	if err != nil {
		t.Fatal(err)
	}
	body := pdftest.Body(pdftest.Text(t, pdf))
	if !strings.Contains(body, strings.Repeat("ABCDEF0123456789", 30)) || !strings.Contains(body, "<script>)TjETBT〓") {
		t.Fatalf("hostile text lost: %.400s", body)
	}
}

func TestReceipt(t *testing.T) {
	r := &chengnuo.ReceiptView{CommitmentID: "CNc50dc6a6ad210549704991ca", LetterDigest: strings.Repeat("c5", 32), ScanDigest: strings.Repeat("7e", 32),
		Number: "〔2026〕虎市监承第000123号", Applicant: "张*", Org: "MarketMSP", OrgName: "市市场监管局", ItemCode: "SC-001", ItemVersion: 2,
		ItemName: "无犯罪记录证明", SignedBy: chengnuo.SignedPaper, AnchoredAt: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), BlockNumber: 42,
		TxID: strings.Repeat("0f", 32), GenesisHash: strings.Repeat("9a", 32), Verdict: chengnuo.Verdict{Text: "有效。"}}
	pdf, err := document.ReceiptPDF(r, base)
	if err != nil {
		t.Fatal(err)
	}
	text := pdftest.Text(t, pdf)
	if len(text) != 1 {
		t.Fatalf("the receipt has %d pages", len(text))
	}
	pdftest.InOrder(t, "the receipt", strings.Join(strings.Fields(text[0]), ""), []string{document.ReceiptTitle,
		"受理部门", "市市场监管局", "证明事项", "无犯罪记录证明（SC-001第2版）", "承诺书编号", r.Number, "申请人", "张*", "签署方式", "纸质签名",
		"存证时间", "2026-12-0718:00:00（北京时间）", "回执编号", r.CommitmentID, "承诺书摘要（SM3）", r.LetterDigest, "扫描件摘要（SM3）", r.ScanDigest,
		"区块号", "42", "交易编号", r.TxID, "账本创世区块哈希", r.GenesisHash, "当前状态", "有效。", "chengnuoproofverify"})
	if codes := pdftest.QRCodes(t, pdftest.Page(t, pdf, 1, 150)); len(codes) != 2 || codes[0] != base+"/verify?id="+r.CommitmentID {
		t.Fatalf("QR codes %q", codes)
	}
	// The public receipt: no number, no applicant; an unknown genesis hash says so.
	r.Number, r.Applicant, r.GenesisHash = "", "", ""
	html, err := document.ReceiptHTML(r, base)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{document.ReceiptTitle, "data:image/png;base64,", "本网关暂未读到", base + "/verify?id=" + r.CommitmentID} {
		if !strings.Contains(string(html), want) {
			t.Fatalf("the HTML receipt lacks %q", want)
		}
	}
	if strings.Contains(string(html), "承诺书编号") || strings.Contains(string(html), ">申请人<") {
		t.Fatal("the public receipt names the number or the applicant")
	}
	// Its texts are escaped.
	r.ItemName = `<img src=x onerror=alert(1)>`
	html, _ = document.ReceiptHTML(r, base)
	if strings.Contains(string(html), "<img src=x") {
		t.Fatal("the HTML receipt does not escape")
	}
}
