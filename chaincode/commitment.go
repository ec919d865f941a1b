package chaincode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
)

const (
	commitmentObject = "commitment"
	applicantObject  = "applicant"

	// EventCommitmentsAnchored carries the records created by one batch.
	EventCommitmentsAnchored = "CommitmentsAnchored"
	// MaxBatch bounds the letters of one anchoring transaction.
	MaxBatch = 100
)

func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return chengnuo.Errorf(chengnuo.EINVALID, "malformed argument: %v", err)
	}
	return nil
}

func commitmentKey(stub shim.ChaincodeStubInterface, id string) (string, error) {
	return stub.CreateCompositeKey(commitmentObject, []string{id})
}

func readCommitment(stub shim.ChaincodeStubInterface, id string) (*chengnuo.Commitment, string, error) {
	key, err := commitmentKey(stub, id)
	if err != nil {
		return nil, "", err
	}
	var c chengnuo.Commitment
	ok, err := readJSON(stub, key, &c)
	if err != nil || !ok {
		return nil, key, err
	}
	return &c, key, nil
}

func isHex64(s string) bool {
	_, err := chengnuo.NormalizeDigest(s)
	return err == nil && s == strings.ToLower(s)
}

// anchorOne checks and records one letter. A refused letter returns a result
// with a code and writes nothing.
func anchorOne(stub shim.ChaincodeStubInterface, org string, req chengnuo.AnchorRequest, created *[]*chengnuo.Commitment) (chengnuo.AnchorResult, error) {
	res := chengnuo.AnchorResult{LetterDigest: req.LetterDigest}
	refuse := func(code, format string, a ...any) (chengnuo.AnchorResult, error) {
		res.Code, res.Message = code, fmt.Sprintf(format, a...)
		return res, nil
	}
	if !isHex64(req.LetterDigest) {
		return refuse(chengnuo.EINVALID, "letterDigest must be 64 lower-case hex characters")
	}
	if req.SignedBy != chengnuo.SignedSM2 && req.SignedBy != chengnuo.SignedPaper {
		return refuse(chengnuo.EINVALID, "signedBy must be %s or %s", chengnuo.SignedSM2, chengnuo.SignedPaper)
	}
	if !isHex64(req.ApplicantKey) {
		return refuse(chengnuo.EINVALID, "applicantKey must be 64 lower-case hex characters")
	}
	id := chengnuo.CommitmentID(req.LetterDigest)
	existing, key, err := readCommitment(stub, id)
	if err != nil {
		return res, err
	}
	if existing != nil {
		if existing.LetterDigest != req.LetterDigest {
			return refuse(chengnuo.ECONFLICT, "commitment id %s is taken by another letter", id)
		}
		res.Record = existing
		return refuse(chengnuo.ECONFLICT, "letter %s is already anchored as %s", req.LetterDigest, id)
	}
	it, err := loadItem(stub, req.ItemCode, req.ItemVersion)
	if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
		return refuse(chengnuo.EINVALID, "%s", chengnuo.ErrorMessage(err))
	}
	if err != nil {
		return res, err
	}
	if req.ItemVersion == 0 || it.Version != req.ItemVersion {
		return refuse(chengnuo.EINVALID, "itemVersion is required")
	}
	if it.Status != chengnuo.ItemActive {
		return refuse(chengnuo.EINVALID, "item %s version %d is retired or superseded and accepts no new letters", it.Code, it.Version)
	}
	if it.NoticeDigest != req.NoticeDigest {
		return refuse(chengnuo.EINVALID, "the notice does not match item %s version %d", it.Code, it.Version)
	}
	records, err := applicantCredit(stub, req.ApplicantKey)
	if err != nil {
		return res, err
	}
	if ok, why := eligibility(records); !ok {
		return refuse(chengnuo.EINELIGIBLE, "%s", why)
	}
	ts, err := txTime(stub)
	if err != nil {
		return res, err
	}
	c := &chengnuo.Commitment{
		ID: id, LetterDigest: req.LetterDigest, ItemCode: it.Code, ItemVersion: it.Version,
		NoticeDigest: it.NoticeDigest, Org: org, ApplicantKey: req.ApplicantKey, SignedBy: req.SignedBy,
		Status: chengnuo.StatusActive, AnchoredAt: ts, TxID: stub.GetTxID(),
		History: []chengnuo.Transition{{Status: chengnuo.StatusActive, Org: org, At: ts, TxID: stub.GetTxID()}},
	}
	if _, err := putJSON(stub, key, c); err != nil {
		return res, err
	}
	ak, err := stub.CreateCompositeKey(applicantObject, []string{req.ApplicantKey, id})
	if err != nil {
		return res, err
	}
	if err := stub.PutState(ak, []byte{0}); err != nil {
		return res, err
	}
	if err := putIndex(stub, orgItemObject, org, c.ItemCode, timeKey(ts), id); err != nil {
		return res, err
	}
	res.Created, res.Record = true, c
	*created = append(*created, c)
	return res, nil
}

// anchorCommitments anchors a batch of 1..MaxBatch letters and reports a
// result per letter; refused letters do not stop the others.
func anchorCommitments(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 1); err != nil {
		return nil, err
	}
	var reqs []chengnuo.AnchorRequest
	if err := strictUnmarshal([]byte(args[0]), &reqs); err != nil {
		return nil, err
	}
	if len(reqs) == 0 || len(reqs) > MaxBatch {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "a batch holds 1 to %d letters, got %d", MaxBatch, len(reqs))
	}
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	results := make([]chengnuo.AnchorResult, 0, len(reqs))
	var created []*chengnuo.Commitment
	for _, r := range reqs {
		if seen[r.LetterDigest] {
			results = append(results, chengnuo.AnchorResult{LetterDigest: r.LetterDigest, Code: chengnuo.EINVALID, Message: "letter appears twice in the batch"})
			continue
		}
		seen[r.LetterDigest] = true
		res, err := anchorOne(stub, org, r, &created)
		if err != nil {
			return nil, err
		}
		results = append(results, res)
	}
	if len(created) > 0 {
		ev, err := json.Marshal(created)
		if err != nil {
			return nil, err
		}
		if err := stub.SetEvent(EventCommitmentsAnchored, ev); err != nil {
			return nil, err
		}
	}
	return json.Marshal(results)
}

func getCommitment(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 1); err != nil {
		return nil, err
	}
	c, _, err := readCommitment(stub, args[0])
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "commitment %s does not exist", args[0])
	}
	return json.Marshal(c)
}

// transition moves a commitment of the caller's org to status `to` from one
// of the allowed states, appending to its history.
func transition(stub shim.ChaincodeStubInterface, id, to, reasonDigest string, from ...string) ([]byte, error) {
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	c, key, err := readCommitment(stub, id)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "commitment %s does not exist", id)
	}
	if c.Org != org {
		return nil, chengnuo.Errorf(chengnuo.EFORBIDDEN, "commitment %s belongs to %s; %s may not change it", id, c.Org, org)
	}
	allowed := false
	for _, f := range from {
		allowed = allowed || c.Status == f
	}
	if !allowed {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "commitment %s is %s and cannot become %s", id, c.Status, to)
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	c.Status = to
	c.History = append(c.History, chengnuo.Transition{Status: to, Org: org, At: ts, TxID: stub.GetTxID(), ReasonDigest: reasonDigest})
	return putJSON(stub, key, c)
}

// withdraw records the applicant's withdrawal (撤回承诺), with the SM3 digest
// of the reason; only before the matter is concluded.
func withdraw(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 2); err != nil {
		return nil, err
	}
	if !isHex64(args[1]) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "a withdrawal needs the SM3 digest of its reason")
	}
	return transition(stub, args[0], chengnuo.StatusWithdrawn, args[1], chengnuo.StatusActive)
}

// conclude records that the matter is concluded (办结).
func conclude(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 1); err != nil {
		return nil, err
	}
	return transition(stub, args[0], chengnuo.StatusConcluded, "", chengnuo.StatusActive)
}
