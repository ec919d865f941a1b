package proof_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/chengnuo/chengnuo/proof"
	"github.com/chengnuo/chengnuo/proof/prooftest"
	"github.com/chengnuo/chengnuo/sm"
)

// anchorAt makes a channel of the founding departments that is height
// blocks high when market anchors a digest in its last block; reshape, if
// set, runs on the channel before that (a configuration change, say).
func anchorAt(tb testing.TB, height uint64, reshape func(ch *prooftest.Channel, orgs []*prooftest.Org)) (*prooftest.Channel, proof.Subject, uint64, string) {
	tb.Helper()
	orgs := prooftest.Departments(tb)
	ch := prooftest.NewChannel(tb, "chengnuo", "notary", orgs...)
	if reshape != nil {
		reshape(ch, orgs)
	}
	ch.Skip(height - 1 - ch.Height())
	digest := sm.SM3Hex(fmt.Appendf(nil, "letter at %d", height))
	endorsers := ch.Orgs[:prooftest.Quorum(len(ch.Orgs))]
	var peers []*prooftest.Identity
	for _, o := range endorsers {
		peers = append(peers, o.Peer)
	}
	p := ch.Endorse(tb, orgs[1].Client, prooftest.Epoch.Add(time.Duration(ch.Height())*time.Second),
		[]prooftest.Write{{Key: prooftest.AnchorKey(digest), Value: []byte(`{"digest":"` + digest + `"}`)}}, peers...)
	blk := ch.Commit(tb, [][]byte{p.Envelope(tb)}, nil)
	return ch, proof.Subject{Kind: proof.KindAnchor, LetterDigest: digest}, blk.Header.Number, p.TxID
}

// Issue 33: a bundle of a block a million blocks up is the size of one a
// thousand blocks up, and proves as much.
func TestBundleSizeDoesNotGrowWithTheLedger(t *testing.T) {
	size := map[uint64]int{}
	for _, height := range []uint64{1_000, 1_000_000} {
		ch, subject, n, txID := anchorAt(t, height, nil)
		b := ch.Bundle(t, subject, n, txID)
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rep, failed := check(t, raw, proof.Options{GenesisHash: ch.GenesisHash()})
		if failed != "" || !rep.Proven() || rep.BlockNumber != height-1 || rep.Schema != proof.Version || rep.Configurations != 1 {
			t.Fatalf("height %d: failed %q, report %+v", height, failed, rep)
		}
		size[height] = len(raw)
	}
	// The block number, the signatures' DER lengths and the certificates
	// (new keys and serial numbers) vary by a few bytes each; a bundle of
	// schema 1 would differ by 133 MB.
	if d := size[1_000_000] - size[1_000]; d < -128 || d > 128 {
		t.Fatalf("a bundle at 10^6 blocks is %d bytes, at 10^3 %d", size[1_000_000], size[1_000])
	}
	t.Logf("bundle at 10^3 blocks: %d bytes, at 10^6 blocks: %d bytes", size[1_000], size[1_000_000])
}

// Issue 33: a department joins in the middle of the chain (as in
// TestFifthDepartmentJoins on the real network); the bundle carries the
// change and checks it, and what the old configuration's consenters sign
// after it is refused.
func TestConfigurationChangeInTheMiddle(t *testing.T) {
	var hrss *prooftest.Org
	var change uint64
	join := func(ch *prooftest.Channel, orgs []*prooftest.Org) {
		ch.Skip(5_000)
		hrss = prooftest.NewOrg(t, "HrssMSP", 5)
		change = ch.Configure(t, append(orgs, hrss)...).Header.Number
		ch.Skip(5_000)
	}
	ch, subject, n, txID := anchorAt(t, 20_000, join)
	pin := proof.Options{GenesisHash: ch.GenesisHash()}
	rep, failed := verify(t, ch.Bundle(t, subject, n, txID), pin)
	if failed != "" || !rep.Proven() || rep.Configurations != 2 || rep.ConfigBlock != change || len(rep.Departments) != 5 || rep.Quorum != 4 {
		t.Fatalf("the honest bundle after the change: failed %q, report %+v", failed, rep)
	}
	if d := proof.Describe(rep); !strings.Contains(d, fmt.Sprintf("under the configuration of block %d, reached from the genesis block %s by 1 change, each signed", change, ch.GenesisHash())) {
		t.Fatalf("Describe does not say how the configuration was reached:\n%s", d)
	}
	founders := ch.Orgs[:4] // JusticeMSP, MarketMSP, PoliceMSP, CreditMSP: the genesis configuration's consenters
	resigned := func(last uint64, signers ...*prooftest.Org) *proof.Bundle {
		b := ch.Bundle(t, subject, n, txID)
		var blk common.Block
		blk.Header = &common.BlockHeader{}
		if err := proto.Unmarshal(b.Block.Header, blk.Header); err != nil {
			t.Fatal(err)
		}
		blk.Metadata = &common.BlockMetadata{}
		if err := proto.Unmarshal(b.Block.Metadata, blk.Metadata); err != nil {
			t.Fatal(err)
		}
		ch.SignBlock(t, &blk, last, signers...)
		b.Block.Metadata, _ = proto.Marshal(blk.Metadata)
		return b
	}
	cases := []struct {
		name  string
		b     *proof.Bundle
		check string
	}{
		// A quorum of the old four (3) is not a quorum of the five (4).
		{"old quorum, new configuration", resigned(change, founders[:3]...), proof.CheckOrderers},
		// Claiming the genesis configuration while carrying the change:
		// the four sign, a quorum of the five, but not under the last
		// configuration the bundle carries.
		{"old consenters, old configuration", resigned(0, founders...), proof.CheckConfig},
		{"old quorum, old configuration", resigned(0, founders[:3]...), proof.CheckOrderers},
		// The change left out: the block says it was ordered under it.
		{"change left out", func() *proof.Bundle {
			b := ch.Bundle(t, subject, n, txID)
			b.Configs = b.Configs[:1]
			return b
		}(), proof.CheckConfig},
		// The change signed by fewer than a quorum of the genesis consenters.
		{"change under no quorum", func() *proof.Bundle {
			b := ch.Bundle(t, subject, n, txID)
			var cfg common.Block
			if err := proto.Unmarshal(b.Configs[1], &cfg); err != nil {
				t.Fatal(err)
			}
			ch.SignBlock(t, &cfg, change, founders[:2]...)
			b.Configs[1], _ = proto.Marshal(&cfg)
			return b
		}(), proof.CheckConfig},
		// The change signed by the new department alone.
		{"change signed by the newcomer", func() *proof.Bundle {
			b := ch.Bundle(t, subject, n, txID)
			var cfg common.Block
			_ = proto.Unmarshal(b.Configs[1], &cfg)
			ch.SignBlock(t, &cfg, change, hrss, hrss, hrss)
			b.Configs[1], _ = proto.Marshal(&cfg)
			return b
		}(), proof.CheckConfig},
		{"configurations swapped", func() *proof.Bundle {
			b := ch.Bundle(t, subject, n, txID)
			b.Configs[0], b.Configs[1] = b.Configs[1], b.Configs[0]
			return b
		}(), proof.CheckConfig},
		{"earlier headers in a schema 2 bundle", func() *proof.Bundle {
			b := ch.Bundle(t, subject, n, txID)
			b.Headers = []proof.B64{b.Block.Header}
			return b
		}(), proof.CheckChain},
		{"another height", func() *proof.Bundle {
			b := ch.Bundle(t, subject, n, txID)
			b.Height++
			return b
		}(), proof.CheckChain},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, failed := verify(t, tc.b, pin); failed != tc.check {
				t.Fatalf("failed %q, want %q", failed, tc.check)
			}
		})
	}
}

// A configuration left out between two others is found by its sequence
// number, even where the signatures alone would pass (the consenters of
// the configuration left out are the genesis's and one more).
func TestMissingConfigurationIsFound(t *testing.T) {
	var leave uint64
	ch, subject, n, txID := anchorAt(t, 3_000, func(ch *prooftest.Channel, orgs []*prooftest.Org) {
		ch.Skip(500)
		ch.Configure(t, append(orgs, prooftest.NewOrg(t, "HrssMSP", 5))...)
		ch.Skip(500)
		leave = ch.Configure(t, orgs...).Header.Number // the fifth leaves again
		ch.Skip(500)
	})
	pin := proof.Options{GenesisHash: ch.GenesisHash()}
	b := ch.Bundle(t, subject, n, txID)
	if rep, failed := verify(t, b, pin); failed != "" || rep.Configurations != 3 || rep.ConfigBlock != leave || len(rep.Departments) != 4 {
		t.Fatalf("failed %q, report %+v", failed, rep)
	}
	b.Configs = []proof.B64{b.Configs[0], b.Configs[2]}
	if _, failed := verify(t, b, pin); failed != proof.CheckConfig {
		t.Fatalf("a bundle without the middle configuration failed %q", failed)
	}
}

// Bundles of schema 1, with the hash chain, still verify, and their chain
// is still checked.
func TestHashChainBundlesStillVerify(t *testing.T) {
	orgs := prooftest.Departments(t)
	ch := prooftest.NewChannel(t, "chengnuo", "notary", orgs...)
	ch.Configure(t, append(orgs, prooftest.NewOrg(t, "HrssMSP", 5))...)
	digest := sm.SM3Hex([]byte("an older letter"))
	p := ch.Endorse(t, orgs[1].Client, prooftest.Epoch.Add(time.Minute),
		[]prooftest.Write{{Key: prooftest.AnchorKey(digest), Value: []byte(`{"digest":"` + digest + `"}`)}}, orgs[0].Peer, orgs[1].Peer, orgs[2].Peer, orgs[3].Peer)
	n := ch.Commit(t, [][]byte{p.Envelope(t)}, nil).Header.Number
	subject := proof.Subject{Kind: proof.KindAnchor, LetterDigest: digest}
	pin := proof.Options{GenesisHash: ch.GenesisHash()}
	rep, failed := verify(t, ch.BundleHashChain(t, subject, n, p.TxID), pin)
	if failed != "" || !rep.Proven() || rep.Schema != proof.VersionHashChain || rep.Configurations != 2 {
		t.Fatalf("failed %q, report %+v", failed, rep)
	}
	for name, edit := range map[string]func(b *proof.Bundle){
		"a header dropped":         func(b *proof.Bundle) { b.Headers = b.Headers[1:] },
		"no headers":               func(b *proof.Bundle) { b.Headers = nil },
		"genesis header altered":   func(b *proof.Bundle) { b.Headers[0] = append(b.Headers[0], 0x1a, 0) },
		"configuration left out":   func(b *proof.Bundle) { b.Configs = b.Configs[:1] },
		"relabelled as schema two": func(b *proof.Bundle) { b.Version = proof.Version },
	} {
		t.Run(name, func(t *testing.T) {
			b := ch.BundleHashChain(t, subject, n, p.TxID)
			edit(b)
			if _, failed := verify(t, b, pin); failed == "" {
				t.Fatal("a broken bundle verifies")
			}
		})
	}
}

// BenchmarkBundle builds and verifies the bundle of a block 10^3 and 10^6
// blocks up: the figures are the same (issue 33). bytes/bundle is the
// bundle's JSON size.
func BenchmarkBundle(b *testing.B) {
	for _, height := range []uint64{1_000, 1_000_000} {
		ch, subject, n, txID := anchorAt(b, height, nil)
		pin := proof.Options{GenesisHash: ch.GenesisHash()}
		b.Run(fmt.Sprintf("height=%d", height), func(b *testing.B) {
			var size int
			for b.Loop() {
				raw, err := json.Marshal(ch.Bundle(b, subject, n, txID))
				if err != nil {
					b.Fatal(err)
				}
				bundle, err := proof.Parse(raw)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := proof.Verify(bundle, pin); err != nil {
					b.Fatal(err)
				}
				size = len(raw)
			}
			b.ReportMetric(float64(size), "bytes/bundle")
		})
	}
}
