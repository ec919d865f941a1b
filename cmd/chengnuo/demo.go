package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/retry"
	"github.com/chengnuo/chengnuo/sm"
)

// demo runs the whole story against a running local network and prints
// each step; it fails (exit 1) as soon as a step does not go as the policy
// says it must.
type demo struct {
	out      io.Writer
	hc       *http.Client
	base     int
	keys     map[string]map[string]string // org key -> role -> API key
	gateways map[string]string            // org key -> gateway URL
	step     int
	token    string
}

var demoSlots = map[string]int{"justice": 0, "market": 1, "police": 2, "credit": 3}

func runDemo(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	state := fs.String("state", envOr("CHENGNUO_STATE", ".state"), "state dir of the network [CHENGNUO_STATE]")
	base := fs.Int("base-port", atoiOr(os.Getenv("CHENGNUO_BASE_PORT"), 17000), "base port of the network [CHENGNUO_BASE_PORT]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d := &demo{out: out, hc: &http.Client{Timeout: 90 * time.Second}, base: *base, keys: map[string]map[string]string{}}
	nj, err := os.ReadFile(filepath.Join(*state, "network.json"))
	if err != nil {
		return fmt.Errorf("demo: is the network up? %w", err)
	}
	var doc struct {
		Departments []struct{ Key, Gateway, Home string } `json:"departments"`
	}
	if err := json.Unmarshal(nj, &doc); err != nil {
		return fmt.Errorf("demo: %s: %w", filepath.Join(*state, "network.json"), err)
	}
	d.gateways = map[string]string{}
	homes := map[string]string{}
	for _, dep := range doc.Departments {
		d.gateways[dep.Key], homes[dep.Key] = dep.Gateway, dep.Home
	}
	for org := range demoSlots {
		if d.gateways[org] == "" {
			return fmt.Errorf("demo: %s is not in network.json", org)
		}
		raw, err := os.ReadFile(filepath.Join(homes[org], "gateway", "keys.env"))
		if err != nil {
			return fmt.Errorf("demo: is the network up? %w", err)
		}
		d.keys[org] = map[string]string{}
		for _, line := range strings.Split(string(raw), "\n") {
			if k, v, ok := strings.Cut(line, "_KEY="); ok {
				d.keys[org][k] = v
			}
		}
	}
	return d.run(ctx)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func atoiOr(s string, def int) int {
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil {
		return def
	}
	return n
}

func (d *demo) url(org, path string) string {
	return d.gateways[org] + path
}

// call makes a request as org with role ("" for none) and decodes the JSON answer.
func (d *demo) call(ctx context.Context, org, role, method, path string, body any) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.url(org, path), rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+d.keys[org][role])
	}
	res, err := d.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return res.StatusCode, nil, fmt.Errorf("%s %s: undecodable answer: %w", method, path, err)
	}
	return res.StatusCode, out, nil
}

func (d *demo) say(format string, a ...any) {
	d.step++
	fmt.Fprintf(d.out, "%2d. %s\n", d.step, fmt.Sprintf(format, a...))
}

func (d *demo) expect(status, want int, body map[string]any, what string) error {
	if status != want {
		return fmt.Errorf("demo: %s: HTTP %d, want %d: %v", what, status, want, body)
	}
	return nil
}

// waitFor polls cond for up to 15 s.
func (d *demo) waitFor(ctx context.Context, what string, cond func() (bool, error)) error {
	errNotYet := errors.New("not yet")
	err := retry.Do(ctx, retry.Policy{Initial: 100 * time.Millisecond, Max: time.Second, Within: 15 * time.Second},
		func(err error) bool { return err == errNotYet }, func(context.Context) error {
			ok, err := cond()
			if err == nil && !ok {
				err = errNotYet
			}
			return err
		})
	if err == errNotYet {
		return fmt.Errorf("demo: timed out waiting for %s", what)
	}
	return err
}

func demoApplicantID() string {
	first := fmt.Sprintf("110101199%d%02d%02d%03d", rand.IntN(10), 1+rand.IntN(12), 1+rand.IntN(28), rand.IntN(1000))
	return first + string(letter.ResidentCheckChar(first))
}

func (d *demo) letterFor(ctx context.Context, code string, applicant map[string]any) (map[string]string, error) {
	st, dr, err := d.call(ctx, "market", "CLERK", "POST", "/v1/drafts", map[string]any{
		"itemCode": code, "applicant": applicant, "contactName": "窗口工作人员", "contactPhone": "0571-87000000"})
	if err != nil {
		return nil, err
	}
	if err := d.expect(st, 201, dr, "draft"); err != nil {
		return nil, err
	}
	key, err := sm.GenerateKey()
	if err != nil {
		return nil, err
	}
	canonical := dr["canonical"].(string)
	sig, err := sm.Sign(key, []byte(canonical))
	if err != nil {
		return nil, err
	}
	pub, _ := sm.MarshalPublicKeyPEM(&key.PublicKey)
	return map[string]string{"letter": canonical, "signature": base64.StdEncoding.EncodeToString(sig), "publicKey": string(pub)}, nil
}

func (d *demo) run(ctx context.Context) error {
	code := fmt.Sprintf("DEMO-%04d", rand.IntN(10000))
	item := map[string]any{
		"code": code, "name": "演示事项：无犯罪记录证明", "department": "MarketMSP", "purpose": "办理准营许可时证明无犯罪记录",
		"legalBasis": "演示依据第一条", "content": "申请人未因故意犯罪受过刑事处罚", "eligibleApplicants": "申请准营许可的自然人",
		"commitmentMethod": "书面承诺，本人签名", "verificationPower": "行政机关有权请求公安机关协助核查",
		"liability": "虚假承诺的，撤销许可并记入信用记录", "demo": true,
		"disclosure":   map[string]any{"public": true, "scope": "本市政务服务网", "periodDays": 30},
		"verification": map[string]any{"exempt": false, "method": "ONLINE", "department": "PoliceMSP", "timeLimitDays": 10},
	}
	st, it, err := d.call(ctx, "justice", "CATALOG_ADMIN", "POST", "/v1/catalog/items", item)
	if err != nil {
		return err
	}
	if err := d.expect(st, 201, it, "publish"); err != nil {
		return err
	}
	d.say("市司法局 publishes catalog item %s version %v (verified online by PoliceMSP within 10 days)", code, it["version"])
	// Each department's peer commits the block on its own schedule.
	if err := d.waitFor(ctx, "the item at market", func() (bool, error) {
		st, _, err := d.call(ctx, "market", "", "GET", "/v1/catalog/items/"+code, nil)
		return st == 200, err
	}); err != nil {
		return err
	}

	applicant := map[string]any{"name": "演示申请人", "idType": "RESIDENT_ID", "idNumber": demoApplicantID(), "contact": "13800000000"}
	sub, err := d.letterFor(ctx, code, applicant)
	if err != nil {
		return err
	}
	d.say("市市场监管局 renders the letter; the applicant signs it with a new SM2 key")
	st, rc, err := d.call(ctx, "market", "CLERK", "POST", "/v1/commitments", sub)
	if err != nil {
		return err
	}
	if err := d.expect(st, 201, rc, "submit"); err != nil {
		return err
	}
	receipt := rc["receipt"].(map[string]any)
	id := receipt["commitmentId"].(string)
	d.say("anchored as %s (letter digest %.16s…, tx %.12s…, block %v)", id, receipt["letterDigest"], receipt["txId"], receipt["blockNumber"])

	t0 := time.Now()
	st, vr, err := d.call(ctx, "market", "CLERK", "POST", "/v1/commitments/"+id+"/verification", map[string]any{"claim": "核查：未因故意犯罪受过刑事处罚（演示：不一致）"})
	if err != nil {
		return err
	}
	if err := d.expect(st, 201, vr, "request verification"); err != nil {
		return err
	}
	rid := vr["id"].(string)
	d.say("market asks PoliceMSP to verify (request %s, due %v); the details go only to PoliceMSP's private collection", rid, vr["dueAt"])

	var answer map[string]any
	_ = retry.Do(ctx, retry.Policy{Initial: 200 * time.Millisecond, Max: time.Second, Within: 5 * time.Second}, nil,
		func(ctx context.Context) error {
			_, r, err := d.call(ctx, "market", "", "GET", "/v1/verification/requests/"+rid, nil)
			if err == nil && r["status"] == "PENDING" {
				err = errors.New("pending")
			}
			if err == nil {
				answer = r
			}
			return err
		})
	how := "automatically by its registry"
	if answer == nil {
		st, r, err := d.call(ctx, "police", "CLERK", "POST", "/v1/verification/requests/"+rid+"/answer",
			map[string]any{"result": "INCONSISTENT", "evidence": "户籍与犯罪记录系统查询结果（演示）"})
		if err != nil {
			return err
		}
		if st == 409 { // the registry answered meanwhile
			_, r, err = d.call(ctx, "market", "", "GET", "/v1/verification/requests/"+rid, nil)
			if err != nil {
				return err
			}
		} else if err := d.expect(st, 200, r, "answer"); err != nil {
			return err
		}
		answer, how = r, "by a PoliceMSP clerk"
	}
	ans, _ := answer["answer"].(map[string]any)
	if ans["result"] != "INCONSISTENT" {
		return fmt.Errorf("demo: PoliceMSP answered %v, want INCONSISTENT", answer)
	}
	d.say("PoliceMSP answers INCONSISTENT %s after %s (overdue: %v)", how, time.Since(t0).Round(time.Millisecond), ans["overdue"])

	st, oc, err := d.call(ctx, "market", "CLERK", "POST", "/v1/commitments/"+id+"/outcome", map[string]any{
		"result": "FALSE", "requestId": rid, "reason": "协助核查结果不一致", "level": "SERIOUS",
		"disposal": map[string]any{"measures": []string{"TERMINATED", "REVOKED", "RECTIFY"}, "rectificationDays": 20}})
	if err != nil {
		return err
	}
	if err := d.expect(st, 200, oc, "outcome"); err != nil {
		return err
	}
	outcome := oc["outcome"].(map[string]any)
	creditID := outcome["creditId"].(string)
	d.say("market records FALSE: processing terminated, decision revoked, rectification ordered; dishonesty level SERIOUS (严重)")

	lookup := map[string]any{"idType": applicant["idType"], "idNumber": applicant["idNumber"]}
	var view map[string]any
	if err := d.waitFor(ctx, "the credit record at the credit platform", func() (bool, error) {
		st, v, err := d.call(ctx, "credit", "CREDIT_OFFICER", "POST", "/v1/credit/lookup", lookup)
		view = v
		return st == 200 && v["eligible"] == false, err
	}); err != nil {
		return fmt.Errorf("%w (last answer: %v)", err, view)
	}
	d.say("信用平台 finds credit record %s; the applicant is not eligible: %v", creditID, view["reason"])

	again, err := d.letterFor(ctx, code, applicant)
	if err != nil {
		return err
	}
	st, r, err := d.call(ctx, "market", "CLERK", "POST", "/v1/commitments", again)
	if err != nil {
		return err
	}
	if st != 422 || r["code"] != "NOT_ELIGIBLE" {
		return fmt.Errorf("demo: a new letter of the ineligible applicant got HTTP %d %v, want 422 NOT_ELIGIBLE", st, r)
	}
	d.say("a new letter by the same applicant is refused: %s", r["code"])

	st, rep, err := d.call(ctx, "credit", "CREDIT_OFFICER", "POST", "/v1/credit/records/"+creditID+"/repair", map[string]any{"reason": "已完成整改，信用修复申请经审核通过"})
	if err != nil {
		return err
	}
	if err := d.expect(st, 200, rep, "repair"); err != nil {
		return err
	}
	d.say("信用平台 records credit repair (信用修复): record %s is %v", creditID, rep["status"])

	if err := d.waitFor(ctx, "market to accept the letter after repair", func() (bool, error) {
		st, r, err = d.call(ctx, "market", "CLERK", "POST", "/v1/commitments", again)
		if st == 422 { // market's peer has not seen the repair yet
			return false, err
		}
		return true, errors.Join(err, d.expect(st, 201, r, "submit after repair"))
	}); err != nil {
		return err
	}
	d.say("the same applicant's new letter is accepted: %s", r["receipt"].(map[string]any)["commitmentId"])
	fmt.Fprintln(d.out, "demo: the whole story ran as the policy requires")
	return nil
}
