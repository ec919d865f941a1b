package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/chengnuo/chengnuo/client"
	"github.com/chengnuo/chengnuo/proof"
)

// The growth command (make bench-growth) fills one network with letters as
// fast as it takes them and, at each milestone, measures in the same run
// what a department lives with as its ledger ages: the letters' rate at a
// fixed client count, public verification by digest and by letter (rate,
// p99) of letters from the whole history, a proof bundle's size and its
// build and verify times, each peer's state database and block store on
// disk, the orderers' and gateways' data, memory per kind of process, and
// the network's CPU per letter. It prints the table and each figure's
// slope per 100,000 letters (least squares). It stops early when the disk
// would not hold the next milestone, and says so.

type growthConfig struct {
	network, keyFile, market, verifier string
	milestones                         []int
	clients, chunk                     int
	measure                            time.Duration
	minFree                            int64 // bytes
	state                              string
}

// growthRow is one milestone's figures.
type growthRow struct {
	Letters                          int
	LetterRate, LetterP99            float64
	VerifyRate, VerifyP99            float64
	ByLetterRate, ByLetterP99        float64
	ProofBytes                       int
	ProofBuildMs, ProofVerifyMs      float64
	StateMB, BlocksMB, PeerOtherMB   float64 // per peer (mean over departments)
	OrdererMB, GatewayMB             float64 // per department (mean)
	RSSMB                            map[string]float64
	NetworkRSSMB, NetworkPSSMB       float64
	CPUmsPerLetter                   float64
	FreeGB                           float64
	stateBytes, blockBytes, ordBytes int64 // totals over departments, for bytes per letter
}

func runGrowth(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("growth", flag.ContinueOnError)
	var c growthConfig
	fs.StringVar(&c.network, "network", "", "network.json of the network to fill (required)")
	fs.StringVar(&c.keyFile, "key-file", "", "market gateway's keys.env (its CLERK_KEY), for drafting and submitting")
	milestones := fs.String("milestones", "10000,100000,300000,1000000", "letters at which to measure, comma separated")
	fs.IntVar(&c.clients, "clients", 300, "clients of the timed letters run (the best client count of make bench)")
	fs.IntVar(&c.chunk, "chunk", 50000, "letters prepared and sent per filling round")
	fs.DurationVar(&c.measure, "measure", 20*time.Second, "length of each timed run")
	minFree := fs.Int64("min-free-gb", 12, "stop before a milestone the disk would not hold with this much to spare")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.network == "" || c.keyFile == "" {
		return errors.New("growth: --network and --key-file are required")
	}
	for _, m := range strings.Split(*milestones, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(m))
		if err != nil || n <= 0 {
			return fmt.Errorf("growth: bad milestone %q", m)
		}
		c.milestones = append(c.milestones, n)
	}
	slices.Sort(c.milestones)
	c.minFree = *minFree << 30
	var n struct {
		Departments []struct{ Key, Home, Gateway string }
	}
	raw, err := os.ReadFile(c.network)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return fmt.Errorf("growth: %s: %w", c.network, err)
	}
	homes := map[string]string{}
	for _, d := range n.Departments {
		homes[d.Key] = d.Home
		switch d.Key {
		case "market":
			c.market = d.Gateway
		case "justice":
			c.verifier = d.Gateway
		}
	}
	if c.market == "" || c.verifier == "" {
		return errors.New("growth: the network has no market or justice department")
	}
	c.state = filepath.Dir(c.network)
	g := &growth{cfg: c, homes: homes, out: out, sample: filepath.Join(c.state, "growth-sample.jsonl"),
		summary: filepath.Join(c.state, "growth-summary.jsonl"), log: filepath.Join(c.state, "growth.log")}
	return g.run(ctx)
}

type growth struct {
	cfg                   growthConfig
	homes                 map[string]string
	out                   io.Writer
	sample, summary, log  string
	letters               int      // answered 201 so far
	seen                  int      // letters offered to the reservoir
	reservoir             []string // JSON lines {"digest","letter"}: a uniform sample of every letter
	rows                  []growthRow
	stoppedAt, stopReason string
}

const reservoirSize = 20000

func (g *growth) run(ctx context.Context) error {
	logf, err := os.OpenFile(g.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(g.out, "== growth: letters at %s, verification and proofs at %s; milestones %v; details in %s\n",
		g.cfg.market, g.cfg.verifier, g.cfg.milestones, g.log)
	// A fresh network's figures first: the baseline of the same run.
	if err := g.measureAt(ctx, logf); err != nil {
		return err
	}
	for _, m := range g.cfg.milestones {
		if m <= g.rows[len(g.rows)-1].Letters {
			continue // measured already (a timed run anchors letters too)
		}
		if reason := g.diskWouldNotHold(m); reason != "" {
			g.stoppedAt, g.stopReason = fmt.Sprintf("%d letters", g.letters), reason
			break
		}
		for g.letters < m {
			n := min(g.cfg.chunk, m-g.letters)
			started := time.Now()
			ok, err := g.letterRun(ctx, logf, []string{"--letters", strconv.Itoa(n), "--clients", strconv.Itoa(g.cfg.clients), "--duration", "1h"})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.out, "   filled %d letters (+%d in %.0f s)\n", g.letters, ok, time.Since(started).Seconds())
			if ok == 0 {
				return errors.New("growth: a filling round anchored nothing; see " + g.log)
			}
		}
		if err := g.measureAt(ctx, logf); err != nil {
			return err
		}
	}
	g.print()
	return nil
}

// letterRun runs one letters run and feeds the reservoir with its letters.
func (g *growth) letterRun(ctx context.Context, logf io.Writer, extra []string) (int, error) {
	digests := filepath.Join(g.cfg.state, "growth-round.jsonl")
	_ = os.Remove(digests)
	defer os.Remove(digests)
	args := append([]string{"--url", g.cfg.market, "--network", g.cfg.network, "--mode", "letters", "--key-file", g.cfg.keyFile,
		"--summary", g.summary, "--digests", digests}, extra...)
	if err := runBench(ctx, args, logf); err != nil {
		return 0, err
	}
	f, err := os.Open(digests)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	ok := 0
	for sc.Scan() {
		ok++
		g.seen++
		line := sc.Text()
		if len(g.reservoir) < reservoirSize {
			g.reservoir = append(g.reservoir, line)
		} else if j := rand.IntN(g.seen); j < reservoirSize {
			g.reservoir[j] = line
		}
	}
	g.letters += ok
	return ok, sc.Err()
}

// lastSummary is the last line the bench appended to the summary file.
func (g *growth) lastSummary() (map[string]any, error) {
	raw, err := os.ReadFile(g.summary)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var m map[string]any
	err = json.Unmarshal([]byte(lines[len(lines)-1]), &m)
	return m, err
}

func num(m map[string]any, k string) float64 { f, _ := m[k].(float64); return f }

// measureAt measures the network as it is now, adding a row.
func (g *growth) measureAt(ctx context.Context, logf io.Writer) error {
	fmt.Fprintf(g.out, "== measuring at %d letters\n", g.letters)
	row := growthRow{Letters: g.letters, RSSMB: map[string]float64{}}
	if _, err := g.letterRun(ctx, logf, []string{"--clients", strconv.Itoa(g.cfg.clients), "--duration", g.cfg.measure.String()}); err != nil {
		return err
	}
	s, err := g.lastSummary()
	if err != nil {
		return err
	}
	row.LetterRate, row.LetterP99, row.CPUmsPerLetter = num(s, "rate"), num(s, "p99ms"), num(s, "networkCpuPer1000")
	if err := g.writeSample(); err != nil {
		return err
	}
	for _, mode := range []string{"verify", "verify-letter"} {
		if err := runBench(ctx, []string{"--url", g.cfg.verifier, "--network", g.cfg.network, "--mode", mode, "--clients", "50",
			"--duration", (g.cfg.measure / 2).String(), "--digests", g.sample, "--summary", g.summary}, logf); err != nil {
			return err
		}
		v, err := g.lastSummary()
		if err != nil {
			return err
		}
		if mode == "verify" {
			row.VerifyRate, row.VerifyP99 = num(v, "rate"), num(v, "p99ms")
		} else {
			row.ByLetterRate, row.ByLetterP99 = num(v, "rate"), num(v, "p99ms")
		}
		// Memory after the last run (verification by letter, the
		// heaviest on the read model).
		row.NetworkRSSMB, row.NetworkPSSMB = num(v, "networkRssMB"), num(v, "networkPssMB")
		if kinds, ok := v["rssMBByKind"].(map[string]any); ok {
			for k, mb := range kinds {
				row.RSSMB[k], _ = mb.(float64)
			}
		}
	}
	if err := g.measureProofs(ctx, &row); err != nil {
		return err
	}
	g.measureDisk(&row)
	g.rows = append(g.rows, row)
	fmt.Fprintf(g.out, "   letters %.0f/s (p99 %.0f ms); verify %.0f/s (p99 %.1f ms), by letter %.0f/s (p99 %.1f ms); proof %d B, built %.1f ms, verified %.1f ms; "+
		"per peer: state %.1f MB, blocks %.1f MB; network RSS %.0f MB (PSS %.0f MB); CPU %.2f ms a letter; %.1f GB free\n",
		row.LetterRate, row.LetterP99, row.VerifyRate, row.VerifyP99, row.ByLetterRate, row.ByLetterP99, row.ProofBytes, row.ProofBuildMs,
		row.ProofVerifyMs, row.StateMB, row.BlocksMB, row.NetworkRSSMB, row.NetworkPSSMB, row.CPUmsPerLetter, row.FreeGB)
	return nil
}

func (g *growth) writeSample() error {
	if len(g.reservoir) == 0 {
		return errors.New("growth: no letter was anchored")
	}
	return os.WriteFile(g.sample, []byte(strings.Join(g.reservoir, "\n")+"\n"), 0o600)
}

// measureProofs fetches the bundles of 20 letters of the sample from the
// verifying department (the build time is the gateway's answer time) and
// verifies each, pinned, as a citizen's machine would; medians.
func (g *growth) measureProofs(ctx context.Context, row *growthRow) error {
	api, err := client.New(g.cfg.verifier, &http.Client{Timeout: time.Minute}, "")
	if err != nil {
		return err
	}
	// The generated call without decoding: the bundle's bytes are what a
	// citizen's machine verifies, and decoding is no part of the build time.
	get := func(digest string) ([]byte, time.Duration, error) {
		t0 := time.Now()
		res, err := api.GetDigestProof(ctx, digest)
		if err != nil {
			return nil, 0, err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("the proof of %s: HTTP %d: %.200s", digest, res.StatusCode, body)
		}
		return body, time.Since(t0), err
	}
	// The pin: the genesis block the departments exchanged when the
	// network was made, not the server's word.
	block, err := os.ReadFile(filepath.Join(g.cfg.state, "exchange", "genesis.block"))
	if err != nil {
		return fmt.Errorf("growth: the genesis block to pin: %w", err)
	}
	pin, err := proof.GenesisHash(block)
	if err != nil {
		return err
	}
	var builds, checks []float64
	for i := range 20 {
		var d struct{ Digest string }
		_ = json.Unmarshal([]byte(g.reservoir[(i*7919)%len(g.reservoir)]), &d)
		body, took, err := get(d.Digest)
		if err != nil {
			return err
		}
		t0 := time.Now()
		b, err := proof.Parse(body)
		if err == nil {
			_, err = proof.Verify(b, proof.Options{GenesisHash: pin})
		}
		if err != nil {
			return fmt.Errorf("growth: the bundle of %s does not verify: %w", d.Digest, err)
		}
		checks = append(checks, ms(time.Since(t0)))
		builds = append(builds, ms(took))
		row.ProofBytes = max(row.ProofBytes, len(body))
	}
	row.ProofBuildMs, row.ProofVerifyMs = median(builds), median(checks)
	return nil
}

func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// measureDisk sums each department's ledger parts on disk.
func (g *growth) measureDisk(row *growthRow) {
	n := float64(len(g.homes))
	var state, blocks, other, ord, gw int64
	for _, home := range g.homes {
		ledgers := filepath.Join(home, "data", "peer", "ledgersData")
		s, b, all := du(filepath.Join(ledgers, "stateLeveldb")), du(filepath.Join(ledgers, "chains")), du(filepath.Join(home, "data", "peer"))
		state, blocks, other = state+s, blocks+b, other+all-s-b
		ord += du(filepath.Join(home, "data", "orderer"))
		gw += du(filepath.Join(home, "data", "gateway")) + du(filepath.Join(home, "data", "postgres"))
	}
	mb := func(b int64) float64 { return float64(b) / n / (1 << 20) }
	row.StateMB, row.BlocksMB, row.PeerOtherMB, row.OrdererMB, row.GatewayMB = mb(state), mb(blocks), mb(other), mb(ord), mb(gw)
	row.stateBytes, row.blockBytes, row.ordBytes = state, blocks, ord
	row.FreeGB = float64(freeBytes(g.cfg.state)) / (1 << 30)
}

// du is the disk space the files under dir take (allocated blocks).
func du(dir string) int64 {
	var total int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			if st, ok := info.Sys().(*syscall.Stat_t); ok {
				total += st.Blocks * 512
			} else {
				total += info.Size()
			}
		}
		return nil
	})
	return total
}

func freeBytes(path string) int64 {
	var st syscall.Statfs_t
	if syscall.Statfs(path, &st) != nil {
		return 0
	}
	return int64(st.Bavail) * st.Bsize
}

// diskWouldNotHold says why the next milestone cannot be reached, from the
// disk a letter took so far (every process of every department).
func (g *growth) diskWouldNotHold(next int) string {
	if len(g.rows) < 1 || g.letters == 0 {
		return ""
	}
	last := g.rows[len(g.rows)-1]
	used := float64(0)
	for _, home := range g.homes {
		used += float64(du(filepath.Join(home, "data")))
	}
	perLetter := used / float64(g.letters)
	need := perLetter * float64(next-g.letters)
	free := last.FreeGB * (1 << 30)
	if free-need < float64(g.cfg.minFree) {
		return fmt.Sprintf("the disk would not hold %d letters: %.0f bytes a letter over the network, %.1f GB needed, %.1f GB free, %d GB kept spare",
			next, perLetter, need/(1<<30), free/(1<<30), g.cfg.minFree>>30)
	}
	return ""
}

// print prints the table, the slope of each figure per 100,000 letters,
// and the disk a letter takes per kind of process.
func (g *growth) print() {
	w := tabwriter.NewWriter(g.out, 0, 0, 2, ' ', tabwriter.AlignRight)
	kinds := []string{"peer", "orderer", "gateway", "chaincode", "ca"}
	type col struct {
		name string
		of   func(r growthRow) float64
	}
	cols := []col{
		{"letters/s", func(r growthRow) float64 { return r.LetterRate }},
		{"verify/s", func(r growthRow) float64 { return r.VerifyRate }},
		{"verify p99 ms", func(r growthRow) float64 { return r.VerifyP99 }},
		{"by letter/s", func(r growthRow) float64 { return r.ByLetterRate }},
		{"by letter p99 ms", func(r growthRow) float64 { return r.ByLetterP99 }},
		{"proof B", func(r growthRow) float64 { return float64(r.ProofBytes) }},
		{"proof build ms", func(r growthRow) float64 { return r.ProofBuildMs }},
		{"proof verify ms", func(r growthRow) float64 { return r.ProofVerifyMs }},
		{"state MB/peer", func(r growthRow) float64 { return r.StateMB }},
		{"blocks MB/peer", func(r growthRow) float64 { return r.BlocksMB }},
		{"orderer MB", func(r growthRow) float64 { return r.OrdererMB }},
		{"gateway MB", func(r growthRow) float64 { return r.GatewayMB }},
	}
	for _, k := range kinds {
		cols = append(cols, col{"RSS " + k + " MB", func(r growthRow) float64 { return r.RSSMB[k] }})
	}
	cols = append(cols, col{"RSS network MB", func(r growthRow) float64 { return r.NetworkRSSMB }},
		col{"PSS network MB", func(r growthRow) float64 { return r.NetworkPSSMB }},
		col{"CPU ms/letter", func(r growthRow) float64 { return r.CPUmsPerLetter }})
	fmt.Fprintln(g.out, "== growth table (per peer / per department: mean over departments; RSS: summed over departments)")
	fmt.Fprint(w, "letters\t")
	for _, c := range cols {
		fmt.Fprint(w, c.name+"\t")
	}
	fmt.Fprintln(w)
	for _, r := range g.rows {
		fmt.Fprintf(w, "%d\t", r.Letters)
		for _, c := range cols {
			fmt.Fprintf(w, "%s\t", figure(c.of(r)))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, "slope/100k\t")
	for _, c := range cols {
		fmt.Fprintf(w, "%s\t", figure(slope(g.rows, c.of)))
	}
	fmt.Fprintln(w)
	_ = w.Flush()
	if len(g.rows) > 1 {
		first, last := g.rows[0], g.rows[len(g.rows)-1]
		if d := float64(last.Letters - first.Letters); d > 0 {
			fmt.Fprintf(g.out, "disk a letter (every department): peer state %.0f B, peer blocks %.0f B, orderer %.0f B\n",
				float64(last.stateBytes-first.stateBytes)/d, float64(last.blockBytes-first.blockBytes)/d, float64(last.ordBytes-first.ordBytes)/d)
		}
		fmt.Fprintf(g.out, "letters/s at %d letters: %.0f %% of the fresh network's\n", last.Letters, 100*last.LetterRate/max(first.LetterRate, 1))
	}
	if g.stoppedAt != "" {
		fmt.Fprintf(g.out, "stopped at %s: %s\n", g.stoppedAt, g.stopReason)
	}
}

func figure(f float64) string {
	switch a := max(f, -f); {
	case a >= 100:
		return strconv.FormatFloat(f, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(f, 'f', 1, 64)
	default:
		return strconv.FormatFloat(f, 'f', 2, 64)
	}
}

// slope is the least-squares slope of a figure per 100,000 letters.
func slope(rows []growthRow, of func(growthRow) float64) float64 {
	if len(rows) < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for _, r := range rows {
		x, y := float64(r.Letters)/1e5, of(r)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	n := float64(len(rows))
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den
}
