package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

// TracingConfig holds the OpenTelemetry settings, read under the standard
// variable names. After [Load], Exporter is "otlp" or "none", and Protocol
// and Sampler are in lower case.
type TracingConfig struct {
	SDKDisabled    bool   `env:"OTEL_SDK_DISABLED" envDefault:"false" help:"'true' turns tracing off, whatever else is set."`
	Exporter       string `env:"OTEL_TRACES_EXPORTER" help:"'otlp' (export spans by OTLP) or 'none' (no tracing). Unset: 'otlp' when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, 'none' otherwise."`
	Endpoint       string `env:"OTEL_EXPORTER_OTLP_ENDPOINT" help:"Base URL of the OTLP receiver (an OpenTelemetry Collector, say): with http/protobuf, spans go to its path '/v1/traces'. Setting it turns tracing on. Unset: 'http://localhost:4318', or 'http://localhost:4317' with grpc."`
	TracesEndpoint string `env:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" help:"URL spans are sent to, used as it is (no path added); takes precedence over OTEL_EXPORTER_OTLP_ENDPOINT. Setting it turns tracing on."`
	Protocol       string `env:"OTEL_EXPORTER_OTLP_PROTOCOL" envDefault:"http/protobuf" help:"OTLP transport: 'http/protobuf' or 'grpc'."`
	ServiceName    string `env:"OTEL_SERVICE_NAME" doc:"nats-bridge" help:"The 'service.name' of the spans; it takes precedence over one in OTEL_RESOURCE_ATTRIBUTES."`
	Sampler        string `env:"OTEL_TRACES_SAMPLER" envDefault:"parentbased_always_on" help:"Which messages are traced: 'always_on', 'always_off', 'traceidratio' (a fraction of them, OTEL_TRACES_SAMPLER_ARG), or 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio': as the trace context of the message says when it carries one (sampled upstream: traced here), as the rest of the name says when it does not."`
	SamplerArg     string `env:"OTEL_TRACES_SAMPLER_ARG" doc:"1.0" help:"The fraction of traces sampled by 'traceidratio' and 'parentbased_traceidratio', from 0 to 1, e.g. '0.01'; only used with those."`
	// The batching of spans for export, as the SDK's batch span
	// processor reads it.
	BatchDelay     int  `env:"OTEL_BSP_SCHEDULE_DELAY" envDefault:"5000" help:"The longest, in milliseconds, a span waits for its batch to fill before the batch is sent."`
	BatchTimeout   int  `env:"OTEL_BSP_EXPORT_TIMEOUT" envDefault:"30000" help:"The longest, in milliseconds, one export of a batch may take."`
	BatchQueueSize int  `env:"OTEL_BSP_MAX_QUEUE_SIZE" envDefault:"2048" help:"Spans waiting for export, at most: when the receiver cannot keep up, spans beyond it are dropped (counted by bridge_trace_spans_dropped_total), never messages."`
	BatchSize      int  `env:"OTEL_BSP_MAX_EXPORT_BATCH_SIZE" envDefault:"512" help:"Spans a request, at most; a full batch is sent at once. Not larger than OTEL_BSP_MAX_QUEUE_SIZE."`
	PublishSpans   bool `env:"BRIDGE_TRACE_PUBLISH_SPANS" envDefault:"false" help:"'true' gives each output of a sampled message a producer span of its own too, 'publish <OUT>', a child of the consumer span of the message, and the output carries the context of that span on. By default each output carries the context of the consumer span: a sampled message costs one span, not one more per output."`
}

// Tracing exporters, the values of TracingConfig.Exporter.
const (
	ExporterOTLP = "otlp"
	ExporterNone = "none"
)

// OTLP protocols, the values of TracingConfig.Protocol.
const (
	ProtocolHTTP = "http/protobuf"
	ProtocolGRPC = "grpc"
)

// samplers are the values OTEL_TRACES_SAMPLER takes; true for those that
// read OTEL_TRACES_SAMPLER_ARG.
var samplers = map[string]bool{
	"always_on": false, "always_off": false, "traceidratio": true,
	"parentbased_always_on": false, "parentbased_always_off": false, "parentbased_traceidratio": true,
}

// Enabled reports whether the bridge traces.
func (c TracingConfig) Enabled() bool { return !c.SDKDisabled && c.Exporter == ExporterOTLP }

// URL returns the URL the exporter sends spans to, as the OTLP exporter
// specification derives it from the endpoint variables.
func (c TracingConfig) URL() string {
	switch {
	case c.TracesEndpoint != "":
		return c.TracesEndpoint
	case c.Protocol == ProtocolGRPC && c.Endpoint != "":
		return c.Endpoint
	case c.Protocol == ProtocolGRPC:
		return "http://localhost:4317"
	case c.Endpoint != "":
		return strings.TrimSuffix(c.Endpoint, "/") + "/v1/traces"
	}
	return "http://localhost:4318/v1/traces"
}

// Ratio returns the fraction of traces a ratio sampler samples.
func (c TracingConfig) Ratio() float64 {
	if c.SamplerArg == "" {
		return 1
	}
	r, _ := strconv.ParseFloat(c.SamplerArg, 64) // checked by Load
	return r
}

func (l *loader) checkTracing(c *TracingConfig) {
	c.Exporter = strings.ToLower(strings.TrimSpace(c.Exporter))
	switch c.Exporter {
	case "":
		c.Exporter = ExporterNone
		if c.Endpoint != "" || c.TracesEndpoint != "" {
			c.Exporter = ExporterOTLP
		}
	case ExporterOTLP, ExporterNone:
	default:
		l.addf("OTEL_TRACES_EXPORTER", "unsupported exporter %q (want otlp or none)", c.Exporter)
	}
	c.Protocol = strings.ToLower(strings.TrimSpace(c.Protocol))
	switch c.Protocol {
	case ProtocolHTTP, ProtocolGRPC:
	case "http/json":
		l.addf("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json is not supported (want http/protobuf or grpc)")
	default:
		l.addf("OTEL_EXPORTER_OTLP_PROTOCOL", "unknown protocol %q (want http/protobuf or grpc)", c.Protocol)
	}
	l.checkEndpoint("OTEL_EXPORTER_OTLP_ENDPOINT", c.Endpoint)
	l.checkEndpoint("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", c.TracesEndpoint)

	c.Sampler = strings.ToLower(strings.TrimSpace(c.Sampler))
	withArg, known := samplers[c.Sampler]
	if !known {
		l.addf("OTEL_TRACES_SAMPLER", "unknown sampler %q (want always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio)", c.Sampler)
	}
	c.SamplerArg = strings.TrimSpace(c.SamplerArg)
	switch {
	case c.SamplerArg == "":
	case known && !withArg:
		l.addf("OTEL_TRACES_SAMPLER_ARG", "only used with the samplers traceidratio and parentbased_traceidratio, not %s", c.Sampler)
	default:
		if r, err := strconv.ParseFloat(c.SamplerArg, 64); err != nil || r < 0 || r > 1 {
			l.addf("OTEL_TRACES_SAMPLER_ARG", "invalid ratio %q (want a number from 0 to 1, e.g. 0.01)", c.SamplerArg)
		}
	}
	for _, v := range []struct {
		name string
		n    int
	}{
		{"OTEL_BSP_SCHEDULE_DELAY", c.BatchDelay}, {"OTEL_BSP_EXPORT_TIMEOUT", c.BatchTimeout},
		{"OTEL_BSP_MAX_QUEUE_SIZE", c.BatchQueueSize}, {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", c.BatchSize},
	} {
		if !l.failed[v.name] && v.n <= 0 {
			l.addf(v.name, "must be positive, got %d", v.n)
		}
	}
	if c.BatchSize > c.BatchQueueSize && c.BatchQueueSize > 0 {
		l.addf("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "%d is larger than OTEL_BSP_MAX_QUEUE_SIZE, %d", c.BatchSize, c.BatchQueueSize)
	}
}

// checkEndpoint checks an OTLP endpoint: an http or https URL with a host.
func (l *loader) checkEndpoint(name, raw string) {
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		l.addf(name, "%s is not a valid URL", redactURL(raw))
	case u.Scheme != "http" && u.Scheme != "https":
		l.addf(name, "%s has unsupported scheme %q (want http or https)", redactURL(raw), u.Scheme)
	case u.Host == "":
		l.addf(name, "%s has no host", redactURL(raw))
	}
}

// LogValue implements slog.LogValuer: whether the bridge traces, and if
// so how.
func (c TracingConfig) LogValue() slog.Value {
	if !c.Enabled() {
		return slog.GroupValue(slog.Bool("enabled", false))
	}
	attrs := []slog.Attr{
		slog.Bool("enabled", true),
		slog.String("protocol", c.Protocol),
		slog.String("url", redactURL(c.URL())),
		slog.String("sampler", c.Sampler),
	}
	if samplers[c.Sampler] {
		attrs = append(attrs, slog.Float64("ratio", c.Ratio()))
	}
	if c.ServiceName != "" {
		attrs = append(attrs, slog.String("service_name", c.ServiceName))
	}
	if c.PublishSpans {
		attrs = append(attrs, slog.Bool("publish_spans", true))
	}
	return slog.GroupValue(attrs...)
}

// String describes the tracing settings for people, as `bridge -check`
// prints them.
func (c TracingConfig) String() string {
	if !c.Enabled() {
		return "off"
	}
	s := fmt.Sprintf("OTLP %s to %s, sampler %s", c.Protocol, redactURL(c.URL()), c.Sampler)
	if samplers[c.Sampler] {
		s += fmt.Sprintf(" %g", c.Ratio())
	}
	if c.PublishSpans {
		s += ", publish spans"
	}
	return s
}
