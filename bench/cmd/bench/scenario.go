package main

// kind is how a scenario loads the systems under test.
type kind int

const (
	// burst publishes the messages as fast as possible on core NATS.
	burst kind = iota
	// paced publishes at a fixed rate and records latencies.
	paced
	// jsBacklog fills an input stream first, then starts the system and
	// times it through the backlog.
	jsBacklog
	// goBench runs a Go benchmark in a process of its own and reads its
	// result line (stage.go).
	goBench
)

// scenario is one row of the scenario table: a load, the payload, how
// bridge routes are configured for it, and the contenders, each run once per
// repetition on the same load.
type scenario struct {
	name   string // identifier, used in subjects, files and -run
	title  string // for people
	kind   kind
	size   int // payload bytes
	format format
	// share is the fraction of -n a burst publishes (0: all of it).
	share float64
	// jq returns the bridge routes' BRIDGE_ROUTE_0_JQ for a run's subjects
	// (nil: none).
	jq func(n names) string
	// routed: outputs go to subjects chosen per message below the run's
	// output prefix (names.out is a pattern such as "….out.>", which the
	// receiver subscribes to); systems that do not route publish to
	// names.fixed below it.
	routed bool
	// bridgeEnv is extra VAR=value settings for every bridge contender.
	bridgeEnv []string
	// contenders run in this order in the first repetition, rotated in
	// the next ones.
	contenders []contender
	// rounds is how many times each repetition runs the contenders (0:
	// once), for a scenario whose target is a small difference between
	// short runs: its medians are then over rounds times -reps runs.
	rounds int
	// reference is the contender every other is divided by in the ratio
	// columns.
	reference string
	goals     []goal
}

// count returns the number of messages a run of s publishes.
func (s scenario) count(c *config) int {
	switch s.kind {
	case paced:
		return int(c.rate*c.warmup.Seconds()) + int(c.rate*c.latency.Seconds())
	case jsBacklog:
		return c.jsN
	case goBench:
		return c.stageN
	}
	if s.share > 0 {
		return max(int(float64(c.n)*s.share), 1)
	}
	return c.n
}

// roundsPerRep returns how many times a repetition runs s's contenders.
func (s scenario) roundsPerRep() int { return max(s.rounds, 1) }

// contender returns the contender called name, and false if there is none.
func (s scenario) contender(name string) (contender, bool) {
	for _, c := range s.contenders {
		if c.name == name {
			return c, true
		}
	}
	return contender{}, false
}

// The jq scenario's workload (issue 12): a program that keeps three fields
// and computes a fourth, as jq and as the equivalent Bloblang mapping.
const (
	recordProgram = `{seq: .seq, t: .t, id: .id, v: (.v * 2)}`
	recordMapping = `root = {"seq": this.seq, "t": this.t, "id": this.id, "v": this.v * 2}`
)

func fixedJQ(program string) func(names) string {
	return func(names) string { return program }
}

// scenarios is the table `make bench` runs, in order. Adding a case is
// adding a row.
var scenarios = []scenario{
	{
		name: "passthrough-128B", title: "passthrough, 128 B burst", kind: burst, size: 128,
		contenders: []contender{plainRelay(), bridgeDefaults(), watermill()},
		reference:  "relay",
		goals: []goal{
			atLeast("bridge", "throughput", 0.95, "relay"), zero("bridge", "lost"),
			atMost("bridge", "cpu", 1.2, "relay"),
		},
	},
	{
		name: "passthrough-1KiB", title: "passthrough, 1 KiB burst", kind: burst, size: 1024,
		contenders: []contender{plainRelay(), bridgeDefaults()},
		reference:  "relay",
		goals: []goal{
			atLeast("bridge", "throughput", 0.95, "relay"), zero("bridge", "lost"),
			atMost("bridge", "cpu", 1.2, "relay"),
		},
	},
	{
		name: "latency-20k", title: "passthrough, 128 B at a fixed rate", kind: paced, size: 128,
		contenders: []contender{plainRelay(), bridgeDefaults()},
		reference:  "relay",
		goals:      []goal{within("bridge", "p50", 40, "relay"), zero("bridge", "lost")},
	},
	{
		// Issue 12: half a million records through one program, against
		// the same program hand-wired into a nats.go callback (the floor)
		// and against Bento.
		name: "jq-record", title: "jq " + recordProgram + ", 128 B JSON records, burst of n/2",
		kind: burst, size: 128, format: recordFormat, share: 0.5,
		jq: fixedJQ(recordProgram),
		contenders: []contender{
			plainRelay(),
			relayWith("relay-json", "bare relay, encoding/json into a map, object built by hand", "-map", "json"),
			relayWith("relay-gojq", "bare relay running the program with gojq", "-map", "gojq", "-jq", recordProgram),
			bridgeDefaults(),
			bridgeWith("bridge-w2", "the bridge, WORKERS=2", "BRIDGE_ROUTE_0_WORKERS=2"),
			bento("bento-jq", "Bento 1.10.0 jq processor", "jq", recordProgram),
			bento("bento-mapping", "Bento 1.10.0 Bloblang mapping", "mapping", recordMapping),
		},
		reference: "relay-gojq",
		goals: []goal{
			atLeast("bridge", "throughput", 1.3, "relay-gojq"), atMost("bridge", "cpu", 0.8, "relay-gojq"),
			atLeast("bridge", "throughput", 4, "bento-jq"), atLeast("bridge", "throughput", 3, "bento-mapping"),
		},
	},
	{
		// Issue 11's message mode, used only to choose the output subject
		// from a field: the payload goes out as it came.
		name: "message-subject", title: "message mode: subject from a field, payload unchanged, 128 B JSON burst of n/2",
		kind: burst, size: 128, format: kindedFormat, share: 0.5, routed: true,
		jq: func(n names) string {
			return `{subject: ("` + n.outPrefix + `." + .kind)}`
		},
		bridgeEnv:  []string{"BRIDGE_ROUTE_0_EMIT=message"},
		contenders: []contender{plainRelay(), bridgeDefaults()},
		reference:  "relay",
		goals:      []goal{atLeast("bridge", "throughput", 0.5, "relay")},
	},
	{
		// Issue 16: tracing on, 1% of the messages sampled, against the
		// same route untraced. The load's messages carry no trace
		// context: the bridge starts a trace for one in a hundred, and
		// the others go on as they came, with no span and no header.
		// Each sampled one gets a consumer span (no producer span:
		// BRIDGE_TRACE_PUBLISH_SPANS is off), exported by OTLP to a sink
		// the harness serves, and its output a traceparent header.
		name: "tracing-1pct", title: "passthrough, 128 B burst, OpenTelemetry tracing with 1% sampled",
		kind: burst, size: 128,
		contenders: []contender{bridgeDefaults(), bridgeWith("bridge-traced", "the bridge, traced, 1% sampled, OTLP/HTTP",
			"OTEL_EXPORTER_OTLP_ENDPOINT="+otlpSinkURL, "OTEL_TRACES_SAMPLER=parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG=0.01")},
		reference: "bridge",
		// A 10% target on runs of about a second each, on a machine whose
		// runs differ by 20%: three pairs a repetition.
		rounds: 3,
		goals: []goal{
			atLeast("bridge-traced", "throughput", 0.9, "bridge"), atMost("bridge-traced", "cpu", 1.1, "bridge"),
			zero("bridge-traced", "lost"),
		},
	},
	{
		// Issue 12: the processing stage alone, in process, with
		// ORDER_BY=none (BenchmarkStage in jq/bench_test.go): 2 workers
		// against 1 on the record program, and what a message allocates.
		// A run is a process of the jq package's test binary; runs of a
		// second or less differ by a few per cent, so three pairs a
		// repetition, as tracing-1pct.
		name: "stage-workers", title: "the stage alone, in process (jq BenchmarkStage, ORDER_BY=none): 2 workers against 1",
		kind:       goBench,
		contenders: []contender{stage("stage", "the stage, 1 worker", 1), stage("stage-w2", "the stage, 2 workers", 2)},
		reference:  "stage",
		rounds:     3,
		goals: []goal{
			atLeast("stage-w2", "throughput", 1.7, "stage"),
			measured("stage", "allocs"), measured("stage-w2", "allocs"),
		},
	},
	{
		// The bridge's defaults: every output carries a Nats-Msg-Id, so
		// the output stream drops the copies a redelivery makes (exactly
		// once into the stream). The relay sets no Nats-Msg-Id.
		name: "jetstream-128B", title: "JetStream, bridge defaults (exactly once into the output stream), 128 B backlog",
		kind: jsBacklog, size: 128,
		contenders: []contender{jsRelay(), bridgeDefaults()},
		reference:  "relay",
		goals:      []goal{atLeast("bridge", "throughput", 0.8, "relay"), zero("bridge", "lost")},
	},
	{
		// Told not to, the bridge does what the bare relay does: at least
		// once.
		name: "jetstream-nodedup-128B", title: "JetStream, bridge with DEDUP=false (at least once, like the relay)",
		kind: jsBacklog, size: 128, bridgeEnv: []string{"BRIDGE_ROUTE_0_DEDUP=false"},
		contenders: []contender{jsRelay(), bridgeDefaults()},
		reference:  "relay",
		goals:      []goal{atLeast("bridge", "throughput", 0.8, "relay"), zero("bridge", "lost")},
	},
	{
		// This relay sets a Nats-Msg-Id too, to show what exactly once
		// costs the server and what the bridge costs beyond it. The bridge
		// runs with its defaults.
		name: "jetstream-dedup-128B", title: "JetStream, the relay also sets Nats-Msg-Id",
		kind: jsBacklog, size: 128,
		contenders: []contender{jsRelay("-msg-id"), bridgeDefaults()},
		reference:  "relay",
		goals:      []goal{zero("bridge", "lost")},
	},
}
