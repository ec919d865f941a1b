package chaincode_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/chaincode"
)

// as switches the submitting organization.
func (s *fakeStub) as(t *testing.T, msp string) *fakeStub {
	s.creator = mustCreator(t, msp)
	return s
}

// ok invokes and fails the test unless the call succeeds.
func (s *fakeStub) ok(t *testing.T, txID string, args ...string) string {
	t.Helper()
	st, out := s.invoke(txID, args...)
	if st != shim.OK {
		t.Fatalf("%v failed: %s", args, out)
	}
	return out
}

// seed publishes an item verified by PoliceMSP within 2 days and anchors one
// letter at MarketMSP; it returns the commitment id and the stub.
func seed(t *testing.T) (*fakeStub, string) {
	s := newStub(t, "JusticeMSP")
	item := map[string]any{"code": "T-1", "name": "n", "department": "MarketMSP", "purpose": "p", "legalBasis": "b",
		"content": "c", "eligibleApplicants": "e", "commitmentMethod": "m", "verificationPower": "v", "liability": "l",
		"disclosure":   map[string]any{"public": false},
		"verification": map[string]any{"exempt": false, "method": "ONLINE", "department": "PoliceMSP", "timeLimitDays": 2}}
	raw, _ := json.Marshal(item)
	var it chengnuo.Item
	_ = json.Unmarshal([]byte(s.ok(t, "tx-item", "PublishItem", string(raw))), &it)
	req, _ := json.Marshal([]chengnuo.AnchorRequest{{LetterDigest: digest, ItemCode: "T-1", ItemVersion: 1, NoticeDigest: it.NoticeDigest,
		ApplicantKey: strings.Repeat("cd", 32), SignedBy: chengnuo.SignedSM2}})
	var res []chengnuo.AnchorResult
	_ = json.Unmarshal([]byte(s.as(t, "MarketMSP").ok(t, "tx-anchor", "AnchorCommitments", string(req))), &res)
	if len(res) != 1 || !res[0].Created {
		t.Fatalf("anchor: %+v", res)
	}
	return s, res[0].Record.ID
}

// Overdue is judged by ledger time: the answer transaction's timestamp
// against the due date derived from the request's timestamp.
func TestAnswerOverdueByLedgerTime(t *testing.T) {
	for _, tc := range []struct {
		after   time.Duration
		overdue bool
	}{{47 * time.Hour, false}, {49 * time.Hour, true}} {
		s, id := seed(t)
		var r chengnuo.VerificationRequest
		_ = json.Unmarshal([]byte(s.ok(t, "tx-req", "RequestVerification", id, strings.Repeat("ef", 32))), &r)
		if r.To != "PoliceMSP" || !r.DueAt.Equal(s.ts.Add(48*time.Hour)) || s.events[chaincode.EventVerificationRequested] == nil {
			t.Fatalf("request: %+v", r)
		}
		s.ts = s.ts.Add(tc.after)
		if st, msg := s.as(t, "MarketMSP").invoke("tx-a0", "AnswerVerification", r.ID, `{"result":"CONSISTENT","evidenceDigest":"`+digest+`"}`); st == shim.OK || !strings.HasPrefix(msg, chengnuo.EFORBIDDEN) {
			t.Fatalf("the requester answered its own request: %s", msg)
		}
		out := s.as(t, "PoliceMSP").ok(t, "tx-a1", "AnswerVerification", r.ID, `{"result":"CONSISTENT","evidenceDigest":"`+digest+`"}`)
		var a chengnuo.VerificationRequest
		_ = json.Unmarshal([]byte(out), &a)
		if a.Status != chengnuo.RequestAnswered || a.Answer.Overdue != tc.overdue {
			t.Errorf("answered %s after the request: overdue %v, want %v", tc.after, a.Answer.Overdue, tc.overdue)
		}
	}
}

func TestEligibilityGate(t *testing.T) {
	s, id := seed(t)
	var it chengnuo.Item
	_ = json.Unmarshal([]byte(s.ok(t, "tx-g", "GetItem", "T-1")), &it)
	out := s.as(t, "MarketMSP").ok(t, "tx-o", "RecordOutcome", id,
		`{"result":"FALSE","level":"MINOR","disposal":{"measures":["TERMINATED"]}}`)
	var c chengnuo.Commitment
	_ = json.Unmarshal([]byte(out), &c)
	if c.Outcome == nil || c.Outcome.CreditID == "" {
		t.Fatalf("no credit record: %s", out)
	}
	next := strings.Repeat("12", 32)
	req, _ := json.Marshal([]chengnuo.AnchorRequest{{LetterDigest: next, ItemCode: "T-1", ItemVersion: 1, NoticeDigest: it.NoticeDigest,
		ApplicantKey: strings.Repeat("cd", 32), SignedBy: chengnuo.SignedSM2}})
	var res []chengnuo.AnchorResult
	_ = json.Unmarshal([]byte(s.ok(t, "tx-2", "AnchorCommitments", string(req))), &res)
	if res[0].Created || res[0].Code != chengnuo.EINELIGIBLE {
		t.Fatalf("ineligible applicant anchored: %+v", res[0])
	}
	if st, msg := s.as(t, "MarketMSP").invoke("tx-r0", "RepairCredit", c.Outcome.CreditID, digest); st == shim.OK || !strings.HasPrefix(msg, chengnuo.EFORBIDDEN) {
		t.Fatalf("market repaired credit: %s", msg)
	}
	s.as(t, "CreditMSP").ok(t, "tx-r1", "RepairCredit", c.Outcome.CreditID, digest)
	_ = json.Unmarshal([]byte(s.as(t, "MarketMSP").ok(t, "tx-3", "AnchorCommitments", string(req))), &res)
	if !res[0].Created {
		t.Fatalf("repaired applicant refused: %+v", res[0])
	}
}

func TestSampleSelectionIsReproducible(t *testing.T) {
	hits := 0
	for i := range 1000 {
		id := "CN" + strings.Repeat("0", 20) + string(rune('a'+i%26)) + string(rune('a'+i/26%26))
		a := chaincode.SampleSelected("seed", id, 300)
		if a != chaincode.SampleSelected("seed", id, 300) {
			t.Fatal("selection is not deterministic")
		}
		if a {
			hits++
		}
		if chaincode.SampleSelected("seed", id, 0) || !chaincode.SampleSelected("seed", id, 1000) {
			t.Fatal("rates 0 and 1000 must select none and all")
		}
	}
	if hits < 200 || hits > 400 {
		t.Fatalf("%d of 1000 selected at 300 permille", hits)
	}
}

// Withdrawing during a verification does not escape its outcome.
func TestWithdrawalDoesNotEscapeVerification(t *testing.T) {
	s, id := seed(t)
	s.ok(t, "tx-req", "RequestVerification", id, strings.Repeat("ef", 32))
	s.ok(t, "tx-w", "Withdraw", id, digest)
	out := s.ok(t, "tx-o", "RecordOutcome", id, `{"result":"FALSE","level":"ORDINARY","disposal":{"measures":["TERMINATED"]}}`)
	var c chengnuo.Commitment
	_ = json.Unmarshal([]byte(out), &c)
	if c.Status != chengnuo.StatusWithdrawn || c.Verification != chengnuo.VerifyFalse || c.Outcome.CreditID == "" {
		t.Fatalf("outcome after withdrawal: %s", out)
	}
	// Without a verification under way, a withdrawn commitment takes no outcome.
	s2, id2 := seed(t)
	s2.ok(t, "tx-w", "Withdraw", id2, digest)
	if st, msg := s2.invoke("tx-o", "RecordOutcome", id2, `{"result":"VERIFIED"}`); st == shim.OK || !strings.HasPrefix(msg, chengnuo.ECONFLICT) {
		t.Fatalf("outcome on a plain withdrawn commitment: %s", msg)
	}
}
