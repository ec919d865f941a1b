// Package prooftest makes synthetic channels for the proof verifier's
// tests: departments with their own CAs (ECDSA P-256, node OUs, as Fabric
// CA issues them), a genesis configuration block, SmartBFT consenters that
// sign blocks, peers that endorse and clients that submit — everything a
// real channel's blocks carry that package proof checks, made in the test
// in milliseconds. An attacker's moves (a re-wrapped transaction, a forged
// flag, an invented network) are made with the same parts.
package prooftest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chengnuo/chengnuo/proof"
)

// Epoch is the time of the genesis block; later blocks follow a second apart.
var Epoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Identity is a member of a department: its certificate (PEM) and key.
type Identity struct {
	MSPID string
	Cert  []byte
	Key   *ecdsa.PrivateKey
}

// Serialized is the identity as Fabric carries it (msp.SerializedIdentity).
func (id *Identity) Serialized() []byte {
	raw, _ := proto.Marshal(&msp.SerializedIdentity{Mspid: id.MSPID, IdBytes: id.Cert})
	return raw
}

// Sign is Fabric's signature: ECDSA over SHA-256, DER, low S.
func (id *Identity) Sign(msg []byte) []byte {
	h := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(rand.Reader, id.Key, h[:])
	if err != nil {
		panic(err)
	}
	if half := new(big.Int).Rsh(id.Key.Curve.Params().N, 1); s.Cmp(half) > 0 {
		s.Sub(id.Key.Curve.Params().N, s)
	}
	sig, _ := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	return sig
}

// Org is a department: its CA and the identities it enrolled.
type Org struct {
	MSPID                        string
	CACert                       []byte
	caKey                        *ecdsa.PrivateKey
	ca                           *x509.Certificate
	Peer, Client, Orderer, Admin *Identity
	ConsenterID                  uint32
}

// NewOrg makes a department with its own CA and a peer, a client, an
// orderer and an admin identity (node OUs peer, client, orderer, admin).
func NewOrg(tb testing.TB, mspID string, consenterID uint32) *Org {
	tb.Helper()
	key := newKey(tb)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca." + mspID, Organization: []string{mspID}},
		NotBefore: Epoch.Add(-24 * time.Hour), NotAfter: Epoch.Add(20 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	o := &Org{MSPID: mspID, CACert: pemCert(der), caKey: key, ca: ca, ConsenterID: consenterID}
	o.Peer = o.Issue(tb, "peer0", "peer")
	o.Client = o.Issue(tb, "gateway", "client")
	o.Orderer = o.Issue(tb, "orderer0", "orderer")
	o.Admin = o.Issue(tb, "admin", "admin")
	return o
}

// Issue enrols one more identity of the department with the node OU role.
func (o *Org) Issue(tb testing.TB, name, role string) *Identity {
	tb.Helper()
	key := newKey(tb)
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name, OrganizationalUnit: []string{role}, Organization: []string{o.MSPID}},
		NotBefore: Epoch.Add(-time.Hour), NotAfter: Epoch.Add(10 * 365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, o.ca, &key.PublicKey, o.caKey)
	if err != nil {
		tb.Fatal(err)
	}
	return &Identity{MSPID: o.MSPID, Cert: pemCert(der), Key: key}
}

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Departments are four departments as the founding ones of the real
// network are named (JusticeMSP, MarketMSP, PoliceMSP, CreditMSP,
// consenters 1 to 4), each with a CA of its own.
func Departments(tb testing.TB) []*Org {
	tb.Helper()
	var out []*Org
	for i, m := range []string{"JusticeMSP", "MarketMSP", "PoliceMSP", "CreditMSP"} {
		out = append(out, NewOrg(tb, m, uint32(i)+1))
	}
	return out
}

// Channel is a synthetic channel: its blocks, its configuration blocks and
// the departments whose consenters sign.
type Channel struct {
	Name, Chaincode string
	Orgs            []*Org // the departments of the configuration in force
	blocks          map[uint64]*common.Block
	height          uint64
	last            *common.BlockHeader // the latest block's header
	configs         []uint64            // numbers of the configuration blocks
}

// NewChannel makes a channel whose genesis block configures orgs as its
// application organisations, orderer organisations and consenters.
func NewChannel(tb testing.TB, name, chaincode string, orgs ...*Org) *Channel {
	tb.Helper()
	c := &Channel{Name: name, Chaincode: chaincode, blocks: map[uint64]*common.Block{}}
	c.Configure(tb, orgs...)
	return c
}

// Configure appends a configuration block with orgs as the departments;
// after the genesis block it is signed by a quorum of the consenters of the
// configuration before it.
func (c *Channel) Configure(tb testing.TB, orgs ...*Org) *common.Block {
	tb.Helper()
	app := &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{}}
	ord := &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{}, Values: map[string]*common.ConfigValue{}}
	var consenters []*common.Consenter
	for _, o := range orgs {
		fc, _ := proto.Marshal(&msp.FabricMSPConfig{Name: o.MSPID, RootCerts: [][]byte{o.CACert},
			FabricNodeOus: &msp.FabricNodeOUs{Enable: true}})
		mc, _ := proto.Marshal(&msp.MSPConfig{Type: 0, Config: fc})
		g := &common.ConfigGroup{Values: map[string]*common.ConfigValue{"MSP": {Value: mc}}}
		app.Groups[o.MSPID], ord.Groups[o.MSPID] = g, g
		consenters = append(consenters, &common.Consenter{Id: o.ConsenterID, Host: "127.0.0.1", Port: 7050 + o.ConsenterID,
			MspId: o.MSPID, Identity: o.Orderer.Cert})
	}
	os, _ := proto.Marshal(&common.Orderers{ConsenterMapping: consenters})
	ord.Values["Orderers"] = &common.ConfigValue{Value: os}
	ce, _ := proto.Marshal(&common.ConfigEnvelope{Config: &common.Config{Sequence: uint64(len(c.configs)),
		ChannelGroup: &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{"Application": app, "Orderer": ord}}}})
	signer := orgs[0].Orderer
	if len(c.Orgs) > 0 {
		signer = c.Orgs[0].Orderer
	}
	env := c.envelope(tb, common.HeaderType_CONFIG, signer, c.nextTime(), ce)
	b := c.seal(tb, [][]byte{env}, []peer.TxValidationCode{peer.TxValidationCode_VALID}, true, c.Orgs)
	c.Orgs = orgs
	c.configs = append(c.configs, b.Header.Number)
	return b
}

func (c *Channel) nextTime() time.Time { return Epoch.Add(time.Duration(c.height) * time.Second) }

// Skip grows the chain by n blocks that only carry it forward: each
// header links to the one before, and only the latest is kept, so a chain
// of a million blocks is made in about a second and held in a few bytes.
// A bundle of schema 2 never looks at them; BundleHashChain, which needs
// every header, cannot be made past them.
func (c *Channel) Skip(n uint64) {
	empty := sha256.Sum256(nil)
	for range n {
		c.last = &common.BlockHeader{Number: c.height, PreviousHash: HeaderHash(c.last), DataHash: empty[:]}
		c.height++
	}
}

// envelope is a signed envelope of the given type with a fresh nonce.
func (c *Channel) envelope(tb testing.TB, typ common.HeaderType, creator *Identity, at time.Time, data []byte) []byte {
	tb.Helper()
	nonce := make([]byte, 24)
	_, _ = rand.Read(nonce)
	sh, _ := proto.Marshal(&common.SignatureHeader{Creator: creator.Serialized(), Nonce: nonce})
	ch, _ := proto.Marshal(&common.ChannelHeader{Type: int32(typ), ChannelId: c.Name, Timestamp: timestamppb.New(at),
		TxId: TxID(nonce, creator.Serialized())})
	payload, _ := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: ch, SignatureHeader: sh}, Data: data})
	raw, _ := proto.Marshal(&common.Envelope{Payload: payload, Signature: creator.Sign(payload)})
	return raw
}

// TxID is Fabric's transaction id: hex SHA-256 of nonce and creator.
func TxID(nonce, creator []byte) string {
	h := sha256.Sum256(slices.Concat(nonce, creator))
	return hex.EncodeToString(h[:])
}

// Write is one key the chaincode writes.
type Write struct {
	Key   string
	Value []byte
}

// Proposal is an endorsed proposal: what a client holds after the
// endorsers answered, before it wraps the result in an envelope.
type Proposal struct {
	ChannelHeader, SignatureHeader []byte // as the endorsers hashed them
	ProposalPayload                []byte // the chaincode proposal payload (input)
	Endorsed                       *peer.ChaincodeEndorsedAction
	Creator                        *Identity
	TxID                           string
}

// Endorse has creator propose a transaction at time at that writes
// writes, and endorsers endorse it.
func (c *Channel) Endorse(tb testing.TB, creator *Identity, at time.Time, writes []Write, endorsers ...*Identity) *Proposal {
	tb.Helper()
	nonce := make([]byte, 24)
	_, _ = rand.Read(nonce)
	txID := TxID(nonce, creator.Serialized())
	ext, _ := proto.Marshal(&peer.ChaincodeHeaderExtension{ChaincodeId: &peer.ChaincodeID{Name: c.Chaincode}})
	ch, _ := proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: c.Name,
		Timestamp: timestamppb.New(at), TxId: txID, Extension: ext})
	sh, _ := proto.Marshal(&common.SignatureHeader{Creator: creator.Serialized(), Nonce: nonce})
	input, _ := proto.Marshal(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		ChaincodeId: &peer.ChaincodeID{Name: c.Chaincode}, Input: &peer.ChaincodeInput{Args: [][]byte{[]byte("Anchor")}}}})
	cpp, _ := proto.Marshal(&peer.ChaincodeProposalPayload{Input: input})
	var kv kvrwset.KVRWSet
	for _, w := range writes {
		kv.Writes = append(kv.Writes, &kvrwset.KVWrite{Key: w.Key, Value: w.Value})
	}
	nsrw, _ := proto.Marshal(&kv)
	results, _ := proto.Marshal(&rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV,
		NsRwset: []*rwset.NsReadWriteSet{{Namespace: c.Chaincode, Rwset: nsrw}}})
	action, _ := proto.Marshal(&peer.ChaincodeAction{Results: results, Response: &peer.Response{Status: 200},
		ChaincodeId: &peer.ChaincodeID{Name: c.Chaincode, Version: "1"}})
	hash := sha256.Sum256(slices.Concat(ch, sh, cpp))
	prp, _ := proto.Marshal(&peer.ProposalResponsePayload{ProposalHash: hash[:], Extension: action})
	ea := &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp}
	for _, e := range endorsers {
		ea.Endorsements = append(ea.Endorsements, &peer.Endorsement{Endorser: e.Serialized(),
			Signature: e.Sign(slices.Concat(prp, e.Serialized()))})
	}
	return &Proposal{ChannelHeader: ch, SignatureHeader: sh, ProposalPayload: cpp, Endorsed: ea, Creator: creator, TxID: txID}
}

// Envelope is the honest transaction: the endorsed proposal's own headers,
// signed by its creator.
func (p *Proposal) Envelope(tb testing.TB) []byte {
	tb.Helper()
	return wrap(tb, p.ChannelHeader, p.SignatureHeader, p.SignatureHeader, p.ProposalPayload, p.Endorsed, p.Creator)
}

// Rewrap is the attack of issue 29: a client (creator, possibly another
// one) wraps the endorsed write in an envelope of its own with another
// time and transaction id. actionHeader selects what the action's
// signature header says: the endorsed one (true) or the new envelope's.
func (p *Proposal) Rewrap(tb testing.TB, creator *Identity, at time.Time, channel string, keepActionHeader bool) (env []byte, txID string) {
	tb.Helper()
	nonce := make([]byte, 24)
	_, _ = rand.Read(nonce)
	txID = TxID(nonce, creator.Serialized())
	var old common.ChannelHeader
	_ = proto.Unmarshal(p.ChannelHeader, &old)
	ch, _ := proto.Marshal(&common.ChannelHeader{Type: old.Type, ChannelId: channel, Timestamp: timestamppb.New(at),
		TxId: txID, Extension: old.Extension})
	sh, _ := proto.Marshal(&common.SignatureHeader{Creator: creator.Serialized(), Nonce: nonce})
	actionHeader := sh
	if keepActionHeader {
		actionHeader = p.SignatureHeader
	}
	return wrap(tb, ch, sh, actionHeader, p.ProposalPayload, p.Endorsed, creator), txID
}

func wrap(tb testing.TB, ch, sh, actionHeader, cpp []byte, ea *peer.ChaincodeEndorsedAction, creator *Identity) []byte {
	tb.Helper()
	cap, err := proto.Marshal(&peer.ChaincodeActionPayload{ChaincodeProposalPayload: cpp, Action: ea})
	if err != nil {
		tb.Fatal(err)
	}
	tx, _ := proto.Marshal(&peer.Transaction{Actions: []*peer.TransactionAction{{Header: actionHeader, Payload: cap}}})
	payload, _ := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: ch, SignatureHeader: sh}, Data: tx})
	raw, _ := proto.Marshal(&common.Envelope{Payload: payload, Signature: creator.Sign(payload)})
	return raw
}

// Commit orders envelopes into the next block, signed by a quorum of the
// consenters in force, with the given validation flags (all VALID when
// nil).
func (c *Channel) Commit(tb testing.TB, envs [][]byte, flags []peer.TxValidationCode) *common.Block {
	tb.Helper()
	if flags == nil {
		flags = make([]peer.TxValidationCode, len(envs))
	}
	return c.seal(tb, envs, flags, false, c.Orgs)
}

// Quorum is SmartBFT's quorum of n consenters.
func Quorum(n int) int {
	f := (n - 1) / 3
	return (n + f + 2) / 2
}

// seal makes the next block of envs, signed by a quorum of signers'
// consenters (none for the genesis block), and appends it. A configuration
// block names itself as the last configuration, as Fabric's orderers write
// it; any other block the configuration block before it.
func (c *Channel) seal(tb testing.TB, envs [][]byte, flags []peer.TxValidationCode, config bool, signers []*Org) *common.Block {
	tb.Helper()
	n := c.height
	var prev []byte
	if n > 0 {
		prev = HeaderHash(c.last)
	}
	dh := sha256.Sum256(slices.Concat(envs...))
	b := &common.Block{Header: &common.BlockHeader{Number: n, PreviousHash: prev, DataHash: dh[:]},
		Data: &common.BlockData{Data: envs}, Metadata: &common.BlockMetadata{Metadata: make([][]byte, 5)}}
	fl := make([]byte, len(flags))
	for i, f := range flags {
		fl[i] = byte(f)
	}
	b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = fl
	last := uint64(0)
	if len(c.configs) > 0 {
		last = c.configs[len(c.configs)-1]
	}
	if config {
		last = n
	}
	c.SignBlock(tb, b, last, signers[:min(len(signers), Quorum(len(signers)))]...)
	c.blocks[n], c.last = b, b.Header
	c.height++
	return b
}

// SignBlock (re)writes a block's ordering signatures: by the consenters of
// signers, under configuration block last.
func (c *Channel) SignBlock(tb testing.TB, b *common.Block, last uint64, signers ...*Org) {
	tb.Helper()
	value, _ := proto.Marshal(&common.OrdererBlockMetadata{LastConfig: &common.LastConfig{Index: last}})
	md := &common.Metadata{Value: value}
	hdr := HeaderBytes(b.Header)
	for _, o := range signers {
		ih, _ := proto.Marshal(&common.IdentifierHeader{Identifier: o.ConsenterID, Nonce: []byte{1, 2, 3}})
		md.Signatures = append(md.Signatures, &common.MetadataSignature{IdentifierHeader: ih,
			Signature: o.Orderer.Sign(slices.Concat(value, ih, hdr))})
	}
	b.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], _ = proto.Marshal(md)
}

// Block is block n (nil for a block Skip made).
func (c *Channel) Block(n uint64) *common.Block { return c.blocks[n] }

// Height is the number of blocks.
func (c *Channel) Height() uint64 { return c.height }

// Configs are the numbers of the configuration blocks.
func (c *Channel) Configs() []uint64 { return slices.Clone(c.configs) }

// GenesisHash is the hash a verifier pins.
func (c *Channel) GenesisHash() string { return hex.EncodeToString(HeaderHash(c.blocks[0].Header)) }

// Bundle is the proof bundle of transaction txID in block n, built as a
// gateway builds it (schema 2).
func (c *Channel) Bundle(tb testing.TB, subject proof.Subject, n uint64, txID string) *proof.Bundle {
	tb.Helper()
	block, err := proto.Marshal(c.blocks[n])
	if err != nil {
		tb.Fatal(err)
	}
	b, err := proof.Build(c.Name, c.Chaincode, subject, block, txID, c.configsBefore(tb, n))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func (c *Channel) configsBefore(tb testing.TB, n uint64) [][]byte {
	tb.Helper()
	var configs [][]byte
	for _, k := range c.configs {
		if k < n {
			raw, err := proto.Marshal(c.blocks[k])
			if err != nil {
				tb.Fatal(err)
			}
			configs = append(configs, raw)
		}
	}
	return configs
}

// BundleHashChain is the bundle of schema 1 (chengnuo-proof/1) that
// gateways built before schema 2: the same, and the header of every block
// before block n.
func (c *Channel) BundleHashChain(tb testing.TB, subject proof.Subject, n uint64, txID string) *proof.Bundle {
	tb.Helper()
	b := c.Bundle(tb, subject, n, txID)
	b.Version = proof.VersionHashChain
	for i := range n {
		if c.blocks[i] == nil {
			tb.Fatalf("block %d was skipped: a bundle of schema 1 needs its header", i)
		}
		h, err := proto.Marshal(c.blocks[i].Header)
		if err != nil {
			tb.Fatal(err)
		}
		b.Headers = append(b.Headers, h)
	}
	return b
}

// HeaderBytes is the ASN.1 form of a block header that Fabric hashes and
// the consenters sign.
func HeaderBytes(h *common.BlockHeader) []byte {
	raw, err := asn1.Marshal(struct {
		Number       *big.Int
		PreviousHash []byte
		DataHash     []byte
	}{new(big.Int).SetUint64(h.GetNumber()), h.GetPreviousHash(), h.GetDataHash()})
	if err != nil {
		panic(err)
	}
	return raw
}

// HeaderHash is Fabric's block header hash.
func HeaderHash(h *common.BlockHeader) []byte {
	sum := sha256.Sum256(HeaderBytes(h))
	return sum[:]
}

// CommitmentKey is the chaincode's state key of a commitment record.
func CommitmentKey(id string) string { return "\x00commitment\x00" + id + "\x00" }

// AnchorKey is the chaincode's state key of a bare anchor.
func AnchorKey(digest string) string { return "\x00anchor\x00" + digest + "\x00" }

// CommitmentRecord is a commitment record as the chaincode writes it.
func CommitmentRecord(digest, org, signedBy string) []byte {
	return fmt.Appendf(nil, `{"letterDigest":%q,"itemCode":"SC-001","itemVersion":1,"org":%q,"signedBy":%q,"status":"ACTIVE"}`,
		digest, org, signedBy)
}
