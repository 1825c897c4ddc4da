package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Errors returned by this package.
var (
	// ErrInvalidRoute is returned by New for a route that cannot run.
	ErrInvalidRoute = errors.New("bridge: invalid route")
	// ErrDrainTimeout is returned by Run when the shutdown deadline passed
	// before every received message was finished; the rest were reported
	// as dropped with ReasonShutdown.
	ErrDrainTimeout = errors.New("bridge: shutdown deadline passed before the drain finished")
	// ErrNotReady is returned by Ready while the bridge cannot serve.
	ErrNotReady = errors.New("bridge: not ready")
)

// DefaultShutdownTimeout bounds the drain when WithShutdownTimeout is not
// given.
const DefaultShutdownTimeout = 30 * time.Second

// slowConsumerPoll is how often routes look for messages the NATS client
// dropped.
const slowConsumerPoll = time.Second

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
			return fmt.Errorf("%w: shutdown timeout %v, want > 0", ErrInvalidRoute, d)
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

	mu      sync.Mutex
	running bool
}

// New returns a Bridge for routes over nc. It validates the routes but does
// not subscribe; Run does. The caller owns nc and closes it after Run
// returns.
func New(nc *nats.Conn, routes []RouteConfig, opts ...Option) (*Bridge, error) {
	if nc == nil {
		return nil, fmt.Errorf("%w: nil connection", ErrInvalidRoute)
	}
	b := &Bridge{nc: nc, log: slog.New(slog.DiscardHandler), shutdownTimeout: DefaultShutdownTimeout}
	for _, opt := range opts {
		if err := opt(b); err != nil {
			return nil, err
		}
	}
	seen := make(map[string]bool, len(routes))
	var errs []error
	for _, rc := range routes {
		if seen[rc.Name] {
			errs = append(errs, fmt.Errorf("%w: duplicate route name %q", ErrInvalidRoute, rc.Name))
			continue
		}
		seen[rc.Name] = true
		var rh RouteHooks
		if b.hooks.Route != nil {
			rh = b.hooks.Route(rc.Name)
		}
		r, err := newRoute(rc, nc, rh, b.log)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		b.routes = append(b.routes, r)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return b, nil
}

// Ready returns nil when the connection is up and every route is
// subscribed, and an error matching ErrNotReady saying what is missing
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
		if r.js != nil {
			if !r.readyJS() {
				return fmt.Errorf("%w: route %q is not consuming stream %q", ErrNotReady, r.cfg.Name, r.cfg.Stream)
			}
			continue
		}
		if r.sub == nil || !r.sub.IsValid() {
			return fmt.Errorf("%w: route %q is not subscribed", ErrNotReady, r.cfg.Name)
		}
	}
	return nil
}

// Run subscribes every route and moves messages until ctx is cancelled.
// Then it drains: it unsubscribes, lets the NATS client hand over what it
// holds, finishes everything in the routes' buffers, and flushes the
// publishes, all within the shutdown timeout. It returns nil after a
// complete drain, ErrDrainTimeout if the deadline cut it short, or an error
// if a route could not start.
func (b *Bridge) Run(ctx context.Context) error {
	// hard is cancelled when draining must give up; it is independent of
	// ctx so that cancelling ctx starts the drain instead of aborting it.
	hard, giveUp := context.WithCancel(context.WithoutCancel(ctx))
	defer giveUp()

	started := make([]*route, 0, len(b.routes))
	for _, r := range b.routes {
		if err := r.start(hard); err != nil {
			for _, s := range started {
				if s.sub != nil {
					_ = s.sub.Unsubscribe()
				}
				_ = s.buf.Close()
				if s.js != nil {
					s.stopJS()
				}
			}
			return err
		}
		started = append(started, r)
	}
	b.mu.Lock()
	b.running = true
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.running = false
		b.mu.Unlock()
	}()
	if err := b.nc.FlushTimeout(5 * time.Second); err != nil && b.nc.IsConnected() {
		b.log.Warn("flushing subscriptions", "err", err)
	}
	for _, r := range b.routes {
		b.log.Info("route started", "route", r.cfg.Name, "in", r.cfg.In, "out", r.cfg.Out, "queue", r.cfg.Queue)
	}

	var loops, consumers sync.WaitGroup
	for _, r := range b.routes {
		loops.Go(func() { r.publishLoop(hard) })
		if r.js != nil {
			consumers.Go(func() {
				if err := r.startJS(ctx); err != nil && ctx.Err() == nil {
					b.log.Error("route cannot consume", "route", r.cfg.Name, "err", err)
				}
			})
		}
	}
	// Progress acknowledgements go on until Run returns, drain included.
	keepAlive := make(chan struct{})
	var keeper sync.WaitGroup
	keeper.Go(func() {
		every := slowConsumerPoll
		for _, r := range b.routes {
			if r.js != nil {
				every = min(every, r.cfg.AckWait/3)
			}
		}
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-keepAlive:
				return
			case <-tick.C:
				for _, r := range b.routes {
					if r.js != nil {
						r.keepAlive()
					}
				}
			}
		}
	})
	defer func() {
		close(keepAlive)
		keeper.Wait()
	}()

	tick := time.NewTicker(slowConsumerPoll)
	defer tick.Stop()
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case <-tick.C:
			for _, r := range b.routes {
				r.pollSlowConsumer()
			}
		}
	}
	consumers.Wait()

	b.log.Info("draining", "timeout", b.shutdownTimeout)
	deadline := time.Now().Add(b.shutdownTimeout)
	timer := time.AfterFunc(b.shutdownTimeout, giveUp)
	defer timer.Stop()
	var drains sync.WaitGroup
	for _, r := range b.routes {
		drains.Go(func() { r.drain(hard) })
	}
	drains.Wait()
	loops.Wait()
	fctx, cancel := context.WithDeadline(hard, deadline)
	if err := b.nc.FlushWithContext(fctx); err != nil {
		b.log.Warn("flushing publishes", "err", err)
	}
	cancel()
	timedOut := hard.Err() != nil
	for _, r := range b.routes {
		_ = r.buf.Close() // reports anything left as dropped
	}
	if timedOut {
		return ErrDrainTimeout
	}
	b.log.Info("drained")
	return nil
}

// drain stops the route's input and waits until the NATS client has handed
// over every pending message; the publish loop then sees io.EOF.
func (r *route) drain(hard context.Context) {
	if r.js != nil {
		r.drainJS(hard)
		return
	}
	if !r.nc.IsConnected() {
		// No server to confirm a drain, and nothing more can arrive:
		// what the client holds is already being handed over.
		r.pollSlowConsumer()
		_ = r.sub.Unsubscribe()
		_ = r.buf.CloseSend()
		return
	}
	closed := r.sub.StatusChanged(nats.SubscriptionClosed)
	if err := r.sub.Drain(); err != nil {
		r.log.Warn("draining subscription", "err", err)
	} else {
		r.pollSlowConsumer()
		select {
		case <-closed:
		case <-hard.Done():
			_ = r.sub.Unsubscribe()
		}
	}
	_ = r.buf.CloseSend()
}
