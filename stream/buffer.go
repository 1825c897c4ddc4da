package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/natsbridge/bridge/artifact"
)

// Buffer is a bounded queue in front of a Generator. Artifacts go in through
// Send or Write, pass the middleware, wait in the queue (whose overflow
// policy decides what happens when it is full), are processed by the
// Generator, and come out through Receive or Read.
//
// All methods are safe for concurrent use. The zero Buffer is not usable:
// its methods return ErrNotInitialized.
type Buffer struct {
	ctx    context.Context
	cancel context.CancelFunc
	o      options

	// in is the queue. The Buffer made it and is the only one to close it,
	// under mu, so no Send can race with the close.
	in       chan *artifact.Artifact
	mu       sync.RWMutex
	inClosed bool

	// out and errs belong to the Generator (or, without one, out is in).
	out  <-chan *artifact.Artifact
	errs <-chan error

	outDone, errsDone atomic.Bool

	sendClosed chan struct{} // closed by CloseSend: releases blocked senders
	done       chan struct{} // closed by Close
	eof        chan struct{} // closed when the output is exhausted
	sendOnce   sync.Once
	closeOnce  sync.Once
	eofOnce    sync.Once
	closeErr   error

	rmu  sync.Mutex // serializes Read
	rbuf []byte
	roff int

	wmu  sync.Mutex // serializes Write
	wbuf []byte
	werr error
}

// NewBuffer returns a running Buffer. It starts the Generator, if any, with
// a context that Close cancels. Cancelling the parent context set with
// WithContext stops the Generator and releases blocked calls, which then
// return ErrClosed; Close must still be called to release the rest.
func NewBuffer(opts ...Option) (*Buffer, error) {
	o := options{
		ctx:      context.Background(),
		size:     DefaultBufferSize,
		maxFrame: DefaultMaxFrameSize,
		logger:   slog.New(slog.DiscardHandler),
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	b := &Buffer{
		o:          o,
		in:         make(chan *artifact.Artifact, o.size),
		sendClosed: make(chan struct{}),
		done:       make(chan struct{}),
		eof:        make(chan struct{}),
	}
	b.ctx, b.cancel = context.WithCancel(o.ctx)
	if o.gen != nil {
		b.out, b.errs = o.gen.Generate(b.ctx, b.in)
		if b.out == nil {
			b.cancel()
			return nil, fmt.Errorf("%w: generator returned a nil output channel", ErrInvalidOption)
		}
	} else {
		b.out = b.in
	}
	if b.errs == nil {
		b.errsDone.Store(true)
	}
	return b, nil
}

// Cap returns the queue capacity.
func (b *Buffer) Cap() int { return cap(b.in) }

// Len returns the number of queued artifacts, waiting for the Generator.
func (b *Buffer) Len() int { return len(b.in) }

// Done returns a channel that is closed when Close has finished.
func (b *Buffer) Done() <-chan struct{} {
	if b.done == nil {
		closed := make(chan struct{})
		close(closed)
		return closed
	}
	return b.done
}

// Send puts a into the buffer after the middleware. When the queue is full
// the overflow policy decides: Block waits for room, ctx or Close;
// DropNewest and DropOldest discard an artifact and report it through
// Hooks.OnDrop; Fail returns ErrBufferFull. After CloseSend or Close, Send
// returns ErrSendClosed or ErrClosed. A rejection by middleware returns an
// *ArtifactError matching ErrRejected.
//
// The buffer takes ownership of a: do not modify it after Send.
func (b *Buffer) Send(ctx context.Context, a *artifact.Artifact) error {
	if b.in == nil {
		return ErrNotInitialized
	}
	if len(b.o.middleware) > 0 {
		// Middleware runs before the lock: a closed buffer refuses the
		// artifact first, rather than let it be filtered or rejected.
		select {
		case <-b.sendClosed:
			return b.sendErr()
		default:
		}
	}
	for _, mw := range b.o.middleware {
		next, err := mw(a)
		if err != nil {
			err = &ArtifactError{Artifact: a, Err: fmt.Errorf("%w: %w", ErrRejected, err)}
			b.onError(err)
			return err
		}
		if next == nil {
			b.drop(a, DropFiltered)
			return nil
		}
		a = next
	}

	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.inClosed {
		return b.sendErr()
	}
	// Fast path: room in the queue.
	select {
	case b.in <- a:
		b.wrote(a)
		return nil
	default:
	}
	switch b.o.overflow {
	case DropNewest:
		b.drop(a, DropOverflow)
		return nil
	case Fail:
		return ErrBufferFull
	case DropOldest:
		for {
			select {
			case b.in <- a:
				b.wrote(a)
				return nil
			default:
			}
			select {
			case old := <-b.in:
				b.drop(old, DropOverflow)
			default:
			}
		}
	}
	select {
	case b.in <- a:
		b.wrote(a)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-b.sendClosed:
		return b.sendErr()
	case <-b.ctx.Done():
		return ErrClosed
	}
}

func (b *Buffer) sendErr() error {
	select {
	case <-b.done:
		return ErrClosed
	default:
		return ErrSendClosed
	}
}

func (b *Buffer) wrote(a *artifact.Artifact) {
	if h := b.o.hooks.OnWrite; h != nil {
		h(a)
	}
	if h := b.o.hooks.OnDepth; h != nil {
		h(len(b.in), cap(b.in))
	}
}

func (b *Buffer) drop(a *artifact.Artifact, r DropReason) {
	if h := b.o.hooks.OnDrop; h != nil {
		h(a, r)
	}
}

func (b *Buffer) onError(err error) {
	if h := b.o.hooks.OnError; h != nil {
		h(err)
	}
}

// Receive returns the next result of the Generator. Errors come through it
// too: a generator error, or an artifact whose metadata carries an error
// (see artifact.Artifact.Err), is returned as an *ArtifactError, and
// Receive can be called again for the next result. After CloseSend, once
// the Generator has flushed everything, Receive returns io.EOF. After Close
// it returns ErrClosed.
func (b *Buffer) Receive(ctx context.Context) (*artifact.Artifact, error) {
	if b.out == nil {
		return nil, ErrNotInitialized
	}
	for {
		out, errs := b.out, b.errs
		if b.outDone.Load() {
			out = nil
		}
		if b.errsDone.Load() {
			errs = nil
		}
		if out == nil && errs == nil {
			b.eofOnce.Do(func() { close(b.eof) })
			return nil, io.EOF
		}
		var (
			a   *artifact.Artifact
			err error
			ok  bool
		)
		// Fast path: a result is ready.
		select {
		case a, ok = <-out:
		default:
			select {
			case a, ok = <-out:
			case err, ok = <-errs:
				if !ok {
					b.errsDone.Store(true)
					continue
				}
				b.onError(err)
				return nil, err
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-b.ctx.Done():
				return nil, ErrClosed
			}
		}
		if !ok {
			b.outDone.Store(true)
			continue
		}
		if b.o.gen == nil {
			if h := b.o.hooks.OnDepth; h != nil {
				h(len(b.in), cap(b.in))
			}
		}
		if err := a.Err(); err != nil {
			err = &ArtifactError{Artifact: a, Err: err}
			b.onError(err)
			return nil, err
		}
		if h := b.o.hooks.OnRead; h != nil {
			h(a)
		}
		return a, nil
	}
}

// CloseSend ends the input: later Send and Write calls fail with
// ErrSendClosed, blocked ones are released, and the Generator drains what is
// queued, after which Receive returns io.EOF. It is idempotent.
func (b *Buffer) CloseSend() error {
	if b.in == nil {
		return ErrNotInitialized
	}
	b.sendOnce.Do(func() {
		close(b.sendClosed)
		b.mu.Lock()
		b.inClosed = true
		close(b.in)
		b.mu.Unlock()
	})
	return nil
}

// Shutdown stops the buffer gracefully: it closes the input and waits until
// receivers have taken every result (Receive returned io.EOF) or ctx is
// done, then closes the buffer. Artifacts still queued when ctx ends are
// reported as dropped. It returns ctx's error if it ran out of time,
// otherwise Close's.
func (b *Buffer) Shutdown(ctx context.Context) error {
	if b.in == nil {
		return ErrNotInitialized
	}
	_ = b.CloseSend()
	var err error
	select {
	case <-b.eof:
	case <-b.done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	return errors.Join(err, b.Close())
}

// Close stops the buffer at once: it cancels the Generator's context,
// releases every blocked call, waits for the Generator to finish and closes
// it, and reports each artifact still queued or in flight as dropped with
// DropClosed. Afterwards every call returns ErrClosed. Close is idempotent
// and returns the Generator's Close error each time.
func (b *Buffer) Close() error {
	if b.in == nil {
		return ErrNotInitialized
	}
	b.closeOnce.Do(func() {
		b.cancel()
		close(b.done)
		_ = b.CloseSend()
		if g := b.o.gen; g != nil {
			b.drainGenerator()
			b.closeErr = g.Close()
		}
		for a := range b.in {
			b.drop(a, DropClosed)
		}
		if b.closeErr != nil {
			b.o.logger.Warn("stream: generator close failed", "err", b.closeErr)
		}
		if h := b.o.hooks.OnClose; h != nil {
			h(b.closeErr)
		}
	})
	return b.closeErr
}

// drainGenerator takes everything the cancelled generator still hands over,
// reporting each artifact as dropped, until it closes out and errs.
func (b *Buffer) drainGenerator() {
	out, errs := b.out, b.errs
	for out != nil || errs != nil {
		select {
		case a, ok := <-out:
			if !ok {
				out = nil
				continue
			}
			b.drop(a, DropClosed)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			var ae *ArtifactError
			if errors.As(err, &ae) && ae.Artifact != nil {
				b.drop(ae.Artifact, DropClosed)
			}
		}
	}
}
