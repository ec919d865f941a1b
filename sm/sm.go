// Package sm holds the project's cryptography in one small place: SM3,
// HMAC-SM3, SM2 signatures (GB/T 32918, GM/T 0009 default user id), SM2 keys
// and X.509 certificates, and RFC 8785 canonical JSON. It is built on
// github.com/emmansun/gmsm, whose DER parsing is strict; keys, certificates
// and signatures made by other conforming implementations (tjfoc/gmsm among
// them) are accepted.
package sm

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
	"github.com/gowebpki/jcs"
)

// DefaultUID is the default SM2 signer id of GM/T 0009.
const DefaultUID = "1234567812345678"

// SM3 returns the SM3 digest of b.
func SM3(b []byte) [32]byte { return sm3.Sum(b) }

// SM3Hex returns the SM3 digest of b in lower-case hex.
func SM3Hex(b []byte) string {
	d := sm3.Sum(b)
	return hex.EncodeToString(d[:])
}

// NewSM3 returns a streaming SM3 hash, for input too large to buffer.
func NewSM3() hash.Hash { return sm3.New() }

// TextDigest is the digest of a free text that goes on a ledger in its
// place: SM3(salt || text) in lower-case hex. With a random salt kept
// beside the text, the digest reveals nothing a guesser could confirm.
func TextDigest(salt []byte, text string) string {
	h := sm3.New()
	h.Write(salt)
	h.Write([]byte(text))
	return hex.EncodeToString(h.Sum(nil))
}

// HMACSM3 returns HMAC-SM3(key, msg) (GM/T 0042).
func HMACSM3(key, msg []byte) []byte {
	m := hmac.New(sm3.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// Canonicalize returns the RFC 8785 (JCS) canonical form of a JSON text.
// Numbers beyond 2^53 lose precision under JCS: ids belong in strings.
func Canonicalize(js []byte) ([]byte, error) {
	out, err := jcs.Transform(js)
	if err != nil {
		return nil, fmt.Errorf("canonicalize JSON: %w", err)
	}
	return out, nil
}

// ErrBadSignature is returned when a signature does not verify.
var ErrBadSignature = errors.New("SM2 signature does not verify")

// Verify checks a DER-encoded SM2 signature by pub over msg with signer id
// uid (DefaultUID if empty). The DER must be exact: trailing bytes or a
// non-minimal encoding fail.
func Verify(pub *ecdsa.PublicKey, uid string, msg, derSig []byte) error {
	if pub == nil || !sm2.IsSM2PublicKey(pub) {
		return errors.New("not an SM2 public key")
	}
	if uid == "" {
		uid = DefaultUID
	}
	if !sm2.VerifyASN1WithSM2(pub, []byte(uid), msg, derSig) {
		return ErrBadSignature
	}
	return nil
}

// Sign signs msg with the default signer id and returns a DER signature.
func Sign(priv *sm2.PrivateKey, msg []byte) ([]byte, error) {
	return priv.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
}

// GenerateKey returns a new SM2 private key.
func GenerateKey() (*sm2.PrivateKey, error) { return sm2.GenerateKey(rand.Reader) }

// MarshalPrivateKeyPEM encodes priv as a PKCS#8 "PRIVATE KEY" PEM block.
func MarshalPrivateKeyPEM(priv *sm2.PrivateKey) ([]byte, error) {
	der, err := smx509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePrivateKeyPEM decodes a PKCS#8 (or SEC 1 "EC PRIVATE KEY") SM2 key.
func ParsePrivateKeyPEM(b []byte) (*sm2.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block in private key")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = smx509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = smx509.ParseSM2PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("unsupported private key PEM type %q", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	priv, ok := key.(*sm2.PrivateKey)
	if !ok {
		return nil, errors.New("private key is not an SM2 key")
	}
	return priv, nil
}

// MarshalPublicKeyPEM encodes pub as a PKIX "PUBLIC KEY" PEM block.
func MarshalPublicKeyPEM(pub *ecdsa.PublicKey) ([]byte, error) {
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKey accepts an SM2 public key as a PKIX "PUBLIC KEY" PEM block
// or as hex of the uncompressed point (04 || X || Y, 130 hex digits).
func ParsePublicKey(s string) (*ecdsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	if block, _ := pem.Decode([]byte(s)); block != nil {
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("unsupported public key PEM type %q", block.Type)
		}
		return parsePKIX(block.Bytes)
	}
	raw, err := hex.DecodeString(s)
	if err != nil || len(raw) != 65 || raw[0] != 4 {
		return nil, errors.New("public key must be PEM or the hex of an uncompressed SM2 point (04||X||Y)")
	}
	pub, err := sm2.NewPublicKey(raw)
	if err != nil {
		return nil, fmt.Errorf("public key is not a point on the SM2 curve: %w", err)
	}
	return pub, nil
}

// spkiSM2 is the DER of an SM2 SubjectPublicKeyInfo (RFC 5480 with the
// SM2 curve, GB/T 35276) up to its point: SEQUENCE, AlgorithmIdentifier
// {id-ecPublicKey, sm2p256v1}, BIT STRING of 66 bytes, no unused bits. Every
// SM2 library writes a public key this way.
var spkiSM2 = []byte{0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d, 0x03, 0x42, 0x00}

// parsePKIX parses a DER SubjectPublicKeyInfo holding an SM2 key. The usual
// form (spkiSM2 and an uncompressed point) is read directly: the general
// parser's reflective ASN.1 decoding cost a signed submission ~25 µs, a
// quarter of its signature check (issue 10). Anything else goes to the
// general parser, which accepts or refuses it. FuzzParsePublicKey holds
// the two to the same answers.
func parsePKIX(der []byte) (*ecdsa.PublicKey, error) {
	if len(der) == len(spkiSM2)+65 && bytes.HasPrefix(der, spkiSM2) && der[len(spkiSM2)] == 4 {
		pub, err := sm2.NewPublicKey(der[len(spkiSM2):])
		if err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
		return pub, nil
	}
	return parsePKIXGeneral(der)
}

func parsePKIXGeneral(der []byte) (*ecdsa.PublicKey, error) {
	key, err := smx509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	pub, ok := key.(*ecdsa.PublicKey)
	if !ok || !sm2.IsSM2PublicKey(pub) {
		return nil, errors.New("public key is not an SM2 key")
	}
	return pub, nil
}

// ParseCertificate decodes one PEM "CERTIFICATE" and requires an SM2 key in it.
func ParseCertificate(s string) (*smx509.Certificate, error) {
	block, rest := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("certificate must be one PEM CERTIFICATE block")
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, errors.New("certificate PEM holds more than one block")
	}
	cert, err := smx509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !sm2.IsSM2PublicKey(pub) {
		return nil, errors.New("certificate does not carry an SM2 public key")
	}
	return cert, nil
}

// VerifySigningCertificate checks an applicant's signing certificate: it
// chains to one of roots (required), was valid at time at, and its key
// usage allows signatures (digital signature or content commitment).
func VerifySigningCertificate(cert *smx509.Certificate, roots *smx509.CertPool, at time.Time) error {
	if roots == nil {
		return errors.New("no certificate authority is configured to check certificates against")
	}
	if cert.KeyUsage&(smx509.KeyUsageDigitalSignature|smx509.KeyUsageContentCommitment) == 0 {
		return errors.New("the certificate's key usage does not allow signatures")
	}
	if cert.IsCA {
		return errors.New("a CA certificate cannot sign letters")
	}
	return VerifyCertificate(cert, roots, at)
}

// VerifyCertificate checks that cert was valid at time at and, when roots is
// non-nil, that it chains to one of them.
func VerifyCertificate(cert *smx509.Certificate, roots *smx509.CertPool, at time.Time) error {
	if at.Before(cert.NotBefore) || at.After(cert.NotAfter) {
		return fmt.Errorf("certificate is not valid at %s (valid %s to %s)", at.UTC().Format(time.RFC3339),
			cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
	}
	if roots == nil {
		return nil
	}
	_, err := cert.Verify(smx509.VerifyOptions{Roots: roots, CurrentTime: at, KeyUsages: []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny}})
	if err != nil {
		return fmt.Errorf("certificate does not chain to a configured root: %w", err)
	}
	return nil
}
