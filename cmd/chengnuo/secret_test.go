package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretSealOpen(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	var out bytes.Buffer
	for _, k := range []string{"a.key", "b.key"} {
		if err := runKeygen([]string{"--out", p(k)}, &out); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(p("secret"), []byte("00ff00ff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := runSecret([]string{"seal", "--to", p("a.key.pub"), "--in", p("secret"), "--out", p("sealed")}, &out); err != nil {
		t.Fatal(err)
	}
	if err := runSecret([]string{"open", "--key", p("b.key"), "--in", p("sealed"), "--out", p("by-b")}, &out); err == nil {
		t.Fatal("the wrong department opened the secret")
	}
	if _, err := os.Stat(p("by-b")); err == nil {
		t.Fatal("a failed open left a file behind")
	}
	if err := runSecret([]string{"open", "--key", p("a.key"), "--in", p("sealed"), "--out", p("by-a")}, &out); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p("by-a"))
	if string(got) != "00ff00ff" {
		t.Fatalf("opened %q", got)
	}
	if fi, _ := os.Stat(p("by-a")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("opened secret has mode %v", fi.Mode().Perm())
	}
	if err := runSecret([]string{"open", "--key", p("a.key"), "--in", p("sealed"), "--out", p("by-a")}, &out); err == nil {
		t.Fatal("open overwrote an existing secret")
	}
	out.Reset()
	if err := runSecret([]string{"fingerprint", "--in", p("secret")}, &out); err != nil {
		t.Fatal(err)
	}
	var fp2 bytes.Buffer
	if err := runSecret([]string{"fingerprint", "--in", p("by-a")}, &fp2); err != nil {
		t.Fatal(err)
	}
	if out.String() != fp2.String() || len(strings.TrimSpace(out.String())) != 16 {
		t.Fatalf("fingerprints %q %q", out.String(), fp2.String())
	}
	if err := runSecret([]string{"bogus", "--in", p("secret")}, &out); err == nil {
		t.Fatal("unknown subcommand accepted")
	}
}
