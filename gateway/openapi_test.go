package gateway_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/gateway"
	"github.com/chengnuo/chengnuo/notary"
)

// Every route the server registers is documented in the OpenAPI document,
// and every documented operation exists.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(gateway.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("invalid OpenAPI document: %v", err)
	}
	var ledger chengnuo.Ledger = struct{ chengnuo.Ledger }{}
	var vledger chengnuo.VerificationLedger = struct{ chengnuo.VerificationLedger }{}
	s := gateway.New(gateway.Options{Anchors: newFake(), Ledger: ledger, Notary: new(notary.Service), Verification: vledger})
	param := regexp.MustCompile(`:([a-z]+)`)
	registered := map[string]bool{}
	for _, r := range s.Routes() {
		path := param.ReplaceAllString(r.Path, "{$1}")
		key := r.Method + " " + path
		registered[key] = true
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(r.Method) == nil {
			t.Errorf("route %s is not documented", key)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !registered[strings.ToUpper(method)+" "+path] {
				t.Errorf("documented %s %s is not served", method, path)
			}
		}
	}
}
