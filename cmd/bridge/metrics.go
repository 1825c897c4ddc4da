package main

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/metrics"
)

// newMetrics returns a registry holding the Go and process collectors and
// the bridge's metrics, labelled with version.
func newMetrics(version string) (*prometheus.Registry, *metrics.Metrics, error) {
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, nil, fmt.Errorf("metrics: %w", err)
		}
	}
	m, err := metrics.New(reg, metrics.WithVersion(version))
	if err != nil {
		return nil, nil, err
	}
	return reg, m, nil
}

// routeHooks feeds m from the hooks of every route. The closures and the
// route's series are made once per route, when the Bridge is made; a nil m
// gives no hooks at all.
func routeHooks(m *metrics.Metrics) bridge.Hooks {
	if m == nil {
		return bridge.Hooks{}
	}
	return bridge.Hooks{Route: func(name string) bridge.RouteHooks {
		r := m.Route(name)
		return bridge.RouteHooks{
			Received:       func(a *artifact.Artifact) { r.Received(len(a.Payload)) },
			Processed:      func(*artifact.Artifact, int) { r.Processed() },
			Filtered:       func(*artifact.Artifact) { r.Filtered() },
			Failed:         func(_ *artifact.Artifact, why bridge.Reason, _ error) { r.Failed(string(why)) },
			Dropped:        func(why bridge.Reason, n int) { r.Dropped(string(why), n) },
			Published:      func(a *artifact.Artifact, latency time.Duration) { r.Published(len(a.Payload), latency) },
			DeadLettered:   func(*artifact.Artifact) { r.DeadLettered() },
			ProcessingTime: r.ProcessingTime,
		}
	}}
}

// bufferStats reads the buffers of b for the metrics, at scrape time.
func bufferStats(b *bridge.Bridge) func() []metrics.BufferStats {
	return func() []metrics.BufferStats {
		bs := b.Buffers()
		out := make([]metrics.BufferStats, len(bs))
		for i, s := range bs {
			out[i] = metrics.BufferStats{Route: s.Route, Depth: s.Len, Capacity: s.Cap}
		}
		return out
	}
}
