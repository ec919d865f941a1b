package node

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/chengnuo/chengnuo/sm"
)

// signatureType is the PEM type of the sender's signature over a sealed
// consortium secret.
const signatureType = "CHENGNUO SECRET SIGNATURE"

// Admin is a department admin's Fabric identity: the certificate its CA
// issued (node OU admin) and its ECDSA key.
type Admin struct {
	Cert []byte // PEM
	Key  crypto.Signer
}

// ParseAdmin reads an admin identity: a PEM certificate and a PEM private
// key (PKCS #8 or SEC 1), as fabric-ca-client writes them.
func ParseAdmin(certPEM, keyPEM []byte) (*Admin, error) {
	if _, err := parseCert(string(bytes.TrimSpace(certPEM)) + "\n"); err != nil {
		return nil, fmt.Errorf("admin certificate %w", err)
	}
	blk, _ := pem.Decode(keyPEM)
	if blk == nil {
		return nil, errors.New("admin key: not PEM")
	}
	var key any
	var err error
	if key, err = x509.ParsePKCS8PrivateKey(blk.Bytes); err != nil {
		key, err = x509.ParseECPrivateKey(blk.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("admin key: %w", err)
	}
	signer, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("admin key: not an ECDSA key")
	}
	return &Admin{Cert: certPEM, Key: signer}, nil
}

// signedMessage is what the sender signs: the purpose, both departments
// and the sealed block, so a signature is good for this secret to this
// recipient from this sender only.
func signedMessage(from, to string, sealed []byte) []byte {
	h := sha256.New()
	for _, part := range [][]byte{[]byte("chengnuo-consortium-secret/1"), []byte(from), []byte(to), sealed} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	return h.Sum(nil)
}

// SealSigned seals the consortium secret to the recipient's transport key
// (its definition's) and signs it as the sending department's admin: the
// file holds the sealed block, the admin's certificate and the signature.
func SealSigned(secret []byte, from *Definition, admin *Admin, to *Definition) ([]byte, error) {
	pub, err := sm.ParsePublicKey(to.TransportKey)
	if err != nil {
		return nil, fmt.Errorf("the recipient's transport key: %w", err)
	}
	sealed, err := sm.Seal(pub, secret)
	if err != nil {
		return nil, err
	}
	sig, err := admin.Key.Sign(rand.Reader, signedMessage(from.MSPID, to.MSPID, sealed), crypto.SHA256)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(sealed)
	out = append(out, bytes.TrimSpace(admin.Cert)...)
	out = append(out, '\n')
	out = append(out, pem.EncodeToMemory(&pem.Block{Type: signatureType,
		Headers: map[string]string{"From": from.MSPID, "To": to.MSPID}, Bytes: sig})...)
	return out, nil
}

// OpenSigned opens a sealed consortium secret: it must be signed by an
// admin of the sending department (a certificate its CA — from its
// definition — issued, with the admin node OU, valid now), addressed to
// this department, sealed to key, and its fingerprint must be the one the
// recipient was told out of band (over the phone). Anything else is
// refused before the secret is written anywhere.
func OpenSigned(file []byte, key *sm2.PrivateKey, self, sender *Definition, fingerprint string, now time.Time) ([]byte, error) {
	var sealedBlk, certBlk, sigBlk *pem.Block
	rest := file
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		switch {
		case b.Type == sm.SealedType && sealedBlk == nil:
			sealedBlk = b
		case b.Type == "CERTIFICATE" && certBlk == nil:
			certBlk = b
		case b.Type == signatureType && sigBlk == nil:
			sigBlk = b
		default:
			return nil, fmt.Errorf("an unexpected or repeated %q block", b.Type)
		}
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("trailing data that is not PEM")
	}
	if sealedBlk == nil {
		return nil, errors.New("no sealed secret")
	}
	if certBlk == nil || sigBlk == nil {
		return nil, errors.New("the sealed secret is not signed by the sending department's admin: refused")
	}
	if sigBlk.Headers["From"] != sender.MSPID || sigBlk.Headers["To"] != self.MSPID {
		return nil, fmt.Errorf("the secret says it is from %q to %q, not from %s to %s",
			sigBlk.Headers["From"], sigBlk.Headers["To"], sender.MSPID, self.MSPID)
	}
	cert, err := x509.ParseCertificate(certBlk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the signer's certificate: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(sender.CACert())
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("the signer's certificate is not issued by %s's CA: %w", sender.MSPID, err)
	}
	if !slices.Contains(cert.Subject.OrganizationalUnit, "admin") {
		return nil, fmt.Errorf("the signer %q is not an admin of %s", cert.Subject.CommonName, sender.MSPID)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	sealed := pem.EncodeToMemory(sealedBlk)
	if !ok || !ecdsa.VerifyASN1(pub, signedMessage(sender.MSPID, self.MSPID, sealed), sigBlk.Bytes) {
		return nil, fmt.Errorf("the signature of %s's admin does not verify: the sealed secret was altered or signed by someone else", sender.MSPID)
	}
	secret, err := sm.Open(key, sealed)
	if err != nil {
		return nil, err
	}
	if got := sm.Fingerprint(secret); subtle.ConstantTimeCompare([]byte(got), []byte(fingerprint)) != 1 {
		return nil, fmt.Errorf("the secret's fingerprint is %s, not the %q you were given: refused", got, fingerprint)
	}
	return secret, nil
}
