package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

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
// and stops it, within its context.
func newTracerProvider(ctx context.Context, cfg config.TracingConfig, logger *slog.Logger) (trace.TracerProvider, func(context.Context) error, error) {
	if !cfg.Enabled() {
		return nil, func(context.Context) error { return nil }, nil
	}
	// The OTLP clients read the other OTEL_EXPORTER_OTLP_ variables
	// (headers, timeout, certificates, compression) themselves; the
	// endpoint given here takes precedence over theirs. The exporter
	// encodes the spans it gives them itself (internal/otlpexport).
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
	// queue are dropped.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("tracing: exporting spans", "err", err)
	}))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sampler(cfg)),
		sdktrace.WithResource(res),
		sdktrace.WithBatcher(exp))
	logger.Info("tracing on", "tracing", cfg)
	return tp, tp.Shutdown, nil
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
