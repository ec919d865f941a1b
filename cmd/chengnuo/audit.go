package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/chengnuo/chengnuo/client"
)

// runAudit walks a department's audit (GET /v1/audit, role auditor) page by
// page and prints every mismatch between its stored letters and the
// ledger. It fails when any is found.
func runAudit(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:17081", "the department's gateway")
	key := fs.String("key", "", "an API key with the auditor role (better: --key-file, so that the key is in no process's arguments)")
	keyFile := fs.String("key-file", "", "file holding the auditor's API key: the key alone, or a gateway's keys.env (its AUDITOR_KEY)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *keyFile != "" {
		k, err := readKeyFile(*keyFile, "AUDITOR_KEY")
		if err != nil {
			return err
		}
		*key = k
	}
	if *key == "" {
		return errors.New("audit: --key-file or --key (role auditor) is required")
	}
	api, err := client.New(*base, &http.Client{Timeout: 2 * time.Minute}, *key)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	total, pending, findings := 0, 0, 0
	params := &client.AuditLettersParams{Limit: client.Ptr(200)}
	for {
		res, err := client.OK(api.AuditLettersWithResponse(ctx, params))
		if err != nil {
			return fmt.Errorf("audit: %s: %w", *base, err)
		}
		r := res.JSON200
		total, pending = total+r.Checked, pending+r.Pending
		for _, f := range r.Findings {
			findings++
			fmt.Fprintf(out, "MISMATCH %s: %s\n", f.CommitmentId, f.Problem)
		}
		if !r.More || r.Bookmark == nil {
			break
		}
		params.Bookmark = r.Bookmark
	}
	fmt.Fprintf(out, "audited %d stored letters (%d not anchored yet): %d mismatches\n", total, pending, findings)
	if findings > 0 {
		return fmt.Errorf("audit: %d mismatches between the store and the ledger", findings)
	}
	return nil
}

// readKeyFile reads an API key from a file: the key alone, or the line
// NAME=KEY of a gateway's keys.env. A key read from a file is in no
// process's arguments, which any local user can read.
func readKeyFile(path, name string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, name+"="); ok {
			return strings.TrimSpace(v), nil
		}
	}
	if k := strings.TrimSpace(string(raw)); k != "" && !strings.ContainsAny(k, "=\n") {
		return k, nil
	}
	return "", fmt.Errorf("%s holds no %s", path, name)
}
