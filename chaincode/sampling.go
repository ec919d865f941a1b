package chaincode

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/sm"
)

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

// SampleSeed is the seed of a draw: SM3 over the transaction id, the
// drawing organization, the item and the period bounds as given.
func SampleSeed(txID, org, item, from, to string) string {
	return sm.SM3Hex([]byte(txID + "|" + org + "|" + item + "|" + from + "|" + to))
}

// drawSample draws the caller's commitments of an item anchored in
// [from, to) for routine verification (双随机). It reads only that period,
// through the (department, item, time) index, and refuses a period with
// more than contract.MaxSampleCandidates commitments rather than cut it.
func drawSample(stub shim.ChaincodeStubInterface, a *contract.SampleArgs) (*chengnuo.Sample, error) {
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	from, to := a.From.UTC(), a.To.UTC()
	if from.IsZero() || !from.Before(to) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "from and to must be times with from before to")
	}
	if a.BasePermille < 1 || a.BasePermille > 1000 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the base rate must be 1 to 1000 permille")
	}
	if !itemCodeRE.MatchString(a.ItemCode) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "malformed item code")
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	seed := SampleSeed(stub.GetTxID(), org, a.ItemCode, timeKey(from), timeKey(to))
	s := &chengnuo.Sample{ID: deriveID("SP", stub, a.ItemCode), Org: org, ItemCode: a.ItemCode, From: from, To: to,
		BasePermille: a.BasePermille, Seed: seed, Candidates: []chengnuo.SampleCandidate{}, Selected: []string{}, DrawnAt: ts, TxID: stub.GetTxID()}
	iter, err := stub.GetStateByRange(orgItemKey(org, a.ItemCode, from, ""), orgItemKey(org, a.ItemCode, to, ""))
	if err != nil {
		return nil, err
	}
	defer iter.Close()
	for iter.HasNext() {
		kv, err := iter.Next()
		if err != nil {
			return nil, err
		}
		if len(s.Candidates) == contract.MaxSampleCandidates {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "the period holds more than %d commitments of %s; draw shorter periods", contract.MaxSampleCandidates, a.ItemCode)
		}
		id := kv.Key[strings.LastIndexByte(kv.Key, '\x01')+1:]
		c, _, err := readCommitment(stub, id)
		if err != nil {
			return nil, fmt.Errorf("sample candidate %s: %w", id, err)
		}
		records, err := applicantCredit(stub, c.ApplicantKey)
		if err != nil {
			return nil, err
		}
		p := samplePermille(records, a.BasePermille)
		s.Candidates = append(s.Candidates, chengnuo.SampleCandidate{CommitmentID: c.ID, Permille: p})
		if SampleSelected(seed, c.ID, p) {
			s.Selected = append(s.Selected, c.ID)
		}
	}
	if _, err := putRecord(stub, sampleObject, s.ID, s); err != nil {
		return nil, err
	}
	return s, nil
}
