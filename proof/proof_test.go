package proof_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/chengnuo/chengnuo/proof"
	"github.com/chengnuo/chengnuo/proof/prooftest"
)

// anchor-bundle.json is a bundle a gateway of a real four-department
// SmartBFT network served for a bare anchor in block 10; genesis is that
// network's genesis hash.
const genesis = "2e98672ccd83e2e84bf5996564ca33d6dd69b7beb8f6f1e3e80db6aa13cd55a0"

func fixture(t testing.TB) []byte {
	raw, err := os.ReadFile("testdata/anchor-bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func check(t *testing.T, raw []byte, opt proof.Options) (*proof.Report, string) {
	t.Helper()
	b, err := proof.Parse(raw)
	if err == nil {
		var rep *proof.Report
		if rep, err = proof.Verify(b, opt); err == nil {
			return rep, ""
		}
	}
	var f *proof.Failure
	if !errors.As(err, &f) {
		t.Fatalf("an error that names no check: %v", err)
	}
	return nil, f.Check
}

func TestRealBundleVerifies(t *testing.T) {
	rep, failed := check(t, fixture(t), proof.Options{GenesisHash: genesis})
	if failed != "" {
		t.Fatalf("the fixture fails %q", failed)
	}
	if rep.BlockNumber != 10 || rep.Creator != "MarketMSP" || len(rep.Endorsers) < 3 || len(rep.Orderers) < rep.Quorum || rep.Quorum != 3 ||
		rep.Kind != proof.KindAnchor || len(rep.Departments) != 4 {
		t.Fatalf("report %+v", rep)
	}
	if d := proof.Describe(rep); len(d) == 0 {
		t.Fatal("no description")
	}
}

func TestTamperedBundlesNameTheCheck(t *testing.T) {
	edit := func(f func(b *proof.Bundle)) []byte {
		b, err := proof.Parse(fixture(t))
		if err != nil {
			t.Fatal(err)
		}
		f(b)
		raw, _ := json.Marshal(b)
		return raw
	}
	cases := []struct {
		name, check string
		raw         []byte
		opt         proof.Options
	}{
		{"not JSON", proof.CheckBundle, []byte("{"), proof.Options{}},
		{"another version", proof.CheckBundle, []byte(`{"version":"chengnuo-proof/0"}`), proof.Options{}},
		{"bad base64", proof.CheckBundle, []byte(`{"version":"chengnuo-proof/1","headers":["%%"]}`), proof.Options{}},
		{"empty", proof.CheckChain, []byte(`{"version":"chengnuo-proof/1"}`), proof.Options{}},
		{"a header dropped", proof.CheckChain, edit(func(b *proof.Bundle) { b.Headers = b.Headers[1:] }), proof.Options{}},
		{"headers swapped", proof.CheckChain, edit(func(b *proof.Bundle) { b.Headers[1], b.Headers[2] = b.Headers[2], b.Headers[1] }), proof.Options{}},
		{"another genesis pinned", proof.CheckGenesis, fixture(t), proof.Options{GenesisHash: "00" + genesis[2:]}},
		{"no configuration", proof.CheckConfig, edit(func(b *proof.Bundle) { b.Configs = nil }), proof.Options{}},
		{"transaction index", proof.CheckData, edit(func(b *proof.Bundle) { b.TxIndex = 5 }), proof.Options{}},
		{"transaction id", proof.CheckData, edit(func(b *proof.Bundle) { b.TxID = "00" + b.TxID[2:] }), proof.Options{}},
		{"another subject", proof.CheckWrite, edit(func(b *proof.Bundle) { b.Subject.LetterDigest = "00" + b.Subject.LetterDigest[2:] }), proof.Options{}},
		{"unknown kind", proof.CheckWrite, edit(func(b *proof.Bundle) { b.Subject.Kind = "x" }), proof.Options{}},
		{"another chaincode", proof.CheckWrite, edit(func(b *proof.Bundle) { b.Chaincode = "other" }), proof.Options{}},
		{"one more transaction", proof.CheckData, edit(func(b *proof.Bundle) { b.Block.Data = append(b.Block.Data, b.Block.Data[0]) }), proof.Options{}},
		{"letter", proof.CheckLetter, fixture(t), proof.Options{Letter: []byte("not the letter")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, failed := check(t, tc.raw, tc.opt); failed != tc.check {
				t.Fatalf("failed %q, want %q", failed, tc.check)
			}
		})
	}
}

// FuzzVerify: whatever the bytes, the verifier answers with a report or a
// named failure, never a panic. The seeds are a real bundle and synthetic
// ones with truncated, reordered and empty metadata, empty slices and huge
// counts (issue 29), so the fuzzer starts from every shape of the parts.
func FuzzVerify(f *testing.F) {
	f.Add(fixture(f))
	f.Add([]byte(`{"version":"chengnuo-proof/1","height":2,"headers":["AA=="],"configs":["AA=="],"block":{"header":"AA=="}}`))
	f.Add([]byte(`{"version":"chengnuo-proof/1","height":18446744073709551615,"txIndex":9223372036854775807,"headers":[],"configs":[],"block":{"data":[]}}`))
	f.Add([]byte(`{"version":"chengnuo-proof/2","height":2,"configs":["AA=="],"block":{"header":"CAE="}}`))
	f.Add([]byte(`{"version":"chengnuo-proof/2","height":18446744073709551615,"configs":[],"block":{"header":"CP////////////8B"}}`))
	for _, seed := range syntheticSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := proof.Parse(raw)
		if err != nil {
			return
		}
		for _, opt := range []proof.Options{{}, {GenesisHash: genesis}, {Letter: []byte("{}")}} {
			if _, err := proof.Verify(b, opt); err != nil {
				var fl *proof.Failure
				if !errors.As(err, &fl) {
					t.Fatalf("unnamed failure: %v", err)
				}
			}
		}
	})
}

// syntheticSeeds are bundles of a synthetic channel, honest and with their
// metadata and slices broken in the ways issue 29 names.
func syntheticSeeds(tb testing.TB) [][]byte {
	orgs := prooftest.Departments(tb)
	ch := prooftest.NewChannel(tb, "chengnuo", "notary", orgs...)
	digest := strings.Repeat("ab", 32)
	p := ch.Endorse(tb, orgs[1].Client, prooftest.Epoch.Add(time.Minute),
		[]prooftest.Write{{Key: prooftest.AnchorKey(digest), Value: []byte(`{"digest":"` + digest + `"}`)}}, orgs[0].Peer, orgs[1].Peer, orgs[2].Peer)
	ch.Commit(tb, [][]byte{p.Envelope(tb)}, nil)
	subject := proof.Subject{Kind: proof.KindAnchor, LetterDigest: digest}
	edits := []func(b *proof.Bundle, md *common.BlockMetadata){
		func(*proof.Bundle, *common.BlockMetadata) {},
		func(_ *proof.Bundle, md *common.BlockMetadata) { md.Metadata = nil },
		func(_ *proof.Bundle, md *common.BlockMetadata) { md.Metadata = md.Metadata[:1] },
		func(_ *proof.Bundle, md *common.BlockMetadata) { md.Metadata = md.Metadata[:2] },
		func(_ *proof.Bundle, md *common.BlockMetadata) {
			md.Metadata[0], md.Metadata[2] = md.Metadata[2], md.Metadata[0]
		},
		func(_ *proof.Bundle, md *common.BlockMetadata) { md.Metadata = make([][]byte, 5) },
		func(_ *proof.Bundle, md *common.BlockMetadata) { md.Metadata = make([][]byte, 1000) },
		func(b *proof.Bundle, _ *common.BlockMetadata) { b.Block.Data = nil },
		func(b *proof.Bundle, _ *common.BlockMetadata) { b.Configs = nil },
		func(b *proof.Bundle, _ *common.BlockMetadata) { b.Configs = append(b.Configs, b.Configs[0]) },
		func(b *proof.Bundle, _ *common.BlockMetadata) { b.Version = proof.VersionHashChain },
		func(b *proof.Bundle, _ *common.BlockMetadata) { b.Height, b.TxIndex = 1<<63, 1<<62 },
	}
	var seeds [][]byte
	for _, edit := range edits {
		b := ch.Bundle(tb, subject, 1, p.TxID)
		var md common.BlockMetadata
		_ = proto.Unmarshal(b.Block.Metadata, &md)
		edit(b, &md)
		b.Block.Metadata, _ = proto.Marshal(&md)
		raw, _ := json.Marshal(b)
		seeds = append(seeds, raw)
	}
	return seeds
}
