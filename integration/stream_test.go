package integration

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/chengnuo/chengnuo/blocks"
)

// TestLetterStreamAnchoredOnceVerifiableEverywhere submits a concurrent
// stream of signed letters at one department. Every letter answered 201 must
// be on the ledger exactly once (one creating write of its record, in the
// receipt's transaction and block), and every department's gateway — served
// from its read model — must report it, with the receipt's transaction and
// block, as soon as its own peer has the block.
func TestLetterStreamAnchoredOnceVerifiableEverywhere(t *testing.T) {
	code := publishVisible(t, verifiedItem(uniqueCode(t, "STREAM"), "PoliceMSP", false))
	const letters, clients = 120, 30
	subs := make(chan int, letters)
	for i := range letters {
		subs <- i
	}
	close(subs)
	receipts := make([]map[string]any, letters)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := range subs {
				r := anchorAt(t, code, newPerson(t, fmt.Sprintf("流%03d", i)))
				if r.Status != http.StatusCreated {
					t.Errorf("letter %d: %d %s", i, r.Status, r.Raw)
					continue
				}
				receipts[i] = receipt(t, r)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Verifiable everywhere, from each department's read model.
	first, last := ^uint64(0), uint64(0)
	for _, rc := range receipts {
		block := uint64(rc["blockNumber"].(float64))
		first, last = min(first, block), max(last, block)
	}
	for slot := range orgs {
		deadline := time.Now().Add(20 * time.Second)
		for i, rc := range receipts {
			for {
				r := call(t, "GET", gatewayURL(slot)+"/v1/verify/"+rc["letterDigest"].(string), "")
				rec, _ := r.Body["record"].(map[string]any)
				height, _ := r.Body["height"].(float64)
				if r.Status == http.StatusOK && r.Body["anchored"] == true {
					if rec["txId"] != rc["txId"] || rec["blockNumber"] != rc["blockNumber"] || uint64(height) <= uint64(rc["blockNumber"].(float64)) {
						t.Fatalf("%s reports letter %d as %s; receipt %v", orgs[slot].key, i, r.Raw, rc)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s does not report letter %d (block %v) after 20 s: %d %s", orgs[slot].key, i, rc["blockNumber"], r.Status, r.Raw)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}

	// Exactly once on the ledger: count the creating writes of each record
	// in the blocks that hold the stream.
	created := creations(t, first, last)
	for i, rc := range receipts {
		id := rc["commitmentId"].(string)
		if got := created[id]; len(got) != 1 || got[0] != uint64(rc["blockNumber"].(float64)) {
			t.Fatalf("letter %d (%s) created in blocks %v; receipt says block %v", i, id, got, rc["blockNumber"])
		}
	}
	t.Logf("%d letters from %d clients in blocks %d..%d: each created once, verifiable at all %d departments", letters, clients, first, last, len(orgs))
}

// creations scans blocks first..last at justice's peer and returns, per
// commitment id, the blocks whose transactions created its record.
func creations(t *testing.T, first, last uint64) map[string][]uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := dialOrg(t, justice)
	stream, err := c.Network().BlockEvents(ctx, client.WithStartBlock(first))
	if err != nil {
		t.Fatal(err)
	}
	created := map[string][]uint64{}
	for b := range stream {
		lb, err := blocks.Records(b, "notary")
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range lb.Commitments {
			if rec.BlockNumber != 0 { // a creation: written by its own transaction
				created[rec.ID] = append(created[rec.ID], lb.Number)
			}
		}
		if lb.Number >= last {
			break
		}
	}
	return created
}
