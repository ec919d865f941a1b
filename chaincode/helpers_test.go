package chaincode_test

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/chaincode"
	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/internal/fabrictest"
	"github.com/chengnuo/chengnuo/letter"
)

// ledger runs transactions of the real contract over an in-memory world
// state, one at a time, as organization msp, at time now.
type ledger struct {
	world    *fabrictest.World
	msp      string
	creators map[string][]byte
	now      time.Time
	tx       int
	block    uint64
	events   map[string][]byte // event of the last transaction
	clock    time.Time         // the endorsing server's clock; zero: now
	peer     string            // executing peer's org; "" = any
	trans    map[string][]byte
}

func newLedger(t *testing.T) *ledger {
	return &ledger{world: fabrictest.NewWorld(), creators: map[string][]byte{}, msp: "MarketMSP",
		now: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}
}

// as switches the submitting organization.
func (l *ledger) as(t *testing.T, msp string) *ledger {
	l.msp = msp
	if l.creators[msp] == nil {
		_, _, l.creators[msp] = fabrictest.Identity(t, msp)
	}
	return l
}

// invoke runs one transaction with raw arguments; a successful one commits.
func (l *ledger) invoke(t *testing.T, args ...[]byte) *fabrictest.Stub {
	t.Helper()
	l.as(t, l.msp)
	l.tx++
	s := fabrictest.NewStub(l.world, fmt.Sprintf("tx%04d", l.tx), l.creators[l.msp], l.now, args...)
	s.PeerOrg, s.Transient = l.peer, l.trans
	now := l.clock
	if now.IsZero() {
		now = l.now
	}
	r := (&chaincode.Contract{Now: func() time.Time { return now }}).Invoke(s)
	l.events = nil
	if r.Status == shim.OK {
		l.block++
		s.Commit(l.block)
		if s.Event != nil {
			l.events = map[string][]byte{s.Event.EventName: s.Event.Payload}
		}
	} else {
		s.Event = nil
	}
	lastResponse = r.Message
	lastPayload = r.Payload
	lastStatus = r.Status
	return s
}

var (
	lastResponse string
	lastPayload  []byte
	lastStatus   int32
)

// call runs fn of the wire contract; the error is the chaincode's coded text
// mapped back to a *chengnuo.Error.
func call[A, R any](t *testing.T, l *ledger, fn contract.Fn[A, R], a A) (*R, error) {
	t.Helper()
	raw, err := fn.EncodeArgs(&a)
	if err != nil {
		t.Fatal(err)
	}
	before := maps.Clone(stateOf(l))
	l.invoke(t, []byte(fn.Name), raw)
	if lastStatus != shim.OK {
		if !maps.EqualFunc(before, stateOf(l), func(a, b []byte) bool { return string(a) == string(b) }) {
			t.Fatalf("%s failed but changed the state", fn.Name)
		}
		code, msg, ok := strings.Cut(lastResponse, ": ")
		if !ok || !contains(chengnuo.Codes, code) {
			t.Fatalf("%s: uncoded error %q", fn.Name, lastResponse)
		}
		return nil, &chengnuo.Error{Code: code, Message: msg}
	}
	return fn.DecodeResult(lastPayload)
}

// must is call that fails the test on an error.
func must[A, R any](t *testing.T, l *ledger, fn contract.Fn[A, R], a A) *R {
	t.Helper()
	r, err := call(t, l, fn, a)
	if err != nil {
		t.Fatalf("%s: %v", fn.Name, err)
	}
	return r
}

// refused checks that fn fails with code.
func refused[A, R any](t *testing.T, l *ledger, fn contract.Fn[A, R], a A, code string) {
	t.Helper()
	_, err := call(t, l, fn, a)
	if chengnuo.ErrorCode(err) != code {
		t.Fatalf("%s: %v, want %s", fn.Name, err, code)
	}
}

func stateOf(l *ledger) map[string][]byte {
	m := map[string][]byte{}
	for _, k := range l.world.Keys() {
		m[k] = l.world.Get(k)
	}
	return m
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

const digest = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"

func hex64(b string) string { return strings.Repeat(b, 64/len(b)) }

func testItem(code string) chengnuo.Item {
	return chengnuo.Item{Code: code, Name: "n", Department: "MarketMSP", Purpose: "p", LegalBasis: "b",
		Content: "c", EligibleApplicants: "e", CommitmentMethod: "m", VerificationPower: "v", Liability: "l",
		Verification: chengnuo.VerificationRule{Method: "ONLINE", Department: "PoliceMSP", TimeLimitDays: 2}}
}

// letterReq is an anchoring request of digest d for an item version.
func letterReq(it *chengnuo.Item, d, applicant string) chengnuo.AnchorRequest {
	return chengnuo.AnchorRequest{LetterDigest: d, ItemCode: it.Code, ItemVersion: it.Version, NoticeDigest: it.NoticeDigest,
		ApplicantKey: applicant, SignedBy: chengnuo.SignedSM2}
}

// seed publishes an item verified by PoliceMSP within 2 days and anchors one
// letter at MarketMSP; it returns the ledger, the item and the commitment id.
func seed(t *testing.T) (*ledger, *chengnuo.Item, string) {
	l := newLedger(t)
	it := must(t, l.as(t, "JusticeMSP"), contract.PublishItem, testItem("T-1"))
	if nd, _ := letter.NoticeDigest(it); nd != it.NoticeDigest {
		t.Fatal("notice digest differs from letter.NoticeDigest")
	}
	res := must(t, l.as(t, "MarketMSP"), contract.AnchorCommitments, contract.AnchorBatchArgs{Letters: []chengnuo.AnchorRequest{
		letterReq(it, digest, hex64("cd"))}})
	if len(res.Results) != 1 || !res.Results[0].Created {
		t.Fatalf("anchor: %+v", res)
	}
	if res.Results[0].LetterDigest != "" {
		t.Fatalf("a created letter's result carries its digest: %+v", res.Results[0])
	}
	return l, it, chengnuo.CommitmentID(digest)
}
