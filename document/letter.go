package document

import (
	"fmt"
	"time"

	"github.com/chengnuo/chengnuo"
)

// Title is the letter's title, as the reference template has it.
const Title = "证明事项告知承诺书"

// The reference template's parts, in order (证明事项告知承诺书（参考样本）).
var (
	// BasicInfo is section 一 and its fields.
	BasicInfo = "一、基本信息"
	// NoticeSection is section 二 and its ten parts.
	NoticeSection  = "二、行政机关告知"
	NoticeHeadings = [10]string{"（一）证明事项名称", "（二）证明用途", "（三）设定证明的依据", "（四）证明的内容",
		"（五）告知承诺适用对象", "（六）承诺的方式", "（七）承诺的效力", "（八）行政机关核查权力", "（九）不实承诺的责任",
		"（十）承诺书是否公开及公开范围、时限"}
	// CommitmentSection is section 三, its preamble and the numbers of its five commitments.
	CommitmentSection  = "三、申请人承诺"
	CommitmentPreamble = "申请人就申请的事项，现作出如下承诺："
	CommitmentNumbers  = [5]string{"（一）", "（二）", "（三）", "（四）", "（五）"}
	// Closing is the template's last line.
	Closing = "（本文书一式两份。行政机关与申请人各执一份。）"
	// Copies are the two copies' marks: the organ's and the applicant's.
	Copies = [2]string{"第一联　行政机关留存", "第二联　申请人留存"}
)

// LetterPDF renders a letter as the reference template lays it out, in two
// copies (the organ's, then the applicant's), each page with a footer:
// the number, the letter's digest (short form), the page and a QR code to
// the letter's public page on the gateway at verifyBase.
func LetterPDF(p *chengnuo.PrintableLetter, verifyBase string) (_ []byte, err error) {
	rendering()
	defer done(&err)
	// Both copies are the same text, so they have as many pages: a first
	// pass lays one copy out to count them, for the footers' "of n".
	d, err := renderLetter(p, verifyBase, 1, 0)
	if err != nil {
		return nil, err
	}
	if d, err = renderLetter(p, verifyBase, len(Copies), d.PageNo()); err != nil {
		return nil, err
	}
	return d.output()
}

// renderLetter lays out the first copies of the letter, each of pages
// pages (0: not known yet).
func renderLetter(p *chengnuo.PrintableLetter, verifyBase string, copies, pages int) (*doc, error) {
	l := p.Letter
	drafted, err := time.Parse(time.RFC3339, l.DraftedAt)
	if err != nil {
		return nil, fmt.Errorf("draftedAt: %w", err)
	}
	subject := fmt.Sprintf("%s %s，%s（%s 第 %d 版）", l.Number, l.Applicant.Name, l.Notice.ItemName, l.Notice.ItemCode, l.Notice.ItemVersion)
	d, err := newDoc(Title+" "+l.Number, p.OrgName, subject, VerifyURL(verifyBase, p.ID), drafted)
	if err != nil {
		return nil, err
	}
	// The header of a page runs after the footer of the page before: the
	// footer reads the copy's mark and first page, the header takes the
	// next copy's.
	var mark, next string
	var first, nextFirst int
	d.SetHeaderFunc(func() {
		mark, first = next, nextFirst
		d.font(9)
		d.Rect(pageW-marginX-48, 9, 48, 6, "D")
		d.SetXY(pageW-marginX-48, 9)
		d.put(48, 6, mark, "C")
		d.SetXY(marginX, marginTop)
	})
	d.footer = func(page int) {
		y := pageH - footerH + 4
		d.SetDrawColor(120, 120, 120)
		d.Line(marginX, y, pageW-marginX, y)
		d.font(8.5)
		for i, s := range []string{"编号：" + l.Number, "承诺书摘要（SM3）：" + ShortDigest(p.Digest), "回执编号：" + p.ID,
			fmt.Sprintf("%s　第 %d 页 共 %d 页", mark, page-first+1, pages)} {
			d.SetXY(marginX, y+3+4.5*float64(i))
			d.put(bodyW-qrSize-6, 4.5, s, "L")
		}
		d.drawQR()
	}
	for _, m := range Copies[:copies] {
		next, nextFirst = m, d.PageNo()+1
		d.AddPage()
		d.letterCopy(p)
	}
	return d, d.Error()
}

// letterCopy writes one copy of the letter from the top of a new page.
func (d *doc) letterCopy(p *chengnuo.PrintableLetter) {
	l, n := p.Letter, p.Letter.Notice
	d.font(20)
	d.text(marginX, bodyW, 12, Title, "C")
	d.font(12)
	d.text(marginX, bodyW, 8, l.Number, "C")
	d.Ln(3)

	d.section(BasicInfo)
	organ := p.OrgName
	if organ == "" {
		organ = l.Organ.Name
	}
	d.line("申请人：" + l.Applicant.Name)
	d.line("证件类型：" + chengnuo.Word(l.Applicant.IDType) + "　　证号：" + l.Applicant.IDNumber)
	d.line("联系方式：" + l.Applicant.Contact)
	d.line("行政机关：" + organ)
	d.line("联系人姓名：" + l.Organ.ContactName + "　　联系方式：" + l.Organ.ContactPhone)

	d.section(NoticeSection)
	texts := [10]string{
		fmt.Sprintf("%s（事项编码 %s，第 %d 版）", n.ItemName, n.ItemCode, n.ItemVersion),
		n.Purpose, n.LegalBasis, n.Content, n.EligibleApplicants, n.CommitmentMethod, n.Effect,
		n.VerificationPower + "\n" + verificationText(n.Verification, p.VerifierName),
		n.Liability, disclosureText(n.Disclosure),
	}
	for i, h := range NoticeHeadings {
		d.heading(h)
		d.paragraph(texts[i])
	}

	d.section(CommitmentSection)
	d.paragraph(CommitmentPreamble)
	for i, s := range l.Commitment {
		d.paragraph(CommitmentNumbers[i] + s)
	}
	d.signatures(p, organ)
}

// verificationText says how the organ verifies commitments of the item.
func verificationText(v chengnuo.VerificationRule, verifier string) string {
	if v.Exempt {
		return "本事项免于核查。"
	}
	s := "核查方式：" + chengnuo.Word(v.Method)
	if verifier == "" {
		verifier = v.Department
	}
	if verifier != "" {
		s += "；核查部门：" + verifier
	}
	if v.TimeLimitDays > 0 {
		s += fmt.Sprintf("；核查时限：%d 日", v.TimeLimitDays)
	}
	return s + "。"
}

// disclosureText is part (十): whether, where and how long the letter is
// made public.
func disclosureText(dis chengnuo.Disclosure) string {
	if !dis.Public {
		return "本承诺书不予公开。"
	}
	s := "本承诺书将予以公开"
	if dis.Scope != "" {
		s += "，公开范围：" + dis.Scope
	}
	if dis.PeriodDays > 0 {
		s += fmt.Sprintf("，公开期限：自存证之日起 %d 日", dis.PeriodDays)
	}
	return s + "。"
}

// section writes a section's title (一、二、三).
func (d *doc) section(title string) {
	d.Ln(2)
	d.font(14)
	d.text(marginX, bodyW, 9, title, "L")
	d.Ln(1)
}

// heading writes a part's title.
func (d *doc) heading(title string) {
	d.font(12)
	d.text(marginX, bodyW, 7, title, "L")
}

// paragraph writes text that flows onto further pages as it needs.
func (d *doc) paragraph(text string) {
	d.font(11)
	d.text(marginX+8, bodyW-8, 6.2, text, "L")
	d.Ln(1)
}

// line writes one field of section 一.
func (d *doc) line(text string) {
	d.font(11.5)
	d.text(marginX, bodyW, 7.5, text, "L")
}

// signatures writes the signature block, kept whole on one page: 申请人
// (签字盖章) and 行政机关 (盖章), each with its date, then the closing line.
func (d *doc) signatures(p *chengnuo.PrintableLetter, organ string) {
	const need = 62
	if d.GetY()+need > pageH-footerH {
		d.AddPage()
	}
	d.Ln(8)
	y := d.GetY()
	left, right := marginX, marginX+bodyW/2+4
	cell := func(x, y float64, size float64, text string) {
		d.font(size)
		d.SetXY(x, y)
		d.put(bodyW/2-4, 7, text, "L")
	}
	cell(left, y, 12, "申请人：")
	cell(right, y, 12, "行政机关："+organ)
	cell(left, y+12, 11, "（签字盖章）")
	cell(right, y+12, 11, "（盖章）")
	cell(left+22, y+26, 11, "年　　月　　日")
	cell(right+22, y+26, 11, "年　　月　　日")
	d.SetXY(marginX, y+40)
	d.font(11)
	d.text(marginX, bodyW, 7, Closing, "C")
	if !p.Draft {
		d.font(9)
		s := "签署方式：" + chengnuo.Word(p.SignedBy)
		if !p.AnchoredAt.IsZero() {
			s += "；存证时间：" + chinaTime(p.AnchoredAt)
		}
		d.text(marginX, bodyW, 5, s, "C")
	}
}
