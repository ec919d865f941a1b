package chaincode

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/sm"
)

const (
	requestObject     = "vreq"
	requestToObject   = "vreq_to"
	requestFromObject = "vreq_from"

	// EventVerificationRequested carries a new request's public record.
	EventVerificationRequested = "VerificationRequested"
	// EventVerificationAnswered carries an answered request's public record.
	EventVerificationAnswered = "VerificationAnswered"

	// TransientDetails is the transient-map key of a request's details.
	TransientDetails = "details"
)

// ImplicitCollection is the name of an organization's implicit private data collection.
func ImplicitCollection(msp string) string { return "_implicit_org_" + msp }

// deriveID makes a deterministic record id from the transaction and a key.
func deriveID(prefix string, stub shim.ChaincodeStubInterface, key string) string {
	d := sm.SM3([]byte(stub.GetTxID() + "|" + key))
	return prefix + hex.EncodeToString(d[:12])
}

// readRecord reads the JSON record object/id, or returns ENOTFOUND naming what.
func readRecord[T any](stub shim.ChaincodeStubInterface, object, id, what string) (*T, string, error) {
	key, err := stub.CreateCompositeKey(object, []string{id})
	if err != nil {
		return nil, "", err
	}
	var v T
	ok, err := readJSON(stub, key, &v)
	if err != nil {
		return nil, key, err
	}
	if !ok {
		return nil, key, chengnuo.Errorf(chengnuo.ENOTFOUND, "%s %s does not exist", what, id)
	}
	return &v, key, nil
}

// getRecord is the handler of a public read of one record by id.
func getRecord[T any](object, what string) handler {
	return func(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
		if err := wantArgs(args, 1); err != nil {
			return nil, err
		}
		v, _, err := readRecord[T](stub, object, args[0], what)
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	}
}

func readRequest(stub shim.ChaincodeStubInterface, id string) (*chengnuo.VerificationRequest, string, error) {
	return readRecord[chengnuo.VerificationRequest](stub, requestObject, id, "verification request")
}

func putIndex(stub shim.ChaincodeStubInterface, object string, attrs ...string) error {
	k, err := stub.CreateCompositeKey(object, attrs)
	if err != nil {
		return err
	}
	return stub.PutState(k, []byte{0})
}

// ownCommitment loads a commitment the caller's organization anchored.
func ownCommitment(stub shim.ChaincodeStubInterface, id string) (*chengnuo.Commitment, string, string, error) {
	org, err := callerMSP(stub)
	if err != nil {
		return nil, "", "", err
	}
	c, key, err := readCommitment(stub, id)
	if err != nil {
		return nil, "", "", err
	}
	if c == nil {
		return nil, "", "", chengnuo.Errorf(chengnuo.ENOTFOUND, "commitment %s does not exist", id)
	}
	if c.Org != org {
		return nil, "", "", chengnuo.Errorf(chengnuo.EFORBIDDEN, "commitment %s belongs to %s; %s may not act on it", id, c.Org, org)
	}
	return c, key, org, nil
}

// requestVerification opens an assisted verification request (协助核查) to
// the item's verifying department. Args: commitment id, SM3 of the details.
func requestVerification(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 2); err != nil {
		return nil, err
	}
	if !isHex64(args[1]) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "detailsDigest must be 64 lower-case hex characters")
	}
	c, ckey, org, err := ownCommitment(stub, args[0])
	if err != nil {
		return nil, err
	}
	if c.Status == chengnuo.StatusWithdrawn {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "commitment %s was withdrawn", c.ID)
	}
	if c.Verification == chengnuo.VerifyUnder {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "commitment %s already has an open verification request", c.ID)
	}
	if c.Verification != chengnuo.VerifyNone {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "commitment %s already has the outcome %s", c.ID, c.Verification)
	}
	it, err := loadItem(stub, c.ItemCode, c.ItemVersion)
	if err != nil {
		return nil, err
	}
	if it.Verification.Exempt {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "item %s is exempt from verification", it.Code)
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	r := &chengnuo.VerificationRequest{
		ID: deriveID("VR", stub, c.ID), CommitmentID: c.ID, ItemCode: c.ItemCode, ItemVersion: c.ItemVersion,
		From: org, To: it.Verification.Department, Method: it.Verification.Method, RequestedAt: ts,
		DueAt: ts.Add(time.Duration(it.Verification.TimeLimitDays) * 24 * time.Hour), TxID: stub.GetTxID(),
		DetailsDigest: args[1], Status: chengnuo.RequestPending,
	}
	key, err := stub.CreateCompositeKey(requestObject, []string{r.ID})
	if err != nil {
		return nil, err
	}
	out, err := putJSON(stub, key, r)
	if err != nil {
		return nil, err
	}
	if err := putIndex(stub, requestToObject, r.To, r.ID); err != nil {
		return nil, err
	}
	if err := putIndex(stub, requestFromObject, r.From, r.ID); err != nil {
		return nil, err
	}
	c.Verification = chengnuo.VerifyUnder
	c.History = append(c.History, chengnuo.Transition{Status: chengnuo.VerifyUnder, Org: org, At: ts, TxID: stub.GetTxID()})
	if _, err := putJSON(stub, ckey, c); err != nil {
		return nil, err
	}
	if err := stub.SetEvent(EventVerificationRequested, out); err != nil {
		return nil, err
	}
	return out, nil
}

// requestAs reads the request named by args[0] (the only argument beyond
// extra) and checks that the caller is its requester (from) or its target
// (to), so that it may do what.
func requestAs(stub shim.ChaincodeStubInterface, args []string, extra int, side, what string) (*chengnuo.VerificationRequest, string, error) {
	if err := wantArgs(args, 1+extra); err != nil {
		return nil, "", err
	}
	org, err := callerMSP(stub)
	if err != nil {
		return nil, "", err
	}
	r, key, err := readRequest(stub, args[0])
	if err != nil {
		return nil, "", err
	}
	party := r.To
	if side == "from" {
		party = r.From
	}
	if org != party {
		return nil, "", chengnuo.Errorf(chengnuo.EFORBIDDEN, "only %s may %s request %s; caller is %s", party, what, r.ID, org)
	}
	return r, key, nil
}

// deliverDetails writes a request's details (transient, key "details") into
// the target organization's implicit collection. It writes nothing public,
// so only the target organization endorses it and only its peers ever see
// the details. Args: request id.
func deliverDetails(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	r, _, err := requestAs(stub, args, 0, "from", "deliver the details of")
	if err != nil {
		return nil, err
	}
	tm, err := stub.GetTransient()
	if err != nil {
		return nil, err
	}
	details, ok := tm[TransientDetails]
	if !ok || len(details) == 0 || len(details) > 16<<10 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the details must be passed as transient data %q (at most 16 KiB)", TransientDetails)
	}
	if sm.SM3Hex(details) != r.DetailsDigest {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the details do not match the request's details digest")
	}
	var d chengnuo.RequestDetails
	if err := strictUnmarshal(details, &d); err != nil {
		return nil, err
	}
	if d.CommitmentID != r.CommitmentID {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the details are about commitment %s, not %s", d.CommitmentID, r.CommitmentID)
	}
	if err := stub.PutPrivateData(ImplicitCollection(r.To), "details~"+r.ID, details); err != nil {
		return nil, fmt.Errorf("write details: %w", err)
	}
	return []byte(`{"delivered":true}`), nil
}

// getRequestDetails returns a request's details to the target organization
// only. Args: request id.
func getRequestDetails(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	r, _, err := requestAs(stub, args, 0, "to", "read the details of")
	if err != nil {
		return nil, err
	}
	d, err := stub.GetPrivateData(ImplicitCollection(r.To), "details~"+r.ID)
	if err != nil {
		return nil, fmt.Errorf("read details: %w", err)
	}
	if d == nil {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "the details of request %s are not here: not delivered yet, or purged", r.ID)
	}
	return d, nil
}

// purgeDetails purges a request's details from the target organization's
// private collection once the request is answered or declined: the hash
// stays on the ledger, the personal data leaves every peer's private store
// (Fabric 2.5 purge). It writes only that collection, so the target alone
// endorses it. Args: request id.
func purgeDetails(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	r, _, err := requestAs(stub, args, 0, "to", "purge the details of")
	if err != nil {
		return nil, err
	}
	if r.Status == chengnuo.RequestPending {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "request %s is still pending; answer it before purging its details", r.ID)
	}
	if err := stub.PurgePrivateData(ImplicitCollection(r.To), "details~"+r.ID); err != nil {
		return nil, fmt.Errorf("purge details: %w", err)
	}
	return []byte(`{"purged":true}`), nil
}

// writtenReason checks a decline reason: mandatory, bounded, and free of
// long digit runs, so an ID or phone number cannot slip onto the ledger.
func writtenReason(s string) error {
	n := utf8.RuneCountInString(strings.TrimSpace(s))
	if n < 4 || n > 500 {
		return chengnuo.Errorf(chengnuo.EINVALID, "a written reason of 4 to 500 characters is required")
	}
	run := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			run++
			if run >= 6 {
				return chengnuo.Errorf(chengnuo.EINVALID, "the reason must not contain numbers of 6 or more digits (no personal data on the ledger)")
			}
		} else {
			run = 0
		}
	}
	return nil
}

type answerArgs struct {
	Result         string `json:"result"`
	EvidenceDigest string `json:"evidenceDigest"`
	DeclineReason  string `json:"declineReason"`
	Automatic      bool   `json:"automatic"`
}

// answerVerification records the target department's answer, or its
// written refusal. Args: request id, answer JSON.
func answerVerification(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	r, key, err := requestAs(stub, args, 1, "to", "answer")
	if err != nil {
		return nil, err
	}
	if r.Status != chengnuo.RequestPending {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "request %s is already %s", r.ID, r.Status)
	}
	var a answerArgs
	if err := strictUnmarshal([]byte(args[1]), &a); err != nil {
		return nil, err
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	ans := &chengnuo.Answer{At: ts, TxID: stub.GetTxID(), Overdue: ts.After(r.DueAt), Automatic: a.Automatic}
	if a.DeclineReason != "" {
		if a.Result != "" || a.EvidenceDigest != "" {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "a refusal carries a reason, not a result")
		}
		if err := writtenReason(a.DeclineReason); err != nil {
			return nil, err
		}
		ans.DeclineReason = a.DeclineReason
		r.Status = chengnuo.RequestDeclined
	} else {
		if !slices.Contains([]string{chengnuo.AnswerConsistent, chengnuo.AnswerInconsistent, chengnuo.AnswerUnable}, a.Result) {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "result must be CONSISTENT, INCONSISTENT or UNABLE, or give a declineReason")
		}
		if !isHex64(a.EvidenceDigest) {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "evidenceDigest must be the SM3 (64 lower-case hex) of the evidence")
		}
		ans.Result, ans.EvidenceDigest = a.Result, a.EvidenceDigest
		r.Status = chengnuo.RequestAnswered
	}
	r.Answer = ans
	out, err := putJSON(stub, key, r)
	if err != nil {
		return nil, err
	}
	if err := stub.SetEvent(EventVerificationAnswered, out); err != nil {
		return nil, err
	}
	return out, nil
}

// listRequests lists the requests addressed to ("to") or sent by ("from")
// the caller's organization, newest last, at most 1000.
func listRequests(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 1); err != nil {
		return nil, err
	}
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	object := map[string]string{"to": requestToObject, "from": requestFromObject}[args[0]]
	if object == "" {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "side must be to or from")
	}
	iter, err := stub.GetStateByPartialCompositeKey(object, []string{org})
	if err != nil {
		return nil, err
	}
	defer iter.Close()
	out := []*chengnuo.VerificationRequest{}
	for iter.HasNext() && len(out) < 1000 {
		kv, err := iter.Next()
		if err != nil {
			return nil, err
		}
		_, attrs, err := stub.SplitCompositeKey(kv.Key)
		if err != nil || len(attrs) != 2 {
			return nil, fmt.Errorf("bad index key: %v", err)
		}
		r, _, err := readRequest(stub, attrs[1])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *chengnuo.VerificationRequest) int { return a.RequestedAt.Compare(b.RequestedAt) })
	return json.Marshal(out)
}
