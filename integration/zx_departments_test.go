package integration

// These tests change the network itself — an orderer goes down, a fifth
// department joins — so they run after the others (files run in name order)
// and before the final scan of every block (zz_scan_test.go).

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/fabric"
	"github.com/chengnuo/chengnuo/proof"
	"github.com/chengnuo/chengnuo/sm"
	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// Every private key in a department's directory belongs to that department:
// each certificate anywhere in the state (every department's directory and
// the exchange) that carries the key's public half was issued by the
// department's own CA. The exchange holds no private key at all.
func TestNoDepartmentHoldsAnothersKey(t *testing.T) {
	type cert struct {
		path string
		c    *x509.Certificate
	}
	var certs []cert
	keys := map[string][]string{} // dept key -> key files
	err := filepath.WalkDir(net.state, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(path, string(filepath.Separator)+"bin"+string(filepath.Separator)) {
			return err
		}
		info, err := d.Info()
		if err != nil || info.Size() > 1<<20 || !info.Mode().IsRegular() { // sockets (PostgreSQL's) are not files to read
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for rest := raw; ; {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			switch {
			case b.Type == "CERTIFICATE":
				if c, err := x509.ParseCertificate(b.Bytes); err == nil {
					certs = append(certs, cert{path, c})
				}
			case strings.Contains(b.Type, "PRIVATE KEY"):
				rel, _ := filepath.Rel(net.state, path)
				parts := strings.Split(rel, string(filepath.Separator))
				owner := parts[0]
				if owner == "depts" {
					owner = parts[1]
				}
				keys[owner] = append(keys[owner], path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(keys["exchange"]); n != 0 {
		t.Fatalf("the exchange holds %d private keys: %v", n, keys["exchange"])
	}
	checked := 0
	for _, o := range orgs {
		home := net.depts[o.key].Home
		caRaw, err := os.ReadFile(filepath.Join(home, "msp", "cacerts", "ca.pem"))
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(caRaw)
		// CA key, five identities with a signing and a TLS key each, the transport key.
		if len(keys[o.key]) < 12 {
			t.Fatalf("%s: only %d private keys found: %v", o.key, len(keys[o.key]), keys[o.key])
		}
		for _, kf := range keys[o.key] {
			pub, err := publicOf(kf)
			if err != nil {
				t.Fatalf("%s: %v", kf, err)
			}
			for _, c := range certs {
				if !equalPublic(c.c.PublicKey, pub) {
					continue
				}
				checked++
				if _, err := c.c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
					t.Errorf("%s holds the key of %s (%s), not issued by its own CA: %v", o.key, c.path, c.c.Subject, err)
				}
			}
		}
	}
	if checked < 4*11 {
		t.Fatalf("matched only %d certificates to keys: the scan is not looking at the right files", checked)
	}
	// The consortium secret reached the others sealed, never in the exchange in clear.
	secret, err := os.ReadFile(filepath.Join(deptHome(justice), "secret", "consortium.secret"))
	if err != nil {
		t.Fatal(err)
	}
	_ = filepath.WalkDir(filepath.Join(net.state, "exchange"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if raw, _ := os.ReadFile(path); bytes.Contains(raw, bytes.TrimSpace(secret)) {
				t.Errorf("%s holds the consortium secret in clear", path)
			}
		}
		return nil
	})
	for _, o := range orgs[1:] {
		other, err := os.ReadFile(filepath.Join(net.depts[o.key].Home, "secret", "consortium.secret"))
		if err != nil || !bytes.Equal(bytes.TrimSpace(other), bytes.TrimSpace(secret)) {
			t.Errorf("%s did not open the same consortium secret (%v)", o.key, err)
		}
	}
}

func publicOf(path string) (crypto.PublicKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if priv, err := sm.ParsePrivateKeyPEM(raw); err == nil {
		return priv.Public(), nil
	}
	b, _ := pem.Decode(raw)
	if b == nil {
		return nil, errors.New("no PEM")
	}
	var k any
	if k, err = x509.ParsePKCS8PrivateKey(b.Bytes); err != nil {
		if k, err = x509.ParseECPrivateKey(b.Bytes); err != nil {
			return nil, err
		}
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%T is not a signer", k)
	}
	return s.Public(), nil
}

func equalPublic(a, b crypto.PublicKey) bool {
	ea, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ea.Equal(b)
}

// One orderer of four is stopped — the BFT leader, the hardest case —
// and blocks keep coming; started again, it catches up with the others.
func TestOrdererDownBlocksKeepComing(t *testing.T) {
	code := publishVisible(t, verifiedItem(uniqueCode(t, "BFT"), "PoliceMSP", false))
	if out, err := script(time.Minute, "dept", "justice", "stop-proc", "orderer"); err != nil {
		t.Fatalf("stop justice's orderer: %v\n%s", err, out)
	}
	started := false
	t.Cleanup(func() {
		if !started {
			_, _ = script(2*time.Minute, "dept", "justice", "start-nodes")
		}
	})
	before := ordererHeight(t, "market")
	t0 := time.Now()
	ids := make([]string, 3)
	for i := range ids {
		ids[i] = anchorID(t, code, newPerson(t, fmt.Sprintf("排序故障%d", i)))
	}
	t.Logf("3 letters anchored with the leader's orderer down in %s", time.Since(t0).Round(time.Millisecond))
	after := ordererHeight(t, "market")
	if after <= before {
		t.Fatalf("no new blocks while justice's orderer is down: %d -> %d", before, after)
	}
	if out, err := script(2*time.Minute, "dept", "justice", "start-nodes"); err != nil {
		t.Fatalf("start justice's orderer: %v\n%s", err, out)
	}
	started = true
	deadline := time.Now().Add(2 * time.Minute)
	for {
		h, want := ordererHeight(t, "justice"), ordererHeight(t, "market")
		if h >= want && h >= after {
			t.Logf("justice's orderer caught up to height %d", h)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("justice's orderer at %d, market's at %d after 2 minutes", h, want)
		}
		time.Sleep(time.Second)
	}
	// And the letters read the same through every department.
	for _, slot := range []int{justice, police, credit} {
		if r := call(t, "GET", gatewayURL(slot)+"/v1/public/commitments/"+ids[2], ""); r.Status != http.StatusOK {
			t.Fatalf("%s reads the letter: %d %s", orgs[slot].key, r.Status, r.Raw)
		}
	}
}

// Peer loss. Another department's peer stopped: endorsement uses the
// remaining majority, the client sees no error. The department's own peer
// stopped: the letter is stored and answered 202 with a lookup to poll,
// and it is anchored, once, when the peer is back.
func TestPeerDownSubmissionsStillAnswered(t *testing.T) {
	code := publishVisible(t, verifiedItem(uniqueCode(t, "PEER"), "PoliceMSP", false))
	stopPeer := func(key string) func() {
		if out, err := script(time.Minute, "dept", key, "stop-proc", "peer"); err != nil {
			t.Fatalf("stop %s's peer: %v\n%s", key, err, out)
		}
		started := false
		start := func() {
			if started {
				return
			}
			started = true
			if out, err := script(2*time.Minute, "dept", key, "start-nodes"); err != nil {
				t.Fatalf("start %s's peer: %v\n%s", key, err, out)
			}
		}
		t.Cleanup(start)
		return start
	}

	startCredit := stopPeer("credit")
	for i := range 3 {
		if r := anchorAt(t, code, newPerson(t, fmt.Sprintf("他部门节点故障%d", i))); r.Status != http.StatusCreated {
			t.Fatalf("letter %d with credit's peer down: %d %s", i, r.Status, r.Raw)
		}
	}
	startCredit()

	// Drafted while the peer is up (a draft needs the catalog item).
	sub := signedSubmission(t, code, newPerson(t, "本部门节点故障"))
	startMarket := stopPeer("market")
	r := submit(t, market, sub)
	poll, _ := r.Body["poll"].(string)
	if r.Status != http.StatusAccepted || poll == "" {
		t.Fatalf("a letter with market's own peer down: %d %s", r.Status, r.Raw)
	}
	if rc := receipt(t, r); rc["status"] != "PENDING" {
		t.Fatalf("receipt %v", rc)
	}
	startMarket()
	// The background pass anchors it; another department then reports it.
	deadline := time.Now().Add(90 * time.Second)
	var v response
	for {
		v = call(t, "GET", gatewayURL(police)+poll, "")
		if v.Status == http.StatusOK && v.Body["anchored"] == true {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pending letter is not anchored 90 s after market's peer came back: %d %s", v.Status, v.Raw)
		}
		time.Sleep(time.Second)
	}
	// Submitted again, it is the same letter, anchored once: the same receipt.
	again := submit(t, market, sub)
	rec, _ := v.Body["record"].(map[string]any)
	if again.Status != http.StatusCreated || receipt(t, again)["txId"] != rec["txId"] {
		t.Fatalf("resubmission: %d %s; the ledger says %v", again.Status, again.Raw, rec)
	}
}

func ordererHeight(t *testing.T, key string) int {
	t.Helper()
	var out string
	var err error
	for i := 0; i < 20; i++ {
		if out, err = script(time.Minute, "dept", key, "height"); err == nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	h, perr := strconv.Atoi(lines[len(lines)-1])
	if err != nil || perr != nil {
		t.Fatalf("height of %s's orderer: %v %v\n%s", key, err, perr, out)
	}
	return h
}

// Another department's definition is data: one whose key would be a path
// ("../org" used to overwrite the importing department's own org.json),
// whose MSP id or host would break out of the channel configuration, or
// that claims the importer's own name, is refused and changes nothing
// (issue 29, item 11).
func TestHostileDefinitionIsRefused(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(net.state, "exchange", "credit.json"))
	if err != nil {
		t.Fatal(err)
	}
	home := deptHome(market)
	snapshot := func() map[string]string {
		out := map[string]string{}
		for _, g := range []string{"org.json", "orgs/*", "secret/*", "msp/*/*"} {
			files, _ := filepath.Glob(filepath.Join(home, g))
			for _, f := range files {
				b, _ := os.ReadFile(f)
				out[f] = string(b)
			}
		}
		return out
	}
	before := snapshot()
	for name, edit := range map[string]func(m map[string]any){
		"key ../org":          func(m map[string]any) { m["key"] = "../org" },
		"key ../../..":        func(m map[string]any) { m["key"] = "../../.." },
		"market's own key":    func(m map[string]any) { m["key"] = "market" },
		"market's MSP id":     func(m map[string]any) { m["mspId"] = "MarketMSP" },
		"MSP id with YAML":    func(m map[string]any) { m["mspId"] = "Credit'MSP\n  - &evil" },
		"host with YAML":      func(m map[string]any) { m["peer"].(map[string]any)["host"] = "1.2.3.4, Port: 1}" },
		"port as text":        func(m map[string]any) { m["orderer"].(map[string]any)["port"] = "7050; rm -rf /" },
		"certificate garbage": func(m map[string]any) { m["ca"] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" },
	} {
		t.Run(name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			edit(m)
			f := filepath.Join(t.TempDir(), "evil.json")
			b, _ := json.Marshal(m)
			os.WriteFile(f, b, 0o644)
			out, err := script(time.Minute, "dept", "market", "import", f)
			if err == nil || !strings.Contains(out, "refused") {
				t.Fatalf("import of a hostile definition: %v\n%s", err, out)
			}
		})
	}
	after := snapshot()
	for f, c := range before {
		if after[f] != c {
			t.Errorf("a refused definition changed %s", f)
		}
	}
	if len(after) != len(before) {
		t.Errorf("a refused definition added files: %d before, %d after", len(before), len(after))
	}
}

// A fifth department joins the running network: too few admin signatures
// are refused; with a majority it is added as an application organisation
// and a consenter, its orderer and peer catch up, its gateway reads the
// existing letters, its peer endorses, and from then on a write needs 3 of
// the 5 departments' endorsements. Then it leaves the same way.
func TestFifthDepartmentJoins(t *testing.T) {
	code := publishVisible(t, verifiedItem(uniqueCode(t, "JOIN"), "PoliceMSP", false))
	old := anchorID(t, code, newPerson(t, "加入前"))

	out, err := scriptEnv(5*time.Minute, []string{"CHENGNUO_UPDATE_SIGNATURES=2"}, "join", "hrss")
	if err == nil {
		t.Fatalf("the update with 2 of 4 admin signatures was accepted:\n%s", out)
	}
	if !strings.Contains(out, "signature") && !strings.Contains(out, "policy") {
		t.Fatalf("the refusal does not name the policy:\n%s", out)
	}
	// An admin sees what the update changes before signing; without a
	// confirmation (no terminal, no --yes) nothing is signed.
	update := filepath.Join(net.state, "exchange", "join-hrss.pb")
	before, err := os.ReadFile(update)
	if err != nil {
		t.Fatal(err)
	}
	out, err = script(time.Minute, "dept", "market", "sign-update", update)
	if err == nil || !strings.Contains(out, "refusing to sign") || !strings.Contains(out, "ADDS organisation HrssMSP") {
		t.Fatalf("sign-update without confirmation: %v\n%s", err, out)
	}
	if after, _ := os.ReadFile(update); !bytes.Equal(before, after) {
		t.Fatal("sign-update without confirmation changed the update")
	}
	t0 := time.Now()
	out, err = script(5*time.Minute, "join", "hrss")
	if err != nil {
		t.Fatalf("join: %v\n%s", err, out)
	}
	t.Logf("hrss joined in %s", time.Since(t0).Round(time.Millisecond))
	// Every admin who signed was shown the changes in plain words.
	for _, want := range []string{"ADDS organisation HrssMSP to the application", "ADDS organisation HrssMSP to the ordering service",
		"ADDS consenter 5: HrssMSP's orderer", "consenters: 4 → 5 (a block then needs 4 of 5 signatures",
		"policy /Channel/Orderer/BlockValidation: 3 of [", "sign join-hrss.pb confirmed by --yes"} {
		if !strings.Contains(out, want) {
			t.Errorf("the join's summary lacks %q:\n%s", want, out)
		}
	}
	if err := loadNetwork(); err != nil {
		t.Fatal(err)
	}
	hrss, ok := net.depts["hrss"]
	if !ok {
		t.Fatal("network.json lacks hrss")
	}
	if net.netns && hrss.IP == net.depts["justice"].IP {
		t.Fatal("hrss has no host of its own")
	}

	// Its gateway verifies letters anchored before it joined.
	if r := call(t, "GET", hrss.Gateway+"/v1/public/commitments/"+old, ""); r.Status != http.StatusOK {
		t.Fatalf("hrss reads an existing letter: %d %s", r.Status, r.Raw)
	}
	// A proof of a letter anchored before the join, built by the new
	// department, still verifies against the pinned genesis; so does one of
	// a letter anchored after it, whose trust chain passes through the join's
	// configuration block (signed by a quorum of the four earlier consenters).
	pinned := genesisHash(t)
	if rep, err := verifyBundle(t, fetchProofAt(t, hrss.Gateway, "/v1/commitments/"+old+"/proof"), proof.Options{GenesisHash: pinned}); err != nil || len(rep.Departments) != 4 {
		t.Fatalf("proof of a letter from before the join: %+v %v", rep, err)
	}
	after := anchorID(t, code, newPerson(t, "加入后"))
	rep, err := verifyBundle(t, fetchProof(t, market, "/v1/commitments/"+after+"/proof"), proof.Options{GenesisHash: pinned})
	if err != nil || len(rep.Departments) != 5 || rep.ConfigBlock == 0 {
		t.Fatalf("proof of a letter from after the join: %+v %v", rep, err)
	}

	// Its peer endorses, and MAJORITY is now 3 of 5.
	c, err := fabric.Dial(fabric.Config{
		PeerEndpoint:  hrss.Peer,
		PeerTLSCAFile: filepath.Join(hrss.Home, "peer", "tls", "ca.crt"),
		MSPID:         hrss.MSPID,
		CertFile:      filepath.Join(hrss.Home, "gateway", "msp", "signcerts", "cert.pem"),
		KeyFile:       filepath.Join(hrss.Home, "gateway", "msp", "keystore", "key.pem"),
		Channel:       "chengnuo",
		Chaincode:     "notary",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	anchor := func(orgs ...string) (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		args, err := contract.Anchor.EncodeArgs(&contract.DigestArgs{Digest: randomDigest(t)})
		if err != nil {
			return false, err
		}
		p, err := c.Contract().NewProposal(contract.Anchor.Name, client.WithBytesArguments(args), client.WithEndorsingOrganizations(orgs...))
		if err != nil {
			return false, err
		}
		txn, err := p.EndorseWithContext(ctx)
		if err != nil {
			return false, err
		}
		commit, err := txn.SubmitWithContext(ctx)
		if err != nil {
			return false, err
		}
		st, err := commit.StatusWithContext(ctx)
		if err != nil {
			return false, err
		}
		return st.Successful, nil
	}
	if ok, err := anchor("HrssMSP", "MarketMSP"); err != nil || ok {
		t.Fatalf("2 of 5 endorsements committed (ok=%v, err=%v)", ok, err)
	}
	if ok, err := anchor("HrssMSP", "MarketMSP", "PoliceMSP"); err != nil || !ok {
		t.Fatalf("3 of 5 endorsements with hrss's peer did not commit (ok=%v, err=%v)", ok, err)
	}
	// Its orderer is a consenter at the others' height.
	deadline := time.Now().Add(time.Minute)
	for ordererHeight(t, "hrss") < ordererHeight(t, "market") {
		if time.Now().After(deadline) {
			t.Fatal("hrss's orderer does not keep up")
		}
		time.Sleep(time.Second)
	}
	if got := channelMembers(t); got != "CreditMSP,HrssMSP,JusticeMSP,MarketMSP,PoliceMSP / 5 consenters, quorum 4" {
		t.Fatalf("channel after the join: %s", got)
	}

	// And it leaves again: a majority of the departments' admins remove it.
	if out, err := script(5*time.Minute, "leave", "hrss"); err != nil {
		t.Fatalf("leave: %v\n%s", err, out)
	}
	if got := channelMembers(t); got != "CreditMSP,JusticeMSP,MarketMSP,PoliceMSP / 4 consenters, quorum 3" {
		t.Fatalf("channel after the leave: %s", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := dialOrg(t, market).Anchor(ctx, randomDigest(t)); err != nil {
		t.Fatalf("anchor after hrss left: %v", err)
	}
	if err := loadNetwork(); err != nil {
		t.Fatal(err)
	}
	if _, ok := net.depts["hrss"]; ok {
		t.Fatal("network.json still lists hrss")
	}
}

// channelMembers reads the channel's current config through market's admin:
// its application organisations, consenters and block validation quorum.
func channelMembers(t *testing.T) string {
	t.Helper()
	block := filepath.Join(t.TempDir(), "config.block")
	if out, err := script(time.Minute, "dept", "market", "fetch-config", block); err != nil {
		t.Fatalf("fetch-config: %v\n%s", err, out)
	}
	bin, err := exec.Command(filepath.Join(net.root, "scripts", "fabric-bin.sh")).Output()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sh", "-c", `"$1"/configtxlator proto_decode --input "$2" --type common.Block | jq -r '
		.data.data[0].payload.data.config.channel_group
		| "\(.groups.Application.groups | keys | join(",")) / \(.groups.Orderer.values.Orderers.value.consenter_mapping | length) consenters, quorum \(.groups.Orderer.policies.BlockValidation.policy.value.rule.n_out_of.n)"'`,
		"sh", strings.TrimSpace(string(bin)), block).Output()
	if err != nil {
		t.Fatalf("decode config: %v", err)
	}
	return strings.TrimSpace(string(out))
}
