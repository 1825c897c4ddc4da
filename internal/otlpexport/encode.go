package otlpexport

import (
	"math"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of opentelemetry/proto/trace/v1/trace.proto and
// common/v1/common.proto.
const (
	spanTraceID       = 1
	spanSpanID        = 2
	spanTraceState    = 3
	spanParentSpanID  = 4
	spanName          = 5
	spanKind          = 6
	spanStart         = 7
	spanEnd           = 8
	spanAttributes    = 9
	spanDroppedAttrs  = 10
	spanEvents        = 11
	spanDroppedEvents = 12
	spanLinks         = 13
	spanDroppedLinks  = 14
	spanStatus        = 15
	spanFlags         = 16

	eventTime         = 1
	eventName         = 2
	eventAttributes   = 3
	eventDroppedAttrs = 4

	linkTraceID      = 1
	linkSpanID       = 2
	linkAttributes   = 4
	linkDroppedAttrs = 5
	linkFlags        = 6

	statusMessage = 2
	statusCode    = 3

	kvKey   = 1
	kvValue = 2

	anyString = 1
	anyBool   = 2
	anyInt    = 3
	anyDouble = 4
	anyArray  = 5
	anyKVList = 6
	anyBytes  = 7

	listValues = 1 // of ArrayValue and KeyValueList

	// SpanFlags: the span says whether its parent is remote, and if so it
	// is.
	flagHasIsRemote = 0x100
	flagIsRemote    = 0x200

	// OTLP's Status.StatusCode.
	statusOK    = 1
	statusError = 2
)

// appendSpan appends the encoding of s as a tracepb.Span's fields, the
// fields the SDK's OTLP exporter sets (its tracetransform package).
func appendSpan(b []byte, s spanData) []byte {
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	b = appendBytes(b, spanTraceID, tid[:])
	b = appendBytes(b, spanSpanID, sid[:])
	if ts := sc.TraceState(); ts.Len() > 0 {
		b = appendString(b, spanTraceState, ts.String())
	}
	parent := s.Parent()
	if psid := parent.SpanID(); psid.IsValid() {
		b = appendBytes(b, spanParentSpanID, psid[:])
	}
	b = appendString(b, spanName, s.Name())
	b = appendVarint(b, spanKind, uint64(kind(s.SpanKind())))
	b = appendFixed64(b, spanStart, unixNano(s.StartTime().UnixNano()))
	b = appendFixed64(b, spanEnd, unixNano(s.EndTime().UnixNano()))
	for _, kv := range s.Attributes() {
		b = appendKeyValue(b, spanAttributes, kv)
	}
	b = appendVarint(b, spanDroppedAttrs, clampUint32(s.DroppedAttributes()))
	for _, ev := range s.Events() {
		at := openMessage(&b, spanEvents)
		b = appendFixed64(b, eventTime, unixNano(ev.Time.UnixNano()))
		b = appendString(b, eventName, ev.Name)
		for _, kv := range ev.Attributes {
			b = appendKeyValue(b, eventAttributes, kv)
		}
		b = appendVarint(b, eventDroppedAttrs, clampUint32(ev.DroppedAttributeCount))
		b = closeMessage(b, at)
	}
	b = appendVarint(b, spanDroppedEvents, clampUint32(s.DroppedEvents()))
	for _, l := range s.Links() {
		at := openMessage(&b, spanLinks)
		ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		b = appendBytes(b, linkTraceID, ltid[:])
		b = appendBytes(b, linkSpanID, lsid[:])
		for _, kv := range l.Attributes {
			b = appendKeyValue(b, linkAttributes, kv)
		}
		b = appendVarint(b, linkDroppedAttrs, clampUint32(l.DroppedAttributeCount))
		b = appendFixed32(b, linkFlags, flags(l.SpanContext.TraceFlags(), l.SpanContext))
		b = closeMessage(b, at)
	}
	b = appendVarint(b, spanDroppedLinks, clampUint32(s.DroppedLinks()))
	// Status is always there, if empty.
	st := s.Status()
	at := openMessage(&b, spanStatus)
	b = appendString(b, statusMessage, st.Description)
	switch st.Code {
	case codes.Ok:
		b = appendVarint(b, statusCode, statusOK)
	case codes.Error:
		b = appendVarint(b, statusCode, statusError)
	}
	b = closeMessage(b, at)
	return appendFixed32(b, spanFlags, flags(sc.TraceFlags(), parent))
}

// kind is OTLP's Span.SpanKind of k: the same numbers, unknown ones
// unspecified.
func kind(k trace.SpanKind) trace.SpanKind {
	if k < trace.SpanKindInternal || k > trace.SpanKindConsumer {
		return trace.SpanKindUnspecified
	}
	return k
}

// flags are OTLP's SpanFlags: the W3C trace flags, and whether the parent
// is remote.
func flags(tf trace.TraceFlags, parent trace.SpanContext) uint32 {
	f := uint32(tf) | flagHasIsRemote
	if parent.IsRemote() {
		f |= flagIsRemote
	}
	return f
}

func unixNano(ns int64) uint64 { return uint64(max(0, ns)) }

func clampUint32(v int) uint64 { return uint64(min(max(v, 0), math.MaxUint32)) }

// appendKeyValue appends kv as the KeyValue field num.
func appendKeyValue(b []byte, num protowire.Number, kv attribute.KeyValue) []byte {
	at := openMessage(&b, num)
	b = appendKeyValueFields(b, kv)
	return closeMessage(b, at)
}

// appendKeyValueFields appends the fields of kv as a KeyValue.
func appendKeyValueFields(b []byte, kv attribute.KeyValue) []byte {
	b = appendString(b, kvKey, string(kv.Key))
	return appendAnyValue(b, kvValue, kv.Value)
}

// appendAnyValue appends v as the AnyValue field num. The members of its
// oneof are written even when zero: that is how a oneof says which it is.
func appendAnyValue(b []byte, num protowire.Number, v attribute.Value) []byte {
	at := openMessage(&b, num)
	switch v.Type() {
	case attribute.BOOL:
		b = protowire.AppendTag(b, anyBool, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeBool(v.AsBool()))
	case attribute.INT64:
		b = protowire.AppendTag(b, anyInt, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(v.AsInt64()))
	case attribute.FLOAT64:
		b = protowire.AppendTag(b, anyDouble, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(v.AsFloat64()))
	case attribute.STRING:
		b = protowire.AppendTag(b, anyString, protowire.BytesType)
		b = appendUTF8(b, v.AsString())
	case attribute.BYTESLICE:
		b = protowire.AppendTag(b, anyBytes, protowire.BytesType)
		b = protowire.AppendBytes(b, v.AsByteSlice())
	case attribute.BOOLSLICE:
		b = appendArray(b, v.AsBoolSlice(), attribute.BoolValue)
	case attribute.INT64SLICE:
		b = appendArray(b, v.AsInt64Slice(), attribute.Int64Value)
	case attribute.FLOAT64SLICE:
		b = appendArray(b, v.AsFloat64Slice(), attribute.Float64Value)
	case attribute.STRINGSLICE:
		b = appendArray(b, v.AsStringSlice(), attribute.StringValue)
	case attribute.SLICE:
		b = appendArray(b, v.AsSlice(), func(x attribute.Value) attribute.Value { return x })
	case attribute.MAP:
		list := openMessage(&b, anyKVList)
		for _, kv := range v.AsMap() {
			b = appendKeyValue(b, listValues, kv)
		}
		b = closeMessage(b, list)
	case attribute.EMPTY:
	default:
		b = protowire.AppendTag(b, anyString, protowire.BytesType)
		b = protowire.AppendString(b, "INVALID")
	}
	return closeMessage(b, at)
}

// appendArray appends xs as the ArrayValue of an AnyValue.
func appendArray[T any](b []byte, xs []T, value func(T) attribute.Value) []byte {
	at := openMessage(&b, anyArray)
	for _, x := range xs {
		b = appendAnyValue(b, listValues, value(x))
	}
	return closeMessage(b, at)
}

// The scalar fields of proto3, left out when zero.

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return appendUTF8(b, s)
}

// appendUTF8 appends s as the contents of a string field, which protobuf
// requires to be UTF-8: invalid bytes become U+FFFD. (The SDK's exporter
// fails to marshal the whole batch instead, and a subject or an error
// message may hold any bytes.)
func appendUTF8(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, string(utf8.RuneError))
	}
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendFixed64(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, v)
}

func appendFixed32(b []byte, num protowire.Number, v uint32) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, v)
}

// openMessage appends the tag of the message field num and one byte for
// its length, and returns where that byte is, for closeMessage once the
// message's fields follow it.
func openMessage(b *[]byte, num protowire.Number) int {
	*b = protowire.AppendTag(*b, num, protowire.BytesType)
	*b = append(*b, 0)
	return len(*b) - 1
}

// closeMessage writes the length of the message whose length byte is at
// at: in that byte when it fits (under 128 bytes, most), else in the bytes
// it takes, moving the message up.
func closeMessage(b []byte, at int) []byte {
	n := len(b) - at - 1
	if n < 0x80 {
		b[at] = byte(n)
		return b
	}
	k := protowire.SizeVarint(uint64(n))
	b = append(b, make([]byte, k-1)...)
	copy(b[at+k:], b[at+1:at+1+n])
	protowire.AppendVarint(b[:at], uint64(n))
	return b
}
