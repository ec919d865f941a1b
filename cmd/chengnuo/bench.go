package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/chengnuo/chengnuo/client"
	"github.com/chengnuo/chengnuo/sm"
)

// The bench command drives one department's gateway and reports, per run,
// the rate, latency percentiles, and the CPU seconds per 1,000 requests and
// resident memory of every process of the network (read from /proc, using
// the pids the supervisor records), plus the load generator's own CPU.
//
// Letters are drafted and signed before the clock starts, so a run measures
// the submission path only. Closed loop (--clients N, no --rate): each client
// sends its next request when the previous one is answered. Open loop
// (--rate R): requests start at R per second whatever the answers, and
// latency is measured from each request's scheduled start, so queueing shows.

// benchResult summarises one load run.
type benchResult struct {
	Mode     string
	Clients  int
	Rate     float64
	Elapsed  time.Duration
	OK       int
	Failures map[string]int
	// Unsent counts the requests of an open loop that fell due in its last
	// second and were still in the generator's queue when it ended: not
	// sent, so neither answered nor failed (see queuedTooLong).
	Unsent    int
	Latencies []time.Duration
	Heights   []uint64 // block heights reported by verification answers
	// The network's CPU seconds and the generator's per 1,000 answered,
	// and the network's memory (PSS and RSS, MB) after the run.
	NetCPU, GenCPU float64
	PSSMB, RSSMB   int64
	// RSSByKind is the memory (RSS, MB) after the run of each kind of
	// process, summed over departments.
	RSSByKind map[string]int64
}

func (r *benchResult) percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	return r.Latencies[int(p*float64(len(r.Latencies)-1))]
}

func (r *benchResult) rate() float64 { return float64(r.OK) / r.Elapsed.Seconds() }

func (r *benchResult) print(w io.Writer, baseline float64) {
	slices.Sort(r.Latencies)
	load := fmt.Sprintf("clients=%d", r.Clients)
	if r.Rate > 0 {
		load = fmt.Sprintf("offered=%.0f/s", r.Rate)
	}
	ratio := ""
	if baseline > 0 {
		ratio = fmt.Sprintf("  x%.1f baseline", r.rate()/baseline)
	}
	fmt.Fprintf(w, "%-8s %-15s ok=%-7d failed=%-5d %9.1f /s  p50=%-8s p90=%-8s p99=%-8s max=%s%s\n",
		r.Mode, load, r.OK, r.failed(), r.rate(),
		dur(r.percentile(0.50)), dur(r.percentile(0.90)), dur(r.percentile(0.99)), dur(r.percentile(1)), ratio)
	keys := make([]string, 0, len(r.Failures))
	for k := range r.Failures {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "         failure %s: %d\n", k, r.Failures[k])
	}
	if r.Unsent > 0 {
		fmt.Fprintf(w, "         not sent: %d, due in the last second and still queued in the generator at the end\n", r.Unsent)
	}
}

// queuedTooLong says whether a request of an open loop, due at at and not
// started when the run ended at end, counts as a failure: it had waited for
// a free client over a second (every client busy: the gateway was not
// keeping up). One due in the last second is merely the generator's
// hand-over at the end (the last tick's requests), not the gateway's doing.
func queuedTooLong(at, end time.Time) bool { return end.Sub(at) > time.Second }

func dur(d time.Duration) string {
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

func (r *benchResult) failed() int {
	n := 0
	for _, v := range r.Failures {
		n += v
	}
	return n
}

type benchConfig struct {
	base, key, item, network, out, summary string
	baseline                               float64
	clients                                int
	rate                                   float64
	duration                               time.Duration
	letters                                int
	procs                                  int
}

func runBench(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var c benchConfig
	fs.StringVar(&c.base, "url", "", "gateway base URL, e.g. http://127.0.0.1:17081")
	fs.StringVar(&c.network, "network", "", "network.json of the network under test: per-process CPU and memory are reported")
	fs.IntVar(&c.clients, "clients", 50, "concurrent clients (closed loop), or the most requests in flight (open loop)")
	fs.Float64Var(&c.rate, "rate", 0, "open loop: start this many requests per second (0: closed loop)")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long to run")
	mode := fs.String("mode", "letters", "anchor (bare digests, one transaction each), letters (prepared signed letters), verify (GET /v1/verify/{digest} of anchored letters) or verify-letter (POST /v1/verify with the letter)")
	fs.IntVar(&c.letters, "letters", 0, "letters to prepare for letters mode (default: enough for the run at 1,600/s, at most 60,000)")
	fs.StringVar(&c.item, "item", "SC-001", "catalog item of the letters")
	fs.StringVar(&c.key, "key", "", "clerk API key (better: --key-file, so that the key is in no process's arguments)")
	keyFile := fs.String("key-file", "", "file holding the clerk API key: the key alone, or a gateway's keys.env (its CLERK_KEY)")
	fs.Float64Var(&c.baseline, "baseline", 0, "rate of the baseline run, to print this run's ratio to it")
	fs.StringVar(&c.summary, "summary", "", "append this run's figures to this file as one JSON line")
	fs.IntVar(&c.procs, "procs", 1, "threads running the generator's Go code while the clock runs (GOMAXPROCS; 0: as many as cores). "+
		"One by default: on a machine the generator shares with the network, a second costs more in cross-thread wake-ups than it gives")
	fs.StringVar(&c.out, "digests", "", "letters mode: append the digests answered 201 to this file; verify modes: read digests (and letters) from it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *keyFile != "" {
		k, err := readKeyFile(*keyFile, "CLERK_KEY")
		if err != nil {
			return err
		}
		c.key = k
	}
	if c.base == "" {
		return errors.New("bench: --url is required")
	}
	if c.clients < 1 || c.clients > 5000 || c.duration <= 0 || c.duration > time.Hour || c.rate < 0 || c.procs < 0 {
		return errors.New("bench: --clients must be 1..5000, --duration positive and at most 1h, --rate and --procs not negative")
	}
	c.base = strings.TrimRight(c.base, "/")
	hc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: c.clients, MaxConnsPerHost: c.clients}}
	var reqs []benchRequest
	var err error
	switch *mode {
	case "anchor":
		n := 200000
		reqs = make([]benchRequest, n)
		for i := range reqs {
			reqs[i] = anchorRequest(randomDigest())
		}
	case "letters":
		procs := networkProcs(c.network)
		before, started := sample(procs), time.Now()
		if reqs, err = prepareLetters(ctx, hc, c); err != nil {
			return err
		}
		printDrafts(out, len(reqs), time.Since(started), procs, before, sample(procs))
	case "verify", "verify-letter":
		if reqs, err = verifyRequests(c, *mode); err != nil {
			return err
		}
	default:
		return fmt.Errorf("bench: unknown --mode %q", *mode)
	}
	w, err := newWire(c.base, c.clients, 60*time.Second)
	if err != nil {
		return err
	}
	procs := networkProcs(c.network)
	before := sample(procs)
	gen0 := selfCPU()
	if c.procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.procs))
	}
	res := drive(ctx, w, c, *mode, reqs)
	gen := selfCPU() - gen0
	after := sample(procs)
	res.print(out, c.baseline)
	if c.out != "" && *mode == "letters" {
		if err := saveDigests(c.out, reqs); err != nil {
			return err
		}
	}
	if len(res.Heights) > 0 {
		slices.Sort(res.Heights)
		fmt.Fprintf(out, "         answers reflect block heights %d..%d\n", res.Heights[0], res.Heights[len(res.Heights)-1])
	}
	printProcs(out, res, procs, before, after, gen)
	if c.summary != "" {
		return appendSummary(c.summary, res)
	}
	return nil
}

// benchRequest is one prepared request; digest and letter are kept for the
// verification runs that follow a letters run.
type benchRequest struct {
	method, path string
	body         []byte
	digest       string
	letter       string
	ok           atomic.Bool
}

func anchorRequest(digest string) benchRequest {
	body, _ := json.Marshal(client.AnchorDigestJSONRequestBody{Digest: digest})
	return benchRequest{method: "POST", path: "/v1/anchors", body: body, digest: digest}
}

func randomDigest() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// prepareLetters drafts letters for fresh applicants and signs each with a
// fresh SM2 key, in parallel, before any timing.
func prepareLetters(ctx context.Context, hc *http.Client, c benchConfig) ([]benchRequest, error) {
	n := c.letters
	if n == 0 {
		n = min(60000, int(1600*c.duration.Seconds())+2000)
	}
	api, err := client.New(c.base, hc, c.key)
	if err != nil {
		return nil, err
	}
	reqs := make([]benchRequest, n)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			key, err := sm.GenerateKey()
			if err != nil {
				once.Do(func() { firstErr = err })
				return
			}
			pub, _ := sm.MarshalPublicKeyPEM(&key.PublicKey)
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				canonical, err := draft(ctx, api, c)
				if err == nil {
					var sig []byte
					if sig, err = sm.Sign(key, []byte(canonical)); err == nil {
						body, _ := json.Marshal(client.SubmitRequest{Letter: canonical, Signature: base64.StdEncoding.EncodeToString(sig), PublicKey: client.Ptr(string(pub))})
						reqs[i] = benchRequest{method: "POST", path: "/v1/commitments", body: body, digest: sm.SM3Hex([]byte(canonical)), letter: canonical}
						continue
					}
				}
				once.Do(func() { firstErr = err })
				return
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, fmt.Errorf("bench: preparing letters: %w", firstErr)
	}
	return reqs, nil
}

// draft renders a letter for a fresh applicant through the generated
// client (preparation is not timed; the timed requests are bodies of the
// contract's types, sent over the bench's own wire).
func draft(ctx context.Context, api *client.ClientWithResponses, c benchConfig) (string, error) {
	r, err := client.OK(api.CreateDraftWithResponse(ctx, client.DraftRequest{ItemCode: c.item, ContactName: "bench", ContactPhone: "0",
		Applicant: client.Applicant{Name: "压测", IdType: client.ApplicantIdTypePASSPORT, IdNumber: "B" + randomDigest()[:12], Contact: "bench"}}))
	if err != nil {
		return "", fmt.Errorf("draft: %w", err)
	}
	return r.JSON201.Canonical, nil
}

func saveDigests(path string, reqs []benchRequest) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for i := range reqs {
		if reqs[i].ok.Load() {
			if err := enc.Encode(map[string]string{"digest": reqs[i].digest, "letter": reqs[i].letter}); err != nil {
				f.Close()
				return err
			}
		}
	}
	return f.Close()
}

func verifyRequests(c benchConfig, mode string) ([]benchRequest, error) {
	if c.out == "" {
		return nil, errors.New("bench: verify modes need --digests FILE written by a letters run")
	}
	raw, err := os.ReadFile(c.out)
	if err != nil {
		return nil, err
	}
	var reqs []benchRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		var d struct{ Digest, Letter string }
		if err := dec.Decode(&d); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("bench: %s: %w", c.out, err)
		}
		if mode == "verify" {
			reqs = append(reqs, benchRequest{method: "GET", path: "/v1/verify/" + d.Digest, digest: d.Digest})
		} else {
			body, _ := json.Marshal(client.VerifyLetterJSONRequestBody{Letter: d.Letter})
			reqs = append(reqs, benchRequest{method: "POST", path: "/v1/verify", body: body, digest: d.Digest})
		}
	}
	if len(reqs) == 0 {
		return nil, fmt.Errorf("bench: %s holds no digest", c.out)
	}
	return reqs, nil
}

// drive runs the load. Prepared letters and anchors are each sent once;
// verification requests cycle through the anchored letters.
func drive(ctx context.Context, w *wire, c benchConfig, mode string, reqs []benchRequest) *benchResult {
	res := &benchResult{Mode: mode, Clients: c.clients, Rate: c.rate, Failures: map[string]int{}}
	cycle := strings.HasPrefix(mode, "verify")
	var mu sync.Mutex
	var next atomic.Int64
	take := func() *benchRequest {
		i := int(next.Add(1) - 1)
		if cycle {
			return &reqs[i%len(reqs)]
		}
		if i >= len(reqs) {
			return nil
		}
		return &reqs[i]
	}
	record := func(r *benchRequest, start time.Time) {
		code, height, err := send(w, c, r)
		d := time.Since(start)
		mu.Lock()
		defer mu.Unlock()
		want := http.StatusCreated
		if cycle {
			want = http.StatusOK
		}
		switch {
		case err != nil:
			res.Failures["transport"]++
		case code == want:
			res.OK++
			r.ok.Store(true)
			res.Latencies = append(res.Latencies, d)
			if height > 0 {
				res.Heights = append(res.Heights, height)
			}
		default:
			res.Failures[fmt.Sprintf("HTTP %d", code)]++
		}
	}
	rctx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	if c.rate > 0 {
		// Open loop: a dispatcher hands each request its scheduled start
		// (at c.rate per second) to c.clients workers; when all are busy
		// the schedule queues, and that wait counts in the latency.
		due := make(chan time.Time, 1<<16)
		for range c.clients {
			wg.Go(func() {
				for at := range due {
					if rctx.Err() != nil {
						// Due but not started by the end: the backlog.
						mu.Lock()
						if queuedTooLong(at, start.Add(c.duration)) {
							res.Failures["not started by the end (queued over a second)"]++
						} else {
							res.Unsent++
						}
						mu.Unlock()
						continue
					}
					if r := take(); r != nil {
						record(r, at)
					}
				}
			})
		}
		interval := time.Duration(float64(time.Second) / c.rate)
		tick := time.NewTicker(max(interval, time.Millisecond))
		for sent := 0; rctx.Err() == nil; {
			for owed := int(time.Since(start) / interval); sent < owed && len(due) < cap(due); sent++ {
				due <- start.Add(time.Duration(sent) * interval)
			}
			select {
			case <-tick.C:
			case <-rctx.Done():
			}
		}
		tick.Stop()
		close(due)
	} else {
		for range c.clients {
			wg.Go(func() {
				for rctx.Err() == nil {
					r := take()
					if r == nil {
						return
					}
					record(r, time.Now())
				}
			})
		}
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}

// send makes one request; for verification it returns the block height the
// answer says it reflects.
func send(w *wire, c benchConfig, r *benchRequest) (status int, height uint64, err error) {
	auth := ""
	if r.method == "POST" && r.path != "/v1/verify" {
		auth = c.key
	}
	err = w.do(r.method, r.path, auth, r.body, func(code int, body []byte) {
		status = code
		if r.method == "GET" || r.path == "/v1/verify" {
			height = answerHeight(body)
		}
	})
	return status, height, err
}

// proc is one process of the network under test.
type proc struct{ dept, name, pidFile string }

// networkProcs lists the processes the supervisor records under each
// department's home (run/NAME.child holds the running child's pid).
func networkProcs(network string) []proc {
	if network == "" {
		return nil
	}
	raw, err := os.ReadFile(network)
	if err != nil {
		return nil
	}
	var n struct {
		Departments []struct{ Key, Home string }
	}
	if json.Unmarshal(raw, &n) != nil {
		return nil
	}
	var out []proc
	for _, d := range n.Departments {
		for _, name := range []string{"gateway", "chaincode", "peer", "orderer", "ca"} {
			out = append(out, proc{dept: d.Key, name: name, pidFile: filepath.Join(d.Home, "run", name+".child")})
		}
	}
	return out
}

// procSample is a process's CPU time (seconds) and memory (bytes): its
// resident set, and its proportional share of it (PSS: each shared page,
// such as the text of a binary four peers run, counted once across them;
// anonymous memory apart from mapped files, such as a bbolt store).
type procSample struct {
	cpu               float64
	rss, pss, pssAnon int64
}

func sample(procs []proc) []procSample {
	out := make([]procSample, len(procs))
	for i, p := range procs {
		raw, err := os.ReadFile(p.pidFile)
		if err != nil {
			continue
		}
		pid := strings.TrimSpace(string(raw))
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command name (which may hold spaces) start at ")".
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 22 {
			continue
		}
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		rssPages, _ := strconv.ParseInt(f[21], 10, 64)
		out[i] = procSample{cpu: (ut + st) / 100, rss: rssPages * int64(os.Getpagesize())}
		out[i].pss, out[i].pssAnon = pss(pid)
	}
	return out
}

// pss reads a process's proportional set size and its anonymous part from
// /proc/PID/smaps_rollup (Linux 4.14+); 0 where it cannot.
func pss(pid string) (total, anon int64) {
	raw, err := os.ReadFile("/proc/" + pid + "/smaps_rollup")
	if err != nil {
		return 0, 0
	}
	for line := range strings.Lines(string(raw)) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "Pss:":
			total = kb << 10
		case "Pss_Anon:":
			anon = kb << 10
		}
	}
	return total, anon
}

func selfCPU() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// printProcs prints CPU seconds per 1,000 answered requests and memory,
// per kind of process (summed over departments) and for the whole network,
// and records the network's figures in r.
func printProcs(w io.Writer, r *benchResult, procs []proc, before, after []procSample, gen float64) {
	per := func(cpu float64) float64 {
		if r.OK == 0 {
			return 0
		}
		return cpu * 1000 / float64(r.OK)
	}
	if len(procs) > 0 {
		type agg struct {
			cpu, max       float64
			rss, pss, anon int64
			top            string
		}
		kinds := map[string]*agg{}
		var total agg
		for i, p := range procs {
			a := kinds[p.name]
			if a == nil {
				a = &agg{}
				kinds[p.name] = a
			}
			d := after[i].cpu - before[i].cpu
			for _, t := range []*agg{a, &total} {
				t.cpu += d
				t.rss += after[i].rss
				t.pss += after[i].pss
				t.anon += after[i].pssAnon
			}
			if d > a.max {
				a.max, a.top = d, p.dept
			}
		}
		names := []string{"gateway", "chaincode", "peer", "orderer", "ca"}
		fmt.Fprintf(w, "         CPU s per 1,000 answered (busiest department):")
		for _, name := range names {
			if a := kinds[name]; a != nil {
				fmt.Fprintf(w, " %s %.2f (%s %.2f);", name, per(a.cpu), a.top, per(a.max))
			}
		}
		fmt.Fprintf(w, " network %.2f\n", per(total.cpu))
		fmt.Fprintf(w, "         memory MB, PSS (anonymous) / RSS:")
		for _, name := range names {
			if a := kinds[name]; a != nil {
				fmt.Fprintf(w, " %s %d (%d) / %d;", name, a.pss>>20, a.anon>>20, a.rss>>20)
			}
		}
		fmt.Fprintf(w, " network %d (%d) / %d\n", total.pss>>20, total.anon>>20, total.rss>>20)
		r.NetCPU, r.PSSMB, r.RSSMB = per(total.cpu), total.pss>>20, total.rss>>20
		r.RSSByKind = map[string]int64{}
		for name, a := range kinds {
			r.RSSByKind[name] = a.rss >> 20
		}
	}
	r.GenCPU = per(gen)
	fmt.Fprintf(w, "         load generator CPU %.2f s per 1,000 answered\n", r.GenCPU)
}

// printDrafts reports the untimed preparation of letters: drafts are the
// first half of a letter's way through a gateway (the applicant's draft,
// then the signed submission), and their CPU is the gateways'.
func printDrafts(w io.Writer, n int, took time.Duration, procs []proc, before, after []procSample) {
	var cpu float64
	for i, p := range procs {
		if p.name == "gateway" {
			cpu += after[i].cpu - before[i].cpu
		}
	}
	fmt.Fprintf(w, "prepared %d letters in %.1f s (untimed): drafted at %.0f/s, gateway CPU %.2f s per 1,000 drafts\n",
		n, took.Seconds(), float64(n)/took.Seconds(), cpu*1000/float64(max(n, 1)))
}

// appendSummary appends one run's figures as a JSON line, for scripts.
func appendSummary(path string, r *benchResult) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	line, _ := json.Marshal(map[string]any{"mode": r.Mode, "clients": r.Clients, "offered": r.Rate, "rate": r.rate(),
		"ok": r.OK, "failed": r.failed(), "unsent": r.Unsent, "p50ms": ms(r.percentile(0.5)), "p90ms": ms(r.percentile(0.9)), "p99ms": ms(r.percentile(0.99)),
		"networkCpuPer1000": r.NetCPU, "generatorCpuPer1000": r.GenCPU, "networkPssMB": r.PSSMB, "networkRssMB": r.RSSMB,
		"rssMBByKind": r.RSSByKind})
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
