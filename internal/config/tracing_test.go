package config_test

import (
	"strings"
	"testing"

	"github.com/natsbridge/bridge/internal/config"
)

func TestTracingOffByDefault(t *testing.T) {
	for name, environ := range map[string][]string{
		"unset":            nil,
		"sampler only":     {"OTEL_TRACES_SAMPLER=always_on", "OTEL_SERVICE_NAME=b"},
		"exporter none":    {"OTEL_TRACES_EXPORTER=none", "OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318"},
		"sdk disabled":     {"OTEL_SDK_DISABLED=true", "OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318"},
		"disabled, upper":  {"OTEL_SDK_DISABLED=TRUE", "OTEL_TRACES_EXPORTER=otlp"},
		"exporter, spaces": {"OTEL_TRACES_EXPORTER= None "},
	} {
		t.Run(name, func(t *testing.T) {
			c := mustLoad(t, environ...).Tracing
			if c.Enabled() {
				t.Errorf("Enabled() with %v: %+v", environ, c)
			}
			if c.String() != "off" {
				t.Errorf("String() = %q", c.String())
			}
		})
	}
}

func TestTracingOn(t *testing.T) {
	tests := []struct {
		environ      []string
		url, sampler string
		ratio        float64
		protocol     string
	}{
		{
			// The variables the exporter reads itself are not refused.
			environ: []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318", "OTEL_EXPORTER_OTLP_HEADERS=api-key=x", "OTEL_RESOURCE_ATTRIBUTES=a=b"},
			url:     "http://collector:4318/v1/traces", sampler: "parentbased_always_on", ratio: 1, protocol: config.ProtocolHTTP,
		},
		{
			environ: []string{"OTEL_EXPORTER_OTLP_ENDPOINT=https://c.example/otlp/", "OTEL_TRACES_SAMPLER=ParentBased_TraceIDRatio", "OTEL_TRACES_SAMPLER_ARG=0.01"},
			url:     "https://c.example/otlp/v1/traces", sampler: "parentbased_traceidratio", ratio: 0.01, protocol: config.ProtocolHTTP,
		},
		{
			environ: []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://t:9999/spans"},
			url:     "http://t:9999/spans", sampler: "parentbased_always_on", ratio: 1, protocol: config.ProtocolHTTP,
		},
		{
			environ: []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc", "OTEL_TRACES_SAMPLER=traceidratio"},
			url:     "http://c:4317", sampler: "traceidratio", ratio: 1, protocol: config.ProtocolGRPC,
		},
		{
			environ: []string{"OTEL_TRACES_EXPORTER=otlp"},
			url:     "http://localhost:4318/v1/traces", sampler: "parentbased_always_on", ratio: 1, protocol: config.ProtocolHTTP,
		},
		{
			environ: []string{"OTEL_TRACES_EXPORTER=OTLP", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"},
			url:     "http://localhost:4317", sampler: "parentbased_always_on", ratio: 1, protocol: config.ProtocolGRPC,
		},
	}
	for _, test := range tests {
		t.Run(strings.Join(test.environ, " "), func(t *testing.T) {
			c := mustLoad(t, test.environ...).Tracing
			if !c.Enabled() {
				t.Fatalf("tracing off: %+v", c)
			}
			if c.URL() != test.url || c.Sampler != test.sampler || c.Ratio() != test.ratio || c.Protocol != test.protocol {
				t.Errorf("URL %q, sampler %q %g, protocol %q; want %q, %q %g, %q", c.URL(), c.Sampler, c.Ratio(), c.Protocol,
					test.url, test.sampler, test.ratio, test.protocol)
			}
		})
	}
}

// TestTracingPublishSpans: off by default; on, the descriptions say so.
func TestTracingPublishSpans(t *testing.T) {
	c := mustLoad(t, "OTEL_TRACES_EXPORTER=otlp").Tracing
	if c.PublishSpans || strings.Contains(c.String(), "publish") || strings.Contains(c.LogValue().String(), "publish") {
		t.Errorf("publish spans by default: %+v, %s, %s", c, c, c.LogValue())
	}
	c = mustLoad(t, "OTEL_TRACES_EXPORTER=otlp", "BRIDGE_TRACE_PUBLISH_SPANS=true").Tracing
	if !c.PublishSpans || !strings.HasSuffix(c.String(), ", publish spans") || !strings.Contains(c.LogValue().String(), "publish_spans=true") {
		t.Errorf("BRIDGE_TRACE_PUBLISH_SPANS=true: %+v, %s, %s", c, c, c.LogValue())
	}
}

func TestTracingProblems(t *testing.T) {
	got := problems(t,
		"OTEL_SDK_DISABLED=maybe",
		"OTEL_TRACES_EXPORTER=zipkin",
		"OTEL_EXPORTER_OTLP_ENDPOINT=grpc://user:secret@c:4317",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://",
		"OTEL_EXPORTER_OTLP_PROTOCOL=http/json",
		"OTEL_TRACES_SAMPLER=jaeger_remote",
		"BRIDGE_TRACE_PUBLISH_SPANS=yes",
	)
	for _, name := range []string{
		"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_TRACES_SAMPLER",
		"BRIDGE_TRACE_PUBLISH_SPANS",
	} {
		if len(got[name]) != 1 {
			t.Errorf("%s: problems %q, want one", name, got[name])
		}
	}
	if p := strings.Join(got["OTEL_EXPORTER_OTLP_ENDPOINT"], ""); strings.Contains(p, "secret") {
		t.Errorf("the problem shows the password: %s", p)
	}
	for _, test := range []struct{ sampler, arg string }{
		{"traceidratio", "1.5"}, {"parentbased_traceidratio", "-0.1"}, {"traceidratio", "one"}, {"always_on", "0.5"},
	} {
		got := problems(t, "OTEL_TRACES_SAMPLER="+test.sampler, "OTEL_TRACES_SAMPLER_ARG="+test.arg)
		if len(got) != 1 || len(got["OTEL_TRACES_SAMPLER_ARG"]) != 1 {
			t.Errorf("%s %s: problems %q, want one of OTEL_TRACES_SAMPLER_ARG", test.sampler, test.arg, got)
		}
	}
}

func TestTracingBatchProblems(t *testing.T) {
	got := problems(t,
		"OTEL_BSP_SCHEDULE_DELAY=0", "OTEL_BSP_EXPORT_TIMEOUT=-1", "OTEL_BSP_MAX_QUEUE_SIZE=many")
	for _, name := range []string{"OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT", "OTEL_BSP_MAX_QUEUE_SIZE"} {
		if len(got[name]) != 1 {
			t.Errorf("%s: problems %q, want one", name, got[name])
		}
	}
	got = problems(t, "OTEL_BSP_MAX_QUEUE_SIZE=100", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE=200")
	if len(got) != 1 || len(got["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"]) != 1 {
		t.Errorf("a batch larger than the queue: problems %q, want one of OTEL_BSP_MAX_EXPORT_BATCH_SIZE", got)
	}
	cfg, err := config.Load([]string{"OTEL_BSP_SCHEDULE_DELAY=100", "OTEL_BSP_MAX_QUEUE_SIZE=512", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE=512"})
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.Tracing; c.BatchDelay != 100 || c.BatchTimeout != 30000 || c.BatchQueueSize != 512 || c.BatchSize != 512 {
		t.Errorf("batching %d ms, %d ms, queue %d, batch %d; want 100, 30000 (the default), 512, 512", c.BatchDelay, c.BatchTimeout, c.BatchQueueSize, c.BatchSize)
	}
}
