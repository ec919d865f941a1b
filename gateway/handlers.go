package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/chengnuo/chengnuo"
)

// preallocBytes is the largest declared body length read in one allocation.
const preallocBytes = DefaultMaxBodyBytes

// noBody is the request type of a route that reads no body.
type noBody struct{}

// serve is the one shape of a handler: bind the body into Req (unless the
// route takes none), call the service, respond with status and the result.
func serve[Req any](s *Server, status int, call func(*gin.Context, *Req) (any, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req Req
		if _, none := any(&req).(*noBody); !none {
			if err := decodeJSON(c, &req); err != nil {
				s.fail(c, err)
				return
			}
		}
		out, err := call(c, &req)
		if err != nil {
			s.fail(c, err)
			return
		}
		if r, ok := out.(*chengnuo.VerifyResult); ok && r != nil && writeVerifyResult(c, status, r) {
			return
		}
		c.JSON(status, out)
	}
}

// get is serve for a route without a body.
func get(s *Server, status int, call func(*gin.Context) (any, error)) gin.HandlerFunc {
	return serve(s, status, func(c *gin.Context, _ *noBody) (any, error) { return call(c) })
}

// decodeJSON reads exactly one JSON object into v, refusing unknown fields,
// trailing data and bodies over the size limit.
func decodeJSON(c *gin.Context, v any) error {
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeJSONBytes(raw, v)
}

// readBody reads the whole request body. Memory follows what the client
// has sent, never what it declares: only a declared length within
// preallocBytes (and the route's limit, which limitBody enforces) is taken
// at once; a longer body grows as its bytes arrive.
func readBody(c *gin.Context) ([]byte, error) {
	var raw []byte
	var err error
	if n := c.Request.ContentLength; n > 0 && n <= min(preallocBytes, c.GetInt64(ctxBodyLimit)) {
		raw = make([]byte, n)
		if _, err = io.ReadFull(c.Request.Body, raw); err == nil {
			// Read to the end, so that a body longer than declared, or
			// over the limit, is an error rather than ignored.
			var one [1]byte
			_, err = c.Request.Body.Read(one[:])
			if err == io.EOF {
				err = nil
			} else if err == nil {
				err = io.ErrUnexpectedEOF
			}
		}
	} else {
		raw, err = io.ReadAll(c.Request.Body)
	}
	if err != nil {
		return nil, readError(err)
	}
	return raw, nil
}

// decodeJSONBytes is decodeJSON of a body already read.
func decodeJSONBytes(raw []byte, v any) error {
	if r, ok := v.(*chengnuo.SubmitRequest); ok && submitOnly(raw, r) {
		return nil
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

// readError maps a failure to read a request body.
func readError(err error) error {
	if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return chengnuo.Errorf(chengnuo.ETOOLARGE, "request body exceeds %d bytes", mbe.Limit)
	}
	return chengnuo.Errorf(chengnuo.EINVALID, "could not read request body")
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return "field " + te.Field + " has the wrong type"
	}
	if errors.Is(err, io.EOF) {
		return "empty body"
	}
	msg := err.Error() // e.g. json: unknown field "x"
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}

// page reads the paging query parameters limit and bookmark.
func page(c *gin.Context) (chengnuo.Page, error) {
	p := chengnuo.Page{Bookmark: c.Query("bookmark")}
	if q := c.Query("limit"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > chengnuo.MaxPageSize {
			return p, chengnuo.Errorf(chengnuo.EINVALID, "limit must be 1 to %d", chengnuo.MaxPageSize)
		}
		p.Size = n
	}
	if len(p.Bookmark) > 1024 {
		return p, chengnuo.Errorf(chengnuo.EINVALID, "malformed bookmark")
	}
	return p, nil
}

// paged calls a list with the request's page.
func paged[T any](c *gin.Context, list func(chengnuo.Page) (T, error)) (T, error) {
	p, err := page(c)
	if err != nil {
		var zero T
		return zero, err
	}
	return list(p)
}

// listBody renders one page of a list under the name key, with more and bookmark.
func listBody[T any](key string, l chengnuo.List[T], extra gin.H) gin.H {
	h := gin.H{key: l.Items, "more": l.More}
	if l.Bookmark != "" {
		h["bookmark"] = l.Bookmark
	}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

// withTx records the transaction id of a result in the access log.
func withTx(c *gin.Context, txID string) {
	if txID != "" {
		c.Set(ctxTxID, txID)
	}
}

// proof serves a proof bundle: JSON the service already encoded, offered
// as a file to keep.
//
// A bundle's cost grows with the chain, so at most MaxProofs are built at
// once, whoever asks: the rate limit per client does not bound a crowd.
// Beyond that the answer is 503 with Retry-After, at once.
func (s *Server) proof(build func(*gin.Context) ([]byte, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		select {
		case s.proofs <- struct{}{}:
			defer func() { <-s.proofs }()
		default:
			s.proofsRefused.Inc()
			s.fail(c, chengnuo.Errorf(chengnuo.EUNAVAILABLE, "the gateway is building as many proofs as it can; try again shortly"))
			return
		}
		raw, err := build(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Header("Content-Disposition", `attachment; filename="proof.json"`)
		c.Data(http.StatusOK, "application/json", raw)
	}
}
