package gateway

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/notary"
)

// Role of the credit platform's officers.
const RoleCreditOfficer = "credit-officer"

func (s *Server) routesVerification(v1 *gin.RouterGroup) {
	clerk := s.require(RoleClerk)
	reader := s.require(RoleClerk, RoleAuditor)
	v1.POST("/commitments/:id/verification", clerk, s.requestVerification)
	v1.POST("/commitments/:id/outcome", clerk, s.recordOutcome)
	v1.GET("/verification/requests", reader, s.listRequests)
	v1.GET("/verification/inbox", reader, s.inbox)
	v1.GET("/verification/requests/:id", s.public, s.getRequest)
	v1.GET("/verification/requests/:id/details", clerk, s.requestDetails)
	v1.POST("/verification/requests/:id/answer", clerk, s.answer)
	v1.POST("/verification/requests/:id/purge", clerk, s.purgeDetails)

	officer := s.require(RoleCreditOfficer)
	v1.POST("/credit/lookup", officer, s.lookupApplicant)
	v1.GET("/credit/records/:id", officer, s.getCredit)
	v1.POST("/credit/records/:id/repair", officer, s.repairCredit)
	v1.POST("/credit/records/:id/objections", clerk, s.fileObjection)
	v1.POST("/credit/objections/:id/decision", officer, s.decideObjection)

	v1.POST("/samples", clerk, s.drawSample)
	v1.GET("/samples/:id", s.public, s.getSample)

	v1.GET("/public/disclosures", s.public, s.disclosures)

	v1.POST("/catalog/proposals", clerk, s.propose)
	v1.GET("/catalog/proposals/:id", s.public, s.getProposal)
	v1.POST("/catalog/proposals/:id/decision", s.require(RoleCatalogAdmin), s.decideProposal)
}

// respond writes v with status, or the error.
func (s *Server) respond(c *gin.Context, status int, v any, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(status, v)
}

func bind[T any](s *Server, c *gin.Context) (T, bool) {
	var v T
	if err := decodeJSON(c, &v); err != nil {
		s.fail(c, err)
		return v, false
	}
	return v, true
}

func (s *Server) requestVerification(c *gin.Context) {
	req, ok := bind[struct {
		Claim string `json:"claim"`
	}](s, c)
	if !ok {
		return
	}
	r, err := s.opts.Notary.RequestVerification(c.Request.Context(), c.Param("id"), req.Claim)
	s.respond(c, http.StatusCreated, r, err)
}

func (s *Server) recordOutcome(c *gin.Context) {
	req, ok := bind[notary.OutcomeRequest](s, c)
	if !ok {
		return
	}
	r, err := s.opts.Notary.RecordOutcome(c.Request.Context(), c.Param("id"), req)
	s.respond(c, http.StatusOK, r, err)
}

func (s *Server) listRequests(c *gin.Context) {
	side := c.DefaultQuery("side", "to")
	rs, now, err := s.opts.Notary.RequestsView(c.Request.Context(), side, c.Query("state"))
	s.respond(c, http.StatusOK, gin.H{"requests": rs, "ledgerTime": now}, err)
}

func (s *Server) inbox(c *gin.Context) {
	es, err := s.opts.Notary.Inbox(c.Request.Context())
	s.respond(c, http.StatusOK, gin.H{"entries": es}, err)
}

func (s *Server) getRequest(c *gin.Context) {
	r, err := s.opts.Verification.GetVerification(c.Request.Context(), c.Param("id"))
	s.respond(c, http.StatusOK, r, err)
}

func (s *Server) requestDetails(c *gin.Context) {
	d, err := s.opts.Notary.Details(c.Request.Context(), c.Param("id"))
	s.respond(c, http.StatusOK, d, err)
}

func (s *Server) answer(c *gin.Context) {
	req, ok := bind[notary.AnswerRequest](s, c)
	if !ok {
		return
	}
	r, err := s.opts.Notary.Answer(c.Request.Context(), c.Param("id"), req, false)
	s.respond(c, http.StatusOK, r, err)
}

func (s *Server) purgeDetails(c *gin.Context) {
	err := s.opts.Notary.PurgeDetails(c.Request.Context(), c.Param("id"))
	s.respond(c, http.StatusOK, gin.H{"purged": true, "requestId": c.Param("id")}, err)
}

func (s *Server) lookupApplicant(c *gin.Context) {
	req, ok := bind[struct {
		IDType   string `json:"idType"`
		IDNumber string `json:"idNumber"`
	}](s, c)
	if !ok {
		return
	}
	v, err := s.opts.Notary.LookupApplicant(c.Request.Context(), req.IDType, req.IDNumber)
	s.respond(c, http.StatusOK, v, err)
}

func (s *Server) getCredit(c *gin.Context) {
	r, err := s.opts.Verification.GetCredit(c.Request.Context(), c.Param("id"))
	s.respond(c, http.StatusOK, r, err)
}

type reasonBody struct {
	Reason string `json:"reason"`
}

func (s *Server) repairCredit(c *gin.Context) {
	req, ok := bind[reasonBody](s, c)
	if !ok {
		return
	}
	r, err := s.opts.Notary.RepairCredit(c.Request.Context(), c.Param("id"), req.Reason)
	s.respond(c, http.StatusOK, r, err)
}

func (s *Server) fileObjection(c *gin.Context) {
	req, ok := bind[reasonBody](s, c)
	if !ok {
		return
	}
	r, err := s.opts.Notary.FileObjection(c.Request.Context(), c.Param("id"), req.Reason)
	s.respond(c, http.StatusCreated, r, err)
}

func (s *Server) decideObjection(c *gin.Context) {
	req, ok := bind[struct {
		Uphold *bool  `json:"uphold"`
		Reason string `json:"reason"`
	}](s, c)
	if !ok {
		return
	}
	if req.Uphold == nil {
		s.fail(c, chengnuo.Errorf(chengnuo.EINVALID, "uphold (true or false) is required"))
		return
	}
	r, err := s.opts.Verification.DecideObjection(c.Request.Context(), c.Param("id"), *req.Uphold, req.Reason)
	s.respond(c, http.StatusOK, r, err)
}

func (s *Server) drawSample(c *gin.Context) {
	req, ok := bind[struct {
		ItemCode     string    `json:"itemCode"`
		From         time.Time `json:"from"`
		To           time.Time `json:"to"`
		BasePermille int       `json:"basePermille"`
	}](s, c)
	if !ok {
		return
	}
	r, err := s.opts.Verification.DrawSample(c.Request.Context(), req.ItemCode, req.From, req.To, req.BasePermille)
	s.respond(c, http.StatusCreated, r, err)
}

// sampleResult is one selected commitment's current verification state:
// the published results of a draw (一公开).
type sampleResult struct {
	CommitmentID string `json:"commitmentId"`
	Status       string `json:"status"`
	Verification string `json:"verification,omitempty"`
}

func (s *Server) getSample(c *gin.Context) {
	r, err := s.opts.Verification.GetSample(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	results := make([]sampleResult, 0, len(r.Selected))
	for _, id := range r.Selected {
		cm, err := s.opts.Notary.PublicCommitment(c.Request.Context(), id)
		if err != nil {
			s.fail(c, err)
			return
		}
		results = append(results, sampleResult{CommitmentID: id, Status: cm.Status, Verification: cm.Verification})
	}
	c.JSON(http.StatusOK, gin.H{"sample": r, "results": results})
}

func (s *Server) disclosures(c *gin.Context) {
	ds, now, err := s.opts.Notary.Disclosures(c.Request.Context())
	s.respond(c, http.StatusOK, gin.H{"disclosures": ds, "ledgerTime": now, "org": s.opts.MSPID}, err)
}

func (s *Server) propose(c *gin.Context) {
	req, ok := bind[chengnuo.Proposal](s, c)
	if !ok {
		return
	}
	r, err := s.opts.Verification.ProposeItemChange(c.Request.Context(), req)
	s.respond(c, http.StatusCreated, r, err)
}

func (s *Server) getProposal(c *gin.Context) {
	r, err := s.opts.Verification.GetProposal(c.Request.Context(), c.Param("id"))
	s.respond(c, http.StatusOK, r, err)
}

func (s *Server) decideProposal(c *gin.Context) {
	req, ok := bind[struct {
		Approve *bool  `json:"approve"`
		Reason  string `json:"reason"`
	}](s, c)
	if !ok {
		return
	}
	if req.Approve == nil {
		s.fail(c, chengnuo.Errorf(chengnuo.EINVALID, "approve (true or false) is required"))
		return
	}
	r, err := s.opts.Verification.DecideProposal(c.Request.Context(), c.Param("id"), *req.Approve, req.Reason)
	s.respond(c, http.StatusOK, r, err)
}
