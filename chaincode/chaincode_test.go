package chaincode_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"maps"
	"math/big"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/chaincode"
)

// fakeStub is an in-memory world state with a fixed creator and timestamp.
// It implements the parts of shim.ChaincodeStubInterface the contract uses;
// anything else panics through the nil embedded interface.
type fakeStub struct {
	shim.ChaincodeStubInterface
	state   map[string][]byte
	creator []byte
	txID    string
	ts      time.Time
	args    []string
	events  map[string][]byte
}

func newStub(tb testing.TB, mspID string) *fakeStub {
	tb.Helper()
	return &fakeStub{state: map[string][]byte{}, creator: mustCreator(tb, mspID), ts: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}
}

func (s *fakeStub) GetFunctionAndParameters() (string, []string) { return s.args[0], s.args[1:] }
func (s *fakeStub) GetState(k string) ([]byte, error)            { return s.state[k], nil }
func (s *fakeStub) PutState(k string, v []byte) error            { s.state[k] = v; return nil }
func (s *fakeStub) GetTxID() string                              { return s.txID }
func (s *fakeStub) GetChannelID() string                         { return "chengnuo" }
func (s *fakeStub) GetCreator() ([]byte, error)                  { return s.creator, nil }
func (s *fakeStub) GetTxTimestamp() (*timestamppb.Timestamp, error) {
	return timestamppb.New(s.ts), nil
}
func (s *fakeStub) SetEvent(name string, payload []byte) error {
	if s.events == nil {
		s.events = map[string][]byte{}
	}
	s.events[name] = payload
	return nil
}
func (s *fakeStub) CreateCompositeKey(objectType string, attrs []string) (string, error) {
	return "\x00" + objectType + "\x00" + strings.Join(attrs, "\x00") + "\x00", nil
}

func (s *fakeStub) SplitCompositeKey(key string) (string, []string, error) {
	parts := strings.Split(strings.Trim(key, "\x00"), "\x00")
	return parts[0], parts[1:], nil
}

// GetStateByPartialCompositeKey iterates the keys with the prefix, in order.
func (s *fakeStub) GetStateByPartialCompositeKey(objectType string, attrs []string) (shim.StateQueryIteratorInterface, error) {
	prefix := "\x00" + objectType + "\x00"
	for _, a := range attrs {
		prefix += a + "\x00"
	}
	var keys []string
	for k := range s.state {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	it := &fakeIter{}
	for _, k := range keys {
		it.kvs = append(it.kvs, &queryresult.KV{Key: k, Value: s.state[k]})
	}
	return it, nil
}

type fakeIter struct{ kvs []*queryresult.KV }

func (i *fakeIter) HasNext() bool { return len(i.kvs) > 0 }
func (i *fakeIter) Close() error  { return nil }
func (i *fakeIter) Next() (*queryresult.KV, error) {
	kv := i.kvs[0]
	i.kvs = i.kvs[1:]
	return kv, nil
}

// invoke runs one transaction against the contract.
func (s *fakeStub) invoke(txID string, args ...string) (int32, string) {
	s.txID, s.args, s.events = txID, args, nil
	r := (&chaincode.Contract{}).Invoke(s)
	if r.Status != shim.OK {
		return r.Status, r.Message
	}
	return r.Status, string(r.Payload)
}

func mustCreator(tb testing.TB, mspID string) []byte {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "User1@" + mspID},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	id, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})})
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

const digest = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"

func TestAnchorRecordsCallerOrgTimeAndTx(t *testing.T) {
	s := newStub(t, "MarketMSP")
	st, out := s.invoke("tx1", "Anchor", strings.ToUpper(digest))
	if st != shim.OK {
		t.Fatalf("Anchor: %d %s", st, out)
	}
	var a chengnuo.Anchor
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	want := chengnuo.Anchor{Digest: digest, Org: "MarketMSP", TxID: "tx1", Timestamp: s.ts}
	if a != want {
		t.Fatalf("record = %+v, want %+v", a, want)
	}
	if ev := s.events[chaincode.EventAnchored]; string(ev) != out {
		t.Fatalf("event payload = %q, want the record %q", ev, out)
	}
	st, got := s.invoke("tx2", "GetAnchor", digest)
	if st != shim.OK || got != out {
		t.Fatalf("GetAnchor = %d %s, want %s", st, got, out)
	}
}

func TestAnchorRefusesDuplicateAndKeepsFirst(t *testing.T) {
	s := newStub(t, "MarketMSP")
	if st, msg := s.invoke("tx1", "Anchor", digest); st != shim.OK {
		t.Fatal(msg)
	}
	first := maps.Clone(s.state)
	s.creator = mustCreator(t, "PoliceMSP")
	st, msg := s.invoke("tx2", "Anchor", digest)
	if st == shim.OK || !strings.HasPrefix(msg, chengnuo.ECONFLICT+": ") {
		t.Fatalf("duplicate anchor = %d %q, want CONFLICT", st, msg)
	}
	if s.events != nil {
		t.Fatal("a refused anchor emitted an event")
	}
	if !reflect.DeepEqual(s.state, first) {
		t.Fatal("a refused anchor changed the state")
	}
}

func TestInvokeErrorsAreCoded(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code string
	}{
		{"unknown function", []string{"Nope"}, chengnuo.EINVALID},
		{"anchor without digest", []string{"Anchor"}, chengnuo.EINVALID},
		{"anchor with two args", []string{"Anchor", digest, digest}, chengnuo.EINVALID},
		{"anchor short digest", []string{"Anchor", digest[:63]}, chengnuo.EINVALID},
		{"anchor non-hex digest", []string{"Anchor", strings.Repeat("g", 64)}, chengnuo.EINVALID},
		{"get unknown", []string{"GetAnchor", digest}, chengnuo.ENOTFOUND},
		{"get malformed", []string{"GetAnchor", "x"}, chengnuo.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t, "MarketMSP")
			st, msg := s.invoke("tx", tt.args...)
			if st == shim.OK {
				t.Fatalf("succeeded: %s", msg)
			}
			if !strings.HasPrefix(msg, tt.code+": ") {
				t.Fatalf("message %q does not start with %s", msg, tt.code)
			}
			if len(s.state) != 0 {
				t.Fatal("a failed call wrote state")
			}
		})
	}
}

func TestPing(t *testing.T) {
	s := newStub(t, "JusticeMSP")
	st, out := s.invoke("tx", "Ping")
	if st != shim.OK || !strings.Contains(out, `"channel":"chengnuo"`) {
		t.Fatalf("Ping = %d %s", st, out)
	}
}
