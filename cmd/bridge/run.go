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
	"golang.org/x/sync/errgroup"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/config"
	"github.com/natsbridge/bridge/internal/embedded"
	"github.com/natsbridge/bridge/internal/observe"
	"github.com/natsbridge/bridge/jq"
	"github.com/natsbridge/bridge/metrics"
	"github.com/natsbridge/bridge/stream"
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
	var (
		reg *prometheus.Registry
		m   *metrics.Metrics // nil: no metrics, no hooks
	)
	if cfg.Service.MetricsAddr != "" {
		var err error
		if reg, m, err = newMetrics(versionString()); err != nil {
			return err
		}
	}

	cs, err := openConns(cfg, url, logger, m)
	if err != nil {
		return err
	}
	defer cs.close()
	nc := cs.byName[config.DefaultConn]

	routes, err := routeConfigs(cfg)
	if err != nil {
		return err
	}
	opts := []bridge.Option{
		bridge.WithLogger(logger),
		bridge.WithShutdownTimeout(cfg.Service.ShutdownTimeout),
		bridge.WithHooks(observe.Hooks(m)),
	}
	// HANDOVER (issue 13): the connections other than "default" go to the
	// bridge here, once it takes them, and routeConfigs fills in each
	// route's InConn and OutConn from r.InConn and r.OutConn:
	//
	//	for name, c := range cs.byName {
	//		if name != config.DefaultConn {
	//			opts = append(opts, bridge.WithConn(name, c))
	//		}
	//	}
	//
	// Until then they are open (connected, in /readyz and the metrics) but
	// every route runs on "default", which the log says.
	for _, r := range cfg.Routes {
		if r.InConn != config.DefaultConn || r.OutConn != config.DefaultConn {
			logger.Warn("this build runs every route on the default connection; IN_CONN and OUT_CONN are not applied yet",
				"route", r.Name, "in_conn", r.InConn, "out_conn", r.OutConn)
		}
	}
	b, err := bridge.New(nc, routes, opts...)
	if err != nil {
		return err
	}
	m.ObserveBuffers(observe.Buffers(b))
	if cfg.Demo {
		logDemo(logger, url)
	}

	g, gctx := errgroup.WithContext(ctx)
	stopHTTP := func() {}
	if addr := cfg.Service.MetricsAddr; addr != "" {
		srv := &http.Server{Handler: httpHandler(reg, b, cs), ReadHeaderTimeout: 5 * time.Second}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("BRIDGE_METRICS_ADDR: %w", err)
		}
		logger.Info("serving /metrics, /healthz and /readyz", "addr", ln.Addr().String())
		g.Go(func() error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("metrics server: %w", err)
			}
			return nil
		})
		stopHTTP = func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}
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

// routeConfigs turns the configuration's routes into bridge routes.
func routeConfigs(cfg *config.Config) ([]bridge.RouteConfig, error) {
	out := make([]bridge.RouteConfig, 0, len(cfg.Routes))
	for _, r := range cfg.Routes {
		overflow, err := stream.ParseOverflow(string(r.Overflow))
		if err != nil {
			return nil, fmt.Errorf("BRIDGE_ROUTE_%d_OVERFLOW: %w", r.Index, err)
		}
		rc := bridge.RouteConfig{
			Name:       r.Name,
			In:         r.In,
			Out:        r.Out,
			Queue:      r.Queue,
			DLQ:        r.DLQ,
			BufferSize: r.Buffer,
			Overflow:   overflow,
			Workers:    r.Workers,
			Timeout:    r.Timeout,
			Stream:     r.Stream,
			Durable:    r.Durable,
			MaxDeliver: r.MaxDeliver,
			AckWait:    r.AckWait,
			NoMsgID:    r.JetStream() && !r.Dedup,
		}
		if r.JQ != "" {
			p, err := jq.Compile(r.JQ)
			if err != nil {
				return nil, fmt.Errorf("BRIDGE_ROUTE_%d_JQ: %w", r.Index, err)
			}
			rc.Process = classifyJQ(p)
		}
		out = append(out, rc)
	}
	return out, nil
}

// classifyJQ marks payloads that are not JSON as permanent failures, which
// the bridge reports with reason "decode".
func classifyJQ(p *jq.Program) stream.ProcessFunc {
	return func(ctx context.Context, a *artifact.Artifact, emit stream.Emit) error {
		err := p.Process(ctx, a, emit)
		if err != nil && errors.Is(err, jq.ErrNotJSON) {
			return fmt.Errorf("%w: %w", bridge.ErrPermanent, err)
		}
		return err
	}
}

// httpHandler serves metrics and the health endpoints. /readyz answers 503
// while a connection is down, naming it, or while the bridge is not
// consuming on every route.
func httpHandler(reg *prometheus.Registry, b *bridge.Bridge, cs *conns) http.Handler {
	mux := http.NewServeMux()
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
