package sm_test

import (
	"crypto/rand"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
	tjsm2 "github.com/tjfoc/gmsm/sm2"
	tjx509 "github.com/tjfoc/gmsm/x509"

	"github.com/chengnuo/chengnuo/sm"
)

// Applicants' USB keys and CAs in the field still run tjfoc/gmsm v1.4.1:
// their keys, certificates and signatures must verify here.
func TestTjfocSignatureAndKeyVerify(t *testing.T) {
	priv, err := tjsm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte(`{"letter":"告知承诺书","salt":"00ff"}`)
	sig, err := priv.Sign(rand.Reader, msg, nil) // default user id, SM3, DER
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := tjx509.WritePublicKeyToPem(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sm.ParsePublicKey(string(pubPEM))
	if err != nil {
		t.Fatalf("tjfoc public key PEM refused: %v", err)
	}
	if err := sm.Verify(pub, sm.DefaultUID, msg, sig); err != nil {
		t.Fatalf("tjfoc signature refused: %v", err)
	}
	hexPub, err := sm.ParsePublicKey("04" + pad64(priv.PublicKey.X) + pad64(priv.PublicKey.Y))
	if err != nil || sm.Verify(hexPub, "", msg, sig) != nil {
		t.Fatalf("tjfoc key as uncompressed hex: %v", err)
	}
	// tjfoc v1.4.1 accepts trailing bytes after the DER signature; we do not.
	if err := sm.Verify(pub, "", msg, append(append([]byte{}, sig...), 0)); err == nil {
		t.Fatal("signature with a trailing byte accepted")
	}

	// And the other direction: our signatures verify under tjfoc.
	own, _ := sm.GenerateKey()
	ownSig, _ := sm.Sign(own, msg)
	ownPEM, _ := sm.MarshalPublicKeyPEM(&own.PublicKey)
	tjPub, err := tjx509.ReadPublicKeyFromPem(ownPEM)
	if err != nil || !tjPub.Verify(msg, ownSig) {
		t.Fatalf("tjfoc does not verify our signature: %v", err)
	}
}

func TestTjfocPrivateKeyAndCertificate(t *testing.T) {
	caKey, _ := tjsm2.GenerateKey(rand.Reader)
	leafKey, _ := tjsm2.GenerateKey(rand.Reader)
	now := time.Now()
	ca := &tjx509.Certificate{SerialNumber: big.NewInt(10), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: tjx509.KeyUsageCertSign, SignatureAlgorithm: tjx509.SM2WithSM3}
	ca.Subject.CommonName = "tjfoc root"
	caPEM, err := tjx509.CreateCertificateToPem(ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := tjx509.ReadCertificateFromPem(caPEM)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &tjx509.Certificate{SerialNumber: big.NewInt(11), NotBefore: now.Add(-time.Minute), NotAfter: now.Add(time.Hour),
		KeyUsage: tjx509.KeyUsageDigitalSignature, SignatureAlgorithm: tjx509.SM2WithSM3}
	leaf.Subject.CommonName = "applicant 张三"
	leafPEM, err := tjx509.CreateCertificateToPem(leaf, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}

	cert, err := sm.ParseCertificate(string(leafPEM))
	if err != nil {
		t.Fatalf("tjfoc certificate refused: %v", err)
	}
	block, _ := pem.Decode(caPEM)
	root, err := smx509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pool := smx509.NewCertPool()
	pool.AddCert(root)
	if err := sm.VerifyCertificate(cert, pool, now); err != nil {
		t.Fatalf("tjfoc chain refused: %v", err)
	}

	keyPEM, err := tjx509.WritePrivateKeyToPem(leafKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	own, err := sm.ParsePrivateKeyPEM(keyPEM)
	if err != nil || own.D.Cmp(leafKey.D) != 0 {
		t.Fatalf("tjfoc private key PEM refused: %v", err)
	}
}

func pad64(n *big.Int) string {
	b := make([]byte, 32)
	n.FillBytes(b)
	const hexd = "0123456789abcdef"
	out := make([]byte, 64)
	for i, c := range b {
		out[2*i], out[2*i+1] = hexd[c>>4], hexd[c&15]
	}
	return string(out)
}

// BenchmarkVerifyTjfoc is the baseline for BenchmarkVerify, measured in the
// same run: tjfoc/gmsm v1.4.1 verifying the same kind of signature.
func BenchmarkVerifyTjfoc(b *testing.B) {
	priv, _ := tjsm2.GenerateKey(rand.Reader)
	msg := make([]byte, 2048)
	sig, _ := priv.Sign(rand.Reader, msg, nil)
	b.ResetTimer()
	for b.Loop() {
		if !priv.PublicKey.Verify(msg, sig) {
			b.Fatal("does not verify")
		}
	}
}
