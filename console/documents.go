package console

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/document"
)

// publicBase is the address of the public page the documents' QR codes
// open: the configured public URL, else the gateway the person reached
// the workbench at.
func (c *Console) publicBase(r *http.Request) string {
	if c.opts.PublicURL != "" {
		return strings.TrimRight(c.opts.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// showDraft shows a kept draft: the letter as the applicant reads it, the
// PDF to print for a paper signature, and the two ways to sign.
func (c *Console) showDraft(w http.ResponseWriter, r *http.Request) {
	d, err := c.svc.GetDraft(r.Context(), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, "message", &view{Title: "承诺书 Letter"}, err)
		return
	}
	it, _ := c.svc.GetItem(r.Context(), d.Letter.Notice.ItemCode, d.Letter.Notice.ItemVersion)
	c.render(w, r, http.StatusOK, "letter-draft", &view{Title: "承诺书 " + d.Letter.Number, Data: &draftData{Draft: d, Item: it}})
}

// pdf answers with a document, and records who printed it: a letter holds
// the applicant's personal data.
func (c *Console) pdf(kind string, render func(r *http.Request, id string) ([]byte, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		b, err := render(r, id)
		c.record(r, "document."+kind, id, err, "")
		if err != nil {
			c.fail(w, r, "message", &view{Title: "文书 Document"}, err)
			return
		}
		w.Header().Set("Content-Type", document.MediaType)
		w.Header().Set("Content-Disposition", `inline; filename="`+document.FileName(kind, id)+`"`)
		_, _ = w.Write(b)
	}
}

func (c *Console) draftPDF(r *http.Request, id string) ([]byte, error) {
	p, err := c.svc.PrintDraft(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return document.LetterPDF(p, c.publicBase(r))
}

func (c *Console) letterPDF(r *http.Request, id string) ([]byte, error) {
	p, err := c.svc.PrintLetter(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return document.LetterPDF(p, c.publicBase(r))
}

func (c *Console) receiptPDF(r *http.Request, id string) ([]byte, error) {
	rc, err := c.svc.Receipt(r.Context(), id, false)
	if err != nil {
		return nil, err
	}
	return document.ReceiptPDF(rc, c.publicBase(r))
}

type receiptData struct {
	ID      string
	Receipt template.HTML
}

// receipt shows a letter's receipt, to print or to hand over.
func (c *Console) receipt(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	v := &view{Title: "存证凭证 Receipt " + id}
	rc, err := c.svc.Receipt(r.Context(), id, false)
	if err != nil {
		c.fail(w, r, "message", v, err)
		return
	}
	frag, err := document.ReceiptHTML(rc, c.publicBase(r))
	if err != nil {
		c.fail(w, r, "message", v, chengnuo.Internal("could not render the receipt", err))
		return
	}
	v.Data = &receiptData{ID: id, Receipt: frag}
	c.render(w, r, http.StatusOK, "receipt", v)
}
