// Package blocks reads what the departments' ledger holds from its
// blocks: the records the notary chaincode wrote, by valid transaction, as
// the read model keeps them and as anyone with a peer's blocks can
// recompute them (chengnuo stats --blocks). Pure: Fabric's protobufs and
// the domain.
package blocks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/chengnuo/chengnuo"
)

// Composite keys of the records the read model takes from write sets; they
// must match the chaincode's object types.
var (
	commitmentKeyPrefix = "\x00commitment\x00"
	anchorKeyPrefix     = "\x00anchor\x00"
)

// Kinds are the chaincode's object types of the other records kept for
// supervision (LedgerBlock.Records), by key prefix.
var Kinds = map[string]string{
	"\x00vreq\x00":      chengnuo.RecordRequest,
	"\x00creditrec\x00": chengnuo.RecordCredit,
	"\x00objection\x00": chengnuo.RecordObjection,
	"\x00sample\x00":    chengnuo.RecordSample,
	"\x00catchange\x00": chengnuo.RecordCatalogChange,
}

// Parse decodes a serialized block and extracts its records.
func Parse(raw []byte, chaincode string) (*chengnuo.LedgerBlock, error) {
	b, err := parseBlock(raw)
	if err != nil {
		return nil, err
	}
	return Records(b, chaincode)
}

// parseBlock decodes a serialized block (protobuf).
func parseBlock(raw []byte) (*common.Block, error) {
	var b common.Block
	if err := proto.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("not a block: %w", err)
	}
	return &b, nil
}

// Records extracts from a committed block the records that its valid
// transactions wrote in namespace chaincode: commitments and anchors, and
// the records kept for supervision, with the time of their transaction.
func Records(b *common.Block, chaincode string) (*chengnuo.LedgerBlock, error) {
	out := &chengnuo.LedgerBlock{Number: b.GetHeader().GetNumber()}
	var err error
	if isConfig(b) {
		if out.Config, err = proto.Marshal(b); err != nil {
			return nil, err
		}
	}
	flags := Flags(b)
	for i, raw := range b.GetData().GetData() {
		if i >= len(flags) || peer.TxValidationCode(flags[i]) != peer.TxValidationCode_VALID {
			continue
		}
		writes, txID, events, err := writesOf(raw, chaincode)
		if err != nil {
			return nil, fmt.Errorf("transaction %d: %w", i, err)
		}
		if len(writes) > 0 {
			if _, ch, err := OpenEnvelope(raw); err == nil && ch.GetTimestamp() != nil {
				if t := ch.GetTimestamp().AsTime(); t.After(out.Time) {
					out.Time = t
				}
			}
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
			default:
				for prefix, kind := range Kinds {
					if strings.HasPrefix(k, prefix) {
						id := strings.TrimSuffix(strings.TrimPrefix(k, prefix), "\x00")
						out.Records = append(out.Records, &chengnuo.LedgerRecord{Kind: kind, ID: id, Value: w.GetValue()})
					}
				}
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
	_, ch, err := OpenEnvelope(data[0])
	return err == nil && common.HeaderType(ch.GetType()) == common.HeaderType_CONFIG
}

// OpenEnvelope decodes a transaction envelope's payload and channel header.
func OpenEnvelope(raw []byte) (*common.Payload, *common.ChannelHeader, error) {
	var env common.Envelope
	var payload common.Payload
	var ch common.ChannelHeader
	err := errors.Join(proto.Unmarshal(raw, &env), proto.Unmarshal(env.GetPayload(), &payload),
		proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &ch))
	return &payload, &ch, err
}

// Flags are the validation flags the committing peer set, one per
// transaction of the block.
func Flags(b *common.Block) []byte {
	if md := b.GetMetadata().GetMetadata(); len(md) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		return md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	}
	return nil
}

// writesOf returns the public writes of an endorser transaction in
// namespace ns, and its transaction id; nothing for other transactions
// (configuration, other chaincodes).
func writesOf(raw []byte, ns string) (writes []*kvrwset.KVWrite, txID string, events bool, err error) {
	payload, ch, err := OpenEnvelope(raw)
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
