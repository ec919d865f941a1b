package notary

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/retry"
	"github.com/chengnuo/chengnuo/sm"
)

// RequestVerification implements chengnuo.Service: it asks the item's
// verifying department to check one of this department's commitments. The
// public request goes on the ledger; the details (who and what to check)
// go only to the target department.
func (s *Service) RequestVerification(ctx context.Context, commitmentID, claim string) (*chengnuo.VerificationRequest, error) {
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
		return nil, chengnuo.Internal("no randomness", err)
	}
	details, err := json.Marshal(chengnuo.RequestDetails{CommitmentID: commitmentID, Name: a.Name, IDType: a.IDType,
		IDNumber: a.IDNumber, Claim: claim, Salt: hex.EncodeToString(salt)})
	if err != nil {
		return nil, chengnuo.Internal("could not encode the details", err)
	}
	req, err := s.ledger.RequestVerification(ctx, commitmentID, sm.SM3Hex(details))
	if err != nil {
		return nil, err
	}
	o := &chengnuo.Outgoing{Key: "details~" + req.ID, Kind: chengnuo.DeliverDetails, To: req.To, Request: req, Details: details}
	if err := s.store.PutOutgoing(ctx, o); err != nil {
		return nil, err
	}
	if err := s.deliver(ctx, o); err != nil {
		s.log.Warn("details not delivered yet; will retry", slog.String("request", req.ID), slog.String("error", err.Error()))
	}
	return req, nil
}

// DefaultDetailsRetention is how long an answered request's details stay
// in the target's private collection by default: long enough for a clerk to
// look again at what was answered, short enough that personal data does not
// linger.
const DefaultDetailsRetention = time.Minute

// deliverPolicy covers the recipient's peer not having the record's block yet.
var deliverPolicy = retry.Policy{Initial: 200 * time.Millisecond, Max: 2 * time.Second, Within: 15 * time.Second}

func notFound(err error) bool { return chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND }

// errNotDue is a delivery whose time has not come.
var errNotDue = errors.New("not due yet")

// deliver performs one kept delivery and marks it done.
func (s *Service) deliver(ctx context.Context, o *chengnuo.Outgoing) error {
	var err error
	switch o.Kind {
	case chengnuo.DeliverDetails:
		err = retry.Do(ctx, deliverPolicy, notFound, func(ctx context.Context) error { return s.ledger.DeliverDetails(ctx, o.Request, o.Details) })
		if chengnuo.ErrorCode(err) == chengnuo.ECONFLICT {
			err = nil // answered meanwhile: the details are not needed any more
		}
	case chengnuo.DeliverText:
		var t *chengnuo.Text
		if t, err = s.store.GetText(ctx, o.Share.Digest); err == nil {
			st := chengnuo.SharedText{Kind: o.Share.Kind, Ref: o.Share.Ref, Digest: t.Digest, Text: t.Text, Salt: t.Salt, From: s.cfg.MSPID}
			err = retry.Do(ctx, deliverPolicy, notFound, func(ctx context.Context) error { return s.ledger.ShareText(ctx, o.To, st) })
		}
	case chengnuo.DeliverPurge:
		if s.cfg.Now().Before(o.Due) {
			return errNotDue
		}
		err = s.ledger.PurgeDetails(ctx, o.Request)
	default:
		err = chengnuo.Internal("unknown delivery kind", errors.New(o.Kind))
	}
	if err != nil {
		return err
	}
	return s.store.MarkDelivered(ctx, o.Key)
}

// share hands a kept text to the department entitled to it: at once if it
// can, else the delivery is kept and retried in the background. Only a
// failure to keep it is an error.
func (s *Service) share(ctx context.Context, to string, t *chengnuo.Text, kind, ref string) error {
	if to == s.cfg.MSPID {
		return nil // the author is the reader: the text is in its own store
	}
	o := &chengnuo.Outgoing{Key: "text~" + t.Digest, Kind: chengnuo.DeliverText, To: to,
		Share: &chengnuo.TextShare{Kind: kind, Ref: ref, Digest: t.Digest}}
	if err := s.store.PutOutgoing(ctx, o); err != nil {
		return err
	}
	if err := s.deliver(ctx, o); err != nil {
		s.log.Warn("text not shared yet; will retry", slog.String("kind", kind), slog.String("ref", ref), slog.String("error", err.Error()))
	}
	return nil
}

// Deliver performs every kept delivery that is due: details not yet
// delivered, texts not yet shared, purges whose time has come. It reads
// them a page at a time and goes through every page, so deliveries not due
// yet or failing at the front never hide the ones behind; it goes on past
// a failure and returns the first.
func (s *Service) Deliver(ctx context.Context) error {
	var first error
	after := ""
	for {
		page, err := s.store.Undelivered(ctx, after, s.deliverPage)
		if err != nil {
			return errors.Join(first, err)
		}
		for _, o := range page {
			if err := s.deliver(ctx, o); err != nil && err != errNotDue && first == nil {
				first = err
			}
		}
		if len(page) < s.deliverPage || ctx.Err() != nil {
			return first
		}
		after = page[len(page)-1].Key
	}
}

// Answer implements chengnuo.Service: this department's answer to a request
// addressed to it. The evidence, or the written reason of a refusal, stays
// here; its digest goes on the ledger and its text to the requester.
func (s *Service) Answer(ctx context.Context, requestID string, a chengnuo.AnswerRequest) (*chengnuo.VerificationRequest, error) {
	return s.answer(ctx, requestID, a, false)
}

func (s *Service) answer(ctx context.Context, requestID string, a chengnuo.AnswerRequest, automatic bool) (*chengnuo.VerificationRequest, error) {
	ans := chengnuo.Answer{Result: a.Result, Automatic: automatic}
	var t *chengnuo.Text
	var err error
	kind := chengnuo.TextEvidence
	switch {
	case a.DeclineReason != "":
		if a.Result != "" || a.Evidence != "" {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "a refusal carries a reason, not a result")
		}
		kind = chengnuo.TextDecline
		if t, err = s.reason(ctx, kind, requestID, a.DeclineReason, checkWrittenReason); err != nil {
			return nil, err
		}
		ans.DeclineDigest = t.Digest
	case a.Evidence == "":
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "an answer needs its evidence (or a declineReason)")
	default:
		if t, err = s.keepText(ctx, kind, requestID, a.Evidence); err != nil {
			return nil, err
		}
		ans.EvidenceDigest = t.Digest
	}
	r, err := s.ledger.AnswerVerification(ctx, requestID, ans)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.MarkHandled(ctx, requestID, "answered "+r.Status); err != nil && chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		return nil, err
	}
	if err := s.share(ctx, r.From, t, kind, r.ID); err != nil {
		return nil, err
	}
	return r, s.VerificationAnswered(ctx, r)
}

// VerificationAnswered implements chengnuo.EventHandler: a request addressed
// to this department was answered — by a clerk, by the registry, through
// this gateway or another — so its details are purged once their retention
// has passed.
func (s *Service) VerificationAnswered(ctx context.Context, r *chengnuo.VerificationRequest) error {
	if r.To != s.cfg.MSPID || r.Answer == nil {
		return nil
	}
	o := &chengnuo.Outgoing{Key: "purge~" + r.ID, Kind: chengnuo.DeliverPurge, To: r.To, Request: r,
		Due: r.Answer.At.Add(s.cfg.DetailsRetention)}
	if err := s.store.PutOutgoing(ctx, o); err != nil {
		return err
	}
	if err := s.deliver(ctx, o); err != nil && err != errNotDue {
		s.log.Warn("details not purged yet; will retry", slog.String("request", r.ID), slog.String("error", err.Error()))
	}
	return nil
}

// CommitmentChanged implements chengnuo.EventHandler: this department's copy
// of one of its records follows the ledger, whoever changed it (another
// replica, an administrator), so the disclosure list reflects the ledger.
func (s *Service) CommitmentChanged(ctx context.Context, c *chengnuo.Commitment) error {
	if c.Org != s.cfg.MSPID {
		return nil
	}
	if err := s.store.UpdateRecord(ctx, c.ID, c); err != nil && chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		return err
	}
	return nil
}

// PurgeDetails implements chengnuo.Service: it removes an answered
// request's details from this department's private collection.
func (s *Service) PurgeDetails(ctx context.Context, requestID string) error {
	r, err := s.ledger.GetVerification(ctx, requestID)
	if err != nil {
		return err
	}
	return s.ledger.PurgeDetails(ctx, r)
}

// Details implements chengnuo.Service: a request's details, to its target only.
func (s *Service) Details(ctx context.Context, requestID string) (*chengnuo.RequestDetails, error) {
	return s.ledger.GetRequestDetails(ctx, requestID)
}

// GetVerification implements chengnuo.Service.
func (s *Service) GetVerification(ctx context.Context, requestID string) (*chengnuo.VerificationRequest, error) {
	return s.ledger.GetVerification(ctx, requestID)
}

// Requests implements chengnuo.Service: one page of requests to or from
// this department, filtered by state (pending, overdue, all) as judged by
// ledger time. A filtered page may hold fewer rows than asked; More and
// Bookmark still walk the whole list.
func (s *Service) Requests(ctx context.Context, f chengnuo.RequestFilter, p chengnuo.Page) (*chengnuo.RequestList, error) {
	if f.Side != "to" && f.Side != "from" {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "side must be to or from")
	}
	switch f.State {
	case "", "all", "pending", "overdue":
	default:
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "state must be pending, overdue or all")
	}
	all, err := s.ledger.ListRequests(ctx, f.Side, p)
	if err != nil {
		return nil, err
	}
	now, err := s.ledger.LedgerTime(ctx)
	if err != nil {
		return nil, err
	}
	cals, err := s.calendars(ctx)
	if err != nil {
		return nil, err
	}
	out := &chengnuo.RequestList{LedgerTime: now, Urgent: map[string]string{}}
	out.Items, out.More, out.Bookmark = []*chengnuo.VerificationRequest{}, all.More, all.Bookmark
	for _, r := range all.Items {
		pending := r.Status == chengnuo.RequestPending
		overdue := (pending && now.After(r.DueAt)) || (r.Answer != nil && r.Answer.Overdue)
		if (f.State == "pending" && !pending) || (f.State == "overdue" && !overdue) {
			continue
		}
		out.Items = append(out.Items, r)
		if u := urgency(r, now, cals); u != "" {
			out.Urgent[r.ID] = u
		}
	}
	return out, nil
}

// Inbox implements chengnuo.Service: the requests this gateway received
// through ledger events.
func (s *Service) Inbox(ctx context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.InboxEntry], error) {
	return s.store.Inbox(ctx, p)
}

// VerificationRequested implements chengnuo.EventHandler: a request
// addressed to this department lands in its inbox and, with a registry, a
// request by online verification (the item's method ONLINE) is answered
// automatically; written and on-site checks wait for a clerk. It is idempotent: a replayed event (after a
// restart before the checkpoint was saved) finds the entry handled and does
// nothing.
func (s *Service) VerificationRequested(ctx context.Context, r *chengnuo.VerificationRequest) error {
	if r.To != s.cfg.MSPID {
		return nil
	}
	if _, err := s.store.PutInbox(ctx, &chengnuo.InboxEntry{Request: r, ReceivedAt: s.cfg.Now().UTC()}); err != nil {
		return err
	}
	if s.cfg.Registry == nil || r.Method != "ONLINE" {
		_, err := s.store.MarkHandled(ctx, r.ID, "queued for a clerk")
		return err
	}
	e, err := s.store.InboxEntry(ctx, r.ID)
	if err != nil {
		return err
	}
	if e.Handled {
		return nil // a replayed event
	}
	// Answered already (a replay after the answer committed): just mark it.
	if cur, err := s.ledger.GetVerification(ctx, r.ID); err == nil && cur.Status != chengnuo.RequestPending {
		_, err := s.store.MarkHandled(ctx, r.ID, "answered "+cur.Status)
		return err
	}
	note, err := s.autoAnswer(ctx, r, e)
	if err != nil {
		return err
	}
	_, err = s.store.MarkHandled(ctx, r.ID, note)
	return err
}

// detailsPolicy waits for the details, which arrive in a transaction of their own.
var detailsPolicy = retry.Policy{Initial: 200 * time.Millisecond, Max: 2 * time.Second, Within: 30 * time.Second}

// autoAnswer asks the department's registry (online verification) and
// records its answer. The registry's answer is kept before it is
// submitted, so a restart between the two submits the kept answer instead
// of asking again.
func (s *Service) autoAnswer(ctx context.Context, r *chengnuo.VerificationRequest, e *chengnuo.InboxEntry) (string, error) {
	if e.Registry != nil {
		return s.submitRegistryAnswer(ctx, r, *e.Registry)
	}
	var d *chengnuo.RequestDetails
	err := retry.Do(ctx, detailsPolicy, func(err error) bool { return chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND },
		func(ctx context.Context) error {
			var err error
			d, err = s.Details(ctx, r.ID)
			return err
		})
	if err != nil {
		return "", fmt.Errorf("details of %s: %w", r.ID, err)
	}
	wa, err := s.cfg.Registry.Check(ctx, chengnuo.RegistryQuery{RequestID: r.ID, CommitmentID: r.CommitmentID, ItemCode: r.ItemCode,
		Claim: d.Claim, Name: d.Name, IDType: d.IDType, IDNumber: d.IDNumber})
	if err != nil {
		return "", err
	}
	if !slices.Contains([]string{chengnuo.AnswerConsistent, chengnuo.AnswerInconsistent, chengnuo.AnswerUnable}, wa.Result) {
		return "", chengnuo.Errorf(chengnuo.EUNAVAILABLE, "the registry answered without a valid result")
	}
	if wa.Evidence == "" {
		wa.Evidence = "registry answer " + wa.Result
	}
	ra := chengnuo.AnswerRequest{Result: wa.Result, Evidence: wa.Evidence}
	if err := s.store.SetRegistryAnswer(ctx, r.ID, ra); err != nil {
		return "", err
	}
	return s.submitRegistryAnswer(ctx, r, ra)
}

func (s *Service) submitRegistryAnswer(ctx context.Context, r *chengnuo.VerificationRequest, ra chengnuo.AnswerRequest) (string, error) {
	_, err := s.answer(ctx, r.ID, ra, true)
	if chengnuo.ErrorCode(err) == chengnuo.ECONFLICT {
		return "already answered", nil
	}
	if err != nil {
		return "", err
	}
	return "answered automatically: " + ra.Result, nil
}
