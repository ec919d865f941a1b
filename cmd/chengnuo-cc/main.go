// Command chengnuo-cc serves the notary chaincode as an external service
// (chaincode-as-a-service): the peers dial it using the address and TLS root
// in the package's connection.json.
//
// It reads only its own flags/env, never the CORE_* variables a peer would
// set, so an inherited environment cannot switch its behaviour.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo/chaincode"
)

func main() {
	fs := flag.NewFlagSet("chengnuo-cc", flag.ExitOnError)
	env := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	id := fs.String("id", env("CHAINCODE_ID", ""), "full package id (label:sha256) the peers know this chaincode by [CHAINCODE_ID]")
	addr := fs.String("listen", env("CHAINCODE_LISTEN", "127.0.0.1:9999"), "listen address [CHAINCODE_LISTEN]")
	cert := fs.String("tls-cert", env("CHAINCODE_TLS_CERT", ""), "PEM server certificate [CHAINCODE_TLS_CERT]")
	key := fs.String("tls-key", env("CHAINCODE_TLS_KEY", ""), "PEM server key [CHAINCODE_TLS_KEY]")
	clientCAs := fs.String("client-cas", env("CHAINCODE_CLIENT_CAS", ""), "PEM bundle of the CAs of peers' TLS client certificates; set: peers must authenticate [CHAINCODE_CLIENT_CAS]")
	version := fs.String("version", env("CHAINCODE_VERSION", chaincode.Version), "version reported by Ping [CHAINCODE_VERSION]")
	_ = fs.Parse(os.Args[1:])
	if *id == "" || *cert == "" || *key == "" {
		fmt.Fprintln(os.Stderr, "chengnuo-cc: missing configuration: --id, --tls-cert and --tls-key are required (TLS is not optional)")
		os.Exit(2)
	}
	certPEM, err := os.ReadFile(*cert)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chengnuo-cc: read TLS certificate:", err)
		os.Exit(2)
	}
	keyPEM, err := os.ReadFile(*key)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chengnuo-cc: read TLS key:", err)
		os.Exit(2)
	}
	var cas []byte
	if *clientCAs != "" {
		if cas, err = os.ReadFile(*clientCAs); err != nil {
			fmt.Fprintln(os.Stderr, "chengnuo-cc: read client CAs:", err)
			os.Exit(2)
		}
	}
	chaincode.Version = *version
	srv := &shim.ChaincodeServer{
		CCID:     *id,
		Address:  *addr,
		CC:       &chaincode.Contract{},
		TLSProps: shim.TLSProperties{Key: keyPEM, Cert: certPEM, ClientCACerts: cas},
	}
	fmt.Fprintf(os.Stderr, "chengnuo-cc: serving %s on %s (TLS, client authentication %v)\n", *id, *addr, len(cas) > 0)
	if err := srv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "chengnuo-cc:", err)
		os.Exit(1)
	}
}
