package bridge

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"
)

// DefaultShutdownTimeout bounds the drain when WithShutdownTimeout is not
// given.
const DefaultShutdownTimeout = 30 * time.Second

// Option configures a Bridge.
type Option func(*Bridge) error

// WithLogger sets the logger. Defaults to discarding.
func WithLogger(l *slog.Logger) Option {
	return func(b *Bridge) error {
		if l != nil {
			b.log = l
		}
		return nil
	}
}

// WithHooks sets the hooks. Defaults to none.
func WithHooks(h Hooks) Option {
	return func(b *Bridge) error {
		b.hooks = h
		return nil
	}
}

// WithShutdownTimeout bounds the drain that follows the cancellation of
// Run's context. Defaults to DefaultShutdownTimeout.
func WithShutdownTimeout(d time.Duration) Option {
	return func(b *Bridge) error {
		if d <= 0 {
			return fmt.Errorf("%w: shutdown timeout %v, want > 0", ErrInvalidOption, d)
		}
		b.shutdownTimeout = d
		return nil
	}
}

// Bridge runs a set of routes over one NATS connection.
type Bridge struct {
	nc              *nats.Conn
	routes          []*route
	hooks           Hooks
	log             *slog.Logger
	shutdownTimeout time.Duration
	tracer          trace.Tracer // nil: no tracing
	started         chan struct{}

	mu      sync.Mutex
	ran     bool // Run was called
	running bool // routes are started and not yet drained
}

// New returns a Bridge for routes over nc. It validates the routes (see
// CheckRoutes) but does not subscribe; Run does. The caller owns nc and
// closes it after Run returns.
func New(nc *nats.Conn, routes []RouteConfig, opts ...Option) (*Bridge, error) {
	if nc == nil {
		return nil, fmt.Errorf("%w: nil connection", ErrInvalidOption)
	}
	b := &Bridge{
		nc:              nc,
		log:             slog.New(slog.DiscardHandler),
		shutdownTimeout: DefaultShutdownTimeout,
		started:         make(chan struct{}),
	}
	for _, opt := range opts {
		if err := opt(b); err != nil {
			return nil, err
		}
	}
	if err := CheckRoutes(routes); err != nil {
		return nil, err
	}
	for _, rc := range routes {
		rc = rc.WithDefaults()
		var rh RouteHooks
		if b.hooks.Route != nil {
			rh = b.hooks.Route(rc.Name)
		}
		var js jetstream.JetStream
		if rc.JetStream() {
			var err error
			if js, err = newJetStream(nc, rc); err != nil {
				return nil, fmt.Errorf("route %q: %w", rc.Name, err)
			}
		}
		r, err := newRoute(rc, nc, js, rh, b.log)
		if err != nil {
			return nil, err
		}
		r.tracing = newTracing(b.tracer, rc)
		b.routes = append(b.routes, r)
	}
	return b, nil
}

// newJetStream returns the JetStream context of a route.
func newJetStream(nc *nats.Conn, rc RouteConfig) (jetstream.JetStream, error) {
	// An output whose acknowledgement never comes (the output stream's
	// leader died with the publish in flight, while the connection stayed
	// up) must not hold the route forever: after the route's timeout, or
	// AckWait without one, the publish fails and the input is retried; the
	// output stream drops the copy if the first publish was stored.
	ackTimeout := rc.Timeout
	if ackTimeout <= 0 {
		ackTimeout = rc.AckWait
	}
	return jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(maxPubPending),
		jetstream.WithPublishAsyncTimeout(ackTimeout))
}

// Started returns a channel that is closed once Run has started every
// route: its subscription is in place or its JetStream consumer consumes.
// A JetStream route whose stream does not exist yet holds it open until the
// stream appears. Use Ready to learn whether the bridge serves now.
func (b *Bridge) Started() <-chan struct{} { return b.started }

// Ready returns nil when the connection is up and every route takes
// messages, and an error matching ErrNotReady saying what is missing
// otherwise.
func (b *Bridge) Ready() error {
	if !b.nc.IsConnected() {
		return fmt.Errorf("%w: NATS connection is %v", ErrNotReady, b.nc.Status())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.running {
		return fmt.Errorf("%w: routes not started", ErrNotReady)
	}
	for _, r := range b.routes {
		if r.src.ready() {
			continue
		}
		if r.cfg.JetStream() {
			return fmt.Errorf("%w: route %q is not consuming stream %q", ErrNotReady, r.cfg.Name, r.cfg.Stream)
		}
		return fmt.Errorf("%w: route %q is not subscribed", ErrNotReady, r.cfg.Name)
	}
	return nil
}

// Stats returns what every route holds, in the order the routes were given
// to New. It is safe to call at any time, concurrently with Run: for
// instance from a metrics scrape, which reads the routes when it needs
// them instead of following every message. Before Run and after it, only
// the capacities are set.
func (b *Bridge) Stats() []RouteStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]RouteStats, len(b.routes))
	for i, r := range b.routes {
		if b.running {
			out[i] = r.stats()
			continue
		}
		s := RouteStats{Route: r.cfg.Name, JetStream: r.cfg.JetStream()}
		if r.cfg.JetStream() {
			s.InFlightLimit = r.cfg.BufferSize
		} else {
			s.PendingLimit = r.cfg.PendingMsgs
		}
		if r.cfg.Process != nil {
			s.BufferCap = r.cfg.BufferSize
		}
		out[i] = s
	}
	return out
}
