package fabric

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/blocks"
)

// qscc runs a query of the peer's query system chaincode and decodes its
// protobuf answer into out.
func (c *Client) qsccQuery(ctx context.Context, out proto.Message, fn string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.EvaluateTimeout)
	defer cancel()
	raw, err := c.qscc.EvaluateWithContext(ctx, fn, client.WithArguments(append([]string{c.cfg.Channel}, args...)...))
	if err != nil {
		return mapError(err)
	}
	if err := proto.Unmarshal(raw, out); err != nil {
		return chengnuo.Internal("the peer's answer could not be read", fmt.Errorf("decode %s: %w", fn, err))
	}
	return nil
}

// BlockOf returns the number of the block that holds transaction txID, asking
// the peer's query system chaincode once and caching the immutable answer.
func (c *Client) BlockOf(ctx context.Context, txID string) (uint64, error) {
	if n, ok := c.blocks.get(txID); ok {
		return n, nil
	}
	var block common.Block
	if err := c.qsccQuery(ctx, &block, "GetBlockByTxID", txID); err != nil {
		return 0, err
	}
	if block.GetHeader() == nil {
		return 0, chengnuo.Internal("the peer's answer could not be read", errors.New("block without header"))
	}
	n := block.GetHeader().GetNumber()
	c.blocks.put(txID, n)
	return n, nil
}

// BlockOfTx implements chengnuo.Ledger.
func (c *Client) BlockOfTx(ctx context.Context, txID string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.EvaluateTimeout)
	defer cancel()
	raw, err := c.qscc.EvaluateWithContext(ctx, "GetBlockByTxID", client.WithArguments(c.cfg.Channel, txID))
	if err != nil {
		return nil, mapError(err)
	}
	return raw, nil
}

// Block returns block n as the organization's peer committed it (with its
// validation flags).
func (c *Client) Block(ctx context.Context, n uint64) (*common.Block, error) {
	var block common.Block
	if err := c.qsccQuery(ctx, &block, "GetBlockByNumber", strconv.FormatUint(n, 10)); err != nil {
		return nil, err
	}
	return &block, nil
}

// Height implements chengnuo.Ledger.
func (c *Client) Height(ctx context.Context) (uint64, error) {
	var info common.BlockchainInfo
	if err := c.qsccQuery(ctx, &info, "GetChainInfo"); err != nil {
		return 0, err
	}
	return info.GetHeight(), nil
}

// ledgerTimeDepth bounds how many blocks LedgerTime looks back for a valid transaction.
const ledgerTimeDepth = 16

// LedgerTime implements chengnuo.Ledger: the channel-header timestamp of
// the newest transaction the peer marked valid, looking back at most
// ledgerTimeDepth blocks. An invalid transaction's timestamp is whatever
// its client chose; a valid one's was accepted by the endorsing peers.
func (c *Client) LedgerTime(ctx context.Context) (time.Time, error) {
	height, err := c.Height(ctx)
	if err != nil {
		return time.Time{}, err
	}
	for n := height; n > 0 && height-n < ledgerTimeDepth; n-- {
		var block common.Block
		if err := c.qsccQuery(ctx, &block, "GetBlockByNumber", strconv.FormatUint(n-1, 10)); err != nil {
			return time.Time{}, err
		}
		if t, ok := newestValidTime(&block); ok {
			return t, nil
		}
	}
	return time.Time{}, chengnuo.Errorf(chengnuo.EUNAVAILABLE, "no valid transaction in the newest %d blocks", ledgerTimeDepth)
}

// newestValidTime is the timestamp of the last transaction of block that
// the committing peer flagged VALID.
func newestValidTime(block *common.Block) (time.Time, bool) {
	data := block.GetData().GetData()
	flags := blocks.Flags(block)
	for i := len(data) - 1; i >= 0; i-- {
		if i >= len(flags) || peer.TxValidationCode(flags[i]) != peer.TxValidationCode_VALID {
			continue
		}
		if _, ch, err := blocks.OpenEnvelope(data[i]); err == nil && ch.GetTimestamp() != nil {
			return ch.GetTimestamp().AsTime().UTC(), true
		}
	}
	return time.Time{}, false
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
