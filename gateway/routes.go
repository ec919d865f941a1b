package gateway

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/chengnuo/chengnuo"
)

// Operations is the handler of the gateway's operations listener, which a
// department binds to its monitoring network, never to the public one, as
// Fabric's nodes do: /metrics (Prometheus text), /healthz and /readyz.
func (s *Server) Operations() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.opts.Metrics.Write(w)
	})
	mux.Handle("GET /healthz", s.engine)
	mux.Handle("GET /readyz", s.engine)
	return mux
}

// routes registers every route. Access: public routes are rate limited per
// client; the others need an API key with one of the named roles (the
// chaincode checks the organization on its own).
func (s *Server) routes() {
	e, svc := s.engine, s.svc
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/openapi.yaml", s.public, func(c *gin.Context) { c.Data(http.StatusOK, "application/yaml", OpenAPI) })
	// /metrics is not here: it is served by Operations, on the
	// department's monitoring address, not to the public.
	s.webRoutes()

	v1 := e.Group("/v1")
	clerk := s.require(chengnuo.RoleClerk)
	reader := s.require(chengnuo.RoleClerk, chengnuo.RoleAuditor)
	admin := s.require(chengnuo.RoleCatalogAdmin)
	officer := s.require(chengnuo.RoleCreditOfficer)
	public := s.public

	// Bare anchors.
	v1.POST("/anchors", clerk, serve(s, http.StatusCreated, func(c *gin.Context, r *anchorBody) (any, error) {
		if r.Digest == nil {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "field digest is required")
		}
		d, err := chengnuo.NormalizeDigest(*r.Digest)
		if err != nil {
			return nil, err
		}
		a, err := svc.Anchor(c.Request.Context(), d)
		if err == nil {
			withTx(c, a.TxID)
			c.Header("Location", "/v1/anchors/"+a.Digest)
		}
		return a, err
	}))
	v1.GET("/anchors/:digest", public, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		d, err := chengnuo.NormalizeDigest(c.Param("digest"))
		if err != nil {
			return nil, err
		}
		return svc.FindAnchor(c.Request.Context(), d)
	}))

	// Catalog (目录) and proposals.
	v1.GET("/catalog/items", public, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		l, err := paged(c, func(p chengnuo.Page) (*chengnuo.List[*chengnuo.Item], error) {
			return svc.ListItems(c.Request.Context(), p)
		})
		if err != nil {
			return nil, err
		}
		return listBody("items", *l, nil), nil
	}))
	v1.GET("/catalog/items/:code", public, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		v := 0
		if q := c.Query("version"); q != "" {
			n, err := strconv.Atoi(q)
			if err != nil || n < 1 {
				return nil, chengnuo.Errorf(chengnuo.EINVALID, "version must be a positive integer")
			}
			v = n
		}
		return svc.GetItem(c.Request.Context(), c.Param("code"), v)
	}))
	v1.POST("/catalog/items", admin, serve(s, http.StatusCreated, func(c *gin.Context, it *chengnuo.Item) (any, error) {
		out, err := svc.PublishItem(c.Request.Context(), it)
		if err == nil {
			withTx(c, out.PublishedTx)
		}
		return out, err
	}))
	v1.POST("/catalog/items/:code/retire", admin, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		return svc.RetireItem(c.Request.Context(), c.Param("code"))
	}))
	v1.POST("/catalog/proposals", clerk, serve(s, http.StatusCreated, func(c *gin.Context, p *chengnuo.ProposalRequest) (any, error) {
		return svc.ProposeItemChange(c.Request.Context(), *p)
	}))
	v1.GET("/catalog/proposals", public, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		l, err := paged(c, func(p chengnuo.Page) (*chengnuo.List[*chengnuo.Proposal], error) {
			return svc.Proposals(c.Request.Context(), p)
		})
		if err != nil {
			return nil, err
		}
		return listBody("proposals", *l, nil), nil
	}))
	v1.GET("/catalog/proposals/:id", public, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		return svc.GetProposal(c.Request.Context(), c.Param("id"))
	}))
	v1.POST("/catalog/proposals/:id/decision", admin, serve(s, http.StatusOK, func(c *gin.Context, d *decisionBody) (any, error) {
		if d.Approve == nil {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "approve (true or false) is required")
		}
		return svc.DecideProposal(c.Request.Context(), c.Param("id"), chengnuo.ProposalDecision{Approve: *d.Approve, Reason: d.Reason})
	}))

	// Working days (工作日): the calendars, and the catalog changes to report.
	v1.GET("/calendar/:year", public, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		year, version, err := yearVersion(c)
		if err != nil {
			return nil, err
		}
		return svc.Calendar(c.Request.Context(), year, version)
	}))
	v1.PUT("/calendar/:year", admin, serve(s, http.StatusOK, func(c *gin.Context, b *calendarBody) (any, error) {
		year, _, err := yearVersion(c)
		if err != nil {
			return nil, err
		}
		if b.Year != 0 && b.Year != year {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "the body's year %d is not the path's %d", b.Year, year)
		}
		cal, err := svc.PutCalendar(c.Request.Context(), &chengnuo.Calendar{Year: year, Source: b.Source, Holidays: b.Holidays, Workdays: b.Workdays})
		if err == nil {
			withTx(c, cal.TxID)
		}
		return cal, err
	}))
	v1.GET("/catalog/changes", public, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		l, err := paged(c, func(p chengnuo.Page) (*chengnuo.List[*chengnuo.CatalogChange], error) {
			return svc.CatalogChanges(c.Request.Context(), p)
		})
		if err != nil {
			return nil, err
		}
		return listBody("changes", *l, nil), nil
	}))
	v1.POST("/catalog/changes/:id/report", admin, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		return svc.ReportCatalogChange(c.Request.Context(), c.Param("id"))
	}))

	// Supervision figures (督促检查): public aggregates of the ledger.
	v1.GET("/stats", public, s.stats)

	// Letters (告知承诺书).
	v1.POST("/drafts", clerk, serve(s, http.StatusCreated, func(c *gin.Context, r *chengnuo.DraftRequest) (any, error) {
		return svc.Draft(c.Request.Context(), *r)
	}))
	v1.POST("/commitments", clerk, receiptHandler(s, func(c *gin.Context, r *chengnuo.SubmitRequest) (*chengnuo.Receipt, error) {
		return svc.Submit(c.Request.Context(), *r)
	}))
	v1.POST("/commitments/paper", clerk, receiptHandler(s, func(c *gin.Context, r *chengnuo.PaperRequest) (*chengnuo.Receipt, error) {
		return svc.SubmitPaper(c.Request.Context(), *r)
	}))
	v1.GET("/commitments/:id", reader, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		return svc.Commitment(c.Request.Context(), c.Param("id"))
	}))
	v1.GET("/commitments/:id/receipt.png", reader, s.receiptPNG)
	s.documentRoutes(v1, reader)
	v1.POST("/commitments/:id/withdraw", clerk, serve(s, http.StatusOK, func(c *gin.Context, r *reasonBody) (any, error) {
		return svc.Withdraw(c.Request.Context(), c.Param("id"), r.Reason)
	}))
	v1.POST("/commitments/:id/conclude", clerk, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		return svc.Conclude(c.Request.Context(), c.Param("id"))
	}))

	// Public verification.
	v1.POST("/verify", public, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		raw, err := readBody(c)
		if err != nil {
			return nil, err
		}
		l, ok := letterOnly(raw)
		if !ok {
			var r verifyBody
			if err := decodeJSONBytes(raw, &r); err != nil {
				return nil, err
			}
			if r.Letter == nil {
				return nil, chengnuo.Errorf(chengnuo.EINVALID, "field letter is required")
			}
			l = []byte(*r.Letter)
		}
		return svc.VerifyLetter(c.Request.Context(), l)
	}))
	v1.POST("/verify/file", public, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		// The limitBody middleware already caps the body; the service
		// hashes the file as it reads it.
		res, err := svc.VerifyFile(c.Request.Context(), c.Request.Body, MaxScanBodyBytes)
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, chengnuo.Errorf(chengnuo.ETOOLARGE, "file exceeds %d bytes", MaxScanBodyBytes)
		}
		return res, err
	}))
	v1.GET("/verify/:digest", public, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		return svc.VerifyDigest(c.Request.Context(), c.Param("digest"))
	}))
	v1.GET("/verify/:digest/proof", public, s.proof(func(c *gin.Context) ([]byte, error) {
		return svc.DigestProof(c.Request.Context(), c.Param("digest"))
	}))
	v1.GET("/commitments/:id/proof", public, s.proof(func(c *gin.Context) ([]byte, error) {
		return svc.CommitmentProof(c.Request.Context(), c.Param("id"))
	}))
	v1.GET("/public/commitments/:id", public, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		return svc.PublicCommitment(c.Request.Context(), c.Param("id"))
	}))
	v1.GET("/public/disclosures", public, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		l, err := paged(c, func(p chengnuo.Page) (*chengnuo.DisclosureList, error) {
			return svc.Disclosures(c.Request.Context(), p)
		})
		if err != nil {
			return nil, err
		}
		return listBody("disclosures", l.List, gin.H{"ledgerTime": l.LedgerTime, "org": l.Org}), nil
	}))

	// Assisted verification (协助核查) and outcomes.
	v1.POST("/commitments/:id/verification", clerk, serve(s, http.StatusCreated, func(c *gin.Context, r *claimBody) (any, error) {
		return svc.RequestVerification(c.Request.Context(), c.Param("id"), r.Claim)
	}))
	v1.POST("/commitments/:id/outcome", clerk, serve(s, http.StatusOK, func(c *gin.Context, r *chengnuo.OutcomeRequest) (any, error) {
		return svc.RecordOutcome(c.Request.Context(), c.Param("id"), *r)
	}))
	v1.GET("/verification/requests", reader, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		f := chengnuo.RequestFilter{Side: c.DefaultQuery("side", "to"), State: c.Query("state")}
		l, err := paged(c, func(p chengnuo.Page) (*chengnuo.RequestList, error) { return svc.Requests(c.Request.Context(), f, p) })
		if err != nil {
			return nil, err
		}
		urgent := l.Urgent
		if urgent == nil {
			urgent = map[string]string{}
		}
		return listBody("requests", l.List, gin.H{"ledgerTime": l.LedgerTime, "urgent": urgent}), nil
	}))
	v1.GET("/verification/inbox", reader, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		l, err := paged(c, func(p chengnuo.Page) (*chengnuo.List[*chengnuo.InboxEntry], error) {
			return svc.Inbox(c.Request.Context(), p)
		})
		if err != nil {
			return nil, err
		}
		return listBody("entries", *l, nil), nil
	}))
	v1.GET("/verification/requests/:id", public, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		return svc.GetVerification(c.Request.Context(), c.Param("id"))
	}))
	v1.GET("/verification/requests/:id/details", clerk, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		return svc.Details(c.Request.Context(), c.Param("id"))
	}))
	v1.POST("/verification/requests/:id/answer", clerk, serve(s, http.StatusOK, func(c *gin.Context, r *chengnuo.AnswerRequest) (any, error) {
		return svc.Answer(c.Request.Context(), c.Param("id"), *r)
	}))
	v1.POST("/verification/requests/:id/purge", clerk, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		if err := svc.PurgeDetails(c.Request.Context(), c.Param("id")); err != nil {
			return nil, err
		}
		return gin.H{"purged": true, "requestId": c.Param("id")}, nil
	}))

	// Texts: reasons, decisions, evidence — to the departments that wrote
	// them or are entitled to them.
	v1.GET("/texts/:digest", reader, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		return svc.Text(c.Request.Context(), c.Param("digest"))
	}))

	// The department's own audit of its store against the ledger.
	v1.GET("/audit", s.require(chengnuo.RoleAuditor), get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		return paged(c, func(p chengnuo.Page) (*chengnuo.AuditReport, error) { return svc.Audit(c.Request.Context(), p) })
	}))

	// Credit (信用).
	v1.POST("/credit/lookup", officer, serve(s, http.StatusOK, func(c *gin.Context, r *lookupBody) (any, error) {
		return paged(c, func(p chengnuo.Page) (*chengnuo.ApplicantView, error) {
			return svc.LookupApplicant(c.Request.Context(), r.IDType, r.IDNumber, p)
		})
	}))
	v1.GET("/credit/objections", officer, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		l, err := paged(c, func(p chengnuo.Page) (*chengnuo.List[*chengnuo.Objection], error) {
			return svc.Objections(c.Request.Context(), p)
		})
		if err != nil {
			return nil, err
		}
		return listBody("objections", *l, nil), nil
	}))
	v1.GET("/credit/records/:id", officer, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		return svc.GetCredit(c.Request.Context(), c.Param("id"))
	}))
	v1.POST("/credit/records/:id/repair", officer, serve(s, http.StatusOK, func(c *gin.Context, r *reasonBody) (any, error) {
		return svc.RepairCredit(c.Request.Context(), c.Param("id"), r.Reason)
	}))
	v1.POST("/credit/records/:id/objections", clerk, serve(s, http.StatusCreated, func(c *gin.Context, r *reasonBody) (any, error) {
		return svc.FileObjection(c.Request.Context(), c.Param("id"), r.Reason)
	}))
	v1.POST("/credit/objections/:id/decision", officer, serve(s, http.StatusOK, func(c *gin.Context, d *upholdBody) (any, error) {
		if d.Uphold == nil {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "uphold (true or false) is required")
		}
		return svc.DecideObjection(c.Request.Context(), c.Param("id"), chengnuo.ObjectionDecision{Uphold: *d.Uphold, Reason: d.Reason})
	}))

	// Random sampling (双随机).
	v1.POST("/samples", clerk, serve(s, http.StatusCreated, func(c *gin.Context, r *chengnuo.SampleRequest) (any, error) {
		return svc.DrawSample(c.Request.Context(), *r)
	}))
	v1.GET("/samples/:id", public, get(s, http.StatusOK, func(c *gin.Context) (any, error) {
		return paged(c, func(p chengnuo.Page) (*chengnuo.SampleView, error) {
			return svc.Sample(c.Request.Context(), c.Param("id"), p)
		})
	}))
}

// calendarBody is a year's calendar as the catalog authority gives it.
type calendarBody struct {
	Year     int      `json:"year"`
	Source   string   `json:"source"`
	Holidays []string `json:"holidays"`
	Workdays []string `json:"workdays"`
}

// yearVersion reads a calendar's year (path) and version (query, 0: current).
func yearVersion(c *gin.Context) (int, int, error) {
	year, err := strconv.Atoi(c.Param("year"))
	if err != nil || year < 2000 || year > 2100 {
		return 0, 0, chengnuo.Errorf(chengnuo.EINVALID, "the year must be 2000 to 2100")
	}
	version := 0
	if q := c.Query("version"); q != "" {
		if version, err = strconv.Atoi(q); err != nil || version < 1 {
			return 0, 0, chengnuo.Errorf(chengnuo.EINVALID, "version must be a positive integer")
		}
	}
	return year, version, nil
}

type anchorBody struct {
	Digest *string `json:"digest"`
}

type verifyBody struct {
	Letter *string `json:"letter"`
}

type reasonBody struct {
	Reason string `json:"reason"`
}

type claimBody struct {
	Claim string `json:"claim"`
}

type lookupBody struct {
	IDType   string `json:"idType"`
	IDNumber string `json:"idNumber"`
}

type decisionBody struct {
	Approve *bool  `json:"approve"`
	Reason  string `json:"reason"`
}

type upholdBody struct {
	Uphold *bool  `json:"uphold"`
	Reason string `json:"reason"`
}

// receiptBody is the answer to a submission: the receipt and where its QR code is.
// receiptHandler answers a submission with its receipt: 201 when the
// letter is anchored, 202 (with Location: the public lookup to poll) when
// it is stored and will be anchored in the background.
func receiptHandler[Req any](s *Server, submit func(*gin.Context, *Req) (*chengnuo.Receipt, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req Req
		if err := decodeJSON(c, &req); err != nil {
			s.fail(c, err)
			return
		}
		r, err := submit(c, &req)
		if err != nil {
			s.fail(c, err)
			return
		}
		withTx(c, r.TxID)
		base := "/v1/commitments/" + r.CommitmentID
		body := gin.H{"receipt": r, "receiptPng": base + "/receipt.png", "receiptPdf": base + "/receipt.pdf", "letterPdf": base + "/letter.pdf"}
		if r.Status == chengnuo.StatusPending {
			poll := "/v1/verify/" + r.LetterDigest
			body["poll"] = poll
			c.Header("Location", poll)
			c.JSON(http.StatusAccepted, body)
			return
		}
		c.JSON(http.StatusCreated, body)
	}
}

// receiptPNG renders a QR code holding what a verifier needs: the
// commitment id and the letter digest (no personal data).
func (s *Server) receiptPNG(c *gin.Context) {
	v, err := s.svc.Commitment(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	// The QR code opens the public verification page with the receipt number.
	png, err := qrcode.Encode(s.pageURL(c)+"?id="+url.QueryEscape(v.Letter.ID), qrcode.Medium, 256)
	if err != nil {
		s.fail(c, chengnuo.Internal("could not render the QR code", err))
		return
	}
	c.Data(http.StatusOK, "image/png", png)
}

// pageURL is the public verification page's address: at the configured
// public URL, else as the client reached this gateway (the scheme a
// trusted proxy reports, else the connection's).
func (s *Server) pageURL(c *gin.Context) string {
	if s.opts.PublicURL != "" {
		return strings.TrimRight(s.opts.PublicURL, "/") + "/verify"
	}
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	if p := c.GetHeader("X-Forwarded-Proto"); (p == "https" || p == "http") && c.ClientIP() != c.RemoteIP() {
		scheme = p
	}
	return scheme + "://" + c.Request.Host + "/verify"
}
