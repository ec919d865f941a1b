package fabric

import (
	"context"
	"errors"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chengnuo/chengnuo"
)

// mapError turns a fabric-gateway or gRPC error into a *chengnuo.Error. A
// coded chaincode error ("NOT_FOUND: …") found in the error details wins;
// otherwise the gRPC status decides. This is the only place that knows how
// Fabric reports failures.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*chengnuo.Error](err); ok {
		return err
	}
	if e := chaincodeError(err); e != nil {
		if e.Code == chengnuo.EINTERNAL {
			// The chaincode's own failure text stays in the log.
			return chengnuo.Internal("the chaincode failed", errors.New(e.Message))
		}
		return e
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &chengnuo.Error{Code: chengnuo.EUNAVAILABLE, Message: "the ledger did not answer in time"}
	}
	if _, ok := errors.AsType[*client.CommitStatusError](err); ok {
		return commitUnknown(err)
	}
	if _, ok := errors.AsType[*client.SubmitError](err); ok {
		// Not proof that nothing was recorded: with SmartBFT the peer's
		// gateway needs a quorum of orderers to acknowledge the transaction,
		// and an orderer that has already ordered it answers "request
		// already processed" (fabric issue 4415). Its outcome is unknown.
		return &chengnuo.Error{Code: chengnuo.EUNAVAILABLE, Message: "the ordering service did not confirm the transaction; it may still commit, look it up again later", Err: err}
	}
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled, codes.ResourceExhausted:
			return &chengnuo.Error{Code: chengnuo.EUNAVAILABLE, Message: "the ledger is unavailable", Err: err}
		case codes.FailedPrecondition:
			// The gateway could not find enough endorsers for the policy.
			return &chengnuo.Error{Code: chengnuo.EUNAVAILABLE, Message: "not enough organizations could endorse the transaction", Err: err}
		case codes.Aborted:
			return &chengnuo.Error{Code: chengnuo.EABORTED, Message: "the endorsing peers disagreed; retry", Err: err}
		case codes.Unknown:
			// The peer's limit on concurrent gateway calls
			// (peer.limits.concurrency.gatewayService) answers with a
			// plain error: the peer is busy, not broken.
			if strings.HasPrefix(st.Message(), "too many requests for ") {
				return &chengnuo.Error{Code: chengnuo.EUNAVAILABLE, Message: "the peer is busy (too many concurrent requests); retry", Err: err}
			}
		}
	}
	return chengnuo.Internal("the ledger call failed", err)
}

// commitUnknown reports a transaction whose commit status could not be
// obtained. It is not a failure: the transaction may still commit.
func commitUnknown(err error) error {
	return &chengnuo.Error{Code: chengnuo.EUNAVAILABLE, Message: "the transaction was submitted but its commit status is unknown; it may still commit, look it up again later", Err: err}
}

// mapCommitCode maps a transaction's validation code to a domain error.
func mapCommitCode(txID string, code peer.TxValidationCode) error {
	switch code {
	case peer.TxValidationCode_MVCC_READ_CONFLICT, peer.TxValidationCode_PHANTOM_READ_CONFLICT:
		return &chengnuo.Error{Code: chengnuo.EABORTED, Message: "a concurrent transaction changed the same record; retry", TxID: txID}
	case peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE:
		return &chengnuo.Error{Code: chengnuo.EPOLICY, Message: "the transaction was not endorsed by enough organizations and was rejected", TxID: txID}
	default:
		return &chengnuo.Error{Code: chengnuo.EINTERNAL, Message: "the transaction was rejected at commit", TxID: txID, Err: errors.New(code.String())}
	}
}

// chaincodeError looks for a coded chaincode message in err's text and its
// gRPC details. Peers report a chaincode error as "chaincode response 500,
// CODE: message".
func chaincodeError(err error) *chengnuo.Error {
	texts := []string{err.Error()}
	if st, ok := status.FromError(err); ok {
		texts = append(texts, st.Message())
		for _, d := range st.Details() {
			if ed, ok := d.(*gateway.ErrorDetail); ok {
				texts = append(texts, ed.GetMessage())
			}
		}
	}
	for _, t := range texts {
		if e := ParseCoded(t); e != nil {
			return e
		}
	}
	return nil
}

// ParseCoded finds the first "CODE: message" in text, where CODE is one of
// chengnuo.Codes, and returns it as a *chengnuo.Error; nil if there is none.
func ParseCoded(text string) *chengnuo.Error {
	best, bestAt := "", -1
	for _, code := range chengnuo.Codes {
		at := strings.Index(text, code+": ")
		if at < 0 {
			continue
		}
		// The code must start the text or follow a separator, so a code
		// word inside a message is not mistaken for the code.
		if at > 0 && !strings.ContainsAny(text[at-1:at], " ,:(") {
			continue
		}
		if bestAt < 0 || at < bestAt {
			best, bestAt = code, at
		}
	}
	if bestAt < 0 {
		return nil
	}
	return &chengnuo.Error{Code: best, Message: strings.TrimSpace(text[bestAt+len(best)+2:])}
}

// withTx attaches the transaction id to a domain error.
func withTx(err error, txID string) error {
	if e, ok := errors.AsType[*chengnuo.Error](err); ok && e.TxID == "" {
		cp := *e
		cp.TxID = txID
		return &cp
	}
	return err
}
