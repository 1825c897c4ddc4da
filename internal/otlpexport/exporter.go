package otlpexport

import (
	"context"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maxKeptBuffer is the most encoding buffer an exporter keeps from one
// batch to the next when the batch needed less than a quarter of it.
const maxKeptBuffer = 4 << 20

// Exporter is a sdktrace.SpanExporter that encodes spans itself and sends
// them with an OTLP client.
type Exporter struct {
	client otlptrace.Client

	mu      sync.Mutex // one export at a time: the buffers are reused
	buf     []byte     // the encoded spans of the batch
	spans   []*tracepb.Span
	ends    []int // where each span's encoding ends in buf
	groups  []group
	rs      []*tracepb.ResourceSpans
	stopped bool
}

var _ sdktrace.SpanExporter = (*Exporter)(nil)

// group is the spans of one resource and instrumentation scope.
type group struct {
	res   attribute.Distinct
	scope instrumentation.Scope
	rs    *tracepb.ResourceSpans
	ss    *tracepb.ScopeSpans
}

// New starts client and returns an exporter that sends through it.
func New(ctx context.Context, client otlptrace.Client) (*Exporter, error) {
	if err := client.Start(ctx); err != nil {
		return nil, err
	}
	return &Exporter{client: client}, nil
}

// ExportSpans sends spans in one request, grouped by resource and
// instrumentation scope as the SDK's OTLP exporter groups them.
func (e *Exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	return exportSpans(e, ctx, spans)
}

// exportSpans is ExportSpans for any spans the encoder reads: the SDK's,
// and a TracerProvider's own.
func exportSpans[S spanData](e *Exporter, ctx context.Context, spans []S) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped || len(spans) == 0 {
		return nil
	}
	// Encode every span first: buf may move as it grows.
	e.buf, e.ends = e.buf[:0], e.ends[:0]
	for _, s := range spans {
		if any(s) != nil {
			e.buf = appendSpan(e.buf, s)
		}
		e.ends = append(e.ends, len(e.buf))
	}
	for len(e.spans) < len(spans) {
		e.spans = append(e.spans, new(tracepb.Span))
	}
	e.groups = e.groups[:0]
	start := 0
	for i, s := range spans {
		end := e.ends[i]
		if any(s) == nil {
			continue
		}
		ps := e.spans[i]
		ps.ProtoReflect().SetUnknown(protoreflect.RawFields(e.buf[start:end:end]))
		start = end
		g := e.group(s.Resource(), s.InstrumentationScope())
		g.ss.Spans = append(g.ss.Spans, ps)
	}
	e.rs = e.rs[:0]
	for _, g := range e.groups {
		if g.rs != nil {
			e.rs = append(e.rs, g.rs)
		}
	}
	var err error
	if len(e.rs) > 0 { // not only nil spans: the SDK's exporter sends nothing for those either
		err = e.client.UploadTraces(ctx, e.rs)
	}
	// Nothing of this batch kept alive until the next one.
	for _, ps := range e.spans[:len(spans)] {
		ps.ProtoReflect().SetUnknown(nil)
	}
	clear(e.groups)
	clear(e.rs)
	if cap(e.buf) > maxKeptBuffer && len(e.buf) < cap(e.buf)/4 {
		e.buf = nil // one batch of large spans does not hold its memory for good
	}
	if err != nil {
		return fmt.Errorf("traces export: %w", err)
	}
	return nil
}

// group returns the group of res and scope, made on first sight: a
// ResourceSpans per resource, with a ScopeSpans per scope.
func (e *Exporter) group(res *resource.Resource, scope instrumentation.Scope) *group {
	key := res.Equivalent()
	var rs *tracepb.ResourceSpans
	for i := range e.groups {
		g := &e.groups[i]
		if g.res != key {
			continue
		}
		if g.scope == scope {
			return g
		}
		if g.rs != nil {
			rs = g.rs
		}
	}
	ss := &tracepb.ScopeSpans{Scope: scopeProto(scope), SchemaUrl: scope.SchemaURL}
	g := group{res: key, scope: scope, ss: ss}
	if rs == nil {
		rs = &tracepb.ResourceSpans{Resource: resourceProto(res), SchemaUrl: res.SchemaURL()}
		g.rs = rs // the first group of the resource carries it
	}
	rs.ScopeSpans = append(rs.ScopeSpans, ss)
	e.groups = append(e.groups, g)
	return &e.groups[len(e.groups)-1]
}

// Shutdown stops the client; later exports do nothing.
func (e *Exporter) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return nil
	}
	e.stopped = true
	return e.client.Stop(ctx)
}

func resourceProto(r *resource.Resource) *resourcepb.Resource {
	if r == nil {
		return nil
	}
	return &resourcepb.Resource{Attributes: keyValues(r.Iter())}
}

func scopeProto(s instrumentation.Scope) *commonpb.InstrumentationScope {
	if s == (instrumentation.Scope{}) {
		return nil
	}
	return &commonpb.InstrumentationScope{Name: s.Name, Version: s.Version, Attributes: keyValues(s.Attributes.Iter())}
}

// keyValues converts the attributes of a resource or a scope, once a batch:
// as the spans' are, through their encoding.
func keyValues(it attribute.Iterator) []*commonpb.KeyValue {
	if it.Len() == 0 {
		return nil
	}
	out := make([]*commonpb.KeyValue, 0, it.Len())
	for it.Next() {
		kv := new(commonpb.KeyValue)
		kv.ProtoReflect().SetUnknown(appendKeyValueFields(nil, it.Attribute()))
		out = append(out, kv)
	}
	return out
}
