package bridge_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/natstest"
	"github.com/natsbridge/bridge/stream"
)

// An upstream span, as a producer would have sent it.
const (
	upTrace     = "4bf92f3577b34da6a3ce929d0e0e4736"
	upSpan      = "00f067aa0ba902b7"
	upSampled   = "00-" + upTrace + "-" + upSpan + "-01"
	upUnsampled = "00-" + upTrace + "-" + upSpan + "-00"
)

// tracer returns a tracer provider whose spans are exported, as they end,
// to the returned exporter.
func tracer(t *testing.T, s sdktrace.Sampler) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(s), sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, exp
}

// waitSpans waits until exp holds n spans of kind, and returns them.
func waitSpans(t *testing.T, exp *tracetest.InMemoryExporter, kind trace.SpanKind, n int) []tracetest.SpanStub {
	t.Helper()
	var got []tracetest.SpanStub
	natstest.WaitFor(t, 10*time.Second, func() error {
		got = got[:0]
		for _, s := range exp.GetSpans() {
			if s.SpanKind == kind {
				got = append(got, s)
			}
		}
		if len(got) < n {
			return fmt.Errorf("%d %v spans, want %d", len(got), kind, n)
		}
		return nil
	})
	return got
}

// attrs returns the attributes of s by key.
func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

// checkAttrs reports each attribute of s that is not as in want, which
// holds strings and ints.
func checkAttrs(t *testing.T, s tracetest.SpanStub, want map[string]any) {
	t.Helper()
	got := attrs(s)
	for k, w := range want {
		v, ok := got[attribute.Key(k)]
		switch {
		case !ok && w == nil:
		case !ok:
			t.Errorf("span %q: no attribute %s, want %v", s.Name, k, w)
		case w == nil:
			t.Errorf("span %q: attribute %s = %v, want none", s.Name, k, v.String())
		case fmt.Sprint(w) != v.String():
			t.Errorf("span %q: attribute %s = %v, want %v", s.Name, k, v.String(), w)
		}
	}
}

// carried returns the span context an output carries, checking that it
// carries it under the lower-case key only.
func carried(t *testing.T, h nats.Header) trace.SpanContext {
	t.Helper()
	for k := range h {
		if strings.EqualFold(k, "traceparent") && k != "traceparent" {
			t.Errorf("output has trace context header %q besides traceparent: %v", k, h)
		}
	}
	if len(h["traceparent"]) != 1 {
		t.Fatalf("output has no single traceparent header: %v", h)
	}
	c := propagation.MapCarrier{"traceparent": h.Get("traceparent"), "tracestate": h.Get("tracestate")}
	sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), c))
	if !sc.IsValid() {
		t.Fatalf("output traceparent %q is not valid", h.Get("traceparent"))
	}
	return sc
}

func publish(t *testing.T, nc *nats.Conn, subject, payload string, h nats.Header) {
	t.Helper()
	if err := nc.PublishMsg(&nats.Msg{Subject: subject, Data: []byte(payload), Header: h}); err != nil {
		t.Fatal(err)
	}
}

// TestTracingContinuesTrace: a message that carries trace context (as
// OpenTelemetry's HTTP carrier writes it, Traceparent) gets a consumer
// span in that trace, and its output carries the consumer span's context
// on, under lower-case keys; without publish spans, there is no other
// span.
func TestTracingContinuesTrace(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	tp, exp := tracer(t, sdktrace.ParentBased(sdktrace.NeverSample()))
	start(t, nc, []bridge.RouteConfig{{Name: "orders", In: "orders.*", Out: "audit.{{wildcard(1)}}", Queue: "q"}},
		bridge.WithTracerProvider(tp))
	got := collect(t, nc, "audit.>")

	publish(t, nc, "orders.7", "hello", nats.Header{"Traceparent": {upSampled}, "Tracestate": {"up=1"}, "X-Other": {"kept"}})
	out := got.waitN(t, 1)[0]
	consumer := waitSpans(t, exp, trace.SpanKindConsumer, 1)[0]

	if consumer.Name != "process orders.*" {
		t.Errorf("consumer span name %q", consumer.Name)
	}
	if tid := consumer.SpanContext.TraceID().String(); tid != upTrace {
		t.Errorf("consumer span in trace %s, want the incoming %s", tid, upTrace)
	}
	if p := consumer.Parent; !p.IsRemote() || p.SpanID().String() != upSpan {
		t.Errorf("consumer span's parent %v, want the remote span %s", p.SpanID(), upSpan)
	}
	checkAttrs(t, consumer, map[string]any{
		"messaging.system":                "nats",
		"messaging.operation.name":        "process",
		"messaging.operation.type":        "process",
		"messaging.destination.name":      "orders.7",
		"messaging.destination.template":  "orders.*",
		"messaging.consumer.group.name":   "q",
		"messaging.nats.consumer.group":   "q",
		"messaging.message.body.size":     5,
		"messaging.nats.message.reply_to": nil,
		"bridge.route":                    "orders",
		"bridge.outcome":                  "processed",
		"bridge.outputs":                  1,
		"bridge.reason":                   nil,
	})
	if consumer.Status.Code != codes.Unset {
		t.Errorf("consumer span status %v", consumer.Status)
	}
	if spans := exp.GetSpans(); len(spans) != 1 {
		t.Errorf("%d spans, want the consumer span only", len(spans))
	}

	sc := carried(t, out.Header)
	if sc.TraceID() != consumer.SpanContext.TraceID() || sc.SpanID() != consumer.SpanContext.SpanID() || !sc.IsSampled() {
		t.Errorf("output carries %s/%s sampled %v, want the consumer span %s/%s", sc.TraceID(), sc.SpanID(), sc.IsSampled(),
			consumer.SpanContext.TraceID(), consumer.SpanContext.SpanID())
	}
	if ts := out.Header.Values("tracestate"); len(ts) != 1 || ts[0] != "up=1" || out.Header.Get("Tracestate") != "" {
		t.Errorf("output tracestate headers %v, want tracestate: up=1 only", out.Header)
	}
	if out.Header.Get("X-Other") != "kept" || string(out.Data) != "hello" {
		t.Errorf("output %q %v", out.Data, out.Header)
	}
}

// TestTracingPublishSpans: with publish spans, each output gets a producer
// span under its input's consumer span, and carries the producer span's
// context on. A span names its destination template only when it differs
// from the destination: when In or Out has wildcards or a mapping.
func TestTracingPublishSpans(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	tp, exp := tracer(t, sdktrace.ParentBased(sdktrace.NeverSample()))
	start(t, nc, []bridge.RouteConfig{
		{Name: "orders", In: "orders.*", Out: "audit.{{wildcard(1)}}"},
		{Name: "plain", In: "plain.in", Out: "plain.out"},
	}, bridge.WithTracerProvider(tp), bridge.WithPublishSpans(true))
	got := collect(t, nc, "audit.>")
	plain := collect(t, nc, "plain.out")

	publish(t, nc, "orders.7", "hello", nats.Header{"Traceparent": {upSampled}, "Tracestate": {"up=1"}})
	publish(t, nc, "plain.in", "hi", nats.Header{"Traceparent": {upSampled}})
	outs := map[string]*nats.Msg{"orders": got.waitN(t, 1)[0], "plain": plain.waitN(t, 1)[0]}
	consumers := map[string]tracetest.SpanStub{}
	for _, c := range waitSpans(t, exp, trace.SpanKindConsumer, 2) {
		consumers[attrs(c)["bridge.route"].AsString()] = c
	}
	producers := map[string]tracetest.SpanStub{}
	for _, p := range waitSpans(t, exp, trace.SpanKindProducer, 2) {
		producers[attrs(p)["bridge.route"].AsString()] = p
	}

	producer := producers["orders"]
	if producer.Name != "publish audit.{{wildcard(1)}}" {
		t.Errorf("producer span name %q", producer.Name)
	}
	checkAttrs(t, producer, map[string]any{
		"messaging.system":               "nats",
		"messaging.operation.name":       "publish",
		"messaging.operation.type":       "send",
		"messaging.destination.name":     "audit.7",
		"messaging.destination.template": "audit.{{wildcard(1)}}",
		"messaging.message.body.size":    5,
		"bridge.route":                   "orders",
	})
	checkAttrs(t, consumers["plain"], map[string]any{"messaging.destination.name": "plain.in", "messaging.destination.template": nil})
	checkAttrs(t, producers["plain"], map[string]any{"messaging.destination.name": "plain.out", "messaging.destination.template": nil})
	for _, r := range []string{"orders", "plain"} {
		consumer, producer := consumers[r], producers[r]
		if producer.Parent.SpanID() != consumer.SpanContext.SpanID() || producer.SpanContext.TraceID() != consumer.SpanContext.TraceID() {
			t.Errorf("%s: producer span's parent %v, want the consumer span %v", r, producer.Parent.SpanID(), consumer.SpanContext.SpanID())
		}
		sc := carried(t, outs[r].Header)
		if sc.TraceID() != consumer.SpanContext.TraceID() || sc.SpanID() != producer.SpanContext.SpanID() || !sc.IsSampled() {
			t.Errorf("%s: output carries %s/%s sampled %v, want the producer span %s/%s", r, sc.TraceID(), sc.SpanID(), sc.IsSampled(),
				producer.SpanContext.TraceID(), producer.SpanContext.SpanID())
		}
	}
	if ts := outs["orders"].Header.Values("tracestate"); len(ts) != 1 || ts[0] != "up=1" {
		t.Errorf("output tracestate headers %v, want tracestate: up=1 only", outs["orders"].Header)
	}
}

// TestTracingStartsTrace: a message without trace context starts a trace,
// which its output carries on; its reply subject is an attribute, and its
// destination template none: it is the destination.
func TestTracingStartsTrace(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	tp, exp := tracer(t, sdktrace.AlwaysSample())
	start(t, nc, []bridge.RouteConfig{{Name: "r", In: "in", Out: "out", Queue: "none"}}, bridge.WithTracerProvider(tp))
	got := collect(t, nc, "out")

	if err := nc.PublishRequest("in", "reply.here", []byte("x")); err != nil {
		t.Fatal(err)
	}
	out := got.waitN(t, 1)[0]
	consumer := waitSpans(t, exp, trace.SpanKindConsumer, 1)[0]
	if consumer.Parent.IsValid() {
		t.Errorf("consumer span has parent %v, want a new trace", consumer.Parent)
	}
	checkAttrs(t, consumer, map[string]any{
		"messaging.nats.message.reply_to": "reply.here",
		"messaging.destination.name":      "in",
		"messaging.destination.template":  nil,
	})
	sc := carried(t, out.Header)
	if sc.TraceID() != consumer.SpanContext.TraceID() || sc.SpanID() != consumer.SpanContext.SpanID() {
		t.Errorf("output carries %s/%s, want %s/%s", sc.TraceID(), sc.SpanID(), consumer.SpanContext.TraceID(), consumer.SpanContext.SpanID())
	}
	if out.Reply != "reply.here" {
		t.Errorf("output reply %q", out.Reply)
	}
}

// TestTracingUnsampled: an input that is not sampled is not recorded, and
// its output still carries a trace context that says so, so that the
// services downstream keep to the decision.
func TestTracingUnsampled(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	tp, exp := tracer(t, sdktrace.ParentBased(sdktrace.NeverSample()))
	start(t, nc, []bridge.RouteConfig{{Name: "r", In: "in", Out: "out"}}, bridge.WithTracerProvider(tp))
	got := collect(t, nc, "out")

	publish(t, nc, "in", "root", nil)                                        // a root the sampler drops
	publish(t, nc, "in", "child", nats.Header{"traceparent": {upUnsampled}}) // upstream did not sample
	msgs := got.waitN(t, 2)
	for _, m := range msgs {
		sc := carried(t, m.Header)
		if sc.IsSampled() {
			t.Errorf("output %q carries a sampled context", m.Data)
		}
		if string(m.Data) == "child" && sc.TraceID().String() != upTrace {
			t.Errorf("output of the child is in trace %s, want %s", sc.TraceID(), upTrace)
		}
	}
	if n := len(exp.GetSpans()); n != 0 {
		t.Errorf("%d spans recorded, want none", n)
	}
}

// TestTracingOff: without a provider, or with a no-op one, the bridge
// leaves trace context alone: it passes through as it came.
func TestTracingOff(t *testing.T) {
	for name, opt := range map[string]bridge.Option{
		"none":   bridge.WithTracerProvider(nil),
		"noop":   bridge.WithTracerProvider(noop.NewTracerProvider()),
		"absent": bridge.WithLogger(nil),
	} {
		t.Run(name, func(t *testing.T) {
			s := natstest.Start(t, nil)
			nc := natstest.Connect(t, s)
			start(t, nc, []bridge.RouteConfig{{Name: "r", In: "in", Out: "out"}}, opt)
			got := collect(t, nc, "out")
			publish(t, nc, "in", "a", nats.Header{"Traceparent": {upSampled}})
			publish(t, nc, "in", "b", nil)
			msgs := got.waitN(t, 2)
			if h := msgs[0].Header; len(h) != 1 || h.Get("Traceparent") != upSampled {
				t.Errorf("output a headers %v, want Traceparent unchanged", h)
			}
			if h := msgs[1].Header; len(h) != 0 {
				t.Errorf("output b headers %v, want none", h)
			}
		})
	}
}

// TestTracingOutcomes: filtered and failed inputs say so on their spans,
// a failure with status Error; a dead letter carries the context of its
// input's span; every span, publish spans included, ends exactly once.
func TestTracingOutcomes(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	tp, exp := tracer(t, sdktrace.AlwaysSample())
	ends := countEnds(tp)
	process := func(_ context.Context, a *artifact.Artifact, emit stream.Emit) error {
		switch string(a.Payload) {
		case "fail":
			return errors.New("no good")
		case "filter":
			return nil
		case "two":
			if err := emit(a.Derive([]byte("two.1"))); err != nil {
				return err
			}
		}
		return emit(a.Derive(a.Payload))
	}
	var c counts
	start(t, nc, []bridge.RouteConfig{{Name: "st", In: "in", Out: "out", DLQ: "dlq", Process: process, Workers: 4}},
		bridge.WithTracerProvider(ends), bridge.WithPublishSpans(true), bridge.WithHooks(c.hooks()))
	dead := collect(t, nc, "dlq")
	got := collect(t, nc, "out")

	// Told apart on their spans by their size.
	inputs := []string{"k", "two", "fail", "filter"}
	const rounds = 25
	for range rounds {
		for _, p := range inputs {
			publish(t, nc, "in", p, nil)
		}
	}
	consumers := waitSpans(t, exp, trace.SpanKindConsumer, rounds*len(inputs))
	producers := waitSpans(t, exp, trace.SpanKindProducer, rounds*3)
	dl := dead.waitN(t, rounds)
	got.waitN(t, rounds*3)
	natstest.WaitFor(t, 5*time.Second, c.balanced)

	byPayload := map[string][]tracetest.SpanStub{}
	bySpan := map[trace.SpanID]string{}
	for _, s := range consumers {
		p := inputs[0]
		for _, in := range inputs {
			if int64(len(in)) == attrs(s)["messaging.message.body.size"].AsInt64() {
				p = in
			}
		}
		byPayload[p] = append(byPayload[p], s)
		bySpan[s.SpanContext.SpanID()] = p
	}
	for _, p := range inputs {
		if n := len(byPayload[p]); n != rounds {
			t.Fatalf("%d spans of %q inputs, want %d", n, p, rounds)
		}
	}
	checkAttrs(t, byPayload["k"][0], map[string]any{"bridge.outcome": "processed", "bridge.outputs": 1})
	checkAttrs(t, byPayload["two"][0], map[string]any{"bridge.outcome": "processed", "bridge.outputs": 2})
	checkAttrs(t, byPayload["filter"][0], map[string]any{"bridge.outcome": "filtered", "bridge.outputs": 0, "bridge.reason": nil})
	failure := byPayload["fail"][0]
	checkAttrs(t, failure, map[string]any{"bridge.outcome": "failed", "bridge.reason": "generator", "error.type": "generator", "bridge.outputs": 0})
	if failure.Status.Code != codes.Error || !strings.Contains(failure.Status.Description, "no good") {
		t.Errorf("failed span status %v, want Error saying why", failure.Status)
	}
	for _, p := range []string{"k", "filter", "two"} {
		if st := byPayload[p][0].Status; st.Code != codes.Unset {
			t.Errorf("%s span status %v", p, st)
		}
	}
	for _, s := range producers {
		if p := bySpan[s.Parent.SpanID()]; p != "k" && p != "two" {
			t.Errorf("producer span under the span of a %q input", p)
		}
	}
	for _, m := range dl {
		sc := carried(t, m.Header)
		if p := bySpan[sc.SpanID()]; p != "fail" {
			t.Errorf("dead letter carries the span of a %q input, want a failed one", p)
		}
	}
	if err := ends.check(len(consumers) + len(producers)); err != nil {
		t.Error(err)
	}
}

// TestTracingJetStream: a JetStream route's spans name the stream, the
// consumer and the delivery, and an output stored in a stream carries the
// trace on: the consumer span's context, or with publish spans that of
// the producer span, which names the message ID.
func TestTracingJetStream(t *testing.T) {
	for _, publishSpans := range []bool{false, true} {
		t.Run(fmt.Sprintf("publish-spans=%v", publishSpans), func(t *testing.T) {
			_, nc, js := jsSetup(t)
			tp, exp := tracer(t, sdktrace.ParentBased(sdktrace.NeverSample()))
			ends := countEnds(tp)
			m := nats.NewMsg("in.1")
			m.Data = []byte("stored")
			m.Header.Set("traceparent", upSampled)
			if _, err := js.PublishMsg(t.Context(), m); err != nil {
				t.Fatal(err)
			}
			start(t, nc, []bridge.RouteConfig{jsRoute("r")}, bridge.WithTracerProvider(ends), bridge.WithPublishSpans(publishSpans))
			consumer := waitSpans(t, exp, trace.SpanKindConsumer, 1)[0]
			want := consumer // the span the output carries
			spans := 1
			if publishSpans {
				producer := waitSpans(t, exp, trace.SpanKindProducer, 1)[0]
				checkAttrs(t, producer, map[string]any{
					"messaging.destination.name":     "out.1",
					"messaging.destination.template": "out.>",
					"messaging.message.id":           "IN:1:0",
				})
				want = producer
				spans++
			}
			waitCount(t, "OUT", 1, streamMsgs(t, js, "OUT"))

			checkAttrs(t, consumer, map[string]any{
				"messaging.destination.name":      "in.1",
				"messaging.destination.template":  "in.>",
				"messaging.nats.js.stream":        "IN",
				"messaging.nats.js.consumer.name": "d-r",
				"messaging.consumer.group.name":   "d-r",
				"bridge.jetstream.sequence":       1,
				"bridge.jetstream.delivered":      1,
				"bridge.outcome":                  "processed",
			})
			if consumer.SpanContext.TraceID().String() != upTrace {
				t.Errorf("consumer span in trace %s, want %s", consumer.SpanContext.TraceID(), upTrace)
			}
			st, err := js.Stream(t.Context(), "OUT")
			if err != nil {
				t.Fatal(err)
			}
			raw, err := st.GetMsg(t.Context(), 1)
			if err != nil {
				t.Fatal(err)
			}
			sc := carried(t, raw.Header)
			if sc.TraceID().String() != upTrace || sc.SpanID() != want.SpanContext.SpanID() {
				t.Errorf("stored output carries %s/%s, want %s/%s", sc.TraceID(), sc.SpanID(), upTrace, want.SpanContext.SpanID())
			}
			if raw.Header.Get(jetstream.MsgIDHeader) != "IN:1:0" {
				t.Errorf("stored output headers %v", raw.Header)
			}
			consumerIdle(t, js, "d-r")
			if err := ends.check(spans); err != nil {
				t.Error(err)
			}
			if n := len(exp.GetSpans()); n != spans {
				t.Errorf("%d spans, want %d", n, spans)
			}
		})
	}
}

// endCounter is a tracer provider that counts how often each of its spans
// is ended: the SDK ignores a second End, so only a wrapper can tell.
type endCounter struct {
	embedded.TracerProvider
	tp   trace.TracerProvider
	mu   sync.Mutex
	ends map[trace.SpanID]int
}

func countEnds(tp trace.TracerProvider) *endCounter {
	return &endCounter{tp: tp, ends: map[trace.SpanID]int{}}
}

func (c *endCounter) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return &countingTracer{tr: c.tp.Tracer(name, opts...), c: c}
}

// check reports spans ended more than once, and whether n were ended.
func (c *endCounter) check(n int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, k := range c.ends {
		if k != 1 {
			return fmt.Errorf("span %s ended %d times", id, k)
		}
	}
	if len(c.ends) != n {
		return fmt.Errorf("%d spans ended, want %d", len(c.ends), n)
	}
	return nil
}

type countingTracer struct {
	embedded.Tracer
	tr trace.Tracer
	c  *endCounter
}

func (t *countingTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	ctx, sp := t.tr.Start(ctx, name, opts...)
	cs := &countingSpan{Span: sp, c: t.c}
	return trace.ContextWithSpan(ctx, cs), cs
}

type countingSpan struct {
	trace.Span
	c *endCounter
}

func (s *countingSpan) End(opts ...trace.SpanEndOption) {
	s.c.mu.Lock()
	s.c.ends[s.SpanContext().SpanID()]++
	s.c.mu.Unlock()
	s.Span.End(opts...)
}

// TestTracingRootSampling traces none of the inputs that come without trace
// context (fraction 0), which go on as they came, other headers or an
// invalid traceparent included, and still every input that comes with
// trace context.
func TestTracingRootSampling(t *testing.T) {
	tp, exp := tracer(t, sdktrace.ParentBased(sdktrace.AlwaysSample()))
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	start(t, nc, []bridge.RouteConfig{{Name: "r", In: "in", Out: "out"}},
		bridge.WithTracerProvider(tp), bridge.WithRootSampling(0))
	got := collect(t, nc, "out")
	for range 20 {
		publish(t, nc, "in", "new", nil)
	}
	publish(t, nc, "in", "other", nats.Header{"X-Other": {"1"}})
	publish(t, nc, "in", "invalid", nats.Header{"traceparent": {"00-00000000000000000000000000000000-00f067aa0ba902b7-01"}})
	publish(t, nc, "in", "continued", nats.Header{"Traceparent": {upSampled}})
	msgs := got.waitN(t, 23)
	for _, m := range msgs[:20] {
		if len(m.Header) != 0 {
			t.Fatalf("an input without trace context went out with headers %v", m.Header)
		}
	}
	if h := msgs[20].Header; len(h) != 1 || h.Get("X-Other") != "1" {
		t.Errorf("an input with other headers went out with %v", h)
	}
	if h := msgs[21].Header; len(h) != 1 || !strings.HasPrefix(h.Get("traceparent"), "00-0000") {
		t.Errorf("an input with an invalid traceparent went out with %v", h)
	}
	if sc := carried(t, msgs[22].Header); !sc.IsValid() {
		t.Fatalf("the continued trace was not carried on: %v", msgs[22].Header)
	}
	if spans := waitSpans(t, exp, trace.SpanKindConsumer, 1); len(spans) != 1 {
		t.Fatalf("%d consumer spans, want the continued trace's only", len(spans))
	}
	if _, err := bridge.New(nc, nil, bridge.WithRootSampling(1.5)); !errors.Is(err, bridge.ErrInvalidOption) {
		t.Errorf("fraction 1.5: %v", err)
	}
}
