package blocks

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/chengnuo/chengnuo"
)

// ReadPeerLedger reads the blocks of a channel as a peer stores them: the
// directory of its block files (ledgersData/chains/chains/CHANNEL,
// blockfile_000000, …), each block a length-prefixed record in Fabric's
// block serialization. A record the peer is still writing (the end of the
// last file) ends the reading. fn gets the blocks in order.
func ReadPeerLedger(dir string, fn func(*common.Block) error) error {
	files, err := filepath.Glob(filepath.Join(dir, "blockfile_*"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%s holds no block files (blockfile_*): give the peer's chains/chains/<channel> directory", dir)
	}
	slices.Sort(files)
	next := uint64(0)
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		for len(raw) > 0 {
			n, k := protowire.ConsumeVarint(raw)
			if k < 0 || uint64(len(raw)-k) < n {
				if i == len(files)-1 {
					return nil // being written
				}
				return fmt.Errorf("%s: a truncated block record", filepath.Base(f))
			}
			b, err := deserialize(raw[k : k+int(n)])
			if err != nil {
				return fmt.Errorf("%s: %w", filepath.Base(f), err)
			}
			if b.GetHeader().GetNumber() != next {
				return fmt.Errorf("%s: block %d where %d was expected", filepath.Base(f), b.GetHeader().GetNumber(), next)
			}
			if err := fn(b); err != nil {
				return err
			}
			next++
			raw = raw[k+int(n):]
		}
	}
	return nil
}

// deserialize reads Fabric's block serialization (blkstorage): the header
// (number, previous hash, data hash), the transactions and the metadata,
// each a varint count or length followed by bytes.
func deserialize(b []byte) (*common.Block, error) {
	bad := errors.New("not a serialized block")
	varint := func() (uint64, bool) {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	bytesOf := func() ([]byte, bool) {
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil, false
		}
		b = b[n:]
		return v, true
	}
	block := &common.Block{Header: &common.BlockHeader{}, Data: &common.BlockData{}, Metadata: &common.BlockMetadata{}}
	var ok bool
	if block.Header.Number, ok = varint(); !ok {
		return nil, bad
	}
	if block.Header.PreviousHash, ok = bytesOf(); !ok {
		return nil, bad
	}
	if block.Header.DataHash, ok = bytesOf(); !ok {
		return nil, bad
	}
	for _, into := range []*[][]byte{&block.Data.Data, &block.Metadata.Metadata} {
		n, ok := varint()
		if !ok || n > uint64(len(b)) {
			return nil, bad
		}
		for range n {
			v, ok := bytesOf()
			if !ok {
				return nil, bad
			}
			*into = append(*into, v)
		}
	}
	if len(b) != 0 {
		return nil, bad
	}
	return block, nil
}

// ReadBlockFiles reads blocks saved one a file (peer channel fetch N
// N.block): every *.block file of dir, by the number in its name.
func ReadBlockFiles(dir string, fn func(*common.Block) error) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.block"))
	if err != nil {
		return err
	}
	num := func(f string) int {
		var n int
		_, _ = fmt.Sscan(strings.TrimSuffix(filepath.Base(f), ".block"), &n)
		return n
	}
	slices.SortFunc(files, func(a, b string) int { return num(a) - num(b) })
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		lb, err := parseBlock(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(f), err)
		}
		if err := fn(lb); err != nil {
			return err
		}
	}
	return nil
}

// Read reads a channel's blocks from dir — a peer's block files, or blocks
// saved one a file — and gives each one's records in namespace chaincode.
func Read(dir, chaincode string, fn func(*chengnuo.LedgerBlock) error) error {
	each := func(b *common.Block) error {
		lb, err := Records(b, chaincode)
		if err != nil {
			return fmt.Errorf("block %d: %w", b.GetHeader().GetNumber(), err)
		}
		return fn(lb)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "blockfile_*")); len(files) > 0 {
		return ReadPeerLedger(dir, each)
	}
	return ReadBlockFiles(dir, each)
}
