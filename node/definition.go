// Package node is the part of a department's node kit (scripts/dept.sh)
// that handles what other departments hand over: their organisation
// definitions, channel configuration updates and the sealed consortium
// secret. Such inputs are data to validate before use — never a path, a
// command or a fragment of a configuration file — so this logic lives in
// Go, with tests, and the shell script calls it (chengnuo node …).
package node

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/sm"
)

// MaxDefinitionBytes bounds a definition file.
const MaxDefinitionBytes = 64 << 10

// Definition is a department's organisation definition (org.json): the
// public part the other departments need — its CA roots, endpoints, the
// orderer's consenter identity and TLS certificates, the transport key the
// consortium secret is sealed to.
type Definition struct {
	Key          string   `json:"key"`
	MSPID        string   `json:"mspId"`
	Domain       string   `json:"domain"`
	Name         string   `json:"name"`
	NumberPrefix string   `json:"numberPrefix"` // its letter numbers' prefix (文号前缀)
	Slot         int      `json:"slot"`
	CA           string   `json:"ca"`
	TLSCA        string   `json:"tlsCA"`
	NodeOUs      bool     `json:"nodeOUs"`
	Peer         Endpoint `json:"peer"`
	Orderer      Orderer  `json:"orderer"`
	Gateway      string   `json:"gateway"`
	TransportKey string   `json:"transportKey"`
}

// Endpoint is a node's address and TLS certificate.
type Endpoint struct {
	Host    string `json:"host"`
	Port    int    `json:"port"`
	TLSCert string `json:"tlsCert"`
}

// Orderer is the department's orderer: its endpoint and the identity it
// signs blocks with as a consenter.
type Orderer struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Identity string `json:"identity"`
	TLSCert  string `json:"tlsCert"`
}

// Address is host:port.
func (e Endpoint) Address() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// Address is host:port.
func (o Orderer) Address() string { return net.JoinHostPort(o.Host, strconv.Itoa(o.Port)) }

// ConsenterID is the department's SmartBFT consenter id: its slot + 1.
func (d *Definition) ConsenterID() uint32 { return uint32(d.Slot) + 1 }

var (
	keyRE   = regexp.MustCompile(`^[a-z][a-z0-9]{1,15}$`)
	mspRE   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,62}$`)
	labelRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
)

// Invalid is a definition that fails validation; Field names the part.
type Invalid struct {
	Field, Reason string
}

func (e *Invalid) Error() string { return "definition: " + e.Field + ": " + e.Reason }

func invalid(field, format string, a ...any) error {
	return &Invalid{Field: field, Reason: fmt.Sprintf(format, a...)}
}

// ParseDefinition decodes and validates a definition: exactly the known
// fields, a key and MSP id of safe characters, hosts that are IP addresses
// or DNS names, ports that are numbers, certificates that parse (the CAs
// are CA certificates, the orderer's identity is issued by the CA and its
// TLS certificate by the TLS CA), an SM2 transport key.
func ParseDefinition(raw []byte) (*Definition, error) {
	if len(raw) > MaxDefinitionBytes {
		return nil, invalid("file", "larger than %d bytes", MaxDefinitionBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var d Definition
	if err := dec.Decode(&d); err != nil {
		return nil, invalid("file", "not a definition: %v", err)
	}
	if dec.More() {
		return nil, invalid("file", "trailing data after the definition")
	}
	return &d, d.Validate()
}

// Validate checks every field (see ParseDefinition).
func (d *Definition) Validate() error {
	if !keyRE.MatchString(d.Key) {
		return invalid("key", "must be 2 to 16 lower-case letters and digits, starting with a letter")
	}
	if !mspRE.MatchString(d.MSPID) {
		return invalid("mspId", "must be 1 to 63 letters and digits, starting with a letter")
	}
	if err := checkDNSName(d.Domain); err != nil {
		return invalid("domain", "%v", err)
	}
	if err := chengnuo.ValidateDepartmentName(d.Name); err != nil {
		return invalid("name", "%s", chengnuo.ErrorMessage(err))
	}
	if err := chengnuo.ValidateNumberPrefix(d.NumberPrefix); err != nil {
		return invalid("numberPrefix", "%s", chengnuo.ErrorMessage(err))
	}
	if d.Slot < 0 || d.Slot > 63 {
		return invalid("slot", "must be 0 to 63")
	}
	if !d.NodeOUs {
		return invalid("nodeOUs", "must be true: the channel's policies name the peer, client, admin and orderer roles")
	}
	ca, err := parseCert(d.CA)
	if err != nil {
		return invalid("ca", "%v", err)
	}
	tlsCA, err := parseCert(d.TLSCA)
	if err != nil {
		return invalid("tlsCA", "%v", err)
	}
	for name, c := range map[string]*x509.Certificate{"ca": ca, "tlsCA": tlsCA} {
		if !c.IsCA {
			return invalid(name, "is not a CA certificate")
		}
	}
	if err := checkHost(d.Peer.Host); err != nil {
		return invalid("peer.host", "%v", err)
	}
	if err := checkPort(d.Peer.Port); err != nil {
		return invalid("peer.port", "%v", err)
	}
	if err := issuedBy(d.Peer.TLSCert, tlsCA); err != nil {
		return invalid("peer.tlsCert", "%v", err)
	}
	if err := checkHost(d.Orderer.Host); err != nil {
		return invalid("orderer.host", "%v", err)
	}
	if err := checkPort(d.Orderer.Port); err != nil {
		return invalid("orderer.port", "%v", err)
	}
	if err := issuedBy(d.Orderer.Identity, ca); err != nil {
		return invalid("orderer.identity", "%v", err)
	}
	if err := issuedBy(d.Orderer.TLSCert, tlsCA); err != nil {
		return invalid("orderer.tlsCert", "%v", err)
	}
	u, err := url.Parse(d.Gateway)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		(u.Path != "" && u.Path != "/") {
		return invalid("gateway", "must be an http(s) URL of a host and port")
	}
	if err := checkHost(u.Hostname()); err != nil {
		return invalid("gateway", "%v", err)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || checkPort(n) != nil {
			return invalid("gateway", "bad port %q", p)
		}
	}
	if _, err := sm.ParsePublicKey(d.TransportKey); err != nil {
		return invalid("transportKey", "%v", err)
	}
	return nil
}

// JSON is the definition re-encoded: what is kept of another department's
// file is this, never its bytes.
func (d *Definition) JSON() []byte {
	raw, _ := json.MarshalIndent(d, "", "  ")
	return append(raw, '\n')
}

// CACert is the department's CA certificate (validated).
func (d *Definition) CACert() *x509.Certificate { c, _ := parseCert(d.CA); return c }

// TLSCACert is the department's TLS CA certificate (validated).
func (d *Definition) TLSCACert() *x509.Certificate { c, _ := parseCert(d.TLSCA); return c }

func checkHost(h string) error {
	if ip := net.ParseIP(h); ip != nil {
		return nil
	}
	return checkDNSName(h)
}

func checkDNSName(h string) error {
	if h == "" || len(h) > 253 {
		return errors.New("must be an IP address or a DNS name")
	}
	for _, l := range strings.Split(h, ".") {
		if !labelRE.MatchString(l) {
			return fmt.Errorf("%q is not an IP address or a DNS name", h)
		}
	}
	return nil
}

func checkPort(p int) error {
	if p < 1 || p > 65535 {
		return errors.New("must be 1 to 65535")
	}
	return nil
}

// parseCert reads exactly one PEM certificate.
func parseCert(s string) (*x509.Certificate, error) {
	blk, rest := pem.Decode([]byte(s))
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("is not a PEM certificate")
	}
	if strings.TrimSpace(string(rest)) != "" {
		return nil, errors.New("holds more than one PEM block")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("does not parse: %v", err)
	}
	return c, nil
}

func issuedBy(s string, ca *x509.Certificate) error {
	c, err := parseCert(s)
	if err != nil {
		return err
	}
	if err := c.CheckSignatureFrom(ca); err != nil {
		return errors.New("is not issued by the department's CA")
	}
	return nil
}
