package integration

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/client"
)

// waitRecord polls a commitment's public record at a department until ok.
func waitRecord(t *testing.T, slot int, id string, ok func(map[string]any) bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := call(t, "GET", gatewayURL(slot)+"/v1/public/commitments/"+id, "")
		if r.Status == http.StatusOK && ok(r.Body) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s at %s: %s", id, orgs[slot].key, r.Raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// What a citizen reads on the public page, in the browser, for a letter in
// each state: the verdict leads with what matters — a commitment found
// false (and its disposal), withdrawn or concluded never reads as valid —
// departments are named as people name them, and every state and measure
// is in Chinese words (no code shows). Checked at another department's
// gateway than the one that anchored the letters.
func TestPublicPageReadsEveryState(t *testing.T) {
	online := publishVisible(t, verifiedItem(uniqueCode(t, "STATE"), "PoliceMSP", false))
	written := verifiedItem(uniqueCode(t, "STATEW"), "PoliceMSP", false)
	written.Verification = writtenBy("PoliceMSP", 3) // answered by an officer, so it stays open
	writtenCode := publishVisible(t, written)
	clerk := apiKey(t, market, "CLERK")
	post := func(id, action, body string) {
		t.Helper()
		if r := callAs(t, clerk, "POST", gatewayURL(market)+"/v1/commitments/"+id+"/"+action, body); r.Status != http.StatusOK {
			t.Fatalf("%s %s: %d %s", action, id, r.Status, r.Raw)
		}
	}
	ids := map[string]string{}
	ids[chengnuo.VerdictValid] = anchorID(t, online, newPerson(t, "状态有效"))
	ids[chengnuo.VerdictChecking] = anchorID(t, writtenCode, newPerson(t, "状态核查"))
	requestCheck(t, ids[chengnuo.VerdictChecking], "核查住所使用权")
	ids[chengnuo.VerdictFalse] = anchorID(t, online, newPerson(t, "状态虚假"))
	rid := requestCheck(t, ids[chengnuo.VerdictFalse], "核查户籍信息不一致")
	waitAnswered(t, rid, 30*time.Second)
	if r := recordOutcome(t, market, ids[chengnuo.VerdictFalse], client.OutcomeRequest{Result: client.OutcomeRequestResultFALSE,
		Reason: client.Ptr("核查不一致"), Level: client.Ptr(client.OutcomeRequestLevelSERIOUS), RequestId: client.Ptr(rid),
		Disposal: &client.DisposalRequest{Measures: []client.DisposalRequestMeasures{client.DisposalRequestMeasuresTERMINATED,
			client.DisposalRequestMeasuresREVOKED}}}); r.Status != http.StatusOK {
		t.Fatalf("record FALSE: %d %s", r.Status, r.Raw)
	}
	ids[chengnuo.VerdictWithdrawn] = anchorID(t, online, newPerson(t, "状态撤回"))
	post(ids[chengnuo.VerdictWithdrawn], "withdraw", `{"reason":"申请人主动撤回"}`)
	ids[chengnuo.VerdictConcluded] = anchorID(t, online, newPerson(t, "状态办结"))
	post(ids[chengnuo.VerdictConcluded], "conclude", "")
	waitRecord(t, justice, ids[chengnuo.VerdictFalse], func(b map[string]any) bool { return b["verification"] == chengnuo.VerifyFalse })
	waitRecord(t, justice, ids[chengnuo.VerdictWithdrawn], func(b map[string]any) bool { return b["status"] == chengnuo.StatusWithdrawn })
	waitRecord(t, justice, ids[chengnuo.VerdictConcluded], func(b map[string]any) bool { return b["status"] == chengnuo.StatusConcluded })
	waitRecord(t, justice, ids[chengnuo.VerdictChecking], func(b map[string]any) bool { return b["verification"] == chengnuo.VerifyUnder })
	waitRecord(t, justice, ids[chengnuo.VerdictValid], func(map[string]any) bool { return true })

	alloc, dir := chromium(t, 1000, 1400)
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	check := func(name string) { checkPage(t, ctx, dir, name) }
	// The codes a record carries, which the page must put in words.
	var codes []string
	for code := range chengnuo.Words() {
		if code != chengnuo.SignedSM2 {
			codes = append(codes, regexp.QuoteMeta(code))
		}
	}
	rawCode := regexp.MustCompile(`\b(` + strings.Join(codes, "|") + `|[A-Z][A-Za-z]*MSP)\b`)
	// The page's Chinese, without the English glosses.
	const chinese = `(() => { const c = document.querySelector("#result").cloneNode(true);
		c.querySelectorAll("[lang=en]").forEach((e) => e.remove()); return c.innerText; })()`
	want := map[string]struct {
		class string
		says  []string
		never []string
	}{
		chengnuo.VerdictValid:     {"verdict-ok", []string{"有效"}, []string{"撤回", "虚假"}},
		chengnuo.VerdictChecking:  {"verdict-warn", []string{"有效", "正在核查"}, []string{"虚假"}},
		chengnuo.VerdictFalse:     {"verdict-bad", []string{"经核查为虚假承诺", "终止办理", "撤销行政决定"}, []string{"有效"}},
		chengnuo.VerdictWithdrawn: {"verdict-warn", []string{"申请人已撤回承诺", "不再有效"}, []string{"有效，", "核查属实"}},
		chengnuo.VerdictConcluded: {"verdict-done", []string{"事项已办结"}, []string{"有效"}},
	}
	for _, kind := range []string{chengnuo.VerdictValid, chengnuo.VerdictChecking, chengnuo.VerdictFalse, chengnuo.VerdictWithdrawn, chengnuo.VerdictConcluded} {
		id, w := ids[kind], want[kind]
		if err := chromedp.Do(ctx, chromedp.Navigate(gatewayURL(justice)+"/verify?id="+id), chromedp.WaitVisible(chromedp.CSS("#history"))); err != nil {
			t.Fatalf("%s: open the page: %v", kind, err)
		}
		verdict, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#verdict")))
		if err != nil {
			t.Fatal(err)
		}
		class, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#verdict"), "class"))
		got, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#verdict"), "data-kind"))
		if got.Value != kind || !strings.Contains(class.Value, w.class) {
			t.Errorf("%s: the verdict is %q (%s): %q", kind, got.Value, class.Value, verdict)
		}
		zh := strings.SplitN(verdict, "\n", 2)[0]
		for _, s := range w.says {
			if !strings.Contains(zh, s) {
				t.Errorf("%s: the verdict %q does not say %q", kind, zh, s)
			}
		}
		for _, s := range w.never {
			if strings.Contains(zh, s) {
				t.Errorf("%s: the verdict %q says %q", kind, zh, s)
			}
		}
		if valid := strings.HasPrefix(zh, "有效"); valid != (kind == chengnuo.VerdictValid || kind == chengnuo.VerdictChecking) {
			t.Errorf("%s: the verdict %q leads with 有效: %v", kind, zh, valid)
		}
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](chinese))
		if err != nil {
			t.Fatal(err)
		}
		if m := rawCode.FindAllString(text, -1); len(m) > 0 {
			t.Errorf("%s: the page shows codes %q:\n%s", kind, m, text)
		}
		if !strings.Contains(text, "市市场监管局") {
			t.Errorf("%s: the page does not name the department:\n%s", kind, text)
		}
		check("state-" + kind)
	}
	// The false commitment's outcome is spelled out, and its receipt says
	// the same, at any department, without personal data.
	if err := chromedp.Do(ctx, chromedp.Navigate(gatewayURL(justice)+"/verify?id="+ids[chengnuo.VerdictFalse]), chromedp.WaitVisible(chromedp.CSS("#r-outcome"))); err != nil {
		t.Fatal(err)
	}
	if st, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#r-status"))); strings.Contains(st, "有效") {
		t.Errorf("a false commitment's status reads %q", st)
	}
	if o, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#r-outcome"))); !strings.Contains(o, "虚假承诺") || !strings.Contains(o, "严重") || !strings.Contains(o, "终止办理、撤销行政决定") {
		t.Errorf("the outcome reads %q", o)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#receipt-link")), chromedp.WaitVisible(chromedp.CSS(".receipt"))); err != nil {
		t.Fatalf("open the receipt: %v", err)
	}
	r, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".receipt")))
	if !strings.Contains(r, "告知承诺书存证凭证") || !strings.Contains(r, "经核查为虚假承诺") || !strings.Contains(r, "市市场监管局") ||
		!strings.Contains(r, genesisHash(t)) || strings.Contains(r, "状态虚假") || strings.Contains(r, "承诺书编号") {
		t.Errorf("the public receipt reads %q", r)
	}
	check("receipt")
}
