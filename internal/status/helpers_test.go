package status_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/natsbridge/bridge/internal/status"
	"github.com/natsbridge/bridge/metrics"
	"github.com/natsbridge/bridge/metrics/bridgemetrics"
)

// routes are the routes of most tests: a core route with a jq program and
// a JetStream route.
var routes = []status.Route{
	{Name: "totals", In: "invoices", Out: "invoices.totals"},
	{Name: "orders", In: "orders.>", Out: "audit.>", Stream: "ORDERS"},
}

// newStatus returns a registry holding the bridge's metrics, the metrics,
// and a Status reading them for routes.
func newStatus(t *testing.T, opts ...status.Option) (*prometheus.Registry, *metrics.Metrics, *status.Status) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	m, err := bridgemetrics.New(reg, metrics.WithVersion("v1.2.3"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := status.New(reg, routes, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	buffers = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bridge_buffer_depth", Help: "Depth."}, []string{"route"})
	capacities = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bridge_buffer_capacity", Help: "Capacity."}, []string{"route"})
	reg.MustRegister(buffers, capacities)
	return reg, m, s
}

// buffers and capacities stand for the gauges bridgemetrics reads from a
// bridge's Stats, in the registry of the test's newStatus.
var buffers, capacities *prometheus.GaugeVec

// setBuffer sets the buffer gauges of route.
func setBuffer(route string, depth, capacity float64) {
	buffers.WithLabelValues(route).Set(depth)
	capacities.WithLabelValues(route).Set(capacity)
}

// forwarded records what a route without a stage reports for one message
// of size bytes.
func forwarded(r *metrics.Route, size int) {
	r.Received(size)
	r.Published(size)
	r.Processed()
}

// route returns the state of the route called name in snap.
func route(t *testing.T, snap status.Snapshot, name string) status.RouteStatus {
	t.Helper()
	for _, r := range snap.Routes {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no route %q in the snapshot", name)
	return status.RouteStatus{}
}
