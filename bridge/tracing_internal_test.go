package bridge

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/natsbridge/bridge/artifact"
)

func TestHeaderCarrier(t *testing.T) {
	h := artifact.Metadata{"Traceparent": {"a"}, "TRACEPARENT": {"b"}, "X": {"x"}}
	c := headerCarrier(h)
	if got := c.Get("traceparent"); got != "a" && got != "b" {
		t.Errorf("Get = %q, want a spelling's value", got)
	}
	if got := c.Get("tracestate"); got != "" {
		t.Errorf("Get of an absent key = %q", got)
	}
	c.Set("TraceParent", "c")
	if len(h) != 2 || h.Get("traceparent") != "c" || h.Get("X") != "x" {
		t.Errorf("after Set: %v, want traceparent: c and X only", h)
	}
	if keys := c.Keys(); !slices.Equal(slices.Sorted(slices.Values(keys)), []string{"X", "traceparent"}) {
		t.Errorf("Keys = %v", keys)
	}
	if got := headerCarrier(nil).Get("traceparent"); got != "" {
		t.Errorf("Get on no headers = %q", got)
	}
}

// FuzzHeaderCarrier reads a traceparent spelled in any case, with any
// value: extracting never fails loudly, and a context that extracts is
// written back in lower case, alone, and reads back the same.
func FuzzHeaderCarrier(f *testing.F) {
	f.Add(uint16(0), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "k=v")
	f.Add(uint16(1), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "")
	f.Add(uint16(0x7ff), "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "a=1,b=2")
	f.Add(uint16(3), "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "=")
	f.Add(uint16(5), "01-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01-extra", "x")
	f.Fuzz(func(t *testing.T, upper uint16, parent, state string) {
		key := []byte("traceparent")
		for i := range key {
			if upper&(1<<i) != 0 {
				key[i] -= 'a' - 'A'
			}
		}
		h := artifact.Metadata{string(key): {parent}, "Tracestate": {state}, "Other": {"o"}}
		if got := headerCarrier(h).Get("traceparent"); got != parent {
			t.Fatalf("Get under %q = %q, want %q", key, got, parent)
		}
		sc := trace.SpanContextFromContext(propagator.Extract(context.Background(), headerCarrier(h)))
		if !sc.IsValid() {
			return
		}
		ctx := trace.ContextWithSpanContext(context.Background(), sc)
		inject(ctx, h)
		want := propagation.MapCarrier{}
		propagation.TraceContext{}.Inject(ctx, want)
		if h.Get("traceparent") != want.Get("traceparent") || h.Get("tracestate") != want.Get("tracestate") {
			t.Fatalf("wrote %v, OpenTelemetry's propagator writes %v", h, want)
		}
		for k := range h {
			if (strings.EqualFold(k, "traceparent") || strings.EqualFold(k, "tracestate")) && k != strings.ToLower(k) {
				t.Fatalf("after inject, %q is left: %v", k, h)
			}
		}
		if h.Get("Other") != "o" {
			t.Fatalf("after inject, Other is gone: %v", h)
		}
		back := trace.SpanContextFromContext(propagator.Extract(context.Background(), headerCarrier(h)))
		if !back.Equal(sc.WithRemote(true)) {
			t.Fatalf("read back %v, want %v", back, sc)
		}
	})
}

// TestRootSamplingFraction checks that the inputs without trace context
// are traced in the fraction asked for, each independently of the one
// before, and that an input with trace context is traced whatever the
// count.
func TestRootSamplingFraction(t *testing.T) {
	tp := sdktrace.NewTracerProvider() // no processor: spans are recorded, not exported
	defer func() { _ = tp.Shutdown(context.Background()) }()
	const n = 200_000
	for _, roots := range []float64{0, 0.01, 0.5, 1} {
		tr := newTracing(tp.Tracer(TracerName), roots, false, RouteConfig{Name: "r", In: "in", Out: "out"})
		var in input
		traced, pairs, prev := 0, 0, false
		for range n {
			in.fill("in", "", nil, nil, time.Time{})
			tr.begin(&in)
			now := in.traceCtx != nil
			if now {
				traced++
				if prev {
					pairs++
				}
			}
			prev = now
			tr.end(&in, outcome{kind: processed})
		}
		// Within six standard deviations of the binomial's mean.
		mean, sd := n*roots, math.Sqrt(n*roots*(1-roots))
		if math.Abs(float64(traced)-mean) > 6*sd {
			t.Errorf("roots %v: %d of %d traced, want %.0f ± %.0f", roots, traced, n, mean, 6*sd)
		}
		pmean, psd := (n-1)*roots*roots, math.Sqrt((n-1)*roots*roots*(1-roots*roots))
		if math.Abs(float64(pairs)-pmean) > 8*psd {
			t.Errorf("roots %v: %d pairs of traced inputs in a row, want %.0f ± %.0f", roots, pairs, pmean, 8*psd)
		}
		// An input with trace context is continued, not counted.
		skip := tr.skip
		ctx, sp := tp.Tracer("upstream").Start(context.Background(), "upstream")
		h := artifact.Metadata{}
		propagator.Inject(ctx, headerCarrier(h))
		in.fill("in", "", nil, nats.Header(h), time.Time{})
		tr.begin(&in)
		if in.traceCtx == nil || tr.skip != skip {
			t.Errorf("roots %v: an input with trace context: traced %v, skip %d → %d", roots, in.traceCtx != nil, skip, tr.skip)
		}
		tr.end(&in, outcome{kind: processed})
		sp.End()
	}
}
