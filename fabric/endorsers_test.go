package fabric

import (
	"reflect"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

func TestEndorsersLearnRotateRefreshForget(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	e := newEndorsers("MarketMSP", time.Minute)
	e.now = func() time.Time { return now }
	if got := e.pick(); got != nil {
		t.Fatalf("nothing learned, picked %v", got)
	}
	e.learn([]string{"PoliceMSP", "CreditMSP"}) // without the own organization: not learned from
	if got := e.pick(); got != nil {
		t.Fatalf("learned from a choice without the own organization: %v", got)
	}
	e.learn([]string{"MarketMSP", "PoliceMSP", "CreditMSP"})
	e.learn([]string{"MarketMSP", "JusticeMSP", "PoliceMSP"})
	want := [][]string{
		{"MarketMSP", "CreditMSP", "JusticeMSP"},
		{"MarketMSP", "JusticeMSP", "PoliceMSP"},
		{"MarketMSP", "PoliceMSP", "CreditMSP"},
		{"MarketMSP", "CreditMSP", "JusticeMSP"},
	}
	for i, w := range want {
		if got := e.pick(); !reflect.DeepEqual(got, w) {
			t.Fatalf("pick %d: %v, want %v", i, got, w)
		}
	}
	now = now.Add(time.Minute)
	if got := e.pick(); got != nil {
		t.Fatalf("a choice a minute old still named: %v", got)
	}
	e.learn([]string{"MarketMSP", "JusticeMSP", "PoliceMSP", "CreditMSP"}) // the policy now needs more
	if got := e.pick(); len(got) != 4 {
		t.Fatalf("after discovery chose four, picked %v", got)
	}
	e.forget()
	if got := e.pick(); got != nil {
		t.Fatalf("picked %v after forgetting", got)
	}
	e.learn([]string{"MarketMSP"})
	if got := e.pick(); !reflect.DeepEqual(got, []string{"MarketMSP"}) {
		t.Fatalf("a policy the own organization satisfies alone: picked %v", got)
	}
	var none *endorsers
	none.learn([]string{"MarketMSP"})
	none.forget()
	if got := none.pick(); got != nil {
		t.Fatalf("no endorsers kept, picked %v", got)
	}
}

func TestEndorsingOrgs(t *testing.T) {
	id := func(org string) []byte {
		raw, _ := proto.Marshal(&msp.SerializedIdentity{Mspid: org, IdBytes: []byte("cert of " + org)})
		return raw
	}
	cap, _ := proto.Marshal(&peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{Endorsements: []*peer.Endorsement{
		{Endorser: id("MarketMSP")}, {Endorser: id("PoliceMSP")}, {Endorser: id("PoliceMSP")}, {Endorser: id("CreditMSP")}}}})
	env := func(actions ...*peer.TransactionAction) []byte {
		tx, _ := proto.Marshal(&peer.Transaction{Actions: actions})
		payload, _ := proto.Marshal(&common.Payload{Data: tx})
		raw, _ := proto.Marshal(&gateway.PreparedTransaction{TransactionId: "tx", Envelope: &common.Envelope{Payload: payload}})
		return raw
	}
	got, err := endorsingOrgs(env(&peer.TransactionAction{Payload: cap}))
	if err != nil || !reflect.DeepEqual(got, []string{"MarketMSP", "PoliceMSP", "CreditMSP"}) {
		t.Fatalf("endorsing orgs: %v %v", got, err)
	}
	for name, raw := range map[string][]byte{
		"not an envelope": []byte("\xff\xff"),
		"no action":       env(),
		"two actions":     env(&peer.TransactionAction{Payload: cap}, &peer.TransactionAction{Payload: cap}),
		"bad payload":     env(&peer.TransactionAction{Payload: []byte("\xff")}),
	} {
		if got, err := endorsingOrgs(raw); err == nil {
			t.Errorf("%s: read %v", name, got)
		}
	}
}
