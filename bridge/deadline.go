package bridge

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// deadlines bounds the stage's calls by the route's Timeout without a
// context and a timer per message, which cost about a microsecond and five
// allocations each: every call gets a reused deadline context, and one
// watchdog goroutine per stage cancels the calls that run past their
// deadline, at a resolution of a tenth of the timeout (at most 100 ms
// late).
type deadlines struct {
	d    time.Duration
	tick time.Duration
	pool sync.Pool

	mu     sync.Mutex
	active map[*deadlineCtx]struct{}

	stop chan struct{}
	wg   sync.WaitGroup
}

func newDeadlines(d time.Duration) *deadlines {
	t := &deadlines{
		d:      d,
		tick:   min(max(d/10, time.Millisecond), 100*time.Millisecond),
		active: make(map[*deadlineCtx]struct{}),
		stop:   make(chan struct{}),
	}
	t.wg.Go(t.watch)
	return t
}

// deadlineCtx is the context of one call: its parent's values and
// cancellation, and a deadline of its own.
type deadlineCtx struct {
	context.Context
	done    chan struct{}
	at      time.Time
	expired atomic.Bool
}

func (c *deadlineCtx) Deadline() (time.Time, bool) { return c.at, true }
func (c *deadlineCtx) Done() <-chan struct{}       { return c.done }

func (c *deadlineCtx) Err() error {
	if err := c.Context.Err(); err != nil {
		return err
	}
	if c.expired.Load() {
		return context.DeadlineExceeded
	}
	return nil
}

// begin returns the context of a call under parent, due after the
// timeout.
func (t *deadlines) begin(parent context.Context) *deadlineCtx {
	c, _ := t.pool.Get().(*deadlineCtx)
	if c == nil {
		c = &deadlineCtx{done: make(chan struct{})}
	}
	c.Context, c.at = parent, monoNow().Add(t.d)
	t.mu.Lock()
	t.active[c] = struct{}{}
	t.mu.Unlock()
	if parent.Err() != nil {
		t.expire(c)
	}
	return c
}

// end ends the call of c and reports whether it ran past its deadline.
func (t *deadlines) end(c *deadlineCtx) bool {
	t.mu.Lock()
	delete(t.active, c)
	t.mu.Unlock()
	if c.expired.Load() {
		return true // its done channel is closed: not reusable
	}
	c.Context = nil
	t.pool.Put(c)
	return false
}

// expire closes c's done channel, once; callers hold no lock.
func (t *deadlines) expire(c *deadlineCtx) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.expired.CompareAndSwap(false, true) {
		close(c.done)
	}
}

// watch cancels the calls past their deadline, and every call once the
// parents are done (the stage is closed at the shutdown deadline).
func (t *deadlines) watch() {
	tick := time.NewTicker(t.tick)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
		}
		now := monoNow()
		t.mu.Lock()
		for c := range t.active {
			if (now.After(c.at) || c.Context.Err() != nil) && c.expired.CompareAndSwap(false, true) {
				close(c.done)
			}
		}
		t.mu.Unlock()
	}
}

func (t *deadlines) close() {
	close(t.stop)
	t.wg.Wait()
}
