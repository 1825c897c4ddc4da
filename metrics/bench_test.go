package metrics_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/natsbridge/bridge/metrics"
)

// BenchmarkRoute measures the hooks of one message: what a route with a
// processing stage calls for an input that is processed into one output,
// and the other outcomes on their own. Expect 0 allocations.
func BenchmarkRoute(b *testing.B) {
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	message := func(r *metrics.Route) {
		r.Received(256)
		r.ProcessingTime(40 * time.Microsecond)
		r.Published(256)
		r.Latency(180 * time.Microsecond)
		r.Processed()
	}
	benchmarks := []struct {
		name string
		r    *metrics.Route
		fn   func(r *metrics.Route)
	}{
		{name: "message", r: m.Route("orders"), fn: message},
		{name: "filtered", r: m.Route("orders"), fn: func(r *metrics.Route) { r.Received(256); r.Filtered() }},
		{name: "failed", r: m.Route("orders"), fn: func(r *metrics.Route) { r.Received(256); r.Failed("timeout") }},
		{name: "dropped", r: m.Route("orders"), fn: func(r *metrics.Route) { r.Received(256); r.Dropped("overflow", 1) }},
		{name: "disabled", r: nil, fn: message},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bm.fn(bm.r)
			}
		})
		b.Run(bm.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					bm.fn(bm.r)
				}
			})
		})
	}
}
