package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/chengnuo/chengnuo"
)

// decodeJSON reads exactly one JSON object into v, refusing unknown fields,
// trailing data and bodies over the size limit.
func decodeJSON(c *gin.Context, v any) error {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return chengnuo.Errorf(chengnuo.ETOOLARGE, "request body exceeds %d bytes", mbe.Limit)
		}
		return chengnuo.Errorf(chengnuo.EINVALID, "could not read request body")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return chengnuo.Errorf(chengnuo.EINVALID, "request body is not valid JSON for this endpoint: %s", jsonProblem(err))
	}
	if dec.More() {
		return chengnuo.Errorf(chengnuo.EINVALID, "request body holds more than one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return chengnuo.Errorf(chengnuo.EINVALID, "request body holds trailing data")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return "syntax error at byte " + itoa(se.Offset)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return "field " + te.Field + " has the wrong type"
	}
	if errors.Is(err, io.EOF) {
		return "empty body"
	}
	return err.Error()
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

type anchorRequest struct {
	Digest *string `json:"digest"`
}

func (s *Server) postAnchor(c *gin.Context) {
	var req anchorRequest
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Digest == nil {
		s.fail(c, chengnuo.Errorf(chengnuo.EINVALID, "field digest is required"))
		return
	}
	digest, err := chengnuo.NormalizeDigest(*req.Digest)
	if err != nil {
		s.fail(c, err)
		return
	}
	a, err := s.opts.Anchors.Anchor(c.Request.Context(), digest)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set(ctxTxID, a.TxID)
	c.Header("Location", "/v1/anchors/"+a.Digest)
	c.JSON(http.StatusCreated, a)
}

func (s *Server) getAnchor(c *gin.Context) {
	digest, err := chengnuo.NormalizeDigest(c.Param("digest"))
	if err != nil {
		s.fail(c, err)
		return
	}
	a, err := s.opts.Anchors.FindAnchor(c.Request.Context(), digest)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, a)
}
