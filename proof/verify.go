package proof

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/chengnuo/chengnuo/sm"
)

// Checks, in the order Verify runs them: the outer layers first (the hash
// chain, the pinned genesis, the configurations), then the transaction
// from the inside out (the write, the endorsements over it, the proposal
// they signed against the transaction's header, the creator's signature
// over those, the block's data hash over the transaction, the orderers'
// signatures over the header), then the peer's validation flag and the
// letter. A Failure names the first that failed.
const (
	CheckBundle       = "bundle"
	CheckChain        = "hash chain"
	CheckGenesis      = "genesis"
	CheckConfig       = "configuration"
	CheckData         = "block data"
	CheckWrite        = "write set"
	CheckEndorsements = "endorsements"
	CheckProposal     = "endorsed proposal"
	CheckCreator      = "transaction creator"
	CheckOrderers     = "ordering signatures"
	CheckFlag         = "validation flag"
	CheckLetter       = "letter"
	CheckScan         = "scan"
	CheckSignature    = "applicant signature"
)

// Failure is the first check a bundle failed.
type Failure struct {
	Check  string
	Reason string
}

func (f *Failure) Error() string { return f.Check + ": " + f.Reason }

// fail names a failed check. The reason quotes what the bundle holds (MSP
// ids, certificate names, transaction ids), so it is made printable here,
// once: nothing from a bundle reaches a terminal or a page raw.
func fail(check, format string, a ...any) error {
	return &Failure{Check: check, Reason: Printable(fmt.Sprintf(format, a...))}
}

// Report is what a bundle proved.
type Report struct {
	Channel     string    `json:"channel"`
	GenesisHash string    `json:"genesisHash"` // hex SHA-256 of the genesis block header
	BlockNumber uint64    `json:"blockNumber"`
	BlockTime   time.Time `json:"blockTime"` // the transaction's timestamp
	TxID        string    `json:"txId"`
	Creator     string    `json:"creator"`   // MSP id of the submitting department
	Endorsers   []string  `json:"endorsers"` // MSP ids whose peers endorsed
	Departments []string  `json:"departments"`
	Orderers    []string  `json:"orderers"` // "MSP (consenter n)" of each valid ordering signature
	Quorum      int       `json:"quorum"`
	ConfigBlock uint64    `json:"configBlock"`
	// Schema is the bundle's schema; Configurations the number of
	// configuration blocks it carried (the genesis block's included).
	Schema         string          `json:"schema"`
	Configurations int             `json:"configurations"`
	Kind           string          `json:"kind"`
	ID             string          `json:"id,omitempty"`
	LetterDigest   string          `json:"letterDigest"`
	Record         json.RawMessage `json:"record"`
	Status         string          `json:"status,omitempty"` // the record's status at this height
	// ScanDigest is the SM3 of a paper letter's scan, as its record holds
	// it: the letter printed from the draft whose digest is LetterDigest,
	// signed by hand.
	ScanDigest string `json:"scanDigest,omitempty"`
	Letter     string `json:"letter,omitempty"` // what the letter check established
	// Pinned is true when the genesis block was pinned (Options.GenesisHash)
	// and matched. Without a pin nothing ties the bundle to the
	// departments' network: it is consistent, not proven.
	Pinned bool `json:"pinned"`
	// SignerKnown is true when the letter's certificate chains to an
	// applicant CA the verifier was given and names the letter's applicant.
	SignerKnown bool `json:"signerKnown,omitempty"`
}

// Proven reports whether the bundle proves its subject: every check
// passed and the genesis block was pinned.
func (r *Report) Proven() bool { return r.Pinned }

// Options are the verifier's inputs besides the bundle.
type Options struct {
	// GenesisHash pins the channel's genesis block (hex SHA-256 of its
	// header), as the departments publish it. Empty: not pinned; the
	// report is not Pinned and says which hash the bundle leads to.
	GenesisHash string
	// Letter, if set, is the letter file: its canonical bytes, or the
	// submission JSON {"letter", "signature", "publicKey"|"certificate"}.
	Letter []byte
	// ApplicantCAs are the applicant CAs' certificates (PEM) the verifier
	// trusts to name applicants; a letter's certificate that chains to none
	// of them is "a key of unknown owner".
	ApplicantCAs []byte
	// Scan, if set, is the scan of a paper letter: its SM3 must be the
	// record's scan digest.
	Scan []byte
}

// headerHash is Fabric's block header hash: SHA-256 of the ASN.1 form.
func headerHash(h *common.BlockHeader) []byte {
	sum := sha256.Sum256(headerBytes(h))
	return sum[:]
}

func headerBytes(h *common.BlockHeader) []byte {
	raw, err := asn1.Marshal(struct {
		Number       *big.Int
		PreviousHash []byte
		DataHash     []byte
	}{new(big.Int).SetUint64(h.GetNumber()), h.GetPreviousHash(), h.GetDataHash()})
	if err != nil {
		panic(err) // only encodable types
	}
	return raw
}

// Verify checks a bundle (and, if given, the letter) and reports what it
// proved, or returns the first failed check as a *Failure.
func Verify(b *Bundle, opt Options) (*Report, error) {
	v := &verifier{b: b, rep: &Report{Schema: b.Version, Channel: b.Channel, Kind: b.Subject.Kind, ID: b.Subject.ID, LetterDigest: b.Subject.LetterDigest}}
	pin := func() error {
		if opt.GenesisHash == "" {
			return nil
		}
		if len(opt.GenesisHash) != 64 {
			return fail(CheckGenesis, "the pinned genesis hash must be 64 hexadecimal digits")
		}
		if !strings.EqualFold(opt.GenesisHash, v.rep.GenesisHash) {
			return fail(CheckGenesis, "the bundle's genesis block hash %s is not the pinned %s", v.rep.GenesisHash, opt.GenesisHash)
		}
		v.rep.Pinned = true
		return nil
	}
	// Fabric's signatures nest: endorsements cover the read-write set and
	// the hash of the proposal (header and input), the creator's covers the
	// endorsements, the block's data hash covers the transaction, the
	// orderers' signatures cover the data hash. Checking from the inside out
	// names the innermost layer a change broke.
	for _, step := range []func() error{v.chain, pin, v.configs, v.data, v.write, v.endorsements, v.proposal, v.creator, v.dataHash, v.orderers, v.flag} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	if opt.Letter != nil {
		if err := v.letter(opt.Letter, opt.ApplicantCAs); err != nil {
			return nil, err
		}
	}
	if opt.Scan != nil {
		if v.rep.ScanDigest == "" {
			return nil, fail(CheckScan, "the record holds no scan: the letter was not signed on paper")
		}
		if d := sm.SM3Hex(opt.Scan); d != v.rep.ScanDigest {
			return nil, fail(CheckScan, "the scan's SM3 digest is %s, not the proven %s", d, v.rep.ScanDigest)
		}
	}
	return v.rep, nil
}

type verifier struct {
	b       *Bundle
	rep     *Report
	headers []*common.BlockHeader // 0 .. N, schema VersionHashChain only
	top     *common.BlockHeader   // the proven block's
	block   *common.Block
	config  *channelConfig // in force at the block
	env     *common.Envelope
	payload *common.Payload
	chdr    *common.ChannelHeader
	tx      *peer.Transaction
	// The transaction's one action, decoded by data.
	cap *peer.ChaincodeActionPayload
	prp *peer.ProposalResponsePayload
	ca  *peer.ChaincodeAction
}

// chain: the proven block's header decodes and the bundle's height is its.
// In schema VersionHashChain every earlier header decodes too, numbers run
// 0..N and each links to the one before; the genesis hash is then the
// chain's first header's (configs checks that the genesis block is it).
// In schema Version there are no earlier headers: the genesis hash is the
// first configuration block's, and configs links the blocks by signatures.
func (v *verifier) chain() error {
	b := v.b
	if b.Version != Version && b.Version != VersionHashChain {
		return fail(CheckBundle, "unknown bundle version %q (this verifier reads %s and %s)", b.Version, Version, VersionHashChain)
	}
	var top common.BlockHeader
	if err := proto.Unmarshal(b.Block.Header, &top); err != nil {
		return fail(CheckChain, "the block header does not decode: %v", err)
	}
	if b.Height == 0 || top.GetNumber() != b.Height-1 {
		return fail(CheckChain, "the block is block %d, not block %d of a bundle of height %d", top.GetNumber(), b.Height-1, b.Height)
	}
	v.top = &top
	v.rep.BlockNumber = top.GetNumber()
	if b.Version == Version {
		if len(b.Headers) != 0 {
			return fail(CheckChain, "a bundle of %s carries no earlier headers", Version)
		}
		if len(b.Configs) == 0 {
			return fail(CheckConfig, "no configuration blocks (the genesis block comes first)")
		}
		var genesis common.Block
		if err := proto.Unmarshal(b.Configs[0], &genesis); err != nil || genesis.GetHeader() == nil {
			return fail(CheckConfig, "the genesis block does not decode: %v", err)
		}
		if genesis.GetHeader().GetNumber() != 0 {
			return fail(CheckConfig, "the first configuration block is block %d, not the genesis block", genesis.GetHeader().GetNumber())
		}
		v.rep.GenesisHash = hex.EncodeToString(headerHash(genesis.GetHeader()))
		return nil
	}
	if uint64(len(b.Headers)) != b.Height-1 {
		return fail(CheckChain, "%d earlier headers for a block at height %d", len(b.Headers), b.Height)
	}
	for i, raw := range b.Headers {
		var h common.BlockHeader
		if err := proto.Unmarshal(raw, &h); err != nil {
			return fail(CheckChain, "header %d does not decode: %v", i, err)
		}
		v.headers = append(v.headers, &h)
	}
	v.headers = append(v.headers, &top)
	for i, h := range v.headers {
		if h.GetNumber() != uint64(i) {
			return fail(CheckChain, "header %d says it is block %d", i, h.GetNumber())
		}
		if i > 0 && !bytes.Equal(h.GetPreviousHash(), headerHash(v.headers[i-1])) {
			return fail(CheckChain, "block %d does not link to block %d", i, i-1)
		}
	}
	v.rep.GenesisHash = hex.EncodeToString(headerHash(v.headers[0]))
	return nil
}

// configs: the configuration blocks are every one from the genesis block
// to the one in force at the proven block: their numbers rise and stay
// below the proven block's, their configuration sequences run on without a
// gap (Fabric numbers each configuration one more than the last, so none
// can be left out), each one's data is what its header hashes, and each
// after the genesis block is signed by a BFT quorum of the consenters of
// the configuration before it. In schema VersionHashChain each is also the
// block of that number in the hash chain.
func (v *verifier) configs() error {
	if len(v.b.Configs) == 0 {
		return fail(CheckConfig, "no configuration blocks (the genesis block comes first)")
	}
	var prev *channelConfig
	last := uint64(0)
	for i, raw := range v.b.Configs {
		var blk common.Block
		if err := proto.Unmarshal(raw, &blk); err != nil {
			return fail(CheckConfig, "configuration block %d does not decode: %v", i, err)
		}
		n := blk.GetHeader().GetNumber()
		if (i == 0 && n != 0) || (i > 0 && n <= last) || n >= v.top.GetNumber() {
			return fail(CheckConfig, "configuration block %d is block %d, out of order or not before the proven block", i, n)
		}
		if v.headers != nil && !proto.Equal(blk.GetHeader(), v.headers[n]) {
			return fail(CheckConfig, "configuration block %d is not the block %d of the hash chain", i, n)
		}
		if !bytes.Equal(dataHash(blk.GetData().GetData()), blk.GetHeader().GetDataHash()) {
			return fail(CheckConfig, "configuration block %d's data does not match its header", n)
		}
		cfg, err := parseConfig(&blk)
		if err != nil {
			return fail(CheckConfig, "block %d: %v", n, err)
		}
		if cfg.channel != v.b.Channel {
			return fail(CheckConfig, "block %d configures channel %q, not %q", n, cfg.channel, v.b.Channel)
		}
		if prev != nil {
			if cfg.sequence != prev.sequence+1 {
				return fail(CheckConfig, "block %d holds configuration %d after configuration %d: a configuration is missing", n, cfg.sequence, prev.sequence)
			}
			if _, err := prev.checkOrdererSignatures(&blk); err != nil {
				return fail(CheckConfig, "block %d: %v", n, err)
			}
		}
		prev, last = cfg, n
	}
	v.config = prev
	v.rep.ConfigBlock = last
	v.rep.Configurations = len(v.b.Configs)
	v.rep.Departments = prev.applicationOrgs()
	return nil
}

// data: the block's data hashes to its header's data hash and holds the
// transaction; its metadata names the last configuration.
func (v *verifier) data() error {
	b := v.b
	var md common.BlockMetadata
	if err := proto.Unmarshal(b.Block.Metadata, &md); err != nil {
		return fail(CheckData, "the block metadata does not decode: %v", err)
	}
	data := make([][]byte, len(b.Block.Data))
	for i, d := range b.Block.Data {
		data[i] = d
	}
	v.block = &common.Block{Header: v.top, Data: &common.BlockData{Data: data}, Metadata: &md}
	if b.TxIndex < 0 || b.TxIndex >= len(data) {
		return fail(CheckData, "transaction index %d outside a block of %d", b.TxIndex, len(data))
	}
	var err error
	if v.env, v.payload, v.chdr, err = openEnvelope(data[b.TxIndex]); err != nil {
		return fail(CheckData, "the transaction does not decode: %v", err)
	}
	if v.chdr.GetTxId() != b.TxID || v.chdr.GetChannelId() != b.Channel ||
		common.HeaderType(v.chdr.GetType()) != common.HeaderType_ENDORSER_TRANSACTION {
		return fail(CheckData, "transaction %d of the block is %s on %q, not endorser transaction %s on %q",
			b.TxIndex, v.chdr.GetTxId(), v.chdr.GetChannelId(), b.TxID, b.Channel)
	}
	v.rep.TxID, v.rep.BlockTime = v.chdr.GetTxId(), v.chdr.GetTimestamp().AsTime().UTC()
	v.tx = &peer.Transaction{}
	if err := proto.Unmarshal(v.payload.GetData(), v.tx); err != nil || len(v.tx.GetActions()) != 1 {
		return fail(CheckData, "the transaction does not hold one chaincode action (%v)", err)
	}
	v.cap, v.prp, v.ca = &peer.ChaincodeActionPayload{}, &peer.ProposalResponsePayload{}, &peer.ChaincodeAction{}
	if err := errors.Join(proto.Unmarshal(v.tx.GetActions()[0].GetPayload(), v.cap),
		proto.Unmarshal(v.cap.GetAction().GetProposalResponsePayload(), v.prp),
		proto.Unmarshal(v.prp.GetExtension(), v.ca)); err != nil {
		return fail(CheckData, "the chaincode action does not decode: %v", err)
	}
	return nil
}

// dataHash: the block's transactions hash to its header's data hash, so the
// transaction is in the block the orderers signed.
func (v *verifier) dataHash() error {
	if !bytes.Equal(dataHash(v.block.GetData().GetData()), v.block.GetHeader().GetDataHash()) {
		return fail(CheckData, "the block's transactions do not hash to its header's data hash")
	}
	return nil
}

// orderers: a BFT quorum of the consenters in force signed the block, and
// the block says which configuration was in force.
func (v *verifier) orderers() error {
	signers, err := v.config.checkOrdererSignatures(v.block)
	if err != nil {
		return fail(CheckOrderers, "%v", err)
	}
	var sigs common.Metadata
	if err := proto.Unmarshal(metadataAt(v.block, common.BlockMetadataIndex_SIGNATURES), &sigs); err != nil {
		return fail(CheckOrderers, "signatures: %v", err)
	}
	var obm common.OrdererBlockMetadata
	if err := proto.Unmarshal(sigs.GetValue(), &obm); err != nil {
		return fail(CheckOrderers, "orderer block metadata: %v", err)
	}
	if got := obm.GetLastConfig().GetIndex(); got != v.rep.ConfigBlock {
		return fail(CheckConfig, "the block was ordered under configuration block %d, the bundle's last is %d", got, v.rep.ConfigBlock)
	}
	v.rep.Orderers, v.rep.Quorum = signers, v.config.quorum()
	return nil
}

// creator: the envelope is signed by its creator, a member of a
// department of the channel, and the transaction id derives from it.
func (v *verifier) creator() error {
	var sh common.SignatureHeader
	if err := proto.Unmarshal(v.payload.GetHeader().GetSignatureHeader(), &sh); err != nil {
		return fail(CheckCreator, "signature header: %v", err)
	}
	txid := sha256.Sum256(append(append([]byte{}, sh.GetNonce()...), sh.GetCreator()...))
	if hex.EncodeToString(txid[:]) != v.chdr.GetTxId() {
		return fail(CheckCreator, "the transaction id is not derived from its nonce and creator")
	}
	mspID, err := v.config.verify(sh.GetCreator(), v.env.GetPayload(), v.env.GetSignature(), v.rep.BlockTime, "")
	if err != nil {
		return fail(CheckCreator, "%v", err)
	}
	v.rep.Creator = mspID
	return nil
}

// endorsements: every endorsement verifies against its endorser, a peer of
// a department, and the endorsing departments are a majority of the
// channel's departments (the chaincode's policy, /Channel/Application/
// Endorsement: MAJORITY Endorsement, each department's being its peers).
func (v *verifier) endorsements() error {
	prp := v.cap.GetAction().GetProposalResponsePayload()
	orgs := map[string]bool{}
	for i, e := range v.cap.GetAction().GetEndorsements() {
		mspID, err := v.config.verify(e.GetEndorser(), append(append([]byte{}, prp...), e.GetEndorser()...), e.GetSignature(), v.rep.BlockTime, "peer")
		if err != nil {
			return fail(CheckEndorsements, "endorsement %d: %v", i, err)
		}
		orgs[mspID] = true
	}
	for o := range orgs {
		v.rep.Endorsers = append(v.rep.Endorsers, o)
	}
	sort.Strings(v.rep.Endorsers)
	if need := len(v.rep.Departments)/2 + 1; len(orgs) < need {
		return fail(CheckEndorsements, "endorsed by %d of %d departments %v; the policy needs a majority (%d)", len(orgs), len(v.rep.Departments), v.rep.Endorsers, need)
	}
	return nil
}

// proposal: what the endorsers signed is this transaction's proposal.
// An endorsement covers the proposal response payload, which holds the
// hash of the proposal — its channel header (time, transaction id,
// channel), its signature header (creator, nonce) and its input — so the
// time, id, creator and input the bundle reports are the ones a majority
// of the departments endorsed, not ones a client chose when it wrapped an
// endorsed write in an envelope of its own. The peers check the same at
// commit (fabric core/common/validation: validateEndorserTransaction) and
// mark such a transaction invalid, but their flag is signed by nobody.
func (v *verifier) proposal() error {
	act := v.tx.GetActions()[0]
	hdr := v.payload.GetHeader()
	if !bytes.Equal(act.GetHeader(), hdr.GetSignatureHeader()) {
		return fail(CheckProposal, "the action's signature header is not the envelope's: the endorsed proposal was made by another creator or with another nonce")
	}
	if len(v.cap.GetChaincodeProposalPayload()) == 0 {
		return fail(CheckProposal, "the transaction carries no proposal payload to check the endorsed proposal hash against")
	}
	h := sha256.New()
	h.Write(hdr.GetChannelHeader())
	h.Write(act.GetHeader())
	h.Write(v.cap.GetChaincodeProposalPayload())
	if !bytes.Equal(h.Sum(nil), v.prp.GetProposalHash()) {
		return fail(CheckProposal, "the endorsers signed another proposal: the transaction's header (time, id, creator) or input is not the one endorsed, so the endorsed write was re-wrapped")
	}
	return nil
}

// flag: the committing peer marked the transaction valid. The flags are
// not covered by any signature: this is the word of the peer that built
// the bundle, which the checks before make verifiable in part (signatures,
// policy, the endorsed proposal); a read conflict (MVCC) or a duplicate is
// not checked offline (see the package documentation).
func (v *verifier) flag() error {
	flags := metadataAt(v.block, common.BlockMetadataIndex_TRANSACTIONS_FILTER)
	if len(flags) != len(v.block.GetData().GetData()) {
		return fail(CheckFlag, "the block has %d validation flags for %d transactions", len(flags), len(v.block.GetData().GetData()))
	}
	if peer.TxValidationCode(flags[v.b.TxIndex]) != peer.TxValidationCode_VALID {
		return fail(CheckFlag, "the transaction is not marked valid in its block (%s)", peer.TxValidationCode(flags[v.b.TxIndex]))
	}
	return nil
}

// metadataAt is the block's metadata entry i, or nil when the metadata is
// shorter (a truncated bundle must fail a check, not the verifier).
func metadataAt(b *common.Block, i common.BlockMetadataIndex) []byte {
	md := b.GetMetadata().GetMetadata()
	if int(i) < 0 || int(i) >= len(md) {
		return nil
	}
	return md[i]
}

// write: the endorsed read-write set writes the subject's record, and the
// record names the subject's digest.
func (v *verifier) write() error {
	var rws rwset.TxReadWriteSet
	if err := proto.Unmarshal(v.ca.GetResults(), &rws); err != nil {
		return fail(CheckWrite, "read-write set: %v", err)
	}
	if v.ca.GetChaincodeId().GetName() != v.b.Chaincode {
		return fail(CheckWrite, "the transaction ran chaincode %q, not %q", v.ca.GetChaincodeId().GetName(), v.b.Chaincode)
	}
	key, err := subjectKey(v.b.Subject)
	if err != nil {
		return fail(CheckWrite, "%v", err)
	}
	for _, ns := range rws.GetNsRwset() {
		if ns.GetNamespace() != v.b.Chaincode {
			continue
		}
		var kv kvrwset.KVRWSet
		if err := proto.Unmarshal(ns.GetRwset(), &kv); err != nil {
			return fail(CheckWrite, "%v", err)
		}
		for _, w := range kv.GetWrites() {
			if w.GetKey() != key || w.GetIsDelete() {
				continue
			}
			var rec struct {
				Digest       string `json:"digest"`
				LetterDigest string `json:"letterDigest"`
				ScanDigest   string `json:"scanDigest"`
				Status       string `json:"status"`
			}
			if err := json.Unmarshal(w.GetValue(), &rec); err != nil {
				return fail(CheckWrite, "the record does not decode: %v", err)
			}
			if d := rec.LetterDigest + rec.Digest; d != v.b.Subject.LetterDigest {
				return fail(CheckWrite, "the record written is of digest %s, not %s", d, v.b.Subject.LetterDigest)
			}
			v.rep.Record, v.rep.Status, v.rep.ScanDigest = json.RawMessage(w.GetValue()), rec.Status, rec.ScanDigest
			return nil
		}
	}
	return fail(CheckWrite, "the transaction does not write %s %s", v.b.Subject.Kind, v.b.Subject.ID+v.b.Subject.LetterDigest)
}

// subjectKey is the chaincode's composite key of the subject's record.
func subjectKey(s Subject) (string, error) {
	switch s.Kind {
	case KindCommitment:
		if len(s.LetterDigest) < 24 || s.ID != "CN"+s.LetterDigest[:24] {
			return "", fmt.Errorf("commitment id %q does not derive from digest %q", s.ID, s.LetterDigest)
		}
		return "\x00commitment\x00" + s.ID + "\x00", nil
	case KindAnchor:
		return "\x00anchor\x00" + s.LetterDigest + "\x00", nil
	}
	return "", fmt.Errorf("unknown subject kind %q", s.Kind)
}

func dataHash(data [][]byte) []byte {
	sum := sha256.Sum256(bytes.Join(data, nil))
	return sum[:]
}

// channelConfig is what the verifier needs of a channel configuration.
type channelConfig struct {
	channel    string
	sequence   uint64              // the configuration's number: 0 for the genesis block's, one more for each change
	orgs       map[string]*mspInfo // every organisation (application and orderer) by MSP id
	appOrgs    []string
	consenters map[uint32]*common.Consenter
}

type mspInfo struct {
	roots, inters *x509.CertPool
	nodeOUs       bool
}

func (c *channelConfig) applicationOrgs() []string { return slices.Clone(c.appOrgs) }

// quorum is SmartBFT's: ceil((n+f+1)/2) of n consenters, f = (n-1)/3.
func (c *channelConfig) quorum() int {
	n := len(c.consenters)
	f := (n - 1) / 3
	return (n + f + 2) / 2
}

func parseConfig(b *common.Block) (*channelConfig, error) {
	if len(b.GetData().GetData()) != 1 {
		return nil, errors.New("a configuration block holds one transaction")
	}
	_, payload, ch, err := openEnvelope(b.GetData().GetData()[0])
	if err != nil {
		return nil, err
	}
	var ce common.ConfigEnvelope
	if common.HeaderType(ch.GetType()) != common.HeaderType_CONFIG {
		return nil, errors.New("not a configuration block")
	}
	if err := proto.Unmarshal(payload.GetData(), &ce); err != nil {
		return nil, err
	}
	root := ce.GetConfig().GetChannelGroup()
	c := &channelConfig{channel: ch.GetChannelId(), sequence: ce.GetConfig().GetSequence(), orgs: map[string]*mspInfo{}, consenters: map[uint32]*common.Consenter{}}
	for _, section := range []string{"Application", "Orderer"} {
		for name, g := range root.GetGroups()[section].GetGroups() {
			info, id, err := parseMSP(g)
			if err != nil {
				return nil, fmt.Errorf("%s organisation %s: %w", section, name, err)
			}
			c.orgs[id] = info
			if section == "Application" {
				c.appOrgs = append(c.appOrgs, id)
			}
		}
	}
	sort.Strings(c.appOrgs)
	var os common.Orderers
	if v := root.GetGroups()["Orderer"].GetValues()["Orderers"]; v != nil {
		if err := proto.Unmarshal(v.GetValue(), &os); err != nil {
			return nil, err
		}
	}
	for _, cs := range os.GetConsenterMapping() {
		c.consenters[cs.GetId()] = cs
	}
	if len(c.consenters) == 0 || len(c.appOrgs) == 0 {
		return nil, errors.New("no consenters or no departments")
	}
	return c, nil
}

func parseMSP(g *common.ConfigGroup) (*mspInfo, string, error) {
	var mc msp.MSPConfig
	var fc msp.FabricMSPConfig
	v := g.GetValues()["MSP"]
	if v == nil {
		return nil, "", errors.New("no MSP")
	}
	if err := errors.Join(proto.Unmarshal(v.GetValue(), &mc), proto.Unmarshal(mc.GetConfig(), &fc)); err != nil {
		return nil, "", err
	}
	info := &mspInfo{roots: x509.NewCertPool(), inters: x509.NewCertPool(), nodeOUs: fc.GetFabricNodeOus().GetEnable()}
	for _, r := range fc.GetRootCerts() {
		if !info.roots.AppendCertsFromPEM(r) {
			return nil, "", errors.New("a root certificate does not parse")
		}
	}
	for _, r := range fc.GetIntermediateCerts() {
		info.inters.AppendCertsFromPEM(r)
	}
	return info, fc.GetName(), nil
}

// verify checks that serialized identity id is a member of its MSP in this
// configuration (at time at, with the node OU role when one is named and
// the MSP uses node OUs) and signed msg; it returns the MSP id.
func (c *channelConfig) verify(id, msg, sig []byte, at time.Time, role string) (string, error) {
	var si msp.SerializedIdentity
	if err := proto.Unmarshal(id, &si); err != nil {
		return "", fmt.Errorf("identity does not decode: %v", err)
	}
	info := c.orgs[si.GetMspid()]
	if info == nil {
		return "", fmt.Errorf("%s is not an organisation of the channel", si.GetMspid())
	}
	blk, _ := pem.Decode(si.GetIdBytes())
	if blk == nil {
		return "", fmt.Errorf("%s's identity is not a PEM certificate", si.GetMspid())
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return "", fmt.Errorf("%s's certificate: %v", si.GetMspid(), err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: info.roots, Intermediates: info.inters, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return "", fmt.Errorf("%s's certificate %q is not issued by its CA as of %s: %v", si.GetMspid(), cert.Subject.CommonName, at.Format(time.RFC3339), err)
	}
	if role != "" && info.nodeOUs && !slices.Contains(cert.Subject.OrganizationalUnit, role) {
		return "", fmt.Errorf("%s's certificate %q is not a %s", si.GetMspid(), cert.Subject.CommonName, role)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return "", fmt.Errorf("%s's certificate has no ECDSA key", si.GetMspid())
	}
	h := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(pub, h[:], sig) {
		return "", fmt.Errorf("the signature of %s's %q does not verify", si.GetMspid(), cert.Subject.CommonName)
	}
	return si.GetMspid(), nil
}

// checkOrdererSignatures verifies the ordering signatures of block b with
// this configuration's consenters and requires a BFT quorum of distinct
// consenters; it returns who signed.
func (c *channelConfig) checkOrdererSignatures(b *common.Block) ([]string, error) {
	raw := metadataAt(b, common.BlockMetadataIndex_SIGNATURES)
	if len(raw) == 0 {
		return nil, errors.New("the block has no signatures")
	}
	var md common.Metadata
	if err := proto.Unmarshal(raw, &md); err != nil {
		return nil, fmt.Errorf("signatures: %v", err)
	}
	at := time.Now()
	if t, ok := blockTime(b); ok {
		at = t
	}
	signed := map[uint32]string{}
	for _, s := range md.GetSignatures() {
		var ih common.IdentifierHeader
		if err := proto.Unmarshal(s.GetIdentifierHeader(), &ih); err != nil || len(s.GetIdentifierHeader()) == 0 {
			return nil, errors.New("a signature without a consenter identifier")
		}
		cs := c.consenters[ih.GetIdentifier()]
		if cs == nil {
			return nil, fmt.Errorf("signature by %d, not a consenter", ih.GetIdentifier())
		}
		id, _ := proto.Marshal(&msp.SerializedIdentity{Mspid: cs.GetMspId(), IdBytes: cs.GetIdentity()})
		msg := slices.Concat(md.GetValue(), s.GetIdentifierHeader(), headerBytes(b.GetHeader()))
		if _, err := c.verify(id, msg, s.GetSignature(), at, ""); err != nil {
			return nil, fmt.Errorf("consenter %d: %v", ih.GetIdentifier(), err)
		}
		signed[ih.GetIdentifier()] = cs.GetMspId()
	}
	if len(signed) < c.quorum() {
		return nil, fmt.Errorf("signed by %d consenters; a quorum of %d of %d is needed", len(signed), c.quorum(), len(c.consenters))
	}
	var out []string
	for id, m := range signed {
		out = append(out, fmt.Sprintf("%s (consenter %d)", m, id))
	}
	sort.Strings(out)
	return out, nil
}

// blockTime is the timestamp of a block's first transaction.
func blockTime(b *common.Block) (time.Time, bool) {
	if len(b.GetData().GetData()) == 0 {
		return time.Time{}, false
	}
	_, _, ch, err := openEnvelope(b.GetData().GetData()[0])
	if err != nil || ch.GetTimestamp() == nil {
		return time.Time{}, false
	}
	return ch.GetTimestamp().AsTime(), true
}

// openEnvelope decodes a transaction envelope down to its channel header.
func openEnvelope(raw []byte) (*common.Envelope, *common.Payload, *common.ChannelHeader, error) {
	var env common.Envelope
	var payload common.Payload
	var ch common.ChannelHeader
	err := errors.Join(proto.Unmarshal(raw, &env), proto.Unmarshal(env.GetPayload(), &payload),
		proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &ch))
	return &env, &payload, &ch, err
}
