// Package metrics is a small registry of counters, gauges and histograms
// exposed in the Prometheus text format (version 0.0.4), with no
// dependency: what a gateway needs to tell its operator how it is doing.
package metrics

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Registry holds metrics and writes them out.
type Registry struct {
	mu      sync.Mutex
	metrics []metric
	gauges  []func(w io.Writer)
}

type metric interface {
	write(w io.Writer)
}

// New returns an empty registry.
func New() *Registry { return &Registry{} }

func (r *Registry) add(m metric) {
	r.mu.Lock()
	r.metrics = append(r.metrics, m)
	r.mu.Unlock()
}

// Write writes every metric in the text format.
func (r *Registry) Write(w io.Writer) {
	r.mu.Lock()
	ms, gs := slices.Clone(r.metrics), slices.Clone(r.gauges)
	r.mu.Unlock()
	for _, m := range ms {
		m.write(w)
	}
	for _, g := range gs {
		g(w)
	}
}

// GaugeFunc registers a gauge whose value is read at every scrape; fn
// returns the value and whether it is known (an unknown value is left out).
func (r *Registry) GaugeFunc(name, help string, fn func() (float64, bool)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gauges = append(r.gauges, func(w io.Writer) {
		v, ok := fn()
		if !ok {
			return
		}
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", name, help, name, name, num(v))
	})
}

// Counter is a monotonically increasing count, by label values.
type Counter struct {
	name, help string
	labels     []string
	mu         sync.Mutex
	values     map[string]*count // by rawKey of the label values
}

type count struct {
	v   float64
	key string // the label pairs as written, {a="x",b="y"}
}

// Counter registers a counter with the given label names.
func (r *Registry) Counter(name, help string, labels ...string) *Counter {
	c := &Counter{name: name, help: help, labels: labels, values: map[string]*count{}}
	r.add(c)
	return c
}

// Add adds v to the counter of the label values. A series already seen is
// found without allocating: a gateway counts every request.
func (c *Counter) Add(v float64, values ...string) {
	var buf [128]byte
	raw := rawKey(buf[:0], len(c.labels), values)
	c.mu.Lock()
	n := c.values[string(raw)]
	if n == nil {
		n = &count{key: labelKey(c.labels, values)}
		c.values[string(raw)] = n
	}
	n.v += v
	c.mu.Unlock()
}

// Inc adds 1.
func (c *Counter) Inc(values ...string) { c.Add(1, values...) }

func (c *Counter) write(w io.Writer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", c.name, c.help, c.name)
	if len(c.labels) == 0 && len(c.values) == 0 {
		fmt.Fprintf(w, "%s 0\n", c.name)
	}
	for _, n := range sortedBy(c.values, func(n *count) string { return n.key }) {
		fmt.Fprintf(w, "%s%s %s\n", c.name, n.key, num(n.v))
	}
}

// Histogram counts observations into cumulative buckets, by label values.
type Histogram struct {
	name, help string
	labels     []string
	bounds     []float64
	mu         sync.Mutex
	series     map[string]*series // by rawKey of the label values
}

type series struct {
	counts     []uint64 // per bound, then +Inf
	sum        float64
	count      uint64
	key        string // the label pairs as written, {a="x",b="y"}
	labelPairs string // the same without braces
}

// Histogram registers a histogram with upper bounds (ascending).
func (r *Registry) Histogram(name, help string, bounds []float64, labels ...string) *Histogram {
	h := &Histogram{name: name, help: help, labels: labels, bounds: bounds, series: map[string]*series{}}
	r.add(h)
	return h
}

// Observe records v for the label values; like Counter.Add, it does not
// allocate for a series already seen.
func (h *Histogram) Observe(v float64, values ...string) {
	var buf [128]byte
	raw := rawKey(buf[:0], len(h.labels), values)
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.series[string(raw)]
	if s == nil {
		k := labelKey(h.labels, values)
		s = &series{counts: make([]uint64, len(h.bounds)+1), key: k, labelPairs: strings.TrimSuffix(strings.TrimPrefix(k, "{"), "}")}
		h.series[string(raw)] = s
	}
	i := sort.SearchFloat64s(h.bounds, v)
	s.counts[i]++
	s.sum += v
	s.count++
}

func (h *Histogram) write(w io.Writer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", h.name, h.help, h.name)
	for _, s := range sortedBy(h.series, func(s *series) string { return s.key }) {
		sep := ""
		if s.labelPairs != "" {
			sep = ","
		}
		var cum uint64
		for i, b := range h.bounds {
			cum += s.counts[i]
			fmt.Fprintf(w, "%s_bucket{%s%sle=\"%s\"} %d\n", h.name, s.labelPairs, sep, num(b), cum)
		}
		cum += s.counts[len(h.bounds)]
		fmt.Fprintf(w, "%s_bucket{%s%sle=\"+Inf\"} %d\n", h.name, s.labelPairs, sep, cum)
		fmt.Fprintf(w, "%s_sum%s %s\n%s_count%s %d\n", h.name, s.key, num(s.sum), h.name, s.key, s.count)
	}
}

func labelKey(names, values []string) string {
	if len(names) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		v := ""
		if i < len(values) {
			v = values[i]
		}
		fmt.Fprintf(&b, "%s=%s", n, strconv.Quote(v))
	}
	b.WriteByte('}')
	return b.String()
}

// rawKey appends the value of each of n labels and a 0xff byte, which no
// UTF-8 text holds, to b: the map key of a series. Like labelKey, it takes
// a missing value as empty and ignores values beyond the labels.
func rawKey(b []byte, n int, values []string) []byte {
	for i := range n {
		if i < len(values) {
			b = append(b, values[i]...)
		}
		b = append(b, 0xff)
	}
	return b
}

// sortedBy returns m's values ordered by their written label pairs.
func sortedBy[T any](m map[string]T, key func(T) string) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

func num(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
