package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Placeholders of network/configtx.yaml.tmpl.
const (
	placeholderOrgs       = "@ORGS@"
	placeholderConsenters = "@CONSENTERS@"
	placeholderInterval   = "@BLOCK_INTERVAL@"
)

// configtxOrg is an organisation as configtxgen reads it.
type configtxOrg struct {
	Name             string
	ID               string
	MSPDir           string
	Policies         map[string]configtxPolicy
	OrdererEndpoints []string
	AnchorPeers      []configtxAnchor
}

type configtxPolicy struct{ Type, Rule string }

type configtxAnchor struct {
	Host string
	Port int
}

type configtxConsenter struct {
	ID            uint32
	Host          string
	Port          int
	MSPID         string
	Identity      string
	ClientTLSCert string
	ServerTLSCert string
}

// WriteConfigtx renders configtxgen's input for the departments defs into
// dir: for each department dir/KEY/ (its MSP — CA roots and node OUs — and
// its orderer's certificates) and dir/configtx.yaml from template, whose
// @ORGS@ and @CONSENTERS@ become JSON (valid YAML, every string quoted and
// escaped by the encoder, never spliced) and @BLOCK_INTERVAL@ a duration.
// Every definition is validated first; nothing is written if one fails.
func WriteConfigtx(dir string, template []byte, blockInterval string, defs []*Definition) error {
	if _, err := time.ParseDuration(blockInterval); err != nil {
		return fmt.Errorf("block interval %q: %w", blockInterval, err)
	}
	seen := map[string]string{}
	ids := map[uint32]string{}
	for _, d := range defs {
		if err := d.Validate(); err != nil {
			return fmt.Errorf("%s: %w", d.Key, err)
		}
		for what, v := range map[string]string{"key": d.Key, "MSP id": d.MSPID} {
			if other, dup := seen[what+v]; dup {
				return fmt.Errorf("two definitions (%s, %s) have the %s %s", other, d.Key, what, v)
			}
			seen[what+v] = d.Key
		}
		if other, dup := ids[d.ConsenterID()]; dup {
			return fmt.Errorf("%s and %s have the same slot %d (consenter id %d)", other, d.Key, d.Slot, d.ConsenterID())
		}
		ids[d.ConsenterID()] = d.Key
	}
	var orgs []configtxOrg
	var consenters []configtxConsenter
	for _, d := range defs {
		od := filepath.Join(dir, d.Key) // a validated key: letters and digits
		files := map[string]string{
			"msp/cacerts/ca.pem":    d.CA,
			"msp/tlscacerts/ca.pem": d.TLSCA,
			"msp/config.yaml":       nodeOUsYAML,
			"orderer-identity.pem":  d.Orderer.Identity,
			"orderer-tls.pem":       d.Orderer.TLSCert,
		}
		for name, content := range files {
			if err := writeFile(filepath.Join(od, name), []byte(content), 0o644); err != nil {
				return err
			}
		}
		m := d.MSPID
		orgs = append(orgs, configtxOrg{
			Name: m, ID: m, MSPDir: filepath.Join(od, "msp"),
			Policies: map[string]configtxPolicy{
				"Readers":     {"Signature", fmt.Sprintf("OR('%[1]s.admin', '%[1]s.peer', '%[1]s.client', '%[1]s.orderer')", m)},
				"Writers":     {"Signature", fmt.Sprintf("OR('%[1]s.admin', '%[1]s.client', '%[1]s.orderer')", m)},
				"Admins":      {"Signature", fmt.Sprintf("OR('%s.admin')", m)},
				"Endorsement": {"Signature", fmt.Sprintf("OR('%s.peer')", m)},
			},
			OrdererEndpoints: []string{d.Orderer.Address()},
			AnchorPeers:      []configtxAnchor{{Host: d.Peer.Host, Port: d.Peer.Port}},
		})
		consenters = append(consenters, configtxConsenter{ID: d.ConsenterID(), Host: d.Orderer.Host, Port: d.Orderer.Port, MSPID: m,
			Identity: filepath.Join(od, "orderer-identity.pem"), ClientTLSCert: filepath.Join(od, "orderer-tls.pem"),
			ServerTLSCert: filepath.Join(od, "orderer-tls.pem")})
	}
	for _, p := range []string{placeholderOrgs, placeholderConsenters, placeholderInterval} {
		if !bytes.Contains(template, []byte(p)) {
			return fmt.Errorf("the configtx template lacks %s", p)
		}
	}
	out := strings.NewReplacer(placeholderOrgs, jsonYAML(orgs), placeholderConsenters, jsonYAML(consenters),
		placeholderInterval, blockInterval).Replace(string(template))
	return writeFile(filepath.Join(dir, "configtx.yaml"), []byte(out), 0o644)
}

// jsonYAML is v as JSON on one line, which YAML reads as a flow collection.
func jsonYAML(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// nodeOUsYAML is an MSP's node OU configuration (the roles the channel's
// policies name), relative to the MSP directory.
const nodeOUsYAML = `NodeOUs:
  Enable: true
  ClientOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: client
  PeerOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: peer
  AdminOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: admin
  OrdererOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: orderer
`

// writeFile writes a file whole or not at all (a temporary file renamed).
func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	err = errors.Join(werr, f.Chmod(mode), f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
