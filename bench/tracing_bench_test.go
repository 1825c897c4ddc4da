package bench_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/otlpexport"
	"github.com/natsbridge/bridge/jq"
)

// BenchmarkBridgePassthroughTraced is BenchmarkBridgePassthrough with
// tracing on, as cmd/bridge sets it up for OTEL_TRACES_SAMPLER=
// parentbased_traceidratio and OTEL_TRACES_SAMPLER_ARG=0.01: the bridge
// starts a trace for one input in a hundred of those without trace
// context (all of them here), whose spans are recorded and go to an
// exporter that discards them; the others go on untouched.
func BenchmarkBridgePassthroughTraced(b *testing.B) {
	benchSystem(b, tracedSystem(0.01), []byte("x"), 128)
}

// BenchmarkBridgeJQTraced is BenchmarkBridgeJQ traced as
// BenchmarkBridgePassthroughTraced is: there the outputs carry a header
// already (Content-Type), and the stage's work dwarfs the span's.
func BenchmarkBridgeJQTraced(b *testing.B) {
	p, err := jq.Compile(`{id: .id, v: .v}`)
	if err != nil {
		b.Fatal(err)
	}
	benchSystem(b, tracedSystem(0.01, p), []byte(`{"id":1,"v":2,"pad":"`), 128)
}

// BenchmarkBridgePassthroughTracedOTLP is BenchmarkBridgePassthroughTraced
// with the tracing cmd/bridge sets up by default, OTLP/HTTP: the spans
// recorded and encoded by internal/otlpexport's tracer provider and sent
// by the OTLP HTTP client, to a receiver in this process that reads each
// export and discards it (as make bench's OTLP sink does), and one input
// in ten traced rather than one in a hundred, so that the cost of the
// traced ones stands out of the noise: the difference in cpu-ns/op from
// BenchmarkBridgePassthrough, times ten, is what a traced input costs,
// span, export and the receiver's share included.
func BenchmarkBridgePassthroughTracedOTLP(b *testing.B) {
	benchOTLP(b, func(client otlptrace.Client) (trace.TracerProvider, func(context.Context) error, error) {
		exp, err := otlpexport.New(b.Context(), client)
		if err != nil {
			return nil, nil, err
		}
		tp := otlpexport.NewTracerProvider(exp)
		return tp, tp.Shutdown, nil
	})
}

// BenchmarkBridgePassthroughTracedOTLPSDKSpans is
// BenchmarkBridgePassthroughTracedOTLP with the SDK's tracer provider and
// batch span processor, exporting through internal/otlpexport's exporter:
// what cmd/bridge did before it recorded its spans itself.
func BenchmarkBridgePassthroughTracedOTLPSDKSpans(b *testing.B) {
	benchOTLP(b, func(client otlptrace.Client) (trace.TracerProvider, func(context.Context) error, error) {
		exp, err := otlpexport.New(b.Context(), client)
		return sdkProvider(exp, err)
	})
}

// BenchmarkBridgePassthroughTracedOTLPSDK is
// BenchmarkBridgePassthroughTracedOTLP with the SDK's tracer provider and
// its OTLP exporter, as cmd/bridge first traced.
func BenchmarkBridgePassthroughTracedOTLPSDK(b *testing.B) {
	benchOTLP(b, func(client otlptrace.Client) (trace.TracerProvider, func(context.Context) error, error) {
		exp, err := otlptrace.New(b.Context(), client)
		return sdkProvider(exp, err)
	})
}

func sdkProvider(exp sdktrace.SpanExporter, err error) (trace.TracerProvider, func(context.Context) error, error) {
	if err != nil {
		return nil, nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())), sdktrace.WithBatcher(exp))
	return tp, tp.Shutdown, nil
}

func benchOTLP(b *testing.B, newProvider func(otlptrace.Client) (trace.TracerProvider, func(context.Context) error, error)) {
	var exports atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		exports.Add(1)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	tp, shutdown, err := newProvider(otlptracehttp.NewClient(otlptracehttp.WithEndpointURL(srv.URL + "/v1/traces")))
	if err != nil {
		b.Fatal(err)
	}
	benchSystem(b, tracedSystemWith(tp, shutdown, 0.1), []byte("x"), 128)
	if b.N >= 1000 && exports.Load() == 0 {
		b.Error("no spans exported")
	}
}

func tracedSystem(ratio float64, p ...*jq.Program) system {
	tp, shutdown, _ := sdkProvider(discard{}, nil)
	return tracedSystemWith(tp, shutdown, ratio, p...)
}

// tracedSystemWith is tracedSystem with the spans of tp, shut down with
// shutdown once the bridge has stopped.
func tracedSystemWith(tp trace.TracerProvider, shutdown func(context.Context) error, ratio float64, p ...*jq.Program) system {
	return func(b *testing.B, url, in, out string) func() {
		rc := bridge.RouteConfig{Name: "bench", In: in, Out: out, PendingMsgs: 1 << 24, PendingBytes: 1 << 30}
		if len(p) > 0 {
			rc.Process = p[0].Process
		}
		stop := runBridge(b, url, rc, true, bridge.WithTracerProvider(tp), bridge.WithRootSampling(ratio))
		return func() {
			stop()
			if err := shutdown(context.Background()); err != nil {
				b.Errorf("tracer provider shutdown: %v", err)
			}
		}
	}
}

// discard is a span exporter that drops what it is given.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }
