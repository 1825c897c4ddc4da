// Package otlpexport is an OpenTelemetry span exporter that sends what the
// SDK's OTLP exporter sends, through the same OTLP clients
// (otlptracehttp.NewClient, otlptracegrpc.NewClient: their endpoint,
// headers, TLS, compression, timeouts and retries, and the
// OTEL_EXPORTER_OTLP_ variables they read), but encodes each span itself,
// straight from the SDK's read-only span into protobuf wire format.
//
// The SDK's exporter first copies every span into generated OTLP structs
// (some 25 allocations for a span with ten attributes) that protobuf's
// table-driven marshaller then walks; that took about half of a traced
// message's CPU in the bridge. Here the spans of a batch are appended to
// one buffer kept from batch to batch, and each is carried to the client
// as a tracepb.Span holding its encoding as unknown fields, which protobuf
// writes out as they are: the request on the wire is the one the SDK's
// exporter makes, field for field (the tests compare them), and the
// client's own counts of spans still see every span.
package otlpexport
