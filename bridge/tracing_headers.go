package bridge

import (
	"context"
	"encoding/hex"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/natsbridge/bridge/artifact"
)

// inject writes the trace context of ctx into h.
func inject(ctx context.Context, h artifact.Metadata) {
	setTraceContext(h, trace.SpanContextFromContext(ctx))
}

// setTraceContext writes sc into h as W3C trace context, under lower-case
// keys, replacing whatever trace context h carried, in any spelling: an
// input's tracestate belongs to its trace, not necessarily to the span's.
// It writes what propagation.TraceContext.Inject does, without a carrier
// interface in between: this is done for every output.
func setTraceContext(h artifact.Metadata, sc trace.SpanContext) {
	if !sc.IsValid() {
		return
	}
	c := headerCarrier(h)
	c.del("tracestate")
	if ts := sc.TraceState(); ts.Len() > 0 {
		h["tracestate"] = []string{ts.String()}
	}
	c.del("traceparent")
	h["traceparent"] = []string{traceparent(sc)}
}

// traceparent formats sc as a W3C traceparent of version 00.
func traceparent(sc trace.SpanContext) string {
	var b [55]byte
	tid, sid := sc.TraceID(), sc.SpanID()
	b[0], b[1], b[2], b[35], b[52] = '0', '0', '-', '-', '-'
	hex.Encode(b[3:35], tid[:])
	hex.Encode(b[36:52], sid[:])
	// Only the flags the specification defines: sampled and random.
	hex.Encode(b[53:55], []byte{byte(sc.TraceFlags() & (trace.FlagsSampled | trace.FlagsRandom))})
	return string(b[:])
}

// traceHeader is the header map of an output that had none, kept by its
// input for the next message: a core route without a stage reuses its
// input, and with it this map and the slice of its value.
type traceHeader struct {
	h      artifact.Metadata
	parent [1]string
}

func (t *traceHeader) set(sc trace.SpanContext) {
	clear(t.h)
	if !sc.IsValid() {
		return
	}
	if ts := sc.TraceState(); ts.Len() > 0 {
		t.h["tracestate"] = []string{ts.String()}
	}
	t.parent[0] = traceparent(sc)
	t.h["traceparent"] = t.parent[:]
}

// headerCarrier carries trace context in message headers. NATS headers are
// case-sensitive, and producers differ: OpenTelemetry's HTTP carrier
// writes Traceparent, nats-server's message tracing and other NATS
// clients use traceparent. So it reads keys in any case, and writes them
// in lower case, replacing any other spelling.
type headerCarrier artifact.Metadata

var _ propagation.TextMapCarrier = headerCarrier(nil)

// Get returns the first value of key, however its case is spelled.
func (c headerCarrier) Get(key string) string {
	if len(c) == 0 {
		return ""
	}
	if vs := c[key]; len(vs) > 0 {
		return vs[0]
	}
	for k, vs := range c {
		if len(vs) > 0 && len(k) == len(key) && strings.EqualFold(k, key) {
			return vs[0]
		}
	}
	return ""
}

// Set sets key, in lower case, to value alone.
func (c headerCarrier) Set(key, value string) {
	key = strings.ToLower(key)
	c.del(key)
	c[key] = []string{value}
}

// Keys returns the keys of the headers.
func (c headerCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// del removes key in every spelling.
func (c headerCarrier) del(key string) {
	if delete(c, key); len(c) == 0 {
		return
	}
	for k := range c {
		if len(k) == len(key) && strings.EqualFold(k, key) {
			delete(c, k)
		}
	}
}
