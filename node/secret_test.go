package node_test

import (
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo/node"
	"github.com/chengnuo/chengnuo/proof/prooftest"
	"github.com/chengnuo/chengnuo/sm"
)

func admin(t *testing.T, id *prooftest.Identity) *node.Admin {
	t.Helper()
	keyPEM := pemKey(t, id)
	a, err := node.ParseAdmin(id.Cert, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Issue 29, item 13: the sealed consortium secret is signed by the sending
// department's admin and opened only with the fingerprint the recipient
// was told.
func TestSealedSecretIsAuthenticated(t *testing.T) {
	j, m, p := newDept(t, "justice", "JusticeMSP", 0), newDept(t, "market", "MarketMSP", 1), newDept(t, "police", "PoliceMSP", 2)
	secret := []byte("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
	fp := sm.Fingerprint(secret)
	key, err := sm.ParsePrivateKeyPEM(m.transportKey)
	if err != nil {
		t.Fatal(err)
	}
	now := prooftest.Epoch.Add(time.Hour)
	sealed, err := node.SealSigned(secret, j.def, admin(t, j.org.Admin), m.def)
	if err != nil {
		t.Fatal(err)
	}
	got, err := node.OpenSigned(sealed, key, m.def, j.def, fp, now)
	if err != nil || string(got) != string(secret) {
		t.Fatalf("open: %q %v", got, err)
	}
	// Anyone with market's published transport key can seal a secret of
	// their own: without justice's admin signature it is refused.
	pub, _ := sm.ParsePublicKey(m.def.TransportKey)
	forged, _ := sm.Seal(pub, []byte("attacker's secret"))
	policeSealed, _ := node.SealSigned(secret, p.def, admin(t, p.org.Admin), m.def)
	clientSigned, _ := node.SealSigned(secret, j.def, admin(t, j.org.Client), m.def)
	toPolice, _ := node.SealSigned(secret, j.def, admin(t, j.org.Admin), p.def)
	tampered := []byte(strings.Replace(string(sealed), "From: JusticeMSP", "From: PoliceMSP", 1))
	cases := []struct {
		name   string
		file   []byte
		sender *node.Definition
		fp     string
		says   string
	}{
		{"unsigned", forged, j.def, sm.Fingerprint([]byte("attacker's secret")), "not signed"},
		{"signed by another department, claimed from justice", policeSealed, j.def, fp, "not from"},
		{"signed by a client, not an admin", clientSigned, j.def, fp, "not an admin"},
		{"addressed to another department", toPolice, j.def, fp, "not from"},
		{"headers changed", tampered, p.def, fp, ""},
		{"the wrong fingerprint", sealed, j.def, "0000000000000000", "fingerprint"},
		{"no fingerprint", sealed, j.def, "", "fingerprint"},
		{"trailing garbage", append(append([]byte{}, sealed...), "garbage"...), j.def, fp, "trailing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := node.OpenSigned(tc.file, key, m.def, tc.sender, tc.fp, now)
			if err == nil {
				t.Fatalf("opened %q", got)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("refused for another reason: %v", err)
			}
		})
	}
	// Police's signed secret is refused as justice's; opened as police's
	// (the recipient names the sender it expects) it is police's to send.
	if _, err := node.OpenSigned(policeSealed, key, m.def, p.def, fp, now); err != nil {
		t.Fatalf("a secret police signed, opened as police's: %v", err)
	}
}

func pemKey(t *testing.T, id *prooftest.Identity) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(id.Key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
