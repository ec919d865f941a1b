package fabric

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// endorsers learns which organizations endorse a function's transactions,
// so that later transactions can name them and be endorsed by all of them
// at once.
//
// Left to choose, the peer's gateway endorses on its own organization's
// peer first, asks discovery which others the endorsement policy needs
// given that answer, and only then sends the proposal to them: two
// endorsements one after the other. Naming the organizations sends it to
// all at once. Which ones, and how many, is learned from discovery's own
// choices (never configured, never derived from the policy here), and
// forgotten as soon as a named set fails: a peer down, a department that
// left, a policy that now needs more. The transaction is then endorsed
// again the usual way, and discovery's new choice is learned.
type endorsers struct {
	own     string
	refresh time.Duration // how long a choice stands before discovery is asked again
	now     func() time.Time

	mu      sync.Mutex
	others  []string  // other organizations discovery chose since the set was last forgotten, sorted
	need    int       // how many other organizations discovery's last choice had
	learned time.Time // of discovery's last choice; zero: nothing to name
	next    int       // rotation over others
}

func newEndorsers(own string, refresh time.Duration) *endorsers {
	return &endorsers{own: own, refresh: refresh, now: time.Now}
}

// pick returns the organizations to name for the next transaction, own
// first, or nil to let discovery choose (nothing learned, or the last
// choice is older than refresh). Successive picks rotate over the other
// organizations discovery has chosen, so that their peers share the work.
func (e *endorsers) pick() []string {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.learned.IsZero() || e.now().Sub(e.learned) >= e.refresh || e.need > len(e.others) {
		return nil
	}
	orgs := make([]string, 0, e.need+1)
	orgs = append(orgs, e.own)
	for i := range e.need {
		orgs = append(orgs, e.others[(e.next+i)%len(e.others)])
	}
	if len(e.others) > 0 {
		e.next = (e.next + 1) % len(e.others)
	}
	return orgs
}

// learn records the organizations that endorsed a transaction discovery
// planned. A transaction without the own organization's endorsement is
// not learned from (the own peer always endorses first).
func (e *endorsers) learn(orgs []string) {
	if e == nil || !slices.Contains(orgs, e.own) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	need := 0
	for _, o := range orgs {
		if o == e.own {
			continue
		}
		need++
		if i, found := slices.BinarySearch(e.others, o); !found {
			e.others = slices.Insert(e.others, i, o)
		}
	}
	e.need, e.learned = need, e.now()
}

// forget drops everything learned: a named set could not endorse, or its
// endorsements did not satisfy the policy.
func (e *endorsers) forget() {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.others, e.need, e.learned, e.next = nil, 0, time.Time{}, 0
}

// endorsingOrgs returns the distinct MSP ids of the endorsements of a
// prepared transaction (client.Transaction.Bytes), in order.
func endorsingOrgs(prepared []byte) ([]string, error) {
	var pt gateway.PreparedTransaction
	if err := proto.Unmarshal(prepared, &pt); err != nil {
		return nil, err
	}
	env := pt.GetEnvelope()
	var payload common.Payload
	if err := proto.Unmarshal(env.GetPayload(), &payload); err != nil {
		return nil, err
	}
	var tx peer.Transaction
	if err := proto.Unmarshal(payload.GetData(), &tx); err != nil {
		return nil, err
	}
	if len(tx.GetActions()) != 1 {
		return nil, errors.New("a prepared transaction has one action")
	}
	var cap peer.ChaincodeActionPayload
	if err := proto.Unmarshal(tx.GetActions()[0].GetPayload(), &cap); err != nil {
		return nil, err
	}
	var orgs []string
	for _, en := range cap.GetAction().GetEndorsements() {
		var id msp.SerializedIdentity
		if err := proto.Unmarshal(en.GetEndorser(), &id); err != nil {
			return nil, err
		}
		if !slices.Contains(orgs, id.GetMspid()) {
			orgs = append(orgs, id.GetMspid())
		}
	}
	return orgs, nil
}
