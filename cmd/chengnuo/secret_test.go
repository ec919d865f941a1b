package main

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chengnuo/chengnuo/node"
	"github.com/chengnuo/chengnuo/proof/prooftest"
	"github.com/chengnuo/chengnuo/sm"
)

// writeDept writes a department's definition (DIR/KEY.json), its transport
// key (DIR/KEY.transport) and its admin's certificate and key.
func writeDept(t *testing.T, dir, key, mspID string, slot int) {
	t.Helper()
	org := prooftest.NewOrg(t, mspID, uint32(slot)+1)
	tk, _ := sm.GenerateKey()
	pub, _ := sm.MarshalPublicKeyPEM(&tk.PublicKey)
	priv, _ := sm.MarshalPrivateKeyPEM(tk)
	d := node.Definition{Key: key, MSPID: mspID, Domain: key + ".local", Name: key, NumberPrefix: key + "承", Slot: slot, CA: string(org.CACert), TLSCA: string(org.CACert),
		NodeOUs: true, Peer: node.Endpoint{Host: "127.0.0.1", Port: 7051, TLSCert: string(org.Peer.Cert)},
		Orderer: node.Orderer{Host: "127.0.0.1", Port: 7050, Identity: string(org.Orderer.Cert), TLSCert: string(org.Orderer.Cert)},
		Gateway: "http://127.0.0.1:8080", TransportKey: string(pub)}
	raw, _ := json.Marshal(d)
	der, _ := x509.MarshalPKCS8PrivateKey(org.Admin.Key)
	for name, content := range map[string][]byte{key + ".json": raw, key + ".transport": priv, key + ".admin.pem": org.Admin.Cert,
		key + ".admin.key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSecretSealOpen(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	writeDept(t, dir, "justice", "JusticeMSP", 0)
	writeDept(t, dir, "market", "MarketMSP", 1)
	var out bytes.Buffer
	if err := os.WriteFile(p("secret"), []byte("00ff00ff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := runSecret([]string{"seal", "--from-def", p("justice.json"), "--admin-cert", p("justice.admin.pem"), "--admin-key", p("justice.admin.key"),
		"--to-def", p("market.json"), "--in", p("secret"), "--out", p("sealed")}, &out); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := runSecret([]string{"fingerprint", "--in", p("secret")}, &out); err != nil {
		t.Fatal(err)
	}
	fp := strings.TrimSpace(out.String())
	open := func(dst, keyFile, fingerprint string) error {
		return runSecret([]string{"open", "--self-def", p("market.json"), "--from-def", p("justice.json"), "--key", keyFile,
			"--fingerprint", fingerprint, "--in", p("sealed"), "--out", p(dst)}, &out)
	}
	if err := open("no-fp", p("market.transport"), ""); err == nil {
		t.Fatal("opened without the fingerprint")
	}
	if err := open("wrong-key", p("justice.transport"), fp); err == nil {
		t.Fatal("the wrong department opened the secret")
	}
	for _, f := range []string{"no-fp", "wrong-key"} {
		if _, err := os.Stat(p(f)); err == nil {
			t.Fatalf("a failed open left %s behind", f)
		}
	}
	if err := open("by-market", p("market.transport"), fp); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p("by-market"))
	if string(got) != "00ff00ff" {
		t.Fatalf("opened %q", got)
	}
	if fi, _ := os.Stat(p("by-market")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("opened secret has mode %v", fi.Mode().Perm())
	}
	if err := open("by-market", p("market.transport"), fp); err == nil {
		t.Fatal("open overwrote an existing secret")
	}
	if err := runSecret([]string{"bogus", "--in", p("secret")}, &out); err == nil {
		t.Fatal("unknown subcommand accepted")
	}
}
