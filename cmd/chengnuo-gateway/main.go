// Command chengnuo-gateway runs one department's HTTP gateway to the shared
// ledger. Every setting is a flag with an environment fallback
// (CHENGNUO_<FLAG> with dashes as underscores, e.g. CHENGNUO_PEER_ENDPOINT).
package main

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/bolt"
	"github.com/chengnuo/chengnuo/console"
	"github.com/chengnuo/chengnuo/fabric"
	"github.com/chengnuo/chengnuo/gateway"
	"github.com/chengnuo/chengnuo/internal/debugsrv"
	"github.com/chengnuo/chengnuo/metrics"
	"github.com/chengnuo/chengnuo/notary"
	"github.com/chengnuo/chengnuo/people"
	"github.com/chengnuo/chengnuo/postgres"
	"github.com/chengnuo/chengnuo/registry"
)

// Config is the gateway's typed configuration.
type Config struct {
	Listen    string
	OpsListen string
	// OperatorTokenFile holds the token the node kit's account-add sends
	// to the operations listener.
	OperatorTokenFile string
	StorePath         string
	SecretFile        string
	APIKeysFile       string
	RootsFile         string
	OrganName         string
	NumberPrefix      string
	PublicURL         string
	Checkpoint        string
	IndexPath         string
	WebDir            string
	Webhook           string
	ReminderWebhook   string
	// WebhookSecretFile holds the secret that signs every call to the
	// department's registry and reminder webhook (registry.Signature).
	WebhookSecretFile string
	DebugListen       string
	PublicRate        float64
	MaxProofs         int
	TrustedProxies    []string
	MaintainEvery     time.Duration
	DetailsRetain     time.Duration
	BatchLinger       time.Duration // notary.Config.BatchLinger
	BatchWorkers      int           // notary.Config.BatchWorkers
	LogLevel          slog.Level
	ShutdownTimeout   time.Duration
	Fabric            fabric.Config
}

// parseConfig reads flags (falling back to env) and fails naming every
// missing value.
func parseConfig(args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	var cfg Config
	fs := flag.NewFlagSet("chengnuo-gateway", flag.ContinueOnError)
	fs.SetOutput(usage)
	env := func(name, def string) string {
		if v := getenv("CHENGNUO_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); v != "" {
			return v
		}
		return def
	}
	str := func(p *string, name, def, usage string) { fs.StringVar(p, name, env(name, def), usage) }
	var level, shutdown, rate, proxies, maintain, retain, linger, workers, refresh, proofs string
	str(&cfg.Listen, "listen", "127.0.0.1:8080", "HTTP listen address")
	str(&cfg.OperatorTokenFile, "operator-token-file", "", "file holding the operator token: with it, POST /accounts on the operations listener creates a workbench account (scripts/dept.sh account-add)")
	str(&cfg.OpsListen, "ops-listen", "", "operations listen address (/metrics, /healthz, /readyz) on the department's monitoring network, never the public one (default: none, no /metrics)")
	str(&level, "log-level", "info", "log level: debug, info, warn, error")
	str(&shutdown, "shutdown-timeout", "15s", "graceful shutdown limit")
	str(&cfg.Fabric.MSPID, "msp-id", "", "MSP id of this department")
	str(&cfg.OrganName, "organ-name", "", "this department's name as people name it, printed on letters (e.g. 市市场监管局)")
	str(&cfg.NumberPrefix, "number-prefix", "", "the prefix of this department's letter numbers (文号前缀, e.g. 虎市监承: 〔2026〕虎市监承第000123号)")
	str(&cfg.PublicURL, "public-url", "", "the address the public reaches this gateway at: the documents' QR codes open its /verify page (default: the address a client used)")
	str(&cfg.StorePath, "store", "", "the department's letter database: a file (embedded bbolt, one replica) or a postgres:// URL (shared by the department's replicas)")
	str(&cfg.SecretFile, "applicant-secret-file", "", "file holding the consortium secret for applicant keys (hex)")
	str(&cfg.APIKeysFile, "api-keys-file", "", "JSON file of API keys: [{name, hash (SM3 hex), roles}]")
	str(&rate, "public-rate", "20", "requests per second per client address on public routes (burst: twice that)")
	str(&proofs, "max-proofs", "4", "how many proof bundles are built at once; beyond, a proof request is answered 503 at once (a bundle's cost grows with the chain)")
	str(&proxies, "trusted-proxies", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client (default: none; the peer address is the client)")
	str(&maintain, "maintain-every", "30s", "how often pending letters, deliveries and purges are retried in the background")
	str(&linger, "batch-linger", notary.DefaultBatchLinger.String(), "while a batch of letters is in flight, the least time between the starts of two batches (0: none)")
	str(&workers, "batch-workers", strconv.Itoa(notary.DefaultBatchWorkers), "how many batches of letters may be in flight at once")
	str(&refresh, "endorser-refresh", "1m", "how long the departments discovery chose to endorse a batch of letters are named for the next batches, which they then endorse all at once (0: never named, discovery chooses every time)")
	str(&retain, "details-retention", "1m", "how long an answered request's details stay in this department's private collection before they are purged")
	str(&cfg.Checkpoint, "checkpoint", "", "event checkpoint file (default: the store path + .checkpoint)")
	str(&cfg.WebDir, "web-dir", "", "directory of the public page's WebAssembly verifier (chengnuo.wasm, wasm_exec.js) (default: web/ next to this binary)")
	str(&cfg.IndexPath, "index", "", "read model file: public records fed by the peer's blocks, with its height (default: the store path + .index)")
	str(&cfg.Webhook, "verify-webhook", "", "URL of this department's registry for online verification (answers requests automatically)")
	str(&cfg.WebhookSecretFile, "webhook-secret-file", "", "file holding the secret that signs every call to the registry and the reminder webhook (HMAC-SM3; the receivers check it: package registry)")
	str(&cfg.ReminderWebhook, "reminder-webhook", "", "URL the department's reminders are posted to: a request addressed to it that is due by the end of the next working day, or overdue, is announced once each")
	str(&cfg.RootsFile, "cert-roots", "", "optional PEM file of SM2 root certificates; when set, letters must be signed with certificates under them")
	str(&cfg.DebugListen, "debug-listen", "", "loopback address serving /debug/pprof (default: off)")
	str(&cfg.Fabric.PeerEndpoint, "peer-endpoint", "", "host:port of this department's peer")
	str(&cfg.Fabric.PeerTLSCAFile, "peer-tls-ca", "", "PEM file of the peer's TLS CA")
	str(&cfg.Fabric.PeerServerName, "peer-server-name", "", "TLS server name of the peer (default: endpoint host)")
	str(&cfg.Fabric.CertFile, "cert", "", "PEM certificate of the gateway's Fabric identity")
	str(&cfg.Fabric.KeyFile, "key", "", "PEM private key of the gateway's Fabric identity")
	str(&cfg.Fabric.Channel, "channel", "chengnuo", "channel name")
	str(&cfg.Fabric.Chaincode, "chaincode", "notary", "chaincode name")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	var missing []string
	for _, f := range []struct{ name, val string }{
		{"msp-id", cfg.Fabric.MSPID}, {"peer-endpoint", cfg.Fabric.PeerEndpoint},
		{"peer-tls-ca", cfg.Fabric.PeerTLSCAFile}, {"cert", cfg.Fabric.CertFile}, {"key", cfg.Fabric.KeyFile},
		{"channel", cfg.Fabric.Channel}, {"chaincode", cfg.Fabric.Chaincode}, {"listen", cfg.Listen},
		{"store", cfg.StorePath}, {"applicant-secret-file", cfg.SecretFile}, {"api-keys-file", cfg.APIKeysFile},
		{"organ-name", cfg.OrganName}, {"number-prefix", cfg.NumberPrefix},
	} {
		if f.val == "" {
			missing = append(missing, fmt.Sprintf("--%s (or CHENGNUO_%s)", f.name, strings.ToUpper(strings.ReplaceAll(f.name, "-", "_"))))
		}
	}
	if len(missing) > 0 {
		return cfg, fmt.Errorf("missing configuration: %s", strings.Join(missing, ", "))
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return cfg, fmt.Errorf("--public-url must be an http(s) address such as https://chengnuo.example.gov.cn, got %q", cfg.PublicURL)
		}
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return cfg, fmt.Errorf("--log-level: %w", err)
	}
	d, err := time.ParseDuration(shutdown)
	if err != nil {
		return cfg, fmt.Errorf("--shutdown-timeout: %w", err)
	}
	cfg.ShutdownTimeout = d
	if _, err := fmt.Sscanf(rate, "%g", &cfg.PublicRate); err != nil || cfg.PublicRate <= 0 {
		return cfg, fmt.Errorf("--public-rate must be a positive number, got %q", rate)
	}
	for _, d := range []struct {
		name string
		in   string
		out  *time.Duration
	}{{"maintain-every", maintain, &cfg.MaintainEvery}, {"details-retention", retain, &cfg.DetailsRetain}} {
		v, err := time.ParseDuration(d.in)
		if err != nil || v <= 0 {
			return cfg, fmt.Errorf("--%s must be a positive duration, got %q", d.name, d.in)
		}
		*d.out = v
	}
	if v, err := time.ParseDuration(linger); err != nil || v < 0 || v > time.Minute {
		return cfg, fmt.Errorf("--batch-linger must be a duration from 0 to 1m, got %q", linger)
	} else if cfg.BatchLinger = v; v == 0 {
		cfg.BatchLinger = -1 // the service's "none"
	}
	if v, err := time.ParseDuration(refresh); err != nil || v < 0 || v > time.Hour {
		return cfg, fmt.Errorf("--endorser-refresh must be a duration from 0 to 1h, got %q", refresh)
	} else if cfg.Fabric.EndorserRefresh = v; v == 0 {
		cfg.Fabric.EndorserRefresh = -1 // the client's "never"
	}
	n, err := strconv.Atoi(workers)
	if err != nil || n < 1 || n > 64 {
		return cfg, fmt.Errorf("--batch-workers must be a whole number from 1 to 64, got %q", workers)
	}
	cfg.BatchWorkers = n
	if cfg.MaxProofs, err = strconv.Atoi(proofs); err != nil || cfg.MaxProofs < 1 {
		return cfg, fmt.Errorf("--max-proofs must be a positive whole number, got %q", proofs)
	}
	for _, p := range strings.Split(proxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
				return cfg, fmt.Errorf("--trusted-proxies: %q is neither a CIDR nor an IP address", p)
			}
			cfg.TrustedProxies = append(cfg.TrustedProxies, p)
		}
	}
	if postgres.IsURL(cfg.StorePath) {
		// Replicas share the database; each keeps its own event
		// checkpoint and read model.
		for _, f := range []struct{ name, val string }{{"checkpoint", cfg.Checkpoint}, {"index", cfg.IndexPath}} {
			if f.val == "" {
				return cfg, fmt.Errorf("with a postgres:// store, --%s (or CHENGNUO_%s) names this replica's own file", f.name, strings.ToUpper(f.name))
			}
		}
	}
	if cfg.Checkpoint == "" {
		cfg.Checkpoint = cfg.StorePath + ".checkpoint"
	}
	if cfg.WebDir == "" {
		if exe, err := os.Executable(); err == nil {
			cfg.WebDir = filepath.Join(filepath.Dir(exe), "web")
		}
	}
	if cfg.IndexPath == "" {
		cfg.IndexPath = cfg.StorePath + ".index"
	}
	cfg.Fabric.Checkpoint = cfg.Checkpoint
	return cfg, nil
}

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chengnuo-gateway:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("gateway stopped", slog.String("error", err.Error()))
		os.Exit(1)
	}
}

func loadDeps(cfg Config) (secret []byte, keys []chengnuo.APIKey, roots *smx509.CertPool, err error) {
	raw, err := os.ReadFile(cfg.SecretFile)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("applicant secret: %w", err)
	}
	if secret, err = hex.DecodeString(strings.TrimSpace(string(raw))); err != nil || len(secret) < 16 {
		return nil, nil, nil, fmt.Errorf("applicant secret in %s must be at least 16 bytes of hex", cfg.SecretFile)
	}
	raw, err = os.ReadFile(cfg.APIKeysFile)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("api keys: %w", err)
	}
	if err := json.Unmarshal(raw, &keys); err != nil {
		return nil, nil, nil, fmt.Errorf("api keys file %s: %w", cfg.APIKeysFile, err)
	}
	if cfg.RootsFile != "" {
		pemRoots, err := os.ReadFile(cfg.RootsFile)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("cert roots: %w", err)
		}
		roots = smx509.NewCertPool()
		if !roots.AppendCertsFromPEM(pemRoots) {
			return nil, nil, nil, fmt.Errorf("cert roots file %s holds no certificate", cfg.RootsFile)
		}
	}
	return secret, keys, roots, nil
}

// sharedRecoverAfter is how old a pending letter in a shared store must be
// before a replica's background pass anchors it: longer than a submission
// takes to anchor its own letter.
const sharedRecoverAfter = 20 * time.Second

// store is a department store the gateway can close; it keeps the
// workbench's people too.
type store interface {
	chengnuo.Store
	chengnuo.People
	Close() error
}

// openStore opens the embedded store at a path or PostgreSQL at a URL.
func openStore(ctx context.Context, where string) (store, error) {
	if postgres.IsURL(where) {
		return postgres.Open(ctx, where)
	}
	return bolt.Open(where)
}

func run(ctx context.Context, cfg Config, log *slog.Logger) error {
	secret, keys, roots, err := loadDeps(cfg)
	if err != nil {
		return err
	}
	if err := debugsrv.Start(cfg.DebugListen); err != nil {
		return err
	}
	if err := fabric.CheckCheckpoint(cfg.Checkpoint); err != nil {
		return err
	}
	var webhookSecret []byte
	if cfg.Webhook != "" || cfg.ReminderWebhook != "" {
		if cfg.WebhookSecretFile == "" {
			return errors.New("a webhook needs --webhook-secret-file (or CHENGNUO_WEBHOOK_SECRET_FILE): every call to the department's systems is signed")
		}
		if webhookSecret, err = registry.ReadSecret(cfg.WebhookSecretFile); err != nil {
			return err
		}
	}
	var reg chengnuo.Registry
	if cfg.Webhook != "" {
		if reg, err = registry.New(cfg.Webhook, 10*time.Second, webhookSecret); err != nil {
			return err
		}
	}
	var notifier chengnuo.Notifier
	if cfg.ReminderWebhook != "" {
		if notifier, err = registry.NewNotifier(cfg.ReminderWebhook, 10*time.Second, webhookSecret); err != nil {
			return err
		}
	}
	mreg := metrics.New()
	resubmits := mreg.Counter("chengnuo_ledger_resubmissions_total", "transactions submitted again because their outcome was unknown")
	cfg.Fabric.OnResubmit = func() { resubmits.Inc() }
	steps := mreg.Histogram("chengnuo_ledger_step_seconds", "time of each step of the transactions that succeeded: endorse (all endorsers answered), order (the orderers took it), commit (the department's peer committed it)",
		[]float64{.01, .025, .05, .1, .15, .2, .25, .3, .4, .5, .75, 1, 2, 5}, "step")
	cfg.Fabric.OnStep = func(step string, d time.Duration) { steps.Observe(d.Seconds(), step) }
	plans := mreg.Counter("chengnuo_ledger_endorsements_total", "anchoring batches endorsed, by how their endorsers were chosen: named (learned from discovery, all endorse at once), discovery (the peer's gateway chose), failed (named, and they failed it; endorsed again as discovery chooses)", "plan")
	cfg.Fabric.OnEndorsers = func(plan string) { plans.Inc(plan) }
	events := mreg.Counter("chengnuo_events_handled_total", "chaincode events the listener handled, by event and outcome (ok, failed: given up after retries)", "event", "outcome")
	cfg.Fabric.OnEvent = func(name string, ok bool) {
		events.Inc(name, map[bool]string{true: "ok", false: "failed"}[ok])
	}
	cfg.Fabric.Logger = log
	fc, err := fabric.Dial(cfg.Fabric)
	if err != nil {
		return err
	}
	defer fc.Close()
	mreg.GaugeFunc("chengnuo_event_checkpoint_block", "block of the last chaincode event the listener handled and checkpointed", func() (float64, bool) {
		return float64(fc.EventCheckpoint()), true
	})
	db, err := openStore(ctx, cfg.StorePath)
	if err != nil {
		return err
	}
	defer db.Close()
	var recoverAfter time.Duration
	if postgres.IsURL(cfg.StorePath) {
		// Another replica may be anchoring a letter it just stored: leave
		// it that long before anchoring it from here.
		recoverAfter = sharedRecoverAfter
	}
	if pg, ok := db.(*postgres.DB); ok {
		archiver := func(f func(postgres.Archiver) float64) func() (float64, bool) {
			return func() (float64, bool) {
				a, err := pg.Archiver(ctx)
				return f(a), err == nil
			}
		}
		mreg.GaugeFunc("chengnuo_store_wal_archived", "log segments the PostgreSQL store has archived (continuous protection), since its statistics were reset",
			archiver(func(a postgres.Archiver) float64 { return float64(a.Archived) }))
		mreg.GaugeFunc("chengnuo_store_wal_archive_failures", "failed attempts to archive a log segment of the PostgreSQL store",
			archiver(func(a postgres.Archiver) float64 { return float64(a.Failed) }))
		mreg.GaugeFunc("chengnuo_store_wal_archive_failing", "1 while the last attempt to archive a log segment failed: the store keeps its log until the archive takes it",
			archiver(func(a postgres.Archiver) float64 {
				if a.Failing() {
					return 1
				}
				return 0
			}))
	}
	// Only the credit platform looks applicants up.
	idx, err := bolt.OpenIndex(cfg.IndexPath, cfg.Fabric.MSPID == chengnuo.CreditAuthority)
	if err != nil {
		return err
	}
	defer idx.Close()
	svc, err := notary.New(ctx, notary.Config{
		MSPID: cfg.Fabric.MSPID, OrganName: cfg.OrganName, NumberPrefix: cfg.NumberPrefix, ApplicantSecret: secret, Roots: roots, Logger: log, Registry: reg, Notifier: notifier,
		DetailsRetention: cfg.DetailsRetain, BatchLinger: cfg.BatchLinger, BatchWorkers: cfg.BatchWorkers, Index: idx, RecoverAfter: recoverAfter, Metrics: mreg, Channel: cfg.Fabric.Channel, Chaincode: cfg.Fabric.Chaincode,
	}, fc, db)
	if err != nil {
		return err
	}
	mreg.GaugeFunc("chengnuo_event_checkpoint_lag_blocks", "blocks holding chaincode events that the read model has seen and the event listener has not yet handled (since the gateway started)", func() (float64, bool) {
		last, done := svc.LastEventBlock(), fc.EventCheckpoint()
		if last <= done {
			return 0, true
		}
		return float64(last - done), true
	})
	go func() {
		if err := svc.Follow(ctx, fc); err != nil && ctx.Err() == nil {
			log.Error("read model stopped", slog.String("error", err.Error()))
		}
	}()
	go svc.Maintain(ctx, cfg.MaintainEvery)
	go func() {
		if err := fc.Listen(ctx, svc); err != nil && ctx.Err() == nil {
			log.Error("event listener stopped", slog.String("error", err.Error()))
		}
	}()

	api := gateway.New(gateway.Options{
		Service: svc, APIKeys: keys, Logger: log, MSPID: cfg.Fabric.MSPID,
		WebDir: cfg.WebDir, Metrics: mreg, PublicRate: cfg.PublicRate, PublicBurst: int(2 * cfg.PublicRate), TrustedProxies: cfg.TrustedProxies,
		MaxProofs: cfg.MaxProofs, PublicURL: cfg.PublicURL,
	})
	// The workbench, for the department's people, beside the API.
	ppl := people.New(people.Config{Store: db, Issuer: cmp.Or(cfg.OrganName, cfg.Fabric.MSPID), Logger: log})
	wb := console.New(console.Options{Service: svc, People: ppl, MSPID: cfg.Fabric.MSPID, Organ: cfg.OrganName, PublicURL: cfg.PublicURL, Logger: log})
	public := http.NewServeMux()
	public.Handle(console.Prefix, wb)
	public.Handle("/", api)
	ops := http.NewServeMux()
	ops.Handle("/", api.Operations())
	if cfg.OperatorTokenFile != "" {
		raw, err := os.ReadFile(cfg.OperatorTokenFile)
		if err != nil {
			return fmt.Errorf("--operator-token-file: %w", err)
		}
		token := strings.TrimSpace(string(raw))
		ops.Handle("POST /accounts", console.Operator(ppl, token))
		// Backup and restore (scripts/dept.sh backup, restore).
		var sources []gateway.Snapshot
		storeKind := "postgres"
		if bdb, ok := db.(*bolt.DB); ok {
			storeKind = "bolt"
			sources = append(sources, gateway.Snapshot{Name: "store.db", Take: bdb.Snapshot})
		}
		sources = append(sources, gateway.Snapshot{Name: "index.db", Take: idx.Snapshot})
		files := map[string]string{}
		if cfg.Fabric.Checkpoint != "" {
			files["checkpoint"] = cfg.Fabric.Checkpoint
		}
		ops.Handle("GET /backup", gateway.BackupHandler(token, cfg.Fabric.MSPID, storeKind, svc.IndexHeight, sources, files))
		ops.Handle("POST /reconcile", gateway.ReconcileHandler(token, svc))
	}
	// The body's own read deadline (the server's per-route BodyTimeout)
	// replaces ReadTimeout once the headers are in.
	servers := []*http.Server{{
		Addr: cfg.Listen, Handler: public,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       120 * time.Second,
	}}
	if cfg.OpsListen != "" {
		servers = append(servers, &http.Server{Addr: cfg.OpsListen, Handler: ops,
			ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second})
	}
	errc := make(chan error, len(servers))
	for _, srv := range servers {
		go func() { errc <- srv.ListenAndServe() }()
	}
	log.Info("gateway listening", slog.String("addr", cfg.Listen), slog.String("ops", cfg.OpsListen), slog.String("msp", cfg.Fabric.MSPID),
		slog.String("peer", cfg.Fabric.PeerEndpoint), slog.String("channel", cfg.Fabric.Channel))

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("shutdown: %w", err)
		}
	}
	return nil
}
