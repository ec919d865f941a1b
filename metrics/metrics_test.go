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
