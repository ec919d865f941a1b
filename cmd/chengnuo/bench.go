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
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chengnuo/chengnuo/sm"
)

// benchResult summarises one load run.
type benchResult struct {
	Mode      string
	Clients   int
	Elapsed   time.Duration
	OK        int
	Failures  map[string]int
	Latencies []time.Duration
}

func (r *benchResult) percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(p * float64(len(r.Latencies)-1))
	return r.Latencies[i]
}

func (r *benchResult) print(w io.Writer) {
	slices.Sort(r.Latencies)
	rate := float64(r.OK) / r.Elapsed.Seconds()
	fmt.Fprintf(w, "%-7s clients=%-3d ok=%-6d failed=%-4d %8.1f req/s  p50=%-8s p90=%-8s p99=%-8s max=%s\n",
		r.Mode, r.Clients, r.OK, r.failed(), rate,
		r.percentile(0.50).Round(time.Millisecond), r.percentile(0.90).Round(time.Millisecond),
		r.percentile(0.99).Round(time.Millisecond), r.percentile(1).Round(time.Millisecond))
	for k, n := range r.Failures {
		fmt.Fprintf(w, "        failure %s: %d\n", k, n)
	}
}

func (r *benchResult) failed() int {
	n := 0
	for _, v := range r.Failures {
		n += v
	}
	return n
}

func runBench(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	url := fs.String("url", "", "gateway base URL, e.g. http://127.0.0.1:17081")
	clients := fs.Int("clients", 50, "concurrent clients")
	duration := fs.Duration("duration", 30*time.Second, "how long to run (each client stops after its request in flight)")
	mode := fs.String("mode", "anchor", "anchor (POST new digests), read (GET one anchored digest) or submit (draft, sign, submit letters; only the submit is timed)")
	item := fs.String("item", "SC-001", "catalog item of the letters in submit mode")
	key := fs.String("key", os.Getenv("CLERK_KEY"), "clerk API key for anchoring [CLERK_KEY]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" {
		return errors.New("bench: --url is required")
	}
	if *clients < 1 || *clients > 1000 || *duration <= 0 || *duration > time.Hour {
		return errors.New("bench: --clients must be 1..1000 and --duration positive and at most 1h")
	}
	apiKey, benchItem = *key, *item
	res, err := bench(ctx, strings.TrimRight(*url, "/"), *mode, *clients, *duration)
	if err != nil {
		return err
	}
	res.print(out)
	return nil
}

// apiKey is the clerk key sent with anchoring requests; benchItem the
// catalog item of submitted letters.
var apiKey, benchItem string

func randomDigest() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func bench(ctx context.Context, base, mode string, clients int, duration time.Duration) (*benchResult, error) {
	hc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	var readDigest string
	switch mode {
	case "anchor", "submit":
	case "read":
		readDigest = randomDigest()
		if code, err := anchor(ctx, hc, base, readDigest); err != nil || code != http.StatusCreated {
			return nil, fmt.Errorf("bench: seed anchor: status %d: %v", code, err)
		}
	default:
		return nil, fmt.Errorf("bench: unknown --mode %q", mode)
	}
	res := &benchResult{Mode: mode, Clients: clients, Failures: map[string]int{}}
	var mu sync.Mutex
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				var code int
				var err error
				var d time.Duration
				switch mode {
				case "anchor":
					code, err = anchor(context.WithoutCancel(ctx), hc, base, randomDigest())
				case "submit":
					code, d, err = submitLetter(context.WithoutCancel(ctx), hc, base)
				default:
					code, err = read(context.WithoutCancel(ctx), hc, base, readDigest)
				}
				if d == 0 {
					d = time.Since(t0)
				}
				mu.Lock()
				switch {
				case err != nil:
					res.Failures["transport"]++
				case (mode != "read" && code == http.StatusCreated) || (mode == "read" && code == http.StatusOK):
					res.OK++
					res.Latencies = append(res.Latencies, d)
				default:
					res.Failures[fmt.Sprintf("HTTP %d", code)]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res, nil
}

func anchor(ctx context.Context, hc *http.Client, base, digest string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/anchors", strings.NewReader(`{"digest":"`+digest+`"}`))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+apiKey)
	return do(hc, req)
}

func read(ctx context.Context, hc *http.Client, base, digest string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/v1/anchors/"+digest, nil)
	if err != nil {
		return 0, err
	}
	return do(hc, req)
}

func do(hc *http.Client, req *http.Request) (int, error) {
	res, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// submitLetter drafts a letter for a fresh applicant, signs it with a fresh
// SM2 key and submits it; only the submission is timed.
func submitLetter(ctx context.Context, hc *http.Client, base string) (int, time.Duration, error) {
	draftBody, _ := json.Marshal(map[string]any{
		"itemCode": benchItem, "contactName": "bench", "contactPhone": "0",
		"applicant": map[string]any{"name": "压测", "idType": "PASSPORT", "idNumber": "B" + randomDigest()[:12], "contact": "bench"},
	})
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/drafts", bytes.NewReader(draftBody))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	res, err := hc.Do(req)
	if err != nil {
		return 0, 0, err
	}
	var d struct {
		Canonical string `json:"canonical"`
	}
	err = json.NewDecoder(res.Body).Decode(&d)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || err != nil {
		return res.StatusCode, 0, err
	}
	key, err := sm.GenerateKey()
	if err != nil {
		return 0, 0, err
	}
	sig, err := sm.Sign(key, []byte(d.Canonical))
	if err != nil {
		return 0, 0, err
	}
	pub, _ := sm.MarshalPublicKeyPEM(&key.PublicKey)
	body, _ := json.Marshal(map[string]string{"letter": d.Canonical, "signature": base64.StdEncoding.EncodeToString(sig), "publicKey": string(pub)})
	req, err = http.NewRequestWithContext(ctx, "POST", base+"/v1/commitments", bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	t0 := time.Now()
	code, err := do(hc, req)
	return code, time.Since(t0), err
}
