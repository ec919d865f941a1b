package fabric

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/chengnuo/chengnuo"
)

// EventVerificationRequested is the chaincode event of a new request.
const EventVerificationRequested = "VerificationRequested"

// ListenVerificationRequests feeds every VerificationRequested event to
// handle, in ledger order, and checkpoints each event only after handle
// returned, fsyncing the checkpoint file: after a restart the stream resumes
// at the first event not yet handled, so no event is missed, and the
// handler's own idempotence covers the one event that may be replayed. It
// reconnects after stream errors and returns when ctx ends.
func (c *Client) ListenVerificationRequests(ctx context.Context, checkpointFile string, log *slog.Logger,
	handle func(context.Context, *chengnuo.VerificationRequest) error) error {
	cp, err := client.NewFileCheckpointer(checkpointFile)
	if err != nil {
		return err
	}
	defer cp.Close()
	for ctx.Err() == nil {
		opts := []client.ChaincodeEventsOption{client.WithCheckpoint(cp)}
		if cp.BlockNumber() == 0 && cp.TransactionID() == "" {
			opts = append(opts, client.WithStartBlock(0)) // the first run reads from the start
		}
		sctx, cancel := context.WithCancel(ctx)
		events, err := c.network.ChaincodeEvents(sctx, c.cfg.Chaincode, opts...)
		if err != nil {
			cancel()
			log.Warn("event stream", slog.String("error", err.Error()))
			sleep(ctx, 2*time.Second)
			continue
		}
		for ev := range events {
			if ev.EventName == EventVerificationRequested {
				var r chengnuo.VerificationRequest
				if err := json.Unmarshal(ev.Payload, &r); err != nil {
					log.Error("undecodable event", slog.String("txId", ev.TransactionID), slog.String("error", err.Error()))
				} else {
					c.handleWithRetry(ctx, log, &r, handle)
				}
			}
			if ctx.Err() != nil {
				break
			}
			if err := cp.CheckpointChaincodeEvent(ev); err != nil {
				log.Error("checkpoint", slog.String("error", err.Error()))
			}
			if err := cp.Sync(); err != nil {
				log.Error("checkpoint sync", slog.String("error", err.Error()))
			}
		}
		cancel()
		sleep(ctx, time.Second)
	}
	return ctx.Err()
}

func (c *Client) handleWithRetry(ctx context.Context, log *slog.Logger, r *chengnuo.VerificationRequest,
	handle func(context.Context, *chengnuo.VerificationRequest) error) {
	delay := 500 * time.Millisecond
	for attempt := 1; ctx.Err() == nil; attempt++ {
		err := handle(ctx, r)
		if err == nil {
			return
		}
		log.Warn("handling verification request", slog.String("request", r.ID), slog.Int("attempt", attempt), slog.String("error", err.Error()))
		if attempt >= 8 {
			log.Error("giving up automatic handling; the request stays in the inbox for a clerk", slog.String("request", r.ID))
			return
		}
		sleep(ctx, delay)
		delay = min(2*delay, 10*time.Second)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
