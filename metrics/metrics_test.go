package metrics_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/metrics"
	"github.com/natsbridge/bridge/metrics/bridgemetrics"
)

// testReasons are the reasons the tests count.
var testReasons = metrics.WithReasons(
	[]string{"decode", "generator", "max_deliver", "publish", "timeout"},
	[]string{"overflow", "shutdown", "slow_consumer"})

func newMetrics(t *testing.T, opts ...metrics.Option) (*prometheus.Registry, *metrics.Metrics) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	m, err := metrics.New(reg, append([]metrics.Option{testReasons}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return reg, m
}

// TestExposition runs a small scenario and compares the whole exposition
// of the bridge's metrics.
func TestExposition(t *testing.T) {
	reg, m := newMetrics(t, metrics.WithVersion("v1.2.3"))
	c := m.Conn("default")
	c.Connected()
	c.Disconnected()
	c.Reconnected()
	m.Conn("edge") // never connected: its series exist, at 0

	r := m.Route("orders")
	// Five inputs: one published, one filtered, one failed and
	// dead-lettered, two lost by the NATS client.
	r.Received(10)
	r.Received(30)
	r.Received(20)
	r.ProcessingTime(200 * time.Microsecond)
	r.ProcessingTime(2 * time.Millisecond)
	r.ProcessingTime(3 * time.Second)
	r.Published(15)
	r.Latency(3 * time.Millisecond)
	r.Processed()
	r.Filtered()
	r.Failed("decode")
	r.DeadLettered()
	r.DroppedBeforeReceipt("slow_consumer", 2)

	const want = `
# HELP bridge_build_info Always 1; its labels give the version of the bridge and of Go it was built with.
# TYPE bridge_build_info gauge
bridge_build_info{goversion="GOVERSION",version="v1.2.3"} 1
# HELP bridge_bytes_in_total Payload bytes of the messages a route received.
# TYPE bridge_bytes_in_total counter
bridge_bytes_in_total{route="orders"} 60
# HELP bridge_bytes_out_total Payload bytes of the outputs a route published.
# TYPE bridge_bytes_out_total counter
bridge_bytes_out_total{route="orders"} 15
# HELP bridge_latency_seconds Time from the receipt of an input to the publication of one of its outputs; core routes time one message in 16, JetStream routes every message.
# TYPE bridge_latency_seconds histogram
bridge_latency_seconds_bucket{route="orders",le="5e-05"} 0
bridge_latency_seconds_bucket{route="orders",le="0.0001"} 0
bridge_latency_seconds_bucket{route="orders",le="0.00025"} 0
bridge_latency_seconds_bucket{route="orders",le="0.0005"} 0
bridge_latency_seconds_bucket{route="orders",le="0.001"} 0
bridge_latency_seconds_bucket{route="orders",le="0.0025"} 0
bridge_latency_seconds_bucket{route="orders",le="0.005"} 1
bridge_latency_seconds_bucket{route="orders",le="0.01"} 1
bridge_latency_seconds_bucket{route="orders",le="0.025"} 1
bridge_latency_seconds_bucket{route="orders",le="0.05"} 1
bridge_latency_seconds_bucket{route="orders",le="0.1"} 1
bridge_latency_seconds_bucket{route="orders",le="0.25"} 1
bridge_latency_seconds_bucket{route="orders",le="0.5"} 1
bridge_latency_seconds_bucket{route="orders",le="1"} 1
bridge_latency_seconds_bucket{route="orders",le="2.5"} 1
bridge_latency_seconds_bucket{route="orders",le="5"} 1
bridge_latency_seconds_bucket{route="orders",le="10"} 1
bridge_latency_seconds_bucket{route="orders",le="+Inf"} 1
bridge_latency_seconds_sum{route="orders"} 0.003
bridge_latency_seconds_count{route="orders"} 1
# HELP bridge_messages_dead_lettered_total Failed inputs of a route published to its dead-letter subject.
# TYPE bridge_messages_dead_lettered_total counter
bridge_messages_dead_lettered_total{route="orders"} 1
# HELP bridge_messages_dropped_total Inputs of a route discarded without processing, by reason.
# TYPE bridge_messages_dropped_total counter
bridge_messages_dropped_total{reason="overflow",route="orders"} 0
bridge_messages_dropped_total{reason="shutdown",route="orders"} 0
bridge_messages_dropped_total{reason="slow_consumer",route="orders"} 2
# HELP bridge_messages_failed_total Inputs of a route that failed, by reason.
# TYPE bridge_messages_failed_total counter
bridge_messages_failed_total{reason="decode",route="orders"} 1
bridge_messages_failed_total{reason="generator",route="orders"} 0
bridge_messages_failed_total{reason="max_deliver",route="orders"} 0
bridge_messages_failed_total{reason="publish",route="orders"} 0
bridge_messages_failed_total{reason="timeout",route="orders"} 0
# HELP bridge_messages_filtered_total Inputs of a route for which the processing stage produced no output.
# TYPE bridge_messages_filtered_total counter
bridge_messages_filtered_total{route="orders"} 1
# HELP bridge_messages_in_total Messages that came in on a route, including those the NATS client dropped as a slow consumer.
# TYPE bridge_messages_in_total counter
bridge_messages_in_total{route="orders"} 5
# HELP bridge_messages_out_total Outputs a route published.
# TYPE bridge_messages_out_total counter
bridge_messages_out_total{route="orders"} 1
# HELP bridge_messages_processed_total Inputs of a route whose outputs were all published.
# TYPE bridge_messages_processed_total counter
bridge_messages_processed_total{route="orders"} 1
# HELP bridge_nats_connected 1 while a NATS connection of the bridge is up, 0 otherwise.
# TYPE bridge_nats_connected gauge
bridge_nats_connected{connection="default"} 1
bridge_nats_connected{connection="edge"} 0
# HELP bridge_nats_reconnects_total Times a NATS connection of the bridge reconnected.
# TYPE bridge_nats_reconnects_total counter
bridge_nats_reconnects_total{connection="default"} 1
bridge_nats_reconnects_total{connection="edge"} 0
# HELP bridge_processing_seconds Time the processing stage of a route spent on one input.
# TYPE bridge_processing_seconds histogram
bridge_processing_seconds_bucket{route="orders",le="5e-05"} 0
bridge_processing_seconds_bucket{route="orders",le="0.0001"} 0
bridge_processing_seconds_bucket{route="orders",le="0.00025"} 1
bridge_processing_seconds_bucket{route="orders",le="0.0005"} 1
bridge_processing_seconds_bucket{route="orders",le="0.001"} 1
bridge_processing_seconds_bucket{route="orders",le="0.0025"} 2
bridge_processing_seconds_bucket{route="orders",le="0.005"} 2
bridge_processing_seconds_bucket{route="orders",le="0.01"} 2
bridge_processing_seconds_bucket{route="orders",le="0.025"} 2
bridge_processing_seconds_bucket{route="orders",le="0.05"} 2
bridge_processing_seconds_bucket{route="orders",le="0.1"} 2
bridge_processing_seconds_bucket{route="orders",le="0.25"} 2
bridge_processing_seconds_bucket{route="orders",le="0.5"} 2
bridge_processing_seconds_bucket{route="orders",le="1"} 2
bridge_processing_seconds_bucket{route="orders",le="2.5"} 2
bridge_processing_seconds_bucket{route="orders",le="5"} 3
bridge_processing_seconds_bucket{route="orders",le="10"} 3
bridge_processing_seconds_bucket{route="orders",le="+Inf"} 3
bridge_processing_seconds_sum{route="orders"} 3.0022
bridge_processing_seconds_count{route="orders"} 3
`
	expected := strings.ReplaceAll(want, "GOVERSION", runtime.Version())
	if err := testutil.GatherAndCompare(reg, strings.NewReader(expected)); err != nil {
		t.Fatal(err)
	}
}

// TestLint checks every metric against promlint, on a pedantic registry
// that also checks each collector's descriptions.
func TestLint(t *testing.T) {
	reg, m := newMetrics(t)
	m.Conn("default").Reconnected()

	for _, name := range []string{"a", "b"} {
		r := m.Route(name)
		r.Received(1)
		r.Published(1)
		r.Latency(time.Millisecond)
		r.ProcessingTime(time.Millisecond)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n == 0 {
		t.Fatalf("gathered %d series, err %v", n, err)
	}
}

// TestReasons counts every reason the bridge reports under its own label
// value, from zero, and an unknown one under "other"; the bridge's reasons
// come from the bridge, through bridgemetrics.
func TestReasons(t *testing.T) {
	tests := []struct {
		name   string
		metric string
		record func(r *metrics.Route)
		label  string
		in     float64 // added to bridge_messages_in_total
	}{
		{name: "overflow", metric: "bridge_messages_dropped_total", record: func(r *metrics.Route) { r.Dropped(string(bridge.ReasonOverflow), 3) }, label: "overflow"},
		{name: "slow consumer", metric: "bridge_messages_dropped_total", record: func(r *metrics.Route) { r.DroppedBeforeReceipt(string(bridge.ReasonSlowConsumer), 3) }, label: "slow_consumer", in: 3},
		{name: "shutdown", metric: "bridge_messages_dropped_total", record: func(r *metrics.Route) { r.Dropped(string(bridge.ReasonShutdown), 3) }, label: "shutdown"},
		{name: "unknown drop", metric: "bridge_messages_dropped_total", record: func(r *metrics.Route) { r.Dropped("gremlins", 3) }, label: metrics.ReasonOther},
		{name: "decode", metric: "bridge_messages_failed_total", record: failed(bridge.ReasonDecode), label: "decode"},
		{name: "generator", metric: "bridge_messages_failed_total", record: failed(bridge.ReasonGenerator), label: "generator"},
		{name: "timeout", metric: "bridge_messages_failed_total", record: failed(bridge.ReasonTimeout), label: "timeout"},
		{name: "subject", metric: "bridge_messages_failed_total", record: failed(bridge.ReasonSubject), label: "subject"},
		{name: "publish", metric: "bridge_messages_failed_total", record: failed(bridge.ReasonPublish), label: "publish"},
		{name: "max deliver", metric: "bridge_messages_failed_total", record: failed(bridge.ReasonMaxDeliver), label: "max_deliver"},
		{name: "unknown failure", metric: "bridge_messages_failed_total", record: failed("gremlins"), label: metrics.ReasonOther},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			reg, m := newMetrics(t, bridgemetrics.Reasons())
			r := m.Route("r")
			before := values(t, reg, test.metric)
			if _, ok := before[test.label]; !ok && test.label != metrics.ReasonOther {
				t.Fatalf("no %s series for reason %q before the first count: %v", test.metric, test.label, before)
			}
			test.record(r)
			after := values(t, reg, test.metric)
			for reason, v := range after {
				want := 0.0
				if reason == test.label {
					want = 1
					if test.metric == "bridge_messages_dropped_total" {
						want = 3
					}
				}
				if v != want {
					t.Errorf("%s{reason=%q} = %v, want %v", test.metric, reason, v, want)
				}
			}
			if _, ok := after[test.label]; !ok {
				t.Errorf("no series for reason %q: %v", test.label, after)
			}
			if in := values(t, reg, "bridge_messages_in_total")[""]; in != test.in {
				t.Errorf("bridge_messages_in_total = %v, want %v", in, test.in)
			}
		})
	}
}

func failed(why bridge.Reason) func(r *metrics.Route) {
	return func(r *metrics.Route) { r.Failed(string(why)) }
}

// values returns the series of the counter name by their reason label
// ("" for none).
func values(t *testing.T, g prometheus.Gatherer, name string) map[string]float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			reason := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" {
					reason = l.GetValue()
				}
			}
			out[reason] = m.GetCounter().GetValue()
		}
	}
	return out
}

// TestNil checks that a nil *Metrics and its nil routes record nothing and
// do not panic.
func TestNil(t *testing.T) {
	var m *metrics.Metrics
	c := m.Conn("default")
	if c != nil {
		t.Fatalf("Conn on nil Metrics = %v, want nil", c)
	}
	c.Connected()
	c.Reconnected()
	c.Disconnected()

	r := m.Route("r")
	if r != nil {
		t.Fatalf("Route on nil Metrics = %v, want nil", r)
	}
	r.Received(1)
	r.Processed()
	r.Filtered()
	r.Failed("decode")
	r.Dropped("overflow", 1)
	r.DroppedBeforeReceipt("slow_consumer", 1)
	r.Published(1)
	r.Latency(time.Millisecond)
	r.DeadLettered()
	r.ProcessingTime(time.Millisecond)
}

func TestNew(t *testing.T) {
	tests := []struct {
		name      string
		reg       func() prometheus.Registerer
		opts      []metrics.Option
		withError func(*testing.T, error)
	}{
		{name: "pedantic registry", reg: func() prometheus.Registerer { return prometheus.NewPedanticRegistry() }},
		{name: "no registry", reg: func() prometheus.Registerer { return nil }},
		{
			name: "empty version",
			reg:  func() prometheus.Registerer { return prometheus.NewRegistry() },
			opts: []metrics.Option{metrics.WithVersion("")},
			withError: func(t *testing.T, err error) {
				if !errors.Is(err, metrics.ErrInvalidOption) {
					t.Fatalf("err = %v, want ErrInvalidOption", err)
				}
			},
		},
		{
			name: "name taken",
			reg: func() prometheus.Registerer {
				reg := prometheus.NewRegistry()
				reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "bridge_nats_connected", Help: "taken"}))
				return reg
			},
			withError: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "bridge_nats_connected") {
					t.Fatalf("err = %v, want one about bridge_nats_connected", err)
				}
			},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			reg := test.reg()
			m, err := metrics.New(reg, test.opts...)
			if test.withError != nil {
				test.withError(t, err)
				if m != nil {
					t.Fatal("New returned metrics with an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m.Route("r").Received(1)
		})
	}
}

// TestNewUndoesPartialRegistration checks that a failed New unregisters
// what it registered.
func TestNewUndoesPartialRegistration(t *testing.T) {
	reg := &countingRegisterer{Registerer: prometheus.NewPedanticRegistry()}
	// New registers bridge_build_info late, so most of its collectors are
	// in before the clash.
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "bridge_build_info", Help: "taken"}))
	if _, err := metrics.New(reg); err == nil {
		t.Fatal("New succeeded over a taken name")
	}
	if reg.registered < 2 || reg.live != 1 {
		t.Fatalf("%d collectors registered, %d still registered after the failed New; want several, and only the clashing one left",
			reg.registered, reg.live)
	}
}

// countingRegisterer counts registrations.
type countingRegisterer struct {
	prometheus.Registerer
	registered, live int
}

func (r *countingRegisterer) Register(c prometheus.Collector) error {
	err := r.Registerer.Register(c)
	if err == nil {
		r.registered++
		r.live++
	}
	return err
}

func (r *countingRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

func (r *countingRegisterer) Unregister(c prometheus.Collector) bool {
	ok := r.Registerer.Unregister(c)
	if ok {
		r.live--
	}
	return ok
}

func ExampleNew() {
	reg := prometheus.NewPedanticRegistry()
	m, err := metrics.New(reg, metrics.WithVersion("v1.0.0"),
		metrics.WithReasons([]string{"decode", "timeout"}, []string{"overflow"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	// Once per route, when it is made:
	orders := m.Route("orders")
	// Per message:
	orders.Received(42)
	orders.ProcessingTime(300 * time.Microsecond)
	orders.Published(40)
	orders.Latency(2 * time.Millisecond)
	orders.Processed()
	orders.Received(7)
	orders.Failed("decode")

	mfs, err := reg.Gather()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, mf := range mfs {
		for _, s := range mf.GetMetric() {
			if c := s.GetCounter(); c.GetValue() != 0 {
				var labels []string
				for _, l := range s.GetLabel() {
					labels = append(labels, l.GetName()+"="+l.GetValue())
				}
				fmt.Printf("%s{%s} %v\n", mf.GetName(), strings.Join(labels, ","), c.GetValue())
			}
		}
	}
	// Output:
	// bridge_bytes_in_total{route=orders} 49
	// bridge_bytes_out_total{route=orders} 40
	// bridge_messages_failed_total{reason=decode,route=orders} 1
	// bridge_messages_in_total{route=orders} 2
	// bridge_messages_out_total{route=orders} 1
	// bridge_messages_processed_total{route=orders} 1
}
