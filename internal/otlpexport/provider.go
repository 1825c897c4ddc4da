package otlpexport

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"
)

// defaultTracerName is the SDK's name for a tracer asked for without one.
const defaultTracerName = "go.opentelemetry.io/otel/sdk/tracer"

// ErrShutdown is returned by ForceFlush after Shutdown.
var ErrShutdown = errors.New("otlpexport: tracer provider shut down")

// TracerProvider is an OpenTelemetry tracer provider that records its
// spans in plain structs and exports them in batches through an Exporter,
// encoding each straight from its struct.
//
// It does what the SDK's provider with a batch span processor does, with
// the SDK's samplers and span limits, at a fraction of the cost per span:
// the SDK's span normalises every attribute as it is set, copies the span
// into a snapshot at its end (deduplicating its attributes through a map)
// and hands the snapshot to its batch goroutine over a channel; a span
// here keeps its attributes as they are set (a key set again replaces its
// value), is itself what the exporter reads, and joins the batch under a
// mutex, the batch goroutine woken once a batch. Differences, none of
// which the bridge's spans meet: attribute values that are slices or maps
// of values (attribute.SLICE, attribute.MAP) are neither cut to the value
// length limit nor deduplicated; the provider has no span processors of
// its own and counts no child spans.
type TracerProvider struct {
	embedded.TracerProvider

	sampler sdktrace.Sampler
	res     *resource.Resource
	limits  sdktrace.SpanLimits
	batch   *batcher

	mu      sync.Mutex
	tracers map[instrumentation.Scope]*tracer
	stopped atomic.Bool
}

var _ trace.TracerProvider = (*TracerProvider)(nil)

// Option configures a TracerProvider.
type Option func(*TracerProvider)

// WithSampler has the provider sample with s; by default, as the SDK's,
// ParentBased(AlwaysSample()).
func WithSampler(s sdktrace.Sampler) Option {
	return func(p *TracerProvider) { p.sampler = s }
}

// WithResource has the provider's spans come from r; by default,
// resource.Default().
func WithResource(r *resource.Resource) Option {
	return func(p *TracerProvider) { p.res = r }
}

// WithSpanLimits sets the limits of each span's attributes, events and
// links; by default sdktrace.NewSpanLimits(), read from the OTEL_SPAN_
// and OTEL_ATTRIBUTE_ variables as the SDK reads them.
func WithSpanLimits(l sdktrace.SpanLimits) Option {
	return func(p *TracerProvider) { p.limits = l }
}

// Batching is how spans are batched for export: the settings of the SDK's
// batch span processor, and its OTEL_BSP_ variables.
type Batching struct {
	MaxQueueSize       int           // spans waiting for export, beyond which new ones are dropped (OTEL_BSP_MAX_QUEUE_SIZE, 2048)
	MaxExportBatchSize int           // spans a request, at most; a full batch is sent at once (OTEL_BSP_MAX_EXPORT_BATCH_SIZE, 512)
	ScheduleDelay      time.Duration // the longest a span waits for its batch to fill (OTEL_BSP_SCHEDULE_DELAY, 5 s)
	ExportTimeout      time.Duration // the longest an export may take (OTEL_BSP_EXPORT_TIMEOUT, 30 s)
}

// DefaultBatching is the SDK batch span processor's defaults.
var DefaultBatching = Batching{
	MaxQueueSize:       sdktrace.DefaultMaxQueueSize,
	MaxExportBatchSize: sdktrace.DefaultMaxExportBatchSize,
	ScheduleDelay:      sdktrace.DefaultScheduleDelay * time.Millisecond,
	ExportTimeout:      sdktrace.DefaultExportTimeout * time.Millisecond,
}

// WithBatching sets how spans are batched; zero fields keep their
// defaults (DefaultBatching), and a batch is never larger than the queue.
func WithBatching(b Batching) Option {
	return func(p *TracerProvider) { p.batch.cfg = b }
}

// WithErrorHandler has the provider report failed exports to h; by
// default otel.Handle.
func WithErrorHandler(h func(error)) Option {
	return func(p *TracerProvider) { p.batch.onError = h }
}

// NewTracerProvider returns a provider whose sampled spans exp exports, and
// starts its batch goroutine, which Shutdown stops.
func NewTracerProvider(exp *Exporter, opts ...Option) *TracerProvider {
	p := &TracerProvider{
		sampler: sdktrace.ParentBased(sdktrace.AlwaysSample()),
		limits:  sdktrace.NewSpanLimits(),
		batch:   &batcher{exp: exp, onError: otel.Handle},
		tracers: make(map[instrumentation.Scope]*tracer),
	}
	for _, o := range opts {
		o(p)
	}
	if p.res == nil {
		p.res = resource.Default()
	}
	p.batch.start()
	return p
}

// Tracer returns the tracer of the instrumentation scope name (and the
// options' version, schema URL and attributes): the same one for the same
// scope. After Shutdown it returns a no-op tracer.
func (p *TracerProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	if p.stopped.Load() {
		return noop.NewTracerProvider().Tracer(name, opts...)
	}
	if name == "" {
		name = defaultTracerName
	}
	c := trace.NewTracerConfig(opts...)
	scope := instrumentation.Scope{Name: name, Version: c.InstrumentationVersion(), SchemaURL: c.SchemaURL(), Attributes: c.InstrumentationAttributes()}
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.tracers[scope]
	if !ok {
		t = &tracer{provider: p, scope: scope}
		p.tracers[scope] = t
	}
	return t
}

// Dropped returns how many sampled spans were dropped because the export
// queue was full.
func (p *TracerProvider) Dropped() uint64 { return p.batch.dropped.Load() }

// ForceFlush exports every span ended so far, within ctx.
func (p *TracerProvider) ForceFlush(ctx context.Context) error {
	if p.stopped.Load() {
		return ErrShutdown
	}
	return p.batch.flush(ctx)
}

// Shutdown exports the spans still queued, within ctx, stops the batch
// goroutine and the exporter; spans that end later are not exported.
// Calls after the first do nothing.
func (p *TracerProvider) Shutdown(ctx context.Context) error {
	if p.stopped.Swap(true) {
		return nil
	}
	err := p.batch.stop(ctx)
	return errors.Join(err, p.batch.exp.Shutdown(ctx))
}

// tracer is the tracer of one instrumentation scope.
type tracer struct {
	embedded.Tracer
	provider *TracerProvider
	scope    instrumentation.Scope
}

// Start starts a span, a child of the span context in ctx unless told
// otherwise, sampled as the provider's sampler decides, as the SDK's
// tracer does.
func (t *tracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if ctx == nil {
		ctx = context.Background()
	}
	cfg := trace.NewSpanStartConfig(opts...)
	var psc trace.SpanContext
	if cfg.NewRoot() {
		ctx = trace.ContextWithSpanContext(ctx, psc)
	} else {
		psc = trace.SpanContextFromContext(ctx)
	}
	tid := psc.TraceID()
	if !tid.IsValid() {
		tid = newTraceID()
	}
	p := t.provider
	res := p.sampler.ShouldSample(sdktrace.SamplingParameters{
		ParentContext: ctx, TraceID: tid, Name: name,
		Kind: cfg.SpanKind(), Attributes: cfg.Attributes(), Links: cfg.Links(),
	})
	flags := psc.TraceFlags() &^ trace.FlagsSampled
	if res.Decision == sdktrace.RecordAndSample {
		flags |= trace.FlagsSampled
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: newSpanID(), TraceFlags: flags, TraceState: res.Tracestate})
	if res.Decision == sdktrace.Drop {
		sp := nonRecording{sc: sc, tp: p}
		return trace.ContextWithSpan(ctx, sp), sp
	}
	s := &span{tracer: t, sc: sc, parent: psc, name: name, kind: trace.ValidateSpanKind(cfg.SpanKind()), start: cfg.Timestamp()}
	if s.start.IsZero() {
		s.start = time.Now()
	}
	for _, l := range cfg.Links() {
		s.addLink(l)
	}
	if len(res.Attributes) > 0 {
		s.setAttributes(res.Attributes)
	}
	if kv := cfg.Attributes(); len(kv) > 0 {
		s.setAttributes(kv)
	}
	return trace.ContextWithSpan(ctx, s), s
}

// newTraceID returns a random, valid trace ID: math/rand/v2's generator
// is ChaCha8, seeded by the runtime, and needs no lock.
func newTraceID() trace.TraceID {
	var id trace.TraceID
	for !id.IsValid() {
		binary.LittleEndian.PutUint64(id[:8], rand.Uint64())
		binary.LittleEndian.PutUint64(id[8:], rand.Uint64())
	}
	return id
}

// newSpanID returns a random, valid span ID.
func newSpanID() trace.SpanID {
	var id trace.SpanID
	for !id.IsValid() {
		binary.LittleEndian.PutUint64(id[:], rand.Uint64())
	}
	return id
}
