package sm

import (
	"bytes"
	"testing"

	"github.com/emmansun/gmsm/smx509"
)

func pkixOf(t testing.TB) []byte {
	t.Helper()
	priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := smx509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// The direct reading of the usual form is taken for keys as written, and
// gives what the general parser gives.
func TestParsePKIXDirectAgrees(t *testing.T) {
	for range 100 {
		der := pkixOf(t)
		if !bytes.HasPrefix(der, spkiSM2) || len(der) != len(spkiSM2)+65 {
			t.Fatalf("a key is written otherwise than spkiSM2 says: %x", der)
		}
		fast, err := parsePKIX(der)
		if err != nil {
			t.Fatal(err)
		}
		slow, err := parsePKIXGeneral(der)
		if err != nil || !fast.Equal(slow) {
			t.Fatalf("direct %v, general %v (%v)", fast, slow, err)
		}
	}
	// A point off the curve, in the usual form, is refused by both.
	der := pkixOf(t)
	der[len(der)-1] ^= 1
	if _, err := parsePKIX(der); err == nil {
		t.Error("a point off the curve was accepted")
	}
	if _, err := parsePKIXGeneral(der); err == nil {
		t.Error("the general parser accepted a point off the curve")
	}
}

func FuzzParsePublicKey(f *testing.F) {
	der := pkixOf(f)
	f.Add(der)
	f.Add(der[:len(der)-1])
	f.Add(append(bytes.Clone(der), 0))
	off := bytes.Clone(der)
	off[len(off)-1] ^= 1
	f.Add(off)
	f.Fuzz(func(t *testing.T, der []byte) {
		fast, ferr := parsePKIX(der)
		slow, serr := parsePKIXGeneral(der)
		if (ferr == nil) != (serr == nil) {
			t.Fatalf("direct %v, general %v", ferr, serr)
		}
		if ferr == nil && !fast.Equal(slow) {
			t.Fatalf("direct %v, general %v", fast, slow)
		}
	})
}

func BenchmarkParsePKIX(b *testing.B) {
	der := pkixOf(b)
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			if _, err := parsePKIX(der); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("general", func(b *testing.B) {
		for b.Loop() {
			if _, err := parsePKIXGeneral(der); err != nil {
				b.Fatal(err)
			}
		}
	})
}
