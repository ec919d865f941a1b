package chaincode

import (
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/sm"
)

// Free texts never go on the shared ledger: a record holds the salted SM3
// of its text, the author keeps the text, and shareText hands it to the one
// department entitled to it, into that department's implicit private
// collection. Who writes and who reads follows from the text's kind and its
// record, never from the caller's say.

func textKey(digest string) string { return "text~" + digest }

// textParties returns the digest a record holds for a text kind, the
// organization that wrote it, and the one entitled to read it.
func textParties(stub shim.ChaincodeStubInterface, kind, ref string) (digest, author, reader string, err error) {
	switch kind {
	case chengnuo.TextDecline, chengnuo.TextEvidence:
		r, _, err := readRequest(stub, ref)
		if err != nil {
			return "", "", "", err
		}
		if r.Answer != nil {
			digest = r.Answer.DeclineDigest
			if kind == chengnuo.TextEvidence {
				digest = r.Answer.EvidenceDigest
			}
		}
		return digest, r.To, r.From, nil
	case chengnuo.TextProposal, chengnuo.TextProposalDecision:
		p, _, err := readRecord[chengnuo.Proposal](stub, proposalObject, ref, "proposal")
		if err != nil {
			return "", "", "", err
		}
		if kind == chengnuo.TextProposal {
			return p.ReasonDigest, p.From, chengnuo.CatalogAuthority, nil
		}
		return p.DecisionDigest, chengnuo.CatalogAuthority, p.From, nil
	case chengnuo.TextObjection, chengnuo.TextObjectionDecision:
		o, _, err := readRecord[chengnuo.Objection](stub, objectionObject, ref, "objection")
		if err != nil {
			return "", "", "", err
		}
		if kind == chengnuo.TextObjection {
			return o.ReasonDigest, o.From, chengnuo.CreditAuthority, nil
		}
		return o.DecisionDigest, chengnuo.CreditAuthority, o.From, nil
	}
	return "", "", "", chengnuo.Errorf(chengnuo.EINVALID, "unknown text kind %q", kind)
}

// shareText writes a text (transient data) into the entitled department's
// implicit collection. It writes nothing public, so that department alone
// endorses it and only its peers ever hold the text.
func shareText(stub shim.ChaincodeStubInterface, a *contract.ShareArgs) (*contract.Done, error) {
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	if !isHex64(a.Digest) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "digest must be 64 lower-case hex characters")
	}
	digest, author, reader, err := textParties(stub, a.Kind, a.Ref)
	if err != nil {
		return nil, err
	}
	if org != author {
		return nil, chengnuo.Errorf(chengnuo.EFORBIDDEN, "only %s may share the %s text of %s; caller is %s", author, a.Kind, a.Ref, org)
	}
	if digest == "" {
		// This peer has not committed the record's text digest yet.
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "%s holds no %s text yet", a.Ref, a.Kind)
	}
	if digest != a.Digest {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "%s holds another %s text", a.Ref, a.Kind)
	}
	tm, err := stub.GetTransient()
	if err != nil {
		return nil, err
	}
	raw, ok := tm[contract.TransientText]
	if !ok || len(raw) == 0 || len(raw) > contract.MaxTextBytes {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the text must be passed as transient data %q (at most %d bytes)", contract.TransientText, contract.MaxTextBytes)
	}
	var t chengnuo.SharedText
	if err := contract.Strict(raw, &t); err != nil {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "malformed text: %v", err)
	}
	salt, err := hexBytes(t.Salt)
	if err != nil || t.Kind != a.Kind || t.Ref != a.Ref || t.Digest != a.Digest || t.From != org || sm.TextDigest(salt, t.Text) != a.Digest {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the text does not make the digest %s holds", a.Ref)
	}
	if err := stub.PutPrivateData(contract.ImplicitCollection(reader), textKey(a.Digest), raw); err != nil {
		return nil, fmt.Errorf("write text: %w", err)
	}
	return &contract.Done{Done: true}, nil
}

// getText returns a text shared with the caller's organization.
func getText(stub shim.ChaincodeStubInterface, a *contract.DigestArgs) (*chengnuo.SharedText, error) {
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	if !isHex64(a.Digest) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "digest must be 64 lower-case hex characters")
	}
	raw, err := stub.GetPrivateData(contract.ImplicitCollection(org), textKey(a.Digest))
	if err != nil {
		return nil, fmt.Errorf("read text: %w", err)
	}
	if raw == nil {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "no text %s was shared with %s", a.Digest, org)
	}
	var t chengnuo.SharedText
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("decode text: %w", err)
	}
	return &t, nil
}
