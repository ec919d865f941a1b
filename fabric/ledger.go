package fabric

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/retry"
)

var _ chengnuo.Ledger = (*Client)(nil)

// value calls fn and returns only its result.
func value[A, R any](ctx context.Context, c *Client, fn contract.Fn[A, R], a A, opts ...client.ProposalOption) (*R, error) {
	r, _, err := call(ctx, c, fn, a, opts...)
	return r, err
}

func pageArgs(p chengnuo.Page) (contract.PageArgs, error) {
	n, err := p.Limit()
	return contract.PageArgs{PageSize: n, Bookmark: p.Bookmark}, err
}

// Ping implements chengnuo.Ledger: the peer answers and the chaincode runs a query.
func (c *Client) Ping(ctx context.Context) error {
	_, err := value(ctx, c, contract.Ping, contract.Empty{})
	return err
}

// Anchor implements chengnuo.Ledger.
func (c *Client) Anchor(ctx context.Context, digest string) (*chengnuo.Anchor, error) {
	digest, err := chengnuo.NormalizeDigest(digest)
	if err != nil {
		return nil, err
	}
	// A race with a concurrent anchoring of the same digest ends ABORTED
	// (lost at commit, or endorsers that disagreed because one of them had
	// the winner's block already): tried again, it ends CONFLICT with the
	// winner's record, or anchors if the other did not commit.
	var a *chengnuo.Anchor
	var res *Result
	err = retry.Do(ctx, anchorRacePolicy, func(err error) bool { return chengnuo.ErrorCode(err) == chengnuo.EABORTED },
		func(ctx context.Context) error {
			var err error
			a, res, err = call(ctx, c, contract.Anchor, contract.DigestArgs{Digest: digest})
			return err
		})
	if err != nil {
		if code := chengnuo.ErrorCode(err); code == chengnuo.ECONFLICT || code == chengnuo.EABORTED {
			return nil, c.conflict(ctx, digest, err)
		}
		return nil, err
	}
	a.BlockNumber = res.BlockNumber
	return a, nil
}

// anchorRacePolicy paces the retries of an anchoring that lost a race.
var anchorRacePolicy = retry.Policy{Initial: 50 * time.Millisecond, Max: 400 * time.Millisecond, Attempts: 4}

// conflict reports the record that won. The endorsers that refused may be
// a block ahead of this department's peer: its NOT_FOUND is waited out.
func (c *Client) conflict(ctx context.Context, digest string, cause error) error {
	var existing *chengnuo.Anchor
	err := whileNotFound(ctx, func(ctx context.Context) (err error) {
		existing, err = c.FindAnchor(ctx, digest)
		return err
	})
	if err != nil {
		return cause
	}
	return &chengnuo.Error{
		Code:    chengnuo.ECONFLICT,
		Message: fmt.Sprintf("digest %s is already anchored", digest),
		TxID:    existing.TxID,
		Detail:  existing,
	}
}

// FindAnchor implements chengnuo.Ledger.
func (c *Client) FindAnchor(ctx context.Context, digest string) (*chengnuo.Anchor, error) {
	digest, err := chengnuo.NormalizeDigest(digest)
	if err != nil {
		return nil, err
	}
	a, err := value(ctx, c, contract.GetAnchor, contract.DigestArgs{Digest: digest})
	if err != nil {
		return nil, err
	}
	if a.BlockNumber, err = c.BlockOf(ctx, a.TxID); err != nil {
		return nil, err
	}
	return a, nil
}

// PublishItem implements chengnuo.Ledger.
func (c *Client) PublishItem(ctx context.Context, it *chengnuo.Item) (*chengnuo.Item, error) {
	return value(ctx, c, contract.PublishItem, *it)
}

// RetireItem implements chengnuo.Ledger.
func (c *Client) RetireItem(ctx context.Context, code string) (*chengnuo.Item, error) {
	return value(ctx, c, contract.RetireItem, contract.ItemArgs{Code: code})
}

// GetItem implements chengnuo.Ledger.
func (c *Client) GetItem(ctx context.Context, code string, version int) (*chengnuo.Item, error) {
	return value(ctx, c, contract.GetItem, contract.ItemArgs{Code: code, Version: version})
}

// ListItems implements chengnuo.Ledger.
func (c *Client) ListItems(ctx context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.Item], error) {
	pa, err := pageArgs(p)
	if err != nil {
		return nil, err
	}
	return value(ctx, c, contract.ListItems, pa)
}

// AnchorCommitments implements chengnuo.Ledger. Every record carries the
// block number of the transaction that created it.
func (c *Client) AnchorCommitments(ctx context.Context, reqs []chengnuo.AnchorRequest) ([]chengnuo.AnchorResult, error) {
	out, res, err := call(ctx, c, contract.AnchorCommitments, contract.CompactBatch(reqs))
	if err != nil {
		return nil, err
	}
	if len(out.Results) != len(reqs) {
		return nil, withTx(chengnuo.Internal("the ledger answered a batch with the wrong number of results",
			fmt.Errorf("%d results for %d letters", len(out.Results), len(reqs))), res.TxID)
	}
	for i := range out.Results {
		switch d := out.Results[i].LetterDigest; {
		case d == "":
			out.Results[i].LetterDigest = reqs[i].LetterDigest
		case d != reqs[i].LetterDigest:
			return nil, withTx(chengnuo.Internal("the ledger answered a batch out of order",
				fmt.Errorf("result %d names %s, not %s", i, d, reqs[i].LetterDigest)), res.TxID)
		}
		if out.Results[i].Created {
			// Rebuilt, not read back: the chaincode derives it the same way.
			out.Results[i].Record = chengnuo.NewCommitment(reqs[i], c.cfg.MSPID, out.AnchoredAt, res.TxID)
		}
		if r := out.Results[i].Record; r != nil {
			if r.TxID == res.TxID {
				r.BlockNumber = res.BlockNumber
			} else if n, err := c.BlockOf(ctx, r.TxID); err == nil {
				r.BlockNumber = n
			}
		}
	}
	return out.Results, nil
}

// commitment fills in the block number of a commitment read from the ledger.
func (c *Client) commitment(ctx context.Context, cm *chengnuo.Commitment, err error) (*chengnuo.Commitment, error) {
	if err != nil {
		return nil, err
	}
	if cm.BlockNumber, err = c.BlockOf(ctx, cm.TxID); err != nil {
		return nil, err
	}
	return cm, nil
}

// GetCommitment implements chengnuo.Ledger.
func (c *Client) GetCommitment(ctx context.Context, id string) (*chengnuo.Commitment, error) {
	cm, err := value(ctx, c, contract.GetCommitment, contract.IDArgs{ID: id})
	return c.commitment(ctx, cm, err)
}

// Withdraw implements chengnuo.Ledger.
func (c *Client) Withdraw(ctx context.Context, id, reasonDigest string) (*chengnuo.Commitment, error) {
	cm, err := value(ctx, c, contract.Withdraw, contract.TransitionArgs{ID: id, ReasonDigest: reasonDigest})
	return c.commitment(ctx, cm, err)
}

// Conclude implements chengnuo.Ledger.
func (c *Client) Conclude(ctx context.Context, id string) (*chengnuo.Commitment, error) {
	cm, err := value(ctx, c, contract.Conclude, contract.TransitionArgs{ID: id})
	return c.commitment(ctx, cm, err)
}

// RequestVerification implements chengnuo.Ledger.
func (c *Client) RequestVerification(ctx context.Context, commitmentID, detailsDigest string) (*chengnuo.VerificationRequest, error) {
	return value(ctx, c, contract.RequestVerification, contract.RequestArgs{CommitmentID: commitmentID, DetailsDigest: detailsDigest})
}

// DeliverDetails implements chengnuo.Ledger. The details travel as
// transient data to the target organization's peers only: the proposal
// names that organization as the sole endorser, so not even this
// organization's own peer simulates it.
func (c *Client) DeliverDetails(ctx context.Context, req *chengnuo.VerificationRequest, details []byte) error {
	_, err := value(ctx, c, contract.DeliverDetails, contract.IDArgs{ID: req.ID},
		client.WithTransient(map[string][]byte{contract.TransientDetails: details}),
		client.WithEndorsingOrganizations(req.To))
	return err
}

// PurgeDetails implements chengnuo.Ledger; like DeliverDetails it is
// endorsed by the target organization alone.
func (c *Client) PurgeDetails(ctx context.Context, req *chengnuo.VerificationRequest) error {
	_, err := value(ctx, c, contract.PurgeDetails, contract.IDArgs{ID: req.ID}, client.WithEndorsingOrganizations(req.To))
	return err
}

// GetRequestDetails implements chengnuo.Ledger.
func (c *Client) GetRequestDetails(ctx context.Context, requestID string) (*chengnuo.RequestDetails, error) {
	return value(ctx, c, contract.GetRequestDetails, contract.IDArgs{ID: requestID})
}

// AnswerVerification implements chengnuo.Ledger.
func (c *Client) AnswerVerification(ctx context.Context, requestID string, a chengnuo.Answer) (*chengnuo.VerificationRequest, error) {
	return value(ctx, c, contract.AnswerVerification, contract.AnswerArgs{RequestID: requestID, Result: a.Result,
		EvidenceDigest: a.EvidenceDigest, DeclineDigest: a.DeclineDigest, Automatic: a.Automatic})
}

// GetVerification implements chengnuo.Ledger.
func (c *Client) GetVerification(ctx context.Context, requestID string) (*chengnuo.VerificationRequest, error) {
	return value(ctx, c, contract.GetVerification, contract.IDArgs{ID: requestID})
}

// ListRequests implements chengnuo.Ledger.
func (c *Client) ListRequests(ctx context.Context, side string, p chengnuo.Page) (*chengnuo.List[*chengnuo.VerificationRequest], error) {
	pa, err := pageArgs(p)
	if err != nil {
		return nil, err
	}
	return value(ctx, c, contract.ListRequests, contract.ListRequestsArgs{Side: side, PageArgs: pa})
}

// RecordOutcome implements chengnuo.Ledger.
func (c *Client) RecordOutcome(ctx context.Context, commitmentID string, o chengnuo.Outcome) (*chengnuo.Commitment, error) {
	return value(ctx, c, contract.RecordOutcome, contract.OutcomeArgs{CommitmentID: commitmentID, Result: o.Result,
		ReasonDigest: o.ReasonDigest, RequestID: o.RequestID, Disposal: o.Disposal, Level: o.Level})
}

// GetStanding implements chengnuo.Ledger.
func (c *Client) GetStanding(ctx context.Context, applicantKey string) (*chengnuo.Standing, error) {
	return value(ctx, c, contract.GetStanding, contract.ApplicantArgs{ApplicantKey: applicantKey})
}

// GetCredit implements chengnuo.Ledger.
func (c *Client) GetCredit(ctx context.Context, id string) (*chengnuo.CreditRecord, error) {
	return value(ctx, c, contract.GetCredit, contract.IDArgs{ID: id})
}

// RepairCredit implements chengnuo.Ledger.
func (c *Client) RepairCredit(ctx context.Context, id, reasonDigest string) (*chengnuo.CreditRecord, error) {
	return value(ctx, c, contract.RepairCredit, contract.ReasonArgs{ID: id, ReasonDigest: reasonDigest})
}

// FileObjection implements chengnuo.Ledger.
func (c *Client) FileObjection(ctx context.Context, creditID, reasonDigest string) (*chengnuo.Objection, error) {
	return value(ctx, c, contract.FileObjection, contract.ReasonArgs{ID: creditID, ReasonDigest: reasonDigest})
}

// DecideObjection implements chengnuo.Ledger.
func (c *Client) DecideObjection(ctx context.Context, objectionID string, uphold bool, reasonDigest string) (*chengnuo.Objection, error) {
	return value(ctx, c, contract.DecideObjection, contract.DecideObjectionArgs{ID: objectionID, Uphold: uphold, ReasonDigest: reasonDigest})
}

// DrawSample implements chengnuo.Ledger.
func (c *Client) DrawSample(ctx context.Context, req chengnuo.SampleRequest, commitment string) (*chengnuo.Sample, error) {
	return value(ctx, c, contract.DrawSample, contract.DrawSampleArgs{SampleRequest: req, Commitment: commitment})
}

// ContributeSample implements chengnuo.Ledger.
func (c *Client) ContributeSample(ctx context.Context, id, contribution string) (*chengnuo.Sample, error) {
	return value(ctx, c, contract.ContributeSample, contract.ContributeSampleArgs{ID: id, Contribution: contribution})
}

// PublishSample implements chengnuo.Ledger.
func (c *Client) PublishSample(ctx context.Context, id, secret string) (*chengnuo.Sample, error) {
	return value(ctx, c, contract.PublishSample, contract.PublishSampleArgs{ID: id, Secret: secret})
}

// ShareText implements chengnuo.Ledger. The text travels as transient data
// to the entitled organization's peers only, which alone endorse.
func (c *Client) ShareText(ctx context.Context, to string, t chengnuo.SharedText) error {
	raw, err := json.Marshal(t)
	if err != nil {
		return chengnuo.Internal("could not encode the text", err)
	}
	_, err = value(ctx, c, contract.ShareText, contract.ShareArgs{Kind: t.Kind, Ref: t.Ref, Digest: t.Digest},
		client.WithTransient(map[string][]byte{contract.TransientText: raw}), client.WithEndorsingOrganizations(to))
	return err
}

// GetText implements chengnuo.Ledger.
func (c *Client) GetText(ctx context.Context, digest string) (*chengnuo.SharedText, error) {
	return value(ctx, c, contract.GetText, contract.DigestArgs{Digest: digest})
}

// GetSample implements chengnuo.Ledger.
func (c *Client) GetSample(ctx context.Context, id string) (*chengnuo.Sample, error) {
	return value(ctx, c, contract.GetSample, contract.IDArgs{ID: id})
}

// ProposeItemChange implements chengnuo.Ledger.
func (c *Client) ProposeItemChange(ctx context.Context, p chengnuo.Proposal) (*chengnuo.Proposal, error) {
	return value(ctx, c, contract.ProposeItemChange, contract.ProposalArgs{Kind: p.Kind, Code: p.Code, Item: p.Item, ReasonDigest: p.ReasonDigest})
}

// DecideProposal implements chengnuo.Ledger.
func (c *Client) DecideProposal(ctx context.Context, id string, approve bool, reasonDigest string) (*chengnuo.Proposal, error) {
	return value(ctx, c, contract.DecideProposal, contract.DecideProposalArgs{ID: id, Approve: approve, ReasonDigest: reasonDigest})
}

// ListProposals implements chengnuo.Ledger.
func (c *Client) ListProposals(ctx context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.Proposal], error) {
	pa, err := pageArgs(p)
	if err != nil {
		return nil, err
	}
	return value(ctx, c, contract.ListProposals, pa)
}

// ListObjections implements chengnuo.Ledger.
func (c *Client) ListObjections(ctx context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.Objection], error) {
	pa, err := pageArgs(p)
	if err != nil {
		return nil, err
	}
	return value(ctx, c, contract.ListObjections, pa)
}

// GetProposal implements chengnuo.Ledger.
func (c *Client) GetProposal(ctx context.Context, id string) (*chengnuo.Proposal, error) {
	return value(ctx, c, contract.GetProposal, contract.IDArgs{ID: id})
}

// PutDepartment implements chengnuo.Ledger.
func (c *Client) PutDepartment(ctx context.Context, name, numberPrefix string) (*chengnuo.Department, error) {
	return value(ctx, c, contract.PutDepartment, contract.DepartmentArgs{Name: name, NumberPrefix: numberPrefix})
}

// Departments implements chengnuo.Ledger.
func (c *Client) Departments(ctx context.Context) ([]*chengnuo.Department, error) {
	d, err := value(ctx, c, contract.ListDepartments, contract.Empty{})
	if err != nil {
		return nil, err
	}
	return *d, nil
}

// PutCalendar implements chengnuo.Ledger.
func (c *Client) PutCalendar(ctx context.Context, cal *chengnuo.Calendar) (*chengnuo.Calendar, error) {
	return value(ctx, c, contract.PutCalendar, *cal)
}

// GetCalendar implements chengnuo.Ledger.
func (c *Client) GetCalendar(ctx context.Context, year, version int) (*chengnuo.Calendar, error) {
	return value(ctx, c, contract.GetCalendar, contract.CalendarArgs{Year: year, Version: version})
}

// ReportCatalogChange implements chengnuo.Ledger.
func (c *Client) ReportCatalogChange(ctx context.Context, id string) (*chengnuo.CatalogChange, error) {
	return value(ctx, c, contract.ReportCatalogChange, contract.IDArgs{ID: id})
}

// ListCatalogChanges implements chengnuo.Ledger.
func (c *Client) ListCatalogChanges(ctx context.Context, p chengnuo.Page) (*chengnuo.List[*chengnuo.CatalogChange], error) {
	pa, err := pageArgs(p)
	if err != nil {
		return nil, err
	}
	return value(ctx, c, contract.ListCatalogChanges, pa)
}
