package otlpexport

import (
	"bytes"
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// captureClient is an otlptrace.Client that keeps the request each upload
// would send, marshalled as the OTLP clients marshal it.
type captureClient struct {
	requests [][]byte
	started  bool
	stopped  bool
	err      error // returned by UploadTraces
}

func (c *captureClient) Start(context.Context) error { c.started = true; return nil }
func (c *captureClient) Stop(context.Context) error  { c.stopped = true; return nil }
func (c *captureClient) UploadTraces(_ context.Context, rs []*tracepb.ResourceSpans) error {
	b, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: rs})
	if err != nil {
		return err
	}
	c.requests = append(c.requests, b)
	return c.err
}

// request decodes a captured request, its resources in a fixed order (the
// SDK's exporter groups them in a map).
func request(t testing.TB, b []byte) *coltracepb.ExportTraceServiceRequest {
	t.Helper()
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		t.Fatalf("the request does not decode: %v", err)
	}
	key := func(rs *tracepb.ResourceSpans) []byte {
		k, _ := proto.MarshalOptions{Deterministic: true}.Marshal(rs.GetResource())
		return k
	}
	slices.SortFunc(req.ResourceSpans, func(a, b *tracepb.ResourceSpans) int { return bytes.Compare(key(a), key(b)) })
	return &req
}

// exportBoth exports spans through the SDK's OTLP exporter and through
// ours, and fails unless the two requests decode the same.
func exportBoth(t testing.TB, spans []sdktrace.ReadOnlySpan) *coltracepb.ExportTraceServiceRequest {
	t.Helper()
	ctx := context.Background()
	ref, want, exp, got := exporters(t)
	if err := ref.ExportSpans(ctx, spans); err != nil {
		t.Fatal(err)
	}
	// Twice: the second batch reuses what the first left.
	for range 2 {
		if err := exp.ExportSpans(ctx, spans); err != nil {
			t.Fatal(err)
		}
	}
	if len(want.requests) == 0 {
		if len(got.requests) != 0 {
			t.Fatalf("the SDK's exporter sent nothing, ours %d requests", len(got.requests))
		}
		return nil
	}
	if len(got.requests) != 2 {
		t.Fatalf("%d requests, want 2", len(got.requests))
	}
	wantReq := request(t, want.requests[0])
	for i, b := range got.requests {
		if gotReq := request(t, b); !proto.Equal(gotReq, wantReq) {
			t.Fatalf("request %d differs from the SDK exporter's:\n got %v\nwant %v", i, gotReq, wantReq)
		}
	}
	return wantReq
}

// exporters returns the SDK's OTLP exporter and ours, each with the
// client it sends to.
func exporters(t testing.TB) (ref *otlptrace.Exporter, refc *captureClient, exp *Exporter, c *captureClient) {
	t.Helper()
	refc, c = new(captureClient), new(captureClient)
	ref, err := otlptrace.New(context.Background(), refc)
	if err != nil {
		t.Fatal(err)
	}
	if exp, err = New(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return ref, refc, exp, c
}

var (
	traceID = trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	spanID  = trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}
	parent  = trace.SpanID{8, 7, 6, 5, 4, 3, 2, 1}
)

func spanContext(sid trace.SpanID, remote bool, state string) trace.SpanContext {
	ts, err := trace.ParseTraceState(state)
	if err != nil {
		panic(err)
	}
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceID, SpanID: sid, TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: remote,
	})
}

// everyKind is an attribute of each type the API has.
func everyKind() []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("s", "nats"), attribute.String("empty", ""),
		attribute.String("long", strings.Repeat("é", 200)), // a length of two bytes
		attribute.String("longer", strings.Repeat("x", 20000)),
		attribute.Bool("t", true), attribute.Bool("f", false),
		attribute.Int64("i", -42), attribute.Int64("zero", 0), attribute.Int64("max", math.MaxInt64),
		attribute.Float64("d", 3.5), attribute.Float64("dzero", 0), attribute.Float64("nan", math.NaN()),
		attribute.BoolSlice("bs", []bool{true, false}), attribute.Int64Slice("is", []int64{1, -1, 0}),
		attribute.Float64Slice("ds", []float64{0, 1.5}), attribute.StringSlice("ss", []string{"a", ""}),
		attribute.StringSlice("none", nil),
		{Key: "bytes", Value: attribute.ByteSliceValue([]byte{0, 1, 2})},
		{Key: "slice", Value: attribute.SliceValue(attribute.StringValue("a"), attribute.Int64Value(1))},
		{Key: "map", Value: attribute.MapValue(attribute.String("k", "v"), attribute.Int("n", 2))},
		{Key: "unset"},
	}
}

func TestSameAsTheSDKExporter(t *testing.T) {
	start := time.Unix(1_700_000_000, 123)
	res1 := resource.NewSchemaless(attribute.String("service.name", "a"))
	res2 := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0", attribute.String("service.name", "b"))
	scope1 := instrumentation.Scope{Name: "one", Version: "v1"}
	scope2 := instrumentation.Scope{Name: "two", SchemaURL: "https://example.com/s", Attributes: attribute.NewSet(attribute.String("k", "v"))}
	stubs := tracetest.SpanStubs{
		{
			// A root span with nothing but its name.
			Name: "process orders", SpanContext: spanContext(spanID, false, ""), SpanKind: trace.SpanKindConsumer,
			StartTime: start, EndTime: start.Add(time.Millisecond), Resource: res1, InstrumentationScope: scope1,
		},
		{
			// Everything set, with a remote parent.
			Name: "publish", SpanContext: spanContext(spanID, false, "vendor=1,other=two"),
			Parent: spanContext(parent, true, ""), SpanKind: trace.SpanKindProducer,
			StartTime: start, EndTime: start.Add(time.Second), Attributes: everyKind(),
			Events: []sdktrace.Event{
				{Name: "retry", Time: start.Add(time.Microsecond), Attributes: []attribute.KeyValue{attribute.Int("n", 2)}, DroppedAttributeCount: 3},
				{Name: "", Time: time.Time{}},
			},
			Links: []sdktrace.Link{
				{SpanContext: spanContext(parent, true, "a=b"), Attributes: everyKind()[:3], DroppedAttributeCount: 1},
				{SpanContext: spanContext(spanID, false, "")},
			},
			Status:            sdktrace.Status{Code: codes.Error, Description: "decode: bad JSON"},
			DroppedAttributes: 7, DroppedEvents: 1, DroppedLinks: math.MaxInt32 + 10,
			Resource: res1, InstrumentationScope: scope1,
		},
		{
			// A local parent, status OK, another scope of the same
			// resource.
			Name: "ok", SpanContext: spanContext(spanID, false, ""), Parent: spanContext(parent, false, ""),
			SpanKind: trace.SpanKindInternal, StartTime: start, EndTime: start,
			Status: sdktrace.Status{Code: codes.Ok}, Resource: res1, InstrumentationScope: scope2,
		},
		{
			// Another resource; kinds and times at their edges.
			Name: "server", SpanContext: spanContext(spanID, false, ""), SpanKind: trace.SpanKindServer,
			StartTime: time.Unix(0, -5), Resource: res2, InstrumentationScope: scope1,
		},
		{Name: "client", SpanContext: spanContext(spanID, false, ""), SpanKind: trace.SpanKindClient, Resource: res2},
		{Name: "unspecified", SpanContext: spanContext(spanID, false, ""), SpanKind: trace.SpanKind(42), Resource: res2},
		{Name: "no resource", SpanContext: spanContext(spanID, false, "")},
	}
	req := exportBoth(t, stubs.Snapshots())
	spans := 0
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			spans += len(ss.Spans)
		}
	}
	if len(req.ResourceSpans) != 3 || spans != len(stubs) {
		t.Fatalf("%d resources and %d spans, want 3 and %d", len(req.ResourceSpans), spans, len(stubs))
	}
}

// TestSameAsTheSDKExporterFromTheSDK exports spans the SDK made, as the
// bridge's are, in a batch larger than the buffers of the one before.
func TestSameAsTheSDKExporterFromTheSDK(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "bridge"))))
	tr := tp.Tracer("github.com/natsbridge/bridge", trace.WithInstrumentationVersion("v1"))
	for i := range 600 {
		_, sp := tr.Start(context.Background(), "process in", trace.WithSpanKind(trace.SpanKindConsumer))
		sp.SetAttributes(attribute.String("messaging.system", "nats"), attribute.Int("messaging.message.body.size", i))
		if i%3 == 0 {
			sp.SetStatus(codes.Error, "failed")
		}
		sp.End()
	}
	spans := rec.Ended()
	exportBoth(t, spans[:10])
	exportBoth(t, spans)
}

func TestExporterLifecycle(t *testing.T) {
	ctx := context.Background()
	var c captureClient
	exp, err := New(ctx, &c)
	if err != nil {
		t.Fatal(err)
	}
	if !c.started {
		t.Fatal("New did not start the client")
	}
	if err := exp.ExportSpans(ctx, nil); err != nil || len(c.requests) != 0 {
		t.Fatalf("an empty batch: %v, %d requests; want none", err, len(c.requests))
	}
	if err := exp.ExportSpans(ctx, []sdktrace.ReadOnlySpan{nil, nil}); err != nil || len(c.requests) != 0 {
		t.Fatalf("a batch of nil spans: %v, %d requests; want none", err, len(c.requests))
	}
	c.err = context.DeadlineExceeded
	spans := tracetest.SpanStubs{{Name: "a", SpanContext: spanContext(spanID, false, "")}}.Snapshots()
	if err := exp.ExportSpans(ctx, spans); err == nil || !strings.HasPrefix(err.Error(), "traces export: ") {
		t.Fatalf("a failed upload: %v, want traces export: …", err)
	}
	if err := exp.Shutdown(ctx); err != nil || !c.stopped {
		t.Fatalf("Shutdown: %v, client stopped %v", err, c.stopped)
	}
	c.err = nil
	if err := exp.ExportSpans(ctx, spans); err != nil || len(c.requests) != 1 {
		t.Fatalf("after Shutdown: %v, %d requests; want nothing sent", err, len(c.requests))
	}
	if err := exp.Shutdown(ctx); err != nil {
		t.Fatalf("a second Shutdown: %v", err)
	}
}

func TestCloseMessage(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 16383, 16384, 1 << 21} {
		b := []byte{0xff}
		at := openMessage(&b, 7)
		b = append(b, bytes.Repeat([]byte{'x'}, n)...)
		b = closeMessage(b, at)
		var want []byte
		want = append(want, 0xff, 7<<3|2)
		want = appendVarintRaw(want, uint64(n))
		want = append(want, bytes.Repeat([]byte{'x'}, n)...)
		if !bytes.Equal(b, want) {
			t.Fatalf("a message of %d bytes: encoded wrong", n)
		}
	}
}

func appendVarintRaw(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// TestExporterReleasesALargeBuffer: after a batch of large spans, a batch
// of small ones does not keep the large buffer.
func TestExporterReleasesALargeBuffer(t *testing.T) {
	ctx := context.Background()
	exp, err := New(ctx, new(captureClient))
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 64<<10)
	var stubs tracetest.SpanStubs
	for range 100 { // 6.4 MB
		stubs = append(stubs, tracetest.SpanStub{Name: "big", SpanContext: spanContext(spanID, false, ""),
			Attributes: []attribute.KeyValue{attribute.String("big", big)}})
	}
	small := tracetest.SpanStubs{{Name: "small", SpanContext: spanContext(spanID, false, "")}}.Snapshots()
	if err := exp.ExportSpans(ctx, stubs.Snapshots()); err != nil {
		t.Fatal(err)
	}
	if cap(exp.buf) < 100*len(big) {
		t.Fatalf("buffer of %d bytes after the large batch, want it kept until the next", cap(exp.buf))
	}
	for range 2 {
		if err := exp.ExportSpans(ctx, small); err != nil {
			t.Fatal(err)
		}
	}
	if cap(exp.buf) > maxKeptBuffer {
		t.Fatalf("buffer of %d bytes kept after small batches, want at most %d", cap(exp.buf), maxKeptBuffer)
	}
}
