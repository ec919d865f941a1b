// Package chengnuo is the domain of a notarization service for 证明事项告知承诺制
// (the notification and commitment system for certification items): the
// records departments anchor on a shared ledger, the ports the adapters
// implement (Ledger, Store, Registry) and the Service the HTTP gateway
// serves, and the one error type every layer speaks.
//
// It imports only the standard library. The chaincode's wire contract lives
// beside it in package contract; the Fabric adapter (fabric), the department
// store (bolt), the registry client (registry), the application service
// (notary) and the HTTP API (gateway) depend on it, never the reverse; only
// cmd/ wires them together.
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
	ECONFLICT     = "CONFLICT"            // the record already exists or is in a state that forbids the action
	EABORTED      = "ABORTED"             // a concurrent transaction changed the same records; retrying may succeed
	EFORBIDDEN    = "FORBIDDEN"           // the caller may not do this
	EUNAUTHORIZED = "UNAUTHORIZED"        // the caller is not authenticated
	EMETHOD       = "METHOD_NOT_ALLOWED"  // the route exists, but not with this HTTP method
	ETOOLARGE     = "PAYLOAD_TOO_LARGE"   // the request body exceeds the documented limit
	EUNAVAILABLE  = "UNAVAILABLE"         // the ledger or a store could not be reached or did not answer in time
	EINTERNAL     = "INTERNAL"            // a bug or an unexpected failure; details are logged, never returned
	ERATELIMITED  = "RATE_LIMITED"        // too many requests from this client
	EPOLICY       = "ENDORSEMENT_REFUSED" // the network's endorsement policy rejected the transaction
	EINELIGIBLE   = "NOT_ELIGIBLE"        // the applicant may not use the commitment route (credit)
)

// Codes lists every error code, for documentation and exhaustive tests.
var Codes = []string{EINVALID, ENOTFOUND, ECONFLICT, EABORTED, EFORBIDDEN, EUNAUTHORIZED, EMETHOD, ETOOLARGE,
	EUNAVAILABLE, EINTERNAL, ERATELIMITED, EPOLICY, EINELIGIBLE}

// Error is the domain error. Code is machine-readable and stable; Message is
// safe to show to the user. TxID names the Fabric transaction involved, if
// any, and Detail carries a structured payload for the client (for example
// the existing record on a conflict). Err is the internal cause: it is
// logged, never shown to clients.
type Error struct {
	Code    string
	Message string
	TxID    string
	Detail  any
	Err     error
}

// Error implements the error interface; it includes the internal cause, so
// it is for logs, not for clients (use ErrorMessage).
func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.TxID != "" {
		s += " (tx " + e.TxID + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure: clients see only what, the cause is
// kept for the log.
func Internal(what string, cause error) *Error {
	return &Error{Code: EINTERNAL, Message: what, Err: cause}
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

// Retryable reports whether err is worth retrying unchanged: the ledger was
// unavailable or a concurrent transaction won a race.
func Retryable(err error) bool {
	switch ErrorCode(err) {
	case EUNAVAILABLE, EABORTED:
		return true
	}
	return false
}
