package integration

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/client"
	"github.com/chengnuo/chengnuo/sm"
)

// testItem is a catalog item the tests publish themselves.
func testItem(code string) client.ItemInput {
	return client.ItemInput{
		Code: code, Name: "测试事项 " + code, Department: "MarketMSP",
		Purpose: "集成测试用途", LegalBasis: "集成测试依据第一条", Content: "集成测试证明内容",
		EligibleApplicants: "集成测试对象", CommitmentMethod: "书面承诺，本人签名",
		VerificationPower: "行政机关有权核查", Liability: "虚假承诺记入信用记录",
		Disclosure:   client.Disclosure{Public: false},
		Verification: onlineBy("PoliceMSP", 5),
	}
}

// onlineBy is the rule of an item verified online by dept within days.
func onlineBy(dept string, days int) client.VerificationRule {
	return client.VerificationRule{Method: client.Ptr(client.VerificationRuleMethodONLINE), Department: client.Ptr(dept), TimeLimitDays: client.Ptr(days)}
}

// writtenBy is the rule of an item verified in writing by dept within days.
func writtenBy(dept string, days int) client.VerificationRule {
	return client.VerificationRule{Method: client.Ptr(client.VerificationRuleMethodWRITTEN), Department: client.Ptr(dept), TimeLimitDays: client.Ptr(days)}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func publish(t *testing.T, item client.ItemInput) response {
	t.Helper()
	return got(t)(apiAt(t, justice, "CATALOG_ADMIN").PublishCatalogItemWithResponse(ctxOf(t), item))
}

// applicant data that must never reach the ledger.
type person struct{ name, idNumber, phone string }

var applicants = []person{
	{"测试申请人甲", "11010519491231002X", "13912345678"},
	{"测试申请人乙", "110101199003077571", "13800138001"},
	{"测试申请人丙", "440524198001010013", "13700137002"},
}

func draftFor(t *testing.T, slot int, code string, p person) response {
	t.Helper()
	return got(t)(apiAt(t, slot, "CLERK").CreateDraftWithResponse(ctxOf(t), client.DraftRequest{
		ItemCode:    code,
		Applicant:   client.Applicant{Name: p.name, IdType: client.ApplicantIdTypeRESIDENTID, IdNumber: p.idNumber, Contact: p.phone},
		ContactName: "窗口工作人员", ContactPhone: "0571-87000000",
	}))
}

// signWithCLI signs a draft the way an applicant without a USB key would:
// with the project's CLI and a key it generated.
func signWithCLI(t *testing.T, draft response) client.SubmitRequest {
	t.Helper()
	key := filepath.Join(t.TempDir(), "applicant.key")
	cli(t, "keygen", "--out", key)
	return cliSign(t, draft, "--key", key)
}

// cli runs the project's CLI and returns its standard output.
func cli(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(filepath.Join(net.state, "bin", "chengnuo"), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chengnuo %s: %v\n%s", args[0], err, stderr.Bytes())
	}
	return out
}

// cliSign signs a draft with `chengnuo sign` and the given key flags.
func cliSign(t *testing.T, draft response, keyArgs ...string) client.SubmitRequest {
	t.Helper()
	draftFile := filepath.Join(t.TempDir(), "draft.json")
	if err := os.WriteFile(draftFile, []byte(draft.Raw), 0o600); err != nil {
		t.Fatal(err)
	}
	var sub client.SubmitRequest
	if err := json.Unmarshal(cli(t, append([]string{"sign", "--draft", draftFile}, keyArgs...)...), &sub); err != nil {
		t.Fatal(err)
	}
	return sub
}

func submit(t *testing.T, slot int, sub client.SubmitRequest) response {
	t.Helper()
	return got(t)(apiAt(t, slot, "CLERK").SubmitCommitmentWithResponse(ctxOf(t), sub))
}

func receipt(t *testing.T, r response) map[string]any {
	t.Helper()
	rc, ok := r.Body["receipt"].(map[string]any)
	if !ok {
		t.Fatalf("no receipt in %s", r.Raw)
	}
	return rc
}

func uniqueCode(t *testing.T, prefix string) string {
	return fmt.Sprintf("%s-%s", prefix, randomDigest(t)[:8])
}

// waitVisible polls a public lookup at another department until its peer
// has the block.
func waitVisible(t *testing.T, slot int, path string) response {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := call(t, "GET", gatewayURL(slot)+path, "")
		if r.Status == http.StatusOK && (r.Body["anchored"] == nil || r.Body["anchored"] == true) {
			return r
		}
		if time.Now().After(deadline) {
			return r
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestLetterFlowAcrossDepartments(t *testing.T) {
	code := uniqueCode(t, "FLOW")
	if r := publish(t, testItem(code)); r.Status != http.StatusCreated || r.Body["version"] != float64(1) {
		t.Fatalf("publish: %d %s", r.Status, r.Raw)
	}
	// The catalog is readable at every department.
	if r := waitVisible(t, market, "/v1/catalog/items/"+code); r.Status != http.StatusOK {
		t.Fatalf("catalog at market: %d %s", r.Status, r.Raw)
	}

	d := draftFor(t, market, code, applicants[0])
	if d.Status != http.StatusCreated {
		t.Fatalf("draft: %d %s", d.Status, d.Raw)
	}
	sub := signWithCLI(t, d)
	r := submit(t, market, sub)
	if r.Status != http.StatusCreated {
		t.Fatalf("submit: %d %s", r.Status, r.Raw)
	}
	rc := receipt(t, r)
	if rc["letterDigest"] != d.Body["digest"] || rc["org"] != "MarketMSP" || rc["txId"] == "" || rc["blockNumber"] == nil {
		t.Fatalf("receipt %v does not match the draft %v", rc, d.Body["digest"])
	}
	id := rc["commitmentId"].(string)

	// Submitting the same letter again returns the same record, not a second one.
	again := submit(t, market, sub)
	if again.Status != http.StatusCreated || receipt(t, again)["txId"] != rc["txId"] {
		t.Fatalf("resubmission: %d %s", again.Status, again.Raw)
	}

	// Public verification at another department, without a key.
	v := call(t, "POST", gatewayURL(police)+"/v1/verify", mustJSON(t, map[string]string{"letter": sub.Letter}))
	for i := 0; v.Body["anchored"] != true && i < 50; i++ {
		time.Sleep(100 * time.Millisecond)
		v = call(t, "POST", gatewayURL(police)+"/v1/verify", mustJSON(t, map[string]string{"letter": sub.Letter}))
	}
	rec, _ := v.Body["record"].(map[string]any)
	if v.Status != http.StatusOK || v.Body["anchored"] != true || rec["org"] != "MarketMSP" || rec["itemCode"] != code ||
		rec["status"] != chengnuo.StatusActive || rec["txId"] != rc["txId"] || rec["blockNumber"] != rc["blockNumber"] {
		t.Fatalf("verify at police: %d %s", v.Status, v.Raw)
	}
	if strings.Contains(v.Raw, applicants[0].name) || strings.Contains(v.Raw, applicants[0].idNumber) || strings.Contains(v.Raw, "applicantKey") {
		t.Fatalf("public verification leaks personal data: %s", v.Raw)
	}

	// One character changed: not anchored, with the digest computed.
	tampered := strings.Replace(sub.Letter, applicants[0].phone, "13912345679", 1)
	if tampered == sub.Letter {
		t.Fatal("tampering did not change the letter")
	}
	tv := call(t, "POST", gatewayURL(credit)+"/v1/verify", mustJSON(t, map[string]string{"letter": tampered}))
	if tv.Status != http.StatusOK || tv.Body["anchored"] != false || tv.Body["letterDigest"] != sm.SM3Hex([]byte(tampered)) {
		t.Fatalf("tampered letter: %d %s", tv.Status, tv.Raw)
	}

	// By digest and by commitment id.
	if r := waitVisible(t, credit, "/v1/verify/"+rc["letterDigest"].(string)); r.Body["anchored"] != true {
		t.Fatalf("verify by digest: %s", r.Raw)
	}
	if r := waitVisible(t, justice, "/v1/public/commitments/"+id); r.Status != http.StatusOK || r.Body["letterDigest"] != rc["letterDigest"] {
		t.Fatalf("public record by id: %d %s", r.Status, r.Raw)
	}

	// The receipt QR code is a PNG.
	req, _ := http.NewRequest("GET", gatewayURL(market)+"/v1/commitments/"+id+"/receipt.png", nil)
	req.Header.Set("Authorization", "Bearer "+apiKey(t, market, "CLERK"))
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	png := make([]byte, 8)
	_, _ = res.Body.Read(png)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || string(png[1:4]) != "PNG" {
		t.Fatalf("receipt.png: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}

	// The full letter stays with market; the auditor may read it, police has none.
	full := callAs(t, apiKey(t, market, "AUDITOR"), "GET", gatewayURL(market)+"/v1/commitments/"+id, "")
	if full.Status != http.StatusOK || !strings.Contains(full.Raw, applicants[0].idNumber) {
		t.Fatalf("market's own view: %d %s", full.Status, full.Raw)
	}
	if r := callAs(t, apiKey(t, police, "AUDITOR"), "GET", gatewayURL(police)+"/v1/commitments/"+id, ""); r.Status != http.StatusNotFound {
		t.Fatalf("police holds market's letter: %d %s", r.Status, r.Raw)
	}
}

func TestLifecycleAndOwnership(t *testing.T) {
	code := uniqueCode(t, "LIFE")
	if r := publish(t, testItem(code)); r.Status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.Status, r.Raw)
	}
	waitVisible(t, market, "/v1/catalog/items/"+code)
	anchor := func(p person) string {
		d := draftFor(t, market, code, p)
		if d.Status != http.StatusCreated {
			t.Fatalf("draft: %d %s", d.Status, d.Raw)
		}
		r := submit(t, market, signWithCLI(t, d))
		if r.Status != http.StatusCreated {
			t.Fatalf("submit: %d %s", r.Status, r.Raw)
		}
		return receipt(t, r)["commitmentId"].(string)
	}
	withdrawn, concluded := anchor(applicants[1]), anchor(applicants[2])
	clerk := apiKey(t, market, "CLERK")
	post := func(slot int, key, id, action, body string) response {
		return callAs(t, key, "POST", gatewayURL(slot)+"/v1/commitments/"+id+"/"+action, body)
	}

	// Another department may not change market's commitments (the chaincode checks the MSP id).
	waitVisible(t, police, "/v1/public/commitments/"+withdrawn)
	if r := post(police, apiKey(t, police, "CLERK"), withdrawn, "withdraw", `{"reason":"not yours"}`); r.Status != http.StatusForbidden || r.Body["code"] != chengnuo.EFORBIDDEN {
		t.Fatalf("police withdraws market's commitment: %d %s", r.Status, r.Raw)
	}
	if r := post(police, apiKey(t, police, "CLERK"), concluded, "conclude", ``); r.Status != http.StatusForbidden {
		t.Fatalf("police concludes market's commitment: %d %s", r.Status, r.Raw)
	}
	// An auditor key may not act.
	if r := post(market, apiKey(t, market, "AUDITOR"), withdrawn, "withdraw", `{"reason":"x"}`); r.Status != http.StatusForbidden {
		t.Fatalf("auditor withdraws: %d %s", r.Status, r.Raw)
	}
	if r := post(market, "", withdrawn, "withdraw", `{"reason":"x"}`); r.Status != http.StatusUnauthorized {
		t.Fatalf("no key withdraws: %d %s", r.Status, r.Raw)
	}
	if r := post(market, clerk, withdrawn, "withdraw", `{}`); r.Status != http.StatusBadRequest {
		t.Fatalf("withdrawal without reason: %d %s", r.Status, r.Raw)
	}

	if r := post(market, clerk, withdrawn, "withdraw", `{"reason":"申请人主动撤回"}`); r.Status != http.StatusOK || r.Body["status"] != chengnuo.StatusWithdrawn {
		t.Fatalf("withdraw: %d %s", r.Status, r.Raw)
	}
	if r := post(market, clerk, withdrawn, "conclude", ``); r.Status != http.StatusConflict {
		t.Fatalf("conclude after withdrawal: %d %s", r.Status, r.Raw)
	}
	if r := post(market, clerk, concluded, "conclude", ``); r.Status != http.StatusOK || r.Body["status"] != chengnuo.StatusConcluded {
		t.Fatalf("conclude: %d %s", r.Status, r.Raw)
	}
	if r := post(market, clerk, concluded, "withdraw", `{"reason":"too late"}`); r.Status != http.StatusConflict || r.Body["code"] != chengnuo.ECONFLICT {
		t.Fatalf("withdrawal after conclusion: %d %s", r.Status, r.Raw)
	}

	// The history shows every transition with org, time and tx id.
	h := waitVisible(t, credit, "/v1/public/commitments/"+withdrawn)
	for i := 0; i < 50 && h.Body["status"] != chengnuo.StatusWithdrawn; i++ {
		time.Sleep(100 * time.Millisecond)
		h = call(t, "GET", gatewayURL(credit)+"/v1/public/commitments/"+withdrawn, "")
	}
	hist, _ := h.Body["history"].([]any)
	if len(hist) != 2 {
		t.Fatalf("history: %s", h.Raw)
	}
	for i, want := range []string{chengnuo.StatusActive, chengnuo.StatusWithdrawn} {
		e := hist[i].(map[string]any)
		if e["status"] != want || e["org"] != "MarketMSP" || e["txId"] == "" || e["at"] == "" {
			t.Fatalf("history[%d] = %v", i, e)
		}
	}
	// The ledger holds the reason's salted digest; the department keeps the
	// text and its salt, which make that digest (and nothing else does).
	e := hist[1].(map[string]any)
	full := callAs(t, clerk, "GET", gatewayURL(market)+"/v1/commitments/"+withdrawn, "")
	notes, _ := full.Body["letter"].(map[string]any)["notes"].([]any)
	if len(notes) != 1 {
		t.Fatalf("notes: %s", full.Raw)
	}
	note := notes[0].(map[string]any)
	salt, _ := hex.DecodeString(note["salt"].(string))
	if note["text"] != "申请人主动撤回" || e["reasonDigest"] != note["digest"] || e["reasonDigest"] != sm.TextDigest(salt, "申请人主动撤回") ||
		len(salt) < 16 || e["reasonDigest"] == sm.SM3Hex([]byte("申请人主动撤回")) {
		t.Fatalf("withdrawal reason digest %v, note %v", e, note)
	}
}

func TestCatalogRules(t *testing.T) {
	code := uniqueCode(t, "CAT")
	// Only the justice bureau publishes: market's gateway has no such role,
	// and market's identity is refused by the chaincode itself.
	if r := callAs(t, apiKey(t, market, "CLERK"), "POST", gatewayURL(market)+"/v1/catalog/items", mustJSON(t, testItem(code))); r.Status != http.StatusForbidden {
		t.Fatalf("market publishes via its gateway: %d %s", r.Status, r.Raw)
	}
	c := dialOrg(t, market)
	raw := mustJSON(t, testItem(code))
	var it chengnuo.Item
	if err := json.Unmarshal([]byte(raw), &it); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.PublishItem(ctx, &it); chengnuo.ErrorCode(err) != chengnuo.EFORBIDDEN {
		t.Fatalf("market publishes via the chaincode: %v", err)
	}

	bad := testItem(code)
	bad.Verification.Method = client.Ptr(client.VerificationRuleMethod("TELEPATHY"))
	if r := publish(t, bad); r.Status != http.StatusBadRequest {
		t.Fatalf("invalid item: %d %s", r.Status, r.Raw)
	}

	if r := publish(t, testItem(code)); r.Status != http.StatusCreated {
		t.Fatalf("publish v1: %d %s", r.Status, r.Raw)
	}
	waitVisible(t, market, "/v1/catalog/items/"+code)
	d1 := draftFor(t, market, code, applicants[0])
	if d1.Status != http.StatusCreated {
		t.Fatalf("draft v1: %d %s", d1.Status, d1.Raw)
	}
	sub1 := signWithCLI(t, d1)

	v2 := testItem(code)
	v2.Content = "修订后的证明内容"
	if r := publish(t, v2); r.Status != http.StatusCreated || r.Body["version"] != float64(2) {
		t.Fatalf("publish v2: %d %s", r.Status, r.Raw)
	}
	// v1 stays readable, unchanged, and no longer accepts letters.
	barrier(t)
	if r := call(t, "GET", gatewayURL(police)+"/v1/catalog/items/"+code+"?version=1", ""); r.Status != 200 || r.Body["content"] != "集成测试证明内容" || r.Body["status"] != chengnuo.ItemSuperseded {
		t.Fatalf("v1 after v2: %d %s", r.Status, r.Raw)
	}
	if r := submit(t, market, sub1); r.Status != http.StatusBadRequest {
		t.Fatalf("letter under a superseded version: %d %s", r.Status, r.Raw)
	}
	// Nothing was stored or anchored for the refused letter.
	if r := call(t, "GET", gatewayURL(market)+"/v1/verify/"+d1.Body["digest"].(string), ""); r.Body["anchored"] != false {
		t.Fatalf("refused letter anchored: %s", r.Raw)
	}
	if r := callAs(t, apiKey(t, market, "AUDITOR"), "GET", gatewayURL(market)+"/v1/commitments/CN"+d1.Body["digest"].(string)[:24], ""); r.Status != http.StatusNotFound {
		t.Fatalf("refused letter stored: %d %s", r.Status, r.Raw)
	}

	d2 := draftFor(t, market, code, applicants[0])
	sub2 := signWithCLI(t, d2)
	if r := callAs(t, apiKey(t, justice, "CATALOG_ADMIN"), "POST", gatewayURL(justice)+"/v1/catalog/items/"+code+"/retire", ""); r.Status != http.StatusOK {
		t.Fatalf("retire: %d %s", r.Status, r.Raw)
	}
	barrier(t)
	if r := submit(t, market, sub2); r.Status != http.StatusBadRequest {
		t.Fatalf("letter for a retired item: %d %s", r.Status, r.Raw)
	}
	if r := draftFor(t, market, code, applicants[0]); r.Status != http.StatusBadRequest {
		t.Fatalf("draft for a retired item: %d %s", r.Status, r.Raw)
	}
}

func TestSubmissionBadInput(t *testing.T) {
	code := uniqueCode(t, "BAD")
	if r := publish(t, testItem(code)); r.Status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.Status, r.Raw)
	}
	waitVisible(t, market, "/v1/catalog/items/"+code)
	d := draftFor(t, market, code, applicants[1])
	sub := signWithCLI(t, d)
	other := signWithCLI(t, d) // signed by another key

	badID := draftFor(t, market, code, person{"某人", "110101199003077579", "13800000000"})
	if badID.Status != http.StatusBadRequest || !strings.Contains(badID.Body["message"].(string), "check digit") {
		t.Fatalf("invalid ID check digit: %d %s", badID.Status, badID.Raw)
	}
	if r := draftFor(t, market, "NO-SUCH-ITEM", applicants[1]); r.Status != http.StatusBadRequest {
		t.Fatalf("unknown item: %d %s", r.Status, r.Raw)
	}

	cases := map[string]client.SubmitRequest{
		"wrong key":       {Letter: sub.Letter, Signature: sub.Signature, PublicKey: other.PublicKey},
		"bad signature":   {Letter: sub.Letter, Signature: other.Signature, PublicKey: sub.PublicKey},
		"tampered letter": {Letter: strings.Replace(sub.Letter, "测试申请人乙", "测试申请人丁", 1), Signature: sub.Signature, PublicKey: sub.PublicKey},
		"no key":          {Letter: sub.Letter, Signature: sub.Signature},
		"not canonical":   {Letter: " " + sub.Letter, Signature: sub.Signature, PublicKey: sub.PublicKey},
	}
	for name, body := range cases {
		if r := submit(t, market, body); r.Status != http.StatusBadRequest || r.Body["code"] != chengnuo.EINVALID {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	// Another department may not submit market's letter.
	if r := submit(t, police, sub); r.Status != http.StatusForbidden {
		t.Errorf("police submits market's letter: %d %s", r.Status, r.Raw)
	}
	if r := call(t, "GET", gatewayURL(market)+"/v1/verify/"+d.Body["digest"].(string), ""); r.Body["anchored"] != false {
		t.Fatalf("a refused submission was anchored: %s", r.Raw)
	}
	// The genuine submission still works afterwards.
	if r := submit(t, market, sub); r.Status != http.StatusCreated {
		t.Fatalf("genuine submission: %d %s", r.Status, r.Raw)
	}
}
