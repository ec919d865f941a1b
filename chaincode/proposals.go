package chaincode

import (
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
)

// Proposal kinds and statuses.
const (
	proposalAdd    = "ADD"
	proposalChange = "CHANGE"
	proposalRetire = "RETIRE"

	proposalPending  = "PENDING"
	proposalApproved = "APPROVED"
	proposalRejected = "REJECTED"
)

// checkProposal validates a proposal against the catalog and returns the
// code it is about.
func checkProposal(stub shim.ChaincodeStubInterface, a *contract.ProposalArgs) (string, error) {
	switch a.Kind {
	case proposalAdd, proposalChange:
		if a.Item == nil {
			return "", chengnuo.Errorf(chengnuo.EINVALID, "an %s proposal carries the item", a.Kind)
		}
		if err := validateItem(a.Item); err != nil {
			return "", err
		}
		head, err := readHead(stub, a.Item.Code)
		if err != nil {
			return "", err
		}
		if a.Kind == proposalAdd && head != nil {
			return "", chengnuo.Errorf(chengnuo.ECONFLICT, "item %s already exists; propose a CHANGE", a.Item.Code)
		}
		if a.Kind == proposalChange && head == nil {
			return "", chengnuo.Errorf(chengnuo.ENOTFOUND, "item %s does not exist; propose an ADD", a.Item.Code)
		}
		return a.Item.Code, nil
	case proposalRetire:
		if a.Item != nil {
			return "", chengnuo.Errorf(chengnuo.EINVALID, "a RETIRE proposal names only the code")
		}
		if _, err := loadItem(stub, a.Code, 0); err != nil {
			return "", err
		}
		return a.Code, nil
	}
	return "", chengnuo.Errorf(chengnuo.EINVALID, "kind must be ADD, CHANGE or RETIRE")
}

// proposeItemChange records a department's proposal to add, change or
// retire a catalog item.
func proposeItemChange(stub shim.ChaincodeStubInterface, a *contract.ProposalArgs) (*chengnuo.Proposal, error) {
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	if !isHex64(a.ReasonDigest) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "a proposal needs the salted SM3 of its reason")
	}
	code, err := checkProposal(stub, a)
	if err != nil {
		return nil, err
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	p := &chengnuo.Proposal{ID: deriveID("PR", stub, code), Kind: a.Kind, Code: code, Item: a.Item, ReasonDigest: a.ReasonDigest,
		From: org, Status: proposalPending, ProposedAt: ts, TxID: stub.GetTxID()}
	if _, err := putRecord(stub, proposalObject, p.ID, p); err != nil {
		return nil, err
	}
	return p, nil
}

// decideProposal approves (publishing the new version, or retiring) or
// rejects a proposal.
func decideProposal(stub shim.ChaincodeStubInterface, a *contract.DecideProposalArgs) (*chengnuo.Proposal, error) {
	if _, err := requireCatalogAuthority(stub); err != nil {
		return nil, err
	}
	if !isHex64(a.ReasonDigest) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "a decision needs the salted SM3 of its reason")
	}
	p, key, err := readRecord[chengnuo.Proposal](stub, proposalObject, a.ID, "proposal")
	if err != nil {
		return nil, err
	}
	if p.Status != proposalPending {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "proposal %s is already %s", p.ID, p.Status)
	}
	p.Status = proposalRejected
	if a.Approve {
		var it *chengnuo.Item
		if p.Kind == proposalRetire {
			it, err = retire(stub, p.Code)
		} else {
			cp := *p.Item
			it, err = publish(stub, &cp)
		}
		if err != nil {
			return nil, err
		}
		p.Status, p.Version = proposalApproved, it.Version
	}
	p.DecisionDigest, p.DecisionTx = a.ReasonDigest, stub.GetTxID()
	if _, err := putJSON(stub, key, p); err != nil {
		return nil, err
	}
	return p, nil
}
