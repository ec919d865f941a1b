package chaincode

import (
	"fmt"
	"slices"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
)

func readCredit(stub shim.ChaincodeStubInterface, id string) (*chengnuo.CreditRecord, string, error) {
	return readRecord[chengnuo.CreditRecord](stub, creditObject, id, "credit record")
}

// applicantCredit returns all of an applicant's credit records. It is read
// inside transactions (the eligibility gate), so it cannot be paginated; an
// applicant has a handful of records at most.
func applicantCredit(stub shim.ChaincodeStubInterface, applicantKey string) ([]*chengnuo.CreditRecord, error) {
	iter, err := stub.GetStateByPartialCompositeKey(creditIndexObject, []string{applicantKey})
	if err != nil {
		return nil, err
	}
	defer iter.Close()
	out := []*chengnuo.CreditRecord{}
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
	rectify := slices.Contains(d.Measures, chengnuo.MeasureRectify)
	switch {
	case d.RectificationDeadline != "" || d.DeadlineCalendar != "":
		return chengnuo.Errorf(chengnuo.EINVALID, "a rectification deadline is computed from rectificationDays (working days), not given")
	case rectify && (d.RectificationDays < 1 || d.RectificationDays > 365):
		return chengnuo.Errorf(chengnuo.EINVALID, "rectification needs its time limit in working days (rectificationDays, 1 to 365)")
	case !rectify && d.RectificationDays != 0:
		return chengnuo.Errorf(chengnuo.EINVALID, "rectificationDays goes with the measure RECTIFY")
	}
	if slices.Contains(d.Measures, chengnuo.MeasurePenalty) != (d.PenaltyDigest != "") || (d.PenaltyDigest != "" && !isHex64(d.PenaltyDigest)) {
		return chengnuo.Errorf(chengnuo.EINVALID, "a penalty, and only a penalty, needs the salted SM3 of its description")
	}
	if !slices.Contains([]string{chengnuo.LevelMinor, chengnuo.LevelOrdinary, chengnuo.LevelSerious}, level) {
		return chengnuo.Errorf(chengnuo.EINVALID, "a false commitment needs a dishonesty level: MINOR, ORDINARY or SERIOUS")
	}
	return nil
}

// checkOutcome checks an outcome against the commitment and its item.
func checkOutcome(stub shim.ChaincodeStubInterface, c *chengnuo.Commitment, a *contract.OutcomeArgs) error {
	if c.Verification != chengnuo.VerifyNone && c.Verification != chengnuo.VerifyUnder {
		return chengnuo.Errorf(chengnuo.ECONFLICT, "commitment %s already has the outcome %s", c.ID, c.Verification)
	}
	// A withdrawal does not end a verification already under way: otherwise
	// withdrawing would be a way to escape a false-commitment finding.
	if c.Status == chengnuo.StatusWithdrawn && c.Verification != chengnuo.VerifyUnder {
		return chengnuo.Errorf(chengnuo.ECONFLICT, "commitment %s was withdrawn before any verification", c.ID)
	}
	if a.ReasonDigest != "" && !isHex64(a.ReasonDigest) {
		return chengnuo.Errorf(chengnuo.EINVALID, "reasonDigest must be 64 lower-case hex characters")
	}
	if a.RequestID != "" {
		r, _, err := readRequest(stub, a.RequestID)
		if err != nil {
			return err
		}
		if r.CommitmentID != c.ID {
			return chengnuo.Errorf(chengnuo.EINVALID, "request %s is about another commitment", r.ID)
		}
	}
	switch a.Result {
	case chengnuo.VerifyVerified:
	case chengnuo.VerifyUnverifiable:
		if a.ReasonDigest == "" {
			return chengnuo.Errorf(chengnuo.EINVALID, "UNVERIFIABLE needs the SM3 digest of its reason")
		}
	case chengnuo.VerifyExempt:
		it, err := loadItem(stub, c.ItemCode, c.ItemVersion)
		if err != nil {
			return err
		}
		if !it.Verification.Exempt {
			return chengnuo.Errorf(chengnuo.EINVALID, "item %s is not exempt from verification", it.Code)
		}
	case chengnuo.VerifyFalse:
		return validateDisposal(a.Disposal, a.Level)
	default:
		return chengnuo.Errorf(chengnuo.EINVALID, "result must be VERIFIED, FALSE, UNVERIFIABLE or EXEMPT")
	}
	return nil
}

// recordOutcome records the anchoring department's conclusion; FALSE also
// creates a credit record.
func recordOutcome(stub shim.ChaincodeStubInterface, a *contract.OutcomeArgs) (*chengnuo.Commitment, error) {
	c, ckey, org, err := ownCommitment(stub, a.CommitmentID, "record an outcome of")
	if err != nil {
		return nil, err
	}
	if err := checkOutcome(stub, c, a); err != nil {
		return nil, err
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	o := &chengnuo.Outcome{Result: a.Result, ReasonDigest: a.ReasonDigest, RequestID: a.RequestID, At: ts, TxID: stub.GetTxID()}
	if a.Result == chengnuo.VerifyFalse {
		o.Disposal, o.Level = a.Disposal, a.Level
		if d := o.Disposal; d.RectificationDays > 0 {
			due, versions, err := deadline(stub, ts, d.RectificationDays)
			if err != nil {
				return nil, err
			}
			d.RectificationDeadline, d.DeadlineCalendar = chengnuo.DeadlineDay(due), versions
		}
		cr := &chengnuo.CreditRecord{
			ID: deriveID("CR", stub, c.ID), ApplicantKey: c.ApplicantKey, CommitmentID: c.ID, Org: org, Level: a.Level,
			Status: chengnuo.CreditActive, CreatedAt: ts, TxID: stub.GetTxID(),
			History: []chengnuo.Transition{{Status: chengnuo.CreditActive, Org: org, At: ts, TxID: stub.GetTxID()}},
		}
		if _, err := putRecord(stub, creditObject, cr.ID, cr); err != nil {
			return nil, err
		}
		if err := putIndex(stub, creditIndexObject, cr.ApplicantKey, cr.ID); err != nil {
			return nil, err
		}
		if err := setStanding(stub, cr.ApplicantKey, cr.ID, true); err != nil {
			return nil, err
		}
		o.CreditID = cr.ID
	}
	c.Verification, c.Outcome = a.Result, o
	c.History = append(c.History, chengnuo.Transition{Status: a.Result, Org: org, At: ts, TxID: stub.GetTxID(), ReasonDigest: a.ReasonDigest})
	if _, err := putJSON(stub, ckey, c); err != nil {
		return nil, err
	}
	if err := setEvent(stub, contract.OutcomeRecorded, *c); err != nil {
		return nil, err
	}
	return c, nil
}

// getStanding is the credit platform's view of an applicant's credit: every
// credit record and eligibility. Their commitments are listed by the
// gateway's read model: the ledger keeps no per-applicant index, which
// would cost every letter a key of its own on every peer.
func getStanding(stub shim.ChaincodeStubInterface, a *contract.ApplicantArgs) (*chengnuo.Standing, error) {
	if _, err := requireOrg(stub, chengnuo.CreditAuthority, "look applicants up"); err != nil {
		return nil, err
	}
	if !isHex64(a.ApplicantKey) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "applicant key must be 64 lower-case hex characters")
	}
	records, err := applicantCredit(stub, a.ApplicantKey)
	if err != nil {
		return nil, err
	}
	v := &chengnuo.Standing{ApplicantKey: a.ApplicantKey, Records: records}
	v.Eligible, v.Reason = eligibility(records)
	return v, nil
}

func getCredit(stub shim.ChaincodeStubInterface, a *contract.IDArgs) (*chengnuo.CreditRecord, error) {
	if _, err := requireOrg(stub, chengnuo.CreditAuthority, "read credit records"); err != nil {
		return nil, err
	}
	r, _, err := readCredit(stub, a.ID)
	return r, err
}

// repairCredit records credit repair (信用修复) with the digest of its reason.
func repairCredit(stub shim.ChaincodeStubInterface, a *contract.ReasonArgs) (*chengnuo.CreditRecord, error) {
	org, err := requireOrg(stub, chengnuo.CreditAuthority, "repair credit")
	if err != nil {
		return nil, err
	}
	if !isHex64(a.ReasonDigest) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "credit repair needs the SM3 digest of its reason")
	}
	return changeCredit(stub, a.ID, org, chengnuo.CreditRepaired, a.ReasonDigest)
}

// changeCredit moves an ACTIVE credit record to status to.
func changeCredit(stub shim.ChaincodeStubInterface, id, org, to, reasonDigest string) (*chengnuo.CreditRecord, error) {
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
	if _, err := putJSON(stub, key, r); err != nil {
		return nil, err
	}
	if err := setStanding(stub, r.ApplicantKey, r.ID, false); err != nil {
		return nil, err
	}
	return r, nil
}

// standing lists an applicant's ACTIVE credit records under one key, so the
// eligibility gate of a batch reads one key per applicant, all in one
// GetMultipleStates call, instead of a range per applicant (which every
// peer would also re-run at validation). The credit records stay the
// source of truth; standing is kept in step by the two functions that
// change a record's status (setStanding is called by both).
type standing struct {
	Active []string `json:"active"`
}

func standingKey(stub shim.ChaincodeStubInterface, applicantKey string) (string, error) {
	return stub.CreateCompositeKey(standingObject, []string{applicantKey})
}

// setStanding adds (active) or removes credit record id from the
// applicant's standing; an empty standing is deleted.
func setStanding(stub shim.ChaincodeStubInterface, applicantKey, id string, active bool) error {
	key, err := standingKey(stub, applicantKey)
	if err != nil {
		return err
	}
	var st standing
	if _, err := readJSON(stub, key, &st); err != nil {
		return err
	}
	st.Active = slices.DeleteFunc(st.Active, func(s string) bool { return s == id })
	if active {
		st.Active = append(st.Active, id)
	}
	if len(st.Active) == 0 {
		return stub.DelState(key)
	}
	_, err = putJSON(stub, key, st)
	return err
}

// fileObjection files an objection (异议) to a credit record through a
// department, with the digest of its reason.
func fileObjection(stub shim.ChaincodeStubInterface, a *contract.ReasonArgs) (*chengnuo.Objection, error) {
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	if !isHex64(a.ReasonDigest) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "an objection needs the SM3 digest of its reason")
	}
	r, _, err := readCredit(stub, a.ID)
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
	due, versions, err := deadline(stub, ts, chengnuo.ObjectionDays)
	if err != nil {
		return nil, err
	}
	o := &chengnuo.Objection{ID: deriveID("OB", stub, r.ID), CreditID: r.ID, From: org, ReasonDigest: a.ReasonDigest,
		Status: chengnuo.ObjectionPending, FiledAt: ts, TxID: stub.GetTxID(), DueAt: due, DueCalendar: versions}
	if _, err := putRecord(stub, objectionObject, o.ID, o); err != nil {
		return nil, err
	}
	return o, nil
}

// decideObjection upholds (the record is annulled) or rejects an objection,
// with the digest of the decision's reason.
func decideObjection(stub shim.ChaincodeStubInterface, a *contract.DecideObjectionArgs) (*chengnuo.Objection, error) {
	org, err := requireOrg(stub, chengnuo.CreditAuthority, "decide objections")
	if err != nil {
		return nil, err
	}
	if !isHex64(a.ReasonDigest) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "a decision needs the SM3 digest of its reason")
	}
	o, key, err := readRecord[chengnuo.Objection](stub, objectionObject, a.ID, "objection")
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
	o.Status = chengnuo.ObjectionRejected
	if a.Uphold {
		if _, err := changeCredit(stub, o.CreditID, org, chengnuo.CreditAnnulled, a.ReasonDigest); err != nil {
			return nil, err
		}
		o.Status = chengnuo.ObjectionUpheld
	}
	o.DecisionDigest, o.DecidedAt, o.DecisionTx = a.ReasonDigest, ts, stub.GetTxID()
	if _, err := putJSON(stub, key, o); err != nil {
		return nil, err
	}
	return o, nil
}
