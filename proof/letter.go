package proof

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/chengnuo/chengnuo/sm"
)

// Signing methods a commitment record names (chengnuo.SignedSM2 and so on;
// the domain package is not imported, so that this one stays small).
const (
	signedSM2    = "SM2"
	signedSM2Key = "SM2_KEY"
	signedPaper  = "PAPER"
)

// letter checks the letter file against the proven digest: its canonical
// bytes hash (SM3) to it and, when the file is a signed submission, the
// applicant's SM2 signature verifies with the key or certificate it names,
// and the way it was signed is the one the record names. A certificate
// names the applicant only when it chains to one of cas (the applicant
// CAs the verifier trusts) and its subject's serial number is the
// letter's ID number; any other key is "a key of unknown owner".
func (v *verifier) letter(file, cas []byte) error {
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
	} else {
		canonical = file // a scan is hashed as it is, every byte
		if sm.SM3Hex(canonical) != v.b.Subject.LetterDigest {
			canonical = bytes.TrimSpace(file)
		}
	}
	if d := sm.SM3Hex(canonical); d != v.b.Subject.LetterDigest {
		return fail(CheckLetter, "the letter's SM3 digest is %s, not the proven %s", d, v.b.Subject.LetterDigest)
	}
	recorded := v.recordedSigning()
	if !signed {
		if recorded == signedSM2 || recorded == signedSM2Key {
			v.rep.Letter = "the letter's bytes hash to the proven digest (the record says it was signed with SM2; give the signed submission to check the signature)"
			return nil
		}
		v.rep.Letter = "the file's bytes hash to the proven digest"
		if recorded == signedPaper {
			v.rep.Letter += " (signed on paper: the record is the department's word that this scan is the signed letter)"
		}
		return nil
	}
	if recorded == signedPaper {
		return fail(CheckSignature, "the record says the letter was signed on paper, but the file is an electronic signature")
	}
	sig, err := decodeSig(sub.Signature)
	if err != nil {
		return fail(CheckSignature, "the signature is neither hex nor base64 DER")
	}
	var pub *ecdsa.PublicKey
	how := "a key of unknown owner (a bare public key: nothing ties it to the applicant)"
	var cert *smx509.Certificate
	switch {
	case sub.Certificate != "" && sub.PublicKey != "":
		return fail(CheckSignature, "the submission names both a public key and a certificate")
	case sub.Certificate != "":
		if cert, err = sm.ParseCertificate(sub.Certificate); err != nil {
			return fail(CheckSignature, "certificate: %v", err)
		}
		pub = cert.PublicKey.(*ecdsa.PublicKey) // ParseCertificate requires an SM2 key
		if recorded == signedSM2Key {
			return fail(CheckSignature, "the record says the letter was signed with a bare key, but the file names a certificate")
		}
	case sub.PublicKey != "":
		if pub, err = sm.ParsePublicKey(sub.PublicKey); err != nil {
			return fail(CheckSignature, "public key: %v", err)
		}
		if recorded == signedSM2 {
			return fail(CheckSignature, "the record says the letter was signed with an applicant certificate, but the file names only a public key")
		}
	default:
		return fail(CheckSignature, "the submission names neither a public key nor a certificate")
	}
	if err := sm.Verify(pub, sm.DefaultUID, canonical, sig); err != nil {
		return fail(CheckSignature, "the applicant's SM2 signature does not verify with the key the file names")
	}
	if cert != nil {
		how = v.certificateOwner(cert, canonical, cas)
	}
	v.rep.Letter = "the letter's canonical bytes hash to the proven digest, and its SM2 signature verifies with " + how
	return nil
}

// certificateOwner says whose key a letter's certificate is: the
// applicant's when it chains to an applicant CA of cas (at the time the
// letter was drafted and at the block's time) and names the letter's
// applicant; otherwise a key of unknown owner, saying why.
func (v *verifier) certificateOwner(cert *smx509.Certificate, canonical, cas []byte) string {
	named := "a certificate that calls itself " + cert.Subject.CommonName + " (serial number " + cert.Subject.SerialNumber + ")"
	roots := smx509.NewCertPool()
	n := 0
	for rest := cas; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		if c, err := smx509.ParseCertificate(blk.Bytes); err == nil && c.IsCA {
			roots.AddCert(c)
			n++
		}
	}
	if n == 0 {
		return "a key of unknown owner: " + named + ", but no applicant CA was given to check it against"
	}
	var l struct {
		DraftedAt string `json:"draftedAt"`
		Applicant struct {
			IDNumber string `json:"idNumber"`
		} `json:"applicant"`
	}
	_ = json.Unmarshal(canonical, &l)
	drafted, err := time.Parse(time.RFC3339, l.DraftedAt)
	if err != nil {
		drafted = v.rep.BlockTime
	}
	for _, at := range []time.Time{drafted, v.rep.BlockTime} {
		if err := sm.VerifySigningCertificate(cert, roots, at); err != nil {
			return "a key of unknown owner: " + named + ", which no applicant CA given vouches for (" + err.Error() + ")"
		}
	}
	if strings.ToUpper(strings.TrimSpace(cert.Subject.SerialNumber)) != strings.ToUpper(strings.TrimSpace(l.Applicant.IDNumber)) || l.Applicant.IDNumber == "" {
		return "a key of unknown owner: " + named + ", issued by an applicant CA given but not to the letter's applicant"
	}
	v.rep.SignerKnown = true
	return "the certificate of " + cert.Subject.CommonName + " (serial number " + cert.Subject.SerialNumber + "), issued by " + cert.Issuer.CommonName + ", an applicant CA given"
}

// recordedSigning is how the proven record says the letter was signed
// (SM2, SM2_KEY, PAPER), or "" (an anchor, or a record that does not say).
func (v *verifier) recordedSigning() string {
	var rec struct {
		SignedBy string `json:"signedBy"`
	}
	if json.Unmarshal(v.rep.Record, &rec) != nil {
		return ""
	}
	return rec.SignedBy
}

func decodeSig(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) > 0 {
		return b, nil
	}
	return base64.StdEncoding.DecodeString(s)
}
