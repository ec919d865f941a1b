package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/chengnuo/chengnuo/gateway"
)

var apiContract struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// contractRouter loads the gateway's OpenAPI document once.
func contractRouter(t testing.TB) routers.Router {
	t.Helper()
	if _, err := loadContract(); err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	return apiContract.router
}

// webhookBody checks a body the gateway sent to a department's system
// against the schema the document's webhooks name for it.
func webhookBody(schema string, body any) error {
	doc, err := loadContract()
	if err != nil {
		return err
	}
	ref := doc.Components.Schemas[schema]
	if ref == nil {
		return fmt.Errorf("the document has no schema %s", schema)
	}
	return ref.Value.VisitJSON(body)
}

func loadContract() (*openapi3.T, error) {
	apiContract.once.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(gateway.OpenAPI)
		if err != nil {
			apiContract.err = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			apiContract.err = err
			return
		}
		// The document's server is a template of every department's
		// address; the tests' gateways are on their own ports.
		doc.Servers = nil
		apiContract.doc = doc
		apiContract.router, apiContract.err = gorillamux.NewRouter(doc)
	})
	return apiContract.doc, apiContract.err
}

// checkContract validates one exchange against the OpenAPI document: the
// route exists, the request matches it, and so does the response.
func checkContract(t testing.TB, req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) {
	t.Helper()
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := contractRouter(t).FindRoute(r)
	if err != nil {
		t.Errorf("contract: %s %s is not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	// Bad requests are sent on purpose; only well-formed ones must match.
	if status < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("contract: request %s %s: %v", req.Method, req.URL.Path, err)
		}
	}
	// Every client error the gateway answers is one the operation documents
	// by its status (default covers 405 and the 5xx only).
	if status >= 400 && status < 500 && status != http.StatusMethodNotAllowed && route.Operation.Responses.Status(status) == nil {
		t.Errorf("contract: %s %s answered %d, which the operation does not document", req.Method, route.Path, status)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Body: io.NopCloser(bytes.NewReader(respBody)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("contract: response %d to %s %s: %v", status, req.Method, req.URL.Path, err)
	}
}

func TestOpenAPIServed(t *testing.T) {
	res, err := httpClient.Get(gatewayURL(police) + "/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !bytes.Equal(body, gateway.OpenAPI) {
		t.Fatalf("/openapi.yaml: %d, %d bytes", res.StatusCode, len(body))
	}
	contractRouter(t)
}
