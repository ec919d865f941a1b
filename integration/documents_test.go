package integration

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/document"
	"github.com/chengnuo/chengnuo/internal/pdftest"
	"github.com/chengnuo/chengnuo/sm"
)

// fetch GETs a document with a key: status, media type, body.
func fetch(t *testing.T, key, url string) (int, string, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), b
}

// saveArtifact keeps a file for the closing note's images.
func saveArtifact(t *testing.T, name string, b []byte) {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "chengnuo-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// longText is n characters of legal basis, numbered so that a lost or
// repeated stretch shows.
func longText(n int) string {
	var b strings.Builder
	for i := 1; b.Len() < 4*n; i++ {
		fmt.Fprintf(&b, "第%d条：申请人申请行政许可，应当如实向行政机关提交有关材料和反映真实情况，并对其申请材料实质内容的真实性负责。", i)
	}
	return string([]rune(b.String())[:n])
}

var numberRE = regexp.MustCompile(`^〔20\d\d〕虎市监承第\d{6}号$`)

// The letter as a document: the draft printed for a paper signature, laid
// out as the reference template part for part; the applicant signs it by
// hand and the clerk uploads the scan; the record binds both digests; the
// receipt says all of it. On the real network, read with a reader's tools.
func TestPaperLetterAsTheReferenceTemplate(t *testing.T) {
	code := uniqueCode(t, "DOC")
	legalBasis := longText(2000)
	it := verifiedItem(code, "PoliceMSP", true)
	it.LegalBasis = legalBasis
	publishVisible(t, it)
	p := newPerson(t, "文书甲")
	clerk := apiKey(t, market, "CLERK")
	gw := gatewayURL(market)

	// 1. The draft: numbered with the department's prefix, kept.
	d := draftFor(t, market, code, p)
	if d.Status != http.StatusCreated {
		t.Fatalf("draft: %d %s", d.Status, d.Raw)
	}
	l := d.Body["letter"].(map[string]any)
	id, digest, number := d.Body["id"].(string), d.Body["digest"].(string), l["number"].(string)
	if !numberRE.MatchString(number) || id != chengnuo.CommitmentID(digest) {
		t.Fatalf("draft %s numbered %q", id, number)
	}
	for _, key := range []string{id, digest} {
		if r := callAs(t, clerk, "GET", gw+"/v1/drafts/"+key, ""); r.Status != http.StatusOK || r.Body["canonical"] != d.Body["canonical"] {
			t.Fatalf("the kept draft by %s: %d %s", key, r.Status, r.Raw)
		}
	}

	// 2. The letter to print: A4, metadata, the template's parts in order
	// in each of the two copies, the long legal basis whole.
	st, media, pdf := fetch(t, clerk, gw+"/v1/drafts/"+id+"/letter.pdf")
	if st != http.StatusOK || media != document.MediaType || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("the letter's PDF: %d %s", st, media)
	}
	info := pdftest.Info(t, pdf)
	pages, _ := strconv.Atoi(info["Pages"])
	if !strings.Contains(info["Title"], "证明事项告知承诺书") || !strings.Contains(info["Title"], number) || info["Author"] != "市市场监管局" ||
		!strings.HasPrefix(info["Page size"], "595.") || pages < 4 || pages%2 != 0 {
		t.Fatalf("the PDF's metadata: %v", info)
	}
	text := pdftest.Text(t, pdf)
	if len(text) != pages {
		t.Fatalf("%d pages of text for %d pages", len(text), pages)
	}
	template := []string{document.Title, number, document.BasicInfo,
		"申请人：" + p.name, "证件类型：居民身份证", "证号：" + p.idNumber, "联系方式：" + p.phone, "行政机关：市市场监管局",
		"联系人姓名：窗口工作人员", "联系方式：0571-87000000", document.NoticeSection}
	for i, h := range document.NoticeHeadings {
		template = append(template, h)
		switch i {
		case 2:
			template = append(template, legalBasis)
		case 7:
			template = append(template, "核查方式：在线核查；核查部门：市公安局；核查时限：3 日。")
		case 9:
			template = append(template, "本承诺书将予以公开")
		}
	}
	template = append(template, document.CommitmentSection, document.CommitmentPreamble)
	for _, n := range document.CommitmentNumbers {
		template = append(template, n)
	}
	template = append(template, "申请人：", "行政机关：市市场监管局", "（签字盖章）", "（盖章）", "年月日", "年月日", document.Closing)
	body := pdftest.Body(text)
	pdftest.InOrder(t, "the letter", body, append(template, template...)) // both copies, whole
	for i, page := range text {
		copyMark := document.Copies[0]
		if i >= pages/2 {
			copyMark = document.Copies[1]
		}
		foot := strings.Join(strings.Fields(page), "")
		for _, want := range []string{"编号：" + number, "承诺书摘要（SM3）：" + document.ShortDigest(digest), "回执编号：" + id,
			strings.Join(strings.Fields(copyMark), "") + fmt.Sprintf("第%d页共%d页", i%(pages/2)+1, pages/2)} {
			if !strings.Contains(foot, want) {
				t.Fatalf("page %d lacks %q in its header or footer", i+1, want)
			}
		}
	}
	// Every page's QR code opens the letter's public page.
	verifyURL := gw + "/verify?id=" + id
	var scan []byte
	for _, page := range []int{1, pages / 2, pages} {
		img := pdftest.Page(t, pdf, page, 150)
		if codes := pdftest.QRCodes(t, img); len(codes) != 1 || codes[0] != verifyURL {
			t.Fatalf("page %d's QR code: %q, want %s", page, codes, verifyURL)
		}
		if page == 1 {
			scan = img // the signed first page, as a scanner gives it
		}
	}
	for page := 1; page <= pages; page++ {
		saveArtifact(t, fmt.Sprintf("letter-page-%d.png", page), pdftest.Page(t, pdf, page, 72))
	}
	if st, _, _ := fetch(t, clerk, gw+"/v1/drafts/CN000000000000000000000000/letter.pdf"); st != http.StatusNotFound {
		t.Fatalf("the PDF of a draft that does not exist: %d", st)
	}

	// 3. Signed on paper and scanned: the scan names its draft. A scan of
	// another letter, or of no letter, is refused; nothing is stored.
	paper := func(draft string, scan []byte, media string) response {
		return callAs(t, clerk, "POST", gw+"/v1/commitments/paper", mustJSON(t, map[string]any{
			"draft": draft, "scan": base64.StdEncoding.EncodeToString(scan), "mediaType": media}))
	}
	other := draftFor(t, market, code, newPerson(t, "文书乙"))
	otherID := other.Body["id"].(string)
	if r := paper(otherID, scan, "image/png"); r.Status != http.StatusBadRequest || !strings.Contains(r.Raw, "the scan is not of letter") {
		t.Fatalf("a scan of another letter: %d %s", r.Status, r.Raw)
	}
	var blank bytes.Buffer
	_ = png.Encode(&blank, image.NewGray(image.Rect(0, 0, 1240, 1754)))
	if r := paper(id, blank.Bytes(), "image/png"); r.Status != http.StatusBadRequest || !strings.Contains(r.Raw, "no QR code") {
		t.Fatalf("a scan without the letter's QR code: %d %s", r.Status, r.Raw)
	}
	if r := paper("CN000000000000000000000000", scan, "image/png"); r.Status != http.StatusBadRequest {
		t.Fatalf("a draft that does not exist: %d %s", r.Status, r.Raw)
	}
	if r := callAs(t, clerk, "GET", gw+"/v1/commitments/"+otherID, ""); r.Status != http.StatusNotFound {
		t.Fatalf("a refused scan was stored: %d", r.Status)
	}
	r := paper(id, scan, "image/png")
	if r.Status != http.StatusCreated {
		t.Fatalf("paper: %d %s", r.Status, r.Raw)
	}
	rc := receipt(t, r)
	scanDigest := sm.SM3Hex(scan)
	if rc["commitmentId"] != id || rc["letterDigest"] != digest || rc["signedBy"] != chengnuo.SignedPaper || rc["number"] != number {
		t.Fatalf("paper receipt: %s", r.Raw)
	}
	// Either digest finds the record, at another department.
	for _, dg := range []string{digest, scanDigest} {
		v := waitVisible(t, credit, "/v1/verify/"+dg)
		rec, _ := v.Body["record"].(map[string]any)
		if v.Body["anchored"] != true || rec["id"] != id || rec["scanDigest"] != scanDigest || rec["letterDigest"] != digest {
			t.Fatalf("verify %s: %s", dg, v.Raw)
		}
		names, _ := v.Body["names"].(map[string]any)
		if names["MarketMSP"] != "市市场监管局" {
			t.Fatalf("verify names %v", names)
		}
	}
	// Anyone holding the scan file checks it by its bytes; an altered one is not anchored.
	if v := callType(t, "", "POST", gatewayURL(credit)+"/v1/verify/file", "application/octet-stream", string(scan)); v.Body["anchored"] != true {
		t.Fatalf("verify the scan file: %s", v.Raw)
	}
	if v := callType(t, "", "POST", gatewayURL(credit)+"/v1/verify/file", "application/octet-stream", string(scan)+" "); v.Body["anchored"] != false {
		t.Fatalf("an altered scan verified: %s", v.Raw)
	}
	// The proof of the scan's digest is the commitment's, and binds the scan.
	st, _, bundle := fetch(t, "", gatewayURL(credit)+"/v1/verify/"+scanDigest+"/proof")
	if st != http.StatusOK {
		t.Fatalf("the scan's proof: %d %s", st, bundle)
	}
	dir := t.TempDir()
	bundleFile, scanFile := filepath.Join(dir, "proof.json"), filepath.Join(dir, "scan.png")
	_ = os.WriteFile(bundleFile, bundle, 0o600)
	_ = os.WriteFile(scanFile, scan, 0o600)
	if out := string(cli(t, "proof", "verify", bundleFile, "--scan", scanFile, "--genesis-hash", genesisHash(t))); !strings.HasPrefix(out, "PROVEN: ") ||
		!strings.Contains(out, id) || !strings.Contains(out, "binds the scan with SM3 digest "+scanDigest) {
		t.Fatalf("the scan's proof reads:\n%s", out)
	}

	// 4. The receipt: PDF for the applicant and the department.
	st, media, rpdf := fetch(t, clerk, gw+"/v1/commitments/"+id+"/receipt.pdf")
	if st != http.StatusOK || media != document.MediaType {
		t.Fatalf("receipt PDF: %d %s", st, media)
	}
	rtext := strings.Join(strings.Fields(strings.Join(pdftest.Text(t, rpdf), "")), "")
	masked := string([]rune(p.name)[:1]) + strings.Repeat("*", len([]rune(p.name))-1)
	var jr map[string]any
	if r := callAs(t, clerk, "GET", gw+"/v1/commitments/"+id+"/receipt", ""); r.Status != http.StatusOK {
		t.Fatalf("receipt JSON: %d %s", r.Status, r.Raw)
	} else {
		jr = r.Body
	}
	pdftest.InOrder(t, "the receipt", rtext, []string{document.ReceiptTitle, "受理部门", "市市场监管局", "证明事项", code, "承诺书编号", number,
		"申请人", masked, "签署方式", "纸质签名", "存证时间", "回执编号", id, "承诺书摘要（SM3）", digest, "扫描件摘要（SM3）", scanDigest,
		"区块号", fmt.Sprint(jr["blockNumber"]), "交易编号", jr["txId"].(string), "账本创世区块哈希", genesisHash(t), "当前状态", "有效"})
	for _, personal := range []string{p.name, p.idNumber, p.phone} {
		if strings.Contains(rtext, personal) {
			t.Fatalf("the receipt shows %q", personal)
		}
	}
	if codes := pdftest.QRCodes(t, pdftest.Page(t, rpdf, 1, 150)); len(codes) != 2 || codes[0] != verifyURL || codes[1] != verifyURL {
		t.Fatalf("the receipt's QR codes: %q", codes)
	}
	saveArtifact(t, "receipt-page-1.png", pdftest.Page(t, rpdf, 1, 72))
	if pi := pdftest.Info(t, rpdf); pi["Pages"] != "1" || !strings.Contains(pi["Title"], document.ReceiptTitle) || pi["Author"] != "市市场监管局" {
		t.Fatalf("the receipt's metadata: %v", pi)
	}
	// The stored letter prints as it was signed.
	if st, _, lpdf := fetch(t, clerk, gw+"/v1/commitments/"+id+"/letter.pdf"); st != http.StatusOK ||
		!strings.Contains(strings.Join(strings.Fields(strings.Join(pdftest.Text(t, lpdf), "")), ""), "签署方式：纸质签名") {
		t.Fatalf("the stored letter's PDF: %d", st)
	}
	// The public receipt, at any department, has neither number nor applicant.
	pub := call(t, "GET", gatewayURL(credit)+"/v1/public/commitments/"+id+"/receipt", "")
	if pub.Status != http.StatusOK || pub.Body["orgName"] != "市市场监管局" || pub.Body["number"] != nil || pub.Body["applicant"] != nil ||
		pub.Body["genesisHash"] != genesisHash(t) || pub.Body["scanDigest"] != scanDigest {
		t.Fatalf("public receipt: %d %s", pub.Status, pub.Raw)
	}

	// 5. Bad ids answer 404, at the routes of every document.
	for _, path := range []string{"/v1/drafts/CN000000000000000000000000", "/v1/drafts/nonsense/letter.pdf", "/v1/drafts/%2e%2e/letter.pdf",
		"/v1/commitments/CN000000000000000000000000/letter.pdf", "/v1/commitments/CN000000000000000000000000/receipt.pdf",
		"/v1/commitments/x/receipt"} {
		if st, _, b := fetch(t, clerk, gw+path); st != http.StatusNotFound || !bytes.Contains(b, []byte(chengnuo.ENOTFOUND)) {
			t.Errorf("%s: %d %s", path, st, b)
		}
	}
	if st, _, _ := fetch(t, apiKey(t, police, "CLERK"), gatewayURL(police)+"/v1/drafts/"+id+"/letter.pdf"); st != http.StatusNotFound {
		t.Errorf("another department's draft: %d", st)
	}
	for _, path := range []string{"/v1/public/commitments/CN000000000000000000000000/receipt", "/verify/receipt?id=x"} {
		if st, _, _ := fetch(t, "", gatewayURL(credit)+path); st != http.StatusNotFound {
			t.Errorf("%s: %d", path, st)
		}
	}
}

// Departments are named as people name them: the directory each publishes
// on the ledger, and network.json, from their definitions.
func TestDepartmentsAreNamed(t *testing.T) {
	want := map[string][2]string{"JusticeMSP": {"市司法局", "虎司承"}, "MarketMSP": {"市市场监管局", "虎市监承"},
		"PoliceMSP": {"市公安局", "虎公承"}, "CreditMSP": {"信用平台", "虎信承"}}
	r := call(t, "GET", gatewayURL(police)+"/v1/departments", "")
	var got struct {
		Departments []chengnuo.Department `json:"departments"`
	}
	if err := json.Unmarshal([]byte(r.Raw), &got); err != nil || r.Status != http.StatusOK {
		t.Fatalf("departments: %d %s", r.Status, r.Raw)
	}
	seen := 0
	for _, d := range got.Departments {
		if w, ok := want[d.MSPID]; ok {
			seen++
			if d.Name != w[0] || d.NumberPrefix != w[1] || d.TxID == "" {
				t.Errorf("%s: %+v, want %v", d.MSPID, d, w)
			}
		}
	}
	if seen != len(want) {
		t.Fatalf("the directory names %d of the %d founding departments: %s", seen, len(want), r.Raw)
	}
	raw, err := os.ReadFile(filepath.Join(net.state, "network.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Departments []struct {
			MSPID, Name, NumberPrefix string
		} `json:"departments"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, d := range doc.Departments {
		if w, ok := want[d.MSPID]; ok && (d.Name != w[0] || d.NumberPrefix != w[1]) {
			t.Errorf("network.json: %+v", d)
		}
	}
}
