package gateway

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/notary"
	"github.com/chengnuo/chengnuo/sm"
)

func (s *Server) listItems(c *gin.Context) {
	items, err := s.opts.Ledger.ListItems(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

func (s *Server) getItem(c *gin.Context) {
	v := 0
	if q := c.Query("version"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 {
			s.fail(c, chengnuo.Errorf(chengnuo.EINVALID, "version must be a positive integer"))
			return
		}
		v = n
	}
	it, err := s.opts.Ledger.GetItem(c.Request.Context(), c.Param("code"), v)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, it)
}

func (s *Server) publishItem(c *gin.Context) {
	var it chengnuo.Item
	if err := decodeJSON(c, &it); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.opts.Ledger.PublishItem(c.Request.Context(), &it)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set(ctxTxID, out.PublishedTx)
	c.JSON(http.StatusCreated, out)
}

func (s *Server) retireItem(c *gin.Context) {
	out, err := s.opts.Ledger.RetireItem(c.Request.Context(), c.Param("code"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) draft(c *gin.Context) {
	var req notary.DraftRequest
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	d, err := s.opts.Notary.Draft(c.Request.Context(), req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, d)
}

func (s *Server) submit(c *gin.Context) {
	var req notary.SubmitRequest
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.opts.Notary.Submit(c.Request.Context(), req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set(ctxTxID, r.TxID)
	c.JSON(http.StatusCreated, gin.H{"receipt": r, "receiptPng": "/v1/commitments/" + r.CommitmentID + "/receipt.png"})
}

func (s *Server) commitment(c *gin.Context) {
	st, rec, err := s.opts.Notary.Commitment(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"letter": st, "record": rec})
}

// receiptPNG renders a QR code holding what a verifier needs: the
// commitment id and the letter digest (no personal data).
func (s *Server) receiptPNG(c *gin.Context) {
	st, err := s.opts.Notary.Stored(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	payload, _ := json.Marshal(map[string]string{"commitmentId": st.ID, "letterDigest": st.Digest, "verify": "/v1/verify/" + st.Digest})
	png, err := qrcode.Encode(string(payload), qrcode.Medium, 256)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "image/png", png)
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) withdraw(c *gin.Context) {
	var req reasonRequest
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	rec, err := s.opts.Notary.Withdraw(c.Request.Context(), c.Param("id"), req.Reason)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, rec)
}

func (s *Server) conclude(c *gin.Context) {
	rec, err := s.opts.Notary.Conclude(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, rec)
}

type verifyRequest struct {
	Letter *string `json:"letter"`
}

func (s *Server) verifyLetter(c *gin.Context) {
	var req verifyRequest
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Letter == nil {
		s.fail(c, chengnuo.Errorf(chengnuo.EINVALID, "field letter is required"))
		return
	}
	r, err := s.opts.Notary.VerifyLetter(c.Request.Context(), []byte(*req.Letter))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

func (s *Server) verifyDigest(c *gin.Context) {
	r, err := s.opts.Notary.VerifyDigest(c.Request.Context(), c.Param("digest"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

func (s *Server) publicCommitment(c *gin.Context) {
	r, err := s.opts.Notary.PublicCommitment(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

func (s *Server) submitPaper(c *gin.Context) {
	var req notary.PaperRequest
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.opts.Notary.SubmitPaper(c.Request.Context(), req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set(ctxTxID, r.TxID)
	c.JSON(http.StatusCreated, gin.H{"receipt": r, "receiptPng": "/v1/commitments/" + r.CommitmentID + "/receipt.png"})
}

// verifyFile checks a file (a scanned paper letter, or a letter file) by the
// SM3 of its raw bytes.
func (s *Server) verifyFile(c *gin.Context) {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
			s.fail(c, chengnuo.Errorf(chengnuo.ETOOLARGE, "file exceeds %d bytes", mbe.Limit))
			return
		}
		s.fail(c, chengnuo.Errorf(chengnuo.EINVALID, "could not read the file"))
		return
	}
	if len(raw) == 0 {
		s.fail(c, chengnuo.Errorf(chengnuo.EINVALID, "the file is empty"))
		return
	}
	r, err := s.opts.Notary.VerifyDigest(c.Request.Context(), sm.SM3Hex(raw))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}
