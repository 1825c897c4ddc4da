package bridgemetrics_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/natstest"
	"github.com/natsbridge/bridge/metrics"
	"github.com/natsbridge/bridge/metrics/bridgemetrics"
	"github.com/natsbridge/bridge/stream"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// nats-server keeps a few process-wide goroutines once started.
		goleak.IgnoreTopFunction("github.com/nats-io/nats-server/v2/server.(*Server).startGoroutine.func1"),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.(*stree).startFlushLoop"),
	)
}

var errOdd = errors.New("test: payload ends in 3")

// TestOverloadAccounting floods routes whose stage is stuck, so that they
// drop by overflow (drop_newest, drop_oldest) and, behind a blocking
// buffer, by the NATS client's pending limit (slow_consumer). Once they are
// idle, the metrics account for every published message exactly once.
func TestOverloadAccounting(t *testing.T) {
	s := natstest.Start(t, nil)
	// Slow consumers are expected: the bridge counts them; do not print
	// them too.
	nc := natstest.Connect(t, s, nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	pub := natstest.Connect(t, s)

	reg := prometheus.NewPedanticRegistry()
	m, err := bridgemetrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	// Until released, the stage holds every message; then it fails those
	// ending in 3, filters those ending in 7 and passes the rest.
	process := func(ctx context.Context, a *artifact.Artifact, emit stream.Emit) error {
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		switch a.Payload[len(a.Payload)-1] {
		case '3':
			return errOdd
		case '7':
			return nil
		}
		return emit(a)
	}
	route := func(name string, overflow stream.Overflow, pending int) bridge.RouteConfig {
		return bridge.RouteConfig{
			Name: name, In: "ov." + name, Out: "ov.out." + name, DLQ: "ov.dlq",
			Process: process, BufferSize: 8, Overflow: overflow, PendingMsgs: pending,
		}
	}
	routes := []bridge.RouteConfig{
		route("newest", stream.DropNewest, 64),
		route("oldest", stream.DropOldest, 64),
		route("block", stream.Block, 16),
	}
	b, err := bridge.New(nc, routes, bridge.WithHooks(bridgemetrics.Hooks(m)))
	if err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(bridgemetrics.NewStatsCollector(b))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	natstest.WaitFor(t, 10*time.Second, b.Ready)

	const n = 500
	for _, rc := range routes {
		for i := range n {
			_ = pub.Publish(rc.In, []byte(strconv.Itoa(i)))
		}
	}
	if err := pub.Flush(); err != nil {
		t.Fatal(err)
	}
	// While the stage is stuck: the dropping routes take in everything,
	// and the NATS client gives up on part of the blocked one's input.
	natstest.WaitFor(t, 10*time.Second, func() error {
		g := gather(t, reg)
		for _, name := range []string{"newest", "oldest"} {
			if in := g.get("bridge_messages_in_total", name, ""); in != n {
				return fmt.Errorf("route %s: %v in", name, in)
			}
		}
		if d := g.get("bridge_messages_dropped_total", "block", string(bridge.ReasonSlowConsumer)); d == 0 {
			return errors.New("route block: no slow consumer drops yet")
		}
		return nil
	})
	close(release)

	natstest.WaitFor(t, 20*time.Second, func() error {
		g := gather(t, reg)
		for _, rc := range routes {
			if err := g.balanced(rc.Name, n); err != nil {
				return err
			}
		}
		return nil
	})
	g := gather(t, reg)
	for _, rc := range routes {
		if out, p := g.get("bridge_messages_out_total", rc.Name, ""), g.get("bridge_messages_processed_total", rc.Name, ""); out != p {
			t.Errorf("route %s: %v published outputs, %v processed inputs of one output each", rc.Name, out, p)
		}
		if dl, f := g.get("bridge_messages_dead_lettered_total", rc.Name, ""), g.sum("bridge_messages_failed_total", rc.Name); dl != f {
			t.Errorf("route %s: %v dead-lettered, %v failed", rc.Name, dl, f)
		}
		if c := g.get("bridge_buffer_capacity", rc.Name, ""); c != 8 {
			t.Errorf("route %s: capacity %v, want 8", rc.Name, c)
		}
	}
	for _, name := range []string{"newest", "oldest"} {
		if d := g.get("bridge_messages_dropped_total", name, string(bridge.ReasonOverflow)); d == 0 {
			t.Errorf("route %s: no overflow drops", name)
		}
	}
	var processed, filtered, failed float64
	for _, rc := range routes {
		processed += g.get("bridge_messages_processed_total", rc.Name, "")
		filtered += g.get("bridge_messages_filtered_total", rc.Name, "")
		failed += g.get("bridge_messages_failed_total", rc.Name, string(bridge.ReasonGenerator))
	}
	if processed == 0 || filtered == 0 || failed == 0 {
		t.Errorf("processed %v, filtered %v, failed %v: want every outcome", processed, filtered, failed)
	}
	t.Logf("after %d messages per route:\n%s", n, g)
}

// TestConnectionEvents follows a connection through a server restart and
// its close, next to one that stays up: each has its own series.
func TestConnectionEvents(t *testing.T) {
	s := natstest.Start(t, nil)
	other := natstest.Start(t, nil)
	reg := prometheus.NewPedanticRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	// The handlers of cmd/bridge's connect, without the logging.
	handlers := func(c *metrics.Conn) []nats.Option {
		return []nats.Option{
			nats.ConnectHandler(func(*nats.Conn) { c.Connected() }),
			nats.DisconnectErrHandler(func(*nats.Conn, error) { c.Disconnected() }),
			nats.ReconnectHandler(func(*nats.Conn) { c.Reconnected() }),
			nats.ClosedHandler(func(*nats.Conn) { c.Disconnected() }),
		}
	}
	nc := natstest.Connect(t, s, handlers(m.Conn("default"))...)
	natstest.Connect(t, other, handlers(m.Conn("edge"))...)
	want := func(connected, reconnects float64) func() error {
		return func() error {
			g := gather(t, reg)
			c, r := g.get("bridge_nats_connected", "", ""), g.get("bridge_nats_reconnects_total", "", "")
			if c != connected || r != reconnects {
				return fmt.Errorf("default: connected %v, reconnects %v; want %v, %v", c, r, connected, reconnects)
			}
			c, r = g.get("bridge_nats_connected", "", "edge"), g.get("bridge_nats_reconnects_total", "", "edge")
			if c != 1 || r != 0 {
				return fmt.Errorf("edge: connected %v, reconnects %v; want 1, 0", c, r)
			}
			return nil
		}
	}
	natstest.WaitFor(t, 5*time.Second, want(1, 0))
	opts := s.Opts.Clone()
	s.Shutdown()
	s.WaitForShutdown()
	natstest.WaitFor(t, 5*time.Second, want(0, 0))
	natstest.Start(t, opts)
	natstest.WaitFor(t, 10*time.Second, want(1, 1))
	nc.Close()
	natstest.WaitFor(t, 5*time.Second, want(0, 1))
}

// sample names one series: metric, route and reason labels ("" if none).
// The connection label is kept in reason, except for "default", so that
// get(name, "", "") reads the default connection.
type sample struct{ name, route, reason string }

type gathered map[sample]float64

func gather(t *testing.T, g prometheus.Gatherer) gathered {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := gathered{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			k := sample{name: mf.GetName()}
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "route":
					k.route = l.GetValue()
				case "reason":
					k.reason = l.GetValue()
				case "connection":
					if l.GetValue() != "default" {
						k.reason = l.GetValue()
					}
				}
			}
			switch {
			case m.Counter != nil:
				out[k] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[k] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

func (g gathered) get(name, route, reason string) float64 {
	return g[sample{name, route, reason}]
}

// sum adds up the series of name for route over every reason.
func (g gathered) sum(name, route string) float64 {
	var v float64
	for k, x := range g {
		if k.name == name && k.route == route {
			v += x
		}
	}
	return v
}

// balanced checks that route took in n messages, accounted each for once,
// and has an empty buffer.
func (g gathered) balanced(route string, n float64) error {
	in := g.get("bridge_messages_in_total", route, "")
	p := g.get("bridge_messages_processed_total", route, "")
	f := g.get("bridge_messages_filtered_total", route, "")
	x := g.sum("bridge_messages_failed_total", route)
	d := g.sum("bridge_messages_dropped_total", route)
	depth := g.get("bridge_buffer_depth", route, "")
	if in != n || in != p+f+x+d || depth != 0 {
		return fmt.Errorf("route %s: in %v (want %v) = processed %v + filtered %v + failed %v + dropped %v? depth %v",
			route, in, n, p, f, x, d, depth)
	}
	return nil
}

// String lists the nonzero series of routes, sorted.
func (g gathered) String() string {
	var lines []string
	for k, v := range g {
		if k.route != "" && v != 0 {
			lines = append(lines, fmt.Sprintf("  %s{route=%q,reason=%q} %v\n", k.name, k.route, k.reason, v))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "")
}
