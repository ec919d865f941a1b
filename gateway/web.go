package gateway

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/chengnuo/chengnuo"
)

// The public verification page (核验页): HTML, script and style are part of
// the gateway; the WebAssembly verifier and Go's wasm_exec.js are built by
// the project's scripts into Options.WebDir. Nothing comes from a CDN.
//
//go:embed web/index.html web/page.js web/page.css
var web embed.FS

// webAsset is a file of WebDir served gzip-compressed when the client
// accepts it (the verifier is some 20 MB, a quarter of that compressed).
type webAsset struct {
	once      sync.Once
	raw, gz   []byte
	etag      string // of raw; the gzip form's adds -gz
	err       error
	mediaType string
}

// etagOf is a strong entity tag of content.
func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// notModified answers 304 when the client holds the same version.
func notModified(c *gin.Context, etag string) bool {
	c.Header("ETag", etag)
	for _, t := range strings.Split(c.GetHeader("If-None-Match"), ",") {
		if t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "W/")); t == etag || t == "*" {
			c.Status(http.StatusNotModified)
			return true
		}
	}
	return false
}

// webRoutes serves the public page. Every route is rate limited like the
// API's public routes; the page and its assets carry ETags, so a returning
// visitor (or a cache in front) revalidates instead of fetching again.
func (s *Server) webRoutes() {
	e := s.engine
	page := func(name, mediaType string) gin.HandlerFunc {
		raw, err := web.ReadFile("web/" + name)
		if err != nil {
			panic(err) // embedded at build time
		}
		etag := etagOf(raw)
		return func(c *gin.Context) {
			c.Header("Cache-Control", "no-cache")
			if notModified(c, etag) {
				return
			}
			c.Data(http.StatusOK, mediaType, raw)
		}
	}
	e.GET("/verify", s.public, s.pageHeaders, page("index.html", "text/html; charset=utf-8"))
	e.GET("/verify/assets/page.js", s.public, s.pageHeaders, page("page.js", "text/javascript; charset=utf-8"))
	e.GET("/verify/assets/page.css", s.public, s.pageHeaders, page("page.css", "text/css; charset=utf-8"))
	words := wordsJS()
	wordsTag := etagOf(words)
	e.GET("/verify/assets/words.js", s.public, s.pageHeaders, func(c *gin.Context) {
		c.Header("Cache-Control", "no-cache")
		if notModified(c, wordsTag) {
			return
		}
		c.Data(http.StatusOK, "text/javascript; charset=utf-8", words)
	})
	assets := map[string]*webAsset{
		"chengnuo.wasm": {mediaType: "application/wasm"},
		"wasm_exec.js":  {mediaType: "text/javascript; charset=utf-8"},
	}
	e.GET("/verify/assets/:file", s.public, s.pageHeaders, func(c *gin.Context) {
		a := assets[c.Param("file")]
		if a == nil {
			s.fail(c, chengnuo.Errorf(chengnuo.ENOTFOUND, "no such asset"))
			return
		}
		a.once.Do(func() { a.load(filepath.Join(s.opts.WebDir, c.Param("file"))) })
		if a.err != nil {
			s.fail(c, chengnuo.Errorf(chengnuo.ENOTFOUND, "the in-browser verifier is not installed on this gateway; download the proof and check it with the chengnuo command"))
			return
		}
		c.Header("Cache-Control", "public, max-age=3600")
		c.Header("Vary", "Accept-Encoding")
		if strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
			if notModified(c, strings.TrimSuffix(a.etag, `"`)+`-gz"`) {
				return
			}
			c.Header("Content-Encoding", "gzip")
			c.Data(http.StatusOK, a.mediaType, a.gz)
			return
		}
		if notModified(c, a.etag) {
			return
		}
		c.Data(http.StatusOK, a.mediaType, a.raw)
	})
	e.GET("/verify/genesis", s.public, s.pageHeaders, func(c *gin.Context) {
		h, err := s.svc.GenesisHash(c.Request.Context())
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(h))
	})
}

func (a *webAsset) load(path string) {
	if a.raw, a.err = os.ReadFile(path); a.err != nil {
		return
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	_, _ = zw.Write(a.raw)
	a.err = zw.Close()
	a.gz = buf.Bytes()
	a.etag = etagOf(a.raw)
}

// pageHeaders: the page runs only its own scripts (and WebAssembly), talks
// only to this gateway, and cannot be framed.
func (s *Server) pageHeaders(c *gin.Context) {
	c.Header("Content-Security-Policy", "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Next()
}

// wordsJS is the page's vocabulary: the Chinese word of every code a
// record carries (chengnuo.Words), so that the page reads as the
// workbench and the documents do.
func wordsJS() []byte {
	raw, err := json.Marshal(chengnuo.Words())
	if err != nil {
		panic(err) // a map of strings always encodes
	}
	return []byte("// The Chinese words of the records' codes (generated from the domain's words).\n\"use strict\";\nconst WORDS = Object.freeze(" + string(raw) + ");\n")
}
