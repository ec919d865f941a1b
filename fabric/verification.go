package fabric

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/chengnuo/chengnuo"
)

var _ chengnuo.VerificationLedger = (*Client)(nil)

func submitJSON[T any](ctx context.Context, c *Client, fn string, args ...string) (T, error) {
	var zero T
	res, err := c.submit(ctx, fn, client.WithArguments(args...))
	if err != nil {
		return zero, err
	}
	return decodeInto[T](res.Payload, fn+" result")
}

func evaluateJSON[T any](ctx context.Context, c *Client, fn string, args ...string) (T, error) {
	var zero T
	out, err := c.evaluate(ctx, fn, args...)
	if err != nil {
		return zero, err
	}
	return decodeInto[T](out, fn+" result")
}

func marshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// RequestVerification implements chengnuo.VerificationLedger.
func (c *Client) RequestVerification(ctx context.Context, commitmentID, detailsDigest string) (*chengnuo.VerificationRequest, error) {
	return submitJSON[*chengnuo.VerificationRequest](ctx, c, "RequestVerification", commitmentID, detailsDigest)
}

// DeliverDetails implements chengnuo.VerificationLedger. The details travel
// as transient data to the target organization's peers only: the proposal
// names that organization as the sole endorser, so not even this
// organization's own peer simulates it. The target's peer may not have the
// request's block yet; NOT_FOUND is retried for a bounded time.
func (c *Client) DeliverDetails(ctx context.Context, req *chengnuo.VerificationRequest, details []byte) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := c.submit(ctx, "DeliverDetails", client.WithArguments(req.ID),
			client.WithTransient(map[string][]byte{"details": details}),
			client.WithEndorsingOrganizations(req.To))
		if err == nil || chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return mapError(ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// PurgeDetails implements chengnuo.VerificationLedger; like DeliverDetails
// it is endorsed by the target organization alone.
func (c *Client) PurgeDetails(ctx context.Context, req *chengnuo.VerificationRequest) error {
	_, err := c.submit(ctx, "PurgeDetails", client.WithArguments(req.ID), client.WithEndorsingOrganizations(req.To))
	return err
}

// GetRequestDetails implements chengnuo.VerificationLedger.
func (c *Client) GetRequestDetails(ctx context.Context, requestID string) (*chengnuo.RequestDetails, error) {
	return evaluateJSON[*chengnuo.RequestDetails](ctx, c, "GetRequestDetails", requestID)
}

// AnswerVerification implements chengnuo.VerificationLedger.
func (c *Client) AnswerVerification(ctx context.Context, requestID string, a chengnuo.Answer) (*chengnuo.VerificationRequest, error) {
	args := marshal(map[string]any{"result": a.Result, "evidenceDigest": a.EvidenceDigest, "declineReason": a.DeclineReason, "automatic": a.Automatic})
	return submitJSON[*chengnuo.VerificationRequest](ctx, c, "AnswerVerification", requestID, args)
}

// GetVerification implements chengnuo.VerificationLedger.
func (c *Client) GetVerification(ctx context.Context, requestID string) (*chengnuo.VerificationRequest, error) {
	return evaluateJSON[*chengnuo.VerificationRequest](ctx, c, "GetVerification", requestID)
}

// ListRequests implements chengnuo.VerificationLedger.
func (c *Client) ListRequests(ctx context.Context, side string) ([]*chengnuo.VerificationRequest, error) {
	return evaluateJSON[[]*chengnuo.VerificationRequest](ctx, c, "ListRequests", side)
}

// RecordOutcome implements chengnuo.VerificationLedger.
func (c *Client) RecordOutcome(ctx context.Context, commitmentID string, o chengnuo.Outcome) (*chengnuo.Commitment, error) {
	args := marshal(map[string]any{"result": o.Result, "reasonDigest": o.ReasonDigest, "requestId": o.RequestID, "disposal": o.Disposal, "level": o.Level})
	return submitJSON[*chengnuo.Commitment](ctx, c, "RecordOutcome", commitmentID, args)
}

// GetApplicant implements chengnuo.VerificationLedger.
func (c *Client) GetApplicant(ctx context.Context, applicantKey string) (*chengnuo.ApplicantView, error) {
	return evaluateJSON[*chengnuo.ApplicantView](ctx, c, "GetApplicant", applicantKey)
}

// GetCredit implements chengnuo.VerificationLedger.
func (c *Client) GetCredit(ctx context.Context, id string) (*chengnuo.CreditRecord, error) {
	return evaluateJSON[*chengnuo.CreditRecord](ctx, c, "GetCredit", id)
}

// RepairCredit implements chengnuo.VerificationLedger.
func (c *Client) RepairCredit(ctx context.Context, id, reasonDigest string) (*chengnuo.CreditRecord, error) {
	return submitJSON[*chengnuo.CreditRecord](ctx, c, "RepairCredit", id, reasonDigest)
}

// FileObjection implements chengnuo.VerificationLedger.
func (c *Client) FileObjection(ctx context.Context, creditID, reasonDigest string) (*chengnuo.Objection, error) {
	return submitJSON[*chengnuo.Objection](ctx, c, "FileObjection", creditID, reasonDigest)
}

// DecideObjection implements chengnuo.VerificationLedger.
func (c *Client) DecideObjection(ctx context.Context, objectionID string, uphold bool, reason string) (*chengnuo.Objection, error) {
	d := "reject"
	if uphold {
		d = "uphold"
	}
	return submitJSON[*chengnuo.Objection](ctx, c, "DecideObjection", objectionID, d, reason)
}

// DrawSample implements chengnuo.VerificationLedger.
func (c *Client) DrawSample(ctx context.Context, itemCode string, from, to time.Time, basePermille int) (*chengnuo.Sample, error) {
	return submitJSON[*chengnuo.Sample](ctx, c, "DrawSample", itemCode, from.UTC().Format(time.RFC3339Nano), to.UTC().Format(time.RFC3339Nano), strconv.Itoa(basePermille))
}

// GetSample implements chengnuo.VerificationLedger.
func (c *Client) GetSample(ctx context.Context, id string) (*chengnuo.Sample, error) {
	return evaluateJSON[*chengnuo.Sample](ctx, c, "GetSample", id)
}

// ProposeItemChange implements chengnuo.VerificationLedger.
func (c *Client) ProposeItemChange(ctx context.Context, p chengnuo.Proposal) (*chengnuo.Proposal, error) {
	args := marshal(map[string]any{"kind": p.Kind, "code": p.Code, "item": p.Item, "reason": p.Reason})
	return submitJSON[*chengnuo.Proposal](ctx, c, "ProposeItemChange", args)
}

// DecideProposal implements chengnuo.VerificationLedger.
func (c *Client) DecideProposal(ctx context.Context, id string, approve bool, reason string) (*chengnuo.Proposal, error) {
	d := "reject"
	if approve {
		d = "approve"
	}
	return submitJSON[*chengnuo.Proposal](ctx, c, "DecideProposal", id, d, reason)
}

// GetProposal implements chengnuo.VerificationLedger.
func (c *Client) GetProposal(ctx context.Context, id string) (*chengnuo.Proposal, error) {
	return evaluateJSON[*chengnuo.Proposal](ctx, c, "GetProposal", id)
}

// LedgerTime implements chengnuo.VerificationLedger: the channel header
// timestamp of the newest block's first transaction.
func (c *Client) LedgerTime(ctx context.Context) (time.Time, error) {
	height, err := c.Height(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if height == 0 {
		return time.Time{}, errors.New("the channel has no blocks")
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.EvaluateTimeout)
	defer cancel()
	raw, err := c.qscc.EvaluateWithContext(ctx, "GetBlockByNumber", client.WithArguments(c.cfg.Channel, strconv.FormatUint(height-1, 10)))
	if err != nil {
		return time.Time{}, mapError(err)
	}
	var block common.Block
	if err := proto.Unmarshal(raw, &block); err != nil || len(block.GetData().GetData()) == 0 {
		return time.Time{}, fmt.Errorf("decode block: %v", err)
	}
	var env common.Envelope
	var payload common.Payload
	var ch common.ChannelHeader
	if err := errors.Join(proto.Unmarshal(block.GetData().GetData()[0], &env), proto.Unmarshal(env.GetPayload(), &payload),
		proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &ch)); err != nil {
		return time.Time{}, fmt.Errorf("decode block header: %w", err)
	}
	return ch.GetTimestamp().AsTime().UTC(), nil
}

// Height returns the number of blocks the organization's peer has committed.
func (c *Client) Height(ctx context.Context) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.EvaluateTimeout)
	defer cancel()
	raw, err := c.qscc.EvaluateWithContext(ctx, "GetChainInfo", client.WithArguments(c.cfg.Channel))
	if err != nil {
		return 0, mapError(err)
	}
	var info common.BlockchainInfo
	if err := proto.Unmarshal(raw, &info); err != nil {
		return 0, fmt.Errorf("decode chain info: %w", err)
	}
	return info.GetHeight(), nil
}
