package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/chengnuo/chengnuo/client"
)

// The tests talk to the gateways through the Go client generated from the
// API contract (package client), as an integrator's code would; raw
// requests (callType) are kept for what a generated client cannot send:
// malformed and hostile input. Every exchange, generated or raw, is checked
// against the contract.

// contractDoer is the generated client's transport: it sends the request
// with the tests' HTTP client and checks the exchange against the contract.
type contractDoer struct{ t testing.TB }

func (d contractDoer) Do(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(raw))
	checkContract(d.t, req, body, res.StatusCode, res.Header, raw)
	return res, nil
}

// apiAt is the generated client of a department's gateway, authenticated
// as role ("" for a public caller).
func apiAt(t testing.TB, slot int, role string) *client.ClientWithResponses {
	t.Helper()
	return apiAtURL(t, gatewayURL(slot), keyOf(t, slot, role))
}

// apiAtURL is the generated client of the gateway at url with key ("" for none).
func apiAtURL(t testing.TB, url, key string) *client.ClientWithResponses {
	t.Helper()
	c, err := client.New(url, contractDoer{t}, key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func keyOf(t testing.TB, slot int, role string) string {
	if role == "" {
		return ""
	}
	return apiKey(t, slot, role)
}

// got turns a generated call's result into the tests' response: its status,
// its body decoded as generic JSON (what the assertions read) and raw. The
// generated code has decoded the body into the contract's types already; a
// body that does not fit them fails the call, and so the test.
//
//	r := got(t)(apiAt(t, market, "CLERK").SubmitCommitmentWithResponse(ctx, sub))
func got(t testing.TB) func(res interface{ StatusCode() int }, err error) response {
	return func(res interface{ StatusCode() int }, err error) response {
		t.Helper()
		if err != nil {
			t.Fatalf("generated client: %v", err)
		}
		raw := reflect.Indirect(reflect.ValueOf(res)).FieldByName("Body").Bytes()
		r := response{Status: res.StatusCode(), Raw: string(raw)}
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &r.Body); err != nil {
				t.Fatalf("HTTP %d: body is not JSON: %q", r.Status, raw)
			}
		}
		return r
	}
}

// ctxOf is a context for one call: the test's own (Go 1.24), canceled when
// the test ends.
func ctxOf(t testing.TB) context.Context { return t.Context() }
