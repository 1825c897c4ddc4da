package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/natsbridge/bridge/artifact"
)

// ErrTimeout is matched by the error of an artifact whose processing ran
// past the deadline set with [WithTimeout].
var ErrTimeout = errors.New("stream: processing deadline exceeded")

// WithTimeout wraps fn so that each call gets a context that expires after
// d. A call that fails after its deadline passed returns an error matching
// ErrTimeout (and context.DeadlineExceeded); the generator goes on with the
// next artifact. d <= 0 returns fn unchanged.
func WithTimeout(d time.Duration, fn ProcessFunc) ProcessFunc {
	if d <= 0 {
		return fn
	}
	return func(ctx context.Context, a *artifact.Artifact, emit Emit) error {
		mctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		err := fn(mctx, a, emit)
		if err != nil && ctx.Err() == nil && errors.Is(mctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w after %v: %w", ErrTimeout, d, err)
		}
		return err
	}
}
