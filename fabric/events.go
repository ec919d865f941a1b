package fabric

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/retry"
)

var _ chengnuo.LedgerEvents = (*Client)(nil)

// handlePolicy bounds the handling of one event: after it the event is
// skipped (logged) so that one bad request cannot stall the stream; the
// request stays in the ledger and the inbox for a clerk.
var handlePolicy = retry.Policy{Initial: 500 * time.Millisecond, Max: 10 * time.Second, Attempts: 8}

// streamPolicy paces reconnections of the event stream.
var streamPolicy = retry.Policy{Initial: time.Second, Max: 15 * time.Second}

// CheckCheckpoint reports a checkpoint file that exists but cannot be read,
// with the way to recover, so that a gateway refuses to start rather than
// run without its event listener. A missing file is fine (a first start).
func CheckCheckpoint(path string) error {
	cp, err := client.NewFileCheckpointer(path)
	if err != nil {
		return fmt.Errorf("event checkpoint %s cannot be read (%v); to recover, move it aside and start again: "+
			"the listener then handles every event from block 0 again, which its handlers allow (each is idempotent)", path, err)
	}
	return cp.Close()
}

// Listen implements chengnuo.LedgerEvents. It feeds the chaincode's events
// to h, in ledger order, and checkpoints each event (in Config.Checkpoint,
// fsynced) only after h returned: after a restart the stream resumes at the
// first event not yet handled, so no event is missed, and the handler's own
// idempotence covers the one event that may be replayed. A handler that
// keeps failing is retried with backoff (handlePolicy), then the event is
// logged and passed over so that one bad record cannot stall the stream.
// It reconnects after stream errors and returns when ctx ends.
func (c *Client) Listen(ctx context.Context, h chengnuo.EventHandler) error {
	if c.cfg.Checkpoint == "" {
		return errors.New("no checkpoint file configured for the event listener")
	}
	cp, err := client.NewFileCheckpointer(c.cfg.Checkpoint)
	if err != nil {
		return err
	}
	defer cp.Close()
	log := c.log()
	return retry.Do(ctx, streamPolicy, nil, func(ctx context.Context) error {
		opts := []client.ChaincodeEventsOption{client.WithCheckpoint(cp)}
		if cp.BlockNumber() == 0 && cp.TransactionID() == "" {
			opts = append(opts, client.WithStartBlock(0)) // the first run reads from the start
		}
		c.evBlock.Store(cp.BlockNumber())
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		events, err := c.network.ChaincodeEvents(sctx, c.cfg.Chaincode, opts...)
		if err != nil {
			log.Warn("event stream", slog.String("error", err.Error()))
			return err
		}
		for ev := range events {
			handle := dispatch(ev, h)
			if handle != nil {
				err := retry.Do(ctx, handlePolicy, nil, handle)
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					log.Error("giving up handling an event; it stays on the ledger", slog.String("event", ev.EventName),
						slog.String("txId", ev.TransactionID), slog.String("error", err.Error()))
				}
				if c.cfg.OnEvent != nil {
					c.cfg.OnEvent(ev.EventName, err == nil)
				}
			}
			if err := cp.CheckpointChaincodeEvent(ev); err != nil {
				log.Error("checkpoint", slog.String("error", err.Error()))
			}
			c.evBlock.Store(cp.BlockNumber())
			if err := cp.Sync(); err != nil {
				log.Error("checkpoint sync", slog.String("error", err.Error()))
			}
		}
		return errors.New("event stream ended")
	})
}

// dispatch returns the handling of one event, or nil for an event nobody
// listens to (or one that cannot be decoded, which is logged).
func dispatch(ev *client.ChaincodeEvent, h chengnuo.EventHandler) func(context.Context) error {
	decode := func(err error) func(context.Context) error {
		return func(context.Context) error { return retry.Permanent(err) }
	}
	switch ev.EventName {
	case contract.VerificationRequested.Name:
		r, err := contract.VerificationRequested.Decode(ev.Payload)
		if err != nil {
			return decode(err)
		}
		return func(ctx context.Context) error { return h.VerificationRequested(ctx, r) }
	case contract.VerificationAnswered.Name:
		r, err := contract.VerificationAnswered.Decode(ev.Payload)
		if err != nil {
			return decode(err)
		}
		return func(ctx context.Context) error { return h.VerificationAnswered(ctx, r) }
	case contract.CommitmentChanged.Name, contract.OutcomeRecorded.Name:
		cm, err := contract.CommitmentChanged.Decode(ev.Payload)
		if err != nil {
			return decode(err)
		}
		return func(ctx context.Context) error { return h.CommitmentChanged(ctx, cm) }
	case contract.ItemPublished.Name, contract.ItemRetired.Name:
		it, err := contract.ItemPublished.Decode(ev.Payload)
		if err != nil {
			return decode(err)
		}
		return func(ctx context.Context) error { return h.ItemChanged(ctx, it) }
	case contract.SampleChanged.Name:
		s, err := contract.SampleChanged.Decode(ev.Payload)
		if err != nil {
			return decode(err)
		}
		return func(ctx context.Context) error { return h.SampleChanged(ctx, s) }
	}
	return nil
}

func (c *Client) log() *slog.Logger {
	if c.cfg.Logger != nil {
		return c.cfg.Logger
	}
	return slog.New(slog.DiscardHandler)
}
