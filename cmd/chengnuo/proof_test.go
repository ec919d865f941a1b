package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo/proof"
	"github.com/chengnuo/chengnuo/proof/prooftest"
)

// TestProofVerifyVerdicts: exit 0 and PROVEN only with a matching pin;
// without one the command never says PROVEN and returns errUnpinned (exit
// 3); a re-wrapped transaction fails naming the check; nothing from the
// bundle reaches the terminal raw.
func TestProofVerifyVerdicts(t *testing.T) {
	orgs := []*prooftest.Org{prooftest.NewOrg(t, "JusticeMSP", 1), prooftest.NewOrg(t, "Market\x1b[2KMSP", 2),
		prooftest.NewOrg(t, "PoliceMSP", 3), prooftest.NewOrg(t, "CreditMSP", 4)}
	ch := prooftest.NewChannel(t, "chengnuo", "notary", orgs...)
	digest := strings.Repeat("cd", 32)
	p := ch.Endorse(t, orgs[1].Client, prooftest.Epoch.Add(time.Minute),
		[]prooftest.Write{{Key: prooftest.AnchorKey(digest), Value: []byte(`{"digest":"` + digest + `"}`)}}, orgs[0].Peer, orgs[1].Peer, orgs[2].Peer)
	ch.Commit(t, [][]byte{p.Envelope(t)}, nil)
	env, txID := p.Rewrap(t, orgs[1].Client, prooftest.Epoch.Add(time.Hour), ch.Name, true)
	ch.Commit(t, [][]byte{env}, nil)
	dir := t.TempDir()
	write := func(name string, b *proof.Bundle) string {
		raw, _ := json.Marshal(b)
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	subject := proof.Subject{Kind: proof.KindAnchor, LetterDigest: digest}
	honest := write("honest.json", ch.Bundle(t, subject, 1, p.TxID))
	rewrapped := write("rewrapped.json", ch.Bundle(t, subject, 2, txID))
	cases := []struct {
		name   string
		args   []string
		err    error
		starts string
	}{
		{"pinned", []string{"verify", honest, "--genesis-hash", ch.GenesisHash()}, nil, "PROVEN: "},
		{"unpinned", []string{"verify", honest}, errUnpinned, "NOT PINNED"},
		{"another pin", []string{"verify", honest, "--genesis-hash", strings.Repeat("0", 64)}, errProofFailed, "NOT PROVEN — check failed: genesis"},
		{"re-wrapped", []string{"verify", rewrapped, "--genesis-hash", ch.GenesisHash()}, errProofFailed, "NOT PROVEN — check failed: " + proof.CheckProposal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runProof(tc.args, &out)
			if !errors.Is(err, tc.err) || !strings.HasPrefix(out.String(), tc.starts) {
				t.Fatalf("err %v, output:\n%s\nwant %v and %q", err, out.String(), tc.err, tc.starts)
			}
			if tc.err != nil && strings.Contains(out.String(), "PROVEN:") {
				t.Fatalf("says PROVEN:\n%s", out.String())
			}
			if strings.ContainsRune(out.String(), 0x1b) {
				t.Fatalf("prints an escape from the bundle raw:\n%q", out.String())
			}
		})
	}
}
