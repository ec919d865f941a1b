package integration

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/chengnuo/chengnuo/client"
	"github.com/chengnuo/chengnuo/gateway"
	"github.com/chengnuo/chengnuo/sm"
)

// An integrator's journey, with nothing but the client generated from the
// published document and its types (the README's integration guide, step
// by step): the document, a submission and its idempotent resend, the
// answer at another department, every error status with its code, paging.
func TestIntegratorJourney(t *testing.T) {
	ctx := ctxOf(t)
	public := apiAt(t, police, "")
	clerk := apiAt(t, market, "CLERK")

	// 1. The document the client is generated from is the one served.
	doc, err := client.OK(public.GetOpenAPIDocumentWithResponse(ctx))
	if err != nil || !bytes.Equal(doc.Body, gateway.OpenAPI) {
		t.Fatalf("GET /openapi.yaml: %v", err)
	}

	// 2. The catalog item the submission names.
	item := testItem(uniqueCode(t, "INTEG"))
	pub, err := client.OK(apiAt(t, justice, "CATALOG_ADMIN").PublishCatalogItemWithResponse(ctx, item))
	if err != nil || pub.JSON201 == nil || pub.JSON201.Version != 1 || pub.JSON201.Status != client.ItemStatusACTIVE {
		t.Fatalf("publish: %v %+v", err, pub.JSON201)
	}
	waitVisible(t, market, "/v1/catalog/items/"+item.Code)

	// 3. Draft, sign (the applicant's SM2 key), submit.
	p := newPerson(t, "集成甲")
	dr, err := client.OK(clerk.CreateDraftWithResponse(ctx, client.DraftRequest{ItemCode: item.Code, ContactName: "窗口", ContactPhone: "0571-87000000",
		Applicant: client.Applicant{Name: p.name, IdType: client.ApplicantIdTypeRESIDENTID, IdNumber: p.idNumber, Contact: p.phone}}))
	if err != nil || dr.JSON201 == nil {
		t.Fatalf("draft: %v", err)
	}
	key, err := sm.GenerateKey()
	must(t, err)
	sig, err := sm.Sign(key, []byte(dr.JSON201.Canonical))
	must(t, err)
	pem, err := sm.MarshalPublicKeyPEM(&key.PublicKey)
	must(t, err)
	sub := client.SubmitRequest{Letter: dr.JSON201.Canonical, Signature: base64.StdEncoding.EncodeToString(sig), PublicKey: client.Ptr(string(pem))}
	first, err := client.OK(clerk.SubmitCommitmentWithResponse(ctx, sub))
	if err != nil || first.JSON201 == nil {
		t.Fatalf("submit: %v (HTTP %d)", err, first.StatusCode())
	}
	rc := first.JSON201.Receipt
	if rc.LetterDigest != dr.JSON201.Digest || rc.Org != "MarketMSP" || rc.Number == nil {
		t.Fatalf("receipt: %+v", rc)
	}

	// 4. After a timeout the integrator cannot know whether the letter was
	// anchored: it sends the same letter again and gets the same receipt.
	again, err := client.OK(clerk.SubmitCommitmentWithResponse(ctx, sub))
	if err != nil || again.JSON201 == nil || again.JSON201.Receipt.TxId != rc.TxId || again.JSON201.Receipt.CommitmentId != rc.CommitmentId {
		t.Fatalf("resend: %v %+v", err, again.JSON201)
	}

	// 5. Any department answers for it.
	var v *client.VerifyResult
	for range 50 {
		r, err := client.OK(public.VerifyLetterWithResponse(ctx, client.VerifyLetterJSONRequestBody{Letter: sub.Letter}))
		if err != nil {
			t.Fatal(err)
		}
		if v = r.JSON200; v.Anchored {
			break
		}
		waitVisible(t, police, "/v1/verify/"+rc.LetterDigest)
	}
	if !v.Anchored || v.Record == nil || v.Record.Id != rc.CommitmentId || v.Verdict == nil || v.Verdict.Kind != client.VerdictKindValid {
		t.Fatalf("verify at police: %+v", v)
	}

	// 6. Every error is an Error with the code the document names for its status.
	type answer struct {
		name   string
		status int
		code   client.ErrorCode
		res    interface{ StatusCode() int }
		err    error
	}
	var errs []answer
	add := func(name string, status int, code client.ErrorCode) func(interface{ StatusCode() int }, error) {
		return func(r interface{ StatusCode() int }, err error) {
			errs = append(errs, answer{name, status, code, r, err})
		}
	}
	add("no key", 401, client.ErrorCodeUNAUTHORIZED)(apiAt(t, market, "").SubmitCommitmentWithResponse(ctx, sub))
	add("auditor submits", 403, client.ErrorCodeFORBIDDEN)(apiAt(t, market, "AUDITOR").SubmitCommitmentWithResponse(ctx, sub))
	add("bad digest", 400, client.ErrorCodeINVALIDARGUMENT)(public.VerifyDigestWithResponse(ctx, "not-a-digest"))
	add("unknown commitment", 404, client.ErrorCodeNOTFOUND)(public.GetPublicCommitmentWithResponse(ctx, "CN000000000000000000000000"))
	_, err = client.OK(clerk.ConcludeCommitmentWithResponse(ctx, rc.CommitmentId))
	must(t, err)
	add("concluded twice", 409, client.ErrorCodeCONFLICT)(clerk.ConcludeCommitmentWithResponse(ctx, rc.CommitmentId))
	for _, e := range errs {
		if e.err != nil {
			t.Fatalf("%s: %v", e.name, e.err)
		}
		se := client.AsError(e.res)
		if se.Status != e.status || se.Code != string(e.code) || se.Message == "" {
			t.Errorf("%s: HTTP %d %s %q, want %d %s", e.name, se.Status, se.Code, se.Message, e.status, e.code)
		}
	}

	// 7. Paging: one row per page, bookmark to bookmark, reaches the item.
	params := &client.ListCatalogItemsParams{Limit: client.Ptr(1)}
	pages, found := 0, false
	for pages < 10_000 {
		r, err := client.OK(public.ListCatalogItemsWithResponse(ctx, params))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(r.JSON200.Items) > 1 {
			t.Fatalf("page %d holds %d items, limit 1", pages, len(r.JSON200.Items))
		}
		for _, it := range r.JSON200.Items {
			found = found || it.Code == item.Code
		}
		if !r.JSON200.More {
			break
		}
		if r.JSON200.Bookmark == nil {
			t.Fatalf("page %d: more, but no bookmark", pages)
		}
		params.Bookmark = r.JSON200.Bookmark
	}
	if !found || pages < 2 {
		t.Fatalf("paging: %d pages, item found: %v", pages, found)
	}
	if r, _ := public.ListCatalogItemsWithResponse(ctx, &client.ListCatalogItemsParams{Limit: client.Ptr(0)}); r.StatusCode() != http.StatusBadRequest {
		t.Fatalf("limit 0: HTTP %d", r.StatusCode())
	}
}
