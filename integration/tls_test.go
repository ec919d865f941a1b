package integration

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The chaincode server speaks TLS and admits only the departments' peers:
// their TLS certificates are pinned, so another certificate of the same
// TLS CA (a user's, an admin's) is refused.
func TestChaincodeServerRequiresPeerCertificate(t *testing.T) {
	ccTLS := filepath.Join(net.state, "crypto", "peerOrganizations", "cc.chengnuo.local", "peers", "notary.cc.chengnuo.local", "tls")
	caPEM, err := os.ReadFile(filepath.Join(ccTLS, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	addr := fmt.Sprintf("127.0.0.1:%d", net.base+200)
	dial := func(certs []tls.Certificate) error {
		conn, err := tls.DialWithDialer(&netDialer, "tcp", addr, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", Certificates: certs, NextProtos: []string{"h2"}})
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
	if err := dial(nil); err == nil {
		t.Fatal("the chaincode server admitted a client without a certificate")
	}
	peerTLS := filepath.Join(net.state, "crypto", "peerOrganizations", orgs[market].domain, "peers", "peer0."+orgs[market].domain, "tls")
	cert, err := tls.LoadX509KeyPair(filepath.Join(peerTLS, "server.crt"), filepath.Join(peerTLS, "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := dial([]tls.Certificate{cert}); err != nil {
		t.Fatalf("a peer's certificate was refused: %v", err)
	}
	// A user's TLS certificate from the same department's TLS CA is not a peer's.
	userTLS := filepath.Join(net.state, "crypto", "peerOrganizations", orgs[market].domain, "users", "User1@"+orgs[market].domain, "tls")
	ucert, err := tls.LoadX509KeyPair(filepath.Join(userTLS, "client.crt"), filepath.Join(userTLS, "client.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := dial([]tls.Certificate{ucert}); err == nil {
		t.Fatal("the chaincode server admitted a user's certificate")
	}
	// The orderer organization's certificate is not a peer's.
	ordTLS := filepath.Join(net.state, "crypto", "ordererOrganizations", "orderer.chengnuo.local", "orderers", "o1.orderer.chengnuo.local", "tls")
	ocert, err := tls.LoadX509KeyPair(filepath.Join(ordTLS, "server.crt"), filepath.Join(ordTLS, "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := dial([]tls.Certificate{ocert}); err == nil {
		t.Fatal("the chaincode server admitted the orderer's certificate")
	}
}
