package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/config"
	"github.com/natsbridge/bridge/internal/embedded"
	"github.com/natsbridge/bridge/internal/status"
	"github.com/natsbridge/bridge/metrics"
	"github.com/natsbridge/bridge/metrics/bridgemetrics"
)

// run runs the bridge until ctx is done, then drains it within the
// configured shutdown timeout.
func run(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	url := strings.Join(cfg.NATS.URL.Servers(), ",")
	if cfg.UseEmbedded() {
		srv, err := embedded.Start(embedded.Options{
			Listen:   cfg.Embedded.Listen,
			StoreDir: cfg.Embedded.Store,
			Logger:   logger,
		})
		if err != nil {
			return fmt.Errorf("embedded NATS server: %w", err)
		}
		defer srv.Shutdown()
		url = srv.ClientURL()
		logger.Info("embedded NATS server started", "url", url, "store", cfg.Embedded.Store)
	}
	// The metrics exist before the connection, so that its first connect
	// handler is counted.
	reg, m, st, err := observability(cfg)
	if err != nil {
		return err
	}
	var spansDropped prometheus.Registerer // none without metrics
	if reg != nil {
		spansDropped = reg
	}
	tp, stopTracing, err := newTracerProvider(ctx, cfg.Tracing, logger, spansDropped)
	if err != nil {
		return err
	}
	defer func() {
		// After the drain: the spans of the last messages are ended.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := stopTracing(sctx); err != nil {
			logger.Warn("tracing: exporting the last spans", "err", err)
		}
	}()
	cs, err := openConns(cfg, url, logger, m)
	if err != nil {
		return err
	}
	defer cs.close()
	b, err := newBridge(cfg, cs, logger, m, st, tp)
	if err != nil {
		return err
	}
	if reg != nil {
		if err := reg.Register(bridgemetrics.NewStatsCollector(b)); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	if cfg.Demo {
		logDemo(logger, url)
	}

	g, gctx := errgroup.WithContext(ctx)
	stopHTTP, err := serveHTTP(ctx, g, cfg.Service.MetricsAddr, func() http.Handler { return httpHandler(reg, b, cs, st) }, st, logger)
	if err != nil {
		return err
	}
	g.Go(func() error {
		// The HTTP server keeps answering (readyz: 503 while draining)
		// until the bridge has finished.
		defer stopHTTP()
		return b.Run(gctx)
	})
	err = g.Wait()
	if err == nil {
		cs.flush(5*time.Second, logger)
	}
	return err
}

// observability makes the registry, the metrics and the status page, or
// none of them when the HTTP server is off.
func observability(cfg *config.Config) (*prometheus.Registry, *metrics.Metrics, *status.Status, error) {
	if cfg.Service.MetricsAddr == "" {
		return nil, nil, nil, nil
	}
	reg, m, err := newMetrics(versionString())
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := status.New(reg, statusRoutes(cfg))
	if err != nil {
		return nil, nil, nil, err
	}
	return reg, m, st, nil
}

// newBridge makes the bridge of cfg's routes over the connections cs.
func newBridge(cfg *config.Config, cs *conns, logger *slog.Logger, m *metrics.Metrics, st *status.Status, tp trace.TracerProvider) (*bridge.Bridge, error) {
	opts := []bridge.Option{
		bridge.WithLogger(logger),
		bridge.WithTracerProvider(tp),
		bridge.WithRootSampling(rootSampling(cfg.Tracing)),
		bridge.WithPublishSpans(cfg.Tracing.PublishSpans),
		bridge.WithShutdownTimeout(cfg.Service.ShutdownTimeout),
		// The status page's recent failures come from here.
		bridge.WithHooks(recordFailures(bridgemetrics.Hooks(m), st)),
	}
	// The connections other than "default" that routes use.
	for name, c := range cs.byName {
		if name != config.DefaultConn {
			opts = append(opts, bridge.WithConn(name, c))
		}
	}
	return bridge.New(cs.byName[config.DefaultConn], routeConfigs(cfg), opts...)
}

// serveHTTP serves the handler h makes on addr in g, unless addr is empty,
// and returns the function that stops it and the status page's sampler.
func serveHTTP(ctx context.Context, g *errgroup.Group, addr string, h func() http.Handler, st *status.Status, logger *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	srv := &http.Server{Handler: h(), ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("BRIDGE_METRICS_ADDR: %w", err)
	}
	logger.Info("serving /metrics, /healthz and /readyz", "addr", ln.Addr().String())
	logger.Info("status page at http://" + ln.Addr().String() + "/")
	st.Start()
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("metrics server: %w", err)
		}
		return nil
	})
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		st.Stop()
	}, nil
}

// routeConfigs returns the configuration's routes as the bridge runs them.
func routeConfigs(cfg *config.Config) []bridge.RouteConfig {
	out := make([]bridge.RouteConfig, len(cfg.Routes))
	for i, r := range cfg.Routes {
		out[i] = r.RouteConfig()
	}
	return out
}

// httpHandler serves metrics, the health endpoints and the status page.
// /readyz answers 503 while a connection is down, naming it, or while the
// bridge is not consuming on every route.
func httpHandler(reg *prometheus.Registry, b *bridge.Bridge, cs *conns, st *status.Status) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", st.PageHandler())
	mux.Handle("GET /status", st.JSONHandler())
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true, Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		err := cs.ready()
		if err == nil {
			err = b.Ready()
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}

func logDemo(logger *slog.Logger, url string) {
	logger.Info("no route configured: running the demo route demo.in.> -> demo.out.>")
	logger.Info("read the output with:  nats -s " + url + " sub 'demo.out.>'")
	logger.Info("publish into it with:  nats -s " + url + " pub demo.in.hello '{\"hello\":\"world\"}'")
}
