package otlpexport

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// batcher queues a provider's ended spans and exports them from a
// goroutine of its own, a batch a request: when a batch is full, when the
// oldest span has waited ScheduleDelay, on ForceFlush and on Shutdown.
// The SDK's batch span processor hands each span to its goroutine over a
// channel, which wakes the goroutine once a span; here a span joins the
// queue under a mutex and the goroutine is woken once a batch.
type batcher struct {
	exp     *Exporter
	cfg     Batching
	onError func(error)
	dropped atomic.Uint64

	mu     sync.Mutex
	queue  []*span // ended, waiting for export, oldest first
	closed bool    // no more spans taken

	kick    chan struct{}     // a batch is full; holds one
	flushes chan flushRequest // ForceFlush's
	quit    chan struct{}
	done    chan struct{} // closed when the goroutine returns

	// ctx is the exports' context, cancelled when Shutdown's ends: an
	// export under way then gives up.
	ctx    context.Context
	cancel context.CancelFunc

	batch []*span // the goroutine's: the spans of the export under way
}

type flushRequest struct {
	ctx   context.Context
	reply chan error // holds one
}

// start fills in the defaults and starts the batch goroutine.
func (b *batcher) start() {
	d := DefaultBatching
	if b.cfg.MaxQueueSize <= 0 {
		b.cfg.MaxQueueSize = d.MaxQueueSize
	}
	if b.cfg.MaxExportBatchSize <= 0 {
		b.cfg.MaxExportBatchSize = d.MaxExportBatchSize
	}
	b.cfg.MaxExportBatchSize = min(b.cfg.MaxExportBatchSize, b.cfg.MaxQueueSize)
	if b.cfg.ScheduleDelay <= 0 {
		b.cfg.ScheduleDelay = d.ScheduleDelay
	}
	if b.cfg.ExportTimeout <= 0 {
		b.cfg.ExportTimeout = d.ExportTimeout
	}
	b.kick = make(chan struct{}, 1)
	b.flushes = make(chan flushRequest)
	b.quit = make(chan struct{})
	b.done = make(chan struct{})
	b.ctx, b.cancel = context.WithCancel(context.Background())
	go b.run()
}

// add queues s for export, or drops and counts it when the queue is full.
func (b *batcher) add(s *span) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	if len(b.queue) >= b.cfg.MaxQueueSize {
		b.mu.Unlock()
		b.dropped.Add(1)
		return
	}
	if b.queue == nil {
		b.queue = make([]*span, 0, b.cfg.MaxExportBatchSize)
	}
	b.queue = append(b.queue, s)
	full := len(b.queue) == b.cfg.MaxExportBatchSize
	b.mu.Unlock()
	if full {
		select {
		case b.kick <- struct{}{}:
		default: // the goroutine has been told already
		}
	}
}

func (b *batcher) run() {
	defer close(b.done)
	timer := time.NewTimer(b.cfg.ScheduleDelay)
	defer timer.Stop()
	for {
		select {
		case <-b.kick:
			b.export(b.ctx, false)
		case <-timer.C:
			b.export(b.ctx, true)
			timer.Reset(b.cfg.ScheduleDelay)
		case r := <-b.flushes:
			ctx, cancel := context.WithCancel(b.ctx)
			unhook := context.AfterFunc(r.ctx, cancel)
			r.reply <- b.export(ctx, true)
			unhook()
			cancel()
		case <-b.quit:
			b.mu.Lock()
			b.closed = true
			b.mu.Unlock()
			b.export(b.ctx, true)
			return
		}
	}
}

// export sends the queued spans, a batch a request: all of those queued
// now, or only full batches. It reports each failure and returns the
// last.
func (b *batcher) export(ctx context.Context, all bool) error {
	var err error
	b.mu.Lock()
	left := len(b.queue) // with all: those queued now, not those that come during the exports
	b.mu.Unlock()
	for {
		b.mu.Lock()
		n := min(len(b.queue), b.cfg.MaxExportBatchSize)
		if all {
			n = min(n, left)
		}
		if n == 0 || (!all && n < b.cfg.MaxExportBatchSize) {
			b.mu.Unlock()
			return err
		}
		b.batch = append(b.batch[:0], b.queue[:n]...)
		m := copy(b.queue, b.queue[n:])
		clear(b.queue[m:])
		b.queue = b.queue[:m]
		b.mu.Unlock()
		left -= n

		ectx, cancel := context.WithTimeout(ctx, b.cfg.ExportTimeout)
		if e := exportSpans(b.exp, ectx, b.batch); e != nil {
			err = e
			b.onError(e)
		}
		cancel()
		clear(b.batch) // the spans are garbage once sent
	}
}

// flush exports every span queued now, within ctx.
func (b *batcher) flush(ctx context.Context) error {
	r := flushRequest{ctx: ctx, reply: make(chan error, 1)}
	select {
	case b.flushes <- r:
	case <-b.done:
		return ErrShutdown
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop exports what is queued and waits for the goroutine to return; when
// ctx ends first, the export under way, which may be one the goroutine
// began before, gives up.
func (b *batcher) stop(ctx context.Context) error {
	unhook := context.AfterFunc(ctx, b.cancel)
	defer unhook()
	close(b.quit)
	<-b.done
	b.cancel()
	return ctx.Err()
}
