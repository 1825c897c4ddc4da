package bridge

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
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

// WithConn gives the Bridge another NATS connection, which routes name in
// RouteConfig.InConn or OutConn: a route may consume on one system and
// publish on another. name is letters, digits, '_' or '-', and not
// DefaultConn, which names the connection given to New. The caller owns nc.
func WithConn(name string, nc *nats.Conn) Option {
	return func(b *Bridge) error {
		switch {
		case nc == nil:
			return fmt.Errorf("%w: nil connection %q", ErrInvalidOption, name)
		case name == DefaultConn || !connNameRE.MatchString(name):
			return fmt.Errorf("%w: connection name %q (want letters, digits, '_' or '-', not %q)", ErrInvalidOption, name, DefaultConn)
		case b.conns[name] != nil:
			return fmt.Errorf("%w: connection %q given twice", ErrInvalidOption, name)
		}
		b.conns[name] = nc
		return nil
	}
}

var connNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Bridge runs a set of routes over one NATS connection, or several.
type Bridge struct {
	nc              *nats.Conn
	conns           map[string]*nats.Conn // by name, DefaultConn included
	used            []string              // the names of the connections routes use, sorted
	routes          []*route
	hooks           Hooks
	log             *slog.Logger
	shutdownTimeout time.Duration
	tracer          trace.Tracer // nil: no tracing
	roots           float64      // the fraction of new traces started
	publishSpans    bool         // a producer span per output of a sampled input
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
		conns:           map[string]*nats.Conn{DefaultConn: nc},
		log:             slog.New(slog.DiscardHandler),
		shutdownTimeout: DefaultShutdownTimeout,
		started:         make(chan struct{}),
		roots:           1,
	}
	for _, opt := range opts {
		if err := opt(b); err != nil {
			return nil, err
		}
	}
	if err := errors.Join(CheckRoutes(routes), b.checkConns(routes)); err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, rc := range routes {
		rc = rc.WithDefaults()
		var rh RouteHooks
		if b.hooks.Route != nil {
			rh = b.hooks.Route(rc.Name)
		}
		in, err := b.side(rc, rc.InConn)
		if err != nil {
			return nil, err
		}
		out, err := b.side(rc, rc.OutConn)
		if err != nil {
			return nil, err
		}
		r, err := newRoute(rc, in, out, rh, b.log)
		if err != nil {
			return nil, err
		}
		r.tracing = newTracing(b.tracer, b.roots, b.publishSpans, rc)
		b.routes = append(b.routes, r)
		used[rc.InConn], used[rc.OutConn] = true, true
	}
	b.used = slices.Sorted(maps.Keys(used))
	return b, nil
}

// checkConns reports routes that name a connection the Bridge was not
// given.
func (b *Bridge) checkConns(routes []RouteConfig) error {
	var errs []error
	for i, rc := range routes {
		rc = rc.WithDefaults()
		for field, name := range map[string]string{"InConn": rc.InConn, "OutConn": rc.OutConn} {
			if b.conns[name] == nil {
				errs = append(errs, &FieldError{Index: i, Route: rc.Name, Field: field,
					Err: fmt.Errorf("unknown connection %q (give it with WithConn)", name)})
			}
		}
	}
	return errors.Join(errs...)
}

// side returns a route's side on the connection called name.
func (b *Bridge) side(rc RouteConfig, name string) (side, error) {
	s := side{name: name, nc: b.conns[name]}
	if rc.JetStream() {
		var err error
		if s.js, err = newJetStream(s.nc, rc); err != nil {
			return side{}, fmt.Errorf("route %q: %w", rc.Name, err)
		}
	}
	return s, nil
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

// Ready returns nil when every connection a route uses is up and every
// route takes messages, and an error matching ErrNotReady saying what is
// missing otherwise.
func (b *Bridge) Ready() error {
	for _, name := range b.used {
		if nc := b.conns[name]; !nc.IsConnected() {
			if len(b.conns) == 1 {
				return fmt.Errorf("%w: NATS connection is %v", ErrNotReady, nc.Status())
			}
			return fmt.Errorf("%w: connection %q is %v", ErrNotReady, name, nc.Status())
		}
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
