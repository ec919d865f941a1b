// Package chaincode is the notary smart contract: it records SM3 digests of
// signed commitment letters and what became of them on the shared channel.
//
// Its functions, their argument and result types and its events are those
// of package contract, which the Fabric adapter uses too. It is
// deterministic: time comes only from the transaction timestamp, JSON is
// encoded from structs (stable field order), and nothing reads the network
// or the clock. Errors cross to the client as text that starts with a
// stable code from the domain package ("CONFLICT: …"); the Fabric adapter
// maps the code back to a *chengnuo.Error.
//
// Files by concern: catalog, commitments (and bare anchors), verification,
// credit, sampling, proposals; records.go holds the shared record helpers.
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
	"github.com/chengnuo/chengnuo/contract"
)

// Version is reported by Ping so operators can see which build is serving.
var Version = "dev"

// DefaultMaxClockSkew is how far a transaction's timestamp may be from the
// endorsing chaincode's clock by default.
const DefaultMaxClockSkew = 5 * time.Minute

// Contract implements shim.Chaincode by dispatching on the function name.
type Contract struct {
	// MaxClockSkew bounds how far a transaction's timestamp — the client's
	// claim, which Fabric's endorsers do not check — may be from this
	// server's clock; 0 means DefaultMaxClockSkew, a negative value turns
	// the check off. The check refuses or admits a proposal; it never
	// changes what the transaction writes, so endorsements stay identical.
	MaxClockSkew time.Duration
	// Now is the clock timestamps are compared with; nil means time.Now.
	Now func() time.Time
}

// handler runs one function on its raw arguments.
type handler struct {
	run    func(stub shim.ChaincodeStubInterface, args [][]byte) ([]byte, error)
	submit bool // a transaction: its timestamp is checked
}

// route binds a function of the wire contract to its implementation: the
// argument is decoded into, and the result encoded from, the contract's
// types, so both sides of the wire agree by construction.
func route[A, R any](fn contract.Fn[A, R], impl func(shim.ChaincodeStubInterface, *A) (*R, error)) (string, handler) {
	return fn.Name, handler{submit: fn.Submit, run: func(stub shim.ChaincodeStubInterface, args [][]byte) ([]byte, error) {
		if len(args) != 1 {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "%s takes one JSON argument, got %d", fn.Name, len(args))
		}
		a, err := fn.DecodeArgs(args[0])
		if err != nil {
			return nil, err
		}
		r, err := impl(stub, a)
		if err != nil {
			return nil, err
		}
		return json.Marshal(r)
	}}
}

var routes = func() map[string]handler {
	m := map[string]handler{}
	add := func(name string, h handler) { m[name] = h }
	add(route(contract.Ping, ping))
	add(route(contract.Anchor, anchor))
	add(route(contract.GetAnchor, getAnchor))
	add(route(contract.PublishItem, publishItem))
	add(route(contract.RetireItem, retireItem))
	add(route(contract.GetItem, getItem))
	add(route(contract.ListItems, listItems))
	add(route(contract.AnchorCommitments, anchorCommitments))
	add(route(contract.GetCommitment, getCommitment))
	add(route(contract.Withdraw, withdraw))
	add(route(contract.Conclude, conclude))
	add(route(contract.RequestVerification, requestVerification))
	add(route(contract.DeliverDetails, deliverDetails))
	add(route(contract.GetRequestDetails, getRequestDetails))
	add(route(contract.PurgeDetails, purgeDetails))
	add(route(contract.AnswerVerification, answerVerification))
	add(route(contract.GetVerification, getRecordByID[chengnuo.VerificationRequest](requestObject, "verification request")))
	add(route(contract.ListRequests, listRequests))
	add(route(contract.RecordOutcome, recordOutcome))
	add(route(contract.GetStanding, getStanding))
	add(route(contract.GetCredit, getCredit))
	add(route(contract.RepairCredit, repairCredit))
	add(route(contract.FileObjection, fileObjection))
	add(route(contract.DecideObjection, decideObjection))
	add(route(contract.DrawSample, drawSample))
	add(route(contract.ContributeSample, contributeSample))
	add(route(contract.PublishSample, publishSample))
	add(route(contract.GetSample, getRecordByID[chengnuo.Sample](sampleObject, "sample")))
	add(route(contract.ProposeItemChange, proposeItemChange))
	add(route(contract.DecideProposal, decideProposal))
	add(route(contract.GetProposal, getRecordByID[chengnuo.Proposal](proposalObject, "proposal")))
	add(route(contract.ListProposals, listRecords[chengnuo.Proposal](proposalObject, "proposal")))
	add(route(contract.ListObjections, listRecords[chengnuo.Objection](objectionObject, "objection")))
	add(route(contract.ShareText, shareText))
	add(route(contract.GetText, getText))
	add(route(contract.PutDepartment, putDepartment))
	add(route(contract.ListDepartments, listDepartments))
	add(route(contract.PutCalendar, putCalendar))
	add(route(contract.GetCalendar, getCalendar))
	add(route(contract.ReportCatalogChange, reportCatalogChange))
	add(route(contract.ListCatalogChanges, listRecords[chengnuo.CatalogChange](catalogChangeObject, "catalog change")))
	return m
}()

// Functions lists the names the contract serves, for tests and tooling.
func Functions() []string {
	out := make([]string, 0, len(routes))
	for name := range routes {
		out = append(out, name)
	}
	return out
}

// Init does nothing: the contract needs no initialisation transaction.
func (c *Contract) Init(shim.ChaincodeStubInterface) *peer.Response {
	return shim.Success(nil)
}

// Invoke routes the call to the named function and turns its error into a
// coded chaincode error.
func (c *Contract) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	all := stub.GetArgs()
	if len(all) == 0 {
		return errorResponse(chengnuo.Errorf(chengnuo.EINVALID, "no function named"))
	}
	fn := string(all[0])
	h, ok := routes[fn]
	if !ok {
		return errorResponse(chengnuo.Errorf(chengnuo.EINVALID, "unknown function %q", fn))
	}
	if h.submit {
		if err := c.checkClock(stub); err != nil {
			return errorResponse(err)
		}
	}
	if h.submit {
		// Fabric 3.1 peers take a transaction's writes in one message
		// (core.yaml chaincode.runtimeParams.useWriteBatch) instead of one
		// round trip per key; the shim sends the batch after Invoke returns,
		// and a peer without the feature makes this a no-op.
		stub.StartWriteBatch()
	}
	out, err := h.run(stub, all[1:])
	if err != nil {
		return errorResponse(err)
	}
	return shim.Success(out)
}

// checkClock refuses a transaction whose timestamp is further than
// MaxClockSkew from this server's clock, so that a client cannot date a
// record (an answer, a draw) in the past or the future.
func (c *Contract) checkClock(stub shim.ChaincodeStubInterface) error {
	skew := c.MaxClockSkew
	if skew == 0 {
		skew = DefaultMaxClockSkew
	}
	if skew < 0 {
		return nil
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	ts, err := txTime(stub)
	if err != nil {
		return err
	}
	if d := ts.Sub(now()); d > skew || d < -skew {
		return chengnuo.Errorf(chengnuo.EINVALID, "the transaction's timestamp %s is %s from the endorsing peer's clock (at most %s allowed)",
			ts.Format(time.RFC3339), d.Round(time.Second), skew)
	}
	return nil
}

// errorResponse renders err as "CODE: message". Unexpected errors keep their
// text (it stays inside the consortium; the gateway logs it and shows
// clients only a generic message) under the INTERNAL code.
func errorResponse(err error) *peer.Response {
	if e, ok := errors.AsType[*chengnuo.Error](err); ok && e.Code != chengnuo.EINTERNAL {
		return shim.Error(e.Code + ": " + e.Message)
	}
	return shim.Error(chengnuo.EINTERNAL + ": " + err.Error())
}

func ping(stub shim.ChaincodeStubInterface, _ *contract.Empty) (*contract.PingResult, error) {
	return &contract.PingResult{Version: Version, Channel: stub.GetChannelID()}, nil
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

// requireOrg returns the caller's MSP id if it is msp, else EFORBIDDEN.
func requireOrg(stub shim.ChaincodeStubInterface, msp, what string) (string, error) {
	org, err := callerMSP(stub)
	if err != nil {
		return "", err
	}
	if org != msp {
		return "", chengnuo.Errorf(chengnuo.EFORBIDDEN, "only %s may %s; caller is %s", msp, what, org)
	}
	return org, nil
}
