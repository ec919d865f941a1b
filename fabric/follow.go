package fabric

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/chengnuo/chengnuo"
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
		blocks, err := c.network.BlockEvents(sctx, client.WithStartBlock(next))
		if err != nil {
			log.Warn("block stream", slog.String("error", err.Error()))
			return err
		}
		for b := range blocks {
			n := b.GetHeader().GetNumber()
			if n < next {
				continue
			}
			if n > next {
				return fmt.Errorf("block stream skipped from %d to %d", next, n)
			}
			lb, err := RecordsOf(b, c.cfg.Chaincode)
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

// Composite keys of the records the read model takes from write sets; they
// must match the chaincode's object types.
var (
	commitmentKeyPrefix = "\x00commitment\x00"
	anchorKeyPrefix     = "\x00anchor\x00"
)

// RecordsOf extracts from a committed block the commitment and anchor
// records that its valid transactions wrote in namespace chaincode.
func RecordsOf(b *common.Block, chaincode string) (*chengnuo.LedgerBlock, error) {
	out := &chengnuo.LedgerBlock{Number: b.GetHeader().GetNumber()}
	var err error
	if out.Header, err = proto.Marshal(b.GetHeader()); err != nil {
		return nil, err
	}
	if isConfig(b) {
		if out.Config, err = proto.Marshal(b); err != nil {
			return nil, err
		}
	}
	flags := txFlags(b)
	for i, raw := range b.GetData().GetData() {
		if i >= len(flags) || peer.TxValidationCode(flags[i]) != peer.TxValidationCode_VALID {
			continue
		}
		writes, txID, events, err := writesOf(raw, chaincode)
		if err != nil {
			return nil, fmt.Errorf("transaction %d: %w", i, err)
		}
		out.Events = out.Events || events
		for _, w := range writes {
			if w.GetIsDelete() {
				continue
			}
			switch k := w.GetKey(); {
			case strings.HasPrefix(k, commitmentKeyPrefix):
				var c chengnuo.Commitment
				if err := json.Unmarshal(w.GetValue(), &c); err != nil {
					return nil, fmt.Errorf("commitment %q: %w", k, err)
				}
				if c.TxID == txID {
					c.BlockNumber = out.Number
				}
				out.Commitments = append(out.Commitments, &c)
			case strings.HasPrefix(k, anchorKeyPrefix):
				var a chengnuo.Anchor
				if err := json.Unmarshal(w.GetValue(), &a); err != nil {
					return nil, fmt.Errorf("anchor %q: %w", k, err)
				}
				if a.TxID == txID {
					a.BlockNumber = out.Number
				}
				out.Anchors = append(out.Anchors, &a)
			}
		}
	}
	return out, nil
}

// isConfig says whether b is a configuration block.
func isConfig(b *common.Block) bool {
	data := b.GetData().GetData()
	if len(data) != 1 {
		return false
	}
	_, ch, err := openEnvelope(data[0])
	return err == nil && common.HeaderType(ch.GetType()) == common.HeaderType_CONFIG
}

// openEnvelope decodes a transaction envelope's payload and channel header.
func openEnvelope(raw []byte) (*common.Payload, *common.ChannelHeader, error) {
	var env common.Envelope
	var payload common.Payload
	var ch common.ChannelHeader
	err := errors.Join(proto.Unmarshal(raw, &env), proto.Unmarshal(env.GetPayload(), &payload),
		proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &ch))
	return &payload, &ch, err
}

// txFlags are the validation flags the committing peer set, one per
// transaction of the block.
func txFlags(b *common.Block) []byte {
	if md := b.GetMetadata().GetMetadata(); len(md) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		return md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	}
	return nil
}

// writesOf returns the public writes of an endorser transaction in
// namespace ns, and its transaction id; nothing for other transactions
// (configuration, other chaincodes).
func writesOf(raw []byte, ns string) (writes []*kvrwset.KVWrite, txID string, events bool, err error) {
	payload, ch, err := openEnvelope(raw)
	if err != nil {
		return nil, "", false, err
	}
	if common.HeaderType(ch.GetType()) != common.HeaderType_ENDORSER_TRANSACTION {
		return nil, "", false, nil
	}
	var tx peer.Transaction
	if err := proto.Unmarshal(payload.GetData(), &tx); err != nil {
		return nil, "", false, err
	}
	var out []*kvrwset.KVWrite
	for _, act := range tx.GetActions() {
		var cap peer.ChaincodeActionPayload
		var prp peer.ProposalResponsePayload
		var ca peer.ChaincodeAction
		var rws rwset.TxReadWriteSet
		if err := errors.Join(proto.Unmarshal(act.GetPayload(), &cap),
			proto.Unmarshal(cap.GetAction().GetProposalResponsePayload(), &prp),
			proto.Unmarshal(prp.GetExtension(), &ca), proto.Unmarshal(ca.GetResults(), &rws)); err != nil {
			return nil, "", false, err
		}
		if len(ca.GetEvents()) > 0 {
			var ev peer.ChaincodeEvent
			if err := proto.Unmarshal(ca.GetEvents(), &ev); err != nil {
				return nil, "", false, err
			}
			events = events || (ev.GetChaincodeId() == ns && ev.GetEventName() != "")
		}
		for _, nsrw := range rws.GetNsRwset() {
			if nsrw.GetNamespace() != ns {
				continue
			}
			var kv kvrwset.KVRWSet
			if err := proto.Unmarshal(nsrw.GetRwset(), &kv); err != nil {
				return nil, "", false, err
			}
			out = append(out, kv.GetWrites()...)
		}
	}
	return out, ch.GetTxId(), events, nil
}
