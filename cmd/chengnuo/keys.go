package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/sm"
)

// runKeygen writes a new SM2 key pair: KEY (PKCS#8 PEM, mode 0600) and KEY.pub.
func runKeygen(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	path := fs.String("out", "applicant.key", "private key file to write (the public key goes to FILE.pub)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := os.Stat(*path); err == nil {
		return fmt.Errorf("keygen: %s exists; not overwriting a key", *path)
	}
	priv, err := sm.GenerateKey()
	if err != nil {
		return err
	}
	kp, err := sm.MarshalPrivateKeyPEM(priv)
	if err != nil {
		return err
	}
	pp, err := sm.MarshalPublicKeyPEM(&priv.PublicKey)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*path, kp, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(*path+".pub", pp, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s and %s.pub\n", *path, *path)
	return nil
}

// runSign signs a draft's canonical bytes and prints the submission body.
func runSign(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	keyPath := fs.String("key", "applicant.key", "SM2 private key (PEM)")
	certPath := fs.String("cert", "", "the applicant's certificate (PEM, see chengnuo enrol); without it the public key is sent")
	draftPath := fs.String("draft", "-", "draft JSON from POST /v1/drafts (or a canonical letter); - reads stdin")
	if err := fs.Parse(args); err != nil {
		return err
	}
	kp, err := os.ReadFile(*keyPath)
	if err != nil {
		return err
	}
	priv, err := sm.ParsePrivateKeyPEM(kp)
	if err != nil {
		return err
	}
	var raw []byte
	if *draftPath == "-" {
		raw, err = io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
	} else {
		raw, err = os.ReadFile(*draftPath)
	}
	if err != nil {
		return err
	}
	canonical := raw
	var d struct {
		Canonical string `json:"canonical"`
	}
	if json.Unmarshal(raw, &d) == nil && d.Canonical != "" {
		canonical = []byte(d.Canonical)
	}
	if _, err := letter.Parse(canonical); err != nil {
		return fmt.Errorf("sign: the input is neither a draft response nor a canonical letter: %w", err)
	}
	sig, err := sm.Sign(priv, canonical)
	if err != nil {
		return err
	}
	body := map[string]string{"letter": string(canonical), "signature": base64.StdEncoding.EncodeToString(sig)}
	if *certPath != "" {
		cert, err := os.ReadFile(*certPath)
		if err != nil {
			return err
		}
		body["certificate"] = string(cert)
	} else {
		pub, err := sm.MarshalPublicKeyPEM(&priv.PublicKey)
		if err != nil {
			return err
		}
		body["publicKey"] = string(pub)
	}
	return json.NewEncoder(out).Encode(body)
}

// runAPIKeys creates a gateway's API keys: DIR/api-keys.json (hashes, for
// the gateway) and DIR/keys.env (the keys, for the operator; mode 0600).
// Existing keys are kept; a role without a key gets one.
func runAPIKeys(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("apikeys", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory to write api-keys.json and keys.env into")
	roles := fs.String("roles", chengnuo.RoleClerk+","+chengnuo.RoleAuditor, "comma-separated roles; one key per role")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("apikeys: --dir is required")
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	jsonPath, envPath := filepath.Join(*dir, "api-keys.json"), filepath.Join(*dir, "keys.env")
	var keys []chengnuo.APIKey
	if raw, err := os.ReadFile(jsonPath); err == nil {
		if err := json.Unmarshal(raw, &keys); err != nil {
			return fmt.Errorf("apikeys: %s: %w", jsonPath, err)
		}
	}
	env, _ := os.ReadFile(envPath)
	added := 0
	for _, role := range strings.Split(*roles, ",") {
		have := false
		for _, k := range keys {
			have = have || k.Name == role
		}
		if have {
			continue
		}
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		key := "cn_" + hex.EncodeToString(b)
		keys = append(keys, chengnuo.APIKey{Name: role, Hash: sm.SM3Hex([]byte(key)), Roles: []string{role}})
		env = fmt.Appendf(env, "%s_KEY=%s\n", strings.ToUpper(strings.ReplaceAll(role, "-", "_")), key)
		added++
	}
	if added == 0 {
		return nil
	}
	js, err := json.MarshalIndent(keys, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(envPath, env, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(out, "added %d key(s) in %s\n", added, *dir)
	return os.WriteFile(jsonPath, js, 0o600)
}
