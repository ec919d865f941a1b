package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/hyperledger/fabric-config/configtx"
	"github.com/hyperledger/fabric-config/protolator"
	"github.com/hyperledger/fabric-config/protolator/protoext/ordererext"
	"github.com/hyperledger/fabric-config/protolator/protoext/peerext"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Config groups and values the kit changes.
const (
	groupApplication = "Application"
	groupOrderer     = "Orderer"
	valueOrderers    = "Orderers"
	valueMSP         = "MSP"
	valueEndpoints   = "Endpoints"
	valueAnchorPeers = "AnchorPeers"
	policyBlockValid = "BlockValidation"
)

// ConfigOfBlock decodes a configuration block (as `peer channel fetch
// config` writes it) into its channel id and configuration.
func ConfigOfBlock(raw []byte) (string, *common.Config, error) {
	var b common.Block
	if err := proto.Unmarshal(raw, &b); err != nil {
		return "", nil, fmt.Errorf("the configuration block does not decode: %w", err)
	}
	if len(b.GetData().GetData()) != 1 {
		return "", nil, errors.New("a configuration block holds exactly one transaction")
	}
	var env common.Envelope
	var payload common.Payload
	var ch common.ChannelHeader
	var ce common.ConfigEnvelope
	if err := errors.Join(proto.Unmarshal(b.GetData().GetData()[0], &env), proto.Unmarshal(env.GetPayload(), &payload),
		proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &ch)); err != nil {
		return "", nil, fmt.Errorf("the configuration transaction does not decode: %w", err)
	}
	if common.HeaderType(ch.GetType()) != common.HeaderType_CONFIG {
		return "", nil, errors.New("not a configuration block")
	}
	if err := proto.Unmarshal(payload.GetData(), &ce); err != nil || ce.GetConfig().GetChannelGroup() == nil {
		return "", nil, fmt.Errorf("the configuration does not decode (%v)", err)
	}
	return ch.GetChannelId(), ce.GetConfig(), nil
}

// ProposeJoin is the unsigned configuration update that adds the
// department of d to the channel of configBlock: as an application
// organisation (orgGroupJSON, `configtxgen -printOrg` of d, without its
// orderer endpoints, with its anchor peer), an orderer organisation and a
// SmartBFT consenter, with the block validation policy recomputed for the
// new number of consenters.
func ProposeJoin(configBlock, orgGroupJSON []byte, d *Definition) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	channel, cfg, err := ConfigOfBlock(configBlock)
	if err != nil {
		return nil, err
	}
	appOrg, err := orgGroup(orgGroupJSON, valueEndpoints, &peerext.DynamicApplicationOrgGroup{ConfigGroup: &common.ConfigGroup{}})
	if err != nil {
		return nil, err
	}
	ordOrg, err := orgGroup(orgGroupJSON, valueAnchorPeers, &ordererext.DynamicOrdererOrgGroup{ConfigGroup: &common.ConfigGroup{}})
	if err != nil {
		return nil, err
	}
	for _, g := range []*common.ConfigGroup{appOrg, ordOrg} {
		if name, err := groupMSPID(g); err != nil || name != d.MSPID {
			return nil, fmt.Errorf("the organisation's configuration group is not %s's (%q, %v)", d.MSPID, name, err)
		}
	}
	// -printOrg prints an orderer organisation (it has orderer endpoints);
	// as an application organisation it has its anchor peer, as at genesis.
	anchors, _ := proto.Marshal(&peer.AnchorPeers{AnchorPeers: []*peer.AnchorPeer{{Host: d.Peer.Host, Port: int32(d.Peer.Port)}}})
	if appOrg.Values == nil {
		appOrg.Values = map[string]*common.ConfigValue{}
	}
	appOrg.Values[valueAnchorPeers] = &common.ConfigValue{Value: anchors, ModPolicy: "Admins"}
	tx := configtx.New(cfg)
	root := tx.UpdatedConfig().GetChannelGroup()
	app, ord := root.GetGroups()[groupApplication], root.GetGroups()[groupOrderer]
	if app == nil || ord == nil {
		return nil, errors.New("the channel has no application or orderer group")
	}
	if app.GetGroups()[d.MSPID] != nil || ord.GetGroups()[d.MSPID] != nil {
		return nil, fmt.Errorf("%s is on the channel already", d.MSPID)
	}
	app.Groups[d.MSPID], ord.Groups[d.MSPID] = appOrg, ordOrg
	consenters, err := orderersOf(ord)
	if err != nil {
		return nil, err
	}
	for _, c := range consenters.GetConsenterMapping() {
		if c.GetId() == d.ConsenterID() {
			return nil, fmt.Errorf("consenter id %d (slot %d) is %s's already", c.GetId(), d.Slot, c.GetMspId())
		}
	}
	consenters.ConsenterMapping = append(consenters.ConsenterMapping, &common.Consenter{
		Id: d.ConsenterID(), Host: d.Orderer.Host, Port: uint32(d.Orderer.Port), MspId: d.MSPID,
		Identity: []byte(d.Orderer.Identity), ClientTlsCert: []byte(d.Orderer.TLSCert), ServerTlsCert: []byte(d.Orderer.TLSCert),
	})
	if err := setConsenters(ord, consenters); err != nil {
		return nil, err
	}
	return updateEnvelope(tx, channel)
}

// ProposeLeave is the unsigned configuration update that removes the
// department mspID from the channel: its application and orderer
// organisations and its consenter, with the block validation policy
// recomputed.
func ProposeLeave(configBlock []byte, mspID string) ([]byte, error) {
	if !mspRE.MatchString(mspID) {
		return nil, invalid("mspId", "must be 1 to 63 letters and digits")
	}
	channel, cfg, err := ConfigOfBlock(configBlock)
	if err != nil {
		return nil, err
	}
	tx := configtx.New(cfg)
	root := tx.UpdatedConfig().GetChannelGroup()
	app, ord := root.GetGroups()[groupApplication], root.GetGroups()[groupOrderer]
	if app.GetGroups()[mspID] == nil && ord.GetGroups()[mspID] == nil {
		return nil, fmt.Errorf("%s is not on the channel", mspID)
	}
	delete(app.GetGroups(), mspID)
	delete(ord.GetGroups(), mspID)
	consenters, err := orderersOf(ord)
	if err != nil {
		return nil, err
	}
	kept := consenters.ConsenterMapping[:0]
	for _, c := range consenters.GetConsenterMapping() {
		if c.GetMspId() != mspID {
			kept = append(kept, c)
		}
	}
	consenters.ConsenterMapping = kept
	if len(kept) == 0 {
		return nil, errors.New("no consenter would be left")
	}
	if err := setConsenters(ord, consenters); err != nil {
		return nil, err
	}
	return updateEnvelope(tx, channel)
}

// orgGroup decodes `configtxgen -printOrg`'s JSON of an organisation as the
// group of one section — an application or an orderer organisation, which
// protolator must be told — without the value the other section has
// (anchor peers belong to the application, orderer endpoints to the
// ordering service).
func orgGroup(printed []byte, drop string, into interface {
	proto.Message
	Underlying() proto.Message
}) (*common.ConfigGroup, error) {
	var m map[string]any
	if err := json.Unmarshal(printed, &m); err != nil {
		return nil, fmt.Errorf("the organisation's configuration group is not JSON: %w", err)
	}
	if values, ok := m["values"].(map[string]any); ok {
		delete(values, drop)
	}
	raw, _ := json.Marshal(m)
	if err := protolator.DeepUnmarshalJSON(bytes.NewReader(raw), into); err != nil {
		return nil, fmt.Errorf("the organisation's configuration group does not decode: %w", err)
	}
	return into.Underlying().(*common.ConfigGroup), nil
}

func updateEnvelope(tx configtx.ConfigTx, channel string) ([]byte, error) {
	update, err := tx.ComputeMarshaledUpdate(channel)
	if err != nil {
		return nil, fmt.Errorf("compute the update: %w", err)
	}
	env, err := configtx.NewEnvelope(update)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(env)
}

func orderersOf(ord *common.ConfigGroup) (*common.Orderers, error) {
	v := ord.GetValues()[valueOrderers]
	var os common.Orderers
	if v == nil {
		return nil, errors.New("the channel has no SmartBFT consenters (Orderer/Orderers)")
	}
	if err := proto.Unmarshal(v.GetValue(), &os); err != nil {
		return nil, fmt.Errorf("the consenters do not decode: %w", err)
	}
	return &os, nil
}

// setConsenters writes the consenter mapping and the block validation
// policy that follows it: a quorum of the consenters' identities, as
// configtxgen writes it for a genesis block (fabric common/policies/bft.go).
func setConsenters(ord *common.ConfigGroup, os *common.Orderers) error {
	sort.Slice(os.ConsenterMapping, func(i, j int) bool { return os.ConsenterMapping[i].GetId() < os.ConsenterMapping[j].GetId() })
	raw, err := proto.Marshal(os)
	if err != nil {
		return err
	}
	ord.Values[valueOrderers].Value = raw
	pol, err := proto.Marshal(QuorumPolicy(os.GetConsenterMapping()))
	if err != nil {
		return err
	}
	bv := ord.GetPolicies()[policyBlockValid]
	if bv == nil || bv.GetPolicy() == nil {
		return errors.New("the channel has no block validation policy")
	}
	bv.Policy = &common.Policy{Type: int32(common.Policy_SIGNATURE), Value: pol}
	return nil
}

// BFTQuorum is SmartBFT's quorum of n consenters: ceil((n+f+1)/2), f =
// (n-1)/3.
func BFTQuorum(n int) int {
	f := (n - 1) / 3
	return (n + f + 2) / 2
}

// QuorumPolicy is the block validation policy of a set of consenters: the
// signatures of a BFT quorum of their identities.
func QuorumPolicy(cs []*common.Consenter) *common.SignaturePolicyEnvelope {
	env := &common.SignaturePolicyEnvelope{}
	var rules []*common.SignaturePolicy
	for i, c := range cs {
		id, _ := proto.Marshal(&msp.SerializedIdentity{Mspid: c.GetMspId(), IdBytes: c.GetIdentity()})
		env.Identities = append(env.Identities, &msp.MSPPrincipal{PrincipalClassification: msp.MSPPrincipal_IDENTITY, Principal: id})
		rules = append(rules, &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: int32(i)}})
	}
	env.Rule = &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{
		N: int32(BFTQuorum(len(cs))), Rules: rules}}}
	return env
}

// groupMSPID is the MSP id an organisation group's MSP value names.
func groupMSPID(g *common.ConfigGroup) (string, error) {
	v := g.GetValues()[valueMSP]
	if v == nil {
		return "", errors.New("no MSP value")
	}
	var mc msp.MSPConfig
	var fc msp.FabricMSPConfig
	if err := errors.Join(proto.Unmarshal(v.GetValue(), &mc), proto.Unmarshal(mc.GetConfig(), &fc)); err != nil {
		return "", err
	}
	return fc.GetName(), nil
}
