package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo/client"
)

// The hand-written half of the client: the key goes out as a bearer token,
// a 2xx answer passes, an error answer becomes a StatusError with the
// gateway's code, message and Retry-After.
func TestKeyAndErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Header.Get("Authorization") != "Bearer k1":
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"code":"UNAUTHORIZED","message":"a valid API key is required"}`))
		case r.URL.Path == "/v1/anchors/busy":
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte(`{"code":"ABORTED","message":"try again"}`))
		default:
			w.Write([]byte(`{"digest":"` + r.URL.Path[len("/v1/anchors/"):] + `","org":"MarketMSP","txId":"t","timestamp":"2026-12-07T00:00:00Z"}`))
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	c, err := client.New(srv.URL, srv.Client(), "k1")
	if err != nil {
		t.Fatal(err)
	}
	r, err := client.OK(c.GetAnchorWithResponse(ctx, "ab"))
	if err != nil || r.JSON200 == nil || r.JSON200.Digest != "ab" || r.JSON200.Org != "MarketMSP" {
		t.Fatalf("2xx: %v %+v", err, r)
	}

	_, err = client.OK(c.GetAnchorWithResponse(ctx, "busy"))
	var se *client.StatusError
	if !errors.As(err, &se) || se.Status != 409 || se.Code != "ABORTED" || se.Message != "try again" || se.RetryAfter != 3*time.Second {
		t.Fatalf("409: %#v", err)
	}

	anon, _ := client.New(srv.URL, srv.Client(), "")
	_, err = client.OK(anon.GetAnchorWithResponse(ctx, "ab"))
	if !errors.As(err, &se) || se.Status != 401 || se.Code != "UNAUTHORIZED" || se.Error() != "HTTP 401 UNAUTHORIZED: a valid API key is required" {
		t.Fatalf("401: %v", err)
	}

	// A transport error stays what it is.
	srv.Close()
	if _, err := client.OK(c.GetAnchorWithResponse(ctx, "ab")); err == nil || errors.As(err, &se) {
		t.Fatalf("closed server: %v", err)
	}
}
