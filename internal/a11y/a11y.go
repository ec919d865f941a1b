// Package a11y checks pages for people in a real browser with axe-core
// (Deque Systems, MPL-2.0, vendored here as axe.min.js v4.10.3 with its
// LICENSE.axe-core: tests need nothing from outside). Browser tests inject
// it into the page under test and fail on any violation of the WCAG 2.1 A
// and AA rules.
package a11y

import (
	"context"
	_ "embed"
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"
)

//go:embed axe.min.js
var axeJS string

// Violation is one rule a page breaks, with the elements that break it.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

func (v Violation) String() string {
	var ts []string
	for _, n := range v.Nodes {
		ts = append(ts, fmt.Sprint(n.Target...))
	}
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(ts, ", "))
}

// Check runs axe-core on the current page of the chromedp context (WCAG
// 2.0/2.1 A and AA, best practices) and returns its violations. The script
// is evaluated through the DevTools protocol, so the page's own
// Content-Security-Policy does not stop it, and the page is not changed
// otherwise.
func Check(ctx context.Context) ([]Violation, error) {
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeJS)); err != nil {
		return nil, fmt.Errorf("inject axe-core: %w", err)
	}
	const run = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})
		.then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => ({target: n.target}))})))`
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](run, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("run axe-core: %w", err)
	}
	return vs, nil
}
