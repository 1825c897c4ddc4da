package stream

import (
	"context"
	"fmt"
	"log/slog"
)

// DefaultBufferSize is the queue capacity of a Buffer made without
// [WithBufferSize].
const DefaultBufferSize = 1024

// DefaultMaxFrameSize bounds one frame accepted by [Buffer.Write], so a
// corrupt length cannot make the buffer allocate without limit.
const DefaultMaxFrameSize = 64 << 20

// Option configures a Buffer. Options validate their arguments and make
// NewBuffer fail with an error matching ErrInvalidOption.
type Option func(*options) error

type options struct {
	ctx        context.Context
	gen        Generator
	size       int
	overflow   Overflow
	middleware []Middleware
	hooks      Hooks
	logger     *slog.Logger
	maxFrame   int
}

// WithGenerator sets the Generator the buffer feeds. NewBuffer starts it;
// Close shuts it down. Without one the buffer passes artifacts through.
func WithGenerator(g Generator) Option {
	return func(o *options) error {
		if g == nil {
			return fmt.Errorf("%w: nil generator", ErrInvalidOption)
		}
		o.gen = g
		return nil
	}
}

// WithBufferSize sets the queue capacity. Defaults to DefaultBufferSize.
func WithBufferSize(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("%w: buffer size %d, want >= 1", ErrInvalidOption, n)
		}
		o.size = n
		return nil
	}
}

// WithOverflow sets what Send does when the queue is full. Defaults to
// Block.
func WithOverflow(p Overflow) Option {
	return func(o *options) error {
		if p < Block || p > Fail {
			return fmt.Errorf("%w: overflow policy %d", ErrInvalidOption, int(p))
		}
		o.overflow = p
		return nil
	}
}

// WithMiddleware appends middleware applied, in order, to every artifact on
// its way in.
func WithMiddleware(mw ...Middleware) Option {
	return func(o *options) error {
		for i, m := range mw {
			if m == nil {
				return fmt.Errorf("%w: middleware %d is nil", ErrInvalidOption, i)
			}
		}
		o.middleware = append(o.middleware, mw...)
		return nil
	}
}

// WithHooks sets the hooks that observe the buffer. Defaults to none.
func WithHooks(h Hooks) Option {
	return func(o *options) error {
		o.hooks = h
		return nil
	}
}

// WithContext sets the parent context of the buffer and its generator;
// cancelling it stops them as Close does. Defaults to context.Background().
func WithContext(ctx context.Context) Option {
	return func(o *options) error {
		if ctx == nil {
			return fmt.Errorf("%w: nil context", ErrInvalidOption)
		}
		o.ctx = ctx
		return nil
	}
}

// WithLogger sets the logger for rare events (close, corrupt input); the
// hot path never logs. Defaults to discarding.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l != nil {
			o.logger = l
		}
		return nil
	}
}

// WithMaxFrameSize bounds the size of one frame accepted by Write.
// Defaults to DefaultMaxFrameSize.
func WithMaxFrameSize(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("%w: max frame size %d, want >= 1", ErrInvalidOption, n)
		}
		o.maxFrame = n
		return nil
	}
}
