package chaincode

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
)

// anchor records a bare SM3 digest. A digest already on the ledger is
// refused with CONFLICT, so the first anchoring (and its time) can never be
// replaced.
func anchor(stub shim.ChaincodeStubInterface, a *contract.DigestArgs) (*chengnuo.Anchor, error) {
	digest, err := chengnuo.NormalizeDigest(a.Digest)
	if err != nil {
		return nil, err
	}
	existing, _, err := readRecord[chengnuo.Anchor](stub, anchorObject, digest, "anchor")
	if err == nil {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "digest %s is already anchored (tx %s)", digest, existing.TxID)
	}
	if chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		return nil, err
	}
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	rec := &chengnuo.Anchor{Digest: digest, Org: org, TxID: stub.GetTxID(), Timestamp: ts}
	raw, err := putRecord(stub, anchorObject, digest, rec)
	if err != nil {
		return nil, err
	}
	if err := stub.SetEvent(contract.Anchored.Name, raw); err != nil {
		return nil, fmt.Errorf("set event: %w", err)
	}
	return rec, nil
}

func getAnchor(stub shim.ChaincodeStubInterface, a *contract.DigestArgs) (*chengnuo.Anchor, error) {
	digest, err := chengnuo.NormalizeDigest(a.Digest)
	if err != nil {
		return nil, err
	}
	rec, _, err := readRecord[chengnuo.Anchor](stub, anchorObject, digest, "anchor")
	if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "digest %s is not anchored", digest)
	}
	return rec, err
}

func readCommitment(stub shim.ChaincodeStubInterface, id string) (*chengnuo.Commitment, string, error) {
	return readRecord[chengnuo.Commitment](stub, commitmentObject, id, "commitment")
}

// batch is the state of one anchoring transaction. Fabric does not let a
// transaction read its own writes, so ids taken earlier in the same batch
// are tracked here; everything the batch reads is read up front, in one
// GetMultipleStates call per kind of key, and items once per version.
type batch struct {
	org      string
	at       time.Time
	ids      map[string]string // commitment id -> letter digest, taken in this transaction
	existing map[string][]byte // commitment key -> record, as read before the batch
	standing map[string][]byte // applicant key -> standing, as read before the batch
	items    map[string]*chengnuo.Item
	itemErr  map[string]error
	created  []*chengnuo.Commitment
	scans    map[string]bool // scan digests anchored in this transaction
}

// prefetch reads the commitment and standing keys of every well-formed
// request of the batch.
func (b *batch) prefetch(stub shim.ChaincodeStubInterface, reqs []chengnuo.AnchorRequest) error {
	var ckeys, akeys, applicants []string
	seen := map[string]bool{}
	for _, r := range reqs {
		if !isHex64(r.LetterDigest) || !isHex64(r.ApplicantKey) {
			continue
		}
		k, err := stub.CreateCompositeKey(commitmentObject, []string{chengnuo.CommitmentID(r.LetterDigest)})
		if err != nil {
			return err
		}
		if !seen[k] {
			seen[k] = true
			ckeys = append(ckeys, k)
		}
		if !seen[r.ApplicantKey] {
			seen[r.ApplicantKey] = true
			sk, err := standingKey(stub, r.ApplicantKey)
			if err != nil {
				return err
			}
			akeys, applicants = append(akeys, sk), append(applicants, r.ApplicantKey)
		}
	}
	read := func(keys []string, names []string, into map[string][]byte) error {
		if len(keys) == 0 {
			return nil
		}
		vals, err := stub.GetMultipleStates(keys...)
		if err != nil {
			return fmt.Errorf("read %d keys: %w", len(keys), err)
		}
		for i, v := range vals {
			if v != nil {
				into[names[i]] = v
			}
		}
		return nil
	}
	if err := read(ckeys, ckeys, b.existing); err != nil {
		return err
	}
	return read(akeys, applicants, b.standing)
}

// item loads an item version once per batch.
func (b *batch) item(stub shim.ChaincodeStubInterface, code string, version int) (*chengnuo.Item, error) {
	k := fmt.Sprintf("%s\x00%d", code, version)
	if it, ok := b.items[k]; ok {
		return it, b.itemErr[k]
	}
	it, err := loadItem(stub, code, version)
	b.items[k], b.itemErr[k] = it, err
	return it, err
}

// anchorOne checks and records one letter. A refused letter returns a result
// with a code and writes nothing.
func anchorOne(stub shim.ChaincodeStubInterface, b *batch, req chengnuo.AnchorRequest) (chengnuo.AnchorResult, error) {
	// A created letter's result is {"created":true}: results are in request
	// order, and a digest per letter would add 81 bytes to every letter's
	// share of the block. A refusal names its letter.
	var res chengnuo.AnchorResult
	refuse := func(code, format string, a ...any) (chengnuo.AnchorResult, error) {
		res.LetterDigest, res.Code, res.Message = req.LetterDigest, code, fmt.Sprintf(format, a...)
		return res, nil
	}
	if !isHex64(req.LetterDigest) {
		return refuse(chengnuo.EINVALID, "letterDigest must be 64 lower-case hex characters")
	}
	if req.SignedBy != chengnuo.SignedSM2 && req.SignedBy != chengnuo.SignedSM2Key && req.SignedBy != chengnuo.SignedPaper {
		return refuse(chengnuo.EINVALID, "signedBy must be %s, %s or %s", chengnuo.SignedSM2, chengnuo.SignedSM2Key, chengnuo.SignedPaper)
	}
	if !isHex64(req.ApplicantKey) {
		return refuse(chengnuo.EINVALID, "applicantKey must be 64 lower-case hex characters")
	}
	if req.ScanDigest != "" {
		switch {
		case !isHex64(req.ScanDigest):
			return refuse(chengnuo.EINVALID, "scanDigest must be 64 lower-case hex characters")
		case req.SignedBy != chengnuo.SignedPaper:
			return refuse(chengnuo.EINVALID, "only a letter signed on paper has a scan digest")
		case req.ScanDigest == req.LetterDigest:
			return refuse(chengnuo.EINVALID, "the scan digest is the letter's own digest")
		}
	}
	id := chengnuo.CommitmentID(req.LetterDigest)
	if d, ok := b.ids[id]; ok {
		if d == req.LetterDigest {
			return refuse(chengnuo.EINVALID, "letter appears twice in the batch")
		}
		return refuse(chengnuo.ECONFLICT, "commitment id %s is taken by another letter of this batch", id)
	}
	key, err := stub.CreateCompositeKey(commitmentObject, []string{id})
	if err != nil {
		return res, err
	}
	if raw, ok := b.existing[key]; ok {
		var existing chengnuo.Commitment
		if err := json.Unmarshal(raw, &existing); err != nil {
			return res, fmt.Errorf("decode %q: %w", key, err)
		}
		if existing.LetterDigest != req.LetterDigest {
			return refuse(chengnuo.ECONFLICT, "commitment id %s is taken by another letter", id)
		}
		res.Record = &existing
		return refuse(chengnuo.ECONFLICT, "letter %s is already anchored as %s", req.LetterDigest, id)
	}
	it, err := b.item(stub, req.ItemCode, req.ItemVersion)
	if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
		return refuse(chengnuo.EINVALID, "%s", chengnuo.ErrorMessage(err))
	}
	if err != nil {
		return res, err
	}
	switch {
	case req.ItemVersion == 0 || it.Version != req.ItemVersion:
		return refuse(chengnuo.EINVALID, "itemVersion is required")
	case it.Status != chengnuo.ItemActive:
		return refuse(chengnuo.EINVALID, "item %s version %d is retired or superseded and accepts no new letters", it.Code, it.Version)
	case it.NoticeDigest != req.NoticeDigest:
		return refuse(chengnuo.EINVALID, "the notice does not match item %s version %d", it.Code, it.Version)
	case it.RequireCertificate && req.SignedBy != chengnuo.SignedSM2:
		return refuse(chengnuo.EINVALID, "item %s requires letters signed with an applicant certificate", it.Code)
	}
	if raw, ok := b.standing[req.ApplicantKey]; ok {
		var st standing
		if err := json.Unmarshal(raw, &st); err != nil {
			return res, fmt.Errorf("decode standing: %w", err)
		}
		if len(st.Active) > 0 {
			return refuse(chengnuo.EINELIGIBLE, "the applicant has an unrepaired false-commitment record %s; the commitment route is closed until credit repair", st.Active[0])
		}
	}
	if req.ScanDigest != "" {
		if refused, code, msg, err := b.checkScan(stub, req.ScanDigest); err != nil || refused {
			if err != nil {
				return res, err
			}
			return refuse(code, "%s", msg)
		}
	}
	c := chengnuo.NewCommitment(req, b.org, b.at, stub.GetTxID())
	if err := writeCommitment(stub, key, c); err != nil {
		return res, err
	}
	if req.ScanDigest != "" {
		// The scan's digest is anchored as naming the commitment, so that
		// it finds the record (and can never be anchored again).
		a := &chengnuo.Anchor{Digest: req.ScanDigest, Org: b.org, TxID: stub.GetTxID(), Timestamp: b.at, CommitmentID: id}
		if _, err := putRecord(stub, anchorObject, req.ScanDigest, a); err != nil {
			return res, err
		}
		b.scans[req.ScanDigest] = true
	}
	b.ids[id] = req.LetterDigest
	b.created = append(b.created, c)
	res.Created = true
	return res, nil
}

// checkScan refuses a scan digest that is anchored already: as a bare
// anchor or another letter's scan, as a letter of its own, or earlier in
// the batch.
func (b *batch) checkScan(stub shim.ChaincodeStubInterface, scan string) (refused bool, code, msg string, err error) {
	if b.scans[scan] {
		return true, chengnuo.EINVALID, "the scan appears twice in the batch", nil
	}
	if b.ids[chengnuo.CommitmentID(scan)] == scan {
		return true, chengnuo.EINVALID, "the scan is a letter of this batch", nil
	}
	if a, _, err := readRecord[chengnuo.Anchor](stub, anchorObject, scan, "anchor"); err == nil {
		return true, chengnuo.ECONFLICT, fmt.Sprintf("the scan %s is anchored already (tx %s)", scan, a.TxID), nil
	} else if chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		return false, "", "", err
	}
	if c, _, err := readCommitment(stub, chengnuo.CommitmentID(scan)); err == nil && c.LetterDigest == scan {
		return true, chengnuo.ECONFLICT, fmt.Sprintf("the scan %s is anchored as letter %s", scan, c.ID), nil
	} else if err != nil && chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		return false, "", "", err
	}
	return false, "", "", nil
}

// writeCommitment writes a new commitment record; the batch writes the
// (department, item, time) index once per item. An applicant's letters are
// listed from the gateways' read models, not from a ledger index.
func writeCommitment(stub shim.ChaincodeStubInterface, key string, c *chengnuo.Commitment) error {
	raw, err := c.LedgerJSON()
	if err != nil {
		return err
	}
	if err := stub.PutState(key, raw); err != nil {
		return fmt.Errorf("write %q: %w", key, err)
	}
	return nil
}

// writeOrgItemIndex writes one (department, item, time) index entry per item
// of the letters the batch created.
func (b *batch) writeOrgItemIndex(stub shim.ChaincodeStubInterface) error {
	byItem := map[string][]string{}
	for _, c := range b.created {
		byItem[c.ItemCode] = append(byItem[c.ItemCode], c.ID)
	}
	items := make([]string, 0, len(byItem))
	for item := range byItem {
		items = append(items, item)
	}
	slices.Sort(items) // the write set does not care; determinism is cheap
	for _, item := range items {
		ids := byItem[item]
		slices.Sort(ids)
		if err := stub.PutState(orgItemKey(b.org, item, b.at, stub.GetTxID()), []byte(strings.Join(ids, ","))); err != nil {
			return err
		}
	}
	return nil
}

// anchorCommitments anchors a batch of 1..MaxBatch letters and reports a
// result per letter; refused letters do not stop the others.
func anchorCommitments(stub shim.ChaincodeStubInterface, a *contract.AnchorBatchArgs) (*contract.AnchorBatchResult, error) {
	letters, err := a.Requests()
	if err != nil {
		return nil, err
	}
	if len(letters) == 0 || len(letters) > contract.MaxBatch {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "a batch holds 1 to %d letters, got %d", contract.MaxBatch, len(letters))
	}
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	b := &batch{org: org, at: ts, ids: map[string]string{}, existing: map[string][]byte{}, standing: map[string][]byte{},
		items: map[string]*chengnuo.Item{}, itemErr: map[string]error{}, scans: map[string]bool{}}
	if err := b.prefetch(stub, letters); err != nil {
		return nil, err
	}
	out := &contract.AnchorBatchResult{AnchoredAt: ts, Results: make([]chengnuo.AnchorResult, 0, len(letters))}
	for _, r := range letters {
		res, err := anchorOne(stub, b, r)
		if err != nil {
			return nil, err
		}
		out.Results = append(out.Results, res)
	}
	if len(b.created) > 0 {
		if err := b.writeOrgItemIndex(stub); err != nil {
			return nil, err
		}
		ids := make([]string, len(b.created))
		for i, c := range b.created {
			ids[i] = c.ID
		}
		if err := setEvent(stub, contract.CommitmentsAnchored, ids); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// setEvent emits a contract event with its typed payload.
func setEvent[P any](stub shim.ChaincodeStubInterface, ev contract.Event[P], payload P) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	if err := stub.SetEvent(ev.Name, raw); err != nil {
		return fmt.Errorf("set event %s: %w", ev.Name, err)
	}
	return nil
}

func getCommitment(stub shim.ChaincodeStubInterface, a *contract.IDArgs) (*chengnuo.Commitment, error) {
	c, _, err := readCommitment(stub, a.ID)
	return c, err
}

// ownCommitment loads a commitment the caller's organization anchored.
func ownCommitment(stub shim.ChaincodeStubInterface, id, what string) (*chengnuo.Commitment, string, string, error) {
	org, err := callerMSP(stub)
	if err != nil {
		return nil, "", "", err
	}
	c, key, err := readCommitment(stub, id)
	if err != nil {
		return nil, "", "", err
	}
	if c.Org != org {
		return nil, "", "", chengnuo.Errorf(chengnuo.EFORBIDDEN, "commitment %s belongs to %s; %s may not %s it", id, c.Org, org, what)
	}
	return c, key, org, nil
}

// transition moves a commitment of the caller's org to status `to` from
// ACTIVE, appending to its history, and emits CommitmentChanged.
func transition(stub shim.ChaincodeStubInterface, id, to, reasonDigest string) (*chengnuo.Commitment, error) {
	c, key, org, err := ownCommitment(stub, id, "change")
	if err != nil {
		return nil, err
	}
	if c.Status != chengnuo.StatusActive {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "commitment %s is %s and cannot become %s", id, c.Status, to)
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	c.Status = to
	c.History = append(c.History, chengnuo.Transition{Status: to, Org: org, At: ts, TxID: stub.GetTxID(), ReasonDigest: reasonDigest})
	if _, err := putJSON(stub, key, c); err != nil {
		return nil, err
	}
	if err := setEvent(stub, contract.CommitmentChanged, *c); err != nil {
		return nil, err
	}
	return c, nil
}

// withdraw records the applicant's withdrawal (撤回承诺), with the digest of
// the reason; only before the matter is concluded.
func withdraw(stub shim.ChaincodeStubInterface, a *contract.TransitionArgs) (*chengnuo.Commitment, error) {
	if !isHex64(a.ReasonDigest) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "a withdrawal needs the SM3 digest of its reason")
	}
	return transition(stub, a.ID, chengnuo.StatusWithdrawn, a.ReasonDigest)
}

// conclude records that the matter is concluded (办结).
func conclude(stub shim.ChaincodeStubInterface, a *contract.TransitionArgs) (*chengnuo.Commitment, error) {
	if a.ReasonDigest != "" {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "a conclusion carries no reason")
	}
	return transition(stub, a.ID, chengnuo.StatusConcluded, "")
}
