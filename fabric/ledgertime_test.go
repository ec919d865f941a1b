package fabric

import (
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func envelopeAt(t *testing.T, at time.Time) []byte {
	t.Helper()
	ch, _ := proto.Marshal(&common.ChannelHeader{Timestamp: timestamppb.New(at), TxId: at.String()})
	payload, _ := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: ch}})
	env, err := proto.Marshal(&common.Envelope{Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// Ledger time is the newest transaction the peer marked valid: an invalid
// one's timestamp is only its client's claim.
func TestNewestValidTime(t *testing.T) {
	t1 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	t2 := t1.Add(48 * time.Hour) // claimed by an invalid transaction
	md := make([][]byte, 5)
	md[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = []byte{byte(peer.TxValidationCode_VALID), byte(peer.TxValidationCode_MVCC_READ_CONFLICT)}
	b := &common.Block{Data: &common.BlockData{Data: [][]byte{envelopeAt(t, t1), envelopeAt(t, t2)}}, Metadata: &common.BlockMetadata{Metadata: md}}
	got, ok := newestValidTime(b)
	if !ok || !got.Equal(t1) {
		t.Fatalf("newest valid time %s (%v), want %s", got, ok, t1)
	}
	md[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = []byte{byte(peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE), byte(peer.TxValidationCode_MVCC_READ_CONFLICT)}
	if _, ok := newestValidTime(b); ok {
		t.Fatal("a block without a valid transaction gave a time")
	}
	md[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = nil
	if _, ok := newestValidTime(b); ok {
		t.Fatal("a block without validation flags gave a time")
	}
}
