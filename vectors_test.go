package chengnuo_test

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/chaincode"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/sm"
)

var update = flag.Bool("update", false, "rewrite testdata/ledger-vectors.json from the current formulas")

// vectors are known answers for every derived value that stays on the
// ledger for decades. They were computed once and committed; a change of
// any formula or encoding fails this test. Regenerate (go test -run
// TestLedgerVectors -update .) only for a deliberate, versioned format change.
type vectors struct {
	ApplicantKeys []struct {
		Secret, IDType, IDNumber string
		Key                      string
	}
	Notice struct {
		Item      chengnuo.Item
		Canonical string
		Digest    string
	}
	Letter struct {
		Applicant chengnuo.Applicant
		Organ     chengnuo.Organ
		Number    string
		Salt      string
		DraftedAt string
		Canonical string
		Digest    string
		ID        string
	}
	Details struct {
		Details chengnuo.RequestDetails
		JSON    string
		Digest  string
	}
	Texts []struct {
		Salt, Text string
		Digest     string
	}
	Seeds []struct {
		Secret, Contribution, SampleID string
		Seed                           string
	}
	Inspectors []struct {
		Seed, CommitmentID string
		Pool               []string
		Drawn              []string
	}
	Selections []struct {
		Seed, CommitmentID string
		Permille           int
		Selected           bool
	}
}

func vectorInputs() *vectors {
	v := &vectors{}
	v.ApplicantKeys = append(v.ApplicantKeys,
		struct{ Secret, IDType, IDNumber, Key string }{"00112233445566778899aabbccddeeff", letter.IDResident, " 11010519491231002x ", ""},
		struct{ Secret, IDType, IDNumber, Key string }{"00112233445566778899aabbccddeeff", letter.IDUSCC, "91350100M000100Y43", ""},
		struct{ Secret, IDType, IDNumber, Key string }{"ffeeddccbbaa99887766554433221100", letter.IDResident, "11010519491231002X", ""})
	v.Notice.Item = chengnuo.Item{Code: "SC-001", Version: 3, Name: "市场主体住所（经营场所）使用证明", Department: "MarketMSP",
		Purpose: "办理市场主体登记", LegalBasis: "《市场主体登记管理条例》", Content: "申请人对住所（经营场所）享有使用权",
		EligibleApplicants: "申请市场主体登记的自然人、法人和非法人组织", CommitmentMethod: "书面承诺，申请人签字或盖章",
		VerificationPower: "行政机关有权对承诺内容进行核查", Liability: "不实承诺的，依法承担法律责任，并记入信用记录",
		Disclosure:   chengnuo.Disclosure{Public: true, Scope: "政务服务网", PeriodDays: 30},
		Verification: chengnuo.VerificationRule{Method: "ONLINE", Department: "PoliceMSP", TimeLimitDays: 20}}
	v.Letter.Applicant = chengnuo.Applicant{Name: "张三", IDType: letter.IDResident, IDNumber: "11010519491231002X", Contact: "13800000000"}
	v.Letter.Organ = chengnuo.Organ{MSPID: "MarketMSP", Name: "市市场监管局", ContactName: "李四", ContactPhone: "0571-88888888"}
	v.Letter.Number = "〔2026〕MarketMSP第000001号"
	v.Letter.Salt = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
	v.Letter.DraftedAt = "2026-03-01T08:00:00Z"
	v.Details.Details = chengnuo.RequestDetails{CommitmentID: "CN0123456789abcdef01234567", Name: "张三", IDType: letter.IDResident,
		IDNumber: "11010519491231002X", Claim: "核查住所使用权", Salt: "00112233445566778899aabbccddeeff"}
	v.Texts = append(v.Texts,
		struct{ Salt, Text, Digest string }{"", "申请人主动撤回", ""},
		struct{ Salt, Text, Digest string }{"a1b2c3d4e5f60718293a4b5c6d7e8f90", "申请人主动撤回", ""})
	v.Seeds = append(v.Seeds, struct{ Secret, Contribution, SampleID, Seed string }{
		"4f2b8c1d9e0a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c",
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "SP0123456789abcdef01234567", ""})
	for _, id := range []string{"CN000000000000000000000000", "CN0123456789abcdef01234567"} {
		v.Inspectors = append(v.Inspectors, struct {
			Seed, CommitmentID string
			Pool               []string
			Drawn              []string
		}{"9c4c5d8f2e", id, []string{"INSP-01", "INSP-02", "INSP-03", "INSP-04", "INSP-05"}, nil})
	}
	for _, id := range []string{"CN000000000000000000000000", "CN0123456789abcdef01234567", "CNffffffffffffffffffffffff"} {
		for _, p := range []int{1, 100, 500, 999} {
			v.Selections = append(v.Selections, struct {
				Seed, CommitmentID string
				Permille           int
				Selected           bool
			}{"9c4c5d8f2e", id, p, false})
		}
	}
	return v
}

// compute fills in every derived value from the inputs.
func compute(t *testing.T, v *vectors) {
	for i := range v.ApplicantKeys {
		k := &v.ApplicantKeys[i]
		secret, _ := hex.DecodeString(k.Secret)
		k.Key = letter.ApplicantKey(secret, k.IDType, k.IDNumber)
	}
	c, err := letter.Canonical(letter.NoticeOf(&v.Notice.Item))
	if err != nil {
		t.Fatal(err)
	}
	v.Notice.Canonical = string(c)
	if v.Notice.Digest, err = letter.NoticeDigest(&v.Notice.Item); err != nil {
		t.Fatal(err)
	}
	_, lc, err := letter.New(&v.Notice.Item, v.Letter.Applicant, v.Letter.Organ, v.Letter.Number, v.Letter.Salt, v.Letter.DraftedAt)
	if err != nil {
		t.Fatal(err)
	}
	v.Letter.Canonical, v.Letter.Digest = string(lc), letter.Digest(lc)
	v.Letter.ID = chengnuo.CommitmentID(v.Letter.Digest)
	dj, _ := json.Marshal(v.Details.Details)
	v.Details.JSON, v.Details.Digest = string(dj), sm.SM3Hex(dj)
	for i := range v.Texts {
		salt, _ := hex.DecodeString(v.Texts[i].Salt)
		v.Texts[i].Digest = sm.TextDigest(salt, v.Texts[i].Text)
	}
	for i := range v.Seeds {
		s := &v.Seeds[i]
		s.Seed = chaincode.SampleSeed(s.Secret, s.Contribution, s.SampleID)
	}
	for i := range v.Inspectors {
		s := &v.Inspectors[i]
		s.Drawn = chaincode.AssignInspectors(s.Seed, s.CommitmentID, s.Pool)
	}
	for i := range v.Selections {
		s := &v.Selections[i]
		s.Selected = chaincode.SampleSelected(s.Seed, s.CommitmentID, s.Permille)
	}
}

func TestLedgerVectors(t *testing.T) {
	path := filepath.Join("testdata", "ledger-vectors.json")
	got := vectorInputs()
	compute(t, got)
	raw, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (generate it once with -update)", err)
	}
	var w vectors
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	// Recompute from the committed inputs (a deep copy), so that the file,
	// not this test's code, defines the cases.
	var inputs vectors
	if err := json.Unmarshal(want, &inputs); err != nil {
		t.Fatal(err)
	}
	compute(t, &inputs)
	a, _ := json.Marshal(inputs)
	b, _ := json.Marshal(w)
	if string(a) != string(b) {
		t.Fatalf("a ledger format changed: recomputed vectors differ from %s\nrecomputed: %s", path, a)
	}
	// The letter's canonical bytes parse back and verify their notice digest.
	l, err := letter.Parse([]byte(w.Letter.Canonical))
	if err != nil || l.NoticeDigest != w.Notice.Digest {
		t.Fatalf("the vector letter does not parse: %v", err)
	}
}
