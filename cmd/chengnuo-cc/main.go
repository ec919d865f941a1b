// Command chengnuo-cc serves the notary chaincode as an external service
// (chaincode-as-a-service): the peers dial it using the address and TLS root
// in the package's connection.json.
//
// It speaks mutual TLS and admits exactly the peers it is told to: a peer
// presents its TLS certificate, which must chain to one of --client-cas and
// be one of the pinned --client-certs, so another certificate of the same
// TLS CA (a user's, an admin's) is refused. It reads only its own flags and
// CHAINCODE_* variables, never the CORE_* variables a peer would set, so an
// inherited environment cannot switch its behaviour.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"

	"github.com/chengnuo/chengnuo/chaincode"
	"github.com/chengnuo/chengnuo/internal/debugsrv"
)

// config is the server's configuration.
type config struct {
	id, addr, cert, key, clientCAs, clientCerts string
	version, debug                              string
	skew                                        time.Duration
}

func parse(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("chengnuo-cc", flag.ContinueOnError)
	env := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.id, "id", env("CHAINCODE_ID", ""), "full package id (label:sha256) the peers know this chaincode by [CHAINCODE_ID]")
	fs.StringVar(&c.addr, "listen", env("CHAINCODE_LISTEN", "127.0.0.1:9999"), "listen address [CHAINCODE_LISTEN]")
	fs.StringVar(&c.cert, "tls-cert", env("CHAINCODE_TLS_CERT", ""), "PEM server certificate [CHAINCODE_TLS_CERT]")
	fs.StringVar(&c.key, "tls-key", env("CHAINCODE_TLS_KEY", ""), "PEM server key [CHAINCODE_TLS_KEY]")
	fs.StringVar(&c.clientCAs, "client-cas", env("CHAINCODE_CLIENT_CAS", ""), "PEM bundle of the TLS CAs of the admitted peers [CHAINCODE_CLIENT_CAS]")
	fs.StringVar(&c.clientCerts, "client-certs", env("CHAINCODE_CLIENT_CERTS", ""), "PEM bundle of the admitted peers' TLS certificates [CHAINCODE_CLIENT_CERTS]")
	fs.StringVar(&c.version, "version", env("CHAINCODE_VERSION", chaincode.Version), "version reported by Ping [CHAINCODE_VERSION]")
	fs.StringVar(&c.debug, "debug-listen", env("CHAINCODE_DEBUG_LISTEN", ""), "loopback address serving /debug/pprof (default: off) [CHAINCODE_DEBUG_LISTEN]")
	skew := env("CHAINCODE_MAX_CLOCK_SKEW", chaincode.DefaultMaxClockSkew.String())
	fs.Func("max-clock-skew", "how far a transaction's timestamp may be from this server's clock [CHAINCODE_MAX_CLOCK_SKEW]", func(s string) error {
		skew = s
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	d, err := time.ParseDuration(skew)
	if err != nil || d <= 0 {
		return c, fmt.Errorf("--max-clock-skew must be a positive duration, got %q", skew)
	}
	c.skew = d
	if c.id == "" || c.cert == "" || c.key == "" || c.clientCAs == "" || c.clientCerts == "" {
		return c, errors.New("missing configuration: --id, --tls-cert, --tls-key, --client-cas and --client-certs are required (mutual TLS is not optional)")
	}
	return c, nil
}

// tlsConfig admits a client only if its certificate chains to one of the
// CAs (which also tells the peer which certificate to present) and is one
// of the pinned certificates.
func tlsConfig(c config) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(c.cert, c.key)
	if err != nil {
		return nil, fmt.Errorf("TLS key pair: %w", err)
	}
	caPEM, err := os.ReadFile(c.clientCAs)
	if err != nil {
		return nil, err
	}
	cas := x509.NewCertPool()
	if !cas.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s holds no certificate", c.clientCAs)
	}
	pinnedPEM, err := os.ReadFile(c.clientCerts)
	if err != nil {
		return nil, err
	}
	var pinned [][]byte
	for rest := pinnedPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		pinned = append(pinned, b.Bytes)
	}
	if len(pinned) == 0 {
		return nil, fmt.Errorf("%s holds no certificate", c.clientCerts)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    cas,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			for _, p := range pinned {
				if len(raw) > 0 && bytes.Equal(raw[0], p) {
					return nil
				}
			}
			return errors.New("the client certificate is not one of the admitted peers'")
		},
		SessionTicketsDisabled: true,
	}, nil
}

func main() {
	c, err := parse(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chengnuo-cc:", err)
		os.Exit(2)
	}
	tc, err := tlsConfig(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chengnuo-cc:", err)
		os.Exit(2)
	}
	chaincode.Version = c.version
	if err := debugsrv.Start(c.debug); err != nil {
		fmt.Fprintln(os.Stderr, "chengnuo-cc:", err)
		os.Exit(2)
	}
	lis, err := net.Listen("tcp", c.addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chengnuo-cc:", err)
		os.Exit(1)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(tc)),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: time.Minute, Timeout: 20 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Minute, PermitWithoutStream: true}),
		grpc.MaxRecvMsgSize(100<<20), grpc.MaxSendMsgSize(100<<20))
	peer.RegisterChaincodeServer(srv, &shim.ChaincodeServer{CCID: c.id, CC: &chaincode.Contract{MaxClockSkew: c.skew}})
	fmt.Fprintf(os.Stderr, "chengnuo-cc: serving %s on %s (mutual TLS, pinned peers, clock skew %s)\n", c.id, c.addr, c.skew)
	if err := srv.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, "chengnuo-cc:", err)
		os.Exit(1)
	}
}
