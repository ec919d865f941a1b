// Package chengnuo is the domain of a notarization service for 证明事项告知承诺制
// (the notification and commitment system for certification items): the
// records departments anchor on a shared ledger, the service interfaces the
// adapters implement, and the one error type every layer speaks.
//
// It imports only the standard library. The Fabric adapter (package fabric),
// the HTTP API (package gateway) and the chaincode depend on it, never the
// reverse; cmd/ wires them together.
package chengnuo

import (
	"errors"
	"fmt"
)

// Error codes are stable strings: clients and the chaincode's error text rely
// on them, so they never change once published.
const (
	EINVALID      = "INVALID_ARGUMENT"    // the request is malformed or breaks a rule
	ENOTFOUND     = "NOT_FOUND"           // no such record
	ECONFLICT     = "CONFLICT"            // the record already exists or is in the wrong state
	EFORBIDDEN    = "FORBIDDEN"           // the caller may not do this
	EUNAUTHORIZED = "UNAUTHORIZED"        // the caller is not authenticated
	ETOOLARGE     = "PAYLOAD_TOO_LARGE"   // the request body exceeds the documented limit
	EUNAVAILABLE  = "UNAVAILABLE"         // the ledger could not be reached or did not answer in time
	EINTERNAL     = "INTERNAL"            // a bug or an unexpected failure
	ERATELIMITED  = "RATE_LIMITED"        // too many requests from this client
	EPOLICY       = "ENDORSEMENT_REFUSED" // the network's endorsement policy rejected the transaction
	EINELIGIBLE   = "NOT_ELIGIBLE"        // the applicant may not use the commitment route (credit)
)

// Codes lists every error code, for documentation and exhaustive tests.
var Codes = []string{EINVALID, ENOTFOUND, ECONFLICT, EFORBIDDEN, EUNAUTHORIZED, ETOOLARGE, EUNAVAILABLE, EINTERNAL, ERATELIMITED, EPOLICY, EINELIGIBLE}

// Error is the domain error. Code is machine-readable and stable; Message is
// safe to show to the user. TxID names the Fabric transaction involved, if
// any, and Detail carries a structured payload for the client (for example
// the existing record on a conflict).
type Error struct {
	Code    string
	Message string
	TxID    string
	Detail  any
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.TxID != "" {
		return fmt.Sprintf("%s: %s (tx %s)", e.Code, e.Message, e.TxID)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of the first *Error in err's
// chain, and a generic text for any other error so internals never leak.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return "internal error"
}
