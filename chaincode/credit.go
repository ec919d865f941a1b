package chaincode

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/sm"
)

const (
	creditObject      = "creditrec"
	creditIndexObject = "credit"
	objectionObject   = "objection"
	sampleObject      = "sample"
	orgItemObject     = "orgitem"
	proposalObject    = "proposal"

	// EventOutcomeRecorded carries the commitment after an outcome.
	EventOutcomeRecorded = "OutcomeRecorded"
)

// timeKey formats a time for composite keys so that keys sort by time.
func timeKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

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

// applicantCredit returns an applicant's credit records.
func applicantCredit(stub shim.ChaincodeStubInterface, applicantKey string) ([]*chengnuo.CreditRecord, error) {
	iter, err := stub.GetStateByPartialCompositeKey(creditIndexObject, []string{applicantKey})
	if err != nil {
		return nil, err
	}
	defer iter.Close()
	var out []*chengnuo.CreditRecord
	for iter.HasNext() {
		kv, err := iter.Next()
		if err != nil {
			return nil, err
		}
		_, attrs, err := stub.SplitCompositeKey(kv.Key)
		if err != nil || len(attrs) != 2 {
			return nil, fmt.Errorf("bad credit index key: %v", err)
		}
		rec, _, err := readCredit(stub, attrs[1])
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// eligibility applies rule 2 of the policy: an applicant with an unrepaired
// record of a false commitment (of any level, 严重 included) may not use the
// commitment route.
func eligibility(records []*chengnuo.CreditRecord) (bool, string) {
	for _, r := range records {
		if r.Status == chengnuo.CreditActive {
			return false, fmt.Sprintf("the applicant has an unrepaired false-commitment record %s (level %s, from %s); the commitment route is closed until credit repair", r.ID, r.Level, r.Org)
		}
	}
	return true, ""
}

func readCredit(stub shim.ChaincodeStubInterface, id string) (*chengnuo.CreditRecord, string, error) {
	return readRecord[chengnuo.CreditRecord](stub, creditObject, id, "credit record")
}

type outcomeArgs struct {
	Result       string             `json:"result"`
	ReasonDigest string             `json:"reasonDigest"`
	RequestID    string             `json:"requestId"`
	Disposal     *chengnuo.Disposal `json:"disposal"`
	Level        string             `json:"level"`
}

var measures = []string{chengnuo.MeasureTerminated, chengnuo.MeasureRectify, chengnuo.MeasureRevoked, chengnuo.MeasurePenalty, chengnuo.MeasureReferred}

func validateDisposal(d *chengnuo.Disposal, level string) error {
	if d == nil || len(d.Measures) == 0 {
		return chengnuo.Errorf(chengnuo.EINVALID, "a false commitment needs a disposal with at least one measure of %v", measures)
	}
	for _, m := range d.Measures {
		if !slices.Contains(measures, m) {
			return chengnuo.Errorf(chengnuo.EINVALID, "unknown disposal measure %q (known: %v)", m, measures)
		}
	}
	if slices.Contains(d.Measures, chengnuo.MeasureRectify) {
		if _, err := time.Parse("2006-01-02", d.RectificationDeadline); err != nil {
			return chengnuo.Errorf(chengnuo.EINVALID, "rectification needs a deadline (YYYY-MM-DD)")
		}
	}
	if slices.Contains(d.Measures, chengnuo.MeasurePenalty) && (d.Penalty == "" || len(d.Penalty) > 500) {
		return chengnuo.Errorf(chengnuo.EINVALID, "a penalty needs its description (at most 500 bytes)")
	}
	if !slices.Contains([]string{chengnuo.LevelMinor, chengnuo.LevelOrdinary, chengnuo.LevelSerious}, level) {
		return chengnuo.Errorf(chengnuo.EINVALID, "a false commitment needs a dishonesty level: MINOR, ORDINARY or SERIOUS")
	}
	return nil
}

// recordOutcome records the anchoring department's conclusion; FALSE also
// creates a credit record. Args: commitment id, outcome JSON.
func recordOutcome(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 2); err != nil {
		return nil, err
	}
	c, ckey, org, err := ownCommitment(stub, args[0])
	if err != nil {
		return nil, err
	}
	var a outcomeArgs
	if err := strictUnmarshal([]byte(args[1]), &a); err != nil {
		return nil, err
	}
	if c.Verification != chengnuo.VerifyNone && c.Verification != chengnuo.VerifyUnder {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "commitment %s already has the outcome %s", c.ID, c.Verification)
	}
	// A withdrawal does not end a verification already under way: otherwise
	// withdrawing would be a way to escape a false-commitment finding.
	if c.Status == chengnuo.StatusWithdrawn && c.Verification != chengnuo.VerifyUnder {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "commitment %s was withdrawn before any verification", c.ID)
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	o := &chengnuo.Outcome{Result: a.Result, ReasonDigest: a.ReasonDigest, RequestID: a.RequestID, At: ts, TxID: stub.GetTxID()}
	if a.RequestID != "" {
		r, _, err := readRequest(stub, a.RequestID)
		if err != nil {
			return nil, err
		}
		if r.CommitmentID != c.ID {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "request %s is about another commitment", r.ID)
		}
	}
	switch a.Result {
	case chengnuo.VerifyVerified:
	case chengnuo.VerifyUnverifiable:
		if !isHex64(a.ReasonDigest) {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "UNVERIFIABLE needs the SM3 digest of its reason")
		}
	case chengnuo.VerifyExempt:
		it, err := loadItem(stub, c.ItemCode, c.ItemVersion)
		if err != nil {
			return nil, err
		}
		if !it.Verification.Exempt {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "item %s is not exempt from verification", it.Code)
		}
	case chengnuo.VerifyFalse:
		if err := validateDisposal(a.Disposal, a.Level); err != nil {
			return nil, err
		}
		o.Disposal, o.Level = a.Disposal, a.Level
		cr := &chengnuo.CreditRecord{
			ID: deriveID("CR", stub, c.ID), ApplicantKey: c.ApplicantKey, CommitmentID: c.ID, Org: org, Level: a.Level,
			Status: chengnuo.CreditActive, CreatedAt: ts, TxID: stub.GetTxID(),
			History: []chengnuo.Transition{{Status: chengnuo.CreditActive, Org: org, At: ts, TxID: stub.GetTxID()}},
		}
		key, err := stub.CreateCompositeKey(creditObject, []string{cr.ID})
		if err != nil {
			return nil, err
		}
		if _, err := putJSON(stub, key, cr); err != nil {
			return nil, err
		}
		if err := putIndex(stub, creditIndexObject, cr.ApplicantKey, cr.ID); err != nil {
			return nil, err
		}
		o.CreditID = cr.ID
	default:
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "result must be VERIFIED, FALSE, UNVERIFIABLE or EXEMPT")
	}
	c.Verification, c.Outcome = a.Result, o
	c.History = append(c.History, chengnuo.Transition{Status: a.Result, Org: org, At: ts, TxID: stub.GetTxID(), ReasonDigest: a.ReasonDigest})
	out, err := putJSON(stub, ckey, c)
	if err != nil {
		return nil, err
	}
	if err := stub.SetEvent(EventOutcomeRecorded, out); err != nil {
		return nil, err
	}
	return out, nil
}

// getApplicant is the credit platform's view of an applicant. Args: applicant key.
func getApplicant(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 1); err != nil {
		return nil, err
	}
	if _, err := requireOrg(stub, chengnuo.CreditAuthority, "look applicants up"); err != nil {
		return nil, err
	}
	if !isHex64(args[0]) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "applicant key must be 64 lower-case hex characters")
	}
	records, err := applicantCredit(stub, args[0])
	if err != nil {
		return nil, err
	}
	v := &chengnuo.ApplicantView{ApplicantKey: args[0], Records: records, Commitments: []*chengnuo.Commitment{}}
	if v.Records == nil {
		v.Records = []*chengnuo.CreditRecord{}
	}
	v.Eligible, v.Reason = eligibility(records)
	iter, err := stub.GetStateByPartialCompositeKey(applicantObject, []string{args[0]})
	if err != nil {
		return nil, err
	}
	defer iter.Close()
	for iter.HasNext() && len(v.Commitments) < 1000 {
		kv, err := iter.Next()
		if err != nil {
			return nil, err
		}
		_, attrs, err := stub.SplitCompositeKey(kv.Key)
		if err != nil || len(attrs) != 2 {
			return nil, fmt.Errorf("bad applicant index key: %v", err)
		}
		c, _, err := readCommitment(stub, attrs[1])
		if err != nil || c == nil {
			return nil, fmt.Errorf("commitment %s: %v", attrs[1], err)
		}
		v.Commitments = append(v.Commitments, c)
	}
	return json.Marshal(v)
}

// repairCredit records credit repair (信用修复). Args: credit id, SM3 of the reason.
func repairCredit(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 2); err != nil {
		return nil, err
	}
	org, err := requireOrg(stub, chengnuo.CreditAuthority, "repair credit")
	if err != nil {
		return nil, err
	}
	if !isHex64(args[1]) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "credit repair needs the SM3 digest of its reason")
	}
	return changeCredit(stub, args[0], org, chengnuo.CreditRepaired, args[1])
}

func changeCredit(stub shim.ChaincodeStubInterface, id, org, to, reasonDigest string) ([]byte, error) {
	r, key, err := readCredit(stub, id)
	if err != nil {
		return nil, err
	}
	if r.Status != chengnuo.CreditActive {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "credit record %s is %s", id, r.Status)
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	r.Status = to
	r.History = append(r.History, chengnuo.Transition{Status: to, Org: org, At: ts, TxID: stub.GetTxID(), ReasonDigest: reasonDigest})
	return putJSON(stub, key, r)
}

// fileObjection files an objection (异议) to a credit record through a
// department. Args: credit id, SM3 of the reason.
func fileObjection(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 2); err != nil {
		return nil, err
	}
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	if !isHex64(args[1]) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "an objection needs the SM3 digest of its reason")
	}
	r, _, err := readCredit(stub, args[0])
	if err != nil {
		return nil, err
	}
	if r.Status != chengnuo.CreditActive {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "credit record %s is %s", r.ID, r.Status)
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	o := &chengnuo.Objection{ID: deriveID("OB", stub, r.ID), CreditID: r.ID, From: org, ReasonDigest: args[1],
		Status: chengnuo.ObjectionPending, FiledAt: ts, TxID: stub.GetTxID()}
	key, err := stub.CreateCompositeKey(objectionObject, []string{o.ID})
	if err != nil {
		return nil, err
	}
	return putJSON(stub, key, o)
}

// decideObjection upholds (the record is annulled) or rejects an objection.
// Args: objection id, "uphold" or "reject", the decision's written reason.
func decideObjection(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 3); err != nil {
		return nil, err
	}
	org, err := requireOrg(stub, chengnuo.CreditAuthority, "decide objections")
	if err != nil {
		return nil, err
	}
	if err := writtenReason(args[2]); err != nil {
		return nil, err
	}
	o, key, err := readRecord[chengnuo.Objection](stub, objectionObject, args[0], "objection")
	if err != nil {
		return nil, err
	}
	if o.Status != chengnuo.ObjectionPending {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "objection %s is already %s", o.ID, o.Status)
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	switch args[1] {
	case "uphold":
		if _, err := changeCredit(stub, o.CreditID, org, chengnuo.CreditAnnulled, sm.SM3Hex([]byte(args[2]))); err != nil {
			return nil, err
		}
		o.Status = chengnuo.ObjectionUpheld
	case "reject":
		o.Status = chengnuo.ObjectionRejected
	default:
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "decision must be uphold or reject")
	}
	o.DecisionReason, o.DecidedAt, o.DecisionTx = args[2], ts, stub.GetTxID()
	return putJSON(stub, key, o)
}

func getCredit(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 1); err != nil {
		return nil, err
	}
	if _, err := requireOrg(stub, chengnuo.CreditAuthority, "read credit records"); err != nil {
		return nil, err
	}
	r, _, err := readCredit(stub, args[0])
	if err != nil {
		return nil, err
	}
	return json.Marshal(r)
}

// samplePermille is an applicant's selection rate: the base rate for a clean
// record, three times it after a repaired record, always for an active one.
func samplePermille(records []*chengnuo.CreditRecord, base int) int {
	rate := base
	for _, r := range records {
		switch r.Status {
		case chengnuo.CreditActive:
			return 1000
		case chengnuo.CreditRepaired:
			rate = min(1000, base*3)
		}
	}
	return rate
}

// SampleSelected reports whether a candidate is drawn: the first 8 bytes of
// SM3(seed "|" commitment id), as a big-endian integer mod 1000, below the
// candidate's rate in permille. Anyone can recompute it from the ledger.
func SampleSelected(seed, commitmentID string, permille int) bool {
	d := sm.SM3([]byte(seed + "|" + commitmentID))
	return int(binary.BigEndian.Uint64(d[:8])%1000) < permille
}

// drawSample draws the caller's commitments of an item anchored in [from, to)
// for routine verification (双随机). Args: item code, from, to (RFC 3339),
// base rate in permille (1-1000).
func drawSample(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 4); err != nil {
		return nil, err
	}
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	from, err1 := time.Parse(time.RFC3339, args[1])
	to, err2 := time.Parse(time.RFC3339, args[2])
	if err1 != nil || err2 != nil || !from.Before(to) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "from and to must be RFC 3339 times with from before to")
	}
	var base int
	if _, err := fmt.Sscanf(args[3], "%d", &base); err != nil || base < 1 || base > 1000 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the base rate must be 1 to 1000 permille")
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	seed := sm.SM3Hex([]byte(stub.GetTxID() + "|" + org + "|" + args[0] + "|" + args[1] + "|" + args[2]))
	s := &chengnuo.Sample{ID: deriveID("SP", stub, args[0]), Org: org, ItemCode: args[0], From: from.UTC(), To: to.UTC(),
		BasePermille: base, Seed: seed, Candidates: []chengnuo.SampleCandidate{}, Selected: []string{}, DrawnAt: ts, TxID: stub.GetTxID()}
	iter, err := stub.GetStateByPartialCompositeKey(orgItemObject, []string{org, args[0]})
	if err != nil {
		return nil, err
	}
	lo, hi := timeKey(from), timeKey(to)
	defer iter.Close()
	for iter.HasNext() && len(s.Candidates) < 10000 {
		kv, err := iter.Next()
		if err != nil {
			return nil, err
		}
		_, attrs, err := stub.SplitCompositeKey(kv.Key)
		if err != nil || len(attrs) != 4 {
			return nil, fmt.Errorf("bad org-item index key: %v", err)
		}
		if attrs[2] < lo || attrs[2] >= hi {
			continue
		}
		c, _, err := readCommitment(stub, attrs[3])
		if err != nil || c == nil {
			return nil, fmt.Errorf("commitment %s: %v", attrs[3], err)
		}
		records, err := applicantCredit(stub, c.ApplicantKey)
		if err != nil {
			return nil, err
		}
		p := samplePermille(records, base)
		s.Candidates = append(s.Candidates, chengnuo.SampleCandidate{CommitmentID: c.ID, Permille: p})
		if SampleSelected(seed, c.ID, p) {
			s.Selected = append(s.Selected, c.ID)
		}
	}
	key, err := stub.CreateCompositeKey(sampleObject, []string{s.ID})
	if err != nil {
		return nil, err
	}
	return putJSON(stub, key, s)
}

type proposalArgs struct {
	Kind   string         `json:"kind"`
	Code   string         `json:"code"`
	Item   *chengnuo.Item `json:"item"`
	Reason string         `json:"reason"`
}

// proposeItemChange records a department's proposal to add, change or
// retire a catalog item. Args: proposal JSON.
func proposeItemChange(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 1); err != nil {
		return nil, err
	}
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	var a proposalArgs
	if err := strictUnmarshal([]byte(args[0]), &a); err != nil {
		return nil, err
	}
	if err := writtenReason(a.Reason); err != nil {
		return nil, err
	}
	switch a.Kind {
	case "ADD", "CHANGE":
		if a.Item == nil {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "an %s proposal carries the item", a.Kind)
		}
		if err := validateItem(a.Item); err != nil {
			return nil, err
		}
		a.Code = a.Item.Code
		head, err := readHead(stub, a.Code)
		if err != nil {
			return nil, err
		}
		if a.Kind == "ADD" && head != nil {
			return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "item %s already exists; propose a CHANGE", a.Code)
		}
		if a.Kind == "CHANGE" && head == nil {
			return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "item %s does not exist; propose an ADD", a.Code)
		}
	case "RETIRE":
		if a.Item != nil {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "a RETIRE proposal names only the code")
		}
		if _, err := loadItem(stub, a.Code, 0); err != nil {
			return nil, err
		}
	default:
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "kind must be ADD, CHANGE or RETIRE")
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	p := &chengnuo.Proposal{ID: deriveID("PR", stub, a.Code), Kind: a.Kind, Code: a.Code, Item: a.Item, Reason: a.Reason,
		From: org, Status: "PENDING", ProposedAt: ts, TxID: stub.GetTxID()}
	key, err := stub.CreateCompositeKey(proposalObject, []string{p.ID})
	if err != nil {
		return nil, err
	}
	return putJSON(stub, key, p)
}

// decideProposal approves (publishing the new version, or retiring) or
// rejects a proposal. Args: proposal id, "approve" or "reject", reason.
func decideProposal(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if err := wantArgs(args, 3); err != nil {
		return nil, err
	}
	if _, err := requireCatalogAuthority(stub); err != nil {
		return nil, err
	}
	if err := writtenReason(args[2]); err != nil {
		return nil, err
	}
	p, key, err := readRecord[chengnuo.Proposal](stub, proposalObject, args[0], "proposal")
	if err != nil {
		return nil, err
	}
	if p.Status != "PENDING" {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "proposal %s is already %s", p.ID, p.Status)
	}
	switch args[1] {
	case "approve":
		var it *chengnuo.Item
		if p.Kind == "RETIRE" {
			it, err = retire(stub, p.Code)
		} else {
			cp := *p.Item
			it, err = publish(stub, &cp)
		}
		if err != nil {
			return nil, err
		}
		p.Status, p.Version = "APPROVED", it.Version
	case "reject":
		p.Status = "REJECTED"
	default:
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "decision must be approve or reject")
	}
	p.DecisionReason, p.DecisionTx = args[2], stub.GetTxID()
	return putJSON(stub, key, p)
}
