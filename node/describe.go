package node

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer/smartbft"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/chengnuo/chengnuo/proof"
)

// ParseUpdate decodes a configuration update envelope (as propose-join
// writes it and sign-update signs it): the update and the signatures it
// carries so far.
func ParseUpdate(raw []byte) (*common.ConfigUpdate, []*common.ConfigSignature, error) {
	var env common.Envelope
	var payload common.Payload
	var ch common.ChannelHeader
	var cue common.ConfigUpdateEnvelope
	var cu common.ConfigUpdate
	if err := errors.Join(proto.Unmarshal(raw, &env), proto.Unmarshal(env.GetPayload(), &payload),
		proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &ch)); err != nil {
		return nil, nil, fmt.Errorf("not a configuration update envelope: %w", err)
	}
	if common.HeaderType(ch.GetType()) != common.HeaderType_CONFIG_UPDATE {
		return nil, nil, fmt.Errorf("not a configuration update (header type %d)", ch.GetType())
	}
	if err := errors.Join(proto.Unmarshal(payload.GetData(), &cue), proto.Unmarshal(cue.GetConfigUpdate(), &cu)); err != nil {
		return nil, nil, fmt.Errorf("the configuration update does not decode: %w", err)
	}
	if cu.GetWriteSet() == nil {
		return nil, nil, errors.New("the configuration update writes nothing")
	}
	return &cu, cue.GetSignatures(), nil
}

// Describe says in plain words what a configuration update would change
// in the channel whose current configuration block is configBlock: the
// organisations and consenters it adds or removes, the policies and their
// thresholds, the capabilities and batch parameters, the certificate
// authorities of a department — and any other value it touches, so that
// nothing an admin signs goes unseen. It also names who signed so far.
func Describe(configBlock, update []byte) ([]string, error) {
	channel, cfg, err := ConfigOfBlock(configBlock)
	if err != nil {
		return nil, err
	}
	cu, sigs, err := ParseUpdate(update)
	if err != nil {
		return nil, err
	}
	var out []string
	say := func(format string, a ...any) { out = append(out, proof.Printable(fmt.Sprintf(format, a...))) }
	if cu.GetChannelId() != channel {
		say("WARNING: the update is for channel %q, not %q: the orderers will refuse it here", cu.GetChannelId(), channel)
	}
	if stale := staleReads(cfg.GetChannelGroup(), cu.GetReadSet(), "/Channel"); len(stale) > 0 {
		say("WARNING: the update was computed against an older configuration (%s changed since); the orderers will refuse it — propose it again",
			strings.Join(stale, ", "))
	}
	after := merge(cfg.GetChannelGroup(), cu.GetWriteSet(), cu.GetReadSet())
	d := &differ{say: say}
	d.group("/Channel", cfg.GetChannelGroup(), after)
	if !d.changed {
		say("changes nothing")
	}
	for _, s := range sigs {
		var sh common.SignatureHeader
		var si msp.SerializedIdentity
		if proto.Unmarshal(s.GetSignatureHeader(), &sh) == nil && proto.Unmarshal(sh.GetCreator(), &si) == nil {
			say("signed so far by %s (%s)", si.GetMspid(), certName(si.GetIdBytes()))
		}
	}
	return out, nil
}

// staleReads lists the paths whose version in the read set is not the
// current one.
func staleReads(cur, read *common.ConfigGroup, path string) []string {
	if read == nil || cur == nil {
		return nil
	}
	var out []string
	if read.GetVersion() != cur.GetVersion() {
		out = append(out, path)
	}
	for name, g := range read.GetGroups() {
		out = append(out, staleReads(cur.GetGroups()[name], g, path+"/"+name)...)
	}
	for name, v := range read.GetValues() {
		if c := cur.GetValues()[name]; c != nil && c.GetVersion() != v.GetVersion() {
			out = append(out, path+"/"+name)
		}
	}
	for name, p := range read.GetPolicies() {
		if c := cur.GetPolicies()[name]; c != nil && c.GetVersion() != p.GetVersion() {
			out = append(out, path+"/"+name)
		}
	}
	sort.Strings(out)
	return out
}

// merge is the configuration a channel would have after the update, as the
// orderers compute it (fabric common/configtx: an element of the write set
// at a version other than the read set's replaces the current one; a group
// so replaced has exactly the members the write set lists).
func merge(cur, write, read *common.ConfigGroup) *common.ConfigGroup {
	if write == nil {
		return cur
	}
	replaced := read == nil || write.GetVersion() != read.GetVersion()
	out := &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{}, Values: map[string]*common.ConfigValue{},
		Policies: map[string]*common.ConfigPolicy{}}
	if replaced {
		out.Version, out.ModPolicy = write.GetVersion(), write.GetModPolicy()
	} else {
		out.Version, out.ModPolicy = cur.GetVersion(), cur.GetModPolicy()
	}
	names := func(w, c []string) []string {
		if replaced {
			return w
		}
		return append(w, c...)
	}
	for _, n := range names(slices.Collect(mapsKeys(write.GetGroups())), slices.Collect(mapsKeys(cur.GetGroups()))) {
		if wg := write.GetGroups()[n]; wg != nil {
			out.Groups[n] = merge(cur.GetGroups()[n], wg, read.GetGroups()[n])
		} else if cg := cur.GetGroups()[n]; cg != nil {
			out.Groups[n] = cg
		}
	}
	for _, n := range names(slices.Collect(mapsKeys(write.GetValues())), slices.Collect(mapsKeys(cur.GetValues()))) {
		wv, rv := write.GetValues()[n], read.GetValues()[n]
		if wv != nil && (rv == nil || wv.GetVersion() != rv.GetVersion()) {
			out.Values[n] = wv
		} else if cv := cur.GetValues()[n]; cv != nil {
			out.Values[n] = cv
		}
	}
	for _, n := range names(slices.Collect(mapsKeys(write.GetPolicies())), slices.Collect(mapsKeys(cur.GetPolicies()))) {
		wp, rp := write.GetPolicies()[n], read.GetPolicies()[n]
		if wp != nil && (rp == nil || wp.GetVersion() != rp.GetVersion()) {
			out.Policies[n] = wp
		} else if cp := cur.GetPolicies()[n]; cp != nil {
			out.Policies[n] = cp
		}
	}
	return out
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func sortedUnion[V any](a, b map[string]V) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// differ walks the configuration before and after, saying what changes.
type differ struct {
	say     func(string, ...any)
	changed bool
}

func (d *differ) line(format string, a ...any) {
	d.changed = true
	d.say(format, a...)
}

// section is where an organisation group sits, in words.
func section(path string) string {
	switch path {
	case "/Channel/Application":
		return "the application (its peers endorse, its admins vote on channel changes)"
	case "/Channel/Orderer":
		return "the ordering service"
	}
	return path
}

func (d *differ) group(path string, before, after *common.ConfigGroup) {
	orgLevel := path == "/Channel/Application" || path == "/Channel/Orderer"
	for _, n := range sortedUnion(before.GetGroups(), after.GetGroups()) {
		b, a := before.GetGroups()[n], after.GetGroups()[n]
		switch {
		case b == nil && orgLevel:
			d.line("ADDS organisation %s to %s; its certificate authorities: %s", n, section(path), mspSummary(a))
		case a == nil && orgLevel:
			d.line("REMOVES organisation %s from %s", n, section(path))
		case b == nil:
			d.line("adds the group %s/%s", path, n)
		case a == nil:
			d.line("removes the group %s/%s", path, n)
		default:
			d.group(path+"/"+n, b, a)
		}
	}
	for _, n := range sortedUnion(before.GetValues(), after.GetValues()) {
		b, a := before.GetValues()[n], after.GetValues()[n]
		if b != nil && a != nil && proto.Equal(b, a) {
			continue
		}
		d.value(path, n, b, a)
	}
	for _, n := range sortedUnion(before.GetPolicies(), after.GetPolicies()) {
		b, a := before.GetPolicies()[n], after.GetPolicies()[n]
		if b != nil && a != nil && proto.Equal(b, a) {
			continue
		}
		d.line("policy %s/%s: %s → %s", path, n, policyWords(b), policyWords(a))
	}
	if before.GetModPolicy() != after.GetModPolicy() && before != nil && after != nil {
		d.line("the policy that governs changes of %s: %q → %q", path, before.GetModPolicy(), after.GetModPolicy())
	}
}

func (d *differ) value(path, name string, b, a *common.ConfigValue) {
	where := path + "/" + name
	switch name {
	case valueOrderers:
		d.consenters(decode[*common.Orderers](b, &common.Orderers{}), decode[*common.Orderers](a, &common.Orderers{}))
	case valueMSP:
		d.line("REPLACES the certificate authorities of %s: %s → %s", strings.TrimPrefix(path, "/Channel/Application/"),
			mspSummaryValue(b), mspSummaryValue(a))
	case "Capabilities":
		d.line("capabilities of %s: %s → %s", path, capabilities(b), capabilities(a))
	case "BatchSize":
		d.line("batch size: %s → %s", text(b, &orderer.BatchSize{}), text(a, &orderer.BatchSize{}))
	case "BatchTimeout":
		d.line("batch timeout: %s → %s", text(b, &orderer.BatchTimeout{}), text(a, &orderer.BatchTimeout{}))
	case "ConsensusType":
		d.line("consensus: %s → %s", consensus(b), consensus(a))
	case "Endpoints":
		d.line("orderer endpoints of %s: %s → %s", path, text(b, &common.OrdererAddresses{}), text(a, &common.OrdererAddresses{}))
	case "AnchorPeers":
		d.line("anchor peers of %s: %s → %s", path, text(b, &peer.AnchorPeers{}), text(a, &peer.AnchorPeers{}))
	default:
		d.line("changes %s (%d → %d bytes)", where, len(b.GetValue()), len(a.GetValue()))
	}
}

func (d *differ) consenters(b, a *common.Orderers) {
	byID := func(os *common.Orderers) map[uint32]*common.Consenter {
		m := map[uint32]*common.Consenter{}
		for _, c := range os.GetConsenterMapping() {
			m[c.GetId()] = c
		}
		return m
	}
	before, after := byID(b), byID(a)
	var ids []uint32
	for id := range before {
		ids = append(ids, id)
	}
	for id := range after {
		if before[id] == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		bc, ac := before[id], after[id]
		switch {
		case bc == nil:
			d.line("ADDS consenter %d: %s's orderer at %s:%d, signing as %s", id, ac.GetMspId(), ac.GetHost(), ac.GetPort(), certName(ac.GetIdentity()))
		case ac == nil:
			d.line("REMOVES consenter %d: %s's orderer at %s:%d", id, bc.GetMspId(), bc.GetHost(), bc.GetPort())
		case !proto.Equal(bc, ac):
			d.line("CHANGES consenter %d (%s): %s:%d signing as %s → %s (%s) at %s:%d signing as %s", id, bc.GetMspId(), bc.GetHost(), bc.GetPort(),
				certName(bc.GetIdentity()), ac.GetMspId(), ac.GetMspId(), ac.GetHost(), ac.GetPort(), certName(ac.GetIdentity()))
		}
	}
	d.line("consenters: %d → %d (a block then needs %d of %d signatures; tolerates %d faulty)", len(before), len(after),
		BFTQuorum(len(after)), len(after), (len(after)-1)/3)
}

func decode[T proto.Message](v *common.ConfigValue, m T) T {
	if v != nil {
		_ = proto.Unmarshal(v.GetValue(), m)
	}
	return m
}

func text(v *common.ConfigValue, m proto.Message) string {
	if v == nil {
		return "(none)"
	}
	if err := proto.Unmarshal(v.GetValue(), m); err != nil {
		return fmt.Sprintf("(%d bytes that do not decode)", len(v.GetValue()))
	}
	return "{" + strings.TrimSpace(prototext.MarshalOptions{}.Format(m)) + "}"
}

func capabilities(v *common.ConfigValue) string {
	if v == nil {
		return "(none)"
	}
	var c common.Capabilities
	if err := proto.Unmarshal(v.GetValue(), &c); err != nil {
		return "(does not decode)"
	}
	var names []string
	for n := range c.GetCapabilities() {
		names = append(names, n)
	}
	sort.Strings(names)
	return "[" + strings.Join(names, ", ") + "]"
}

func consensus(v *common.ConfigValue) string {
	if v == nil {
		return "(none)"
	}
	var ct orderer.ConsensusType
	if err := proto.Unmarshal(v.GetValue(), &ct); err != nil {
		return "(does not decode)"
	}
	s := ct.GetType() + " " + ct.GetState().String()
	if ct.GetType() == "BFT" {
		var o smartbft.Options
		if proto.Unmarshal(ct.GetMetadata(), &o) == nil {
			s += " {" + strings.TrimSpace(prototext.MarshalOptions{}.Format(&o)) + "}"
		}
	}
	return s
}

// policyWords renders a policy: "MAJORITY of the Admins below", or "3 of
// [JusticeMSP.admin, …]".
func policyWords(p *common.ConfigPolicy) string {
	if p == nil || p.GetPolicy() == nil {
		return "(none)"
	}
	switch common.Policy_PolicyType(p.GetPolicy().GetType()) {
	case common.Policy_IMPLICIT_META:
		var im common.ImplicitMetaPolicy
		if proto.Unmarshal(p.GetPolicy().GetValue(), &im) != nil {
			return "(does not decode)"
		}
		return im.GetRule().String() + " of the " + im.GetSubPolicy() + " below"
	case common.Policy_SIGNATURE:
		var env common.SignaturePolicyEnvelope
		if proto.Unmarshal(p.GetPolicy().GetValue(), &env) != nil {
			return "(does not decode)"
		}
		var ids []string
		for _, id := range env.GetIdentities() {
			ids = append(ids, principal(id))
		}
		return signatureRule(env.GetRule(), ids)
	}
	return fmt.Sprintf("(policy type %d)", p.GetPolicy().GetType())
}

func signatureRule(r *common.SignaturePolicy, ids []string) string {
	if i := int(r.GetSignedBy()); r.GetNOutOf() == nil {
		if i >= 0 && i < len(ids) {
			return ids[i]
		}
		return "(unknown signer)"
	}
	var parts []string
	for _, sub := range r.GetNOutOf().GetRules() {
		parts = append(parts, signatureRule(sub, ids))
	}
	return fmt.Sprintf("%d of [%s]", r.GetNOutOf().GetN(), strings.Join(parts, ", "))
}

func principal(p *msp.MSPPrincipal) string {
	switch p.GetPrincipalClassification() {
	case msp.MSPPrincipal_ROLE:
		var r msp.MSPRole
		if proto.Unmarshal(p.GetPrincipal(), &r) == nil {
			return r.GetMspIdentifier() + "." + strings.ToLower(r.GetRole().String())
		}
	case msp.MSPPrincipal_IDENTITY:
		var si msp.SerializedIdentity
		if proto.Unmarshal(p.GetPrincipal(), &si) == nil {
			return si.GetMspid() + " " + certName(si.GetIdBytes())
		}
	}
	return "(principal " + p.GetPrincipalClassification().String() + ")"
}

// certName names a PEM certificate: its common name and the start of its
// SHA-256 fingerprint, to compare with what the department says.
func certName(pemBytes []byte) string {
	blk, _ := pem.Decode(pemBytes)
	if blk == nil {
		return "(not a certificate)"
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return "(a certificate that does not parse)"
	}
	sum := sha256.Sum256(blk.Bytes)
	return fmt.Sprintf("%q (SHA-256 %s…)", c.Subject.CommonName, hex.EncodeToString(sum[:8]))
}

func mspSummary(g *common.ConfigGroup) string {
	return mspSummaryValue(g.GetValues()[valueMSP])
}

func mspSummaryValue(v *common.ConfigValue) string {
	if v == nil {
		return "(no MSP)"
	}
	var mc msp.MSPConfig
	var fc msp.FabricMSPConfig
	if errors.Join(proto.Unmarshal(v.GetValue(), &mc), proto.Unmarshal(mc.GetConfig(), &fc)) != nil {
		return "(an MSP that does not decode)"
	}
	var roots []string
	for _, r := range fc.GetRootCerts() {
		roots = append(roots, "root "+certName(r))
	}
	for _, r := range fc.GetIntermediateCerts() {
		roots = append(roots, "intermediate "+certName(r))
	}
	for _, r := range fc.GetTlsRootCerts() {
		roots = append(roots, "TLS root "+certName(r))
	}
	return fc.GetName() + ": " + strings.Join(roots, ", ")
}
