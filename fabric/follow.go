package fabric

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/blocks"
	"github.com/chengnuo/chengnuo/retry"
)

var _ chengnuo.BlockSource = (*Client)(nil)

// FollowBlocks implements chengnuo.BlockSource over the peer's block event
// stream (Deliver): it reconnects after stream errors from the first block
// not yet handled, and retries a block whose handler failed, so no block is
// skipped.
func (c *Client) FollowBlocks(ctx context.Context, from uint64, h func(context.Context, *chengnuo.LedgerBlock) error) error {
	next := from
	log := c.log()
	return retry.Do(ctx, streamPolicy, nil, func(ctx context.Context) error {
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.network.BlockEvents(sctx, client.WithStartBlock(next))
		if err != nil {
			log.Warn("block stream", slog.String("error", err.Error()))
			return err
		}
		for b := range stream {
			n := b.GetHeader().GetNumber()
			if n < next {
				continue
			}
			if n > next {
				return fmt.Errorf("block stream skipped from %d to %d", next, n)
			}
			lb, err := blocks.Records(b, c.cfg.Chaincode)
			if err != nil {
				// A block the peer committed but this reader cannot parse is a
				// bug to fix, not a block to skip: stop here, loudly.
				log.Error("block could not be read; the read model stops at it", slog.Uint64("block", n), slog.String("error", err.Error()))
				return err
			}
			if err := h(ctx, lb); err != nil {
				log.Warn("block not applied; retrying", slog.Uint64("block", n), slog.String("error", err.Error()))
				return err
			}
			next = n + 1
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errors.New("block stream ended")
	})
}
