package bridge

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/natsbridge/bridge/artifact"
)

// TracerName is the name of the tracer the bridge's spans come from (the
// instrumentation scope).
const TracerName = "github.com/natsbridge/bridge"

// WithTracerProvider has every route trace its inputs with tp's tracer: a
// consumer span per input, continuing the trace of its traceparent header,
// whose context each of its outputs carries on in its traceparent and
// tracestate headers (see WithPublishSpans for a span per output too). Nil
// or a no-op provider traces nothing, at no cost: the default.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(b *Bridge) error {
		b.tracer = nil
		if tp == nil {
			return nil
		}
		tr := tp.Tracer(TracerName)
		if _, off := tr.(noop.Tracer); !off {
			b.tracer = tr
		}
		return nil
	}
}

// WithRootSampling has the routes trace only this fraction, from 0 to 1,
// of the inputs that arrive without trace context, chosen at random: the
// others start no span and are published with no trace context, as they
// came, at no cost. Inputs that carry trace context are traced whatever the
// fraction, and the tracer provider's sampler decides for them. Defaults to
// 1: every input gets a span, and the sampler alone decides. A program that
// samples a fraction of new traces sets both, and gives its sampler only
// the inputs with trace context to decide on (cmd/bridge does, for the
// traceidratio samplers): tracing then costs little more than the traced
// fraction.
func WithRootSampling(fraction float64) Option {
	return func(b *Bridge) error {
		if !(fraction >= 0 && fraction <= 1) {
			return fmt.Errorf("%w: root sampling %v, want 0 to 1", ErrInvalidOption, fraction)
		}
		b.roots = fraction
		return nil
	}
}

// WithPublishSpans has the routes that trace give each output of a sampled
// input a producer span of its own too, "publish" and the route's Out, a
// child of the input's consumer span, ended once the output is handed to
// NATS; the output carries the producer span's context on rather than the
// consumer span's. Off by default: a sampled input then costs one span, not
// one more per output, and the consumer span is the parent of whatever
// receives the outputs.
func WithPublishSpans(on bool) Option {
	return func(b *Bridge) error {
		b.publishSpans = on
		return nil
	}
}

// Attributes of the bridge's spans. NATS is not a registered messaging
// system of the semantic conventions yet: the names nats.net uses are the
// ones followed (messaging.nats.*), beside the registered messaging.*
// ones. Those the bridge adds are under bridge.*.
const (
	attrSystem        = attribute.Key("messaging.system")
	attrOpName        = attribute.Key("messaging.operation.name")
	attrOpType        = attribute.Key("messaging.operation.type")
	attrDestination   = attribute.Key("messaging.destination.name")
	attrTemplate      = attribute.Key("messaging.destination.template")
	attrGroup         = attribute.Key("messaging.consumer.group.name")
	attrNATSGroup     = attribute.Key("messaging.nats.consumer.group")
	attrReplyTo       = attribute.Key("messaging.nats.message.reply_to")
	attrBodySize      = attribute.Key("messaging.message.body.size")
	attrMessageID     = attribute.Key("messaging.message.id")
	attrStream        = attribute.Key("messaging.nats.js.stream")
	attrConsumer      = attribute.Key("messaging.nats.js.consumer.name")
	attrErrorType     = attribute.Key("error.type")
	attrRoute         = attribute.Key("bridge.route")
	attrOutcome       = attribute.Key("bridge.outcome")
	attrReason        = attribute.Key("bridge.reason")
	attrOutputs       = attribute.Key("bridge.outputs")
	attrSequence      = attribute.Key("bridge.jetstream.sequence")
	attrDeliveryCount = attribute.Key("bridge.jetstream.delivered")
)

// propagator reads and writes W3C trace context: traceparent and
// tracestate.
var propagator propagation.TraceContext

// tracing traces the inputs of one route; a route that does not trace
// has none, and checks for nil only.
type tracing struct {
	tracer      trace.Tracer
	roots       float64 // the fraction of new traces started
	logUntraced float64 // log(1 - roots)
	// skip is how many more inputs without trace context go untraced
	// before the next one is traced. Only the source's callback, one
	// input at a time, counts it down: it needs no lock.
	skip                   int64
	publishSpans           bool   // a producer span per output of a sampled input
	in, out                string // the subjects of the route: the destination templates
	processName, pubName   string
	processOpts, pubOpts   []trace.SpanStartOption
	processAttrs, pubAttrs []attribute.KeyValue // the same for every span
}

// spanAttrs gathers the attributes of a span, to give them in one
// SetAttributes call: the span's slice of them grows with each call. A
// consumer span gets all of its own at its end, those known at its start
// kept with its input until then. Gathered on the stack, as the argument
// of an interface method they would escape to the heap: spanAttrsPool
// keeps them, since the span copies what it is given.
type spanAttrs struct {
	kv  []attribute.KeyValue // in arr, unless it outgrew it
	arr [20]attribute.KeyValue
}

var spanAttrsPool = sync.Pool{New: func() any {
	a := new(spanAttrs)
	a.kv = a.arr[:0]
	return a
}}

func newSpanAttrs() *spanAttrs { return spanAttrsPool.Get().(*spanAttrs) }

func (a *spanAttrs) add(kvs ...attribute.KeyValue) { a.kv = append(a.kv, kvs...) }

// setOn gives sp the attributes and returns a to the pool.
func (a *spanAttrs) setOn(sp trace.Span) {
	sp.SetAttributes(a.kv...)
	clear(a.arr[:min(len(a.kv), len(a.arr))]) // nothing kept alive from the pool
	a.kv = a.arr[:0]
	spanAttrsPool.Put(a)
}

func newTracing(tr trace.Tracer, roots float64, publishSpans bool, cfg RouteConfig) *tracing {
	if tr == nil {
		return nil
	}
	common := []attribute.KeyValue{attrSystem.String("nats"), attrRoute.String(cfg.Name)}
	t := &tracing{
		tracer:       tr,
		roots:        roots,
		publishSpans: publishSpans,
		in:           cfg.In,
		out:          cfg.Out,
		processName:  "process " + cfg.In,
		pubName:      "publish " + cfg.Out,
		processOpts:  []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer)},
		pubOpts:      []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindProducer)},
		processAttrs: append(common[:len(common):len(common)],
			attrOpName.String("process"), attrOpType.String("process")),
		pubAttrs: append(common[:len(common):len(common)],
			attrOpName.String("publish"), attrOpType.String("send")),
	}
	if roots > 0 && roots < 1 {
		t.logUntraced = math.Log1p(-roots)
		t.skip = t.untracedRun()
	}
	group := cfg.Queue
	if cfg.JetStream() {
		group = cfg.Durable
		t.processAttrs = append(t.processAttrs, attrStream.String(cfg.Stream), attrConsumer.String(cfg.Durable))
	}
	if group != "" {
		t.processAttrs = append(t.processAttrs, attrGroup.String(group), attrNATSGroup.String(group))
	}
	return t
}

// begin starts the consumer span of in, a child of the context in its
// headers, if any.
func (t *tracing) begin(in *input) {
	ctx := context.Background()
	continued := false // in carries trace context
	if len(in.a.Meta) > 0 {
		ctx = propagator.Extract(ctx, headerCarrier(in.a.Meta))
		continued = trace.SpanContextFromContext(ctx).IsValid()
	}
	if !continued && t.roots < 1 {
		if t.roots <= 0 || t.skip > 0 {
			if t.skip > 0 {
				t.skip--
			}
			in.traceCtx = nil // not traced: it goes on as it came
			return
		}
		t.skip = t.untracedRun() // this one is traced
	}
	ctx, sp := t.tracer.Start(ctx, t.processName, t.processOpts...)
	in.traceCtx = ctx
	if !sp.IsRecording() {
		return
	}
	// Its attributes are given at its end, with the outcome's, in one call.
	a := newSpanAttrs()
	a.add(t.processAttrs...)
	a.add(attrDestination.String(in.a.Subject), attrBodySize.Int(len(in.a.Payload)))
	if in.a.Subject != t.in {
		// In has wildcards.
		a.add(attrTemplate.String(t.in))
	}
	if in.a.Reply != "" {
		a.add(attrReplyTo.String(in.a.Reply))
	}
	if d := in.js; d != nil {
		a.add(attrSequence.Int64(int64(d.seq)), attrDeliveryCount.Int64(int64(d.delivered)))
	}
	in.spanAttrs = a // for end
}

// untracedRun draws how many inputs without trace context go untraced
// before the next traced one: geometrically distributed, so that each is
// traced with probability roots, independently of the others, as with a
// draw for each, but with one draw for each traced input instead.
func (t *tracing) untracedRun() int64 {
	u := 1 - rand.Float64() // in (0, 1]
	n := math.Floor(math.Log(u) / t.logUntraced)
	if !(n < math.MaxInt64/2) { // roots tiny; or NaN, which cannot be
		return math.MaxInt64 / 2
	}
	return int64(n)
}

// publish gives out, an output of in going to subject, the trace context
// it carries on: that of in's consumer span, or, with publish spans, that
// of the producer span it starts and returns, to end once the sink has the
// output. It returns nil otherwise, and when in is not sampled: then out
// carries in's own span context, so that whoever receives it keeps to the
// sampling decision.
func (t *tracing) publish(in *input, out *artifact.Artifact, subject string) trace.Span {
	ctx := in.traceCtx
	if ctx == nil {
		return nil
	}
	var sp trace.Span
	if t.publishSpans && trace.SpanFromContext(ctx).IsRecording() {
		ctx, sp = t.tracer.Start(ctx, t.pubName, t.pubOpts...)
		a := newSpanAttrs()
		a.add(t.pubAttrs...)
		a.add(attrDestination.String(subject), attrBodySize.Int(len(out.Payload)))
		if subject != t.out {
			// A mapping, or a subject the stage chose.
			a.add(attrTemplate.String(t.out))
		}
		if out.Reply != "" {
			a.add(attrReplyTo.String(out.Reply))
		}
		if id := out.Meta.Get("Nats-Msg-Id"); id != "" {
			a.add(attrMessageID.String(id))
		}
		a.setOn(sp)
	}
	sc := trace.SpanContextFromContext(ctx)
	switch {
	case out.Meta != nil:
		setTraceContext(out.Meta, sc)
	case out == &in.a:
		// An input without headers, its own output: most messages of a
		// route without a stage. A core route reuses its input, and so
		// these headers.
		h := in.traceHeader
		if h == nil {
			h = &traceHeader{h: make(artifact.Metadata, 2)}
			in.traceHeader = h
		}
		h.set(sc)
		out.Meta = h.h
	default:
		out.Meta = make(artifact.Metadata, 2)
		setTraceContext(out.Meta, sc)
	}
	return sp
}

// end ends the consumer span of in with its outcome.
func (t *tracing) end(in *input, o outcome) {
	if in.traceCtx == nil {
		return
	}
	sp := trace.SpanFromContext(in.traceCtx)
	if sp.IsRecording() {
		a := in.spanAttrs
		in.spanAttrs = nil
		if a == nil { // a span that began not recording
			a = newSpanAttrs()
		}
		a.add(attrOutcome.String(o.kind.String()), attrOutputs.Int(int(in.outputs.Load())))
		switch o.kind {
		case failed:
			a.add(attrReason.String(string(o.reason)), attrErrorType.String(string(o.reason)))
			msg := string(o.reason)
			if o.err != nil {
				msg += ": " + o.err.Error()
			}
			sp.SetStatus(codes.Error, msg)
		case dropped:
			a.add(attrReason.String(string(o.reason)))
			sp.SetStatus(codes.Error, "dropped: "+string(o.reason))
		}
		a.setOn(sp)
	}
	sp.End()
}

// String names the outcome, as the bridge.outcome attribute does.
func (k outcomeKind) String() string {
	switch k {
	case processed:
		return "processed"
	case filtered:
		return "filtered"
	case failed:
		return "failed"
	case dropped:
		return "dropped"
	}
	return "unknown"
}
