// Package integration runs the whole system on a real local Fabric network
// of its own (own state dir, own base port): four departments, each on its
// own host — a Linux network namespace with its own address when the tests
// run as root — with its own CA, SmartBFT orderer, peer, chaincode server
// and gateway. It tests the system through HTTP, the Fabric Gateway client
// and the departments' node kits.
package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// net describes the test network, set up by TestMain.
var net struct {
	root, state, script string
	base                int
	netns               bool
	depts               map[string]dept // by key, from network.json
}

// dept is a department as network.json describes it.
type dept struct {
	Key     string `json:"key"`
	MSPID   string `json:"mspId"`
	IP      string `json:"ip"`
	NetNS   string `json:"netns"`
	Home    string `json:"home"`
	Gateway string `json:"gateway"`
	// Gateways are every replica of the department's gateway (the first
	// is Gateway); a department with two shares a PostgreSQL store.
	Gateways []string `json:"gateways"`
	// Operations are the replicas' operations listeners (/metrics), in
	// the order of Gateways.
	Operations []string `json:"operations"`
	Peer       string   `json:"peer"`
	Orderer    string   `json:"orderer"`
}

// Department slots as in network/orgs.tsv.
const (
	justice = iota
	market
	police
	credit
)

var orgs = []struct{ key, msp, domain string }{
	{"justice", "JusticeMSP", "justice.chengnuo.local"},
	{"market", "MarketMSP", "market.chengnuo.local"},
	{"police", "PoliceMSP", "police.chengnuo.local"},
	{"credit", "CreditMSP", "credit.chengnuo.local"},
}

func gatewayURL(slot int) string    { return net.depts[orgs[slot].key].Gateway }
func gatewayURLs(slot int) []string { return net.depts[orgs[slot].key].Gateways }
func opsURL(slot int) string        { return net.depts[orgs[slot].key].Operations[0] }
func opsURLs(slot int) []string     { return net.depts[orgs[slot].key].Operations }
func peerEndpoint(slot int) string  { return net.depts[orgs[slot].key].Peer }
func deptHome(slot int) string      { return net.depts[orgs[slot].key].Home }

// loadNetwork reads network.json, which the network script writes.
func loadNetwork() error {
	raw, err := os.ReadFile(filepath.Join(net.state, "network.json"))
	if err != nil {
		return err
	}
	var doc struct {
		Departments []dept `json:"departments"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return err
	}
	net.depts = map[string]dept{}
	for _, d := range doc.Departments {
		net.depts[d.Key] = d
	}
	for _, o := range orgs {
		if _, ok := net.depts[o.key]; !ok {
			return fmt.Errorf("network.json lacks %s", o.key)
		}
	}
	return nil
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		fmt.Fprintln(os.Stderr, "integration: skipped in -short mode")
		return 0
	}
	_, file, _, _ := runtime.Caller(0)
	net.root = filepath.Dir(filepath.Dir(file))
	net.script = filepath.Join(net.root, "scripts", "network.sh")
	net.base = 37000
	if v := os.Getenv("CHENGNUO_E2E_BASE_PORT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fmt.Fprintln(os.Stderr, "CHENGNUO_E2E_BASE_PORT:", err)
			return 2
		}
		net.base = n
	}
	state, err := os.MkdirTemp("", "chengnuo-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	net.state = state
	// Each department on its own network namespace needs root (ip netns).
	net.netns = os.Geteuid() == 0 && os.Getenv("CHENGNUO_NETNS") != "0"

	// The reaper brings the network down if this process dies without
	// reaching the teardown below (a panic, a -timeout kill).
	startReaper()

	// Public security's gateway answers requests through a registry the
	// tests run (online verification), on public security's own host.
	if out, err := script(time.Minute, "hosts"); err != nil {
		fmt.Fprintf(os.Stderr, "integration: hosts: %v\n%s\n", err, out)
		teardown(false)
		return 1
	}
	stopRegistry, err := startRegistry(net.base + 90)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration: registry:", err)
		teardown(false)
		return 2
	}
	defer stopRegistry()

	// Every process's arguments and environment are sampled from here on,
	// while `up` enrols every identity and after (TestZZNoSecretOnACommandLine).
	procScan.start()
	defer procScan.halt()
	fmt.Fprintf(os.Stderr, "integration: starting a network in %s on base port %d\n", state, net.base)
	t0 := time.Now()
	if out, err := script(10*time.Minute, "up"); err != nil {
		fmt.Fprintf(os.Stderr, "integration: network up failed: %v\n%s\n", err, out)
		teardown(false)
		return 1
	}
	fmt.Fprintf(os.Stderr, "integration: network up in %s\n", time.Since(t0).Round(time.Millisecond))
	if err := loadNetwork(); err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		teardown(false)
		return 1
	}

	code := m.Run()
	if !teardown(code == 0) && code == 0 {
		code = 1
	}
	return code
}

// script runs scripts/network.sh against the test network.
func script(timeout time.Duration, args ...string) (string, error) {
	return scriptEnv(timeout, nil, args...)
}

// scriptEnv runs scripts/network.sh with extra environment variables.
func scriptEnv(timeout time.Duration, env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, net.script, args...)
	netns := "0"
	if net.netns {
		netns = "1"
	}
	cmd.Env = append(os.Environ(), "CHENGNUO_STATE="+net.state, "CHENGNUO_BASE_PORT="+strconv.Itoa(net.base), "CHENGNUO_NETNS="+netns,
		fmt.Sprintf("CHENGNUO_WEBHOOK_POLICE=http://127.0.0.1:%d/verify", net.base+90),
		fmt.Sprintf("CHENGNUO_REMINDER_WEBHOOK_POLICE=http://127.0.0.1:%d/reminders", net.base+90),
		// Short retention and maintenance pace, so that automatic purges show within a test.
		"CHENGNUO_DETAILS_RETENTION=10s", "CHENGNUO_MAINTAIN_EVERY=2s",
		// Market runs two gateway replicas sharing a PostgreSQL store; the
		// others one gateway each, with the embedded store.
		"CHENGNUO_REPLICAS_MARKET=2")
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func startReaper() {
	cmd := exec.Command("bash", "-c", `while kill -0 "$1" 2>/dev/null; do sleep 1; done; "$2" down >/dev/null 2>&1`,
		"reaper", strconv.Itoa(os.Getpid()), net.script)
	cmd.Env = append(os.Environ(), "CHENGNUO_STATE="+net.state, "CHENGNUO_BASE_PORT="+strconv.Itoa(net.base))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err == nil {
		_ = cmd.Process.Release()
	}
}

// teardown stops the network, checks that no process it started survives,
// and removes the state dir (kept, with its logs, when tests failed).
func teardown(passed bool) bool {
	pids := recordedPIDs()
	out, err := script(2*time.Minute, "down")
	ok := err == nil
	if !ok {
		fmt.Fprintf(os.Stderr, "integration: network down failed: %v\n%s\n", err, out)
	}
	for name, pid := range pids {
		if processAlive(pid) {
			fmt.Fprintf(os.Stderr, "integration: %s (pid %d) is still running after down\n", name, pid)
			ok = false
		}
	}
	if passed && ok {
		os.RemoveAll(net.state)
	} else {
		fmt.Fprintf(os.Stderr, "integration: logs kept in %s/logs\n", net.state)
	}
	return ok
}

func recordedPIDs() map[string]int {
	pids := map[string]int{}
	files, _ := filepath.Glob(filepath.Join(net.state, "depts", "*", "run", "*.pid"))
	children, _ := filepath.Glob(filepath.Join(net.state, "depts", "*", "run", "*.child"))
	for _, f := range append(files, children...) {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil {
			pids[strings.TrimPrefix(f, net.state)] = pid
		}
	}
	return pids
}

func processAlive(pid int) bool {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// A zombie (state Z) has exited; it only waits for its parent to reap it.
	fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

// apiKey returns a gateway's API key for a role (CLERK, AUDITOR, CATALOG_ADMIN)
// from the keys.env the network script wrote.
func apiKey(t testing.TB, slot int, role string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(deptHome(slot), "gateway", "keys.env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, role+"_KEY="); ok {
			return v
		}
	}
	t.Fatalf("no %s key for %s", role, orgs[slot].key)
	return ""
}
