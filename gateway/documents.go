package gateway

import (
	"bytes"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/document"
)

// documentRoutes serves the documents the policy prescribes — the letter
// (drafts and stored letters) and the receipt, as PDF — the department
// directory, and the receipt as JSON and on the public page.
func (s *Server) documentRoutes(v1 *gin.RouterGroup, reader gin.HandlerFunc) {
	svc := s.svc
	v1.GET("/departments", s.public, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		d, err := svc.Departments(c.Request.Context())
		if err != nil {
			return nil, err
		}
		list := make([]*chengnuo.Department, 0, len(d))
		for _, e := range d {
			list = append(list, e)
		}
		slices.SortFunc(list, func(a, b *chengnuo.Department) int { return strings.Compare(a.MSPID, b.MSPID) })
		return gin.H{"departments": list}, nil
	}))
	v1.GET("/drafts/:id", reader, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		return svc.GetDraft(c.Request.Context(), c.Param("id"))
	}))
	v1.GET("/drafts/:id/letter.pdf", reader, s.pdf("letter", func(c *gin.Context) ([]byte, error) {
		p, err := svc.PrintDraft(c.Request.Context(), c.Param("id"))
		if err != nil {
			return nil, err
		}
		return document.LetterPDF(p, s.publicBase(c))
	}))
	v1.GET("/commitments/:id/letter.pdf", reader, s.pdf("letter", func(c *gin.Context) ([]byte, error) {
		p, err := svc.PrintLetter(c.Request.Context(), c.Param("id"))
		if err != nil {
			return nil, err
		}
		return document.LetterPDF(p, s.publicBase(c))
	}))
	v1.GET("/commitments/:id/receipt", reader, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		return svc.Receipt(c.Request.Context(), c.Param("id"), false)
	}))
	v1.GET("/commitments/:id/receipt.pdf", reader, s.pdf("receipt", func(c *gin.Context) ([]byte, error) {
		r, err := svc.Receipt(c.Request.Context(), c.Param("id"), false)
		if err != nil {
			return nil, err
		}
		return document.ReceiptPDF(r, s.publicBase(c))
	}))
	v1.GET("/public/commitments/:id/receipt", s.public, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		return svc.Receipt(c.Request.Context(), c.Param("id"), true)
	}))
	s.engine.GET("/verify/receipt", s.public, s.pageHeaders, s.receiptPage)
}

// pdf answers with a document: inline, named after its id, with an ETag
// (a document is a function of its record, so an unchanged one is not
// sent again).
func (s *Server) pdf(kind string, render func(*gin.Context) ([]byte, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		b, err := render(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Header("Cache-Control", "private, no-cache")
		c.Header("X-Content-Type-Options", "nosniff")
		c.Header("Content-Disposition", `inline; filename="`+document.FileName(kind, c.Param("id"))+`"`)
		if notModified(c, etagOf(b)) {
			return
		}
		c.Data(http.StatusOK, document.MediaType, b)
	}
}

// publicBase is the address of the public page the documents' QR codes
// open: the configured public URL, else this gateway as the client reached
// it.
func (s *Server) publicBase(c *gin.Context) string {
	return strings.TrimSuffix(s.pageURL(c), "/verify")
}

// receiptPageHTML is the public receipt page: the receipt any department's
// gateway gives from the ledger (no number, no applicant).
var receiptPageHTML = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>存证凭证 · Receipt {{.ID}}</title>
<link rel="stylesheet" href="/verify/assets/page.css">
</head>
<body>
<header><h1>告知承诺书存证凭证 <span lang="en">Receipt</span></h1>
<p>依据各部门共享账本上的记录出具；不含申请人的个人信息。<span lang="en">From the departments' shared ledger; no personal data.</span></p></header>
<main>{{.Receipt}}
<p><a href="/verify?id={{.ID}}">返回核验页 <span lang="en">Back to the check</span></a></p></main>
</body>
</html>
`))

// receiptPage is the public receipt of ?id=.
func (s *Server) receiptPage(c *gin.Context) {
	id := c.Query("id")
	r, err := s.svc.Receipt(c.Request.Context(), id, true)
	if err != nil {
		s.fail(c, err)
		return
	}
	frag, err := document.ReceiptHTML(r, s.publicBase(c))
	if err != nil {
		s.fail(c, chengnuo.Internal("could not render the receipt", err))
		return
	}
	var buf bytes.Buffer
	if err := receiptPageHTML.Execute(&buf, map[string]any{"ID": r.CommitmentID, "Receipt": frag}); err != nil {
		s.fail(c, chengnuo.Internal("could not render the receipt", err))
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}
