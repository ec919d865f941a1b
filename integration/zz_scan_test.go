package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"google.golang.org/protobuf/proto"

	"github.com/chengnuo/chengnuo/sm"
)

// TestLedgerHoldsNoPersonalData scans every block of the channel for the
// test applicants' names, ID numbers, phone numbers and the plain SM3 of
// their ID numbers. It lives in the last file, so it runs after every other test and scans their blocks.
func TestZZLedgerHoldsNoPersonalData(t *testing.T) {
	c := dialOrg(t, justice)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A fresh anchor marks the current height.
	a, err := c.Anchor(ctx, randomDigest(t))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := c.Network().BlockEvents(ctx, client.WithStartBlock(0))
	if err != nil {
		t.Fatal(err)
	}
	var needles [][]byte
	people.mu.Lock()
	all := append(append([]person{}, applicants...), people.all...)
	people.mu.Unlock()
	all = append(all, person{name: "演示申请人", idNumber: "演示申请人", phone: "13800000000"})
	for _, p := range all {
		d := sm.SM3([]byte(p.idNumber))
		needles = append(needles, []byte(p.name), []byte(p.idNumber), []byte(p.phone), []byte(sm.SM3Hex([]byte(p.idNumber))), d[:])
	}
	scanned, control := 0, false
	for b := range blocks {
		raw, err := proto.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		// Positive control: the scan does see what is on the ledger.
		control = control || strings.Contains(string(raw), a.Digest)
		for _, n := range needles {
			if strings.Contains(string(raw), string(n)) {
				t.Fatalf("block %d holds personal data %q", b.GetHeader().GetNumber(), n)
			}
		}
		scanned++
		if b.GetHeader().GetNumber() >= a.BlockNumber {
			break
		}
	}
	if scanned < 10 || !control {
		t.Fatalf("scanned only %d blocks (control digest found: %v)", scanned, control)
	}
	t.Logf("scanned %d blocks for %d applicants, no personal data", scanned, len(all))
}
