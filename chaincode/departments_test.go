package chaincode_test

import (
	"testing"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
)

func TestDepartmentDirectory(t *testing.T) {
	l := newLedger(t)
	if got := must(t, l, contract.ListDepartments, contract.Empty{}); len(*got) != 0 {
		t.Fatalf("empty directory: %+v", *got)
	}
	m := must(t, l.as(t, "MarketMSP"), contract.PutDepartment, contract.DepartmentArgs{Name: "市市场监管局", NumberPrefix: "虎市监承"})
	if m.MSPID != "MarketMSP" || m.TxID == "" || m.UpdatedAt.IsZero() {
		t.Fatalf("entry: %+v", m)
	}
	must(t, l.as(t, "PoliceMSP"), contract.PutDepartment, contract.DepartmentArgs{Name: "市公安局", NumberPrefix: "虎公承"})
	// Names and prefixes are unique: no department prints another's.
	refused(t, l.as(t, "PoliceMSP"), contract.PutDepartment, contract.DepartmentArgs{Name: "市市场监管局", NumberPrefix: "虎公承"}, chengnuo.ECONFLICT)
	refused(t, l.as(t, "CreditMSP"), contract.PutDepartment, contract.DepartmentArgs{Name: "信用平台", NumberPrefix: "虎市监承"}, chengnuo.ECONFLICT)
	// Malformed entries.
	for _, a := range []contract.DepartmentArgs{
		{Name: "", NumberPrefix: "虎信承"}, {Name: "信用平台", NumberPrefix: ""},
		{Name: "信用平台", NumberPrefix: "虎〔信〕承"}, {Name: "信用平台", NumberPrefix: "虎信承第"}, // 第 is a letter, but fine
		{Name: "信用\n平台", NumberPrefix: "虎信承"}, {Name: " 信用平台", NumberPrefix: "虎信承"},
		{Name: "信用平台", NumberPrefix: "一二三四五六七八九十一二三"},
	}[:0] {
		_ = a
	}
	for _, a := range []contract.DepartmentArgs{
		{Name: "", NumberPrefix: "虎信承"}, {Name: "信用平台", NumberPrefix: ""},
		{Name: "信用平台", NumberPrefix: "虎〔信〕承"}, {Name: "信用\n平台", NumberPrefix: "虎信承"},
		{Name: " 信用平台", NumberPrefix: "虎信承"}, {Name: "信用平台", NumberPrefix: "一二三四五六七八九十一二三"},
		{Name: "信用平台", NumberPrefix: "虎 信承"}, {Name: "<script>", NumberPrefix: "虎信承"},
	} {
		refused(t, l.as(t, "CreditMSP"), contract.PutDepartment, a, chengnuo.EINVALID)
	}
	// A department renames itself; only its own entry changes.
	must(t, l.as(t, "MarketMSP"), contract.PutDepartment, contract.DepartmentArgs{Name: "市市场监督管理局", NumberPrefix: "虎市监承"})
	got := *must(t, l, contract.ListDepartments, contract.Empty{})
	if len(got) != 2 || got[0].MSPID != "MarketMSP" || got[0].Name != "市市场监督管理局" || got[1].MSPID != "PoliceMSP" || got[1].Name != "市公安局" {
		t.Fatalf("directory: %+v %+v", got[0], got[1])
	}
	// Setting the same entry again writes nothing.
	before := l.block
	must(t, l.as(t, "PoliceMSP"), contract.PutDepartment, contract.DepartmentArgs{Name: "市公安局", NumberPrefix: "虎公承"})
	if s := stateOf(l); len(s) == 0 || l.block != before+1 {
		t.Fatalf("state %d keys, block %d", len(s), l.block)
	}
	if again := *must(t, l, contract.ListDepartments, contract.Empty{}); again[1].TxID != got[1].TxID {
		t.Fatalf("an unchanged entry was written again: %s then %s", got[1].TxID, again[1].TxID)
	}
}

// A paper letter printed from its draft binds the draft's digest and the
// scan's: the scan is anchored as naming the commitment, once.
func TestPaperLetterBindsItsScan(t *testing.T) {
	l, it, _ := seed(t)
	paper := func(letterDigest, scan string) chengnuo.AnchorRequest {
		r := letterReq(it, letterDigest, hex64("ab"))
		r.SignedBy, r.ScanDigest = chengnuo.SignedPaper, scan
		return r
	}
	res := must(t, l.as(t, "MarketMSP"), contract.AnchorCommitments, contract.AnchorBatchArgs{Letters: []chengnuo.AnchorRequest{
		paper(hex64("11"), hex64("22")),
		paper(hex64("33"), hex64("22")), // the same scan again, in the batch
		paper(hex64("44"), hex64("11")), // a scan that is the first letter's digest
		paper(hex64("55"), hex64("55")), // a scan that is its own letter
		paper(hex64("66"), "ZZ"),        // malformed
		paper(hex64("77"), digest),      // the scan of an anchored letter
		{LetterDigest: hex64("88"), ItemCode: it.Code, ItemVersion: it.Version, NoticeDigest: it.NoticeDigest,
			ApplicantKey: hex64("ab"), SignedBy: chengnuo.SignedSM2, ScanDigest: hex64("99")}, // not paper
	}})
	want := []string{"", chengnuo.EINVALID, chengnuo.EINVALID, chengnuo.EINVALID, chengnuo.EINVALID, chengnuo.ECONFLICT, chengnuo.EINVALID}
	for i, r := range res.Results {
		if r.Code != want[i] || r.Created != (want[i] == "") {
			t.Errorf("letter %d: %+v, want %q", i, r, want[i])
		}
	}
	c := must(t, l, contract.GetCommitment, contract.IDArgs{ID: chengnuo.CommitmentID(hex64("11"))})
	if c.ScanDigest != hex64("22") || c.SignedBy != chengnuo.SignedPaper {
		t.Fatalf("record: %+v", c)
	}
	a := must(t, l, contract.GetAnchor, contract.DigestArgs{Digest: hex64("22")})
	if a.CommitmentID != c.ID || a.TxID != c.TxID || a.Org != "MarketMSP" {
		t.Fatalf("the scan's anchor: %+v", a)
	}
	// The scan is anchored: neither a bare anchor nor another letter's scan.
	refused(t, l, contract.Anchor, contract.DigestArgs{Digest: hex64("22")}, chengnuo.ECONFLICT)
	again := must(t, l, contract.AnchorCommitments, contract.AnchorBatchArgs{Letters: []chengnuo.AnchorRequest{paper(hex64("12"), hex64("22"))}})
	if again.Results[0].Code != chengnuo.ECONFLICT {
		t.Fatalf("a second letter with the same scan: %+v", again.Results[0])
	}
	// The compact form carries the scan too.
	compact := must(t, l, contract.AnchorCommitments, contract.CompactBatch([]chengnuo.AnchorRequest{paper(hex64("13"), hex64("14"))}))
	if !compact.Results[0].Created {
		t.Fatalf("compact: %+v", compact.Results[0])
	}
	if c := must(t, l, contract.GetCommitment, contract.IDArgs{ID: chengnuo.CommitmentID(hex64("13"))}); c.ScanDigest != hex64("14") {
		t.Fatalf("compact record: %+v", c)
	}
}
