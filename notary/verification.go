package notary

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/sm"
)

// InboxEntry is a verification request addressed to this department, as
// its gateway learned of it from the ledger's events.
type InboxEntry struct {
	Request    *chengnuo.VerificationRequest `json:"request"`
	ReceivedAt time.Time                     `json:"receivedAt"`
	Handled    bool                          `json:"handled"`
	Handlings  int                           `json:"handlings"` // how often it was handled; stays 1
	Note       string                        `json:"note,omitempty"`
	Registry   *AnswerRequest                `json:"registry,omitempty"` // the registry's answer, kept before submitting it
}

// Outgoing is a request's details waiting to be delivered to the target.
type Outgoing struct {
	Request   *chengnuo.VerificationRequest `json:"request"`
	Details   []byte                        `json:"details"`
	Delivered bool                          `json:"delivered"`
}

// VerificationStore keeps a department's side of assisted verification.
type VerificationStore interface {
	PutOutgoing(ctx context.Context, o *Outgoing) error
	MarkDelivered(ctx context.Context, requestID string) error
	Undelivered(ctx context.Context) ([]*Outgoing, error)
	// PutInbox stores a received request; false if it was already there.
	PutInbox(ctx context.Context, e *InboxEntry) (bool, error)
	// MarkHandled marks an inbox entry handled; false if it already was.
	MarkHandled(ctx context.Context, requestID, note string) (bool, error)
	// InboxEntry returns one entry, or ENOTFOUND.
	InboxEntry(ctx context.Context, requestID string) (*InboxEntry, error)
	// SetRegistryAnswer keeps the registry's answer of an entry.
	SetRegistryAnswer(ctx context.Context, requestID string, a AnswerRequest) error
	Inbox(ctx context.Context) ([]*InboxEntry, error)
}

func (s *Service) vledger() (chengnuo.VerificationLedger, error) {
	if s.cfg.Verification == nil {
		return nil, chengnuo.Errorf(chengnuo.EUNAVAILABLE, "verification is not configured on this gateway")
	}
	return s.cfg.Verification, nil
}

func (s *Service) vstore() (VerificationStore, error) {
	vs, ok := s.store.(VerificationStore)
	if !ok {
		return nil, chengnuo.Errorf(chengnuo.EUNAVAILABLE, "this gateway's store cannot keep verification state")
	}
	return vs, nil
}

// applicantOf returns the applicant of a stored letter.
func applicantOf(st *StoredLetter) (*letter.Applicant, error) {
	if st.Applicant != nil {
		return st.Applicant, nil
	}
	l, err := letter.Parse([]byte(st.Canonical))
	if err != nil {
		return nil, err
	}
	return &l.Applicant, nil
}

// RequestVerification asks the item's verifying department to check one of
// this department's commitments. The public request goes on the ledger; the
// details (who and what to check) go only to the target department.
func (s *Service) RequestVerification(ctx context.Context, commitmentID, claim string) (*chengnuo.VerificationRequest, error) {
	vl, err := s.vledger()
	if err != nil {
		return nil, err
	}
	vs, err := s.vstore()
	if err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(claim)); n < 2 || n > 2000 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "claim (what to check) must be 2 to 2000 characters")
	}
	st, err := s.store.Get(ctx, commitmentID)
	if err != nil {
		return nil, err
	}
	a, err := applicantOf(st)
	if err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	details, err := json.Marshal(chengnuo.RequestDetails{CommitmentID: commitmentID, Name: a.Name, IDType: a.IDType,
		IDNumber: a.IDNumber, Claim: claim, Salt: hex.EncodeToString(salt)})
	if err != nil {
		return nil, err
	}
	req, err := vl.RequestVerification(ctx, commitmentID, sm.SM3Hex(details))
	if err != nil {
		return nil, err
	}
	if err := vs.PutOutgoing(ctx, &Outgoing{Request: req, Details: details}); err != nil {
		return nil, err
	}
	if err := s.deliver(ctx, req, details); err != nil {
		s.log.Warn("details not delivered yet; will retry", slog.String("request", req.ID), slog.String("error", err.Error()))
	}
	return req, nil
}

func (s *Service) deliver(ctx context.Context, req *chengnuo.VerificationRequest, details []byte) error {
	if err := s.cfg.Verification.DeliverDetails(ctx, req, details); err != nil {
		return err
	}
	vs, err := s.vstore()
	if err != nil {
		return err
	}
	return vs.MarkDelivered(ctx, req.ID)
}

// RedeliverDetails retries the details of requests whose delivery failed.
func (s *Service) RedeliverDetails(ctx context.Context) error {
	if s.cfg.Verification == nil {
		return nil
	}
	vs, err := s.vstore()
	if err != nil {
		return err
	}
	pending, err := vs.Undelivered(ctx)
	if err != nil {
		return err
	}
	for _, o := range pending {
		if err := s.deliver(ctx, o.Request, o.Details); err != nil {
			return err
		}
	}
	return nil
}

// AnswerRequest is the target department's answer (or written refusal).
type AnswerRequest struct {
	Result        string `json:"result"`
	Evidence      string `json:"evidence"` // kept here; only its SM3 goes on the ledger
	DeclineReason string `json:"declineReason"`
}

// Answer records this department's answer to a request addressed to it.
func (s *Service) Answer(ctx context.Context, requestID string, a AnswerRequest, automatic bool) (*chengnuo.VerificationRequest, error) {
	vl, err := s.vledger()
	if err != nil {
		return nil, err
	}
	ans := chengnuo.Answer{Result: a.Result, DeclineReason: a.DeclineReason, Automatic: automatic}
	if a.DeclineReason == "" {
		if a.Evidence == "" {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "an answer needs its evidence (or a declineReason)")
		}
		ans.EvidenceDigest = sm.SM3Hex([]byte(a.Evidence))
	}
	r, err := vl.AnswerVerification(ctx, requestID, ans)
	if err != nil {
		return nil, err
	}
	if vs, err := s.vstore(); err == nil {
		if _, err := vs.MarkHandled(ctx, requestID, "answered "+r.Status); err != nil && chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
			return nil, err
		}
	}
	return r, nil
}

// PurgeDetails removes an answered request's details from this
// department's private collection.
func (s *Service) PurgeDetails(ctx context.Context, requestID string) error {
	vl, err := s.vledger()
	if err != nil {
		return err
	}
	r, err := vl.GetVerification(ctx, requestID)
	if err != nil {
		return err
	}
	return vl.PurgeDetails(ctx, r)
}

// Details returns a request's details to the target department.
func (s *Service) Details(ctx context.Context, requestID string) (*chengnuo.RequestDetails, error) {
	vl, err := s.vledger()
	if err != nil {
		return nil, err
	}
	return vl.GetRequestDetails(ctx, requestID)
}

// RequestsView lists requests to or from this department, with a state
// filter (pending, overdue, all) judged by ledger time.
func (s *Service) RequestsView(ctx context.Context, side, state string) ([]*chengnuo.VerificationRequest, time.Time, error) {
	vl, err := s.vledger()
	if err != nil {
		return nil, time.Time{}, err
	}
	if side != "to" && side != "from" {
		return nil, time.Time{}, chengnuo.Errorf(chengnuo.EINVALID, "side must be to or from")
	}
	all, err := vl.ListRequests(ctx, side)
	if err != nil {
		return nil, time.Time{}, err
	}
	now, err := vl.LedgerTime(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	out := []*chengnuo.VerificationRequest{}
	for _, r := range all {
		pending := r.Status == chengnuo.RequestPending
		overdue := (pending && now.After(r.DueAt)) || (r.Answer != nil && r.Answer.Overdue)
		switch state {
		case "", "all":
		case "pending":
			if !pending {
				continue
			}
		case "overdue":
			if !overdue {
				continue
			}
		default:
			return nil, time.Time{}, chengnuo.Errorf(chengnuo.EINVALID, "state must be pending, overdue or all")
		}
		out = append(out, r)
	}
	return out, now, nil
}

// Inbox lists the requests this gateway received through ledger events.
func (s *Service) Inbox(ctx context.Context) ([]*InboxEntry, error) {
	vs, err := s.vstore()
	if err != nil {
		return nil, err
	}
	return vs.Inbox(ctx)
}

// HandleRequested processes one VerificationRequested event. It is
// idempotent: a replayed event (after a restart before the checkpoint was
// saved) finds the entry handled and does nothing.
func (s *Service) HandleRequested(ctx context.Context, r *chengnuo.VerificationRequest) error {
	if r.To != s.cfg.MSPID {
		return nil
	}
	vs, err := s.vstore()
	if err != nil {
		return err
	}
	if _, err := vs.PutInbox(ctx, &InboxEntry{Request: r, ReceivedAt: s.cfg.Now().UTC()}); err != nil {
		return err
	}
	if s.cfg.Webhook == "" {
		_, err := vs.MarkHandled(ctx, r.ID, "queued for a clerk")
		return err
	}
	e, err := vs.InboxEntry(ctx, r.ID)
	if err != nil {
		return err
	}
	if e.Handled {
		return nil // a replayed event
	}
	// Answered already (a replay after the answer committed): just mark it.
	if cur, err := s.cfg.Verification.GetVerification(ctx, r.ID); err == nil && cur.Status != chengnuo.RequestPending {
		_, err := vs.MarkHandled(ctx, r.ID, "answered "+cur.Status)
		return err
	}
	note, err := s.autoAnswer(ctx, r, e)
	if err != nil {
		return err
	}
	_, err = vs.MarkHandled(ctx, r.ID, note)
	return err
}

// webhookAnswer is what the department's registry answers.
type webhookAnswer struct {
	Result   string `json:"result"`
	Evidence string `json:"evidence"`
}

// autoAnswer asks the department's registry (online verification) and
// records its answer. The details arrive in a transaction of their own, so
// they are awaited for a bounded time.
func (s *Service) autoAnswer(ctx context.Context, r *chengnuo.VerificationRequest, e *InboxEntry) (string, error) {
	// The registry's answer is kept before it is submitted, so a restart
	// between the two submits the kept answer instead of asking again.
	if e.Registry != nil {
		return s.submitRegistryAnswer(ctx, r, *e.Registry)
	}
	var d *chengnuo.RequestDetails
	deadline := time.Now().Add(30 * time.Second)
	for {
		var err error
		d, err = s.Details(ctx, r.ID)
		if err == nil {
			break
		}
		if chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND || time.Now().After(deadline) {
			return "", fmt.Errorf("details of %s: %w", r.ID, err)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	body, _ := json.Marshal(map[string]any{"requestId": r.ID, "commitmentId": r.CommitmentID, "itemCode": r.ItemCode,
		"claim": d.Claim, "name": d.Name, "idType": d.IDType, "idNumber": d.IDNumber})
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(hctx, "POST", s.cfg.Webhook, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("registry webhook: %w", err)
	}
	defer res.Body.Close()
	var wa webhookAnswer
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&wa) != nil ||
		!slices.Contains([]string{chengnuo.AnswerConsistent, chengnuo.AnswerInconsistent, chengnuo.AnswerUnable}, wa.Result) {
		return "", fmt.Errorf("registry webhook answered %d without a valid result", res.StatusCode)
	}
	if wa.Evidence == "" {
		wa.Evidence = "registry answer " + wa.Result
	}
	vs, err := s.vstore()
	if err != nil {
		return "", err
	}
	ra := AnswerRequest{Result: wa.Result, Evidence: wa.Evidence}
	if err := vs.SetRegistryAnswer(ctx, r.ID, ra); err != nil {
		return "", err
	}
	return s.submitRegistryAnswer(ctx, r, ra)
}

func (s *Service) submitRegistryAnswer(ctx context.Context, r *chengnuo.VerificationRequest, ra AnswerRequest) (string, error) {
	_, err := s.Answer(ctx, r.ID, ra, true)
	if chengnuo.ErrorCode(err) == chengnuo.ECONFLICT {
		return "already answered", nil
	}
	if err != nil {
		return "", err
	}
	return "answered automatically: " + ra.Result, nil
}

// OutcomeRequest is the anchoring department's conclusion.
type OutcomeRequest struct {
	Result    string             `json:"result"`
	Reason    string             `json:"reason"`
	RequestID string             `json:"requestId"`
	Disposal  *chengnuo.Disposal `json:"disposal"`
	Level     string             `json:"level"`
}

// RecordOutcome records VERIFIED, FALSE (with disposal and level), UNVERIFIABLE
// (with reason) or EXEMPT for one of this department's commitments.
func (s *Service) RecordOutcome(ctx context.Context, commitmentID string, o OutcomeRequest) (*chengnuo.Commitment, error) {
	vl, err := s.vledger()
	if err != nil {
		return nil, err
	}
	out := chengnuo.Outcome{Result: o.Result, RequestID: o.RequestID, Disposal: o.Disposal, Level: o.Level}
	if o.Reason != "" {
		out.ReasonDigest = sm.SM3Hex([]byte(o.Reason))
	}
	c, err := vl.RecordOutcome(ctx, commitmentID, out)
	if err != nil {
		return nil, err
	}
	if o.Reason != "" {
		if err := s.store.AddNote(ctx, commitmentID, Note{Status: o.Result, Text: o.Reason, At: c.Outcome.At}); err != nil && chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
			return nil, err
		}
	}
	return c, nil
}

// LookupApplicant is the credit platform's lookup by ID type and number:
// the gateway computes the applicant key, the ledger never sees the number.
func (s *Service) LookupApplicant(ctx context.Context, idType, idNumber string) (*chengnuo.ApplicantView, error) {
	vl, err := s.vledger()
	if err != nil {
		return nil, err
	}
	n := letter.NormalizeID(idNumber)
	if why, ok := letter.ValidateID(idType, n); !ok {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "%s", why)
	}
	return vl.GetApplicant(ctx, letter.ApplicantKey(s.cfg.ApplicantSecret, idType, n))
}
