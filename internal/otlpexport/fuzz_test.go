package otlpexport

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
)

// fuzzSpan builds a span from the fuzzer's values, with text as given or,
// with valid, made valid UTF-8 the way the encoder makes it.
func fuzzSpan(name, key, text string, n int64, f float64, bits uint8, valid bool) tracetest.SpanStub {
	fix := func(s string) string {
		if valid {
			return strings.ToValidUTF8(s, string(utf8.RuneError))
		}
		return s
	}
	var tid trace.TraceID
	var sid trace.SpanID
	copy(tid[:], name+"................")
	copy(sid[:], text+"........")
	attrs := []attribute.KeyValue{
		attribute.String(fix(key), fix(text)), attribute.Int64(fix(key)+"n", n), attribute.Float64("f", f),
		attribute.Bool("b", bits&1 != 0), attribute.StringSlice("ss", []string{fix(text), fix(name)}),
		{Key: attribute.Key(fix(key)), Value: attribute.MapValue(attribute.String(fix(text), fix(name)))},
	}
	s := tracetest.SpanStub{
		Name:        fix(name),
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.TraceFlags(bits)}),
		SpanKind:    trace.SpanKind(bits % 8),
		StartTime:   time.Unix(0, n), EndTime: time.Unix(0, n).Add(time.Duration(bits)),
		Attributes:        attrs[:int(bits)%(len(attrs)+1)],
		DroppedAttributes: int(bits >> 4),
		Status:            sdktrace.Status{Code: codes.Code(bits % 3), Description: fix(text)},
	}
	if bits&2 != 0 {
		s.Parent = trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{1}, Remote: bits&4 != 0})
	}
	if bits&8 != 0 {
		s.Events = []sdktrace.Event{{Name: fix(name), Time: time.Unix(0, n), Attributes: attrs[:1]}}
		s.Links = []sdktrace.Link{{SpanContext: s.Parent, Attributes: attrs[1:2], DroppedAttributeCount: int(bits)}}
	}
	return s
}

// FuzzSameAsTheSDKExporter checks that a span of any names, attribute
// values and settings encodes as the SDK's exporter encodes it, once its
// text is valid UTF-8 (which the SDK's exporter requires, and ours makes).
func FuzzSameAsTheSDKExporter(f *testing.F) {
	f.Add("process orders", "messaging.system", "nats", int64(1_700_000_000_000_000_000), 3.5, uint8(0xff))
	f.Add("", "", "", int64(0), 0.0, uint8(0))
	f.Add("a\xffb", "k\xc3", strings.Repeat("é", 100), int64(-1), math.Inf(-1), uint8(0x2a))
	f.Fuzz(func(t *testing.T, name, key, text string, n int64, fl float64, bits uint8) {
		ctx := context.Background()
		ref, want, exp, got := exporters(t)
		if err := ref.ExportSpans(ctx, tracetest.SpanStubs{fuzzSpan(name, key, text, n, fl, bits, true)}.Snapshots()); err != nil {
			t.Fatalf("the SDK's exporter: %v", err)
		}
		if err := exp.ExportSpans(ctx, tracetest.SpanStubs{fuzzSpan(name, key, text, n, fl, bits, false)}.Snapshots()); err != nil {
			t.Fatalf("ours: %v", err)
		}
		if w, g := request(t, want.requests[0]), request(t, got.requests[0]); !proto.Equal(g, w) {
			t.Fatalf("differs from the SDK exporter's:\n got %v\nwant %v", g, w)
		}
	})
}
