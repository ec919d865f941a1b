package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The local network runs some twenty Go processes on one host, each with
// the Go runtime settings scripts/dept.sh chose for its kind from measured
// runs (see the README's Performance section): a soft memory limit for
// all, and one scheduler thread for everything but the gateways and peers.
func TestProcessesRunWithTheirRuntimeSettings(t *testing.T) {
	want := map[string]struct{ memLimit, maxProcs string }{
		"peer":      {"160MiB", ""}, // all cores
		"orderer":   {"96MiB", "1"},
		"chaincode": {"48MiB", "1"},
		"ca":        {"48MiB", "1"},
		"gateway":   {"128MiB", ""}, // all cores
	}
	for _, o := range orgs {
		for name, w := range want {
			pid, err := os.ReadFile(filepath.Join(net.depts[o.key].Home, "run", name+".child"))
			if err != nil {
				t.Errorf("%s %s: %v", o.key, name, err)
				continue
			}
			raw, err := os.ReadFile(filepath.Join("/proc", strings.TrimSpace(string(pid)), "environ"))
			if err != nil {
				t.Errorf("%s %s: %v", o.key, name, err)
				continue
			}
			env := map[string]string{}
			for _, kv := range bytes.Split(raw, []byte{0}) {
				if k, v, ok := strings.Cut(string(kv), "="); ok {
					env[k] = v
				}
			}
			if env["GOMEMLIMIT"] != w.memLimit || env["GOMAXPROCS"] != w.maxProcs {
				t.Errorf("%s %s runs with GOMEMLIMIT=%q GOMAXPROCS=%q, want %q and %q",
					o.key, name, env["GOMEMLIMIT"], env["GOMAXPROCS"], w.memLimit, w.maxProcs)
			}
		}
	}
}
