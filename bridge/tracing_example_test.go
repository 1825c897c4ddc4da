package bridge_test

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/natsbridge/bridge/bridge"
)

// A traced route: each input gets a consumer span, which continues the
// trace of its traceparent header, and whose context its outputs carry on
// (with WithPublishSpans, each output gets a producer span of its own
// too, and carries that on). A program exports the spans with an OTLP
// exporter; here they are kept in memory.
func ExampleWithTracerProvider() {
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	if err != nil {
		panic(err)
	}
	srv.Start()
	defer srv.Shutdown()
	if !srv.ReadyForConnections(10 * time.Second) {
		panic("NATS server not ready")
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		panic(err)
	}
	defer nc.Close()

	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	b, err := bridge.New(nc, []bridge.RouteConfig{{Name: "orders", In: "orders.*", Out: "billing.{{wildcard(1)}}"}},
		bridge.WithTracerProvider(tp))
	if err != nil {
		panic(err)
	}
	out, err := nc.SubscribeSync("billing.>")
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	<-b.Started()

	in := nats.NewMsg("orders.eu")
	in.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	_ = nc.PublishMsg(in)
	m, err := out.NextMsg(10 * time.Second)
	if err != nil {
		panic(err)
	}
	cancel()
	if err := <-done; err != nil { // every input settled: its span ended
		panic(err)
	}
	for _, s := range spans.GetSpans() {
		fmt.Println(s.SpanKind, s.Name, "in trace", s.SpanContext.TraceID())
	}
	parent := m.Header.Get("traceparent")
	fmt.Println("output traceparent:", parent[:35])
	fmt.Println("its parent is the consumer span:", parent[36:52] == spans.GetSpans()[0].SpanContext.SpanID().String())
	// Output:
	// consumer process orders.* in trace 4bf92f3577b34da6a3ce929d0e0e4736
	// output traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736
	// its parent is the consumer span: true
}
