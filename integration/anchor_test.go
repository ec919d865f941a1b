package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gwclient "github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/client"
	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/fabric"
)

var httpClient = &http.Client{Timeout: 90 * time.Second}

func randomDigest(t *testing.T) string {
	t.Helper()
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

type response struct {
	Status int
	Body   map[string]any
	Raw    string
}

// call makes an unauthenticated (public) request.
func call(t *testing.T, method, url, body string) response {
	t.Helper()
	return callAs(t, "", method, url, body)
}

// callAs makes a JSON request with an API key ("" for none).
func callAs(t *testing.T, key, method, url, body string) response {
	t.Helper()
	return callType(t, key, method, url, "application/json", body)
}

// callType makes a request with a content type; every exchange is checked
// against the gateway's OpenAPI document.
func callType(t *testing.T, key, method, url, contentType, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" || method == "POST" {
		req.Header.Set("Content-Type", contentType)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	checkContract(t, req, []byte(body), res.StatusCode, res.Header, raw)
	r := response{Status: res.StatusCode, Raw: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, url, raw)
		}
	}
	return r
}

func postAnchor(t *testing.T, slot int, digest string) response {
	t.Helper()
	return got(t)(apiAt(t, slot, "CLERK").AnchorDigestWithResponse(ctxOf(t), client.AnchorDigestJSONRequestBody{Digest: digest}))
}

// getEventually reads a digest from a gateway, allowing the gateway's peer a
// bounded time to commit the block another department's submit produced.
func getEventually(t *testing.T, slot int, digest string) response {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := got(t)(apiAt(t, slot, "").GetAnchorWithResponse(ctxOf(t), digest))
		if r.Status != http.StatusNotFound || time.Now().After(deadline) {
			return r
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestEveryGatewayIsReady(t *testing.T) {
	for slot, o := range orgs {
		r := call(t, "GET", gatewayURL(slot)+"/readyz", "")
		if r.Status != http.StatusOK || r.Body["org"] != o.msp {
			t.Errorf("%s /readyz: %d %s", o.key, r.Status, r.Raw)
		}
	}
}

func TestAnchorAtOneDepartmentReadAtAnother(t *testing.T) {
	d := randomDigest(t)
	r := postAnchor(t, market, strings.ToUpper(d))
	if r.Status != http.StatusCreated {
		t.Fatalf("POST at market: %d %s", r.Status, r.Raw)
	}
	if r.Body["digest"] != d || r.Body["org"] != "MarketMSP" || r.Body["txId"] == "" || r.Body["blockNumber"] == nil {
		t.Fatalf("POST response: %s", r.Raw)
	}
	ts, err := time.Parse(time.RFC3339Nano, r.Body["timestamp"].(string))
	if err != nil || time.Since(ts) > 5*time.Minute || time.Until(ts) > time.Minute {
		t.Fatalf("timestamp %v (%v) is not the transaction time", r.Body["timestamp"], err)
	}

	for _, slot := range []int{police, credit, justice} {
		g := getEventually(t, slot, d)
		if g.Status != http.StatusOK {
			t.Fatalf("GET at %s: %d %s", orgs[slot].key, g.Status, g.Raw)
		}
		for _, k := range []string{"digest", "org", "txId", "timestamp", "blockNumber"} {
			if g.Body[k] != r.Body[k] {
				t.Errorf("GET at %s: %s = %v, anchored %v", orgs[slot].key, k, g.Body[k], r.Body[k])
			}
		}
	}

	dup := postAnchor(t, credit, d)
	if dup.Status != http.StatusConflict || dup.Body["code"] != chengnuo.ECONFLICT {
		t.Fatalf("duplicate at credit: %d %s", dup.Status, dup.Raw)
	}
	rec, _ := dup.Body["record"].(map[string]any)
	if rec["txId"] != r.Body["txId"] || rec["org"] != "MarketMSP" {
		t.Fatalf("duplicate does not return the existing record: %s", dup.Raw)
	}
}

func TestBadInputIsRefusedAndNothingWritten(t *testing.T) {
	d := randomDigest(t)
	for _, body := range []string{`{"digest":"` + d[:63] + `"}`, `{"digest":`, `{"digest":"` + d + `","org":"PoliceMSP"}`, `{}`} {
		r := callAs(t, apiKey(t, market, "CLERK"), "POST", gatewayURL(market)+"/v1/anchors", body)
		if r.Status != http.StatusBadRequest || r.Body["code"] != chengnuo.EINVALID {
			t.Errorf("POST %s: %d %s", body, r.Status, r.Raw)
		}
	}
	if r := call(t, "GET", gatewayURL(police)+"/v1/anchors/"+d, ""); r.Status != http.StatusNotFound || r.Body["code"] != chengnuo.ENOTFOUND {
		t.Fatalf("GET unknown: %d %s", r.Status, r.Raw)
	}
}

func TestConcurrentDuplicatesAnchorOnce(t *testing.T) {
	d := randomDigest(t)
	const n = 8
	results := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = postAnchor(t, i%len(orgs), d) })
	}
	wg.Wait()
	created, txIDs := 0, map[any]bool{}
	for _, r := range results {
		switch r.Status {
		case http.StatusCreated:
			created++
			txIDs[r.Body["txId"]] = true
		case http.StatusConflict:
			rec, _ := r.Body["record"].(map[string]any)
			txIDs[rec["txId"]] = true
		default:
			t.Errorf("unexpected response %d %s", r.Status, r.Raw)
		}
	}
	if created != 1 || len(txIDs) != 1 {
		t.Fatalf("%d created, %d distinct tx ids; want exactly one anchoring", created, len(txIDs))
	}
}

// dialOrg connects to an org's peer as its User1, as a gateway does, for
// the duration of the test.
func dialOrg(t *testing.T, slot int) *fabric.Client {
	t.Helper()
	c := dialOrgNoCleanup(t, slot)
	t.Cleanup(func() { c.Close() })
	return c
}

func dialOrgNoCleanup(t *testing.T, slot int) *fabric.Client {
	t.Helper()
	// The department's gateway identity (a client of its own CA).
	home := deptHome(slot)
	c, err := fabric.Dial(fabric.Config{
		PeerEndpoint:  peerEndpoint(slot),
		PeerTLSCAFile: filepath.Join(home, "peer", "tls", "ca.crt"),
		MSPID:         orgs[slot].msp,
		CertFile:      filepath.Join(home, "gateway", "msp", "signcerts", "cert.pem"),
		KeyFile:       filepath.Join(home, "gateway", "msp", "keystore", "key.pem"),
		Channel:       "chengnuo",
		Chaincode:     "notary",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOneDepartmentAloneCannotWrite(t *testing.T) {
	c := dialOrg(t, market)
	d := randomDigest(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	args, err := contract.Anchor.EncodeArgs(&contract.DigestArgs{Digest: d})
	if err != nil {
		t.Fatal(err)
	}
	proposal, err := c.Contract().NewProposal(contract.Anchor.Name, gwclient.WithBytesArguments(args), gwclient.WithEndorsingOrganizations("MarketMSP"))
	if err != nil {
		t.Fatal(err)
	}
	txn, err := proposal.EndorseWithContext(ctx)
	if err != nil {
		t.Fatalf("endorse by MarketMSP alone: %v", err)
	}
	commit, err := txn.SubmitWithContext(ctx)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	status, err := commit.StatusWithContext(ctx)
	if err != nil {
		t.Fatalf("commit status: %v", err)
	}
	if status.Successful || status.Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
		t.Fatalf("single-org transaction committed with %s, want ENDORSEMENT_POLICY_FAILURE", status.Code)
	}
	if _, err := c.FindAnchor(ctx, d); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("the rejected digest is readable: %v", err)
	}
	// The same client, letting the gateway pick endorsers, succeeds.
	if _, err := c.Anchor(ctx, d); err != nil {
		t.Fatalf("anchor with the policy satisfied: %v", err)
	}
}

func TestAnchoringEmitsEvent(t *testing.T) {
	c := dialOrg(t, police)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	events, err := c.Network().ChaincodeEvents(ctx, "notary")
	if err != nil {
		t.Fatal(err)
	}
	d := randomDigest(t)
	r := postAnchor(t, market, d)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST: %d %s", r.Status, r.Raw)
	}
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("event stream closed")
			}
			var a chengnuo.Anchor
			if ev.EventName != contract.Anchored.Name || json.Unmarshal(ev.Payload, &a) != nil || a.Digest != d {
				continue
			}
			if ev.TransactionID != r.Body["txId"] || float64(ev.BlockNumber) != r.Body["blockNumber"] || a.Org != "MarketMSP" {
				t.Fatalf("event %+v does not match the anchoring %s", ev, r.Raw)
			}
			return
		case <-ctx.Done():
			t.Fatal("no Anchored event within a minute")
		}
	}
}

func TestUpIsIdempotentAndStatusHealthy(t *testing.T) {
	out, err := script(5*time.Minute, "up")
	if err != nil {
		t.Fatalf("second up: %v\n%s", err, out)
	}
	for _, want := range []string{"[dept justice] orderer already running", "[dept market] peer already running", "[dept credit] gateway already running", "[dept police] chaincode already running", "is already committed"} {
		if !strings.Contains(out, want) {
			t.Errorf("second up did not say %q:\n%s", want, out)
		}
	}
	if out, err := script(time.Minute, "status"); err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	} else if strings.Count(out, " healthy") < 4*len(orgs) || strings.Count(out, " listening") < len(orgs) {
		t.Fatalf("status does not show every node healthy:\n%s", out)
	}
}

func TestRedeployBumpsSequence(t *testing.T) {
	before := dialOrg(t, justice)
	d := randomDigest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := before.Anchor(ctx, d); err != nil {
		t.Fatal(err)
	}
	seq := func() string {
		out, err := script(time.Minute, "committed")
		if err != nil {
			t.Fatalf("committed: %v\n%s", err, out)
		}
		return strings.TrimSpace(out)
	}
	s0 := seq()
	out, err := scriptEnv(5*time.Minute, []string{"CHENGNUO_CC_VERSION=e2e-" + d[:6]}, "deploy")
	if err != nil {
		t.Fatalf("deploy: %v\n%s", err, out)
	}
	s1 := seq()
	if s0 == s1 || !strings.Contains(out, "] committed notary_") || !strings.Contains(out, "(sequence "+s1+")") {
		t.Fatalf("redeploy did not bump the definition: %q -> %q\n%s", s0, s1, out)
	}
	// Old records survive and the new package serves writes.
	var a *chengnuo.Anchor
	for deadline := time.Now().Add(30 * time.Second); ; {
		a, err = before.FindAnchor(ctx, d)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil || a.Digest != d {
		t.Fatalf("record lost across redeploy: %v", err)
	}
	if _, err := before.Anchor(ctx, randomDigest(t)); err != nil {
		t.Fatalf("anchor after redeploy: %v", err)
	}
}

var clients struct {
	sync.Mutex
	all map[int]*fabric.Client
}

// orgClient returns a shared Fabric client of an org, closed by TestMain's exit.
func orgClient(t *testing.T, slot int) *fabric.Client {
	t.Helper()
	clients.Lock()
	defer clients.Unlock()
	if c, ok := clients.all[slot]; ok {
		return c
	}
	c := dialOrgNoCleanup(t, slot)
	if clients.all == nil {
		clients.all = map[int]*fabric.Client{}
	}
	clients.all[slot] = c
	return c
}

// barrier commits a fresh transaction and waits until every department's
// peer has its block: every write made before it is then visible at every
// gateway (blocks are totally ordered).
func barrier(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := orgClient(t, justice).Anchor(ctx, randomDigest(t))
	if err != nil {
		t.Fatalf("barrier: %v", err)
	}
	for slot := range orgs {
		for {
			h, err := orgClient(t, slot).Height(ctx)
			if err != nil {
				t.Fatalf("barrier: height at %s: %v", orgs[slot].key, err)
			}
			if h > a.BlockNumber {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("barrier: %s did not reach block %d", orgs[slot].key, a.BlockNumber)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}
