package integration

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// networkSecrets are the secrets the network's state holds, by where they
// are kept: every CA's registrar password, the PostgreSQL password, the
// consortium secret, every API key, and the body of every private key.
func networkSecrets(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	add := func(where, secret string) {
		if secret = strings.TrimSpace(secret); len(secret) >= 8 {
			out[secret] = where
		}
	}
	homes, _ := filepath.Glob(filepath.Join(net.state, "depts", "*"))
	for _, home := range homes {
		for _, f := range []string{"ca/registrar.pw", "postgres/password", "secret/consortium.secret"} {
			if raw, err := os.ReadFile(filepath.Join(home, f)); err == nil {
				add(filepath.Join(filepath.Base(home), f), string(raw))
			}
		}
		if raw, err := os.ReadFile(filepath.Join(home, "gateway", "keys.env")); err == nil {
			for _, line := range strings.Split(string(raw), "\n") {
				if name, v, ok := strings.Cut(line, "="); ok {
					add(filepath.Base(home)+" "+name, v)
				}
			}
		}
	}
	keys, _ := filepath.Glob(filepath.Join(net.state, "depts", "*", "*", "msp", "keystore", "*"))
	tlsKeys, _ := filepath.Glob(filepath.Join(net.state, "depts", "*", "*", "tls", "server.key"))
	for _, f := range append(keys, tlsKeys...) {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if !strings.HasPrefix(line, "-----") && len(line) > 20 {
				add(strings.TrimPrefix(f, net.state), line)
			}
		}
	}
	return out
}

// Patterns of a secret handed to a program: credentials in a URL, a
// bootstrap identity of fabric-ca-server, an enrolment secret, a bearer
// token.
var secretPatterns = regexp.MustCompile(`://[^/\s:@]+:[^/\s@]+@|(^|\n)-b\n[^\n]*:|--id\.secret|Bearer [A-Za-z0-9]`)

// TestZZNoSecretOnACommandLine: no secret of the network appears in the
// arguments or the environment of any process, sampled from before `make
// up` enrolled the departments' identities until now (issue 29, item 10).
// A positive control proves the sampler sees arguments and environments.
func TestZZNoSecretOnACommandLine(t *testing.T) {
	canary := make([]byte, 16)
	rand.Read(canary)
	c := hex.EncodeToString(canary)
	cmd := exec.Command("sleep", "5")
	cmd.Env = []string{"CANARY=" + c + "-env"}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		samples, _ := procScan.samples()
		if slices.ContainsFunc(samples, func(s procSample) bool { return bytes.Contains(s.environ, []byte(c+"-env")) }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("positive control: the sampler did not see a process's environment")
		}
	}
	procScan.halt()
	samples, passes := procScan.samples()
	secrets := networkSecrets(t)
	var kinds = map[string]bool{}
	for _, where := range secrets {
		kinds[strings.SplitN(filepath.Base(where), " ", 2)[0]] = true
	}
	if len(secrets) < 20 || !kinds["registrar.pw"] || !kinds["consortium.secret"] {
		t.Fatalf("found only %d secrets in the state (%v): the scan would prove nothing", len(secrets), kinds)
	}
	enrolments := 0
	for _, s := range samples {
		line := strings.Join(s.args, " ")
		if filepath.Base(s.args[0]) == "fabric-ca-client" && slices.Contains(s.args, "enroll") {
			enrolments++
		}
		all := []byte(strings.Join(s.args, "\n") + "\n" + string(bytes.ReplaceAll(s.environ, []byte{0}, []byte{'\n'})))
		for secret, where := range secrets {
			if bytes.Contains(all, []byte(secret)) {
				t.Errorf("the secret of %s is in a process's arguments or environment: %q", where, line)
			}
		}
		if m := secretPatterns.Find(all); m != nil {
			t.Errorf("a credential (%q) in a process's arguments or environment: %q", m, line)
		}
	}
	if enrolments == 0 {
		t.Fatalf("the sampler saw no fabric-ca-client enrolment in %d passes: it did not watch `up`", passes)
	}
	t.Logf("%d processes sampled in %d passes (%d fabric-ca-client enrolments among them); %d secrets of the state looked for",
		len(samples), passes, enrolments, len(secrets))
}
