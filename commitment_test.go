package chengnuo_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
)

func newRecord() *chengnuo.Commitment {
	req := chengnuo.AnchorRequest{LetterDigest: strings.Repeat("ab", 32), ItemCode: "SC-001", ItemVersion: 2,
		NoticeDigest: strings.Repeat("7b", 32), ApplicantKey: strings.Repeat("cd", 32), SignedBy: chengnuo.SignedSM2}
	return chengnuo.NewCommitment(req, "MarketMSP", time.Date(2026, 12, 2, 20, 9, 52, 979526340, time.UTC), strings.Repeat("f8", 32))
}

// A new record is written without its id and its history of one step; it
// decodes to exactly the record, and a record that changed is written whole.
func TestLedgerJSON(t *testing.T) {
	c := newRecord()
	raw, err := c.LedgerJSON()
	if err != nil {
		t.Fatal(err)
	}
	full, _ := json.Marshal(c)
	if strings.Contains(string(raw), `"history"`) || strings.Contains(string(raw), `"id"`) || len(raw) > len(full)-150 {
		t.Fatalf("new record on the ledger (%d bytes, whole %d): %s", len(raw), len(full), raw)
	}
	var back chengnuo.Commitment
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, c) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", &back, c)
	}
	// The whole form decodes as before.
	var whole chengnuo.Commitment
	if err := json.Unmarshal(full, &whole); err != nil || !reflect.DeepEqual(&whole, c) {
		t.Fatalf("whole form: %v\n%+v", err, &whole)
	}

	changed := newRecord()
	changed.Status = chengnuo.StatusWithdrawn
	changed.History = append(changed.History, chengnuo.Transition{Status: chengnuo.StatusWithdrawn, Org: "MarketMSP",
		At: changed.AnchoredAt.Add(time.Hour), TxID: strings.Repeat("aa", 32), ReasonDigest: strings.Repeat("11", 32)})
	for name, c := range map[string]*chengnuo.Commitment{
		"withdrawn": changed,
		// One step that is not the record's creation is kept too.
		"other step": func() *chengnuo.Commitment {
			c := newRecord()
			c.History[0].ReasonDigest = strings.Repeat("22", 32)
			return c
		}(),
		"other id": func() *chengnuo.Commitment { c := newRecord(); c.ID = "CNother"; return c }(),
	} {
		raw, err := c.LedgerJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back chengnuo.Commitment
		if err := json.Unmarshal(raw, &back); err != nil || !reflect.DeepEqual(&back, c) {
			t.Fatalf("%s: %v\n%s\ndecoded %+v", name, err, raw, &back)
		}
	}
	// An empty history stays empty; a record without a transaction gets no
	// made-up step.
	var empty chengnuo.Commitment
	if err := json.Unmarshal([]byte(`{"letterDigest":"`+strings.Repeat("ab", 32)+`","history":[]}`), &empty); err != nil ||
		empty.History == nil || len(empty.History) != 0 || empty.ID != "CNabababababababababababab" {
		t.Fatalf("%+v %v", empty, err)
	}
	var bare chengnuo.Commitment
	if err := json.Unmarshal([]byte(`{"letterDigest":"ab"}`), &bare); err != nil || bare.History != nil || bare.ID != "" {
		t.Fatalf("%+v %v", bare, err)
	}
}
