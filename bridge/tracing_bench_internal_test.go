package bridge

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The tracing of one input of a passthrough route, without NATS: its
// consumer span begun, its output given trace context, the span ended,
// with the SDK and a batch span processor whose exporter discards the
// spans. The inputs carry no trace context, and roots of them start a
// trace: BenchmarkTracingRoots0 is what every input pays when tracing is
// on, BenchmarkTracingRoots1 what a traced input pays on top (the
// export aside).
func benchTracing(b *testing.B, roots float64) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
		sdktrace.WithBatcher(discardSpans{}))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	t := newTracing(tp.Tracer(TracerName), roots, false, RouteConfig{Name: "bench", In: "bench.in", Out: "bench.out"})
	var in input
	in.fill("bench.in", "", make([]byte, 128), nil, time.Time{})
	b.ReportAllocs()
	for b.Loop() {
		in.a.Meta = nil // as it came
		t.begin(&in)
		t.publish(&in, &in.a, "bench.out")
		t.end(&in, outcome{kind: processed})
	}
}

func BenchmarkTracingRoots0(b *testing.B)   { benchTracing(b, 0) }
func BenchmarkTracingRoots001(b *testing.B) { benchTracing(b, 0.01) }
func BenchmarkTracingRoots1(b *testing.B)   { benchTracing(b, 1) }

// discardSpans is a span exporter that drops what it is given.
type discardSpans struct{}

func (discardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardSpans) Shutdown(context.Context) error                             { return nil }
