package fabric

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/chengnuo/chengnuo"
)

var _ chengnuo.Ledger = (*Client)(nil)

func decodeInto[T any](raw []byte, what string) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("decode %s: %w", what, err)
	}
	return v, nil
}

// PublishItem implements chengnuo.Ledger.
func (c *Client) PublishItem(ctx context.Context, it *chengnuo.Item) (*chengnuo.Item, error) {
	raw, err := json.Marshal(it)
	if err != nil {
		return nil, err
	}
	res, err := c.submit(ctx, "PublishItem", client.WithArguments(string(raw)))
	if err != nil {
		return nil, err
	}
	return decodeInto[*chengnuo.Item](res.Payload, "item")
}

// RetireItem implements chengnuo.Ledger.
func (c *Client) RetireItem(ctx context.Context, code string) (*chengnuo.Item, error) {
	res, err := c.submit(ctx, "RetireItem", client.WithArguments(code))
	if err != nil {
		return nil, err
	}
	return decodeInto[*chengnuo.Item](res.Payload, "item")
}

// GetItem implements chengnuo.Ledger.
func (c *Client) GetItem(ctx context.Context, code string, version int) (*chengnuo.Item, error) {
	out, err := c.evaluate(ctx, "GetItem", code, strconv.Itoa(version))
	if err != nil {
		return nil, err
	}
	return decodeInto[*chengnuo.Item](out, "item")
}

// ListItems implements chengnuo.Ledger.
func (c *Client) ListItems(ctx context.Context) ([]*chengnuo.Item, error) {
	out, err := c.evaluate(ctx, "ListItems")
	if err != nil {
		return nil, err
	}
	return decodeInto[[]*chengnuo.Item](out, "items")
}

// AnchorCommitments implements chengnuo.Ledger. Every created record carries
// the block number of the transaction.
func (c *Client) AnchorCommitments(ctx context.Context, reqs []chengnuo.AnchorRequest) ([]chengnuo.AnchorResult, error) {
	raw, err := json.Marshal(reqs)
	if err != nil {
		return nil, err
	}
	res, err := c.submit(ctx, "AnchorCommitments", client.WithArguments(string(raw)))
	if err != nil {
		return nil, err
	}
	results, err := decodeInto[[]chengnuo.AnchorResult](res.Payload, "anchor results")
	if err != nil {
		return nil, err
	}
	c.blocks.put(res.TxID, res.BlockNumber)
	for i := range results {
		if r := results[i].Record; r != nil {
			if r.TxID == res.TxID {
				r.BlockNumber = res.BlockNumber
			} else if n, err := c.BlockOf(ctx, r.TxID); err == nil {
				r.BlockNumber = n
			}
		}
	}
	return results, nil
}

// GetCommitment implements chengnuo.Ledger.
func (c *Client) GetCommitment(ctx context.Context, id string) (*chengnuo.Commitment, error) {
	out, err := c.evaluate(ctx, "GetCommitment", id)
	if err != nil {
		return nil, err
	}
	cm, err := decodeInto[*chengnuo.Commitment](out, "commitment")
	if err != nil {
		return nil, err
	}
	if cm.BlockNumber, err = c.BlockOf(ctx, cm.TxID); err != nil {
		return nil, err
	}
	return cm, nil
}

func (c *Client) transition(ctx context.Context, fn string, args ...string) (*chengnuo.Commitment, error) {
	res, err := c.submit(ctx, fn, client.WithArguments(args...))
	if err != nil {
		return nil, err
	}
	cm, err := decodeInto[*chengnuo.Commitment](res.Payload, "commitment")
	if err != nil {
		return nil, err
	}
	cm.BlockNumber, _ = c.BlockOf(ctx, cm.TxID)
	return cm, nil
}

// Withdraw implements chengnuo.Ledger.
func (c *Client) Withdraw(ctx context.Context, id, reasonDigest string) (*chengnuo.Commitment, error) {
	return c.transition(ctx, "Withdraw", id, reasonDigest)
}

// Conclude implements chengnuo.Ledger.
func (c *Client) Conclude(ctx context.Context, id string) (*chengnuo.Commitment, error) {
	return c.transition(ctx, "Conclude", id)
}
