package sm

import (
	"bytes"
	"encoding/pem"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	alice, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	mallory, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("0123456789abcdef0123456789abcdef")
	sealed, err := Seal(&alice.PublicKey, secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatal("the sealed file holds the secret in clear")
	}
	got, err := Open(alice, sealed)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := Open(mallory, sealed); err == nil {
		t.Fatal("another key opened the secret")
	}

	block, _ := pem.Decode(sealed)
	flipped := append([]byte(nil), block.Bytes...)
	flipped[len(flipped)-3] ^= 1
	bad := map[string][]byte{
		"altered ciphertext": pem.EncodeToMemory(&pem.Block{Type: SealedType, Headers: block.Headers, Bytes: flipped}),
		"wrong fingerprint":  pem.EncodeToMemory(&pem.Block{Type: SealedType, Headers: map[string]string{"Fingerprint": "0000000000000000"}, Bytes: block.Bytes}),
		"wrong type":         pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: block.Bytes}),
		"trailing data":      append(append([]byte(nil), sealed...), "junk"...),
		"not pem":            []byte("hello"),
	}
	for name, in := range bad {
		if _, err := Open(alice, in); err == nil {
			t.Errorf("%s: opened", name)
		} else if !strings.HasPrefix(err.Error(), "open:") {
			t.Errorf("%s: error %q lacks the open: prefix", name, err)
		}
	}
	if _, err := Seal(&alice.PublicKey, nil); err == nil {
		t.Fatal("sealed an empty secret")
	}
	if Fingerprint(secret) == Fingerprint([]byte("other")) || len(Fingerprint(secret)) != 16 {
		t.Fatal("fingerprints do not tell secrets apart")
	}
}
