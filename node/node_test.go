package node_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-config/configtx"
	"github.com/hyperledger/fabric-config/protolator"
	"github.com/hyperledger/fabric-config/protolator/protoext/ordererext"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	yaml "go.yaml.in/yaml/v4"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chengnuo/chengnuo/node"
	"github.com/chengnuo/chengnuo/proof/prooftest"
	"github.com/chengnuo/chengnuo/sm"
)

// dept is a department with a definition and the keys behind it.
type dept struct {
	org          *prooftest.Org
	def          *node.Definition
	transportKey []byte // PEM, the private half
}

func newDept(t testing.TB, key, mspID string, slot int) *dept {
	t.Helper()
	org := prooftest.NewOrg(t, mspID, uint32(slot)+1)
	tk, _ := sm.GenerateKey()
	pub, _ := sm.MarshalPublicKeyPEM(&tk.PublicKey)
	priv, _ := sm.MarshalPrivateKeyPEM(tk)
	ip := "198.18.37." + string(rune('0'+slot+1))
	return &dept{org: org, transportKey: priv, def: &node.Definition{
		Key: key, MSPID: mspID, Domain: key + ".chengnuo.local", Name: "市" + key, NumberPrefix: "虎" + key + "承", Slot: slot,
		CA: string(org.CACert), TLSCA: string(org.CACert), NodeOUs: true,
		Peer:    node.Endpoint{Host: ip, Port: 37100 + 10*slot, TLSCert: string(org.Issue(t, "peer0-tls", "peer").Cert)},
		Orderer: node.Orderer{Host: ip, Port: 37010 + 10*slot, Identity: string(org.Orderer.Cert), TLSCert: string(org.Issue(t, "orderer0-tls", "orderer").Cert)},
		Gateway: "http://" + ip + ":37080", TransportKey: string(pub),
	}}
}

func (d *dept) json(t *testing.T) []byte {
	t.Helper()
	raw, err := json.Marshal(d.def)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// edited is d's definition JSON with one field replaced.
func edited(t *testing.T, d *dept, path string, v any) []byte {
	t.Helper()
	var m map[string]any
	json.Unmarshal(d.json(t), &m)
	parts := strings.Split(path, ".")
	cur := m
	for _, p := range parts[:len(parts)-1] {
		cur = cur[p].(map[string]any)
	}
	if v == nil {
		delete(cur, parts[len(parts)-1])
	} else {
		cur[parts[len(parts)-1]] = v
	}
	raw, _ := json.Marshal(m)
	return raw
}

func TestDefinitionValidation(t *testing.T) {
	d := newDept(t, "market", "MarketMSP", 1)
	other := newDept(t, "police", "PoliceMSP", 2)
	if _, err := node.ParseDefinition(d.json(t)); err != nil {
		t.Fatalf("a good definition: %v", err)
	}
	cases := map[string][]byte{
		"key ../org":               edited(t, d, "key", "../org"),
		"key ../../..":             edited(t, d, "key", "../../.."),
		"key with slash":           edited(t, d, "key", "a/b"),
		"key upper case":           edited(t, d, "key", "Market"),
		"msp with quote":           edited(t, d, "mspId", "Market'MSP"),
		"msp with YAML":            edited(t, d, "mspId", "M\n  - &x"),
		"msp empty":                edited(t, d, "mspId", ""),
		"host with YAML":           edited(t, d, "peer.host", "1.2.3.4}, {Host: evil"),
		"host with newline":        edited(t, d, "orderer.host", "a\nb"),
		"host with space":          edited(t, d, "orderer.host", "a b"),
		"port as string":           edited(t, d, "peer.port", "7051"),
		"port zero":                edited(t, d, "peer.port", 0),
		"port too big":             edited(t, d, "orderer.port", 70000),
		"slot negative":            edited(t, d, "slot", -1),
		"name with control":        edited(t, d, "name", "a\x1bb"),
		"name with quote":          edited(t, d, "name", `a"b`),
		"prefix missing":           edited(t, d, "numberPrefix", ""),
		"prefix with brackets":     edited(t, d, "numberPrefix", "虎〔市〕"),
		"prefix too long":          edited(t, d, "numberPrefix", "一二三四五六七八九十一二三"),
		"domain with underscore":   edited(t, d, "domain", "a_b.local"),
		"ca not a certificate":     edited(t, d, "ca", "hello"),
		"ca two certificates":      edited(t, d, "ca", d.def.CA+d.def.CA),
		"ca not a CA":              edited(t, d, "ca", d.def.Orderer.Identity),
		"orderer from another CA":  edited(t, d, "orderer.identity", other.def.Orderer.Identity),
		"peer TLS from another CA": edited(t, d, "peer.tlsCert", other.def.Peer.TLSCert),
		"transport key garbage":    edited(t, d, "transportKey", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
		"gateway with credentials": edited(t, d, "gateway", "http://u:p@1.2.3.4:80"),
		"gateway ftp":              edited(t, d, "gateway", "ftp://1.2.3.4"),
		"unknown field":            edited(t, d, "extra", "x"),
		"node OUs off":             edited(t, d, "nodeOUs", false),
		"missing orderer":          edited(t, d, "orderer", nil),
		"trailing data":            append(d.json(t), []byte(`{}`)...),
		"not JSON":                 []byte("key: ../org"),
		"huge":                     bytes.Repeat([]byte(" "), node.MaxDefinitionBytes+1),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := node.ParseDefinition(raw)
			var inv *node.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("accepted (or an unnamed error: %v)", err)
			}
		})
	}
}

// snapshot is every file under dir with its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			out[p] = string(b)
		}
		return nil
	})
	return out
}

// Issue 29, item 11: a definition with "key":"../org" used to overwrite
// the importing department's own org.json. A refused definition changes
// nothing, and what is kept is the validated definition re-encoded.
func TestImportRefusesAndChangesNothing(t *testing.T) {
	home := t.TempDir()
	self := newDept(t, "justice", "JusticeMSP", 0)
	market, police := newDept(t, "market", "MarketMSP", 1), newDept(t, "police", "PoliceMSP", 2)
	os.WriteFile(filepath.Join(home, "org.json"), self.def.JSON(), 0o644)
	h := node.Home(home)
	if keys, err := h.Import(map[string][]byte{"m.json": market.json(t), "self.json": self.def.JSON()}); err != nil || len(keys) != 1 || keys[0] != "market" {
		t.Fatalf("import: %v %v", keys, err)
	}
	before := snapshot(t, home)
	evilOrg := edited(t, police, "key", "../org")
	evilKey := edited(t, police, "key", "justice")
	evilMSP := edited(t, police, "mspId", "JusticeMSP")
	stolenMSP := edited(t, police, "mspId", "MarketMSP")
	for name, files := range map[string]map[string][]byte{
		"traversal with a good one":  {"p.json": evilOrg, "m.json": market.json(t)},
		"own key":                    {"p.json": evilKey},
		"own MSP id":                 {"p.json": evilMSP},
		"another department's MSP":   {"p.json": stolenMSP},
		"two definitions of one key": {"a.json": police.json(t), "b.json": edited(t, police, "name", "另一个")},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := h.Import(files); err == nil {
				t.Fatal("accepted")
			}
			after := snapshot(t, home)
			if len(after) != len(before) {
				t.Fatalf("files changed: %d before, %d after", len(before), len(after))
			}
			for p, c := range before {
				if after[p] != c {
					t.Fatalf("%s changed", p)
				}
			}
		})
	}
	// What is kept is re-encoded, not the bytes handed over.
	padded := append([]byte("  \n"), police.json(t)...)
	if _, err := h.Import(map[string][]byte{"p.json": padded}); err != nil {
		t.Fatal(err)
	}
	kept, _ := os.ReadFile(filepath.Join(home, "orgs", "police.json"))
	if !bytes.Equal(kept, police.def.JSON()) {
		t.Fatal("the kept definition is not the re-encoded one")
	}
}

// The configtx.yaml written from definitions is YAML whose organisations
// and consenters are exactly the definitions' values, however they read.
func TestConfigtxFromDefinitions(t *testing.T) {
	dir := t.TempDir()
	tmpl, err := os.ReadFile("../network/configtx.yaml.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	ds := []*node.Definition{newDept(t, "justice", "JusticeMSP", 0).def, newDept(t, "market", "MarketMSP", 1).def}
	if err := node.WriteConfigtx(dir, tmpl, "250ms", ds); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "configtx.yaml"))
	var doc struct {
		Profiles map[string]struct {
			Orderer struct {
				ConsenterMapping []map[string]any `yaml:"ConsenterMapping"`
				Organizations    []map[string]any `yaml:"Organizations"`
				SmartBFT         map[string]any   `yaml:"SmartBFT"`
			} `yaml:"Orderer"`
			Application struct {
				Organizations []map[string]any `yaml:"Organizations"`
			} `yaml:"Application"`
		} `yaml:"Profiles"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("configtx.yaml is not YAML: %v\n%s", err, raw)
	}
	p := doc.Profiles["ChengnuoChannel"]
	if len(p.Application.Organizations) != 2 || len(p.Orderer.Organizations) != 2 || len(p.Orderer.ConsenterMapping) != 2 {
		t.Fatalf("profile %+v", p)
	}
	if p.Orderer.ConsenterMapping[1]["MSPID"] != "MarketMSP" || p.Orderer.ConsenterMapping[1]["ID"] != 2 ||
		p.Orderer.SmartBFT["RequestBatchMaxInterval"] != "250ms" {
		t.Fatalf("consenters %v, SmartBFT %v", p.Orderer.ConsenterMapping, p.Orderer.SmartBFT)
	}
	if ca, _ := os.ReadFile(filepath.Join(dir, "market", "msp", "cacerts", "ca.pem")); string(ca) != ds[1].CA {
		t.Fatal("market's CA was not written where its MSP directory says")
	}
	// Two departments in one slot would share a consenter id: refused.
	clash := *ds[1]
	clash.Key, clash.MSPID = "police", "PoliceMSP"
	clash.Slot = 0
	if err := node.WriteConfigtx(t.TempDir(), tmpl, "250ms", []*node.Definition{ds[0], &clash}); err == nil {
		t.Fatal("two consenters with one id")
	}
	if err := node.WriteConfigtx(t.TempDir(), tmpl, "1s; rm -rf /", ds); err == nil {
		t.Fatal("a block interval that is not a duration")
	}
}

// channel builds a configuration block of the departments, as a channel's
// config looks to the kit: application and orderer organisations with MSPs
// and Admins policies, the consenters and the block validation policy.
func channel(t testing.TB, ds ...*dept) []byte {
	t.Helper()
	app := &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{}, Policies: map[string]*common.ConfigPolicy{}, ModPolicy: "Admins"}
	ord := &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{}, Values: map[string]*common.ConfigValue{},
		Policies: map[string]*common.ConfigPolicy{}, ModPolicy: "Admins"}
	var cs []*common.Consenter
	for _, d := range ds {
		app.Groups[d.def.MSPID] = orgGroup(t, d, true)
		ord.Groups[d.def.MSPID] = orgGroup(t, d, false)
		cs = append(cs, &common.Consenter{Id: d.def.ConsenterID(), Host: d.def.Orderer.Host, Port: uint32(d.def.Orderer.Port),
			MspId: d.def.MSPID, Identity: []byte(d.def.Orderer.Identity), ClientTlsCert: []byte(d.def.Orderer.TLSCert),
			ServerTlsCert: []byte(d.def.Orderer.TLSCert)})
	}
	os, _ := proto.Marshal(&common.Orderers{ConsenterMapping: cs})
	ord.Values["Orderers"] = &common.ConfigValue{Value: os, ModPolicy: "Admins"}
	bs, _ := proto.Marshal(&orderer.BatchSize{MaxMessageCount: 100, AbsoluteMaxBytes: 10 << 20, PreferredMaxBytes: 2 << 20})
	ord.Values["BatchSize"] = &common.ConfigValue{Value: bs, ModPolicy: "Admins"}
	bv, _ := proto.Marshal(node.QuorumPolicy(cs))
	ord.Policies["BlockValidation"] = &common.ConfigPolicy{Policy: &common.Policy{Type: int32(common.Policy_SIGNATURE), Value: bv}, ModPolicy: "Admins"}
	majority, _ := proto.Marshal(&common.ImplicitMetaPolicy{Rule: common.ImplicitMetaPolicy_MAJORITY, SubPolicy: "Admins"})
	for _, g := range []*common.ConfigGroup{app, ord} {
		g.Policies["Admins"] = &common.ConfigPolicy{Policy: &common.Policy{Type: int32(common.Policy_IMPLICIT_META), Value: majority}, ModPolicy: "Admins"}
	}
	root := &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{"Application": app, "Orderer": ord},
		Policies:  map[string]*common.ConfigPolicy{"Admins": {Policy: &common.Policy{Type: int32(common.Policy_IMPLICIT_META), Value: majority}, ModPolicy: "Admins"}},
		ModPolicy: "Admins"}
	ce, _ := proto.Marshal(&common.ConfigEnvelope{Config: &common.Config{Sequence: 3, ChannelGroup: root}})
	ch, _ := proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_CONFIG), ChannelId: "chengnuo", Timestamp: timestamppb.New(time.Now())})
	payload, _ := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: ch}, Data: ce})
	env, _ := proto.Marshal(&common.Envelope{Payload: payload})
	block, _ := proto.Marshal(&common.Block{Header: &common.BlockHeader{Number: 7}, Data: &common.BlockData{Data: [][]byte{env}}})
	return block
}

func orgGroup(t testing.TB, d *dept, anchors bool) *common.ConfigGroup {
	t.Helper()
	fc, _ := proto.Marshal(&msp.FabricMSPConfig{Name: d.def.MSPID, RootCerts: [][]byte{[]byte(d.def.CA)}, TlsRootCerts: [][]byte{[]byte(d.def.TLSCA)},
		FabricNodeOus: &msp.FabricNodeOUs{Enable: true}})
	mc, _ := proto.Marshal(&msp.MSPConfig{Config: fc})
	admins, _ := proto.Marshal(&common.SignaturePolicyEnvelope{})
	g := &common.ConfigGroup{ModPolicy: "Admins", Values: map[string]*common.ConfigValue{"MSP": {Value: mc, ModPolicy: "Admins"}},
		Policies: map[string]*common.ConfigPolicy{"Admins": {Policy: &common.Policy{Type: int32(common.Policy_SIGNATURE), Value: admins}, ModPolicy: "Admins"}}}
	if anchors {
		g.Values["AnchorPeers"] = &common.ConfigValue{Value: []byte{}, ModPolicy: "Admins"}
	} else {
		g.Values["Endpoints"] = &common.ConfigValue{Value: []byte{}, ModPolicy: "Admins"}
	}
	return g
}

// printOrg is what `configtxgen -printOrg` gives for a department with
// orderer endpoints: its orderer organisation group as JSON.
func printOrg(t *testing.T, d *dept) []byte {
	t.Helper()
	g := orgGroup(t, d, false)
	eps, _ := proto.Marshal(&common.OrdererAddresses{Addresses: []string{d.def.Orderer.Address()}})
	g.Values["Endpoints"].Value = eps
	var b bytes.Buffer
	if err := protolator.DeepMarshalJSON(&b, &ordererext.DynamicOrdererOrgGroup{ConfigGroup: g}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Issue 29, item 12: what an update changes, in plain words, before an
// admin signs it.
func TestJoinAndLeaveUpdatesAreDescribed(t *testing.T) {
	j, m, p, c := newDept(t, "justice", "JusticeMSP", 0), newDept(t, "market", "MarketMSP", 1), newDept(t, "police", "PoliceMSP", 2), newDept(t, "credit", "CreditMSP", 3)
	hrss := newDept(t, "hrss", "HrssMSP", 4)
	block := channel(t, j, m, p, c)
	join, err := node.ProposeJoin(block, printOrg(t, hrss), hrss.def)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := node.Describe(block, join)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{
		"ADDS organisation HrssMSP to the application",
		"ADDS organisation HrssMSP to the ordering service",
		"ADDS consenter 5: HrssMSP's orderer at 198.18.37.5:37050",
		"consenters: 4 → 5 (a block then needs 4 of 5 signatures; tolerates 1 faulty)",
		"policy /Channel/Orderer/BlockValidation: 3 of [",
		"→ 4 of [",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the join's description lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "REMOVES") || strings.Contains(text, "REPLACES") {
		t.Errorf("the join's description says more than it does:\n%s", text)
	}
	cu, _, err := node.ParseUpdate(join)
	if err != nil {
		t.Fatal(err)
	}
	appOrg := cu.WriteSet.Groups["Application"].Groups["HrssMSP"]
	ordOrg := cu.WriteSet.Groups["Orderer"].Groups["HrssMSP"]
	if appOrg.Values["AnchorPeers"] == nil || appOrg.Values["Endpoints"] != nil || ordOrg.Values["Endpoints"] == nil || ordOrg.Values["AnchorPeers"] != nil {
		t.Fatalf("the joining organisation's groups: application %v, orderer %v", appOrg.Values, ordOrg.Values)
	}
	if _, err := node.ProposeJoin(block, printOrg(t, m), m.def); err == nil {
		t.Fatal("a department on the channel joined again")
	}
	if _, err := node.ProposeJoin(block, printOrg(t, m), hrss.def); err == nil {
		t.Fatal("another department's group under hrss's definition")
	}

	leave, err := node.ProposeLeave(block, "CreditMSP")
	if err != nil {
		t.Fatal(err)
	}
	lines, _ = node.Describe(block, leave)
	text = strings.Join(lines, "\n")
	for _, want := range []string{"REMOVES organisation CreditMSP from the application", "REMOVES consenter 4: CreditMSP's orderer",
		"consenters: 4 → 3 (a block then needs 2 of 3 signatures; tolerates 0 faulty)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the leave's description lacks %q:\n%s", want, text)
		}
	}
	if _, err := node.ProposeLeave(block, "NoSuchMSP"); err == nil {
		t.Fatal("removing a department that is not there")
	}
}

// A hostile update — another department's CA replaced, a policy relaxed,
// the batch size changed — is named, not hidden.
func TestHostileUpdateIsNamed(t *testing.T) {
	j, m, p, c := newDept(t, "justice", "JusticeMSP", 0), newDept(t, "market", "MarketMSP", 1), newDept(t, "police", "PoliceMSP", 2), newDept(t, "credit", "CreditMSP", 3)
	block := channel(t, j, m, p, c)
	_, cfg, err := node.ConfigOfBlock(block)
	if err != nil {
		t.Fatal(err)
	}
	// The attacker's config: market's MSP roots become the attacker's CA,
	// the application's Admins become ANY, the batch size 1.
	evil := newDept(t, "market", "MarketMSP", 1)
	updated := proto.Clone(cfg).(*common.Config)
	app := updated.ChannelGroup.Groups["Application"]
	app.Groups["MarketMSP"] = orgGroup(t, evil, true)
	any, _ := proto.Marshal(&common.ImplicitMetaPolicy{Rule: common.ImplicitMetaPolicy_ANY, SubPolicy: "Admins"})
	app.Policies["Admins"].Policy.Value = any
	bs, _ := proto.Marshal(&orderer.BatchSize{MaxMessageCount: 1, AbsoluteMaxBytes: 10 << 20, PreferredMaxBytes: 2 << 20})
	updated.ChannelGroup.Groups["Orderer"].Values["BatchSize"].Value = bs
	update := computeUpdate(t, cfg, updated)
	lines, err := node.Describe(block, update)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{"REPLACES the certificate authorities of MarketMSP",
		"policy /Channel/Application/Admins: MAJORITY of the Admins below → ANY of the Admins below",
		"batch size: {max_message_count:100", "→ {max_message_count:1 "} {
		if !strings.Contains(text, want) {
			t.Errorf("the description lacks %q:\n%s", want, text)
		}
	}
	// Garbage is refused, not described.
	if _, err := node.Describe(block, []byte("not an update")); err == nil {
		t.Fatal("garbage described")
	}
}

// computeUpdate is the update envelope from cfg to updated, as an attacker
// with configtxlator would make it.
func computeUpdate(t *testing.T, cfg, updated *common.Config) []byte {
	t.Helper()
	tx := configtx.New(cfg)
	u := tx.UpdatedConfig()
	proto.Reset(u)
	proto.Merge(u, updated)
	raw, err := tx.ComputeMarshaledUpdate("chengnuo")
	if err != nil {
		t.Fatal(err)
	}
	env, err := configtx.NewEnvelope(raw)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := proto.Marshal(env)
	return out
}
