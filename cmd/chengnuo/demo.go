package main

import (
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

	"github.com/chengnuo/chengnuo/client"
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

// api is the generated client of org's gateway, authenticated as role
// ("" for none).
func (d *demo) api(org, role string) *client.ClientWithResponses {
	c, err := client.New(d.gateways[org], d.hc, d.keys[org][role])
	if err != nil { // only for a malformed URL in network.json
		panic(err)
	}
	return c
}

func (d *demo) say(format string, a ...any) {
	d.step++
	fmt.Fprintf(d.out, "%2d. %s\n", d.step, fmt.Sprintf(format, a...))
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

func (d *demo) letterFor(ctx context.Context, code string, applicant client.Applicant) (client.SubmitRequest, error) {
	dr, err := client.OK(d.api("market", "CLERK").CreateDraftWithResponse(ctx, client.DraftRequest{
		ItemCode: code, Applicant: applicant, ContactName: "窗口工作人员", ContactPhone: "0571-87000000"}))
	if err != nil {
		return client.SubmitRequest{}, fmt.Errorf("demo: draft: %w", err)
	}
	key, err := sm.GenerateKey()
	if err != nil {
		return client.SubmitRequest{}, err
	}
	canonical := dr.JSON201.Canonical
	sig, err := sm.Sign(key, []byte(canonical))
	if err != nil {
		return client.SubmitRequest{}, err
	}
	pub, _ := sm.MarshalPublicKeyPEM(&key.PublicKey)
	return client.SubmitRequest{Letter: canonical, Signature: base64.StdEncoding.EncodeToString(sig), PublicKey: client.Ptr(string(pub))}, nil
}

func (d *demo) run(ctx context.Context) error {
	code := fmt.Sprintf("DEMO-%04d", rand.IntN(10000))
	item := client.ItemInput{
		Code: code, Name: "演示事项：无犯罪记录证明", Department: "MarketMSP", Purpose: "办理准营许可时证明无犯罪记录",
		LegalBasis: "演示依据第一条", Content: "申请人未因故意犯罪受过刑事处罚", EligibleApplicants: "申请准营许可的自然人",
		CommitmentMethod: "书面承诺，本人签名", VerificationPower: "行政机关有权请求公安机关协助核查",
		Liability: "虚假承诺的，撤销许可并记入信用记录", Demo: client.Ptr(true),
		Disclosure: client.Disclosure{Public: true, Scope: client.Ptr("本市政务服务网"), PeriodDays: client.Ptr(30)},
		Verification: client.VerificationRule{Exempt: false, Method: client.Ptr(client.VerificationRuleMethodONLINE),
			Department: client.Ptr("PoliceMSP"), TimeLimitDays: client.Ptr(10)},
	}
	it, err := client.OK(d.api("justice", "CATALOG_ADMIN").PublishCatalogItemWithResponse(ctx, item))
	if err != nil {
		return fmt.Errorf("demo: publish: %w", err)
	}
	d.say("市司法局 publishes catalog item %s version %d (verified online by PoliceMSP within 10 days)", code, it.JSON201.Version)
	// Each department's peer commits the block on its own schedule.
	if err := d.waitFor(ctx, "the item at market", func() (bool, error) {
		r, err := d.api("market", "").GetCatalogItemWithResponse(ctx, code, nil)
		return err == nil && r.StatusCode() == 200, err
	}); err != nil {
		return err
	}

	applicant := client.Applicant{Name: "演示申请人", IdType: client.ApplicantIdTypeRESIDENTID, IdNumber: demoApplicantID(), Contact: "13800000000"}
	sub, err := d.letterFor(ctx, code, applicant)
	if err != nil {
		return err
	}
	d.say("市市场监管局 renders the letter; the applicant signs it with a new SM2 key")
	rc, err := client.OK(d.api("market", "CLERK").SubmitCommitmentWithResponse(ctx, sub))
	if err != nil {
		return fmt.Errorf("demo: submit: %w", err)
	}
	if rc.JSON201 == nil {
		return fmt.Errorf("demo: submit: HTTP %d (not anchored in time), want 201", rc.StatusCode())
	}
	receipt := rc.JSON201.Receipt
	id := receipt.CommitmentId
	d.say("anchored as %s (letter digest %.16s…, tx %.12s…, block %d)", id, receipt.LetterDigest, receipt.TxId, receipt.BlockNumber)

	t0 := time.Now()
	vr, err := client.OK(d.api("market", "CLERK").RequestVerificationWithResponse(ctx, id,
		client.RequestVerificationJSONRequestBody{Claim: "核查：未因故意犯罪受过刑事处罚（演示：不一致）"}))
	if err != nil {
		return fmt.Errorf("demo: request verification: %w", err)
	}
	rid := vr.JSON201.Id
	d.say("market asks PoliceMSP to verify (request %s, due %s); the details go only to PoliceMSP's private collection", rid, vr.JSON201.DueAt.Format(time.RFC3339))

	var answer *client.VerificationRequest
	_ = retry.Do(ctx, retry.Policy{Initial: 200 * time.Millisecond, Max: time.Second, Within: 5 * time.Second}, nil,
		func(ctx context.Context) error {
			r, err := client.OK(d.api("market", "").GetVerificationRequestWithResponse(ctx, rid))
			if err == nil && r.JSON200.Status == client.VerificationRequestStatusPENDING {
				err = errors.New("pending")
			}
			if err == nil {
				answer = r.JSON200
			}
			return err
		})
	how := "automatically by its registry"
	if answer == nil {
		r, err := d.api("police", "CLERK").AnswerVerificationRequestWithResponse(ctx, rid, client.AnswerVerificationRequestJSONRequestBody{
			Result: client.Ptr(client.AnswerVerificationRequestJSONBodyResultINCONSISTENT), Evidence: client.Ptr("户籍与犯罪记录系统查询结果（演示）")})
		if err != nil {
			return err
		}
		switch r.StatusCode() {
		case 409: // the registry answered meanwhile
			g, err := client.OK(d.api("market", "").GetVerificationRequestWithResponse(ctx, rid))
			if err != nil {
				return fmt.Errorf("demo: the answered request: %w", err)
			}
			answer = g.JSON200
		case 200:
			answer = r.JSON200
		default:
			return fmt.Errorf("demo: answer: %w", client.AsError(r))
		}
		how = "by a PoliceMSP clerk"
	}
	if answer.Answer == nil || answer.Answer.Result == nil || *answer.Answer.Result != client.VerificationRequestAnswerResultINCONSISTENT {
		return fmt.Errorf("demo: PoliceMSP answered %+v, want INCONSISTENT", answer.Answer)
	}
	d.say("PoliceMSP answers INCONSISTENT %s after %s (overdue: %v)", how, time.Since(t0).Round(time.Millisecond), answer.Answer.Overdue)

	oc, err := client.OK(d.api("market", "CLERK").RecordOutcomeWithResponse(ctx, id, client.OutcomeRequest{
		Result: client.OutcomeRequestResultFALSE, RequestId: client.Ptr(rid), Reason: client.Ptr("协助核查结果不一致"),
		Level: client.Ptr(client.OutcomeRequestLevelSERIOUS),
		Disposal: &client.DisposalRequest{Measures: []client.DisposalRequestMeasures{client.DisposalRequestMeasuresTERMINATED,
			client.DisposalRequestMeasuresREVOKED, client.DisposalRequestMeasuresRECTIFY}, RectificationDays: client.Ptr(20)}}))
	if err != nil {
		return fmt.Errorf("demo: outcome: %w", err)
	}
	if oc.JSON200.Outcome == nil || oc.JSON200.Outcome.CreditId == nil {
		return fmt.Errorf("demo: the outcome FALSE names no credit record: %s", oc.Body)
	}
	creditID := *oc.JSON200.Outcome.CreditId
	d.say("market records FALSE: processing terminated, decision revoked, rectification ordered; dishonesty level SERIOUS (严重)")

	lookup := client.LookupCreditJSONRequestBody{IdType: string(applicant.IdType), IdNumber: applicant.IdNumber}
	var view *client.ApplicantView
	if err := d.waitFor(ctx, "the credit record at the credit platform", func() (bool, error) {
		r, err := client.OK(d.api("credit", "CREDIT_OFFICER").LookupCreditWithResponse(ctx, nil, lookup))
		if err != nil {
			return false, err
		}
		view = r.JSON200
		return !view.Eligible, nil
	}); err != nil {
		return fmt.Errorf("%w (last answer: %+v)", err, view)
	}
	reason := ""
	if view.Reason != nil {
		reason = *view.Reason
	}
	d.say("信用平台 finds credit record %s; the applicant is not eligible: %s", creditID, reason)

	again, err := d.letterFor(ctx, code, applicant)
	if err != nil {
		return err
	}
	r, err := d.api("market", "CLERK").SubmitCommitmentWithResponse(ctx, again)
	if err != nil {
		return err
	}
	if r.StatusCode() != 422 || r.JSON422 == nil || r.JSON422.Code != client.ErrorCodeNOTELIGIBLE {
		return fmt.Errorf("demo: a new letter of the ineligible applicant got HTTP %d %s, want 422 NOT_ELIGIBLE", r.StatusCode(), r.Body)
	}
	d.say("a new letter by the same applicant is refused: %s", r.JSON422.Code)

	rep, err := client.OK(d.api("credit", "CREDIT_OFFICER").RepairCreditRecordWithResponse(ctx, creditID,
		client.Reason{Reason: "已完成整改，信用修复申请经审核通过"}))
	if err != nil {
		return fmt.Errorf("demo: repair: %w", err)
	}
	d.say("信用平台 records credit repair (信用修复): record %s is %s", creditID, rep.JSON200.Status)

	if err := d.waitFor(ctx, "market to accept the letter after repair", func() (bool, error) {
		r, err = d.api("market", "CLERK").SubmitCommitmentWithResponse(ctx, again)
		if err == nil && r.StatusCode() == 422 { // market's peer has not seen the repair yet
			return false, nil
		}
		if _, err = client.OK(r, err); err == nil && r.JSON201 == nil {
			err = fmt.Errorf("demo: submit after repair: HTTP %d, want 201", r.StatusCode())
		}
		return true, err
	}); err != nil {
		return err
	}
	d.say("the same applicant's new letter is accepted: %s", r.JSON201.Receipt.CommitmentId)
	fmt.Fprintln(d.out, "demo: the whole story ran as the policy requires")
	return nil
}
