package document

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"strconv"
	"time"

	"github.com/chengnuo/chengnuo"
)

// ReceiptTitle is the receipt's title.
const ReceiptTitle = "告知承诺书存证凭证（回执）"

// Row is one line of a receipt: a label and its value.
type Row struct {
	Label, Value string
	Code         bool // a digest or an id, set in a fixed-width face on the page
}

// ReceiptRows are the receipt's lines, in order. A public receipt has
// neither the letter's number nor the applicant.
func ReceiptRows(r *chengnuo.ReceiptView) []Row {
	rows := []Row{
		{Label: "受理部门", Value: orgLine(r.OrgName, r.Org)},
		{Label: "证明事项", Value: fmt.Sprintf("%s（%s 第 %d 版）", r.ItemName, r.ItemCode, r.ItemVersion)},
	}
	if r.Number != "" {
		rows = append(rows, Row{Label: "承诺书编号", Value: r.Number})
	}
	if r.Applicant != "" {
		rows = append(rows, Row{Label: "申请人", Value: r.Applicant})
	}
	rows = append(rows, Row{Label: "签署方式", Value: chengnuo.Word(r.SignedBy)})
	if !r.AnchoredAt.IsZero() {
		rows = append(rows, Row{Label: "存证时间", Value: chinaTime(r.AnchoredAt)})
	}
	rows = append(rows,
		Row{Label: "回执编号", Value: r.CommitmentID, Code: true},
		Row{Label: "承诺书摘要（SM3）", Value: r.LetterDigest, Code: true})
	if r.ScanDigest != "" {
		rows = append(rows, Row{Label: "扫描件摘要（SM3）", Value: r.ScanDigest, Code: true})
	}
	block, tx := "尚未上链（正在存证）", "—"
	if r.TxID != "" {
		block, tx = strconv.FormatUint(r.BlockNumber, 10), r.TxID
	}
	genesis := Row{Label: "账本创世区块哈希", Value: r.GenesisHash, Code: true}
	if r.GenesisHash == "" {
		genesis = Row{Label: genesis.Label, Value: "（本网关暂未读到，请以各部门公布的值为准）"}
	}
	rows = append(rows,
		Row{Label: "区块号", Value: block},
		Row{Label: "交易编号", Value: tx, Code: r.TxID != ""},
		genesis,
		Row{Label: "当前状态", Value: r.Verdict.Text})
	return rows
}

func orgLine(name, msp string) string {
	if name == "" || name == msp {
		return msp
	}
	return name
}

// receiptNote tells a reader how to check the receipt without trusting
// whoever handed it over.
const receiptNote = "核验方法：扫描二维码，打开公开核验页，查看本承诺书在各部门共享账本上的记录与办理状态；" +
	"或在核验页下载存证证明文件，运行 chengnuo proof verify proof.json --genesis-hash <账本创世区块哈希> 离线核验。" +
	"请将上表的创世区块哈希与各部门公布的值核对一致后再使用。本凭证不含申请人的完整个人信息。"

// ReceiptPDF renders a receipt on one A4 page: its lines, a QR code to the
// letter's public page on the gateway at verifyBase, and how to check it.
func ReceiptPDF(r *chengnuo.ReceiptView, verifyBase string) (_ []byte, err error) {
	rendering()
	defer done(&err)
	at := r.AnchoredAt
	if at.IsZero() {
		at = time.Unix(0, 0)
	}
	url := VerifyURL(verifyBase, r.CommitmentID)
	d, err := newDoc(ReceiptTitle+" "+r.CommitmentID, orgLine(r.OrgName, r.Org), r.ItemName+" "+r.Number, url, at)
	if err != nil {
		return nil, err
	}
	d.footer = func(int) {
		y := pageH - footerH + 4
		d.SetDrawColor(120, 120, 120)
		d.Line(marginX, y, pageW-marginX, y)
		d.font(8.5)
		d.SetXY(marginX, y+3)
		d.put(bodyW-qrSize-6, 4.5, "回执编号："+r.CommitmentID, "L")
		d.SetXY(marginX, y+7.5)
		d.put(bodyW-qrSize-6, 4.5, "出具部门："+orgLine(r.OrgName, r.Org), "L")
		d.drawQR()
	}
	d.AddPage()
	d.font(18)
	d.text(marginX, bodyW, 11, ReceiptTitle, "C")
	d.Ln(4)
	const labelW, lineH = 40.0, 6.0
	d.SetDrawColor(90, 90, 90)
	for _, row := range ReceiptRows(r) {
		d.font(10.5)
		if row.Code {
			d.font(8.2) // a digest on one line
		}
		lines := d.wrap(row.Value, bodyW-labelW-4)
		size := d.size
		d.font(10.5)
		labels := d.wrap(row.Label, labelW-4)
		h := float64(max(len(lines), len(labels)))*lineH + 3
		y := d.GetY()
		d.Rect(marginX, y, labelW, h, "D")
		d.Rect(marginX+labelW, y, bodyW-labelW, h, "D")
		for i, l := range labels {
			d.SetXY(marginX+2, y+1.5+float64(i)*lineH)
			d.put(labelW-4, lineH, l, "L")
		}
		d.font(size)
		for i, line := range lines {
			d.SetXY(marginX+labelW+2, y+1.5+float64(i)*lineH)
			d.put(bodyW-labelW-4, lineH, line, "L")
		}
		d.SetXY(marginX, y+h)
	}
	d.Ln(6)
	png, err := qrPNG(url)
	if err != nil {
		return nil, err
	}
	d.RegisterImageOptionsReader("qr-large", imageOptions, bytes.NewReader(png))
	y := d.GetY()
	d.ImageOptions("qr-large", marginX, y, 38, 38, false, imageOptions, 0, "")
	d.font(10)
	for i, line := range d.wrap("扫码核验："+url, bodyW-44) {
		d.SetXY(marginX+44, y+4+float64(i)*5.5)
		d.put(bodyW-44, 5.5, line, "L")
	}
	d.SetXY(marginX, y+42)
	d.font(9.5)
	d.text(marginX, bodyW, 5.5, receiptNote, "L")
	if err := d.Error(); err != nil {
		return nil, err
	}
	return d.output()
}

// receiptHTML is the receipt as the workbench and the public page show it.
var receiptHTML = template.Must(template.New("receipt").Parse(`<section class="receipt" aria-labelledby="receipt-title">
<h2 id="receipt-title">{{.Title}}</h2>
<table class="receipt-rows"><tbody>
{{range .Rows}}<tr><th scope="row">{{.Label}}</th><td>{{if .Code}}<code>{{.Value}}</code>{{else}}{{.Value}}{{end}}</td></tr>
{{end}}</tbody></table>
<figure class="receipt-qr"><img src="{{.QR}}" width="160" height="160" alt="二维码：打开本承诺书的公开核验页 {{.URL}}">
<figcaption>扫码核验：<a href="{{.URL}}">{{.URL}}</a></figcaption></figure>
<p class="receipt-note">{{.Note}}</p>
</section>`))

// ReceiptHTML renders a receipt as an HTML fragment (a section with its
// heading, its lines, the QR code as an inline image and how to check it).
func ReceiptHTML(r *chengnuo.ReceiptView, verifyBase string) (template.HTML, error) {
	url := VerifyURL(verifyBase, r.CommitmentID)
	png, err := qrPNG(url)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	err = receiptHTML.Execute(&buf, map[string]any{
		"Title": ReceiptTitle, "Rows": ReceiptRows(r), "URL": url, "Note": receiptNote,
		// A data: URL: the page needs no second request, and html/template
		// lets this one through only as a typed URL.
		"QR": template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
	})
	if err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}
