package status_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/natsbridge/bridge/internal/status"
)

// TestTotals feeds the metrics through the calls the route hooks make and
// checks every number of the snapshot against them.
func TestTotals(t *testing.T) {
	_, m, s := newStatus(t)
	m.Conn("default").Connected()
	setBuffer("totals", 3, 1024)
	setBuffer("orders", 0, 256)
	r := m.Route("totals")
	for range 6 {
		r.Received(10)
	}
	r.Published(5)
	r.Published(5)
	r.Processed()
	r.Processed()
	r.Filtered()
	r.Failed("decode")
	r.Failed("decode")
	r.Failed("timeout")
	r.DroppedBeforeReceipt("slow_consumer", 4) // also counted as in
	forwarded(m.Route("orders"), 8)

	snap := s.Snapshot()
	if snap.Version != "v1.2.3" {
		t.Errorf("version %q, want v1.2.3", snap.Version)
	}
	if want := []status.Connection{{Name: "default", Connected: true}}; !equalConnections(snap.Connections, want) {
		t.Errorf("connections %+v, want %+v", snap.Connections, want)
	}
	if len(snap.Routes) != 2 || snap.Routes[0].Name != "totals" || snap.Routes[1].Name != "orders" {
		t.Fatalf("routes %+v, want totals then orders", snap.Routes)
	}
	tot := route(t, snap, "totals")
	if tot.Kind != status.KindCore || tot.In != "invoices" || tot.Out != "invoices.totals" || tot.Stream != "" {
		t.Errorf("totals route info %+v", tot)
	}
	want := status.Totals{In: 10, Out: 2, Processed: 2, Filtered: 1, Failed: 3, Dropped: 4}
	got := tot.Totals
	if got.In != want.In || got.Out != want.Out || got.Processed != want.Processed ||
		got.Filtered != want.Filtered || got.Failed != want.Failed || got.Dropped != want.Dropped {
		t.Errorf("totals %+v, want %+v", got, want)
	}
	if got.FailedBy["decode"] != 2 || got.FailedBy["timeout"] != 1 || len(got.FailedBy) != 6 {
		t.Errorf("failed by reason %v, want decode 2, timeout 1 and the other reasons at 0", got.FailedBy)
	}
	if got.DroppedBy["slow_consumer"] != 4 || len(got.DroppedBy) != 3 {
		t.Errorf("dropped by reason %v", got.DroppedBy)
	}
	// in = processed + filtered + failed + dropped, as the metrics promise.
	if got.In != got.Processed+got.Filtered+got.Failed+got.Dropped {
		t.Errorf("accounting identity broken: %+v", got)
	}
	if tot.Buffer == nil || *tot.Buffer != (status.Buffer{Depth: 3, Capacity: 1024}) {
		t.Errorf("buffer %+v, want 3 of 1024", tot.Buffer)
	}
	if tot.Pending != nil {
		t.Errorf("pending %v without bridge_pending_messages, want nil", *tot.Pending)
	}
	if tot.Rates != nil || tot.Latency != nil || snap.WindowSeconds != 0 {
		t.Errorf("rates %+v, latency %+v, window %v before Start; want none", tot.Rates, tot.Latency, snap.WindowSeconds)
	}
	ord := route(t, snap, "orders")
	if ord.Kind != status.KindJetStream || ord.Stream != "ORDERS" {
		t.Errorf("orders kind %q stream %q", ord.Kind, ord.Stream)
	}
	if ord.Totals.In != 1 || ord.Totals.Out != 1 || ord.Totals.Processed != 1 {
		t.Errorf("orders totals %+v, want one forwarded message", ord.Totals)
	}
}

// TestNoSeries: routes the metrics know nothing of yet are listed at zero,
// and metrics of routes not configured are left out.
func TestNoSeries(t *testing.T) {
	_, m, s := newStatus(t)
	m.Route("other").Received(1)
	snap := s.Snapshot()
	if len(snap.Routes) != 2 {
		t.Fatalf("%d routes, want the 2 configured", len(snap.Routes))
	}
	r := route(t, snap, "totals")
	if r.Totals.In != 0 || r.Buffer != nil || r.Failures == nil || r.Totals.FailedBy == nil {
		t.Errorf("route without series: %+v", r)
	}
	m.Conn("default").Disconnected()
	if c := s.Snapshot().Connections; len(c) != 1 || c[0].Connected {
		t.Errorf("connections %+v after Disconnected, want one, down", c)
	}
}

// TestPendingAndNamedConnections reads bridge_pending_messages and a
// bridge_nats_connected labelled by connection, as later versions of the
// metrics have them.
func TestPendingAndNamedConnections(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	pending := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bridge_pending_messages", Help: "h"}, []string{"route"})
	connected := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bridge_nats_connected", Help: "h"}, []string{"connection"})
	reg.MustRegister(pending, connected)
	pending.WithLabelValues("orders").Set(42)
	connected.WithLabelValues("source").Set(1)
	connected.WithLabelValues("dest").Set(0)
	s, err := status.New(reg, routes)
	if err != nil {
		t.Fatal(err)
	}
	snap := s.Snapshot()
	if p := route(t, snap, "orders").Pending; p == nil || *p != 42 {
		t.Errorf("orders pending %v, want 42", p)
	}
	if p := route(t, snap, "totals").Pending; p != nil {
		t.Errorf("totals pending %v, want nil (no series)", *p)
	}
	want := []status.Connection{{Name: "dest", Connected: false}, {Name: "source", Connected: true}}
	if !equalConnections(snap.Connections, want) {
		t.Errorf("connections %+v, want %+v", snap.Connections, want)
	}
}

// failingCollector fails every collection.
type failingCollector struct{ desc *prometheus.Desc }

func (c failingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c failingCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.NewInvalidMetric(c.desc, errors.New("broken collector"))
}

// TestGatherError: a failing collector is reported, and the other metrics
// are still shown.
func TestGatherError(t *testing.T) {
	reg, m, s := newStatus(t)
	reg.MustRegister(failingCollector{prometheus.NewDesc("broken", "h", nil, nil)})
	m.Route("totals").Received(1)
	snap := s.Snapshot()
	if snap.Error == "" {
		t.Error("no error reported for a failing collector")
	}
	if got := route(t, snap, "totals").Totals.In; got != 1 {
		t.Errorf("in %d next to a failing collector, want 1", got)
	}
}

func TestOptions(t *testing.T) {
	reg := prometheus.NewRegistry()
	for name, opts := range map[string][]status.Option{
		"zero interval":       {status.WithInterval(0)},
		"negative window":     {status.WithWindow(-time.Second)},
		"window < interval":   {status.WithInterval(2 * time.Second), status.WithWindow(time.Second)},
		"no failures kept":    {status.WithFailures(0)},
		"default window < 1m": {status.WithInterval(time.Minute)},
	} {
		if _, err := status.New(reg, routes, opts...); !errors.Is(err, status.ErrInvalidOption) {
			t.Errorf("%s: error %v, want ErrInvalidOption", name, err)
		}
	}
	if _, err := status.New(nil, routes); !errors.Is(err, status.ErrInvalidOption) {
		t.Errorf("nil gatherer: error %v, want ErrInvalidOption", err)
	}
	if _, err := status.New(reg, routes, nil, status.WithInterval(time.Second), status.WithWindow(time.Second)); err != nil {
		t.Errorf("valid options: %v", err)
	}
}

// equalConnections compares in order: connections are sorted by name.
func equalConnections(a, b []status.Connection) bool { return slices.Equal(a, b) }
