package backup

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testKey = bytes.Repeat([]byte{7}, KeySize)

// sample is a backup of three parts, one spanning several segments and one
// ending exactly on a segment boundary.
func sample(t testing.TB, key []byte) ([]byte, map[string][]byte) {
	t.Helper()
	parts := map[string][]byte{
		"home/secret/consortium.secret": []byte("s3cret"),
		"gateway/letters.db":            bytes.Repeat([]byte("letter "), 40000), // 280,000 bytes
		"gateway/letters.db.checkpoint": bytes.Repeat([]byte{1}, segmentSize-512-512),
	}
	var buf bytes.Buffer
	a, err := Create(&buf, key, Manifest{Department: "MarketMSP", Created: time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC), BlockHeight: 42})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"home/secret/consortium.secret", "gateway/letters.db", "gateway/letters.db.checkpoint"} {
		if err := a.Add(name, 0o600, int64(len(parts[name])), bytes.NewReader(parts[name])); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), parts
}

func TestBackupRoundTrip(t *testing.T) {
	raw, parts := sample(t, testKey)
	dir := filepath.Join(t.TempDir(), "market")
	m, err := Extract(bytes.NewReader(raw), testKey, dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Department != "MarketMSP" || m.BlockHeight != 42 || len(m.Parts) != 3 || m.Size() != int64(6+280000+segmentSize-1024) {
		t.Fatalf("manifest %+v", m)
	}
	for name, want := range parts {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes, %v", name, len(got), err)
		}
		if st, _ := os.Stat(filepath.Join(dir, name)); st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v", name, st.Mode())
		}
	}
	// Nothing in clear: not the secret, not the letters.
	if bytes.Contains(raw, []byte("s3cret")) || bytes.Contains(raw, []byte("letter letter")) || bytes.Contains(raw, []byte("MarketMSP")) {
		t.Fatal("the backup holds plaintext")
	}
}

// Bad backups are refused before anything is written: the target does not
// appear and no staging directory is left.
func TestBadBackupsAreRefused(t *testing.T) {
	raw, _ := sample(t, testKey)
	other := bytes.Repeat([]byte{8}, KeySize)
	otherRaw, _ := sample(t, other)
	segment := func(b []byte, i int) (start, end int) {
		at := headerLen
		for range i {
			at += 4 + int(binary.BigEndian.Uint32(b[at:]))
		}
		return at, at + 4 + int(binary.BigEndian.Uint32(b[at:]))
	}
	s0, e0 := segment(raw, 0)
	s1, e1 := segment(raw, 1)
	swapped := append(append(append(append([]byte{}, raw[:s0]...), raw[s1:e1]...), raw[s0:e0]...), raw[e1:]...)
	flipped := bytes.Clone(raw)
	flipped[len(flipped)/2] ^= 1
	_, eLast := segment(raw, 0)
	cases := []struct {
		name string
		in   []byte
		key  []byte
		want error
	}{
		{"another key", raw, other, ErrWrongKey},
		{"sealed to another key", otherRaw, testKey, ErrWrongKey},
		{"not a backup", []byte("PK\x03\x04 a zip file"), testKey, ErrNotBackup},
		{"empty", nil, testKey, ErrNotBackup},
		{"header only", raw[:headerLen], testKey, ErrTruncated},
		{"cut in a segment", raw[:len(raw)-100], testKey, ErrTruncated},
		{"cut after a whole segment", raw[:eLast], testKey, ErrTruncated},
		{"last segment dropped", raw[:segmentStart(raw)], testKey, ErrTruncated},
		{"a byte flipped", flipped, testKey, ErrAltered},
		{"segments swapped", swapped, testKey, ErrAltered},
		{"bytes appended", append(bytes.Clone(raw), 0), testKey, ErrAltered},
		{"a backup appended", append(bytes.Clone(raw), raw...), testKey, ErrAltered},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parent := t.TempDir()
			_, err := Extract(bytes.NewReader(c.in), c.key, filepath.Join(parent, "market"))
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			if left, _ := os.ReadDir(parent); len(left) != 0 {
				t.Fatalf("left behind: %v", left)
			}
		})
	}
	// Restoring over something is refused, and leaves it alone.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Extract(bytes.NewReader(raw), testKey, dir); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("restore over a directory: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "keep")); string(got) != "x" {
		t.Fatal("the existing directory was touched")
	}
}

// segmentStart is where the last segment of a sealed stream starts.
func segmentStart(b []byte) int {
	at, last := headerLen, headerLen
	for at < len(b) {
		last = at
		at += 4 + int(binary.BigEndian.Uint32(b[at:]))
	}
	return last
}

func TestPartNamesStayInside(t *testing.T) {
	for _, name := range []string{"", "/etc/passwd", "../x", "a/../../x", "a\\b", "manifest.json", "./a", "a//b"} {
		a, err := Create(&bytes.Buffer{}, testKey, Manifest{})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Add(name, 0o600, 1, strings.NewReader("x")); err == nil {
			t.Errorf("part name %q accepted", name)
		}
	}
}

func TestPruneKeepsTheNewest(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"market-20261201T020000Z.cnbak", "market-20261202T020000Z.cnbak", "market-20261203T020000Z.cnbak", "other.txt"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := Prune(dir, "market-", ".cnbak", 2)
	if err != nil || len(removed) != 1 || removed[0] != "market-20261201T020000Z.cnbak" {
		t.Fatalf("removed %v, %v", removed, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 3 {
		t.Fatalf("left %v", left)
	}
}

// FuzzExtract: whatever the bytes, a named refusal and nothing left behind.
func FuzzExtract(f *testing.F) {
	raw, _ := sample(f, testKey)
	f.Add(raw)
	f.Add(raw[:headerLen+10])
	f.Add([]byte(magic + "\x01"))
	f.Fuzz(func(t *testing.T, in []byte) {
		parent := t.TempDir()
		if _, err := Extract(bytes.NewReader(in), testKey, filepath.Join(parent, "x")); err != nil {
			if left, _ := os.ReadDir(parent); len(left) != 0 {
				t.Fatalf("left behind: %v", left)
			}
		}
	})
}
