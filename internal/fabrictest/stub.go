// Package fabrictest is an in-memory stand-in for a Fabric channel, for
// unit tests only: a world state with versions, private collections and
// blocks (World); a chaincode stub over it with Fabric's read and write
// semantics (Stub); and a Fabric Gateway gRPC service in the same process
// (Network) that runs the real notary chaincode, so the real Fabric adapter
// can be tested end to end without a network. It is never used outside
// tests: the integration tests run the real network.
package fabrictest

import (
	"fmt"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"google.golang.org/protobuf/proto"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// versioned is a committed value with the block that wrote it.
type versioned struct {
	value   []byte
	version uint64
}

// World is a channel's committed state: public keys and private
// collections, each key with the number of the block that last wrote it.
type World struct {
	mu      sync.Mutex
	public  map[string]versioned
	private map[string]map[string][]byte // collection -> key -> value
}

// NewWorld returns an empty world state.
func NewWorld() *World {
	return &World{public: map[string]versioned{}, private: map[string]map[string][]byte{}}
}

// Get returns a committed public value (nil if absent).
func (w *World) Get(key string) []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.public[key].value
}

// Rewrite replaces committed public keys as an earlier version of a
// contract would have left them: value nil deletes a key. Tests use it to
// check that state written in an older layout still reads.
func (w *World) Rewrite(values map[string][]byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, v := range values {
		if v == nil {
			delete(w.public, k)
			continue
		}
		w.public[k] = versioned{value: v, version: w.public[k].version}
	}
}

// Keys returns the committed public keys in order.
func (w *World) Keys() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	keys := make([]string, 0, len(w.public))
	for k := range w.public {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Private returns a committed private value (nil if absent).
func (w *World) Private(collection, key string) []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.private[collection][key]
}

// Stub is one transaction's view of a World, implementing the parts of
// shim.ChaincodeStubInterface the contract uses (anything else panics
// through the nil embedded interface). As in Fabric, reads see only
// committed state — never the transaction's own writes — and writes are
// buffered until Commit.
type Stub struct {
	shim.ChaincodeStubInterface
	World     *World
	Args      [][]byte
	TxID      string
	Channel   string
	Creator   []byte
	Time      time.Time
	Transient map[string][]byte
	// PeerOrg is the organization whose peer executes the transaction: only
	// its implicit collection is readable.
	PeerOrg string

	writes  map[string][]byte // nil value: delete
	pwrites map[string]map[string][]byte
	purges  map[string][]string
	reads   map[string]uint64 // key -> version read
	Event   *peer.ChaincodeEvent
}

// NewStub returns a transaction stub over w.
func NewStub(w *World, txID string, creator []byte, at time.Time, args ...[]byte) *Stub {
	return &Stub{World: w, Args: args, TxID: txID, Channel: "chengnuo", Creator: creator, Time: at}
}

func (s *Stub) GetArgs() [][]byte { return s.Args }

func (s *Stub) GetStringArgs() []string {
	out := make([]string, len(s.Args))
	for i, a := range s.Args {
		out[i] = string(a)
	}
	return out
}

func (s *Stub) GetFunctionAndParameters() (string, []string) {
	a := s.GetStringArgs()
	if len(a) == 0 {
		return "", nil
	}
	return a[0], a[1:]
}

func (s *Stub) GetTxID() string                          { return s.TxID }
func (s *Stub) GetChannelID() string                     { return s.Channel }
func (s *Stub) GetCreator() ([]byte, error)              { return s.Creator, nil }
func (s *Stub) GetTransient() (map[string][]byte, error) { return s.Transient, nil }
func (s *Stub) GetTxTimestamp() (*timestamppb.Timestamp, error) {
	return timestamppb.New(s.Time), nil
}

func (s *Stub) SetEvent(name string, payload []byte) error {
	if name == "" {
		return fmt.Errorf("event name can not be empty string")
	}
	s.Event = &peer.ChaincodeEvent{EventName: name, Payload: payload, TxId: s.TxID}
	return nil
}

func (s *Stub) GetState(key string) ([]byte, error) {
	s.World.mu.Lock()
	defer s.World.mu.Unlock()
	v := s.World.public[key]
	if s.reads == nil {
		s.reads = map[string]uint64{}
	}
	s.reads[key] = v.version
	return v.value, nil
}

// GetMultipleStates reads keys in one call, as Fabric 3.1's peers serve it.
func (s *Stub) GetMultipleStates(keys ...string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	for i, k := range keys {
		v, err := s.GetState(k)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// StartWriteBatch and FinishWriteBatch: writes are kept until the end of
// the transaction anyway.
func (s *Stub) StartWriteBatch()        {}
func (s *Stub) FinishWriteBatch() error { return nil }

func (s *Stub) PutState(key string, value []byte) error {
	if key == "" || !utf8.ValidString(key) {
		return fmt.Errorf("invalid key %q", key)
	}
	if s.writes == nil {
		s.writes = map[string][]byte{}
	}
	s.writes[key] = value
	return nil
}

func (s *Stub) DelState(key string) error {
	if s.writes == nil {
		s.writes = map[string][]byte{}
	}
	s.writes[key] = nil
	return nil
}

func (s *Stub) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	return shim.CreateCompositeKey(objectType, attributes)
}

func (s *Stub) SplitCompositeKey(key string) (string, []string, error) {
	if !strings.HasPrefix(key, "\x00") || !strings.HasSuffix(key, "\x00") {
		return "", nil, fmt.Errorf("not a composite key: %q", key)
	}
	parts := strings.Split(key[1:len(key)-1], "\x00")
	return parts[0], parts[1:], nil
}

// rangeKVs returns the committed pairs with start <= key < end, in order.
func (s *Stub) rangeKVs(start, end string) []*queryresult.KV {
	s.World.mu.Lock()
	defer s.World.mu.Unlock()
	var out []*queryresult.KV
	for k, v := range s.World.public {
		if k >= start && (end == "" || k < end) {
			out = append(out, &queryresult.KV{Key: k, Value: v.value})
		}
	}
	slices.SortFunc(out, func(a, b *queryresult.KV) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func (s *Stub) GetStateByRange(start, end string) (shim.StateQueryIteratorInterface, error) {
	if strings.HasPrefix(start, "\x00") || strings.HasPrefix(end, "\x00") {
		return nil, fmt.Errorf("range keys must be simple keys")
	}
	return &Iter{kvs: s.rangeKVs(start, end)}, nil
}

func (s *Stub) GetStateByPartialCompositeKey(objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	prefix, err := shim.CreateCompositeKey(objectType, keys)
	if err != nil {
		return nil, err
	}
	return &Iter{kvs: s.rangeKVs(prefix, prefix+string(utf8.MaxRune))}, nil
}

// GetStateByPartialCompositeKeyWithPagination pages like Fabric's LevelDB
// state database: the bookmark is the key to start from, empty when no
// key follows.
func (s *Stub) GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string, pageSize int32,
	bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	prefix, err := shim.CreateCompositeKey(objectType, keys)
	if err != nil {
		return nil, nil, err
	}
	start := prefix
	if bookmark != "" {
		start = bookmark
	}
	kvs := s.rangeKVs(start, prefix+string(utf8.MaxRune))
	meta := &peer.QueryResponseMetadata{}
	if len(kvs) > int(pageSize) {
		meta.Bookmark = kvs[pageSize].Key
		kvs = kvs[:pageSize]
	}
	meta.FetchedRecordsCount = int32(len(kvs))
	return &Iter{kvs: kvs}, meta, nil
}

func (s *Stub) checkCollection(collection string) error {
	if s.PeerOrg != "" && collection != "_implicit_org_"+s.PeerOrg {
		return fmt.Errorf("private data matching public hash version is not available on this peer (collection %s)", collection)
	}
	return nil
}

func (s *Stub) GetPrivateData(collection, key string) ([]byte, error) {
	if err := s.checkCollection(collection); err != nil {
		return nil, err
	}
	return s.World.Private(collection, key), nil
}

func (s *Stub) PutPrivateData(collection, key string, value []byte) error {
	if s.pwrites == nil {
		s.pwrites = map[string]map[string][]byte{}
	}
	if s.pwrites[collection] == nil {
		s.pwrites[collection] = map[string][]byte{}
	}
	s.pwrites[collection][key] = value
	return nil
}

func (s *Stub) PurgePrivateData(collection, key string) error {
	if s.purges == nil {
		s.purges = map[string][]string{}
	}
	s.purges[collection] = append(s.purges[collection], key)
	return nil
}

// Writes returns the buffered public writes (nil value: a delete).
func (s *Stub) Writes() map[string][]byte { return s.writes }

// Conflict reports whether a key this transaction read has changed since.
func (s *Stub) Conflict() bool {
	s.World.mu.Lock()
	defer s.World.mu.Unlock()
	for k, v := range s.reads {
		if s.World.public[k].version != v {
			return true
		}
	}
	return false
}

// Results is the transaction's read-write set in namespace ns, as an
// endorsing peer puts it in the ChaincodeAction: public writes, sorted by
// key.
func (s *Stub) Results(ns string) []byte {
	keys := make([]string, 0, len(s.writes))
	for k := range s.writes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	kv := &kvrwset.KVRWSet{}
	for _, k := range keys {
		v := s.writes[k]
		kv.Writes = append(kv.Writes, &kvrwset.KVWrite{Key: k, Value: v, IsDelete: v == nil})
	}
	raw, _ := proto.Marshal(kv)
	out, _ := proto.Marshal(&rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV,
		NsRwset: []*rwset.NsReadWriteSet{{Namespace: ns, Rwset: raw}}})
	return out
}

// Commit applies the transaction's writes as part of block.
func (s *Stub) Commit(block uint64) {
	s.World.mu.Lock()
	defer s.World.mu.Unlock()
	for k, v := range s.writes {
		if v == nil {
			delete(s.World.public, k)
		} else {
			s.World.public[k] = versioned{value: v, version: block}
		}
	}
	for c, kv := range s.pwrites {
		if s.World.private[c] == nil {
			s.World.private[c] = map[string][]byte{}
		}
		for k, v := range kv {
			s.World.private[c][k] = v
		}
	}
	for c, keys := range s.purges {
		for _, k := range keys {
			delete(s.World.private[c], k)
		}
	}
}

// Iter iterates key-value pairs.
type Iter struct{ kvs []*queryresult.KV }

func (i *Iter) HasNext() bool { return len(i.kvs) > 0 }
func (i *Iter) Close() error  { return nil }
func (i *Iter) Next() (*queryresult.KV, error) {
	if len(i.kvs) == 0 {
		return nil, fmt.Errorf("no more results")
	}
	kv := i.kvs[0]
	i.kvs = i.kvs[1:]
	return kv, nil
}
