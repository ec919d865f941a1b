package chaincode

import (
	"fmt"
	"slices"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/sm"
)

func readRequest(stub shim.ChaincodeStubInterface, id string) (*chengnuo.VerificationRequest, string, error) {
	return readRecord[chengnuo.VerificationRequest](stub, requestObject, id, "verification request")
}

func detailsKey(requestID string) string { return "details~" + requestID }

// requestVerification opens an assisted verification request (协助核查) to
// the item's verifying department.
func requestVerification(stub shim.ChaincodeStubInterface, a *contract.RequestArgs) (*chengnuo.VerificationRequest, error) {
	if !isHex64(a.DetailsDigest) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "detailsDigest must be 64 lower-case hex characters")
	}
	c, ckey, org, err := ownCommitment(stub, a.CommitmentID, "request verification of")
	if err != nil {
		return nil, err
	}
	switch {
	case c.Status == chengnuo.StatusWithdrawn:
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "commitment %s was withdrawn", c.ID)
	case c.Verification == chengnuo.VerifyUnder:
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "commitment %s already has an open verification request", c.ID)
	case c.Verification != chengnuo.VerifyNone:
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
	// The item's time limit is in working days, on the ledger's calendar.
	due, versions, err := deadline(stub, ts, it.Verification.TimeLimitDays)
	if err != nil {
		return nil, err
	}
	r := &chengnuo.VerificationRequest{
		ID: deriveID("VR", stub, c.ID), CommitmentID: c.ID, ItemCode: c.ItemCode, ItemVersion: c.ItemVersion,
		From: org, To: it.Verification.Department, Method: it.Verification.Method, RequestedAt: ts,
		DueAt: due, DueCalendar: versions, TxID: stub.GetTxID(),
		DetailsDigest: a.DetailsDigest, Status: chengnuo.RequestPending,
	}
	if _, err := putRecord(stub, requestObject, r.ID, r); err != nil {
		return nil, err
	}
	if err := putIndex(stub, requestToObject, r.To, timeKey(ts), r.ID); err != nil {
		return nil, err
	}
	if err := putIndex(stub, requestFromObject, r.From, timeKey(ts), r.ID); err != nil {
		return nil, err
	}
	c.Verification = chengnuo.VerifyUnder
	c.History = append(c.History, chengnuo.Transition{Status: chengnuo.VerifyUnder, Org: org, At: ts, TxID: stub.GetTxID()})
	if _, err := putJSON(stub, ckey, c); err != nil {
		return nil, err
	}
	if err := setEvent(stub, contract.VerificationRequested, *r); err != nil {
		return nil, err
	}
	return r, nil
}

// requestAs reads a request and checks that the caller is its requester
// (side "from") or its target ("to"), so that it may do what.
func requestAs(stub shim.ChaincodeStubInterface, id, side, what string) (*chengnuo.VerificationRequest, string, error) {
	org, err := callerMSP(stub)
	if err != nil {
		return nil, "", err
	}
	r, key, err := readRequest(stub, id)
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

// deliverDetails writes a request's details (transient data) into the
// target organization's implicit collection. It writes nothing public, so
// only the target organization endorses it and only its peers ever see the
// details.
func deliverDetails(stub shim.ChaincodeStubInterface, a *contract.IDArgs) (*contract.Done, error) {
	r, _, err := requestAs(stub, a.ID, "from", "deliver the details of")
	if err != nil {
		return nil, err
	}
	if r.Status != chengnuo.RequestPending {
		// Answered (and so purged or about to be): personal data is not
		// delivered again.
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "request %s is %s; its details are no longer accepted", r.ID, r.Status)
	}
	tm, err := stub.GetTransient()
	if err != nil {
		return nil, err
	}
	details, ok := tm[contract.TransientDetails]
	if !ok || len(details) == 0 || len(details) > contract.MaxDetailsBytes {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the details must be passed as transient data %q (at most %d bytes)", contract.TransientDetails, contract.MaxDetailsBytes)
	}
	if sm.SM3Hex(details) != r.DetailsDigest {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the details do not match the request's details digest")
	}
	var d chengnuo.RequestDetails
	if err := contract.Strict(details, &d); err != nil {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "malformed details: %v", err)
	}
	if d.CommitmentID != r.CommitmentID {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the details are about commitment %s, not %s", d.CommitmentID, r.CommitmentID)
	}
	if err := stub.PutPrivateData(contract.ImplicitCollection(r.To), detailsKey(r.ID), details); err != nil {
		return nil, fmt.Errorf("write details: %w", err)
	}
	return &contract.Done{Done: true}, nil
}

// getRequestDetails returns a request's details to the target organization only.
func getRequestDetails(stub shim.ChaincodeStubInterface, a *contract.IDArgs) (*chengnuo.RequestDetails, error) {
	r, _, err := requestAs(stub, a.ID, "to", "read the details of")
	if err != nil {
		return nil, err
	}
	raw, err := stub.GetPrivateData(contract.ImplicitCollection(r.To), detailsKey(r.ID))
	if err != nil {
		return nil, fmt.Errorf("read details: %w", err)
	}
	if raw == nil {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "the details of request %s are not here: not delivered yet, or purged", r.ID)
	}
	var d chengnuo.RequestDetails
	if err := contract.Strict(raw, &d); err != nil {
		return nil, fmt.Errorf("decode details: %w", err)
	}
	return &d, nil
}

// purgeDetails purges a request's details from the target organization's
// private collection once the request is answered or declined: the hash
// stays on the ledger, the personal data leaves every peer's private store
// (Fabric 2.5 purge). It writes only that collection, so the target alone
// endorses it.
func purgeDetails(stub shim.ChaincodeStubInterface, a *contract.IDArgs) (*contract.Done, error) {
	r, _, err := requestAs(stub, a.ID, "to", "purge the details of")
	if err != nil {
		return nil, err
	}
	if r.Status == chengnuo.RequestPending {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "request %s is still pending; answer it before purging its details", r.ID)
	}
	if err := stub.PurgePrivateData(contract.ImplicitCollection(r.To), detailsKey(r.ID)); err != nil {
		return nil, fmt.Errorf("purge details: %w", err)
	}
	return &contract.Done{Done: true}, nil
}

// answerVerification records the target department's answer, or its
// written refusal.
func answerVerification(stub shim.ChaincodeStubInterface, a *contract.AnswerArgs) (*chengnuo.VerificationRequest, error) {
	r, key, err := requestAs(stub, a.RequestID, "to", "answer")
	if err != nil {
		return nil, err
	}
	if r.Status != chengnuo.RequestPending {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "request %s is already %s", r.ID, r.Status)
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	ans := &chengnuo.Answer{At: ts, TxID: stub.GetTxID(), Overdue: ts.After(r.DueAt), Automatic: a.Automatic}
	if a.DeclineDigest != "" {
		if a.Result != "" || a.EvidenceDigest != "" {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "a refusal carries a reason, not a result")
		}
		if !isHex64(a.DeclineDigest) {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "declineDigest must be the salted SM3 (64 lower-case hex) of the written reason")
		}
		ans.DeclineDigest = a.DeclineDigest
		r.Status = chengnuo.RequestDeclined
	} else {
		if !slices.Contains([]string{chengnuo.AnswerConsistent, chengnuo.AnswerInconsistent, chengnuo.AnswerUnable}, a.Result) {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "result must be CONSISTENT, INCONSISTENT or UNABLE, or give a declineDigest")
		}
		if !isHex64(a.EvidenceDigest) {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "evidenceDigest must be the SM3 (64 lower-case hex) of the evidence")
		}
		ans.Result, ans.EvidenceDigest = a.Result, a.EvidenceDigest
		r.Status = chengnuo.RequestAnswered
	}
	r.Answer = ans
	if _, err := putJSON(stub, key, r); err != nil {
		return nil, err
	}
	if err := setEvent(stub, contract.VerificationAnswered, *r); err != nil {
		return nil, err
	}
	return r, nil
}

// listRequests returns one page of the requests addressed to ("to") or sent
// by ("from") the caller's organization, oldest first (the index sorts by
// the request's time).
func listRequests(stub shim.ChaincodeStubInterface, a *contract.ListRequestsArgs) (*chengnuo.List[*chengnuo.VerificationRequest], error) {
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	object := map[string]string{"to": requestToObject, "from": requestFromObject}[a.Side]
	if object == "" {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "side must be to or from")
	}
	out := &chengnuo.List[*chengnuo.VerificationRequest]{Items: []*chengnuo.VerificationRequest{}}
	out.Bookmark, out.More, err = indexPage(stub, object, []string{org}, a.PageArgs, func(id string) error {
		r, _, err := readRequest(stub, id)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, r)
		return nil
	})
	return out, err
}
