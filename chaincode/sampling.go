package chaincode

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/sm"
)

// sampleIndexObject indexes draws by (department, item) for the overlap check.
const sampleIndexObject = "sampleidx"

var inspectorRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

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

// SampleSeed is a draw's seed: SM3(secret "|" contribution "|" sample id),
// from the drawing department's revealed secret and another department's
// contribution (both hex).
func SampleSeed(secret, contribution, sampleID string) string {
	return sm.SM3Hex([]byte(secret + "|" + contribution + "|" + sampleID))
}

// AssignInspectors draws up to contract.InspectorsPerSubject distinct
// inspectors of pool for a selected commitment: pool position i gets the
// score SM3(seed "|inspector|" commitment id "|" code), and the lowest
// scores win. Anyone can recompute it from the ledger.
func AssignInspectors(seed, commitmentID string, pool []string) []string {
	type scored struct {
		code  string
		score []byte
	}
	var best []scored
	for _, code := range pool {
		d := sm.SM3([]byte(seed + "|inspector|" + commitmentID + "|" + code))
		s := scored{code, d[:]}
		at := len(best)
		for i, b := range best {
			if bytes.Compare(s.score, b.score) < 0 {
				at = i
				break
			}
		}
		best = append(best[:at], append([]scored{s}, best[at:]...)...)
		if len(best) > contract.InspectorsPerSubject {
			best = best[:contract.InspectorsPerSubject]
		}
	}
	out := make([]string, len(best))
	for i, b := range best {
		out[i] = b.code
	}
	return out
}

func checkSampleRequest(a *chengnuo.SampleRequest) (time.Time, time.Time, error) {
	from, to := a.From.UTC(), a.To.UTC()
	switch {
	case from.IsZero() || !from.Before(to):
		return from, to, chengnuo.Errorf(chengnuo.EINVALID, "from and to must be times with from before to")
	case a.BasePermille < 1 || a.BasePermille > 1000:
		return from, to, chengnuo.Errorf(chengnuo.EINVALID, "the base rate must be 1 to 1000 permille")
	case !itemCodeRE.MatchString(a.ItemCode):
		return from, to, chengnuo.Errorf(chengnuo.EINVALID, "malformed item code")
	case len(a.Inspectors) == 0 || len(a.Inspectors) > contract.MaxInspectors:
		return from, to, chengnuo.Errorf(chengnuo.EINVALID, "a draw needs a pool of 1 to %d inspector codes", contract.MaxInspectors)
	}
	seen := map[string]bool{}
	for _, c := range a.Inspectors {
		if !inspectorRE.MatchString(c) || seen[c] {
			return from, to, chengnuo.Errorf(chengnuo.EINVALID, "inspector codes are 1-32 letters, digits, '_' or '-', each once (codes, not names)")
		}
		seen[c] = true
	}
	return from, to, nil
}

// checkOverlap refuses a draw whose period overlaps an earlier draw of the
// same department and item: a department cannot draw again until it likes
// the result.
func checkOverlap(stub shim.ChaincodeStubInterface, org, item string, from, to time.Time) error {
	iter, err := stub.GetStateByPartialCompositeKey(sampleIndexObject, []string{org, item})
	if err != nil {
		return err
	}
	defer iter.Close()
	for iter.HasNext() {
		kv, err := iter.Next()
		if err != nil {
			return err
		}
		_, attrs, err := stub.SplitCompositeKey(kv.Key)
		if err != nil || len(attrs) != 3 {
			return fmt.Errorf("bad sample index key: %v", err)
		}
		f, t, _ := strings.Cut(string(kv.Value), "|")
		if from.Format(timeLayout) < t && f < to.Format(timeLayout) {
			return chengnuo.Errorf(chengnuo.ECONFLICT, "the period overlaps draw %s of item %s", attrs[2], item)
		}
	}
	return nil
}

const timeLayout = "2006-01-02T15:04:05.000000000Z"

// isHex32Bytes reports whether s is 32 bytes in lower-case hex.
func isHex32Bytes(s string) bool { return isHex64(s) }

// drawSample records a draw of the caller's commitments of an item anchored
// in [from, to) for routine verification (双随机): its candidates with their
// rates (as the applicants' credit stands now), its inspector pool and the
// SM3 of the drawing department's secret. It reads only that period,
// through the (department, item, time) index, and refuses a period with
// more than contract.MaxSampleCandidates commitments rather than cut it.
func drawSample(stub shim.ChaincodeStubInterface, a *contract.DrawSampleArgs) (*chengnuo.Sample, error) {
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	from, to, err := checkSampleRequest(&a.SampleRequest)
	if err != nil {
		return nil, err
	}
	if !isHex64(a.Commitment) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "a draw needs the SM3 (64 lower-case hex) of the drawing department's secret")
	}
	if err := checkOverlap(stub, org, a.ItemCode, from, to); err != nil {
		return nil, err
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	s := &chengnuo.Sample{ID: deriveID("SP", stub, a.ItemCode), Org: org, ItemCode: a.ItemCode, From: from, To: to,
		BasePermille: a.BasePermille, Inspectors: a.Inspectors, Candidates: []chengnuo.SampleCandidate{},
		Status: chengnuo.SampleDrawn, DrawnAt: ts, TxID: stub.GetTxID(), Commitment: a.Commitment,
		Selected: []string{}, Assignments: []chengnuo.SampleAssignment{}}
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
		for _, id := range orgItemIDs(kv.Key, kv.Value) {
			if len(s.Candidates) == contract.MaxSampleCandidates {
				return nil, chengnuo.Errorf(chengnuo.EINVALID, "the period holds more than %d commitments of %s; draw shorter periods", contract.MaxSampleCandidates, a.ItemCode)
			}
			c, _, err := readCommitment(stub, id)
			if err != nil {
				return nil, fmt.Errorf("sample candidate %s: %w", id, err)
			}
			records, err := applicantCredit(stub, c.ApplicantKey)
			if err != nil {
				return nil, err
			}
			s.Candidates = append(s.Candidates, chengnuo.SampleCandidate{CommitmentID: c.ID, Permille: samplePermille(records, a.BasePermille)})
		}
	}
	k, err := stub.CreateCompositeKey(sampleIndexObject, []string{org, a.ItemCode, s.ID})
	if err != nil {
		return nil, err
	}
	if err := stub.PutState(k, []byte(from.Format(timeLayout)+"|"+to.Format(timeLayout))); err != nil {
		return nil, err
	}
	return s, putSample(stub, s)
}

// putSample writes a draw and emits SampleChanged.
func putSample(stub shim.ChaincodeStubInterface, s *chengnuo.Sample) error {
	if _, err := putRecord(stub, sampleObject, s.ID, s); err != nil {
		return err
	}
	return setEvent(stub, contract.SampleChanged, *s)
}

// contributeSample adds a department's random contribution to another
// department's draw: the drawing department cannot know it when it commits
// to its secret, and the contributor cannot know the secret.
func contributeSample(stub shim.ChaincodeStubInterface, a *contract.ContributeSampleArgs) (*chengnuo.Sample, error) {
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	if !isHex32Bytes(a.Contribution) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "a contribution is 32 random bytes in lower-case hex")
	}
	s, _, err := readRecord[chengnuo.Sample](stub, sampleObject, a.ID, "sample")
	if err != nil {
		return nil, err
	}
	if s.Org == org {
		return nil, chengnuo.Errorf(chengnuo.EFORBIDDEN, "the drawing department cannot contribute to its own draw")
	}
	if s.Status != chengnuo.SampleDrawn {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "sample %s is already %s", s.ID, s.Status)
	}
	s.Contribution, s.ContributedBy, s.ContributedTx, s.Status = a.Contribution, org, stub.GetTxID(), chengnuo.SampleContributed
	return s, putSample(stub, s)
}

// publishSample reveals the drawing department's secret, checks it against
// the commitment, and records the selection and inspector assignments that
// follow from the secret and the contribution.
func publishSample(stub shim.ChaincodeStubInterface, a *contract.PublishSampleArgs) (*chengnuo.Sample, error) {
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	s, _, err := readRecord[chengnuo.Sample](stub, sampleObject, a.ID, "sample")
	if err != nil {
		return nil, err
	}
	if s.Org != org {
		return nil, chengnuo.Errorf(chengnuo.EFORBIDDEN, "only %s may publish its draw", s.Org)
	}
	if s.Status != chengnuo.SampleContributed {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "sample %s is %s; it is published once contributed to, once", s.ID, s.Status)
	}
	raw, err := hexBytes(a.Secret)
	if err != nil || len(raw) != 32 || sm.SM3Hex(raw) != s.Commitment {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the secret does not match the draw's commitment")
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	s.Secret = a.Secret
	s.Seed = SampleSeed(s.Secret, s.Contribution, s.ID)
	for _, c := range s.Candidates {
		if SampleSelected(s.Seed, c.CommitmentID, c.Permille) {
			s.Selected = append(s.Selected, c.CommitmentID)
			s.Assignments = append(s.Assignments, chengnuo.SampleAssignment{CommitmentID: c.CommitmentID,
				Inspectors: AssignInspectors(s.Seed, c.CommitmentID, s.Inspectors)})
		}
	}
	s.Status, s.PublishedAt, s.PublishedTx = chengnuo.SamplePublished, ts, stub.GetTxID()
	return s, putSample(stub, s)
}
