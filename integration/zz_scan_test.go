package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/chengnuo/chengnuo/sm"
)

// freeTexts are the reasons, decisions, evidence and penalties the tests
// write: none may reach a block (only their salted digests do).
var freeTexts = []string{"申请人主动撤回", "核查不一致", "协查部门书面拒绝", "警告并处罚款（测试处罚说明）",
	"本部门不掌握该项数据，请向教育部门申请核查", "申请人提出异议：核查对象有误", "经复核，核查对象有误，异议成立", "已整改",
	"实际办理中需调整证明内容", "经审核同意修订", "建议新增证明事项", "该事项涉及公共安全领域，不适用告知承诺制",
	"户籍与犯罪记录系统查询结果（演示）", "协助核查结果不一致", "已完成整改，信用修复申请经审核通过"}

// TestLedgerHoldsNoPersonalData scans every block of the channel for the
// test applicants' names, ID numbers, phone numbers and the plain SM3 of
// their ID numbers, and for every free text the tests wrote. It lives in
// the last file, so it runs after every other test and scans their blocks.
func TestZZLedgerHoldsNoPersonalData(t *testing.T) {
	c := dialOrg(t, justice)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A fresh anchor marks the current height.
	a, err := c.Anchor(ctx, randomDigest(t))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := c.Network().BlockEvents(ctx, client.WithStartBlock(0))
	if err != nil {
		t.Fatal(err)
	}
	var needles [][]byte
	people.mu.Lock()
	all := append(append([]person{}, applicants...), people.all...)
	people.mu.Unlock()
	all = append(all, person{name: "演示申请人", idNumber: "演示申请人", phone: "13800000000"})
	for _, p := range all {
		d := sm.SM3([]byte(p.idNumber))
		needles = append(needles, []byte(p.name), []byte(p.idNumber), []byte(p.phone), []byte(sm.SM3Hex([]byte(p.idNumber))), d[:])
	}
	for _, s := range freeTexts {
		needles = append(needles, []byte(s))
	}
	scanned, control := 0, false
	for b := range blocks {
		raw, err := proto.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		// Positive control: the scan does see what is on the ledger.
		control = control || strings.Contains(string(raw), a.Digest)
		for _, n := range needles {
			if strings.Contains(string(raw), string(n)) {
				t.Fatalf("block %d holds personal data %q", b.GetHeader().GetNumber(), n)
			}
		}
		if n := b.GetHeader().GetNumber(); n > 0 {
			if signers := blockSigners(t, b); len(signers) < 3 {
				t.Fatalf("block %d is signed by %d orderers %v, not a BFT quorum", n, len(signers), signers)
			}
		}
		scanned++
		if b.GetHeader().GetNumber() >= a.BlockNumber {
			break
		}
	}
	if scanned < 10 || !control {
		t.Fatalf("scanned only %d blocks (control digest found: %v)", scanned, control)
	}
	t.Logf("scanned %d blocks for %d applicants, no personal data; every block after the genesis signed by a BFT quorum", scanned, len(all))
}

// blockSigners returns the distinct consenter ids whose signatures a block
// carries (SmartBFT names a signer by its consenter id, not its certificate).
func blockSigners(t *testing.T, b *common.Block) map[uint32]bool {
	t.Helper()
	md := &common.Metadata{}
	if err := proto.Unmarshal(b.GetMetadata().GetMetadata()[common.BlockMetadataIndex_SIGNATURES], md); err != nil {
		t.Fatalf("block %d signatures: %v", b.GetHeader().GetNumber(), err)
	}
	ids := map[uint32]bool{}
	for _, sig := range md.GetSignatures() {
		h := &common.IdentifierHeader{}
		if err := proto.Unmarshal(sig.GetIdentifierHeader(), h); err != nil || len(sig.GetSignature()) == 0 {
			t.Fatalf("block %d: a signature without an identifier header (%v)", b.GetHeader().GetNumber(), err)
		}
		ids[h.GetIdentifier()] = true
	}
	return ids
}
