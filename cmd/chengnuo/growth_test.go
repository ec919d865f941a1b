package main

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestGrowthSlopeIsPer100kLetters(t *testing.T) {
	rows := []growthRow{{Letters: 0, LetterRate: 1000}, {Letters: 100_000, LetterRate: 990}, {Letters: 300_000, LetterRate: 970}, {Letters: 1_000_000, LetterRate: 900}}
	if s := slope(rows, func(r growthRow) float64 { return r.LetterRate }); math.Abs(s+10) > 1e-9 {
		t.Fatalf("slope %v, want -10 a 100,000 letters", s)
	}
	if s := slope(rows[:1], func(r growthRow) float64 { return r.LetterRate }); s != 0 {
		t.Fatalf("slope of one row %v", s)
	}
	for f, want := range map[float64]string{1234.4: "1234", 12.34: "12.3", 1.234: "1.23", -0.5: "-0.50"} {
		if got := figure(f); got != want {
			t.Errorf("figure(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestGrowthStopsBeforeTheDiskIsFull(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "data", "ledger"), make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	g := &growth{homes: map[string]string{"market": home}, letters: 1000, cfg: growthConfig{minFree: 1 << 30}}
	g.rows = []growthRow{{FreeGB: 10}}
	// About 1 KiB a letter: 1,000,000 letters need about 1 GB of 10.
	if r := g.diskWouldNotHold(1_000_000); r != "" {
		t.Fatalf("refused: %s", r)
	}
	if r := g.diskWouldNotHold(100_000_000); r == "" {
		t.Fatal("100 GB of letters on a disk of 10 GB free would be filled")
	}
}
