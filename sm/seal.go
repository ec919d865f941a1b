package sm

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
)

// SealedType is the PEM type of a sealed secret.
const SealedType = "CHENGNUO SEALED SECRET"

// Seal encrypts secret to pub with SM2 public-key encryption (GB/T 32918.4,
// GM/T 0009 ASN.1 ciphertext, whose C3 is an SM3 MAC over the plaintext) and
// returns it as a PEM block that names the secret's SM3 fingerprint, so the
// recipient and the sender can compare what was sent without revealing it.
func Seal(pub *ecdsa.PublicKey, secret []byte) ([]byte, error) {
	if len(secret) == 0 {
		return nil, errors.New("seal: empty secret")
	}
	ct, err := sm2.EncryptASN1(rand.Reader, pub, secret)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{
		Type:    SealedType,
		Headers: map[string]string{"Fingerprint": Fingerprint(secret)},
		Bytes:   ct,
	}), nil
}

// Open decrypts a sealed secret with the recipient's key. It fails on
// anything but one well-formed sealed block for this key whose fingerprint
// matches the plaintext.
func Open(priv *sm2.PrivateKey, sealed []byte) ([]byte, error) {
	block, rest := pem.Decode(sealed)
	if block == nil || block.Type != SealedType {
		return nil, fmt.Errorf("open: not a %q PEM block", SealedType)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("open: trailing data after the sealed block")
	}
	secret, err := sm2.Decrypt(priv, block.Bytes)
	if err != nil {
		return nil, errors.New("open: the secret was not sealed to this key, or it was altered")
	}
	if fp := block.Headers["Fingerprint"]; fp != Fingerprint(secret) {
		return nil, errors.New("open: the fingerprint does not match the secret")
	}
	return secret, nil
}

// Fingerprint is a short public name of a secret: the first 16 hex digits
// of SM3("chengnuo-fingerprint" || secret).
func Fingerprint(secret []byte) string {
	return SM3Hex(append([]byte("chengnuo-fingerprint|"), secret...))[:16]
}
