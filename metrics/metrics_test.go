package metrics_test

import (
	"strings"
	"testing"

	"github.com/chengnuo/chengnuo/metrics"
)

func TestTextFormat(t *testing.T) {
	r := metrics.New()
	c := r.Counter("req_total", "requests", "route", "code")
	c.Inc("/v1/x", "200")
	c.Add(2, "/v1/x", "200")
	c.Inc("/v1/y", "503")
	h := r.Histogram("dur_seconds", "latency", []float64{0.1, 1}, "route")
	h.Observe(0.05, "/v1/x")
	h.Observe(0.5, "/v1/x")
	h.Observe(3, "/v1/x")
	r.Counter("plain_total", "no labels")
	r.GaugeFunc("pending", "letters", func() (float64, bool) { return 7, true })
	r.GaugeFunc("unknown", "left out", func() (float64, bool) { return 0, false })
	var b strings.Builder
	r.Write(&b)
	for _, want := range []string{
		"# TYPE req_total counter\n",
		`req_total{route="/v1/x",code="200"} 3` + "\n",
		`req_total{route="/v1/y",code="503"} 1` + "\n",
		`dur_seconds_bucket{route="/v1/x",le="0.1"} 1` + "\n",
		`dur_seconds_bucket{route="/v1/x",le="1"} 2` + "\n",
		`dur_seconds_bucket{route="/v1/x",le="+Inf"} 3` + "\n",
		`dur_seconds_sum{route="/v1/x"} 3.55` + "\n",
		`dur_seconds_count{route="/v1/x"} 3` + "\n",
		"plain_total 0\n",
		"# TYPE pending gauge\npending 7\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "unknown") {
		t.Error("an unknown gauge was written")
	}
}

func TestSeriesKeptApart(t *testing.T) {
	r := metrics.New()
	c := r.Counter("c_total", "c", "a", "b")
	c.Inc("x", "yz")
	c.Inc("xy", "z")
	c.Inc("x")     // b missing: the same series as ("x", "")
	c.Inc("x", "") //
	c.Inc("x", "", "ignored")
	var b strings.Builder
	r.Write(&b)
	for _, want := range []string{
		`c_total{a="x",b="yz"} 1` + "\n",
		`c_total{a="xy",b="z"} 1` + "\n",
		`c_total{a="x",b=""} 3` + "\n",
	} {
		if strings.Count(b.String(), want) != 1 {
			t.Errorf("want %q once in\n%s", want, b.String())
		}
	}
}

// A gateway counts and times every request: a series already seen must
// not cost an allocation.
func TestSeenSeriesDoNotAllocate(t *testing.T) {
	r := metrics.New()
	c := r.Counter("c_total", "c", "route", "code")
	h := r.Histogram("h_seconds", "h", []float64{0.1, 1}, "route")
	route, code := "GET /v1/verify/:digest", "200"
	c.Inc(route, code)
	h.Observe(0.2, route)
	if n := testing.AllocsPerRun(100, func() { c.Inc(route, code) }); n != 0 {
		t.Errorf("Counter.Inc: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() { h.Observe(0.2, route) }); n != 0 {
		t.Errorf("Histogram.Observe: %v allocations", n)
	}
}
