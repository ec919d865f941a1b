package integration

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/chaincode"
	"github.com/chengnuo/chengnuo/client"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/sm"
)

// verifiedItem is a test item verified online by dept within days.
func verifiedItem(code, dept string, public bool) client.ItemInput {
	it := testItem(code)
	it.Verification = onlineBy(dept, 3)
	if public {
		it.Disclosure = client.Disclosure{Public: true, Scope: client.Ptr("本市政务服务网"), PeriodDays: client.Ptr(30)}
	}
	return it
}

func publishVisible(t *testing.T, item client.ItemInput) string {
	t.Helper()
	if r := publish(t, item); r.Status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.Status, r.Raw)
	}
	for _, slot := range []int{market, police, credit} {
		waitVisible(t, slot, "/v1/catalog/items/"+item.Code)
	}
	return item.Code
}

// newPerson returns an applicant with a fresh valid resident ID number.
func newPerson(t *testing.T, name string) person {
	// A random birth date (over 27 years) and sequence number: 10^7 IDs, so
	// two applicants of one run (a few dozen) practically never share one —
	// a shared ID would share credit records across tests.
	raw, err := hex.DecodeString(randomDigest(t))
	if err != nil {
		t.Fatal(err)
	}
	n := binary.BigEndian.Uint64(raw[:8])
	birth := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n%10000))
	first := "110101" + birth.Format("20060102") + fmt.Sprintf("%03d", (n/10000)%1000)
	p := person{name: name, idNumber: first + string(letter.ResidentCheckChar(first)), phone: fmt.Sprintf("139%08d", (n/10000000)%100000000)}
	people.mu.Lock()
	people.all = append(people.all, p)
	people.mu.Unlock()
	return p
}

// people collects every applicant the tests create, for the ledger scan.
var people struct {
	mu  sync.Mutex
	all []person
}

// anchorAt drafts, signs (in-process SM2) and submits a letter at market.
func anchorAt(t *testing.T, code string, p person) response {
	t.Helper()
	return submit(t, market, signedSubmission(t, code, p))
}

func anchorID(t *testing.T, code string, p person) string {
	t.Helper()
	r := anchorAt(t, code, p)
	if r.Status != http.StatusCreated {
		t.Fatalf("submit: %d %s", r.Status, r.Raw)
	}
	return receipt(t, r)["commitmentId"].(string)
}

func requestCheck(t *testing.T, id, claim string) string {
	t.Helper()
	r := got(t)(apiAt(t, market, "CLERK").RequestVerificationWithResponse(ctxOf(t), id, client.RequestVerificationJSONRequestBody{Claim: claim}))
	if r.Status != http.StatusCreated || r.Body["status"] != chengnuo.RequestPending {
		t.Fatalf("request verification: %d %s", r.Status, r.Raw)
	}
	return r.Body["id"].(string)
}

// waitAnswered polls a request's public record until it is answered.
func waitAnswered(t *testing.T, rid string, within time.Duration) response {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		r := got(t)(apiAt(t, market, "").GetVerificationRequestWithResponse(ctxOf(t), rid))
		if r.Status == http.StatusOK && r.Body["status"] != chengnuo.RequestPending {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %s not answered within %s: %s", rid, within, r.Raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func recordOutcome(t *testing.T, slot int, id string, body client.OutcomeRequest) response {
	t.Helper()
	return got(t)(apiAt(t, slot, "CLERK").RecordOutcomeWithResponse(ctxOf(t), id, body))
}

var falseOutcome = client.OutcomeRequest{Result: client.OutcomeRequestResultFALSE, Reason: client.Ptr("核查不一致"),
	Level: client.Ptr(client.OutcomeRequestLevelORDINARY), Disposal: &client.DisposalRequest{
		Measures: []client.DisposalRequestMeasures{client.DisposalRequestMeasuresTERMINATED, client.DisposalRequestMeasuresPENALTY},
		Penalty:  client.Ptr("警告并处罚款（测试处罚说明）")}}

func lookup(t *testing.T, p person) response {
	t.Helper()
	return got(t)(apiAt(t, credit, "CREDIT_OFFICER").LookupCreditWithResponse(ctxOf(t), nil,
		client.LookupCreditJSONRequestBody{IdType: "RESIDENT_ID", IdNumber: p.idNumber}))
}

// The whole story of the policy, as `make demo` runs it.
func TestStoryAsDemo(t *testing.T) {
	out, err := exec.Command(filepath.Join(net.state, "bin", "chengnuo"), "demo", "--state", net.state, "--base-port", fmt.Sprint(net.base)).CombinedOutput()
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{"answers INCONSISTENT automatically", "records FALSE", "not eligible", "refused: NOT_ELIGIBLE", "REPAIRED", "new letter is accepted", "whole story ran"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("demo:\n%s", out)
}

func TestAssistedVerificationDetailsReachOnlyTarget(t *testing.T) {
	code := publishVisible(t, verifiedItem(uniqueCode(t, "VER"), "PoliceMSP", false))
	p := newPerson(t, "核查对象"+randomDigest(t)[:6])
	id := anchorID(t, code, p)
	marker := "MARKER" + randomDigest(t)
	t0 := time.Now()
	rid := requestCheck(t, id, "核查户籍信息 "+marker)
	ans := waitAnswered(t, rid, 30*time.Second)
	elapsed := time.Since(t0)
	a, _ := ans.Body["answer"].(map[string]any)
	if ans.Body["status"] != chengnuo.RequestAnswered || a["result"] != chengnuo.AnswerConsistent || a["automatic"] != true || a["overdue"] != false {
		t.Fatalf("answer: %s", ans.Raw)
	}
	t.Logf("request to recorded answer via the registry webhook: %s", elapsed.Round(time.Millisecond))
	if n := registryCalls(rid); n != 1 {
		t.Fatalf("registry called %d times for %s", n, rid)
	}
	registry.mu.Lock()
	q := registry.last[rid]
	registry.mu.Unlock()
	if q["idNumber"] != p.idNumber || q["name"] != p.name {
		t.Fatalf("the registry got the wrong details: %v", q)
	}
	// The commitment shows the open verification.
	if r := call(t, "GET", gatewayURL(credit)+"/v1/public/commitments/"+id, ""); r.Body["verification"] != chengnuo.VerifyUnder {
		t.Fatalf("commitment during verification: %s", r.Raw)
	}

	// The details are readable by PoliceMSP only.
	if r := callAs(t, apiKey(t, police, "CLERK"), "GET", gatewayURL(police)+"/v1/verification/requests/"+rid+"/details", ""); r.Status != 200 || !strings.Contains(r.Raw, marker) {
		t.Fatalf("police reads details: %d %s", r.Status, r.Raw)
	}
	for _, slot := range []int{market, justice, credit} {
		if r := callAs(t, apiKey(t, slot, "CLERK"), "GET", gatewayURL(slot)+"/v1/verification/requests/"+rid+"/details", ""); r.Status != http.StatusForbidden {
			t.Errorf("%s reads details: %d %s", orgs[slot].key, r.Status, r.Raw)
		}
	}
	// And only PoliceMSP's peer ever received them: the marker is in its
	// ledger files and in no other peer's or orderer's.
	barrier(t)
	if !dirContains(t, filepath.Join(deptHome(police), "data", "peer"), marker) {
		t.Fatal("control: the details are not in PoliceMSP's peer data")
	}
	if dirContains(t, filepath.Join(deptHome(police), "data", "orderer"), marker) {
		t.Error("the details reached PoliceMSP's orderer")
	}
	for _, slot := range []int{market, justice, credit} {
		for _, node := range []string{"peer", "orderer"} {
			if dirContains(t, filepath.Join(deptHome(slot), "data", node), marker) {
				t.Errorf("the details reached %s's %s", orgs[slot].key, node)
			}
		}
	}

	// Answered — here by the registry, without a clerk — the details are
	// purged by PoliceMSP's gateway once their retention (10 s in the tests)
	// has passed; only their hash stays.
	if r := callAs(t, apiKey(t, market, "CLERK"), "POST", gatewayURL(market)+"/v1/verification/requests/"+rid+"/purge", ""); r.Status != http.StatusForbidden {
		t.Fatalf("market purges police's details: %d %s", r.Status, r.Raw)
	}
	var after response
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if after = callAs(t, apiKey(t, police, "CLERK"), "GET", gatewayURL(police)+"/v1/verification/requests/"+rid+"/details", ""); after.Status == http.StatusNotFound {
			break
		}
	}
	if after.Status != http.StatusNotFound {
		t.Fatalf("details not purged automatically: %d %s", after.Status, after.Raw)
	}
	// A purge by a clerk of purged details does no harm.
	if r := callAs(t, apiKey(t, police, "CLERK"), "POST", gatewayURL(police)+"/v1/verification/requests/"+rid+"/purge", ""); r.Status != http.StatusOK {
		t.Fatalf("purge: %d %s", r.Status, r.Raw)
	}
	// The requester cannot deliver them again.
	c := dialOrg(t, market)
	req, err := c.GetVerification(context.Background(), rid)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeliverDetails(context.Background(), req, []byte(`{}`)); chengnuo.ErrorCode(err) != chengnuo.ECONFLICT {
		t.Fatalf("redelivery after the answer: %v", err)
	}
}

// dirContains greps every file under dir for s.
func dirContains(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || found {
			return nil
		}
		b, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(b), s) {
			found = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestManualAnswerAndWrittenRefusal(t *testing.T) {
	code := publishVisible(t, verifiedItem(uniqueCode(t, "MAN"), "JusticeMSP", false))
	id := anchorID(t, code, newPerson(t, "人工核查"))
	rid := requestCheck(t, id, "核查资格")
	answerAs := func(slot int, body string) response {
		return callAs(t, apiKey(t, slot, "CLERK"), "POST", gatewayURL(slot)+"/v1/verification/requests/"+rid+"/answer", body)
	}
	// Justice's gateway learned of it from the ledger's events.
	var inbox response
	for i := 0; i < 50; i++ {
		inbox = callAs(t, apiKey(t, justice, "AUDITOR"), "GET", gatewayURL(justice)+"/v1/verification/inbox", "")
		if strings.Contains(inbox.Raw, rid) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(inbox.Raw, rid) {
		t.Fatalf("justice's inbox lacks %s: %s", rid, inbox.Raw)
	}
	pending := callAs(t, apiKey(t, justice, "CLERK"), "GET", gatewayURL(justice)+"/v1/verification/requests?side=to&state=pending", "")
	if !strings.Contains(pending.Raw, rid) {
		t.Fatalf("pending list lacks %s: %s", rid, pending.Raw)
	}
	if r := callAs(t, apiKey(t, justice, "CLERK"), "POST", gatewayURL(justice)+"/v1/verification/requests/"+rid+"/purge", ""); r.Status != http.StatusConflict {
		t.Fatalf("purge of a pending request: %d %s", r.Status, r.Raw)
	}
	if r := answerAs(market, `{"result":"CONSISTENT","evidence":"x"}`); r.Status != http.StatusForbidden {
		t.Fatalf("market answers a request to justice: %d %s", r.Status, r.Raw)
	}
	for _, bad := range []string{`{"declineReason":"no"}`, `{"declineReason":"数据含有身份证号110101198501010011"}`,
		`{"declineReason":"身份证 1101-0519-4912-3100-2X 不符"}`, `{"declineReason":"请致电 138 0000 0000"}`,
		`{"result":"MAYBE","evidence":"x"}`, `{"result":"CONSISTENT"}`} {
		if r := answerAs(justice, bad); r.Status != http.StatusBadRequest {
			t.Errorf("answer %s: %d %s", bad, r.Status, r.Raw)
		}
	}
	r := answerAs(justice, `{"declineReason":"本部门不掌握该项数据，请向教育部门申请核查"}`)
	if r.Status != http.StatusOK || r.Body["status"] != chengnuo.RequestDeclined {
		t.Fatalf("decline: %d %s", r.Status, r.Raw)
	}
	if r := answerAs(justice, `{"result":"CONSISTENT","evidence":"late"}`); r.Status != http.StatusConflict {
		t.Fatalf("second answer: %d %s", r.Status, r.Raw)
	}
	barrier(t)
	from := callAs(t, apiKey(t, market, "AUDITOR"), "GET", gatewayURL(market)+"/v1/verification/requests?side=from&state=all", "")
	if !strings.Contains(from.Raw, rid) || strings.Contains(from.Raw, "本部门不掌握该项数据") {
		t.Fatalf("the request list lacks the request or shows the refusal's text: %s", from.Raw)
	}
	// The ledger holds the refusal's salted digest; its text reaches the
	// requesting department — and only it — through its private collection.
	dd, _ := r.Body["answer"].(map[string]any)["declineDigest"].(string)
	var txt response
	for i := 0; i < 50; i++ {
		if txt = callAs(t, apiKey(t, market, "AUDITOR"), "GET", gatewayURL(market)+"/v1/texts/"+dd, ""); txt.Status == 200 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if txt.Status != 200 || txt.Body["text"] != "本部门不掌握该项数据，请向教育部门申请核查" || txt.Body["from"] != "JusticeMSP" {
		t.Fatalf("the requester reads the refusal: %d %s", txt.Status, txt.Raw)
	}
	if r := callAs(t, apiKey(t, credit, "AUDITOR"), "GET", gatewayURL(credit)+"/v1/texts/"+dd, ""); r.Status != http.StatusNotFound {
		t.Fatalf("another department reads the refusal: %d %s", r.Status, r.Raw)
	}
	// After a refusal the department may conclude the check itself.
	if r := recordOutcome(t, market, id, client.OutcomeRequest{Result: client.OutcomeRequestResultUNVERIFIABLE, Reason: client.Ptr("协查部门书面拒绝"), RequestId: client.Ptr(rid)}); r.Status != 200 || r.Body["verification"] != chengnuo.VerifyUnverifiable {
		t.Fatalf("unverifiable: %d %s", r.Status, r.Raw)
	}
}

func TestListenerRestartMissesNoneHandlesNoneTwice(t *testing.T) {
	code := publishVisible(t, verifiedItem(uniqueCode(t, "RST"), "PoliceMSP", false))
	const n = 8
	ids := make([]string, n)
	for i := range ids {
		ids[i] = anchorID(t, code, newPerson(t, fmt.Sprintf("重启测试%d", i)))
	}
	var rids []string
	var mu sync.Mutex
	done := make(chan struct{})
	go func() { // the stream of requests
		defer close(done)
		for _, id := range ids {
			r := callAs(t, apiKey(t, market, "CLERK"), "POST", gatewayURL(market)+"/v1/commitments/"+id+"/verification", `{"claim":"核查户籍"}`)
			if r.Status == http.StatusCreated {
				mu.Lock()
				rids = append(rids, r.Body["id"].(string))
				mu.Unlock()
			}
			time.Sleep(150 * time.Millisecond)
		}
	}()
	time.Sleep(400 * time.Millisecond)
	// The gateway crashes; its supervisor starts it again.
	pid := childPID(t, deptHome(police), "gateway")
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill police gateway: %v", err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		raw, _ := os.ReadFile(filepath.Join(deptHome(police), "run", "gateway.child"))
		if now, _ := strconv.Atoi(strings.TrimSpace(string(raw))); now != 0 && now != pid {
			// Not call(): a refused connection is expected until it listens.
			if resp, err := http.Get(gatewayURL(police) + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the supervisor did not bring the police gateway back within a minute")
		}
		time.Sleep(200 * time.Millisecond)
	}
	<-done
	if len(rids) != n {
		t.Fatalf("%d of %d requests created", len(rids), n)
	}
	for _, rid := range rids {
		if a := waitAnswered(t, rid, 60*time.Second); a.Body["status"] != chengnuo.RequestAnswered {
			t.Fatalf("%s: %s", rid, a.Raw)
		}
	}
	// The ledger shows an answer as soon as it commits; the police gateway
	// marks its inbox entry handled once it has seen that commit (after a
	// retry if the submission's outcome was unknown): wait for that.
	var entries []any
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		inbox := callAs(t, apiKey(t, police, "AUDITOR"), "GET", gatewayURL(police)+"/v1/verification/inbox", "")
		entries, _ = inbox.Body["entries"].([]any)
		handled := 0
		for _, e := range entries {
			em := e.(map[string]any)
			if slices.Contains(rids, em["request"].(map[string]any)["id"].(string)) && em["handled"] == true {
				handled++
			}
		}
		if handled >= len(rids) || time.Now().After(deadline) {
			break
		}
	}
	seen := map[string]int{}
	for _, e := range entries {
		em := e.(map[string]any)
		req := em["request"].(map[string]any)
		seen[req["id"].(string)]++
		for _, rid := range rids {
			if req["id"] == rid && (em["handled"] != true || em["handlings"] != float64(1)) {
				t.Errorf("inbox entry %s: %v", rid, em)
			}
		}
	}
	for _, rid := range rids {
		if seen[rid] != 1 {
			t.Errorf("request %s is %d times in the inbox", rid, seen[rid])
		}
		if c := registryCalls(rid); c != 1 {
			t.Errorf("request %s was handled by the registry %d times", rid, c)
		}
	}
}

func TestOutcomeRules(t *testing.T) {
	code := publishVisible(t, verifiedItem(uniqueCode(t, "OUT"), "PoliceMSP", false))
	id := anchorID(t, code, newPerson(t, "结果规则"))
	bad := []map[string]any{
		{"result": "EXEMPT"}, // the item is not exempt
		{"result": "FALSE", "level": "SERIOUS"},
		{"result": "FALSE", "disposal": map[string]any{"measures": []string{"TERMINATED"}}},
		{"result": "FALSE", "level": "SERIOUS", "disposal": map[string]any{"measures": []string{"RECTIFY"}}}, // no deadline
		{"result": "FALSE", "level": "SERIOUS", "disposal": map[string]any{"measures": []string{"EXILE"}}},
		{"result": "UNVERIFIABLE"}, // no reason
		{"result": "MAYBE"},
	}
	for _, b := range bad {
		if r := callAs(t, apiKey(t, market, "CLERK"), "POST", gatewayURL(market)+"/v1/commitments/"+id+"/outcome", mustJSON(t, b)); r.Status != http.StatusBadRequest {
			t.Errorf("outcome %v: %d %s", b, r.Status, r.Raw)
		}
	}
	waitVisible(t, police, "/v1/public/commitments/"+id)
	if r := recordOutcome(t, police, id, client.OutcomeRequest{Result: client.OutcomeRequestResultVERIFIED}); r.Status != http.StatusForbidden {
		t.Fatalf("another department records an outcome: %d %s", r.Status, r.Raw)
	}
	if r := recordOutcome(t, market, id, client.OutcomeRequest{Result: client.OutcomeRequestResultVERIFIED}); r.Status != 200 || r.Body["verification"] != chengnuo.VerifyVerified {
		t.Fatalf("verified: %d %s", r.Status, r.Raw)
	}
	if r := recordOutcome(t, market, id, falseOutcome); r.Status != http.StatusConflict {
		t.Fatalf("second outcome: %d %s", r.Status, r.Raw)
	}
	exempt := testItem(uniqueCode(t, "EX"))
	exempt.Verification = client.VerificationRule{Exempt: true}
	ecode := publishVisible(t, exempt)
	eid := anchorID(t, ecode, newPerson(t, "免核甲"))
	if r := callAs(t, apiKey(t, market, "CLERK"), "POST", gatewayURL(market)+"/v1/commitments/"+eid+"/verification", `{"claim":"核查"}`); r.Status != http.StatusBadRequest {
		t.Fatalf("verification of an exempt item: %d %s", r.Status, r.Raw)
	}
	if r := recordOutcome(t, market, eid, client.OutcomeRequest{Result: client.OutcomeRequestResultEXEMPT}); r.Status != 200 || r.Body["verification"] != chengnuo.VerifyExempt {
		t.Fatalf("exempt: %d %s", r.Status, r.Raw)
	}
}

func TestCreditObjectionAndSampling(t *testing.T) {
	code := publishVisible(t, verifiedItem(uniqueCode(t, "CRD"), "PoliceMSP", false))
	x, y := newPerson(t, "异议人"), newPerson(t, "修复人")
	// x: false commitment, objection upheld -> record annulled, eligible.
	xid := anchorID(t, code, x)
	r := recordOutcome(t, market, xid, falseOutcome)
	if r.Status != 200 {
		t.Fatalf("false: %d %s", r.Status, r.Raw)
	}
	crx := r.Body["outcome"].(map[string]any)["creditId"].(string)
	barrier(t)
	// The standing from the chaincode, the letters from the credit
	// platform's read model (anchored at market), as of one block height.
	v := lookup(t, x)
	cs, _ := v.Body["commitments"].([]any)
	if v.Body["eligible"] != false || len(cs) != 1 || v.Body["height"] == nil {
		t.Fatalf("after FALSE: %s", v.Raw)
	}
	if c, _ := cs[0].(map[string]any); c["id"] != xid || c["verification"] != chengnuo.VerifyFalse || c["org"] != "MarketMSP" {
		t.Fatalf("the applicant's letter after FALSE: %s", v.Raw)
	}
	if r := anchorAt(t, code, x); r.Status != http.StatusUnprocessableEntity || r.Body["code"] != chengnuo.EINELIGIBLE {
		t.Fatalf("ineligible applicant's letter: %d %s", r.Status, r.Raw)
	}
	ob := callAs(t, apiKey(t, market, "CLERK"), "POST", gatewayURL(market)+"/v1/credit/records/"+crx+"/objections", `{"reason":"申请人提出异议：核查对象有误"}`)
	if ob.Status != http.StatusCreated {
		t.Fatalf("objection: %d %s", ob.Status, ob.Raw)
	}
	obID := ob.Body["id"].(string)
	decide := func(slot int, role, body string) response {
		return callAs(t, apiKey(t, slot, role), "POST", gatewayURL(slot)+"/v1/credit/objections/"+obID+"/decision", body)
	}
	if r := decide(market, "CLERK", `{"uphold":true,"reason":"不应由本部门决定"}`); r.Status != http.StatusForbidden {
		t.Fatalf("market decides an objection: %d %s", r.Status, r.Raw)
	}
	barrier(t)
	if r := decide(credit, "CREDIT_OFFICER", `{"uphold":true,"reason":"经复核，核查对象有误，异议成立"}`); r.Status != 200 || r.Body["status"] != chengnuo.ObjectionUpheld {
		t.Fatalf("uphold: %d %s", r.Status, r.Raw)
	}
	barrier(t)
	if v := lookup(t, x); v.Body["eligible"] != true || !strings.Contains(v.Raw, chengnuo.CreditAnnulled) {
		t.Fatalf("after an upheld objection: %s", v.Raw)
	}

	// y: false commitment, then repaired: eligible, sampled at three times the base rate.
	yid := anchorID(t, code, y)
	r = recordOutcome(t, market, yid, falseOutcome)
	cry := r.Body["outcome"].(map[string]any)["creditId"].(string)
	barrier(t)
	if r := callAs(t, apiKey(t, credit, "CREDIT_OFFICER"), "POST", gatewayURL(credit)+"/v1/credit/records/"+cry+"/repair", `{"reason":"已整改"}`); r.Status != 200 {
		t.Fatalf("repair: %d %s", r.Status, r.Raw)
	}
	barrier(t)
	from := time.Now()
	ids := map[string]bool{anchorID(t, code, y): true}
	for i := range 5 {
		ids[anchorID(t, code, newPerson(t, fmt.Sprintf("抽查%d", i)))] = true
	}
	s := callAs(t, apiKey(t, market, "CLERK"), "POST", gatewayURL(market)+"/v1/samples",
		mustJSON(t, map[string]any{"itemCode": code, "from": from.UTC().Format(time.RFC3339Nano), "to": time.Now().Add(time.Minute).UTC().Format(time.RFC3339Nano),
			"basePermille": 300, "inspectors": []string{"MKT-I01", "MKT-I02", "MKT-I03", "MKT-I04"}}))
	if s.Status != http.StatusCreated {
		t.Fatalf("sample: %d %s", s.Status, s.Raw)
	}
	// Another department's gateway contributes when it sees the draw; the
	// drawing department then reveals its secret.
	for deadline := time.Now().Add(30 * time.Second); s.Body["status"] != chengnuo.SamplePublished && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		g := call(t, "GET", gatewayURL(market)+"/v1/samples/"+s.Body["id"].(string), "")
		if got, ok := g.Body["sample"].(map[string]any); ok {
			s.Body = got
		}
	}
	if s.Body["status"] != chengnuo.SamplePublished {
		t.Fatalf("the draw was not published: %v", s.Body)
	}
	// Neither department chose the seed: the drawer committed to its secret
	// before another department contributed; anyone recomputes it.
	seed := s.Body["seed"].(string)
	secret, _ := hex.DecodeString(s.Body["secret"].(string))
	if by := s.Body["contributedBy"]; by == "MarketMSP" || by == nil || sm.SM3Hex(secret) != s.Body["commitment"] ||
		seed != chaincode.SampleSeed(s.Body["secret"].(string), s.Body["contribution"].(string), s.Body["id"].(string)) {
		t.Fatalf("the seed does not recompute: %v", s.Body)
	}
	cands := s.Body["candidates"].([]any)
	if len(cands) != len(ids) {
		t.Fatalf("%d candidates, want %d: %s", len(cands), len(ids), s.Raw)
	}
	var recomputed []string
	for _, c := range cands {
		cm := c.(map[string]any)
		cid, p := cm["commitmentId"].(string), int(cm["permille"].(float64))
		if !ids[cid] {
			t.Fatalf("candidate %s is not one of ours", cid)
		}
		if chaincode.SampleSelected(seed, cid, p) {
			recomputed = append(recomputed, cid)
		}
	}
	if got := fmt.Sprint(s.Body["selected"]); got != fmt.Sprint(toAny(recomputed)) {
		t.Fatalf("selection %s does not recompute to %v", got, recomputed)
	}
	// And the inspectors: two of the pool for each selected commitment.
	for _, a := range s.Body["assignments"].([]any) {
		am := a.(map[string]any)
		got := fmt.Sprint(am["inspectors"])
		if want := fmt.Sprint(toAny(chaincode.AssignInspectors(seed, am["commitmentId"].(string), []string{"MKT-I01", "MKT-I02", "MKT-I03", "MKT-I04"}))); got != want {
			t.Fatalf("inspectors %s do not recompute to %s", got, want)
		}
	}
	// The same period cannot be drawn again until the result pleases.
	again := callAs(t, apiKey(t, market, "CLERK"), "POST", gatewayURL(market)+"/v1/samples",
		mustJSON(t, map[string]any{"itemCode": code, "from": from.UTC().Format(time.RFC3339Nano), "to": time.Now().UTC().Format(time.RFC3339Nano),
			"basePermille": 300, "inspectors": []string{"MKT-I01"}}))
	if again.Status != http.StatusConflict {
		t.Fatalf("a redraw of the period: %d %s", again.Status, again.Raw)
	}
	rates := map[float64]int{}
	for _, c := range cands {
		rates[c.(map[string]any)["permille"].(float64)]++
	}
	if rates[900] != 1 || rates[300] != 5 {
		t.Fatalf("rates %v: want the repaired applicant at 900 and the others at 300", rates)
	}
	barrier(t)
	g := call(t, "GET", gatewayURL(justice)+"/v1/samples/"+s.Body["id"].(string), "")
	sample, _ := g.Body["sample"].(map[string]any)
	results, _ := g.Body["results"].([]any)
	if g.Status != 200 || sample["seed"] != seed || len(results) != len(recomputed) {
		t.Fatalf("public sample: %d %s", g.Status, g.Raw)
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func TestDisclosureMasksPersonalData(t *testing.T) {
	pub := publishVisible(t, verifiedItem(uniqueCode(t, "PUB"), "PoliceMSP", true))
	priv := publishVisible(t, verifiedItem(uniqueCode(t, "PRV"), "PoliceMSP", false))
	p := newPerson(t, "公示申请人")
	shown := anchorID(t, pub, p)
	hidden := anchorID(t, priv, newPerson(t, "不公示人"))
	r := call(t, "GET", gatewayURL(market)+"/v1/public/disclosures", "")
	if r.Status != 200 || !strings.Contains(r.Raw, shown) || strings.Contains(r.Raw, hidden) {
		t.Fatalf("disclosures: %d %s", r.Status, r.Raw)
	}
	if strings.Contains(r.Raw, p.name) || strings.Contains(r.Raw, p.idNumber) || strings.Contains(r.Raw, p.phone) || !strings.Contains(r.Raw, `"applicant":"公****"`) {
		t.Fatalf("disclosure does not mask personal data: %s", r.Raw)
	}
	// A withdrawn letter leaves the list at once.
	if w := callAs(t, apiKey(t, market, "CLERK"), "POST", gatewayURL(market)+"/v1/commitments/"+shown+"/withdraw", `{"reason":"申请人主动撤回"}`); w.Status != 200 {
		t.Fatalf("withdraw: %d %s", w.Status, w.Raw)
	}
	if r := call(t, "GET", gatewayURL(market)+"/v1/public/disclosures", ""); r.Status != 200 || strings.Contains(r.Raw, shown) {
		t.Fatalf("a withdrawn letter is still disclosed: %d %s", r.Status, r.Raw)
	}
}

func TestCatalogProposals(t *testing.T) {
	code := publishVisible(t, testItem(uniqueCode(t, "PRO")))
	changed := testItem(code)
	changed.Content = "部门提议修订的证明内容"
	p := got(t)(apiAt(t, market, "CLERK").ProposeCatalogChangeWithResponse(ctxOf(t), client.ProposeCatalogChangeJSONRequestBody{
		Kind: client.ProposeCatalogChangeJSONBodyKindCHANGE, Item: &changed, Reason: "实际办理中需调整证明内容"}))
	if p.Status != http.StatusCreated || p.Body["status"] != "PENDING" {
		t.Fatalf("propose: %d %s", p.Status, p.Raw)
	}
	pid := p.Body["id"].(string)
	if r := callAs(t, apiKey(t, market, "CLERK"), "POST", gatewayURL(market)+"/v1/catalog/proposals/"+pid+"/decision", `{"approve":true,"reason":"自己批准自己"}`); r.Status != http.StatusForbidden {
		t.Fatalf("market decides its own proposal: %d %s", r.Status, r.Raw)
	}
	barrier(t)
	d := callAs(t, apiKey(t, justice, "CATALOG_ADMIN"), "POST", gatewayURL(justice)+"/v1/catalog/proposals/"+pid+"/decision", `{"approve":true,"reason":"经审核同意修订"}`)
	if d.Status != 200 || d.Body["status"] != "APPROVED" || d.Body["version"] != float64(2) {
		t.Fatalf("approve: %d %s", d.Status, d.Raw)
	}
	barrier(t)
	if r := call(t, "GET", gatewayURL(police)+"/v1/catalog/items/"+code, ""); r.Body["version"] != float64(2) || r.Body["content"] != "部门提议修订的证明内容" {
		t.Fatalf("after approval: %s", r.Raw)
	}
	add := callAs(t, apiKey(t, police, "CLERK"), "POST", gatewayURL(police)+"/v1/catalog/proposals",
		mustJSON(t, map[string]any{"kind": "ADD", "item": testItem(uniqueCode(t, "NEW")), "reason": "建议新增证明事项"}))
	if add.Status != http.StatusCreated {
		t.Fatalf("propose add: %d %s", add.Status, add.Raw)
	}
	barrier(t)
	rej := callAs(t, apiKey(t, justice, "CATALOG_ADMIN"), "POST", gatewayURL(justice)+"/v1/catalog/proposals/"+add.Body["id"].(string)+"/decision", `{"approve":false,"reason":"该事项涉及公共安全领域，不适用告知承诺制"}`)
	if rej.Status != 200 || rej.Body["status"] != "REJECTED" || strings.Contains(rej.Raw, "公共安全") {
		t.Fatalf("reject: %d %s", rej.Status, rej.Raw)
	}
	// The reasons travel as private data: the proposal's to the justice
	// bureau, the decision's to the proposing department; the record holds
	// only their salted digests.
	text := func(slot int, digest string) response {
		var r response
		for i := 0; i < 50; i++ {
			if r = callAs(t, apiKey(t, slot, "AUDITOR"), "GET", gatewayURL(slot)+"/v1/texts/"+digest, ""); r.Status == 200 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		return r
	}
	if r := text(justice, add.Body["reasonDigest"].(string)); r.Body["text"] != "建议新增证明事项" || r.Body["from"] != "PoliceMSP" {
		t.Fatalf("justice reads the proposal's reason: %d %s", r.Status, r.Raw)
	}
	if r := text(police, rej.Body["decisionDigest"].(string)); r.Body["text"] != "该事项涉及公共安全领域，不适用告知承诺制" {
		t.Fatalf("the proposer reads the decision's reason: %d %s", r.Status, r.Raw)
	}
	if r := callAs(t, apiKey(t, market, "AUDITOR"), "GET", gatewayURL(market)+"/v1/texts/"+rej.Body["decisionDigest"].(string), ""); r.Status != http.StatusNotFound {
		t.Fatalf("a bystander reads the decision's reason: %d %s", r.Status, r.Raw)
	}
	if r := call(t, "GET", gatewayURL(justice)+"/v1/catalog/proposals/"+add.Body["id"].(string), ""); r.Body["status"] != "REJECTED" {
		t.Fatalf("proposal after rejection: %s", r.Raw)
	}
}
