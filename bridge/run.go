package bridge

import (
	"context"
	"sync"
	"time"
)

// tickEvery is how often routes do their housekeeping (slow-consumer
// drops, progress acknowledgements) at most.
const tickEvery = time.Second

// Run starts every route and moves messages until ctx is cancelled. Then
// it drains: it stops taking messages, lets the NATS client hand over what
// it holds, finishes everything the routes hold, and flushes the
// publishes, all within the shutdown timeout. It returns nil after a
// complete drain, ErrDrainTimeout if the deadline cut it short, an error
// if a route could not start, or ErrAlreadyRun: a Bridge runs once.
func (b *Bridge) Run(ctx context.Context) error {
	if err := b.claim(); err != nil {
		return err
	}
	// hard is cancelled when draining must give up; it is independent of
	// ctx so that cancelling ctx starts the drain instead of aborting it.
	hard, giveUp := context.WithCancel(context.WithoutCancel(ctx))
	defer giveUp()

	if err := b.startRoutes(ctx, hard); err != nil {
		return err
	}
	consumers := b.startConsumers(ctx)
	stopTicks := b.tick(b.tickInterval())
	defer stopTicks()

	<-ctx.Done()
	consumers.Wait()
	return b.drain(hard, giveUp)
}

// claim marks the Bridge as run, or says that it was.
func (b *Bridge) claim() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ran {
		return ErrAlreadyRun
	}
	b.ran = true
	return nil
}

// startRoutes makes every route's stage and sink and subscribes its core
// source; on failure it undoes what it started.
func (b *Bridge) startRoutes(ctx, hard context.Context) error {
	for i, r := range b.routes {
		err := r.start(hard)
		if err == nil && !r.cfg.JetStream() {
			err = r.src.start(ctx)
		}
		if err != nil {
			for _, s := range b.routes[:i+1] {
				s.src.drain(canceled)
				s.finish(canceled)
			}
			return err
		}
	}
	b.setRunning(true)
	for _, name := range b.used {
		if err := b.conns[name].FlushTimeout(5 * time.Second); err != nil {
			// Subscriptions are sent again once the connection is up;
			// Ready says when.
			b.log.Warn("routes will take messages once the NATS connection is up", "connection", name, "err", err)
		}
	}
	for _, r := range b.routes {
		if !r.cfg.JetStream() {
			b.log.Info("route started", "route", r.cfg.Name, "in", r.cfg.In, "out", r.cfg.Out, "queue", r.cfg.Queue,
				"in_conn", r.cfg.InConn, "out_conn", r.cfg.OutConn,
				"subscribed", r.src.ready() && b.conns[r.cfg.InConn].IsConnected())
		}
	}
	return nil
}

// canceled is a context that is done: for undoing a start at once.
var canceled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// startConsumers starts the JetStream sources, each on a goroutine of its
// own since it waits for its stream, and closes Started once all consume.
// The returned group ends when each has started or given up with ctx, and
// Started is closed if all started.
func (b *Bridge) startConsumers(ctx context.Context) *sync.WaitGroup {
	var wg sync.WaitGroup
	var failed sync.Once
	ok := true
	for _, r := range b.routes {
		if r.cfg.JetStream() {
			wg.Go(func() {
				if err := r.src.start(ctx); err != nil {
					failed.Do(func() { ok = false })
					if ctx.Err() == nil {
						b.log.Error("route cannot consume", "route", r.cfg.Name, "err", err)
					}
				}
			})
		}
	}
	var all sync.WaitGroup
	all.Go(func() {
		wg.Wait()
		if ok {
			close(b.started)
		}
	})
	return &all
}

// tickInterval is how often routes do their housekeeping: every second,
// or a third of the shortest AckWait, so that progress acknowledgements
// come in time.
func (b *Bridge) tickInterval() time.Duration {
	every := tickEvery
	for _, r := range b.routes {
		if r.cfg.JetStream() {
			every = min(every, r.cfg.AckWait/3)
		}
	}
	return every
}

// tick runs every route's housekeeping until the returned function is
// called, which waits for it to stop.
func (b *Bridge) tick(every time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, r := range b.routes {
					r.src.tick()
				}
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// drain stops every source, finishes what the routes hold and flushes,
// giving up at the shutdown deadline.
func (b *Bridge) drain(hard context.Context, giveUp context.CancelFunc) error {
	b.log.Info("draining", "timeout", b.shutdownTimeout)
	deadline := time.Now().Add(b.shutdownTimeout)
	timer := time.AfterFunc(b.shutdownTimeout, giveUp)
	defer timer.Stop()
	var wg sync.WaitGroup
	for _, r := range b.routes {
		wg.Go(func() {
			r.src.drain(hard)
			r.finish(hard)
		})
	}
	wg.Wait()
	b.setRunning(false)
	fctx, cancel := context.WithDeadline(hard, deadline)
	defer cancel()
	for _, name := range b.used {
		nc := b.conns[name]
		if !nc.IsConnected() {
			// What it holds waits for a server that may not come back
			// before the deadline: the caller's Close decides.
			b.log.Warn("not flushing publishes: the connection is down", "connection", name)
			continue
		}
		if err := nc.FlushWithContext(fctx); err != nil {
			b.log.Warn("flushing publishes", "connection", name, "err", err)
		}
	}
	if hard.Err() != nil {
		return ErrDrainTimeout
	}
	b.log.Info("drained")
	return nil
}

func (b *Bridge) setRunning(v bool) {
	b.mu.Lock()
	b.running = v
	b.mu.Unlock()
}
