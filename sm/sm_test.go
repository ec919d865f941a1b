package sm_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/chengnuo/chengnuo/sm"
)

// vectors mirrors testdata/sm-vectors.json (a copy of the project's shared
// official vectors: GB/T 32905, GM/T 0042, GB/T 32918.5).
type vectors struct {
	SM3 []struct {
		MessageASCII  string `json:"message_ascii"`
		MessageRepeat *struct {
			Text  string `json:"text"`
			Times int    `json:"times"`
		} `json:"message_ascii_repeat"`
		Digest string `json:"digest"`
	} `json:"sm3"`
	HMAC []struct {
		KeyHex       string `json:"key_hex"`
		KeyASCII     string `json:"key_ascii"`
		KeyHexRepeat *struct {
			Byte  string `json:"byte"`
			Times int    `json:"times"`
		} `json:"key_hex_repeat"`
		MessageASCII     string `json:"message_ascii"`
		MessageHexRepeat *struct {
			Byte  string `json:"byte"`
			Times int    `json:"times"`
		} `json:"message_hex_repeat"`
		MAC string `json:"mac"`
	} `json:"hmac_sm3"`
	SM2 []struct {
		UID          string `json:"user_id_ascii"`
		MessageASCII string `json:"message_ascii"`
		PrivateKey   string `json:"private_key"`
		X            string `json:"public_key_x"`
		Y            string `json:"public_key_y"`
		ZA           string `json:"za"`
		SignatureDER string `json:"signature_der"`
	} `json:"sm2_signature"`
}

func loadVectors(t *testing.T) vectors {
	t.Helper()
	raw, err := os.ReadFile("testdata/sm-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.SM3) == 0 || len(v.HMAC) == 0 || len(v.SM2) == 0 {
		t.Fatal("vector file is missing a section")
	}
	return v
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func repeatHex(t *testing.T, b string, n int) []byte { return bytes.Repeat(mustHex(t, b), n) }

func TestSM3Vectors(t *testing.T) {
	for _, v := range loadVectors(t).SM3 {
		msg := v.MessageASCII
		if v.MessageRepeat != nil {
			msg = strings.Repeat(v.MessageRepeat.Text, v.MessageRepeat.Times)
		}
		if got := sm.SM3Hex([]byte(msg)); got != strings.ToLower(v.Digest) {
			t.Errorf("SM3(%q) = %s, want %s", msg, got, v.Digest)
		}
	}
}

func TestHMACSM3Vectors(t *testing.T) {
	for i, v := range loadVectors(t).HMAC {
		var key, msg []byte
		switch {
		case v.KeyHex != "":
			key = mustHex(t, v.KeyHex)
		case v.KeyHexRepeat != nil:
			key = repeatHex(t, v.KeyHexRepeat.Byte, v.KeyHexRepeat.Times)
		default:
			key = []byte(v.KeyASCII)
		}
		if v.MessageHexRepeat != nil {
			msg = repeatHex(t, v.MessageHexRepeat.Byte, v.MessageHexRepeat.Times)
		} else {
			msg = []byte(v.MessageASCII)
		}
		if got := hex.EncodeToString(sm.HMACSM3(key, msg)); got != strings.ToLower(v.MAC) {
			t.Errorf("vector %d: HMAC-SM3 = %s, want %s", i, got, v.MAC)
		}
	}
}

func TestSM2Vector(t *testing.T) {
	for _, v := range loadVectors(t).SM2 {
		pubHex := "04" + v.X + v.Y
		pub, err := sm.ParsePublicKey(pubHex)
		if err != nil {
			t.Fatal(err)
		}
		za, err := sm2.CalculateZA(pub, []byte(v.UID))
		if err != nil || !strings.EqualFold(hex.EncodeToString(za), v.ZA) {
			t.Fatalf("ZA = %x (%v), want %s", za, err, v.ZA)
		}
		sig := mustHex(t, v.SignatureDER)
		if err := sm.Verify(pub, v.UID, []byte(v.MessageASCII), sig); err != nil {
			t.Fatalf("official signature does not verify: %v", err)
		}
		if err := sm.Verify(pub, v.UID, []byte(v.MessageASCII+"!"), sig); !errors.Is(err, sm.ErrBadSignature) {
			t.Fatalf("signature verifies over another message: %v", err)
		}
		if err := sm.Verify(pub, "another-user-id", []byte(v.MessageASCII), sig); !errors.Is(err, sm.ErrBadSignature) {
			t.Fatalf("signature verifies under another user id: %v", err)
		}
		// The private key of the vector derives the same public key.
		priv, err := sm2.NewPrivateKey(mustHex(t, v.PrivateKey))
		if err != nil || priv.PublicKey.X.Cmp(pub.X) != 0 || priv.PublicKey.Y.Cmp(pub.Y) != 0 {
			t.Fatalf("private key does not match the public key: %v", err)
		}
	}
}

func TestVerifyRejectsMalformedDER(t *testing.T) {
	priv, err := sm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("告知承诺书")
	sig, err := sm.Sign(priv, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := sm.Verify(&priv.PublicKey, "", msg, sig); err != nil {
		t.Fatalf("own signature: %v", err)
	}
	bad := map[string][]byte{
		"trailing zero byte":  append(append([]byte{}, sig...), 0),
		"trailing garbage":    append(append([]byte{}, sig...), 0xde, 0xad),
		"truncated":           sig[:len(sig)-1],
		"empty":               {},
		"raw r||s, not DER":   rawRS(t, sig),
		"length byte too big": withLength(sig, sig[1]+1),
	}
	for name, s := range bad {
		if err := sm.Verify(&priv.PublicKey, "", msg, s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func rawRS(t *testing.T, der []byte) []byte {
	var v struct{ R, S *big.Int }
	if _, err := asn1Unmarshal(der, &v); err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 64)
	v.R.FillBytes(out[:32])
	v.S.FillBytes(out[32:])
	return out
}

func withLength(der []byte, n byte) []byte {
	out := append([]byte{}, der...)
	out[1] = n
	return out
}

func TestKeyPEMRoundTrip(t *testing.T) {
	priv, err := sm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	kp, err := sm.MarshalPrivateKeyPEM(priv)
	if err != nil {
		t.Fatal(err)
	}
	back, err := sm.ParsePrivateKeyPEM(kp)
	if err != nil || back.D.Cmp(priv.D) != 0 {
		t.Fatalf("private key round trip: %v", err)
	}
	pp, err := sm.MarshalPublicKeyPEM(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sm.ParsePublicKey(string(pp))
	if err != nil || !pub.Equal(&priv.PublicKey) {
		t.Fatalf("public key round trip: %v", err)
	}
	for _, bad := range []string{"", "04abcd", strings.Repeat("0", 130), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"} {
		if _, err := sm.ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%.20q) accepted", bad)
		}
	}
}

func TestCertificates(t *testing.T) {
	rootKey, _ := sm.GenerateKey()
	leafKey, _ := sm.GenerateKey()
	now := time.Now()
	root := &smx509.Certificate{SerialNumber: big.NewInt(1), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: smx509.KeyUsageCertSign}
	root.Subject.CommonName = "test root"
	rootDER, err := smx509.CreateCertificate(rand.Reader, root, root, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	rootCert, _ := smx509.ParseCertificate(rootDER)
	leaf := &smx509.Certificate{SerialNumber: big.NewInt(2), NotBefore: now.Add(-time.Minute), NotAfter: now.Add(time.Minute),
		KeyUsage: smx509.KeyUsageDigitalSignature}
	leaf.Subject.CommonName = "applicant"
	leafDER, err := smx509.CreateCertificate(rand.Reader, leaf, rootCert, &leafKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := sm.ParseCertificate(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})))
	if err != nil {
		t.Fatal(err)
	}
	pool := smx509.NewCertPool()
	pool.AddCert(rootCert)
	if err := sm.VerifyCertificate(cert, pool, now); err != nil {
		t.Fatalf("valid chain refused: %v", err)
	}
	if err := sm.VerifyCertificate(cert, pool, now.Add(time.Hour)); err == nil {
		t.Fatal("expired certificate accepted")
	}
	other := smx509.NewCertPool()
	other.AddCert(cert)
	if err := sm.VerifyCertificate(cert, smx509.NewCertPool(), now); err == nil {
		t.Fatal("certificate accepted without its root")
	}
}

func TestNonSM2CertificateRefused(t *testing.T) {
	key, _ := ecdsa.GenerateKey(ellipticP256(), rand.Reader)
	tmpl := &smx509.Certificate{SerialNumber: big.NewInt(3), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sm.ParseCertificate(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))); err == nil {
		t.Fatal("a P-256 certificate was accepted as SM2")
	}
}

// RFC 8785 section 3.2.2 and appendix examples.
func TestCanonicalizeRFC8785(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}`,
			`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`},
		{`{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}`,
			"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\U0001F600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"},
		{`{ "b": [ 1, {"y": 2, "x": 1} ], "a": "申请人" }`, `{"a":"申请人","b":[1,{"x":1,"y":2}]}`},
	}
	for _, tt := range tests {
		got, err := sm.Canonicalize([]byte(tt.in))
		if err != nil || string(got) != tt.want {
			t.Errorf("Canonicalize(%s)\n got %s (%v)\nwant %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`{"a":}`, `{"a":1`, ``, `{"a":NaN}`} {
		if _, err := sm.Canonicalize([]byte(bad)); err == nil {
			t.Errorf("Canonicalize(%q) accepted", bad)
		}
	}
}

func FuzzCanonicalize(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[true,null,"x"]}`, `{"\u20ac":"e","1":2.5e10}`, `[]`, `"s"`, `{"a":{"b":{"c":[1,2,3]}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := sm.Canonicalize(in)
		if err != nil {
			return
		}
		// Canonical output is valid JSON and a fixed point.
		if !json.Valid(out) {
			t.Fatalf("canonical output is not JSON: %q", out)
		}
		again, err := sm.Canonicalize(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q (%v)", out, again, err)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	priv, _ := sm.GenerateKey()
	msg := bytes.Repeat([]byte("x"), 2048)
	sig, _ := sm.Sign(priv, msg)
	b.ResetTimer()
	for b.Loop() {
		if err := sm.Verify(&priv.PublicKey, "", msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSM3_1MiB(b *testing.B) {
	buf := bytes.Repeat([]byte{7}, 1<<20)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		sm.SM3(buf)
	}
}
