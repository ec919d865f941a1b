package proof

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// Bundle schemas. Version is what Build writes: the proven block and the
// chain of configuration blocks from the genesis block, each signed by a
// quorum of the consenters of the one before — a size that grows with the
// configuration changes, not with the height. VersionHashChain, the first
// schema, also carried the header of every earlier block (the hash chain
// down to the genesis block); bundles of it still verify.
const (
	Version          = "chengnuo-proof/2"
	VersionHashChain = "chengnuo-proof/1"
)

// Subject kinds.
const (
	KindCommitment = "commitment"
	KindAnchor     = "anchor"
)

// Bundle is a proof bundle (schema Version or VersionHashChain). Binary parts are protobuf
// messages of Fabric, base64 (standard, padded) in JSON.
type Bundle struct {
	Version   string  `json:"version"`
	Channel   string  `json:"channel"`
	Chaincode string  `json:"chaincode"`
	Subject   Subject `json:"subject"`
	// Height is the number of blocks this proof reflects: it proves the
	// record as written in block Height-1. A later change is a later proof.
	Height uint64 `json:"height"`
	// TxIndex is the position of the transaction in the block's data.
	TxIndex int    `json:"txIndex"`
	TxID    string `json:"txId"`
	// Block is the block holding the transaction: header, data (every
	// transaction envelope) and metadata (ordering signatures, validation
	// flags), each a serialized protobuf.
	Block Block `json:"block"`
	// Headers, in schema VersionHashChain only, are the serialized headers
	// of blocks 0 .. Height-2, in order.
	Headers []B64 `json:"headers,omitempty"`
	// Configs are every configuration block from the genesis block on, up
	// to the one in force at the proven block, each a serialized
	// common.Block.
	Configs []B64 `json:"configs"`
}

// Subject is what the bundle proves was written.
type Subject struct {
	Kind         string `json:"kind"`         // KindCommitment or KindAnchor
	ID           string `json:"id,omitempty"` // commitment id
	LetterDigest string `json:"letterDigest"` // SM3 of the letter's canonical bytes (or the anchored digest)
}

// Block is a block in parts.
type Block struct {
	Header   B64   `json:"header"`   // common.BlockHeader
	Data     []B64 `json:"data"`     // common.Envelope, one per transaction
	Metadata B64   `json:"metadata"` // common.BlockMetadata
}

// B64 is bytes carried as standard base64 in JSON.
type B64 []byte

// MarshalJSON implements json.Marshaler.
func (b B64) MarshalJSON() ([]byte, error) {
	return json.Marshal(base64.StdEncoding.EncodeToString(b))
}

// UnmarshalJSON implements json.Unmarshaler.
func (b *B64) UnmarshalJSON(raw []byte) error {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return err
	}
	d, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("base64: %w", err)
	}
	*b = d
	return nil
}

// Parse decodes a bundle and checks its version.
func Parse(raw []byte) (*Bundle, error) {
	var b Bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, &Failure{Check: CheckBundle, Reason: fmt.Sprintf("not a proof bundle: %v", err)}
	}
	if b.Version != Version && b.Version != VersionHashChain {
		return nil, &Failure{Check: CheckBundle, Reason: Printable(fmt.Sprintf("unknown bundle version %q (this verifier reads %s and %s)", b.Version, Version, VersionHashChain))}
	}
	return &b, nil
}

// Build assembles a bundle of schema Version: block is the serialized
// block holding transaction txID, configs every serialized configuration
// block before it (the genesis block first). Nothing else of the ledger is
// needed, however high it is.
func Build(channel, chaincode string, subject Subject, block []byte, txID string, configs [][]byte) (*Bundle, error) {
	var b common.Block
	if err := proto.Unmarshal(block, &b); err != nil {
		return nil, fmt.Errorf("block: %w", err)
	}
	n := b.GetHeader().GetNumber()
	if len(configs) == 0 {
		return nil, fmt.Errorf("no configuration blocks for block %d", n)
	}
	idx := -1
	for i, raw := range b.GetData().GetData() {
		if _, _, ch, err := openEnvelope(raw); err == nil && ch.GetTxId() == txID {
			idx = i
			break
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("block %d does not hold transaction %s", n, txID)
	}
	hdr, err := proto.Marshal(b.GetHeader())
	if err != nil {
		return nil, err
	}
	md, err := proto.Marshal(b.GetMetadata())
	if err != nil {
		return nil, err
	}
	out := &Bundle{Version: Version, Channel: channel, Chaincode: chaincode, Subject: subject, Height: n + 1, TxIndex: idx, TxID: txID,
		Block: Block{Header: hdr, Metadata: md}}
	for _, d := range b.GetData().GetData() {
		out.Block.Data = append(out.Block.Data, d)
	}
	for _, c := range configs {
		out.Configs = append(out.Configs, c)
	}
	return out, nil
}

// GenesisHash is the hex hash of a serialized genesis block's header, the
// value a verifier pins.
func GenesisHash(block []byte) (string, error) {
	var b common.Block
	if err := proto.Unmarshal(block, &b); err != nil {
		return "", err
	}
	if b.GetHeader().GetNumber() != 0 {
		return "", fmt.Errorf("block %d is not a genesis block", b.GetHeader().GetNumber())
	}
	return hex.EncodeToString(headerHash(b.GetHeader())), nil
}

// BlockNumber is the number of a serialized block.
func BlockNumber(block []byte) (uint64, error) {
	var b common.Block
	if err := proto.Unmarshal(block, &b); err != nil {
		return 0, err
	}
	return b.GetHeader().GetNumber(), nil
}
