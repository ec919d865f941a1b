package blocks

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// serialize writes a block as Fabric's block store does (blkstorage's
// serializeBlock): header, data and metadata, varints and length-prefixed
// bytes.
func serialize(b *common.Block) []byte {
	var out []byte
	out = protowire.AppendVarint(out, b.Header.Number)
	out = protowire.AppendBytes(out, b.Header.PreviousHash)
	out = protowire.AppendBytes(out, b.Header.DataHash)
	out = protowire.AppendVarint(out, uint64(len(b.Data.Data)))
	for _, d := range b.Data.Data {
		out = protowire.AppendBytes(out, d)
	}
	out = protowire.AppendVarint(out, uint64(len(b.Metadata.Metadata)))
	for _, m := range b.Metadata.Metadata {
		out = protowire.AppendBytes(out, m)
	}
	return out
}

func block(n uint64) *common.Block {
	return &common.Block{Header: &common.BlockHeader{Number: n, PreviousHash: []byte{byte(n)}, DataHash: []byte("d")},
		Data: &common.BlockData{Data: [][]byte{[]byte("tx1"), []byte("tx2")}}, Metadata: &common.BlockMetadata{Metadata: [][]byte{{1}, {}, {0, 0}}}}
}

// The peer's block files are read block by block, in order; the record
// the peer is still writing ends the reading; a gap or a file that is not
// a block file is an error.
func TestReadPeerLedger(t *testing.T) {
	dir := t.TempDir()
	var f0, f1 []byte
	for n := range uint64(3) {
		rec := serialize(block(n))
		f0 = append(protowire.AppendVarint(f0, uint64(len(rec))), rec...)
	}
	rec := serialize(block(3))
	f1 = append(protowire.AppendVarint(f1, uint64(len(rec))), rec...)
	partial := serialize(block(4))
	f1 = append(protowire.AppendVarint(f1, uint64(len(partial))), partial[:len(partial)/2]...)
	for name, b := range map[string][]byte{"blockfile_000000": f0, "blockfile_000001": f1} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var got []uint64
	err := ReadPeerLedger(dir, func(b *common.Block) error {
		want := block(b.Header.Number)
		if !proto.Equal(b, want) {
			t.Errorf("block %d read as %v", b.Header.Number, b)
		}
		got = append(got, b.Header.Number)
		return nil
	})
	if err != nil || len(got) != 4 || got[3] != 3 {
		t.Fatalf("read %v, %v", got, err)
	}
	// A gap.
	gap := filepath.Join(t.TempDir(), "blockfile_000000")
	_ = os.WriteFile(gap, append(protowire.AppendVarint(nil, uint64(len(rec))), rec...), 0o600)
	if err := ReadPeerLedger(filepath.Dir(gap), func(*common.Block) error { return nil }); err == nil {
		t.Fatal("a ledger starting at block 3 was read")
	}
	if err := ReadPeerLedger(t.TempDir(), func(*common.Block) error { return nil }); err == nil {
		t.Fatal("an empty directory was read")
	}
	if _, err := deserialize(bytes.Repeat([]byte{0xff}, 20)); err == nil {
		t.Fatal("garbage deserialized")
	}
}

// FuzzDeserialize: any bytes give a block or an error, never a panic.
func FuzzDeserialize(f *testing.F) {
	f.Add(serialize(block(7)))
	f.Add([]byte{0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = deserialize(b)
	})
}
