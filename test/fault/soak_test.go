package fault_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/natstest"
)

var soakFor = flag.Duration("soak", 2*time.Minute, "how long TestSoak sends messages (make soak: 30m)")

// The soak's load: every soakTick, so many messages for each route, about
// 1,000 a second in all.
const (
	soakTick         = 10 * time.Millisecond
	soakJetStream    = 3
	soakCore         = 3
	soakJQ           = 3 // one in soakInvalidEvery of them not JSON: dead-lettered
	soakRequests     = 1
	soakInvalidEvery = 20
	soakSampleEvery  = 2 * time.Second
)

// How much the bridge's goroutines and RSS may grow per minute over the
// second half of the soak. A goroutine leaked per message, per request or
// per JetStream fetch would add hundreds to thousands a minute; a count that
// only fluctuates (an HTTP scrape, a pull request in flight) fits a slope
// near 0. 5 MiB a minute is under 100 bytes for each of the ~60,000
// messages of a minute, well below anything a message could leak (its
// payload, its headers or a map entry), while leaving room for the runtime
// settling its heap and for the page-granular noise of RSS.
const (
	maxGoroutineSlope = 1.0     // goroutines per minute
	maxRSSSlope       = 5 << 20 // bytes per minute
)

// TestSoak runs one bridge with five kinds of traffic at once, at a steady
// rate, for -soak (2 minutes by default; make soak runs 30): a core
// passthrough route, a jq route whose invalid inputs go to its dead-letter
// subject, a JetStream route, and a route in front of a responder that
// requesters call through it. At the end every message is accounted for:
// the metrics identity on every route, every core output and dead letter
// arrived once, the output stream holds each JetStream message exactly
// once, and every request was answered. Meanwhile the bridge's RSS and
// goroutine count are sampled every soakSampleEvery: the slope of a least
// squares fit over the second half must stay under maxGoroutineSlope and
// maxRSSSlope.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("a soak of at least 2 minutes; not with -short")
	}
	t.Parallel()
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	js := newJS(t, nc)
	createStream(t, js, jetstream.StreamConfig{Name: "IN", Subjects: []string{"in.>"}})
	createStream(t, js, jetstream.StreamConfig{Name: "OUT", Subjects: []string{"out.>"}})
	sinks := subscribeSoak(t, nc)

	p := startBridge(t, "soak", bridgeEnv(s.ClientURL(), "js", map[string]string{
		"BRIDGE_ROUTE_1_NAME": "core",
		"BRIDGE_ROUTE_1_IN":   "core.in.>",
		"BRIDGE_ROUTE_1_OUT":  "core.out.>",
		"BRIDGE_ROUTE_2_NAME": "jq",
		"BRIDGE_ROUTE_2_IN":   "jq.in.>",
		"BRIDGE_ROUTE_2_OUT":  "jq.out.>",
		"BRIDGE_ROUTE_2_JQ":   "{n: .n, doubled: (.n * 2)}",
		"BRIDGE_ROUTE_2_DLQ":  "dlq.jq",
		"BRIDGE_ROUTE_3_NAME": "rr",
		"BRIDGE_ROUTE_3_IN":   "rr.in.>",
		"BRIDGE_ROUTE_3_OUT":  "rr.out.>",
	}))
	p.waitReady(t, 30*time.Second)
	// Every core subscription of the bridge is in place once a probe goes
	// through the passthrough route (they were made before /readyz said
	// ready, which the probe only confirms).
	probe := collectCore(t, nc, "core.out.probe")
	waitCoreFlow(t, nc, probe, "core.in.probe", "soak")

	start := time.Now()
	samples := sampleSoak(t, p)
	load := startSoakLoad(t, nc, js, start.Add(*soakFor))
	if err := load.wait(*soakFor + 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	sent := load.counts()
	elapsed := time.Since(start)
	t.Logf("sent for %v: JetStream %d, core %d, jq %d (%d not JSON), requests %d: %.0f msg/s",
		elapsed.Round(time.Millisecond), sent.js, sent.core, sent.jq, sent.invalid, sent.requests,
		float64(sent.js+sent.core+sent.jq+sent.requests)/elapsed.Seconds())

	// Everything arrives.
	valid := sent.jq - sent.invalid
	for _, c := range []struct {
		name string
		sink *seenSet
		want int
	}{
		{"core outputs", sinks.core, sent.core},
		{"jq outputs", sinks.jq, valid},
		{"dead letters", sinks.dlq, sent.invalid},
		{"replies", sinks.replies, sent.requests},
	} {
		natstest.WaitFor(t, time.Minute, func() error {
			if got, _, _ := c.sink.counts(); got < c.want {
				return fmt.Errorf("%w: %s: %d of %d", natstest.ErrTest, c.name, got, c.want)
			}
			return nil
		})
	}
	waitMsgs(t, js, "OUT", uint64(sent.js), 2*time.Minute)
	waitIdle(t, js, "IN", "bridge-js", time.Minute)
	counts := map[string]routeCounts{
		"js":   waitRouteSettled(t, p, "js", float64(sent.js), 30*time.Second),
		"core": waitRouteSettled(t, p, "core", float64(sent.core), 30*time.Second),
		"jq":   waitRouteSettled(t, p, "jq", float64(sent.jq), 30*time.Second),
		"rr":   waitRouteSettled(t, p, "rr", float64(sent.requests), 30*time.Second),
	}
	got := samples.stop()
	p.stop(t, 15*time.Second)

	for _, route := range []string{"js", "core", "jq", "rr"} {
		t.Logf("route %s: %v", route, counts[route])
	}
	for name, c := range map[string]*seenSet{"core": sinks.core, "jq": sinks.jq, "dlq": sinks.dlq, "replies": sinks.replies} {
		if n, dups, bad := c.counts(); dups != 0 || bad != 0 {
			t.Errorf("%s: %d arrived, %d more than once, %d malformed", name, n, dups, bad)
		}
	}
	// Nothing more came in than was sent, and nothing was dropped or
	// failed but the invalid JSON.
	probes, _ := probe.count("probe-soak-")
	if c := counts["core"]; c.in != float64(sent.core+probes) || c.processed != c.in {
		t.Errorf("core route: %v; %d sent, and %d probes", c, sent.core, probes)
	}
	if c := counts["jq"]; c.in != float64(sent.jq) || c.processed != float64(valid) ||
		c.failed != float64(sent.invalid) || c.deadLettered != float64(sent.invalid) {
		t.Errorf("jq route: %v; %d sent, %d of them not JSON", c, sent.jq, sent.invalid)
	}
	if c := counts["rr"]; c.in != float64(sent.requests) || c.processed != c.in {
		t.Errorf("request route: %v; %d requests", c, sent.requests)
	}
	msgs := readStream(t, js, "OUT")
	lost, dups, unexpected := tally(sent.js, numbers(t, msgs))
	ids := map[string]bool{}
	for _, m := range msgs {
		ids[m.Header.Get(nats.MsgIdHdr)] = true
	}
	t.Logf("JetStream route: %d sent, OUT holds %d (%d distinct Nats-Msg-Id), lost %d, duplicated %d",
		sent.js, len(msgs), len(ids), lost, dups)
	if len(msgs) != sent.js || len(ids) != sent.js || lost != 0 || dups != 0 || len(unexpected) != 0 {
		t.Errorf("OUT holds %d messages with %d distinct Nats-Msg-Id (want %d): %d lost, %d duplicated, unexpected %v",
			len(msgs), len(ids), sent.js, lost, dups, unexpected)
	}
	checkFlat(t, got, start.Add(elapsed/2))
}

// checkFlat fits the samples taken from half onwards and fails the test if
// the bridge's goroutines or RSS grow faster than allowed.
func checkFlat(t *testing.T, samples []soakSample, half time.Time) {
	t.Helper()
	var late []soakSample
	for _, s := range samples {
		if !s.at.Before(half) {
			late = append(late, s)
		}
	}
	if len(late) < 10 {
		t.Fatalf("%d samples in the second half of the soak, want at least 10", len(late))
	}
	first, last := late[0], late[len(late)-1]
	gSlope := slopePerMinute(late, func(s soakSample) float64 { return s.goroutines })
	rSlope := slopePerMinute(late, func(s soakSample) float64 { return float64(s.rss) })
	t.Logf("second half, %d samples over %v: goroutines %.0f to %.0f, slope %+.2f/min; RSS %.1f to %.1f MiB, slope %+.2f MiB/min",
		len(late), last.at.Sub(first.at).Round(time.Second), first.goroutines, last.goroutines, gSlope,
		float64(first.rss)/(1<<20), float64(last.rss)/(1<<20), rSlope/(1<<20))
	if gSlope > maxGoroutineSlope {
		t.Errorf("goroutines grow by %.2f a minute, want at most %v", gSlope, maxGoroutineSlope)
	}
	if rSlope > maxRSSSlope {
		t.Errorf("RSS grows by %.2f MiB a minute, want at most %v", rSlope/(1<<20), maxRSSSlope>>20)
	}
}

// slopePerMinute is the slope, per minute, of the least squares line
// through the samples' values of y.
func slopePerMinute(samples []soakSample, y func(soakSample) float64) float64 {
	t0 := samples[0].at
	var n, sx, sy, sxx, sxy float64
	for _, s := range samples {
		x := s.at.Sub(t0).Minutes()
		v := y(s)
		n++
		sx += x
		sy += v
		sxx += x * x
		sxy += x * v
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den
}

// soakSample is one reading of the bridge's resources.
type soakSample struct {
	at         time.Time
	rss        int64
	goroutines float64
}

// soakSampler reads the bridge's RSS (/proc) and goroutine count
// (go_goroutines) every soakSampleEvery until stopped.
type soakSampler struct {
	stopc   chan struct{}
	done    chan struct{}
	samples []soakSample // owned by the sampling goroutine until done
}

func sampleSoak(t *testing.T, p *bridgeProc) *soakSampler {
	t.Helper()
	s := &soakSampler{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(soakSampleEvery)
		defer tick.Stop()
		for {
			if rss, err := p.rss(); err == nil {
				if body, err := p.scrape(); err == nil {
					s.samples = append(s.samples, soakSample{at: time.Now(), rss: rss, goroutines: sumSamples(body, "go_goroutines")})
				}
			}
			select {
			case <-s.stopc:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { s.stop() })
	return s
}

// stop stops sampling and returns the samples.
func (s *soakSampler) stop() []soakSample {
	select {
	case <-s.stopc:
	default:
		close(s.stopc)
	}
	<-s.done
	return s.samples
}

// seenSet counts the arrivals of numbered messages.
type seenSet struct {
	mu           sync.Mutex
	seen         []uint8
	n, dups, bad int
}

func (s *seenSet) add(i int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok || i < 0 {
		s.bad++
		return
	}
	for len(s.seen) <= i {
		s.seen = append(s.seen, make([]uint8, max(len(s.seen), 1024))...)
	}
	if s.seen[i] > 0 {
		s.dups++
	} else {
		s.n++
	}
	s.seen[i] = 1
}

// counts returns how many distinct messages arrived, how many copies
// beyond the first, and how many payloads were not as sent.
func (s *seenSet) counts() (n, dups, bad int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n, s.dups, s.bad
}

// soakSinks are the soak's receivers: the outputs of the core and jq
// routes, the dead letters, and the replies to the requests.
type soakSinks struct {
	core, jq, dlq, replies *seenSet
}

// subscribeSoak subscribes the sinks, and a responder that answers every
// request the request route forwards with its own payload.
func subscribeSoak(t *testing.T, nc *nats.Conn) *soakSinks {
	t.Helper()
	s := &soakSinks{core: &seenSet{}, jq: &seenSet{}, dlq: &seenSet{}, replies: &seenSet{}}
	scan := func(set *seenSet, format string) nats.MsgHandler {
		return func(m *nats.Msg) {
			if strings.HasPrefix(string(m.Data), "probe-") {
				return // waitCoreFlow's
			}
			var i int
			_, err := fmt.Sscanf(string(m.Data), format, &i)
			set.add(i, err == nil)
		}
	}
	subs := map[string]nats.MsgHandler{
		"core.out.>":   scan(s.core, "c%d"),
		"dlq.jq":       scan(s.dlq, "not json %d"),
		"soak.reply.>": scan(s.replies, "r%d"),
		"rr.out.>":     func(m *nats.Msg) { _ = m.Respond(m.Data) },
		"jq.out.>": func(m *nats.Msg) {
			var v struct{ N, Doubled int }
			err := json.Unmarshal(m.Data, &v)
			s.jq.add(v.N, err == nil && v.Doubled == 2*v.N)
		},
	}
	for subject, h := range subs {
		sub, err := nc.Subscribe(subject, h)
		if err != nil {
			t.Fatal(err)
		}
		if err := sub.SetPendingLimits(-1, -1); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sub.Unsubscribe() })
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return s
}

// soakSent counts what the soak's load sent.
type soakSent struct {
	js, core, jq, invalid, requests int
}

// soakLoad sends the soak's messages until a deadline.
type soakLoad struct {
	done chan struct{}
	err  error // set before done is closed
	n    struct{ js, core, jq, invalid, requests atomic.Int64 }
}

func startSoakLoad(t *testing.T, nc *nats.Conn, js *jsClient, until time.Time) *soakLoad {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &soakLoad{done: make(chan struct{})}
	go func() {
		defer close(l.done)
		l.err = l.run(ctx, nc, js, until)
	}()
	t.Cleanup(func() {
		cancel()
		<-l.done
	})
	return l
}

func (l *soakLoad) wait(timeout time.Duration) error {
	select {
	case <-l.done:
		return l.err
	case <-time.After(timeout):
		return fmt.Errorf("the soak's load did not finish within %v", timeout)
	}
}

func (l *soakLoad) counts() soakSent {
	return soakSent{
		js: int(l.n.js.Load()), core: int(l.n.core.Load()), jq: int(l.n.jq.Load()),
		invalid: int(l.n.invalid.Load()), requests: int(l.n.requests.Load()),
	}
}

func (l *soakLoad) run(ctx context.Context, nc *nats.Conn, js *jsClient, until time.Time) error {
	tick := time.NewTicker(soakTick)
	defer tick.Stop()
	var jsN, coreN, jqN, rrN int
	for time.Now().Before(until) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		for range soakJetStream {
			if _, err := js.PublishMsgAsync(numbered(jsN), jetstream.WithStallWait(time.Minute)); err != nil {
				return fmt.Errorf("JetStream publish %d: %w", jsN, err)
			}
			jsN++
			l.n.js.Store(int64(jsN))
		}
		for range soakCore {
			if err := nc.Publish(fmt.Sprintf("core.in.%d", coreN%4), fmt.Appendf(nil, "c%d", coreN)); err != nil {
				return err
			}
			coreN++
			l.n.core.Store(int64(coreN))
		}
		for range soakJQ {
			data := fmt.Appendf(nil, `{"n":%d}`, jqN)
			if jqN%soakInvalidEvery == soakInvalidEvery-1 {
				data = fmt.Appendf(nil, "not json %d", jqN)
				l.n.invalid.Add(1)
			}
			if err := nc.Publish(fmt.Sprintf("jq.in.%d", jqN%4), data); err != nil {
				return err
			}
			jqN++
			l.n.jq.Store(int64(jqN))
		}
		for range soakRequests {
			if err := nc.PublishRequest("rr.in.echo", fmt.Sprintf("soak.reply.%d", rrN), fmt.Appendf(nil, "r%d", rrN)); err != nil {
				return err
			}
			rrN++
			l.n.requests.Store(int64(rrN))
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Minute):
		return fmt.Errorf("%d JetStream publishes not acknowledged", js.PublishAsyncPending())
	}
	if e := js.pubErrs.Load(); e != 0 {
		return fmt.Errorf("%d JetStream publishes failed", e)
	}
	return nc.Flush()
}
