package proof_test

import (
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/chengnuo/chengnuo/proof"
	"github.com/chengnuo/chengnuo/proof/prooftest"
	"github.com/chengnuo/chengnuo/sm"
)

// network is a synthetic four-department channel with one commitment
// anchored by market in block 1.
type network struct {
	ch                              *prooftest.Channel
	justice, market, police, credit *prooftest.Org
	digest, id                      string
	prop                            *prooftest.Proposal
}

func newNetwork(t *testing.T, letter []byte, signedBy string) *network {
	t.Helper()
	d := prooftest.Departments(t)
	n := &network{justice: d[0], market: d[1], police: d[2], credit: d[3]}
	n.ch = prooftest.NewChannel(t, "chengnuo", "notary", n.justice, n.market, n.police, n.credit)
	n.digest = sm.SM3Hex(letter)
	n.id = "CN" + n.digest[:24]
	n.prop = n.ch.Endorse(t, n.market.Client, prooftest.Epoch.Add(time.Minute),
		[]prooftest.Write{{Key: prooftest.CommitmentKey(n.id), Value: prooftest.CommitmentRecord(n.digest, "MarketMSP", signedBy)}},
		n.justice.Peer, n.market.Peer, n.police.Peer)
	n.ch.Commit(t, [][]byte{n.prop.Envelope(t)}, nil)
	return n
}

func (n *network) subject() proof.Subject {
	return proof.Subject{Kind: proof.KindCommitment, ID: n.id, LetterDigest: n.digest}
}

// verify checks a bundle after a JSON round trip, as a verifier receives it.
func verify(t *testing.T, b *proof.Bundle, opt proof.Options) (*proof.Report, string) {
	t.Helper()
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return check(t, raw, opt)
}

func TestSyntheticBundleIsProvenOnlyWhenPinned(t *testing.T) {
	n := newNetwork(t, []byte("letter"), "SM2_KEY")
	b := n.ch.Bundle(t, n.subject(), 1, n.prop.TxID)
	rep, failed := verify(t, b, proof.Options{GenesisHash: n.ch.GenesisHash()})
	if failed != "" {
		t.Fatalf("an honest bundle fails %q", failed)
	}
	if !rep.Proven() || rep.Creator != "MarketMSP" || len(rep.Endorsers) != 3 || !rep.BlockTime.Equal(prooftest.Epoch.Add(time.Minute)) {
		t.Fatalf("report %+v", rep)
	}
	if d := proof.Describe(rep); !strings.HasPrefix(d, "PROVEN: ") || !strings.Contains(d, "(pinned)") {
		t.Fatalf("a pinned bundle reads:\n%s", d)
	}
	rep, failed = verify(t, b, proof.Options{})
	if failed != "" {
		t.Fatalf("unpinned: %q", failed)
	}
	if rep.Proven() || rep.Pinned {
		t.Fatal("an unpinned bundle is reported as proven")
	}
	if d := proof.Describe(rep); strings.Contains(d, "PROVEN") || !strings.HasPrefix(d, "NOT PINNED") {
		t.Fatalf("an unpinned bundle reads:\n%s", d)
	}
	if _, failed := verify(t, b, proof.Options{GenesisHash: "abc"}); failed != proof.CheckGenesis {
		t.Fatalf("a malformed pin: %q", failed)
	}
}

// An invented network: its own CAs and consenters under the real
// departments' names. Consistent, so never more than NOT PINNED; refused
// against the real network's pin.
func TestInventedNetworkIsNeverProven(t *testing.T) {
	real := newNetwork(t, []byte("letter"), "SM2_KEY")
	fake := newNetwork(t, []byte("letter"), "SM2_KEY")
	b := fake.ch.Bundle(t, fake.subject(), 1, fake.prop.TxID)
	if _, failed := verify(t, b, proof.Options{GenesisHash: real.ch.GenesisHash()}); failed != proof.CheckGenesis {
		t.Fatalf("an invented network against the real pin: %q", failed)
	}
	rep, failed := verify(t, b, proof.Options{})
	if failed != "" || rep.Proven() || len(rep.Endorsers) != 3 {
		t.Fatalf("an invented network unpinned: %q %+v", failed, rep)
	}
}

// The attack of issue 29, item 1: a department's client wraps an endorsed
// write in a new envelope with another time and transaction id (or another
// creator); the orderers order it, the peers mark it invalid, and the
// bundle's flag is set to VALID. Every variant must fail CheckProposal.
func TestRewrappedTransactionIsRefused(t *testing.T) {
	n := newNetwork(t, []byte("letter"), "SM2_KEY")
	later := prooftest.Epoch.Add(30 * 24 * time.Hour)
	cases := []struct {
		name       string
		creator    *prooftest.Identity
		keepAction bool
	}{
		{"same creator, new time and id, endorsed action header", n.market.Client, true},
		{"same creator, new time and id, new action header", n.market.Client, false},
		{"another department's client, endorsed action header", n.police.Client, true},
		{"another department's client, new action header", n.police.Client, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, txID := n.prop.Rewrap(t, tc.creator, later, n.ch.Name, tc.keepAction)
			// The attacker sets the flag: VALID (Commit's default).
			blk := n.ch.Commit(t, [][]byte{env}, nil)
			b := n.ch.Bundle(t, n.subject(), blk.Header.Number, txID)
			rep, failed := verify(t, b, proof.Options{GenesisHash: n.ch.GenesisHash()})
			if failed != proof.CheckProposal {
				t.Fatalf("a re-wrapped transaction: failed %q, want %q (report %+v)", failed, proof.CheckProposal, rep)
			}
		})
	}
	// Sanity: the honest envelope of the same proposal still verifies.
	if _, failed := verify(t, n.ch.Bundle(t, n.subject(), 1, n.prop.TxID), proof.Options{GenesisHash: n.ch.GenesisHash()}); failed != "" {
		t.Fatalf("the honest transaction fails %q", failed)
	}
}

// Issue 29, item 3: truncated, reordered and empty metadata, missing
// flags: a named check, never a panic.
func TestMalformedMetadataNamesACheck(t *testing.T) {
	n := newNetwork(t, []byte("letter"), "SM2_KEY")
	pin := proof.Options{GenesisHash: n.ch.GenesisHash()}
	edit := func(f func(md *common.BlockMetadata)) *proof.Bundle {
		b := n.ch.Bundle(t, n.subject(), 1, n.prop.TxID)
		var md common.BlockMetadata
		if err := proto.Unmarshal(b.Block.Metadata, &md); err != nil {
			t.Fatal(err)
		}
		f(&md)
		b.Block.Metadata, _ = proto.Marshal(&md)
		return b
	}
	cases := []struct {
		name  string
		b     *proof.Bundle
		check string
	}{
		{"no metadata", edit(func(md *common.BlockMetadata) { md.Metadata = nil }), proof.CheckOrderers},
		{"signatures only", edit(func(md *common.BlockMetadata) { md.Metadata = md.Metadata[:1] }), proof.CheckFlag},
		{"two entries", edit(func(md *common.BlockMetadata) { md.Metadata = md.Metadata[:2] }), proof.CheckFlag},
		{"empty flags", edit(func(md *common.BlockMetadata) { md.Metadata[2] = nil }), proof.CheckFlag},
		{"too many flags", edit(func(md *common.BlockMetadata) { md.Metadata[2] = []byte{0, 0} }), proof.CheckFlag},
		{"invalid flag", edit(func(md *common.BlockMetadata) {
			md.Metadata[2] = []byte{byte(peer.TxValidationCode_MVCC_READ_CONFLICT)}
		}), proof.CheckFlag},
		{"reordered", edit(func(md *common.BlockMetadata) { md.Metadata[0], md.Metadata[2] = md.Metadata[2], md.Metadata[0] }), proof.CheckOrderers},
		{"empty entries", edit(func(md *common.BlockMetadata) { md.Metadata = make([][]byte, 5) }), proof.CheckOrderers},
		{"huge count of empty entries", edit(func(md *common.BlockMetadata) { md.Metadata = make([][]byte, 100000) }), proof.CheckOrderers},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, failed := verify(t, tc.b, pin); failed != tc.check {
				t.Fatalf("failed %q, want %q", failed, tc.check)
			}
		})
	}
	for name, f := range map[string]func(b *proof.Bundle){
		"no transactions":   func(b *proof.Bundle) { b.Block.Data = nil },
		"empty transaction": func(b *proof.Bundle) { b.Block.Data[0] = nil },
		"earlier headers":   func(b *proof.Bundle) { b.Headers = []proof.B64{b.Block.Header} },
		"no configs":        func(b *proof.Bundle) { b.Configs = []proof.B64{nil} },
		"huge height":       func(b *proof.Bundle) { b.Height = 1 << 62 },
		"negative index":    func(b *proof.Bundle) { b.TxIndex = -1 },
	} {
		t.Run(name, func(t *testing.T) {
			b := n.ch.Bundle(t, n.subject(), 1, n.prop.TxID)
			f(b)
			if _, failed := verify(t, b, pin); failed == "" {
				t.Fatal("a broken bundle verifies")
			}
		})
	}
}

// Issue 29, item 5: strings from a bundle cannot paint lines of their own.
func TestDescribeEscapesEverythingFromTheBundle(t *testing.T) {
	evil := "\x1b[2K\r\u202ePROVEN: all is well\n"
	j := prooftest.NewOrg(t, "Justice\x1b[31mMSP", 1)
	m := prooftest.NewOrg(t, "MarketMSP\r\nPROVEN", 2)
	p := prooftest.NewOrg(t, "PoliceMSP", 3)
	c := prooftest.NewOrg(t, "CreditMSP", 4)
	ch := prooftest.NewChannel(t, "chengnuo", "notary", j, m, p, c)
	digest := sm.SM3Hex([]byte("x"))
	id := "CN" + digest[:24]
	rec := []byte(`{"letterDigest":"` + digest + `","status":"` + strings.ReplaceAll(strings.ReplaceAll(evil, "\x1b", `\u001b`), "\n", `\n`) + `"}`)
	rec = []byte(strings.ReplaceAll(string(rec), "\r", `\r`))
	prop := ch.Endorse(t, m.Client, prooftest.Epoch.Add(time.Minute), []prooftest.Write{{Key: prooftest.CommitmentKey(id), Value: rec}}, j.Peer, m.Peer, p.Peer)
	ch.Commit(t, [][]byte{prop.Envelope(t)}, nil)
	b := ch.Bundle(t, proof.Subject{Kind: proof.KindCommitment, ID: id, LetterDigest: digest}, 1, prop.TxID)
	rep, failed := verify(t, b, proof.Options{GenesisHash: ch.GenesisHash()})
	if failed != "" {
		t.Fatal(failed)
	}
	if !strings.Contains(rep.Status, "\x1b") {
		t.Fatal("the test's record lost its escape")
	}
	d := proof.Describe(rep)
	for _, r := range d {
		if r != '\n' && !unicode.IsPrint(r) {
			t.Fatalf("Describe prints %U raw:\n%q", r, d)
		}
	}
	for _, line := range strings.Split(d, "\n") {
		if strings.HasPrefix(line, "PROVEN") && line != strings.Split(d, "\n")[0] {
			t.Fatalf("a line of the bundle's own: %q", line)
		}
	}
	if got := proof.Printable("a\x1b[0m\\b\xff"); got != `a\u001b[0m\\b\xff` {
		t.Fatalf("Printable: %q", got)
	}
	// A failure's reason quotes the bundle: escaped too.
	b.Channel = "chengnuo\x1b[2K"
	_, failed = verify(t, b, proof.Options{})
	if failed != proof.CheckConfig {
		t.Fatalf("another channel: %q", failed)
	}
	if _, err := proof.Verify(b, proof.Options{}); strings.Contains(err.Error(), "\x1b") {
		t.Fatalf("a failure prints an escape raw: %q", err)
	}
}

// applicantCA is an SM2 CA that issues applicants' signing certificates.
type applicantCA struct {
	key  *sm2.PrivateKey
	cert *smx509.Certificate
	pem  []byte
}

func newApplicantCA(t *testing.T, name string) *applicantCA {
	t.Helper()
	key, _ := sm.GenerateKey()
	tmpl := &smx509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: prooftest.Epoch.Add(-time.Hour * 24), NotAfter: prooftest.Epoch.Add(time.Hour * 24 * 3650),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: smx509.KeyUsageCertSign}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := smx509.ParseCertificate(der)
	return &applicantCA{key: key, cert: cert, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue makes an applicant's certificate naming name and id, issued by ca
// (nil: self-signed).
func issue(t *testing.T, ca *applicantCA, key *sm2.PrivateKey, name, id string) string {
	t.Helper()
	tmpl := &smx509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: name, SerialNumber: id},
		NotBefore: prooftest.Epoch.Add(-time.Hour), NotAfter: prooftest.Epoch.Add(time.Hour * 24 * 365), KeyUsage: smx509.KeyUsageDigitalSignature}
	parent, signer := tmpl, any(key)
	if ca != nil {
		parent, signer = ca.cert, ca.key
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// Issue 29, item 4: a certificate is the applicant's only when it chains
// to an applicant CA the verifier was given; the record's signedBy is
// compared with the file.
func TestLetterSignerNeedsAnApplicantCA(t *testing.T) {
	const idNumber = "11010519491231002X"
	letter := []byte(`{"applicant":{"idNumber":"` + idNumber + `","name":"张三"},"draftedAt":"2026-03-02T09:00:00Z","schema":"chengnuo/letter/v1"}`)
	key, _ := sm.GenerateKey()
	sig, err := sm.Sign(key, letter)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := sm.MarshalPublicKeyPEM(&key.PublicKey)
	ca, other := newApplicantCA(t, "Applicant CA"), newApplicantCA(t, "Some other CA")
	file := func(field, value string) []byte {
		raw, _ := json.Marshal(map[string]string{"letter": string(letter), "signature": base64.StdEncoding.EncodeToString(sig), field: value})
		return raw
	}
	sm2Net, keyNet, paperNet := newNetwork(t, letter, "SM2"), newNetwork(t, letter, "SM2_KEY"), newNetwork(t, letter, "PAPER")
	cases := []struct {
		name   string
		n      *network
		file   []byte
		cas    []byte
		check  string
		known  bool
		saying string
	}{
		{"self-signed certificate naming the applicant", sm2Net, file("certificate", issue(t, nil, key, "张三", idNumber)), ca.pem, "", false, "a key of unknown owner"},
		{"self-signed, no CA given", sm2Net, file("certificate", issue(t, nil, key, "张三", idNumber)), nil, "", false, "a key of unknown owner"},
		{"issued by another CA", sm2Net, file("certificate", issue(t, other, key, "张三", idNumber)), ca.pem, "", false, "a key of unknown owner"},
		{"issued by the CA, to someone else", sm2Net, file("certificate", issue(t, ca, key, "李四", "110105194912310038")), ca.pem, "", false, "not to the letter's applicant"},
		{"issued by the CA, CA not given", sm2Net, file("certificate", issue(t, ca, key, "张三", idNumber)), nil, "", false, "a key of unknown owner"},
		{"issued by the CA to the applicant", sm2Net, file("certificate", issue(t, ca, key, "张三", idNumber)), ca.pem, "", true, "the certificate of 张三"},
		{"bare key where the record says certificate", sm2Net, file("publicKey", string(pub)), ca.pem, proof.CheckSignature, false, ""},
		{"bare key", keyNet, file("publicKey", string(pub)), ca.pem, "", false, "a key of unknown owner"},
		{"certificate where the record says bare key", keyNet, file("certificate", issue(t, ca, key, "张三", idNumber)), ca.pem, proof.CheckSignature, false, ""},
		{"a signature where the record says paper", paperNet, file("publicKey", string(pub)), ca.pem, proof.CheckSignature, false, ""},
		{"the bare letter of an SM2 record", sm2Net, letter, ca.pem, "", false, "give the signed submission"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.n.ch.Bundle(t, tc.n.subject(), 1, tc.n.prop.TxID)
			rep, failed := verify(t, b, proof.Options{GenesisHash: tc.n.ch.GenesisHash(), Letter: tc.file, ApplicantCAs: tc.cas})
			if failed != tc.check {
				t.Fatalf("failed %q, want %q", failed, tc.check)
			}
			if tc.check != "" {
				return
			}
			if rep.SignerKnown != tc.known || !strings.Contains(rep.Letter, tc.saying) {
				t.Fatalf("signer known %v, letter %q; want %v and %q", rep.SignerKnown, rep.Letter, tc.known, tc.saying)
			}
			if !tc.known && strings.Contains(rep.Letter, "the certificate of") {
				t.Fatalf("an unknown key reads as the applicant's: %q", rep.Letter)
			}
		})
	}
}

// A paper letter's record binds its scan: the proof checks a scan against
// it, and says so.
func TestPaperLetterProofBindsTheScan(t *testing.T) {
	d := prooftest.Departments(t)
	ch := prooftest.NewChannel(t, "chengnuo", "notary", d[0], d[1], d[2], d[3])
	draft, scan := []byte("the draft"), []byte("the signed page, scanned")
	digest := sm.SM3Hex(draft)
	id := "CN" + digest[:24]
	record := fmt.Appendf(nil, `{"letterDigest":%q,"scanDigest":%q,"itemCode":"SC-001","itemVersion":1,"org":"MarketMSP","signedBy":"PAPER","status":"ACTIVE"}`,
		digest, sm.SM3Hex(scan))
	prop := ch.Endorse(t, d[1].Client, prooftest.Epoch.Add(time.Minute), []prooftest.Write{{Key: prooftest.CommitmentKey(id), Value: record}},
		d[0].Peer, d[1].Peer, d[2].Peer)
	ch.Commit(t, [][]byte{prop.Envelope(t)}, nil)
	b := ch.Bundle(t, proof.Subject{Kind: proof.KindCommitment, ID: id, LetterDigest: digest}, 1, prop.TxID)
	rep, failed := verify(t, b, proof.Options{GenesisHash: ch.GenesisHash(), Scan: scan, Letter: draft})
	if failed != "" || rep.ScanDigest != sm.SM3Hex(scan) || !strings.Contains(proof.Describe(rep), "signed on paper: the record binds the scan with SM3 digest "+sm.SM3Hex(scan)) {
		t.Fatalf("the scan: %q %+v", failed, rep)
	}
	if _, failed := verify(t, b, proof.Options{GenesisHash: ch.GenesisHash(), Scan: []byte("another page")}); failed != proof.CheckScan {
		t.Fatalf("another scan: %q", failed)
	}
	// A letter signed electronically has no scan to check.
	n := newNetwork(t, []byte("letter"), "SM2_KEY")
	if _, failed := verify(t, n.ch.Bundle(t, n.subject(), 1, n.prop.TxID), proof.Options{Scan: scan}); failed != proof.CheckScan {
		t.Fatalf("a scan against an electronic letter: %q", failed)
	}
}
