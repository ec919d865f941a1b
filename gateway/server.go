// Package gateway is a department's HTTP API (Gin). It depends on the
// domain only: it serves a chengnuo.Service, which cmd/ wires to the
// application service and tests replace with fakes. Every handler has one
// shape — bind, call the service, respond — and every error is mapped to
// an HTTP status once, in statusOf.
package gateway

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"github.com/chengnuo/chengnuo/metrics"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chengnuo/chengnuo"
)

// OpenAPI is the API's OpenAPI 3 document, served at /openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte

// DefaultMaxBodyBytes is the documented request body limit.
const DefaultMaxBodyBytes = 64 << 10

// MaxScanBodyBytes is the body limit of the routes that carry a scanned
// paper letter (base64 in JSON, or raw bytes).
const MaxScanBodyBytes = 12 << 20

// Options configures a Server.
type Options struct {
	Service      chengnuo.Service
	APIKeys      []chengnuo.APIKey // clients of the protected routes
	PublicRate   float64           // requests per second per client on public routes; default 20
	PublicBurst  int               // default 40
	Logger       *slog.Logger
	MSPID        string        // the department this gateway speaks for, shown in /healthz
	MaxBodyBytes int64         // default DefaultMaxBodyBytes
	ReadyTimeout time.Duration // how long /readyz waits for the ledger; default 3 s
	// RequestTimeout bounds the work of one request (default 60 s); the
	// request's context also ends when its client goes away.
	RequestTimeout time.Duration
	// TrustedProxies are the reverse proxies (CIDRs or addresses) whose
	// X-Forwarded-For names the client for rate limiting; none by default:
	// the peer address is the client.
	TrustedProxies []string
	// Metrics is the registry /metrics serves; the gateway adds its request
	// counts and latencies. Nil: a registry of its own.
	Metrics *metrics.Registry
	// WebDir holds the public page's WebAssembly verifier (chengnuo.wasm)
	// and Go's wasm_exec.js; without them the page still looks letters up.
	WebDir string
	// MaxClients is how many clients the public rate limit remembers
	// (default DefaultMaxClients); the least recently seen is forgotten.
	MaxClients int
	// BodyTimeout bounds the time to read a request body (default 15 s);
	// ScanBodyTimeout that of a route carrying a scan (default 2 min). A
	// client that sends slower is cut off: a slow body holds no more than
	// what it has sent, for no longer than this.
	BodyTimeout, ScanBodyTimeout time.Duration
	// PublicURL is the address the public reaches this gateway at (e.g.
	// https://chengnuo.market.example.gov.cn): the QR codes of the
	// documents and receipts open its /verify page. Empty: the address the
	// client used.
	PublicURL string
	// MaxProofs is how many proof bundles the gateway builds at once
	// (default 4); beyond it a proof request is answered 503 at once. A
	// bundle's cost grows with the chain (every header down to the genesis).
	MaxProofs int
}

// Server routes HTTP requests to the service.
type Server struct {
	opts   Options
	svc    chengnuo.Service
	log    *slog.Logger
	engine *gin.Engine
	limit  *limiter
	reqs   *metrics.Counter
	lat    *metrics.Histogram
	// proofs holds a token for each proof being built (MaxProofs).
	proofs        chan struct{}
	proofsRefused *metrics.Counter
	// routeLabels holds each registered route's metric label, "GET
	// /v1/verify/:digest", made once: read-only once New returns.
	routeLabels map[routeKey]string
}

type routeKey struct{ method, path string }

// latencyBounds are the upper bounds of the request latency histogram's
// buckets. The service's goals are among them, so that a dashboard reads
// the share within each straight from its bucket: 20 ms for a public
// verification and 1 s for a letter (issue 10); a letter's usual 0.3-1 s
// is cut finer.
var latencyBounds = []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .4, .6, .8, 1, 1.5, 2.5, 5, 10, 30}

func init() { gin.SetMode(gin.ReleaseMode) }

// New builds a Server with its routes.
func New(opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = 3 * time.Second
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 60 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PublicRate <= 0 {
		opts.PublicRate, opts.PublicBurst = 20, 40
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.New()
	}
	if opts.MaxClients <= 0 {
		opts.MaxClients = DefaultMaxClients
	}
	if opts.BodyTimeout <= 0 {
		opts.BodyTimeout = 15 * time.Second
	}
	if opts.ScanBodyTimeout <= 0 {
		opts.ScanBodyTimeout = 2 * time.Minute
	}
	if opts.MaxProofs <= 0 {
		opts.MaxProofs = 4
	}
	s := &Server{opts: opts, svc: opts.Service, log: opts.Logger, engine: gin.New(),
		limit:  newLimiter(opts.PublicRate, max(opts.PublicBurst, 1), opts.MaxClients),
		proofs: make(chan struct{}, opts.MaxProofs),
		proofsRefused: opts.Metrics.Counter("chengnuo_proofs_refused_total",
			"proof requests answered 503 because MaxProofs bundles were being built"),
		reqs: opts.Metrics.Counter("chengnuo_http_requests_total", "HTTP requests by route and status", "route", "code"),
		lat: opts.Metrics.Histogram("chengnuo_http_request_duration_seconds", "HTTP request latency by route",
			latencyBounds, "route")}
	s.engine.HandleMethodNotAllowed = true
	if err := s.engine.SetTrustedProxies(opts.TrustedProxies); err != nil {
		s.log.Error("trusted proxies ignored", slog.String("error", err.Error()))
		_ = s.engine.SetTrustedProxies(nil)
	}
	s.engine.Use(s.requestID, s.accessLog, s.recover, s.deadline, s.limitBody)
	s.engine.NoRoute(func(c *gin.Context) {
		s.fail(c, chengnuo.Errorf(chengnuo.ENOTFOUND, "no route %s %s", c.Request.Method, c.Request.URL.Path))
	})
	s.engine.NoMethod(func(c *gin.Context) {
		s.fail(c, chengnuo.Errorf(chengnuo.EMETHOD, "method %s is not allowed here", c.Request.Method))
	})
	s.routes()
	s.routeLabels = map[routeKey]string{}
	for _, r := range s.engine.Routes() {
		s.routeLabels[routeKey{r.Method, r.Path}] = r.Method + " " + r.Path
	}
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Routes lists the registered routes (method and path), for documentation checks.
func (s *Server) Routes() gin.RoutesInfo { return s.engine.Routes() }

// requestIDRE is what a caller's X-Request-Id may look like; anything else
// is replaced, so logs and headers never echo arbitrary input.
var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

const (
	ctxRequestID = "requestId"
	ctxTxID      = "txId"
)

func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if !requestIDRE.MatchString(id) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	label, ok := s.routeLabels[routeKey{c.Request.Method, route}]
	if !ok {
		label = c.Request.Method + " " + route
	}
	s.reqs.Inc(label, statusLabel(c.Writer.Status()))
	s.lat.Observe(time.Since(start).Seconds(), label)
	level := slog.LevelInfo
	switch st := c.Writer.Status(); {
	case st >= 500:
		level = slog.LevelError
	case st < 300 && (c.Request.Method == http.MethodGet || readRoutes[route]):
		// Successful reads (public verification can run at thousands per
		// second) are logged only at debug level; writes and every failure
		// always are.
		level = slog.LevelDebug
	}
	if !s.log.Enabled(c.Request.Context(), level) {
		return
	}
	attrs := []any{
		slog.String("requestId", c.GetString(ctxRequestID)),
		slog.String("method", c.Request.Method),
		slog.String("path", c.FullPath()),
		slog.Int("status", c.Writer.Status()),
		slog.Duration("duration", time.Since(start)),
	}
	if tx := c.GetString(ctxTxID); tx != "" {
		attrs = append(attrs, slog.String("txId", tx))
	}
	s.log.Log(c.Request.Context(), level, "request", attrs...)
}

// statusLabels are the HTTP statuses as metric label values, made once.
var statusLabels = func() (l [600]string) {
	for i := range l {
		l[i] = strconv.Itoa(i)
	}
	return l
}()

func statusLabel(st int) string {
	if st >= 0 && st < len(statusLabels) {
		return statusLabels[st]
	}
	return strconv.Itoa(st)
}

// readRoutes are the POST routes that only read: public verification of a
// letter or a file posted in the body.
var readRoutes = map[string]bool{"/v1/verify": true, "/v1/verify/file": true}

func (s *Server) recover(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic", slog.String("requestId", c.GetString(ctxRequestID)), slog.Any("panic", r))
			s.fail(c, chengnuo.Errorf(chengnuo.EINTERNAL, "internal error"))
		}
	}()
	c.Next()
}

// deadline bounds a request's work; its context already ends when the
// client goes away.
func (s *Server) deadline(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.opts.RequestTimeout)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

const ctxBodyLimit = "bodyLimit"

// limitBody caps the request body at the route's limit and bounds the time
// to read it. A body declared longer than the limit is refused before a
// byte of it is read.
func (s *Server) limitBody(c *gin.Context) {
	limit, timeout := s.opts.MaxBodyBytes, s.opts.BodyTimeout
	switch c.FullPath() {
	case "/v1/commitments/paper", "/v1/verify/file":
		limit, timeout = MaxScanBodyBytes, s.opts.ScanBodyTimeout
	}
	c.Set(ctxBodyLimit, limit)
	if c.Request.ContentLength > limit {
		s.fail(c, chengnuo.Errorf(chengnuo.ETOOLARGE, "request body exceeds %d bytes", limit))
		return
	}
	if c.Request.Body != nil && c.Request.Body != http.NoBody {
		// Not supported under httptest's recorder; a real connection has it.
		_ = http.NewResponseController(c.Writer).SetReadDeadline(time.Now().Add(timeout))
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	}
	c.Next()
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok", "org": s.opts.MSPID})
}

func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.opts.ReadyTimeout)
	defer cancel()
	if err := s.svc.Ping(ctx); err != nil {
		s.fail(c, &chengnuo.Error{Code: chengnuo.EUNAVAILABLE, Message: "ledger not ready: " + chengnuo.ErrorMessage(err), Err: err})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "org": s.opts.MSPID})
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	TxID    string `json:"txId,omitempty"`
	Record  any    `json:"record,omitempty"`
}

// statusOf maps domain error codes to HTTP statuses: the only such mapping.
var statusOf = map[string]int{
	chengnuo.EINVALID:      http.StatusBadRequest,
	chengnuo.ENOTFOUND:     http.StatusNotFound,
	chengnuo.ECONFLICT:     http.StatusConflict,
	chengnuo.EABORTED:      http.StatusConflict,
	chengnuo.EFORBIDDEN:    http.StatusForbidden,
	chengnuo.EUNAUTHORIZED: http.StatusUnauthorized,
	chengnuo.EMETHOD:       http.StatusMethodNotAllowed,
	chengnuo.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	chengnuo.ERATELIMITED:  http.StatusTooManyRequests,
	chengnuo.EUNAVAILABLE:  http.StatusServiceUnavailable,
	chengnuo.EPOLICY:       http.StatusBadGateway,
	chengnuo.EINELIGIBLE:   http.StatusUnprocessableEntity,
	chengnuo.EINTERNAL:     http.StatusInternalServerError,
}

// HTTPStatus returns the HTTP status for a domain error code.
func HTTPStatus(code string) int {
	if st, ok := statusOf[code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// fail writes err as the error body. Internal causes go to the log with the
// request id, never to the client; an INTERNAL error's message is replaced
// by a generic one that names the request id.
func (s *Server) fail(c *gin.Context, err error) {
	code := chengnuo.ErrorCode(err)
	body := errorBody{Code: code, Message: chengnuo.ErrorMessage(err)}
	if e, ok := errors.AsType[*chengnuo.Error](err); ok {
		body.TxID = e.TxID
		body.Record = e.Detail
	}
	if body.TxID != "" {
		c.Set(ctxTxID, body.TxID)
	}
	status := HTTPStatus(code)
	if status >= 500 {
		s.log.Error("request failed", slog.String("requestId", c.GetString(ctxRequestID)), slog.String("code", code),
			slog.String("error", err.Error()))
	}
	if code == chengnuo.EINTERNAL {
		body.Message = "internal error (request " + c.GetString(ctxRequestID) + ")"
	}
	if code == chengnuo.EABORTED || code == chengnuo.EUNAVAILABLE {
		c.Header("Retry-After", "1")
	}
	c.AbortWithStatusJSON(status, body)
}
