package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/natsbridge/bridge/internal/config"
	"github.com/natsbridge/bridge/internal/otlpexport"
)

// defaultServiceName is the service.name of the spans when neither
// OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES names the service.
const defaultServiceName = "nats-bridge"

// newTracerProvider returns the tracer provider cfg asks for, nil when
// tracing is off, and the function that exports the spans it still holds
// and stops it, within its context. The spans it drops are counted in reg,
// when there is one.
func newTracerProvider(ctx context.Context, cfg config.TracingConfig, logger *slog.Logger, reg prometheus.Registerer) (trace.TracerProvider, func(context.Context) error, error) {
	if !cfg.Enabled() {
		return nil, func(context.Context) error { return nil }, nil
	}
	// The OTLP clients read the other OTEL_EXPORTER_OTLP_ variables
	// (headers, timeout, certificates, compression) themselves; the
	// endpoint given here takes precedence over theirs. The spans are
	// recorded and encoded by internal/otlpexport, with the SDK's samplers
	// and span limits, at a fraction of the SDK's cost a span.
	var client otlptrace.Client
	if cfg.Protocol == config.ProtocolGRPC {
		client = otlptracegrpc.NewClient(otlptracegrpc.WithEndpointURL(cfg.URL()))
	} else {
		client = otlptracehttp.NewClient(otlptracehttp.WithEndpointURL(cfg.URL()))
	}
	exp, err := otlpexport.New(ctx, client)
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(
			attribute.String("service.name", defaultServiceName),
			attribute.String("service.version", versionString())),
		resource.WithFromEnv(), // OTEL_RESOURCE_ATTRIBUTES
		resource.WithTelemetrySDK())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, nil, fmt.Errorf("tracing: resource: %w", err)
	}
	if err != nil {
		logger.Warn("tracing: some resource attributes are not used", "err", err)
	}
	if cfg.ServiceName != "" {
		// Set by the configuration, which may not be this process's
		// environment.
		res, err = resource.Merge(res, resource.NewSchemaless(attribute.String("service.name", cfg.ServiceName)))
		if err != nil {
			return nil, nil, fmt.Errorf("tracing: resource: %w", err)
		}
	}
	// The exporter's failures (a receiver that is down) reach the log;
	// the routes do not wait for it: spans that do not fit in the batch
	// queue are dropped, and counted.
	logExportError := func(err error) { logger.Warn("tracing: exporting spans", "err", err) }
	otel.SetErrorHandler(otel.ErrorHandlerFunc(logExportError)) // the OTLP clients' own
	tp := otlpexport.NewTracerProvider(exp,
		otlpexport.WithSampler(sampler(cfg)),
		otlpexport.WithResource(res),
		otlpexport.WithErrorHandler(logExportError),
		otlpexport.WithBatching(otlpexport.Batching{
			MaxQueueSize:       cfg.BatchQueueSize,
			MaxExportBatchSize: cfg.BatchSize,
			ScheduleDelay:      time.Duration(cfg.BatchDelay) * time.Millisecond,
			ExportTimeout:      time.Duration(cfg.BatchTimeout) * time.Millisecond,
		}))
	if reg != nil {
		dropped := prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "bridge_trace_spans_dropped_total",
			Help: "Sampled spans dropped because the export queue (OTEL_BSP_MAX_QUEUE_SIZE) was full: the receiver did not keep up.",
		}, func() float64 { return float64(tp.Dropped()) })
		if err := reg.Register(dropped); err != nil {
			return nil, nil, fmt.Errorf("tracing: %w", err)
		}
	}
	stop := func(ctx context.Context) error {
		err := tp.Shutdown(ctx)
		if n := tp.Dropped(); n > 0 {
			logger.Warn("tracing: spans dropped, the export queue was full", "spans", n)
		}
		return err
	}
	logger.Info("tracing on", "tracing", cfg)
	return tp, stop, nil
}

// sampler returns the sampler of cfg.Sampler, a name Load checked, as it
// runs beside the bridge's root sampling (rootSampling): of the inputs
// without trace context the bridge itself picks the fraction that start a
// trace, so that the others cost nothing, and the sampler samples those it
// is given; it decides for the inputs with trace context as the standard
// sampler of that name would.
func sampler(cfg config.TracingConfig) sdktrace.Sampler {
	switch cfg.Sampler {
	case "always_on":
		return sdktrace.AlwaysSample()
	case "always_off":
		return sdktrace.NeverSample()
	case "traceidratio":
		return chosenRoots{sdktrace.TraceIDRatioBased(cfg.Ratio())}
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample())
	}
	// parentbased_always_on, and parentbased_traceidratio, whose roots
	// the bridge chose.
	return sdktrace.ParentBased(sdktrace.AlwaysSample())
}

// rootSampling is the fraction of the inputs without trace context that the
// bridge traces (bridge.WithRootSampling) under cfg.Sampler.
func rootSampling(cfg config.TracingConfig) float64 {
	switch cfg.Sampler {
	case "always_off", "parentbased_always_off":
		return 0
	case "traceidratio", "parentbased_traceidratio":
		return cfg.Ratio()
	}
	return 1
}

// chosenRoots samples every span without a parent (the bridge chose those)
// and leaves the others to its Sampler.
type chosenRoots struct{ sdktrace.Sampler }

func (s chosenRoots) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	if !trace.SpanContextFromContext(p.ParentContext).IsValid() {
		return sdktrace.AlwaysSample().ShouldSample(p)
	}
	return s.Sampler.ShouldSample(p)
}

func (s chosenRoots) Description() string { return "ChosenRoots{" + s.Sampler.Description() + "}" }
