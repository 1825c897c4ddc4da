package otlpexport

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// marshalClient marshals each upload, as the OTLP clients do, and drops
// it.
type marshalClient struct{ bytes int }

func (*marshalClient) Start(context.Context) error { return nil }
func (*marshalClient) Stop(context.Context) error  { return nil }
func (c *marshalClient) UploadTraces(_ context.Context, rs []*tracepb.ResourceSpans) error {
	for _, r := range rs {
		b, err := proto.Marshal(r)
		if err != nil {
			return err
		}
		c.bytes += len(b)
	}
	return nil
}

// BenchmarkExport exports batches of 512 spans like the bridge's consumer
// spans (ten attributes) with the SDK's OTLP exporter and with this one,
// each to a client that marshals the request: the figures are per span.
func BenchmarkExport(b *testing.B) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "nats-bridge"))))
	tr := tp.Tracer("github.com/natsbridge/bridge")
	for range 512 {
		_, sp := tr.Start(context.Background(), "process orders.in", trace.WithSpanKind(trace.SpanKindConsumer))
		sp.SetAttributes(attribute.String("messaging.system", "nats"), attribute.String("bridge.route", "orders"),
			attribute.String("messaging.operation.name", "process"), attribute.String("messaging.operation.type", "process"),
			attribute.String("messaging.destination.name", "orders.in"), attribute.Int("messaging.message.body.size", 128),
			attribute.String("bridge.outcome", "failed"), attribute.Int("bridge.outputs", 0),
			attribute.String("bridge.reason", "decode"), attribute.String("error.type", "decode"))
		sp.SetStatus(codes.Error, "decode: invalid character")
		sp.End()
	}
	spans := rec.Ended()
	for _, bm := range []struct {
		name string
		new  func(otlptrace.Client) (sdktrace.SpanExporter, error)
	}{
		{"sdk", func(c otlptrace.Client) (sdktrace.SpanExporter, error) { return otlptrace.New(context.Background(), c) }},
		{"direct", func(c otlptrace.Client) (sdktrace.SpanExporter, error) { return New(context.Background(), c) }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			var c marshalClient
			exp, err := bm.new(&c)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := exp.ExportSpans(context.Background(), spans); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(spans)), "ns/span")
			b.ReportMetric(float64(c.bytes)/float64(b.N*len(spans)), "B/span-sent")
		})
	}
}

// BenchmarkSpan records spans like the bridge's consumer span (started
// with its kind, ten attributes given at its end, an error status) with
// the SDK's tracer provider and batch span processor, and with this
// package's, both exporting through an Exporter to a client that marshals
// the requests: what a traced message costs the tracing, per span.
func BenchmarkSpan(b *testing.B) {
	attrs := []attribute.KeyValue{attribute.String("messaging.system", "nats"), attribute.String("bridge.route", "orders"),
		attribute.String("messaging.operation.name", "process"), attribute.String("messaging.operation.type", "process"),
		attribute.String("messaging.destination.name", "orders.in"), attribute.Int("messaging.message.body.size", 128),
		attribute.String("bridge.outcome", "failed"), attribute.Int("bridge.outputs", 0),
		attribute.String("bridge.reason", "decode"), attribute.String("error.type", "decode")}
	res := resource.NewSchemaless(attribute.String("service.name", "nats-bridge"))
	for _, bm := range []struct {
		name string
		new  func(*Exporter) (trace.TracerProvider, func(context.Context) error)
	}{
		{"sdk", func(exp *Exporter) (trace.TracerProvider, func(context.Context) error) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(exp))
			return tp, tp.Shutdown
		}},
		{"direct", func(exp *Exporter) (trace.TracerProvider, func(context.Context) error) {
			tp := NewTracerProvider(exp, WithResource(res))
			return tp, tp.Shutdown
		}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			exp, err := New(context.Background(), new(marshalClient))
			if err != nil {
				b.Fatal(err)
			}
			tp, shutdown := bm.new(exp)
			tr := tp.Tracer("github.com/natsbridge/bridge")
			opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer)}
			b.ReportAllocs()
			for b.Loop() {
				_, sp := tr.Start(context.Background(), "process orders.in", opts...)
				sp.SetAttributes(attrs...)
				sp.SetStatus(codes.Error, "decode: invalid character")
				sp.End()
			}
			if err := shutdown(context.Background()); err != nil {
				b.Fatal(err)
			}
		})
	}
}
