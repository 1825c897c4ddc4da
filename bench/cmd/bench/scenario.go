package main

import (
	"fmt"
	"math"
)

// kind is how a scenario loads the system under test.
type kind int

const (
	// burst publishes the messages as fast as possible on core NATS.
	burst kind = iota
	// paced publishes at a fixed rate and records latencies.
	paced
	// jsBacklog fills an input stream first, then starts the system and
	// times it through the backlog.
	jsBacklog
)

// scenario is one row of the scenario table: a load, the payload, and how
// the bridge is configured for it. Every scenario runs both systems, the
// bridge and its relay (relay, or jsrelay for JetStream).
type scenario struct {
	name  string // identifier, used in subjects, files and -run
	title string // for people
	kind  kind
	size  int  // payload bytes
	json  bool // JSON payload instead of binary
	// jq is the bridge route's BRIDGE_ROUTE_0_JQ; the relay forwards
	// payloads as they are.
	jq string
	// jetStream makes the bridge route a JetStream route
	// (BRIDGE_ROUTE_0_STREAM) and the relay jsrelay.
	jetStream bool
	// relayArgs are extra arguments for the relay, bridgeEnv extra
	// VAR=value settings for the bridge.
	relayArgs []string
	bridgeEnv []string
	goals     []goal
}

// scenarios is the table `make bench` runs, in order. Adding a case is
// adding a row.
var scenarios = []scenario{
	{
		name: "passthrough-128B", title: "passthrough, 128 B burst", kind: burst, size: 128,
		goals: []goal{ratioAtLeast("throughput", 0.95), zero("lost"), ratioAtMost("cpu", 1.2)},
	},
	{
		name: "passthrough-1KiB", title: "passthrough, 1 KiB burst", kind: burst, size: 1024,
		goals: []goal{ratioAtLeast("throughput", 0.95), zero("lost"), ratioAtMost("cpu", 1.2)},
	},
	{
		name: "latency-20k", title: "passthrough, 128 B at a fixed rate", kind: paced, size: 128,
		goals: []goal{withinOf("p50", 40), zero("lost")},
	},
	{
		name: "jq-map", title: "jq {id: .id, v: .v}, 128 B JSON burst", kind: burst, size: 128, json: true,
		jq: "{id: .id, v: .v}",
	},
	{
		name: "jetstream-128B", title: "JetStream at-least-once, 128 B backlog", kind: jsBacklog, size: 128,
		jetStream: true,
		goals:     []goal{ratioAtLeast("throughput", 0.8), zero("lost")},
	},
	{
		// The bridge gives every output a Nats-Msg-Id, unless told not to:
		// then it does what the bare relay does.
		name: "jetstream-nodedup-128B", title: "JetStream, bridge with DEDUP=false", kind: jsBacklog, size: 128,
		jetStream: true, bridgeEnv: []string{"BRIDGE_ROUTE_0_DEDUP=false"},
		goals: []goal{ratioAtLeast("throughput", 0.8), zero("lost")},
	},
	{
		// The bridge gives every output a Nats-Msg-Id, so that the output
		// stream drops the copies a redelivery makes: exactly once into
		// the stream. This relay does the same, to show what that costs
		// and what the bridge costs beyond it. The bridge runs with its
		// defaults.
		name: "jetstream-dedup-128B", title: "JetStream, the relay also sets Nats-Msg-Id", kind: jsBacklog, size: 128,
		jetStream: true, relayArgs: []string{"-msg-id"},
		goals: []goal{zero("lost")},
	},
}

// figure is one measured quantity of a run.
type figure struct {
	key    string
	label  string
	higher bool // higher is better
	format func(float64) string
	// ratio: the bridge/relay ratio means something (not for counts that
	// are usually zero).
	ratio bool
}

var figureList = []figure{
	{"throughput", "throughput (msg/s)", true, fmtCount, true},
	{"p50", "latency p50 (µs)", false, fmtMicros, true},
	{"p99", "latency p99 (µs)", false, fmtMicros, true},
	{"p999", "latency p99.9 (µs)", false, fmtMicros, true},
	{"lost", "messages lost", false, fmtCount, false},
	{"cpu", "CPU s per M msgs", false, fmtFixed(3), true},
	{"rss", "peak RSS (MiB)", false, fmtFixed(1), true},
}

func figureByKey(key string) figure {
	for _, f := range figureList {
		if f.key == key {
			return f
		}
	}
	panic("unknown figure " + key)
}

// figures returns the figures a scenario reports, in table order.
func (s scenario) figures() []figure {
	keys := []string{"throughput", "lost", "cpu", "rss"}
	if s.kind == paced {
		keys = []string{"p50", "p99", "p999", "lost", "cpu", "rss"}
	}
	fs := make([]figure, len(keys))
	for i, k := range keys {
		fs[i] = figureByKey(k)
	}
	return fs
}

// goal is a target for one figure of a scenario. Goals are reported, never
// asserted.
type goal struct {
	figure string
	text   string
	// met reports whether the medians meet the goal.
	met func(bridge, relay float64) bool
	// mark is where the goal sits on the ratio chart, given the relay's
	// median; NaN for none.
	mark func(relay float64) float64
}

func ratioAtLeast(fig string, r float64) goal {
	return goal{fig, fmt.Sprintf("≥ %g× relay", r),
		func(b, rl float64) bool { return b >= r*rl },
		func(float64) float64 { return r }}
}

func ratioAtMost(fig string, r float64) goal {
	return goal{fig, fmt.Sprintf("≤ %g× relay", r),
		func(b, rl float64) bool { return b <= r*rl },
		func(float64) float64 { return r }}
}

// withinOf: the bridge's figure is at most us microseconds above the
// relay's.
func withinOf(fig string, us float64) goal {
	return goal{fig, fmt.Sprintf("≤ relay + %g µs", us),
		func(b, rl float64) bool { return b-rl <= us },
		func(rl float64) float64 { return (rl + us) / rl }}
}

func zero(fig string) goal {
	return goal{fig, "0",
		func(b, _ float64) bool { return b == 0 },
		func(float64) float64 { return math.NaN() }}
}

func fmtCount(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	// Thousands separated by commas.
	s := fmt.Sprintf("%.0f", math.Abs(v))
	var out []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	if v < 0 {
		return "-" + string(out)
	}
	return string(out)
}

func fmtMicros(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func fmtFixed(prec int) func(float64) string {
	return func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return fmt.Sprintf("%.*f", prec, v)
	}
}
