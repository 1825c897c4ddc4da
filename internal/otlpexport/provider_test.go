package otlpexport

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// script makes spans with every part of the tracing API, on tracers of
// two scopes, with times given, so that two providers can be compared.
func script(t testing.TB, one, two trace.Tracer) {
	t.Helper()
	start := time.Unix(1_700_000_000, 500)
	at := func(d time.Duration) time.Time { return start.Add(d) }
	remote := trace.ContextWithRemoteSpanContext(context.Background(), spanContext(parent, true, "vendor=1,other=two"))
	unsampled := trace.ContextWithRemoteSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: parent, Remote: true}))

	// A consumer span continuing a remote trace, as the bridge's.
	ctx, sp := one.Start(remote, "process orders.in", trace.WithSpanKind(trace.SpanKindConsumer), trace.WithTimestamp(at(0)))
	sp.SetAttributes(attribute.String("messaging.system", "nats"), attribute.Int("messaging.message.body.size", 128))
	sp.SetAttributes(attribute.String("messaging.system", "NATS"), attribute.String("bridge.outcome", "failed")) // a key set again
	sp.SetStatus(codes.Error, "decode: bad JSON")
	sp.SetStatus(codes.Unset, "ignored")

	// Its child, local parent, with everything.
	_, child := two.Start(ctx, "publish", trace.WithSpanKind(trace.SpanKindProducer), trace.WithTimestamp(at(time.Millisecond)),
		trace.WithAttributes(everyKind()...),
		trace.WithLinks(trace.Link{SpanContext: spanContext(spanID, true, "a=b"), Attributes: everyKind()[:3]}, trace.Link{}))
	child.AddEvent("retry", trace.WithTimestamp(at(2*time.Millisecond)), trace.WithAttributes(attribute.Int("n", 2)))
	child.AddEvent("bare", trace.WithTimestamp(at(3*time.Millisecond)))
	child.RecordError(fmt.Errorf("wrapped: %w", errors.New("boom")), trace.WithTimestamp(at(4*time.Millisecond)))
	child.RecordError(nil)
	child.AddLink(trace.Link{SpanContext: spanContext(parent, false, "")})
	child.SetName("publish orders.out")
	child.SetStatus(codes.Ok, "dropped description")
	child.SetStatus(codes.Error, "too late: Ok is final")
	if !child.IsRecording() {
		t.Error("a span that has not ended is not recording")
	}
	child.End(trace.WithTimestamp(at(5 * time.Millisecond)))
	child.SetAttributes(attribute.String("after", "end"))
	child.End(trace.WithTimestamp(at(time.Hour))) // ends once
	if child.IsRecording() {
		t.Error("an ended span is still recording")
	}
	sp.End(trace.WithTimestamp(at(6 * time.Millisecond)))

	// Not sampled upstream: not exported, its context goes on unsampled.
	_, off := one.Start(unsampled, "unsampled", trace.WithTimestamp(at(0)))
	if off.IsRecording() || off.SpanContext().IsSampled() || off.SpanContext().TraceID() != traceID {
		t.Errorf("an unsampled parent's child: recording %v, sampled %v, trace %v", off.IsRecording(), off.SpanContext().IsSampled(), off.SpanContext().TraceID())
	}
	off.SetAttributes(attribute.Int("n", 1))
	off.End()

	// A new root despite the context, every kind of span.
	for i, k := range []trace.SpanKind{trace.SpanKindServer, trace.SpanKindClient, trace.SpanKindInternal, trace.SpanKindUnspecified, trace.SpanKind(42)} {
		_, r := two.Start(remote, fmt.Sprint("root ", i), trace.WithNewRoot(), trace.WithSpanKind(k), trace.WithTimestamp(at(0)))
		r.End(trace.WithTimestamp(at(time.Duration(i))))
	}
}

// limitedScript is spans over every limit of limits.
func limitedScript(t testing.TB, tr trace.Tracer) {
	t.Helper()
	start := time.Unix(1_700_000_000, 0)
	_, sp := tr.Start(context.Background(), "limited", trace.WithTimestamp(start),
		trace.WithAttributes(attribute.String("a", "abcdefgh"), attribute.String("b", "éééééééé"), attribute.KeyValue{}),
		trace.WithLinks(trace.Link{SpanContext: spanContext(parent, true, ""), Attributes: everyKind()[:4]}))
	sp.SetAttributes(attribute.StringSlice("c", []string{"123456789", "12"}), attribute.String("d", "over the count"),
		attribute.String("a", "updated at the limit"), attribute.KeyValue{Key: "bytes", Value: attribute.ByteSliceValue([]byte("0123456789"))})
	for i := range 4 {
		sp.AddEvent(fmt.Sprint("event ", i), trace.WithTimestamp(start.Add(time.Duration(i))), trace.WithAttributes(everyKind()[:3]...))
	}
	sp.AddLink(trace.Link{SpanContext: spanContext(spanID, false, "")})
	sp.AddLink(trace.Link{SpanContext: spanContext(parent, false, "")})
	sp.End(trace.WithTimestamp(start.Add(time.Second)))
}

var limits = sdktrace.SpanLimits{
	AttributeValueLengthLimit: 5, AttributeCountLimit: 3, EventCountLimit: 2, LinkCountLimit: 2,
	AttributePerEventCountLimit: 1, AttributePerLinkCountLimit: 2, AttributeValueDepthLimit: -1,
}

// compareWithTheSDK runs each script on the SDK's provider with a batch
// span processor and on ours, both exporting through an Exporter, and
// fails unless the requests decode the same once the random IDs are
// numbered in order of appearance.
func compareWithTheSDK(t *testing.T, l sdktrace.SpanLimits, run func(testing.TB, trace.Tracer, trace.Tracer), fix ...func(*coltracepb.ExportTraceServiceRequest)) {
	t.Helper()
	ctx := context.Background()
	res := resource.NewSchemaless(attribute.String("service.name", "nats-bridge"))
	scopeOpts := []trace.TracerOption{trace.WithInstrumentationVersion("v1"),
		trace.WithInstrumentationAttributes(attribute.String("k", "v")), trace.WithSchemaURL("https://example.com/s")}

	refc := new(captureClient)
	refExp, err := New(ctx, refc)
	if err != nil {
		t.Fatal(err)
	}
	ref := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithRawSpanLimits(l),
		sdktrace.WithBatcher(refExp, sdktrace.WithBatchTimeout(time.Hour)))
	run(t, ref.Tracer("one"), ref.Tracer("two", scopeOpts...))
	if err := ref.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	c := new(captureClient)
	exp, err := New(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	tp := NewTracerProvider(exp, WithResource(res), WithSpanLimits(l), WithBatching(Batching{ScheduleDelay: time.Hour}))
	run(t, tp.Tracer("one"), tp.Tracer("two", scopeOpts...))
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if !c.stopped {
		t.Error("Shutdown did not stop the client")
	}

	if len(c.requests) != 1 || len(refc.requests) != 1 {
		t.Fatalf("%d requests, the SDK %d; want 1 each", len(c.requests), len(refc.requests))
	}
	want, got := numberIDs(request(t, refc.requests[0])), numberIDs(request(t, c.requests[0]))
	for _, f := range fix {
		f(want)
		f(got)
	}
	if !proto.Equal(got, want) {
		t.Fatalf("the request differs from the SDK provider's:\n got %v\nwant %v", got, want)
	}
}

// numberIDs replaces the trace and span IDs of req's spans, random, by
// their order of appearance, parents and links included; IDs the scripts
// set (remote parents) stay.
func numberIDs(req *coltracepb.ExportTraceServiceRequest) *coltracepb.ExportTraceServiceRequest {
	fixed := map[string]bool{string(traceID[:]): true, string(spanID[:]): true, string(parent[:]): true}
	seen := map[string][]byte{}
	number := func(id []byte) []byte {
		if len(id) == 0 || fixed[string(id)] {
			return id
		}
		n, ok := seen[string(id)]
		if !ok {
			n = []byte(fmt.Sprint("#", len(seen)))
			seen[string(id)] = n
		}
		return n
	}
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				s.TraceId, s.SpanId, s.ParentSpanId = number(s.TraceId), number(s.SpanId), number(s.ParentSpanId)
				for _, l := range s.Links {
					l.TraceId, l.SpanId = number(l.TraceId), number(l.SpanId)
				}
			}
		}
	}
	return req
}

func TestProviderSameAsTheSDK(t *testing.T) {
	compareWithTheSDK(t, sdktrace.NewSpanLimits(), func(t testing.TB, one, two trace.Tracer) { script(t, one, two) })
}

func TestProviderSameAsTheSDKOverLimits(t *testing.T) {
	compareWithTheSDK(t, limits, func(t testing.TB, one, _ trace.Tracer) { limitedScript(t, one) })
	zero := sdktrace.SpanLimits{AttributeValueLengthLimit: 0, AttributeCountLimit: 0, EventCountLimit: 0, LinkCountLimit: 0,
		AttributePerEventCountLimit: 0, AttributePerLinkCountLimit: 0, AttributeValueDepthLimit: -1}
	compareWithTheSDK(t, zero, func(t testing.TB, one, _ trace.Tracer) { limitedScript(t, one) },
		func(req *coltracepb.ExportTraceServiceRequest) {
			// The SDK's snapshot reports the events and links dropped only
			// when some are kept; ours reports them always.
			s := req.ResourceSpans[0].ScopeSpans[0].Spans[0]
			if s.DroppedEventsCount != 0 && s.DroppedEventsCount != 4 || s.DroppedLinksCount != 0 && s.DroppedLinksCount != 3 {
				t.Errorf("dropped %d events and %d links, want 4 and 3", s.DroppedEventsCount, s.DroppedLinksCount)
			}
			s.DroppedEventsCount, s.DroppedLinksCount = 0, 0
		})
}

// TestProviderManyAttributes sets more attributes than a span looks up
// along its slice, each twice.
func TestProviderManyAttributes(t *testing.T) {
	compareWithTheSDK(t, sdktrace.NewSpanLimits(), func(_ testing.TB, one, _ trace.Tracer) {
		_, sp := one.Start(context.Background(), "many", trace.WithTimestamp(time.Unix(1, 0)))
		for round := range 2 {
			for i := range 3 * indexFrom {
				sp.SetAttributes(attribute.Int(fmt.Sprint("k", i), round*1000+i))
			}
		}
		sp.End(trace.WithTimestamp(time.Unix(2, 0)))
	})
}

func TestProviderSamplers(t *testing.T) {
	for _, s := range []sdktrace.Sampler{sdktrace.NeverSample(), sdktrace.TraceIDRatioBased(0.5), sdktrace.ParentBased(sdktrace.NeverSample())} {
		t.Run(s.Description(), func(t *testing.T) {
			compareWithTheSDK(t, sdktrace.NewSpanLimits(), func(_ testing.TB, one, _ trace.Tracer) {
				ctx := trace.ContextWithRemoteSpanContext(context.Background(), spanContext(parent, true, ""))
				for i := range 200 {
					// The ratio sampler decides on the trace ID: these
					// are fixed, one a span.
					sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{byte(i + 1), 0, 0, 0, 0, 0, 0, 0, byte(i)}, SpanID: spanID, Remote: true})
					if i%2 == 0 {
						sc = sc.WithTraceFlags(trace.FlagsSampled)
					}
					_, sp := one.Start(trace.ContextWithRemoteSpanContext(ctx, sc), fmt.Sprint(i), trace.WithTimestamp(time.Unix(1, 0)))
					sp.End(trace.WithTimestamp(time.Unix(2, 0)))
				}
			})
		})
	}
}

// TestProviderRecordsAPanic ends a span while a panic goes on, as a
// deferred End does.
func TestProviderRecordsAPanic(t *testing.T) {
	compareWithTheSDK(t, sdktrace.NewSpanLimits(), func(t testing.TB, one, _ trace.Tracer) {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the panic going on", r)
			}
		}()
		_, sp := one.Start(context.Background(), "panics", trace.WithTimestamp(time.Unix(1, 0)))
		defer sp.End(trace.WithTimestamp(time.Unix(2, 0)))
		panic("boom")
	}, func(req *coltracepb.ExportTraceServiceRequest) {
		// The event's time is when the span ended.
		ev := req.ResourceSpans[0].ScopeSpans[0].Spans[0].Events[0]
		if ev.TimeUnixNano == 0 {
			t.Error("the exception event has no time")
		}
		ev.TimeUnixNano = 0
	})
}

// gateClient holds each upload until the test lets it go, and counts the
// spans it was given.
type gateClient struct {
	entered chan int      // the spans of each upload, as it starts
	release chan struct{} // one upload goes on per value
	err     error

	mu    sync.Mutex
	spans int
}

func newGateClient() *gateClient {
	return &gateClient{entered: make(chan int, 100), release: make(chan struct{}, 100)}
}

func (*gateClient) Start(context.Context) error { return nil }
func (*gateClient) Stop(context.Context) error  { return nil }
func (c *gateClient) UploadTraces(ctx context.Context, rs []*tracepb.ResourceSpans) error {
	n := 0
	for _, r := range rs {
		for _, ss := range r.ScopeSpans {
			n += len(ss.Spans)
		}
	}
	c.entered <- n
	select {
	case <-c.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	c.mu.Lock()
	c.spans += n
	c.mu.Unlock()
	return c.err
}

func (c *gateClient) exported() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.spans
}

// waitUpload returns the span count of the next upload to start, failing
// after a deadline.
func (c *gateClient) waitUpload(t *testing.T) int {
	t.Helper()
	select {
	case n := <-c.entered:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no upload within 10 s")
		return 0
	}
}

func newGated(t *testing.T, b Batching, opts ...Option) (*TracerProvider, *gateClient) {
	t.Helper()
	c := newGateClient()
	exp, err := New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	tp := NewTracerProvider(exp, append([]Option{WithBatching(b)}, opts...)...)
	t.Cleanup(func() {
		for range 100 {
			c.release <- struct{}{}
		}
		_ = tp.Shutdown(context.Background())
	})
	return tp, c
}

func endSpans(tr trace.Tracer, n int) {
	for range n {
		_, sp := tr.Start(context.Background(), "s")
		sp.End()
	}
}

func TestProviderSendsAFullBatchAtOnce(t *testing.T) {
	tp, c := newGated(t, Batching{MaxExportBatchSize: 3, ScheduleDelay: time.Hour})
	endSpans(tp.Tracer("t"), 7)
	if n := c.waitUpload(t); n != 3 {
		t.Fatalf("the first upload has %d spans, want a full batch of 3", n)
	}
	c.release <- struct{}{}
	if n := c.waitUpload(t); n != 3 {
		t.Fatalf("the second upload has %d spans, want 3", n)
	}
	c.release <- struct{}{}
	select {
	case n := <-c.entered:
		t.Fatalf("an upload of %d spans before the schedule delay: only full batches go at once", n)
	default:
	}
	// The seventh goes on Shutdown.
	c.release <- struct{}{}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := c.exported(); n != 7 {
		t.Fatalf("%d spans exported, want 7", n)
	}
}

func TestProviderSendsAfterTheScheduleDelay(t *testing.T) {
	tp, c := newGated(t, Batching{ScheduleDelay: 10 * time.Millisecond})
	endSpans(tp.Tracer("t"), 2)
	if n := c.waitUpload(t); n != 2 {
		t.Fatalf("the upload has %d spans, want 2", n)
	}
}

func TestProviderDropsOverAFullQueue(t *testing.T) {
	var errs []error
	var mu sync.Mutex
	tp, c := newGated(t, Batching{MaxQueueSize: 4, MaxExportBatchSize: 8, ScheduleDelay: time.Hour},
		WithErrorHandler(func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }))
	tr := tp.Tracer("t")
	endSpans(tr, 4) // a full batch: the batch is never larger than the queue
	if n := c.waitUpload(t); n != 4 {
		t.Fatalf("the first upload has %d spans, want 4", n)
	}
	endSpans(tr, 6) // the queue takes 4 while the upload waits
	if d := tp.Dropped(); d != 2 {
		t.Fatalf("%d spans dropped, want 2", d)
	}
	c.err = errors.New("receiver down")
	c.release <- struct{}{}
	if n := c.waitUpload(t); n != 4 {
		t.Fatalf("the second upload has %d spans, want 4", n)
	}
	c.release <- struct{}{}
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := c.exported(); n != 8 {
		t.Fatalf("%d spans exported, want 8", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) != 2 || !strings.Contains(errs[1].Error(), "receiver down") {
		t.Fatalf("errors handled: %v, want the two failed uploads'", errs)
	}
}

func TestProviderLifecycle(t *testing.T) {
	c := new(captureClient)
	exp, err := New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	tp := NewTracerProvider(exp)
	tr := tp.Tracer("t")
	if tp.Tracer("t") != tr || tp.Tracer("t", trace.WithInstrumentationVersion("v2")) == tr {
		t.Error("Tracer does not return the same tracer for the same scope, and only then")
	}
	if s := tp.Tracer("").(*tracer).scope.Name; s != defaultTracerName {
		t.Errorf("a tracer without a name has scope %q, want %q", s, defaultTracerName)
	}
	endSpans(tr, 3)
	if err := tp.ForceFlush(context.Background()); err != nil || len(c.requests) != 1 {
		t.Fatalf("ForceFlush: %v, %d requests; want one", err, len(c.requests))
	}
	if err := tp.ForceFlush(context.Background()); err != nil || len(c.requests) != 1 {
		t.Fatalf("ForceFlush of nothing: %v, %d requests; want none more", err, len(c.requests))
	}
	_, open := tr.Start(context.Background(), "ends after shutdown")
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !c.stopped {
		t.Error("Shutdown did not stop the client")
	}
	open.End()
	endSpans(tr, 2)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Errorf("a second Shutdown: %v", err)
	}
	if err := tp.ForceFlush(context.Background()); !errors.Is(err, ErrShutdown) {
		t.Errorf("ForceFlush after Shutdown: %v, want ErrShutdown", err)
	}
	if len(c.requests) != 1 || tp.Dropped() != 0 {
		t.Errorf("%d requests and %d dropped after Shutdown; want 1 and 0", len(c.requests), tp.Dropped())
	}
	if _, sp := tp.Tracer("t").Start(context.Background(), "x"); sp.IsRecording() {
		t.Error("a tracer from a provider shut down records")
	}
}

// TestProviderShutdownHonoursItsContext shuts down with an upload that does
// not return until its context ends: the last one, or one under way before
// Shutdown.
func TestProviderShutdownHonoursItsContext(t *testing.T) {
	for _, underWay := range []bool{false, true} {
		t.Run(fmt.Sprint("under way ", underWay), func(t *testing.T) {
			b := Batching{ScheduleDelay: time.Hour}
			if underWay {
				b.MaxExportBatchSize = 1
			}
			tp, c := newGated(t, b)
			endSpans(tp.Tracer("t"), 1)
			if underWay {
				c.waitUpload(t)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if err := tp.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Shutdown: %v, want the deadline", err)
			}
			if c.exported() != 0 {
				t.Fatal("the upload went on")
			}
		})
	}
}

// TestProviderConcurrent ends spans from several goroutines, flushing
// meanwhile: every span is exported once (run with -race).
func TestProviderConcurrent(t *testing.T) {
	c := newGateClient()
	close(c.release)
	go func() {
		for range c.entered {
		}
	}()
	exp, err := New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	tp := NewTracerProvider(exp, WithBatching(Batching{MaxQueueSize: 1 << 20, MaxExportBatchSize: 64, ScheduleDelay: time.Millisecond}))
	tr := tp.Tracer("t")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range 2000 {
				ctx, sp := tr.Start(context.Background(), "parent")
				_, child := tr.Start(ctx, "child")
				child.SetAttributes(attribute.Int("i", i))
				wg.Go(func() { child.End() }) // from another goroutine
				sp.SetStatus(codes.Error, "x")
				sp.End()
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			_ = tp.ForceFlush(context.Background())
		}
	})
	wg.Wait()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(c.entered)
	if n := c.exported(); n+int(tp.Dropped()) != 4*2000*2 {
		t.Fatalf("%d exported and %d dropped, want %d in all", n, tp.Dropped(), 4*2000*2)
	}
}
