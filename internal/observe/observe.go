// Package observe wires a bridge to its metrics: the one place, besides
// cmd/bridge, that knows both sides, so that the binary, the metrics tests
// and the benchmarks measure the same wiring.
package observe

import (
	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/metrics"
)

// Hooks feeds m from the hooks of every route. The closures and the route's
// series are made once per route, when the Bridge is made; a nil m gives no
// hooks at all.
func Hooks(m *metrics.Metrics) bridge.Hooks {
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
			Published:      func(a *artifact.Artifact) { r.Published(len(a.Payload)) },
			Latency:        r.Latency,
			Forwarded:      func(a *artifact.Artifact) { r.Forwarded(len(a.Payload)) },
			DeadLettered:   func(*artifact.Artifact) { r.DeadLettered() },
			ProcessingTime: r.ProcessingTime,
		}
	}}
}

// Buffers reads the buffers of b for the metrics, at scrape time.
func Buffers(b *bridge.Bridge) func() []metrics.BufferStats {
	return func() []metrics.BufferStats {
		bs := b.Buffers()
		out := make([]metrics.BufferStats, len(bs))
		for i, s := range bs {
			out[i] = metrics.BufferStats{Route: s.Route, Depth: s.Len, Capacity: s.Cap}
		}
		return out
	}
}
