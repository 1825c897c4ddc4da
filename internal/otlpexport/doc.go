// Package otlpexport records OpenTelemetry spans and sends them as the
// SDK's OTLP exporter sends them, through the same OTLP clients
// (otlptracehttp.NewClient, otlptracegrpc.NewClient: their endpoint,
// headers, TLS, compression, timeouts and retries, and the
// OTEL_EXPORTER_OTLP_ variables they read), at a fraction of the SDK's
// cost a span.
//
// Exporter is a span exporter that encodes each span itself, straight
// into protobuf wire format. The SDK's exporter first copies every span
// into generated OTLP structs (some 25 allocations for a span with ten
// attributes) that protobuf's table-driven marshaller then walks; that
// took about half of a traced message's CPU in the bridge. Here the spans
// of a batch are appended to one buffer kept from batch to batch, and
// each is carried to the client as a tracepb.Span holding its encoding as
// unknown fields, which protobuf writes out as they are: the request on
// the wire is the one the SDK's exporter makes, field for field (the
// tests compare them), and the client's own counts of spans still see
// every span.
//
// TracerProvider records spans for an Exporter with the SDK's samplers
// and span limits, as the SDK's provider with a batch span processor
// does, but keeps each span in a plain struct that is itself what the
// exporter encodes (the tests compare the requests of the two providers
// for the same calls). A span costs about half of what the SDK's does
// (BenchmarkSpan).
package otlpexport
