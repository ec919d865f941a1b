package integration

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Each department runs its own chaincode server, a process of its own with
// its own TLS key, and it admits exactly its own department's peer: another
// department's peer, the department's own admin or orderer, or a client
// without a certificate are refused.
func TestChaincodeServersOnePerDepartment(t *testing.T) {
	pids := map[int]string{}
	for slot, o := range orgs {
		home := deptHome(slot)
		pid := childPID(t, home, "chaincode")
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil || filepath.Base(exe) != "chengnuo-cc" {
			t.Fatalf("%s: chaincode process %d is %q (%v)", o.key, pid, exe, err)
		}
		if other, ok := pids[pid]; ok {
			t.Fatalf("%s and %s share chaincode process %d", o.key, other, pid)
		}
		pids[pid] = o.key
	}

	home := deptHome(market)
	caPEM, err := os.ReadFile(filepath.Join(home, "msp", "tlscacerts", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	ip := net.depts["market"].IP
	addr := fmt.Sprintf("%s:%d", ip, net.base+200+market)
	dial := func(certs []tls.Certificate) error {
		conn, err := tls.DialWithDialer(&netDialer, "tcp", addr, &tls.Config{RootCAs: roots, ServerName: ip, Certificates: certs, NextProtos: []string{"h2"}})
		if err != nil {
			return err
		}
		defer conn.Close()
		// With TLS 1.3 a refused client certificate shows on the first read.
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
			return nil // the server kept the connection: admitted
		}
		return err
	}
	load := func(home, who string) tls.Certificate {
		c, err := tls.LoadX509KeyPair(filepath.Join(home, who, "tls", "server.crt"), filepath.Join(home, who, "tls", "server.key"))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if err := dial([]tls.Certificate{load(home, "peer")}); err != nil {
		t.Fatalf("market's chaincode server refused market's peer: %v", err)
	}
	if err := dial(nil); err == nil {
		t.Fatal("the chaincode server admitted a client without a certificate")
	}
	refused := map[string]tls.Certificate{
		"market's admin":   load(home, "admin"),
		"market's orderer": load(home, "orderer"),
		"police's peer":    load(deptHome(police), "peer"),
	}
	for who, cert := range refused {
		if err := dial([]tls.Certificate{cert}); err == nil {
			t.Errorf("market's chaincode server admitted %s certificate", who)
		}
	}
}

// childPID is the pid of a department process (the supervised child).
func childPID(t *testing.T, home, name string) int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(home, "run", name+".child"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}
