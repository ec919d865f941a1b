package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// runAccountAdd creates a person's workbench account through a gateway's
// operations listener, with the department's operator token (read from a
// file, never given as an argument), and prints the one-time initial
// password on its last line.
//
//	chengnuo account-add --ops URL --token-file FILE [--name NAME] USERNAME ROLE[,ROLE]
func runAccountAdd(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("account-add", flag.ContinueOnError)
	ops := fs.String("ops", "", "the gateway's operations listener, e.g. http://198.18.17.11:17341")
	tokenFile := fs.String("token-file", "", "the department's operator token (DEPT_HOME/gateway/operator.token)")
	name := fs.String("name", "", "the person's name as the workbench shows it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 || *ops == "" || *tokenFile == "" {
		return errors.New("account-add --ops URL --token-file FILE [--name NAME] USERNAME ROLE[,ROLE]")
	}
	body, _ := json.Marshal(map[string]any{"username": fs.Arg(0), "name": *name, "roles": strings.Split(fs.Arg(1), ",")})
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := opsRequest(ctx, http.MethodPost, *ops, "/accounts", *tokenFile, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var answer struct {
		Username, Password, Code, Message string
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<16)).Decode(&answer); err != nil {
		return fmt.Errorf("account-add: %s", res.Status)
	}
	if res.StatusCode != http.StatusCreated {
		return fmt.Errorf("account-add: %s %s", answer.Code, answer.Message)
	}
	fmt.Fprintf(out, "account %s created with roles %s; its one-time password (the person changes it at the first login):\n%s\n",
		answer.Username, fs.Arg(1), answer.Password)
	return nil
}

// opsRequest is a request to a gateway's operations listener with the
// department's operator token, read from its file (never an argument).
func opsRequest(ctx context.Context, method, ops, path, tokenFile string, body io.Reader) (*http.Request, error) {
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(ops, "/")+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	return req, nil
}
