package main_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/natsbridge/bridge/internal/natstest"
)

// otlpReceiver is an OTLP receiver on loopback, over HTTP or gRPC, that
// keeps the spans it is sent.
type otlpReceiver struct {
	url string
	mu  sync.Mutex
	got []*tracepb.ResourceSpans
}

func (r *otlpReceiver) add(req *coltrace.ExportTraceServiceRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, req.GetResourceSpans()...)
}

// span is a received span with its resource's service name.
type span struct {
	service string
	scope   string
	*tracepb.Span
}

func (r *otlpReceiver) spans() []span {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []span
	for _, rs := range r.got {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				out = append(out, span{service, ss.GetScope().GetName(), s})
			}
		}
	}
	return out
}

// startHTTPReceiver serves OTLP/HTTP with protobuf bodies at /v1/traces.
func startHTTPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		var msg coltrace.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(body, &msg)
		}
		if err != nil || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, fmt.Sprintf("bad request (%s): %v", req.Header.Get("Content-Type"), err), http.StatusBadRequest)
			return
		}
		r.add(&msg)
		resp, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(resp)
	})
	r.url = serveHTTP(t, mux)
	return r
}

// serveHTTP serves h on loopback until the test ends and returns its URL.
func serveHTTP(t *testing.T, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

type grpcTraces struct {
	coltrace.UnimplementedTraceServiceServer
	r *otlpReceiver
}

func (g grpcTraces) Export(_ context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	g.r.add(req)
	return &coltrace.ExportTraceServiceResponse{}, nil
}

// startGRPCReceiver serves the OTLP trace service over gRPC.
func startGRPCReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	coltrace.RegisterTraceServiceServer(srv, grpcTraces{r: r})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	r.url = "http://" + ln.Addr().String()
	return r
}

// TestTracingOTLP runs the binary with tracing on, against a receiver of
// each OTLP protocol: the spans of a message that crossed it arrive, in
// the trace the message came with, by the time it has exited. By default
// that is its consumer span, whose context the output carries on; with
// BRIDGE_TRACE_PUBLISH_SPANS, a producer span too, under it, whose
// context the output carries on instead.
func TestTracingOTLP(t *testing.T) {
	const (
		upTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
		upSpan  = "00f067aa0ba902b7"
	)
	for _, test := range []struct {
		protocol     string
		publishSpans bool
	}{
		{"http/protobuf", false},
		{"http/protobuf", true},
		{"grpc", true},
	} {
		t.Run(fmt.Sprintf("%s publish-spans=%v", test.protocol, test.publishSpans), func(t *testing.T) {
			rcv := startHTTPReceiver
			if test.protocol == "grpc" {
				rcv = startGRPCReceiver
			}
			r := rcv(t)
			s := natstest.Start(t, nil)
			nc := natstest.Connect(t, s)
			p := startBridge(t,
				"NATS_URL="+s.ClientURL(),
				"BRIDGE_ROUTE_0_NAME=traced",
				"BRIDGE_ROUTE_0_IN=t.in",
				"BRIDGE_ROUTE_0_OUT=t.out",
				"OTEL_EXPORTER_OTLP_ENDPOINT="+r.url,
				"OTEL_EXPORTER_OTLP_PROTOCOL="+test.protocol,
				"OTEL_SERVICE_NAME=bridge-e2e",
				"OTEL_TRACES_SAMPLER=parentbased_traceidratio",
				"OTEL_TRACES_SAMPLER_ARG=0",
				fmt.Sprintf("BRIDGE_TRACE_PUBLISH_SPANS=%v", test.publishSpans),
			)
			out := subscribe(t, nc, "t.out")
			in := nats.NewMsg("t.in")
			in.Header.Set("Traceparent", "00-"+upTrace+"-"+upSpan+"-01") // sampled upstream
			if err := nc.PublishMsg(in); err != nil {
				t.Fatal(err)
			}
			if err := nc.Publish("t.in", []byte("root")); err != nil { // ratio 0: not sampled
				t.Fatal(err)
			}
			msgs := out.wait(t, 2)
			if code := p.terminate(t); code != 0 {
				t.Fatalf("exit code %d", code)
			}

			// The spans were exported on shutdown at the latest.
			spans := r.spans()
			want := 1
			if test.publishSpans {
				want = 2
			}
			if len(spans) != want {
				t.Fatalf("%d spans received, want the %d of the sampled message: %v", len(spans), want, spans)
			}
			byKind := map[tracepb.Span_SpanKind]span{}
			for _, sp := range spans {
				byKind[sp.GetKind()] = sp
				if sp.service != "bridge-e2e" || sp.scope != "github.com/natsbridge/bridge" {
					t.Errorf("span %q of service %q, scope %q", sp.GetName(), sp.service, sp.scope)
				}
				if hex.EncodeToString(sp.GetTraceId()) != upTrace {
					t.Errorf("span %q in trace %x, want %s", sp.GetName(), sp.GetTraceId(), upTrace)
				}
			}
			consumer, producer := byKind[tracepb.Span_SPAN_KIND_CONSUMER], byKind[tracepb.Span_SPAN_KIND_PRODUCER]
			if consumer.Span == nil || test.publishSpans && producer.Span == nil {
				t.Fatalf("spans %v, want a consumer and, with publish spans, a producer", spans)
			}
			if consumer.GetName() != "process t.in" || hex.EncodeToString(consumer.GetParentSpanId()) != upSpan {
				t.Errorf("consumer span %q under %x, want process t.in under %s", consumer.GetName(), consumer.GetParentSpanId(), upSpan)
			}
			carried := consumer.GetSpanId() // the span the output carries on
			if test.publishSpans {
				if producer.GetName() != "publish t.out" || string(producer.GetParentSpanId()) != string(consumer.GetSpanId()) {
					t.Errorf("producer span %q under %x, want publish t.out under %x", producer.GetName(), producer.GetParentSpanId(), consumer.GetSpanId())
				}
				carried = producer.GetSpanId()
			}
			var route string
			for _, kv := range consumer.GetAttributes() {
				if kv.GetKey() == "bridge.route" {
					route = kv.GetValue().GetStringValue()
				}
			}
			if route != "traced" {
				t.Errorf("consumer span's bridge.route %q", route)
			}

			for _, m := range msgs {
				if string(m.Data) == "root" {
					// Not among the new traces started (ratio 0): it goes
					// on as it came, without trace context.
					if len(m.Header) != 0 {
						t.Errorf("the untraced output carries %v, want no headers", m.Header)
					}
					continue
				}
				tp := m.Header.Get("traceparent")
				if m.Header.Get("Traceparent") != "" || len(tp) != 55 {
					t.Fatalf("output %q headers %v, want a traceparent in lower case only", m.Data, m.Header)
				}
				want := "00-" + upTrace + "-" + hex.EncodeToString(carried) + "-01"
				if tp != want {
					t.Errorf("output traceparent %s, want %s", tp, want)
				}
			}
		})
	}
}

func TestTracingCheck(t *testing.T) {
	for _, test := range []struct {
		environ []string
		want    string
	}{
		{nil, "tracing: off\n"},
		{[]string{"OTEL_SDK_DISABLED=true", "OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4317"}, "tracing: off\n"},
		{
			[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc", "OTEL_TRACES_SAMPLER=parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG=0.01"},
			"tracing: OTLP grpc to http://c:4317, sampler parentbased_traceidratio 0.01\n",
		},
		{[]string{"OTEL_TRACES_EXPORTER=otlp"}, "tracing: OTLP http/protobuf to http://localhost:4318/v1/traces, sampler parentbased_always_on\n"},
		{
			[]string{"OTEL_TRACES_EXPORTER=otlp", "BRIDGE_TRACE_PUBLISH_SPANS=true"},
			"tracing: OTLP http/protobuf to http://localhost:4318/v1/traces, sampler parentbased_always_on, publish spans\n",
		},
	} {
		r := bridge(t, test.environ, "-check")
		if r.code != 0 || !strings.Contains(r.stdout, test.want) {
			t.Errorf("%v: exit %d, stdout lacks %q:\n%s%s", test.environ, r.code, test.want, r.stdout, r.stderr)
		}
	}
}

func TestTracingBadConfiguration(t *testing.T) {
	r := bridge(t, []string{"OTEL_EXPORTER_OTLP_PROTOCOL=http/json", "OTEL_TRACES_SAMPLER=traceidratio", "OTEL_TRACES_SAMPLER_ARG=2"})
	if r.code != 2 {
		t.Fatalf("exit %d, want 2:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"(2 problems)", "\nOTEL_EXPORTER_OTLP_PROTOCOL: http/json is not supported", "\nOTEL_TRACES_SAMPLER_ARG: invalid ratio"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// TestTracingCountsDroppedSpans has the receiver hang: the spans that do
// not fit in the export queue are dropped and counted, the messages all
// go through, and the bridge still stops, logging the drop.
func TestTracingCountsDroppedSpans(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, req *http.Request) {
		<-release
		_, _ = io.Copy(io.Discard, req.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	})
	url := serveHTTP(t, mux)
	t.Cleanup(func() { close(release) }) // before the server closes

	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	p := startBridge(t,
		"NATS_URL="+s.ClientURL(),
		"BRIDGE_ROUTE_0_IN=d.in", "BRIDGE_ROUTE_0_OUT=d.out",
		"OTEL_EXPORTER_OTLP_ENDPOINT="+url,
		"OTEL_TRACES_SAMPLER=always_on",
		"OTEL_BSP_MAX_QUEUE_SIZE=2", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE=1",
	)
	out := subscribe(t, nc, "d.out")
	const n = 20
	for i := range n {
		if err := nc.Publish("d.in", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	out.wait(t, n)
	// At most one span in the upload that hangs (the first, if the batch
	// goroutine took it before the next two filled the queue), two
	// queued: the rest dropped.
	natstest.WaitFor(t, 10*time.Second, func() error {
		for _, line := range strings.Split(p.body(t, "/metrics"), "\n") {
			var dropped float64
			if _, err := fmt.Sscanf(line, "bridge_trace_spans_dropped_total %g", &dropped); err == nil {
				if dropped < n-3 || dropped > n-2 {
					return fmt.Errorf("%s, want %d or %d", line, n-3, n-2)
				}
				return nil
			}
		}
		return fmt.Errorf("no bridge_trace_spans_dropped_total in /metrics")
	})
	// The upload under way gives up when the shutdown's 5 s for the
	// spans are over: at its own 30 s timeout the bridge would miss
	// terminate's deadline.
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if !strings.Contains(p.stderr.String(), "spans dropped") {
		t.Errorf("the drop is not logged:\n%s", p.stderr.String())
	}
}
