package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/chengnuo/chengnuo"
)

// runAudit walks a department's audit (GET /v1/audit, role auditor) page by
// page and prints every mismatch between its stored letters and the
// ledger. It fails when any is found.
func runAudit(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:17081", "the department's gateway")
	key := fs.String("key", "", "an API key with the auditor role")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *key == "" {
		return errors.New("audit: --key (role auditor) is required")
	}
	hc := &http.Client{Timeout: 2 * time.Minute}
	total, pending, findings := 0, 0, 0
	bookmark := ""
	for {
		u := *base + "/v1/audit?limit=200"
		if bookmark != "" {
			u += "&bookmark=" + url.QueryEscape(bookmark)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+*key)
		res, err := hc.Do(req)
		if err != nil {
			return err
		}
		var r chengnuo.AuditReport
		err = json.NewDecoder(io.LimitReader(res.Body, 64<<20)).Decode(&r)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			return fmt.Errorf("audit: %s answered %d", u, res.StatusCode)
		}
		total, pending = total+r.Checked, pending+r.Pending
		for _, f := range r.Findings {
			findings++
			fmt.Fprintf(out, "MISMATCH %s: %s\n", f.CommitmentID, f.Problem)
		}
		if !r.More {
			break
		}
		bookmark = r.Bookmark
	}
	fmt.Fprintf(out, "audited %d stored letters (%d not anchored yet): %d mismatches\n", total, pending, findings)
	if findings > 0 {
		return fmt.Errorf("audit: %d mismatches between the store and the ledger", findings)
	}
	return nil
}
