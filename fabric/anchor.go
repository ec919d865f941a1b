package fabric

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/chengnuo/chengnuo"
)

var _ chengnuo.AnchorService = (*Client)(nil)

// Anchor implements chengnuo.AnchorService.
func (c *Client) Anchor(ctx context.Context, digest string) (*chengnuo.Anchor, error) {
	digest, err := chengnuo.NormalizeDigest(digest)
	if err != nil {
		return nil, err
	}
	res, err := c.submit(ctx, "Anchor", client.WithArguments(digest))
	if err != nil {
		// Refused by the chaincode, or lost a race at commit to a concurrent
		// anchoring of the same digest: either way report the winner.
		if chengnuo.ErrorCode(err) == chengnuo.ECONFLICT {
			return nil, c.conflict(ctx, digest, err)
		}
		return nil, err
	}
	var a chengnuo.Anchor
	if err := json.Unmarshal(res.Payload, &a); err != nil {
		return nil, withTx(fmt.Errorf("decode anchor: %w", err), res.TxID)
	}
	a.BlockNumber = res.BlockNumber
	c.blocks.put(a.TxID, a.BlockNumber)
	return &a, nil
}

func (c *Client) conflict(ctx context.Context, digest string, cause error) error {
	existing, err := c.FindAnchor(ctx, digest)
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

// FindAnchor implements chengnuo.AnchorService.
func (c *Client) FindAnchor(ctx context.Context, digest string) (*chengnuo.Anchor, error) {
	digest, err := chengnuo.NormalizeDigest(digest)
	if err != nil {
		return nil, err
	}
	out, err := c.evaluate(ctx, "GetAnchor", digest)
	if err != nil {
		return nil, err
	}
	var a chengnuo.Anchor
	if err := json.Unmarshal(out, &a); err != nil {
		return nil, fmt.Errorf("decode anchor: %w", err)
	}
	n, err := c.BlockOf(ctx, a.TxID)
	if err != nil {
		return nil, err
	}
	a.BlockNumber = n
	return &a, nil
}

// Ping implements chengnuo.AnchorService: the peer answers and the chaincode
// runs a query.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.evaluate(ctx, "Ping")
	return err
}

// BlockOf returns the number of the block that holds transaction txID, asking
// the peer's query system chaincode once and caching the immutable answer.
func (c *Client) BlockOf(ctx context.Context, txID string) (uint64, error) {
	if n, ok := c.blocks.get(txID); ok {
		return n, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.EvaluateTimeout)
	defer cancel()
	raw, err := c.qscc.EvaluateWithContext(ctx, "GetBlockByTxID", client.WithArguments(c.cfg.Channel, txID))
	if err != nil {
		return 0, mapError(err)
	}
	var block common.Block
	if err := proto.Unmarshal(raw, &block); err != nil {
		return 0, fmt.Errorf("decode block of tx %s: %w", txID, err)
	}
	if block.GetHeader() == nil {
		return 0, errors.New("block without header")
	}
	n := block.GetHeader().GetNumber()
	c.blocks.put(txID, n)
	return n, nil
}

// blockCache is a bounded tx id → block number map. Entries never change, so
// when it is full it simply starts over.
type blockCache struct {
	mu  sync.Mutex
	max int
	m   map[string]uint64
}

func newBlockCache(max int) *blockCache {
	return &blockCache{max: max, m: make(map[string]uint64)}
}

func (b *blockCache) get(tx string) (uint64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, ok := b.m[tx]
	return n, ok
}

func (b *blockCache) put(tx string, n uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.m) >= b.max {
		clear(b.m)
	}
	b.m[tx] = n
}
