package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo/notary"
)

func TestParseConfigNamesMissingValues(t *testing.T) {
	_, err := parseConfig(nil, func(string) string { return "" }, io.Discard)
	if err == nil {
		t.Fatal("no error for an empty configuration")
	}
	for _, name := range []string{"--msp-id", "CHENGNUO_MSP_ID", "--peer-endpoint", "--peer-tls-ca", "--cert", "--key", "--store", "--applicant-secret-file", "--api-keys-file", "--organ-name", "--number-prefix"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestParseConfigFlagsOverrideEnv(t *testing.T) {
	env := map[string]string{
		"CHENGNUO_MSP_ID": "MarketMSP", "CHENGNUO_PEER_ENDPOINT": "127.0.0.1:1", "CHENGNUO_PEER_TLS_CA": "ca.pem",
		"CHENGNUO_CERT": "c.pem", "CHENGNUO_KEY": "k.pem", "CHENGNUO_LOG_LEVEL": "debug",
		"CHENGNUO_STORE": "s.db", "CHENGNUO_APPLICANT_SECRET_FILE": "sec", "CHENGNUO_API_KEYS_FILE": "keys.json",
		"CHENGNUO_ORGAN_NAME": "市市场监管局", "CHENGNUO_NUMBER_PREFIX": "虎市监承", "CHENGNUO_PUBLIC_URL": "https://chengnuo.example.gov.cn",
	}
	cfg, err := parseConfig([]string{"--msp-id", "PoliceMSP"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Fabric.MSPID != "PoliceMSP" || cfg.Fabric.PeerEndpoint != "127.0.0.1:1" || cfg.LogLevel.String() != "DEBUG" || cfg.Fabric.Channel != "chengnuo" ||
		cfg.NumberPrefix != "虎市监承" || cfg.OrganName != "市市场监管局" || cfg.PublicURL != "https://chengnuo.example.gov.cn" {
		t.Fatalf("config = %+v", cfg)
	}
	if cfg.BatchLinger != notary.DefaultBatchLinger {
		t.Fatalf("batch linger %v by default, want %v", cfg.BatchLinger, notary.DefaultBatchLinger)
	}
	if cfg.BatchWorkers != notary.DefaultBatchWorkers {
		t.Fatalf("batch workers %d by default, want %d", cfg.BatchWorkers, notary.DefaultBatchWorkers)
	}
	if cfg.Fabric.EndorserRefresh != time.Minute {
		t.Fatalf("endorser refresh %v by default, want 1m", cfg.Fabric.EndorserRefresh)
	}
	env["CHENGNUO_ENDORSER_REFRESH"] = "0"
	if cfg, err = parseConfig(nil, func(k string) string { return env[k] }, io.Discard); err != nil || cfg.Fabric.EndorserRefresh >= 0 {
		t.Fatalf("CHENGNUO_ENDORSER_REFRESH=0: %v %v, want the client's never (negative)", cfg.Fabric.EndorserRefresh, err)
	}
	env["CHENGNUO_BATCH_WORKERS"] = "3"
	if cfg, err = parseConfig(nil, func(k string) string { return env[k] }, io.Discard); err != nil || cfg.BatchWorkers != 3 {
		t.Fatalf("CHENGNUO_BATCH_WORKERS=3: %d %v", cfg.BatchWorkers, err)
	}
	env["CHENGNUO_BATCH_LINGER"] = "0"
	if cfg, err = parseConfig(nil, func(k string) string { return env[k] }, io.Discard); err != nil || cfg.BatchLinger >= 0 {
		t.Fatalf("--batch-linger 0: %v %v, want the service's none (negative)", cfg.BatchLinger, err)
	}
}

func TestParseConfigRejectsBadValues(t *testing.T) {
	base := []string{"--msp-id", "M", "--peer-endpoint", "p", "--peer-tls-ca", "c", "--cert", "c", "--key", "k",
		"--store", "s", "--applicant-secret-file", "f", "--api-keys-file", "a", "--organ-name", "市市场监管局", "--number-prefix", "虎市监承"}
	for _, extra := range [][]string{{"--log-level", "loud"}, {"--shutdown-timeout", "soon"}, {"--no-such-flag"}, {"--public-rate", "-1"}, {"--public-rate", "fast"}, {"--batch-linger", "-1s"}, {"--batch-linger", "soon"}, {"--batch-linger", "2m"}, {"--batch-workers", "0"}, {"--batch-workers", "65"}, {"--batch-workers", "many"}, {"--endorser-refresh", "-1s"}, {"--endorser-refresh", "2h"}, {"--endorser-refresh", "often"},
		{"--public-url", "ftp://x"}, {"--public-url", "https://"}, {"--public-url", "https://x/?a=1"}, {"--public-url", "https://u:p@x"}, {"--public-url", "x.example"}} {
		if _, err := parseConfig(append(append([]string{}, base...), extra...), func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v accepted", extra)
		}
	}
}
