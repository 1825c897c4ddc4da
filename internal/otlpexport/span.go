package otlpexport

import (
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// spanData is what the encoder reads of a span: an SDK ReadOnlySpan has
// it all, and so has a span of this package's TracerProvider.
type spanData interface {
	SpanContext() trace.SpanContext
	Parent() trace.SpanContext
	Name() string
	SpanKind() trace.SpanKind
	StartTime() time.Time
	EndTime() time.Time
	Attributes() []attribute.KeyValue
	DroppedAttributes() int
	Events() []sdktrace.Event
	DroppedEvents() int
	Links() []sdktrace.Link
	DroppedLinks() int
	Status() sdktrace.Status
	Resource() *resource.Resource
	InstrumentationScope() instrumentation.Scope
}

// span is a span of a TracerProvider: the fields the encoder reads, set
// under mu until the span ends and read only by the exporter after.
type span struct {
	embedded.Span
	tracer *tracer

	mu     sync.Mutex
	ended  bool
	sc     trace.SpanContext
	parent trace.SpanContext
	name   string
	kind   trace.SpanKind
	start  time.Time
	end    time.Time
	status sdktrace.Status

	attrs        []attribute.KeyValue
	index        map[attribute.Key]int // of attrs, once they are many
	droppedAttrs int
	events       []sdktrace.Event
	droppedEvts  int
	links        []sdktrace.Link
	droppedLinks int
}

var (
	_ trace.Span = (*span)(nil)
	_ spanData   = (*span)(nil)
)

// indexFrom is how many attributes a span holds before it looks a key up
// in a map rather than along its slice.
const indexFrom = 16

// SpanContext returns the span's trace and span IDs, flags and trace state.
func (s *span) SpanContext() trace.SpanContext { return s.sc }

// IsRecording reports whether the span has not ended yet.
func (s *span) IsRecording() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.ended
}

// SetAttributes sets kv on the span, as the SDK's span does: a key set
// again takes the new value, invalid attributes and those over the
// attribute count limit are dropped and counted, string values are cut
// to the value length limit.
func (s *span) SetAttributes(kv ...attribute.KeyValue) {
	if len(kv) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	s.setAttributes(kv)
}

func (s *span) setAttributes(kv []attribute.KeyValue) {
	limits := &s.tracer.provider.limits
	if s.attrs == nil && limits.AttributeCountLimit != 0 {
		n := len(kv)
		if limits.AttributeCountLimit > 0 {
			n = min(n, limits.AttributeCountLimit)
		}
		s.attrs = make([]attribute.KeyValue, 0, n)
	}
	for _, a := range kv {
		if !a.Valid() {
			s.droppedAttrs++
			continue
		}
		a = truncateAttr(limits.AttributeValueLengthLimit, a)
		if i := s.find(a.Key); i >= 0 {
			s.attrs[i] = a // updates apply even at the limit
			continue
		}
		if limits.AttributeCountLimit >= 0 && len(s.attrs) >= limits.AttributeCountLimit {
			s.droppedAttrs++
			continue
		}
		s.attrs = append(s.attrs, a)
		if s.index != nil {
			s.index[a.Key] = len(s.attrs) - 1
		}
	}
}

// find returns the index of the attribute key in s.attrs, or -1.
func (s *span) find(key attribute.Key) int {
	if s.index == nil && len(s.attrs) >= indexFrom {
		s.index = make(map[attribute.Key]int, 2*len(s.attrs))
		for i, a := range s.attrs {
			s.index[a.Key] = i
		}
	}
	if s.index != nil {
		if i, ok := s.index[key]; ok {
			return i
		}
		return -1
	}
	for i := range s.attrs {
		if s.attrs[i].Key == key {
			return i
		}
	}
	return -1
}

// truncateAttr cuts the string values of a to limit characters (bytes
// for a byte slice), as the SDK does; a negative limit is none. Slices
// and maps of values (attribute.SLICE, attribute.MAP) are kept whole.
func truncateAttr(limit int, a attribute.KeyValue) attribute.KeyValue {
	if limit < 0 {
		return a
	}
	switch a.Value.Type() {
	case attribute.STRING:
		if s := a.Value.AsString(); len(s) > limit {
			a.Value = attribute.StringValue(truncate(limit, s))
		}
	case attribute.STRINGSLICE:
		ss := a.Value.AsStringSlice()
		for i, s := range ss {
			ss[i] = truncate(limit, s)
		}
		a.Value = attribute.StringSliceValue(ss)
	case attribute.BYTESLICE:
		if b := a.Value.AsByteSlice(); len(b) > limit {
			a.Value = attribute.ByteSliceValue(b[:limit])
		}
	}
	return a
}

// truncate returns the first limit characters of s, invalid bytes
// counting one each.
func truncate(limit int, s string) string {
	if len(s) <= limit {
		return s
	}
	n := 0
	for i := 0; i < len(s); n++ {
		if n == limit {
			return s[:i]
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s
}

// SetStatus sets the span's status as the SDK's span does: Ok is final,
// Error takes the description, Unset changes nothing.
func (s *span) SetStatus(code codes.Code, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended || s.status.Code > code {
		return
	}
	st := sdktrace.Status{Code: code}
	if code == codes.Error {
		st.Description = description
	}
	s.status = st
}

// SetName renames the span.
func (s *span) SetName(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		s.name = name
	}
}

// AddEvent records an event, the oldest dropped over the event count
// limit.
func (s *span) AddEvent(name string, opts ...trace.EventOption) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		s.addEvent(name, trace.NewEventConfig(opts...))
	}
}

func (s *span) addEvent(name string, cfg trace.EventConfig) {
	limits := &s.tracer.provider.limits
	ev := sdktrace.Event{Name: name, Time: cfg.Timestamp()}
	ev.Attributes, ev.DroppedAttributeCount = limitAttrs(cfg.Attributes(), limits.AttributePerEventCountLimit)
	s.events, s.droppedEvts = evict(s.events, s.droppedEvts, ev, limits.EventCountLimit)
}

// RecordError records err as an "exception" event, as the SDK does.
func (s *span) RecordError(err error, opts ...trace.EventOption) {
	if err == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	opts = append(opts, trace.WithAttributes(
		attribute.String("exception.type", typeName(err)),
		attribute.String("exception.message", err.Error())))
	cfg := trace.NewEventConfig(opts...)
	if cfg.StackTrace() {
		cfg = trace.NewEventConfig(append(opts, trace.WithAttributes(attribute.String("exception.stacktrace", stackTrace())))...)
	}
	s.addEvent("exception", cfg)
}

// typeName is the SDK's name for the type of v: its package path and
// name, or the type's spelling for an unnamed one.
func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t.PkgPath() == "" && t.Name() == "" {
		return t.String()
	}
	return fmt.Sprintf("%s.%s", t.PkgPath(), t.Name())
}

func stackTrace() string {
	b := make([]byte, 2048)
	return string(b[:runtime.Stack(b, false)])
}

// AddLink links the span to another, the oldest link dropped over the
// link count limit; a link to nothing is ignored.
func (s *span) AddLink(l trace.Link) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		s.addLink(l)
	}
}

func (s *span) addLink(l trace.Link) {
	if !l.SpanContext.IsValid() && len(l.Attributes) == 0 && l.SpanContext.TraceState().Len() == 0 {
		return
	}
	limits := &s.tracer.provider.limits
	sl := sdktrace.Link{SpanContext: l.SpanContext}
	sl.Attributes, sl.DroppedAttributeCount = limitAttrs(l.Attributes, limits.AttributePerLinkCountLimit)
	s.links, s.droppedLinks = evict(s.links, s.droppedLinks, sl, limits.LinkCountLimit)
}

// limitAttrs returns the first count attributes of an event or a link
// (a negative count is no limit) and how many it dropped; like the SDK, it
// keeps them as they were given otherwise.
func limitAttrs(kv []attribute.KeyValue, count int) ([]attribute.KeyValue, int) {
	if count >= 0 && len(kv) > count {
		return kv[:count:count], len(kv) - count
	}
	return kv, 0
}

// evict appends v to q, first dropping the oldest element when q is at
// limit (a negative limit is none), and returns q and the count dropped.
func evict[T any](q []T, dropped int, v T, limit int) ([]T, int) {
	switch {
	case limit == 0:
		return q, dropped + 1
	case limit > 0 && len(q) >= limit:
		copy(q, q[1:])
		q = q[:limit-1]
		dropped++
	}
	return append(q, v), dropped
}

// End ends the span and queues it for export when it is sampled. Only
// trace.WithTimestamp of the options is honoured; a panic going on is
// recorded as an "exception" event, as the SDK records it.
func (s *span) End(opts ...trace.SpanEndOption) {
	end := s.start.Add(time.Since(s.start)) // monotonic, as the SDK's
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	cfg := trace.NewSpanEndConfig(opts...)
	if r := recover(); r != nil {
		defer panic(r)
		attrs := []attribute.KeyValue{
			attribute.String("exception.type", typeName(r)),
			attribute.String("exception.message", fmt.Sprint(r)),
		}
		if cfg.StackTrace() {
			attrs = append(attrs, attribute.String("exception.stacktrace", stackTrace()))
		}
		s.addEvent("exception", trace.NewEventConfig(trace.WithAttributes(attrs...)))
	}
	if t := cfg.Timestamp(); !t.IsZero() {
		end = t
	}
	s.end, s.ended = end, true
	s.mu.Unlock()
	if s.sc.IsSampled() {
		s.tracer.provider.batch.add(s)
	}
}

// TracerProvider returns the provider of the span's tracer.
func (s *span) TracerProvider() trace.TracerProvider { return s.tracer.provider }

// The encoder's view, read once the span has ended.

func (s *span) Parent() trace.SpanContext                   { return s.parent }
func (s *span) Name() string                                { return s.name }
func (s *span) SpanKind() trace.SpanKind                    { return s.kind }
func (s *span) StartTime() time.Time                        { return s.start }
func (s *span) EndTime() time.Time                          { return s.end }
func (s *span) Attributes() []attribute.KeyValue            { return s.attrs }
func (s *span) DroppedAttributes() int                      { return s.droppedAttrs }
func (s *span) Events() []sdktrace.Event                    { return s.events }
func (s *span) DroppedEvents() int                          { return s.droppedEvts }
func (s *span) Links() []sdktrace.Link                      { return s.links }
func (s *span) DroppedLinks() int                           { return s.droppedLinks }
func (s *span) Status() sdktrace.Status                     { return s.status }
func (s *span) Resource() *resource.Resource                { return s.tracer.provider.res }
func (s *span) InstrumentationScope() instrumentation.Scope { return s.tracer.scope }

// nonRecording is a span the sampler dropped: its context goes on, with
// the sampled flag off, and nothing of it is recorded.
type nonRecording struct {
	embedded.Span
	sc trace.SpanContext
	tp *TracerProvider
}

func (n nonRecording) SpanContext() trace.SpanContext        { return n.sc }
func (nonRecording) IsRecording() bool                       { return false }
func (nonRecording) SetAttributes(...attribute.KeyValue)     {}
func (nonRecording) SetStatus(codes.Code, string)            {}
func (nonRecording) SetName(string)                          {}
func (nonRecording) AddEvent(string, ...trace.EventOption)   {}
func (nonRecording) RecordError(error, ...trace.EventOption) {}
func (nonRecording) AddLink(trace.Link)                      {}
func (nonRecording) End(...trace.SpanEndOption)              {}
func (n nonRecording) TracerProvider() trace.TracerProvider  { return n.tp }
