package bridge_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/natstest"
	"github.com/natsbridge/bridge/stream"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// nats-server keeps a few process-wide goroutines once started.
		goleak.IgnoreTopFunction("github.com/nats-io/nats-server/v2/server.(*Server).startGoroutine.func1"),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.(*stree).startFlushLoop"),
	)
}

// counts records route hooks.
type counts struct {
	received, processed, filtered, failed, published, deadLettered atomic.Int64
	mu                                                             sync.Mutex
	dropped                                                        map[bridge.Reason]int
	failures                                                       map[bridge.Reason]int
}

func (c *counts) hooks() bridge.Hooks {
	c.dropped = map[bridge.Reason]int{}
	c.failures = map[bridge.Reason]int{}
	return bridge.Hooks{Route: func(string) bridge.RouteHooks {
		return bridge.RouteHooks{
			Received:  func(*artifact.Artifact) { c.received.Add(1) },
			Processed: func(*artifact.Artifact, int) { c.processed.Add(1) },
			Filtered:  func(*artifact.Artifact) { c.filtered.Add(1) },
			Failed: func(_ *artifact.Artifact, r bridge.Reason, _ error) {
				c.failed.Add(1)
				c.mu.Lock()
				c.failures[r]++
				c.mu.Unlock()
			},
			Dropped: func(r bridge.Reason, n int) {
				c.mu.Lock()
				c.dropped[r] += n
				c.mu.Unlock()
			},
			Published:    func(*artifact.Artifact) { c.published.Add(1) },
			DeadLettered: func(*artifact.Artifact) { c.deadLettered.Add(1) },
		}
	}}
}

func (c *counts) droppedTotal() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int
	for _, d := range c.dropped {
		n += d
	}
	return int64(n)
}

// balanced reports whether every received message is accounted for.
func (c *counts) balanced() error {
	in, p, f, x, d := c.received.Load(), c.processed.Load(), c.filtered.Load(), c.failed.Load(), c.droppedTotal()
	if in != p+f+x+d {
		return fmt.Errorf("received %d != processed %d + filtered %d + failed %d + dropped %d", in, p, f, x, d)
	}
	return nil
}

// running is a Bridge whose Run is in progress.
type running struct {
	*bridge.Bridge
	cancel context.CancelFunc
	done   chan error
}

// start runs a bridge and waits until it is ready.
func start(t testing.TB, nc *nats.Conn, routes []bridge.RouteConfig, opts ...bridge.Option) *running {
	t.Helper()
	b, err := bridge.New(nc, routes, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Bridge: b, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- b.Run(ctx) }()
	t.Cleanup(func() { _ = r.stop() })
	natstest.WaitFor(t, 10*time.Second, b.Ready)
	return r
}

// stop cancels Run and returns its result.
func (r *running) stop() error {
	r.cancel()
	err, ok := <-r.done
	if !ok {
		return nil
	}
	close(r.done)
	return err
}

// collector subscribes to subject and keeps what arrives.
type collector struct {
	mu   sync.Mutex
	msgs []*nats.Msg
}

func collect(t *testing.T, nc *nats.Conn, subject string) *collector {
	t.Helper()
	c := &collector{}
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		c.mu.Lock()
		c.msgs = append(c.msgs, m)
		c.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return c
}

func (c *collector) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

func (c *collector) all() []*nats.Msg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*nats.Msg(nil), c.msgs...)
}

func (c *collector) waitN(t *testing.T, n int) []*nats.Msg {
	t.Helper()
	natstest.WaitFor(t, 20*time.Second, func() error {
		if got := c.len(); got < n {
			return fmt.Errorf("%d of %d messages arrived", got, n)
		}
		return nil
	})
	return c.all()
}

// waitQuiet waits until activity (a count of events) has stayed the same
// for quiet, with a flush round trip of each of conns, in order, before
// every reading: what those connections had published by then has reached
// the server, and what the server had for them has reached their client.
// It catches events that would come after the ones a test waited for.
func waitQuiet(t *testing.T, quiet time.Duration, activity func() int64, conns ...*nats.Conn) {
	t.Helper()
	last, since := activity(), time.Now()
	natstest.WaitFor(t, 20*time.Second, func() error {
		for _, nc := range conns {
			if err := nc.Flush(); err != nil {
				return err
			}
		}
		if now := activity(); now != last {
			last, since = now, time.Now()
			return fmt.Errorf("%w: still active (%d)", natstest.ErrTest, now)
		}
		if d := time.Since(since); d < quiet {
			return fmt.Errorf("%w: quiet for %v of %v", natstest.ErrTest, d, quiet)
		}
		return nil
	})
}

// gated is a processing stage that holds every message until release is
// closed (or its context ends), then forwards it.
func gated(release <-chan struct{}) stream.ProcessFunc {
	return func(ctx context.Context, a *artifact.Artifact, emit stream.Emit) error {
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		return emit(a)
	}
}
