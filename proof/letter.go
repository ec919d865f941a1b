package proof

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/chengnuo/chengnuo/sm"
)

// letter checks the letter file against the proven digest: its canonical
// bytes hash (SM3) to it and, when the file is a signed submission, the
// applicant's SM2 signature verifies with the key or certificate it names.
// (That a certificate was issued by an applicant CA is the department's
// check at submission; the bundle does not carry the applicant CAs.)
func (v *verifier) letter(file []byte) error {
	canonical := bytes.TrimSpace(file)
	var sub struct {
		Letter      string `json:"letter"`
		Signature   string `json:"signature"`
		PublicKey   string `json:"publicKey"`
		Certificate string `json:"certificate"`
	}
	signed := json.Unmarshal(canonical, &sub) == nil && sub.Letter != "" && sub.Signature != ""
	if signed {
		canonical = []byte(sub.Letter)
	}
	if d := sm.SM3Hex(canonical); d != v.b.Subject.LetterDigest {
		return fail(CheckLetter, "the letter's SM3 digest is %s, not the proven %s", d, v.b.Subject.LetterDigest)
	}
	if !signed {
		v.rep.Letter = "the letter's canonical bytes hash to the proven digest (no signature given: the file is the bare letter)"
		return nil
	}
	sig, err := decodeSig(sub.Signature)
	if err != nil {
		return fail(CheckSignature, "the signature is neither hex nor base64 DER")
	}
	var pub *ecdsa.PublicKey
	how := "the public key given"
	switch {
	case sub.Certificate != "":
		cert, err := sm.ParseCertificate(sub.Certificate)
		if err != nil {
			return fail(CheckSignature, "certificate: %v", err)
		}
		k, ok := cert.PublicKey.(*ecdsa.PublicKey)
		if !ok {
			return fail(CheckSignature, "the certificate holds no SM2 key")
		}
		pub, how = k, "the certificate of "+cert.Subject.CommonName+" (serial number "+cert.Subject.SerialNumber+")"
	case sub.PublicKey != "":
		if pub, err = sm.ParsePublicKey(sub.PublicKey); err != nil {
			return fail(CheckSignature, "public key: %v", err)
		}
	default:
		return fail(CheckSignature, "the submission names neither a public key nor a certificate")
	}
	if err := sm.Verify(pub, sm.DefaultUID, canonical, sig); err != nil {
		return fail(CheckSignature, "the applicant's SM2 signature does not verify with %s", how)
	}
	v.rep.Letter = "the letter's canonical bytes hash to the proven digest, and its SM2 signature verifies with " + how
	return nil
}

func decodeSig(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) > 0 {
		return b, nil
	}
	return base64.StdEncoding.DecodeString(s)
}
