// Package client is the Go client of a department's gateway: client.gen.go
// is generated from the API contract (gateway/openapi.yaml) by oapi-codegen,
// exactly as an integrator would generate it (scripts/api.sh generate; make
// test fails when it is stale). The project's own tools — the demo, the CLI,
// the load generator and the integration tests — talk to the gateways
// through it, so every test run exercises the contract with generated code.
//
// This file adds what every caller needs around the generated calls: API-key
// authentication and one error for answers that are not the expected ones.
package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"time"
)

// New returns a client of the gateway at server (e.g.
// http://198.18.17.11:17081) over hc, authenticating with key if it is not
// empty.
func New(server string, hc HttpRequestDoer, key string) (*ClientWithResponses, error) {
	opts := []ClientOption{WithHTTPClient(hc)}
	if key != "" {
		opts = append(opts, WithRequestEditorFn(Bearer(key)))
	}
	return NewClientWithResponses(server, opts...)
}

// Bearer authenticates a request with a department's API key.
func Bearer(key string) RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+key)
		return nil
	}
}

// StatusError is an answer with a status the caller did not expect: the
// gateway's error (code and message) when the body is one.
type StatusError struct {
	Status     int
	Code       string // the error code (INVALID_ARGUMENT, ...), "" if the body is not an Error
	Message    string
	RetryAfter time.Duration // from Retry-After, when given
	Body       []byte
}

func (e *StatusError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("HTTP %d: %.200s", e.Status, e.Body)
}

// OK checks a generated call's result: an error, or an answer whose status
// is not 2xx, becomes an error (a *StatusError for an answer); otherwise r
// is returned as it is. It takes the call's two results directly:
//
//	r, err := client.OK(c.GetAnchorWithResponse(ctx, digest))
func OK[R interface{ StatusCode() int }](r R, err error) (R, error) {
	if err != nil {
		return r, err
	}
	if st := r.StatusCode(); st >= 200 && st <= 299 {
		return r, nil
	}
	return r, AsError(r)
}

// AsError returns the *StatusError of a generated response.
func AsError[R interface{ StatusCode() int }](r R) *StatusError {
	e := &StatusError{Status: r.StatusCode()}
	// Every generated response has the raw Body and the HTTPResponse.
	v := reflect.Indirect(reflect.ValueOf(r))
	if f := v.FieldByName("Body"); f.IsValid() && f.Kind() == reflect.Slice {
		e.Body = f.Bytes()
	}
	if f := v.FieldByName("HTTPResponse"); f.IsValid() {
		if res, ok := f.Interface().(*http.Response); ok && res != nil {
			if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil {
				e.RetryAfter = time.Duration(s) * time.Second
			}
		}
	}
	var body Error
	if json.Unmarshal(e.Body, &body) == nil {
		e.Code, e.Message = string(body.Code), body.Message
	}
	return e
}

// Ptr returns a pointer to v, for the generated types' optional fields.
func Ptr[T any](v T) *T { return &v }
