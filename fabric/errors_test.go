package fabric

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chengnuo/chengnuo"
)

func TestParseCoded(t *testing.T) {
	tests := []struct {
		text, code, msg string
	}{
		{"CONFLICT: digest x is already anchored", chengnuo.ECONFLICT, "digest x is already anchored"},
		{"chaincode response 500, NOT_FOUND: digest y is not anchored", chengnuo.ENOTFOUND, "digest y is not anchored"},
		{"rpc error: code = Unknown desc = INVALID_ARGUMENT: expected 1 argument(s), got 0", chengnuo.EINVALID, "expected 1 argument(s), got 0"},
		{"FORBIDDEN: not yours; CONFLICT: later", chengnuo.EFORBIDDEN, "not yours; CONFLICT: later"},
		{"XNOT_FOUND: embedded in a word", "", ""},
		{"nothing coded here", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		e := ParseCoded(tt.text)
		if tt.code == "" {
			if e != nil {
				t.Errorf("ParseCoded(%q) = %+v, want nil", tt.text, e)
			}
			continue
		}
		if e == nil || e.Code != tt.code || e.Message != tt.msg {
			t.Errorf("ParseCoded(%q) = %+v, want %s %q", tt.text, e, tt.code, tt.msg)
		}
	}
}

func TestMapError(t *testing.T) {
	detailed, err := status.New(codes.Aborted, "failed to endorse transaction, see attached details for more info").
		WithDetails(&gateway.ErrorDetail{Address: "peer:1", MspId: "MarketMSP", Message: "chaincode response 500, CONFLICT: digest z is already anchored"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		code string
	}{
		{"coded detail", detailed.Err(), chengnuo.ECONFLICT},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), chengnuo.EUNAVAILABLE},
		{"grpc unavailable", status.Error(codes.Unavailable, "connection refused"), chengnuo.EUNAVAILABLE},
		{"no endorsers", status.Error(codes.FailedPrecondition, "no peers available"), chengnuo.EUNAVAILABLE},
		{"peer busy", status.Error(codes.Unknown, "too many requests for /gateway.Gateway, exceeding concurrency limit (500)"), chengnuo.EUNAVAILABLE},
		{"other unknown", status.Error(codes.Unknown, "something else"), chengnuo.EINTERNAL},
		{"other", errors.New("boom"), chengnuo.EINTERNAL},
		{"domain passes through", chengnuo.Errorf(chengnuo.EFORBIDDEN, "no"), chengnuo.EFORBIDDEN},
	}
	for _, tt := range tests {
		if got := chengnuo.ErrorCode(mapError(tt.err)); got != tt.code {
			t.Errorf("%s: code %s, want %s", tt.name, got, tt.code)
		}
	}
	if mapError(nil) != nil {
		t.Error("mapError(nil) != nil")
	}
}

func TestMapCommitCode(t *testing.T) {
	tests := map[peer.TxValidationCode]string{
		peer.TxValidationCode_MVCC_READ_CONFLICT:         chengnuo.EABORTED,
		peer.TxValidationCode_PHANTOM_READ_CONFLICT:      chengnuo.EABORTED,
		peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE: chengnuo.EPOLICY,
		peer.TxValidationCode_BAD_PAYLOAD:                chengnuo.EINTERNAL,
	}
	for code, want := range tests {
		err := withTx(mapCommitCode("tx9", code), "tx9")
		var e *chengnuo.Error
		if !errors.As(err, &e) || e.Code != want || e.TxID != "tx9" {
			t.Errorf("%s: %+v, want code %s with tx id", code, err, want)
		}
	}
}
