// Package chaincode is the notary smart contract: it records SM3 digests of
// signed commitment letters on the shared channel.
//
// It is deterministic: time comes only from the transaction timestamp, JSON
// is encoded from structs (stable field order), and nothing reads the network
// or the clock. Errors cross to the client as text that starts with a stable
// code from the domain package ("CONFLICT: …"); the Fabric adapter maps the
// code back to a *chengnuo.Error.
package chaincode

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/chengnuo/chengnuo"
)

// Version is reported by Ping so operators can see which build is serving.
var Version = "dev"

// Event names emitted by the contract.
const (
	EventAnchored = "Anchored"
)

// Key prefixes (composite key object types).
const (
	anchorObject = "anchor"
)

// Contract implements shim.Chaincode by dispatching on the function name.
type Contract struct{}

type handler func(stub shim.ChaincodeStubInterface, args []string) ([]byte, error)

// Init does nothing: the contract needs no initialisation transaction.
func (c *Contract) Init(shim.ChaincodeStubInterface) *peer.Response {
	return shim.Success(nil)
}

// Invoke routes the call to the named function and turns its error into a
// coded chaincode error.
func (c *Contract) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	h, ok := c.routes()[fn]
	if !ok {
		return errorResponse(chengnuo.Errorf(chengnuo.EINVALID, "unknown function %q", fn))
	}
	out, err := h(stub, args)
	if err != nil {
		return errorResponse(err)
	}
	return shim.Success(out)
}

func (c *Contract) routes() map[string]handler {
	return map[string]handler{
		"Ping":                ping,
		"Anchor":              anchor,
		"GetAnchor":           getAnchor,
		"PublishItem":         publishItem,
		"RetireItem":          retireItem,
		"GetItem":             getItem,
		"ListItems":           listItems,
		"AnchorCommitments":   anchorCommitments,
		"GetCommitment":       getCommitment,
		"Withdraw":            withdraw,
		"Conclude":            conclude,
		"RequestVerification": requestVerification,
		"DeliverDetails":      deliverDetails,
		"GetRequestDetails":   getRequestDetails,
		"PurgeDetails":        purgeDetails,
		"AnswerVerification":  answerVerification,
		"GetVerification":     getRecord[chengnuo.VerificationRequest](requestObject, "verification request"),
		"ListRequests":        listRequests,
		"RecordOutcome":       recordOutcome,
		"GetApplicant":        getApplicant,
		"GetCredit":           getCredit,
		"RepairCredit":        repairCredit,
		"FileObjection":       fileObjection,
		"DecideObjection":     decideObjection,
		"DrawSample":          drawSample,
		"GetSample":           getRecord[chengnuo.Sample](sampleObject, "sample"),
		"ProposeItemChange":   proposeItemChange,
		"DecideProposal":      decideProposal,
		"GetProposal":         getRecord[chengnuo.Proposal](proposalObject, "proposal"),
	}
}

// errorResponse renders err as "CODE: message". Unexpected errors keep their
// text (it stays inside the consortium) under the INTERNAL code.
func errorResponse(err error) *peer.Response {
	if e, ok := errors.AsType[*chengnuo.Error](err); ok {
		return shim.Error(e.Code + ": " + e.Message)
	}
	return shim.Error(chengnuo.EINTERNAL + ": " + err.Error())
}

func wantArgs(args []string, n int) error {
	if len(args) != n {
		return chengnuo.Errorf(chengnuo.EINVALID, "expected %d argument(s), got %d", n, len(args))
	}
	return nil
}

func ping(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	return json.Marshal(struct {
		Version string `json:"version"`
		Channel string `json:"channel"`
	}{Version, stub.GetChannelID()})
}

// txTime is the transaction timestamp in UTC: the only clock chaincode uses.
func txTime(stub shim.ChaincodeStubInterface) (time.Time, error) {
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return time.Time{}, fmt.Errorf("read tx timestamp: %w", err)
	}
	return ts.AsTime().UTC(), nil
}

// callerMSP is the MSP id of the submitting client, the only source of a
// record's organization.
func callerMSP(stub shim.ChaincodeStubInterface) (string, error) {
	msp, err := cid.GetMSPID(stub)
	if err != nil {
		return "", fmt.Errorf("read caller identity: %w", err)
	}
	return msp, nil
}

func anchorKey(stub shim.ChaincodeStubInterface, digest string) (string, error) {
	return stub.CreateCompositeKey(anchorObject, []string{digest})
}

func readAnchor(stub shim.ChaincodeStubInterface, digest string) (*chengnuo.Anchor, error) {
	key, err := anchorKey(stub, digest)
	if err != nil {
		return nil, err
	}
	raw, err := stub.GetState(key)
	if err != nil {
		return nil, fmt.Errorf("read anchor: %w", err)
	}
	if raw == nil {
		return nil, nil
	}
	var a chengnuo.Anchor
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("decode anchor: %w", err)
	}
	return &a, nil
}

// anchor records an SM3 digest. A digest already on the ledger is refused
// with CONFLICT, so the first anchoring (and its time) can never be replaced.
func anchor(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 1); err != nil {
		return nil, err
	}
	digest, err := chengnuo.NormalizeDigest(args[0])
	if err != nil {
		return nil, err
	}
	existing, err := readAnchor(stub, digest)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "digest %s is already anchored (tx %s)", digest, existing.TxID)
	}
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	rec := chengnuo.Anchor{Digest: digest, Org: org, TxID: stub.GetTxID(), Timestamp: ts}
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	key, err := anchorKey(stub, digest)
	if err != nil {
		return nil, err
	}
	if err := stub.PutState(key, raw); err != nil {
		return nil, fmt.Errorf("write anchor: %w", err)
	}
	if err := stub.SetEvent(EventAnchored, raw); err != nil {
		return nil, fmt.Errorf("set event: %w", err)
	}
	return raw, nil
}

func getAnchor(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 1); err != nil {
		return nil, err
	}
	digest, err := chengnuo.NormalizeDigest(args[0])
	if err != nil {
		return nil, err
	}
	a, err := readAnchor(stub, digest)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "digest %s is not anchored", digest)
	}
	return json.Marshal(a)
}
