package integration

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/chengnuo/chengnuo/internal/a11y"
)

// TestVerificationPageInBrowser drives the public verification page in
// headless Chromium (Debian's chromium; .ci/run installs it): the receipt's
// QR address, a digest typed in, the letter file dropped (hashed in the
// browser by the WebAssembly verifier), and the proof checked in the
// browser. It saves a screenshot as a test artefact.
// chromium starts Debian's headless Chromium (.ci/run installs it) with a
// window of w×h for a browser test, and gives its allocator and the folder
// for the test's screenshots; the browser stops when the test ends. It is
// killed, so the directory it makes for its singleton socket is never
// removed by it: it makes it in the test's own.
func chromium(t *testing.T, w, h int) (alloc context.Context, dir string) {
	t.Helper()
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("Debian's chromium is needed for the browser test (apt-get install chromium; .ci/run installs it)")
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true), chromedp.WindowSize(w, h),
		chromedp.Env("TMPDIR="+t.TempDir()))...)
	t.Cleanup(cancel)
	dir = filepath.Join(os.TempDir(), "chengnuo-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return alloc, dir
}

// checkPage runs axe-core on the public page as it stands (every
// violation fails the test) and saves a screenshot of it,
// verify-page-NAME.png.
func checkPage(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	vs, err := a11y.Check(ctx)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, v := range vs {
		t.Errorf("%s: accessibility: %s", name, v)
	}
	verdict := "axe-core clean"
	if len(vs) > 0 {
		verdict = fmt.Sprintf("%d axe-core violations", len(vs))
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "verify-page-"+name+".png")
	if err := os.WriteFile(f, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s; screenshot %s", name, verdict, f)
}

func TestVerificationPageInBrowser(t *testing.T) {
	code := publishVisible(t, verifiedItem(uniqueCode(t, "PAGE"), "PoliceMSP", false))
	p := newPerson(t, "页面甲")
	sub := signedSubmission(t, code, p)
	r := submit(t, market, sub)
	if r.Status != http.StatusCreated {
		t.Fatalf("submit: %d %s", r.Status, r.Raw)
	}
	rc := receipt(t, r)
	id, digest := rc["commitmentId"].(string), rc["letterDigest"].(string)
	letterFile := filepath.Join(t.TempDir(), "承诺书.json")
	if err := os.WriteFile(letterFile, []byte(sub.Letter), 0o600); err != nil {
		t.Fatal(err)
	}
	page := gatewayURL(justice) + "/verify"
	waitVisible(t, justice, "/v1/verify/"+digest)

	alloc, dir := chromium(t, 1000, 1400)
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	checkPage := func(ctx context.Context, state string) { checkPage(t, ctx, dir, state) }
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return v
	}
	// 1. The receipt's QR code opens the page with the receipt number.
	if err := chromedp.Do(ctx, chromedp.Navigate(page+"?id="+id), chromedp.WaitVisible(chromedp.CSS("#r-status"))); err != nil {
		t.Fatalf("open the page by receipt number: %v", err)
	}
	if status, shown := text("#r-status"), text("#r-id"); !strings.Contains(status, "有效") || shown != id {
		t.Fatalf("the page shows %q / %q for %s", status, shown, id)
	}
	checkPage(ctx, "record")
	// 2. A digest typed in: an unknown one first.
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#query"), strings.Repeat("0", 64)),
		chromedp.Click(chromedp.CSS("#lookup button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#result .status.bad")),
	); err != nil {
		t.Fatalf("an unknown digest: %v", err)
	}
	if body := text("#result"); !strings.Contains(body, "未找到存证") {
		t.Fatalf("an unknown digest shows %q", body)
	}
	// 3. The letter file, hashed in the browser.
	if err := chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{letterFile}),
		chromedp.WaitVisible(chromedp.CSS("#r-id")),
	); err != nil {
		t.Fatalf("drop the letter file: %v", err)
	}
	body := text("#result")
	if shown := text("#r-id"); shown != id || !strings.Contains(body, digest) || !strings.Contains(body, "市市场监管局") || strings.Contains(body, "MarketMSP") {
		t.Fatalf("the dropped letter shows %q: %s", shown, body)
	}
	for _, personal := range []string{p.name, p.idNumber, p.phone} {
		if strings.Contains(body, personal) {
			t.Fatalf("the page shows personal data %q", personal)
		}
	}
	// 4. The proof, checked in the browser by the WebAssembly verifier:
	// the pin is never filled in from the server, and without one the
	// bundle is found consistent, never verified.
	if pin, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#genesis"))); err != nil || pin != "" {
		t.Fatalf("the page filled in the pin %q itself (%v): it must come from the person", pin, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#check")),
		chromedp.WaitVisible(chromedp.CSS("#proof-result.verdict")),
	); err != nil {
		t.Fatalf("check the proof without a pin: %v", err)
	}
	if unpinned := text("#proof-result"); strings.Contains(unpinned, "核验通过") || strings.Contains(unpinned, "PROVEN:") ||
		!strings.Contains(unpinned, "NOT proven") {
		t.Fatalf("without a pin the in-browser check says %q", unpinned)
	}
	checkPage(ctx, "unpinned")
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#genesis"), genesisHash(t)),
		chromedp.Click(chromedp.CSS("#check")),
		chromedp.WaitVisible(chromedp.CSS("#proof-result.verdict")),
	); err != nil {
		t.Fatalf("check the proof in the browser: %v", err)
	}
	proofText := text("#proof-result")
	if !strings.Contains(proofText, "核验通过") || !strings.Contains(proofText, "PROVEN") || !strings.Contains(proofText, "(pinned)") {
		t.Fatalf("the in-browser check says %q", proofText)
	}
	checkPage(ctx, "proven")
	t.Logf("in-browser check: %s", strings.SplitN(proofText, "\n", 3)[1])

	// 5. Without WebAssembly the page says it cannot hash the file and
	// uploads nothing (issue 29: it used to post the whole letter).
	var mu sync.Mutex
	var uploads []string
	ctx2, cancel2 := chromedp.NewContext(alloc, chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request != nil && e.Request.Method != "GET" {
			mu.Lock()
			uploads = append(uploads, e.Request.Method+" "+e.Request.URL)
			mu.Unlock()
		}
	}))
	defer cancel2()
	ctx2, cancel2 = context.WithTimeout(ctx2, time.Minute)
	defer cancel2()
	if _, err := chromedp.Call(ctx2, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx2, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: []*network.BlockPattern{
		{URLPattern: "*://*:*/verify/assets/chengnuo.wasm", Block: true}}}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx2, chromedp.Navigate(page),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{letterFile}),
		chromedp.WaitVisible(chromedp.CSS("#no-hash")),
	); err != nil {
		t.Fatalf("drop the letter without WebAssembly: %v", err)
	}
	time.Sleep(500 * time.Millisecond) // a fallback upload would have started by now
	checkPage(ctx2, "no-webassembly")
	mu.Lock()
	defer mu.Unlock()
	if len(uploads) != 0 {
		t.Fatalf("the page sent %v without WebAssembly: it must never upload the file", uploads)
	}
}
