package stream_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/natsbridge/bridge/stream"
)

func TestFailureClasses(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name      string
		err       error
		permanent bool
		decode    bool
		delay     time.Duration
		retry     bool
	}{
		{"plain", base, false, false, 0, false},
		{"permanent", fmt.Errorf("%w: %w", stream.ErrPermanent, base), true, false, 0, false},
		{"decode", fmt.Errorf("x: %w", stream.ErrDecode), true, true, 0, false},
		{"retry", stream.Retry(base, 0), false, false, 0, true},
		{"retry later", stream.Retry(base, time.Second), false, false, time.Second, true},
		{"retry of permanent", stream.Retry(fmt.Errorf("%w", stream.ErrPermanent), 0), false, false, 0, true},
		{"timeout", fmt.Errorf("%w", stream.ErrTimeout), false, false, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := stream.Permanent(tc.err); got != tc.permanent {
				t.Errorf("Permanent = %v, want %v", got, tc.permanent)
			}
			if got := errors.Is(tc.err, stream.ErrDecode); got != tc.decode {
				t.Errorf("Is(ErrDecode) = %v, want %v", got, tc.decode)
			}
			re, ok := errors.AsType[*stream.RetryError](tc.err)
			if ok != tc.retry {
				t.Fatalf("RetryError: %v, want %v", ok, tc.retry)
			}
			if ok && re.Delay != tc.delay {
				t.Errorf("Delay = %v, want %v", re.Delay, tc.delay)
			}
			if ok && !errors.Is(tc.err, base) && tc.name != "retry of permanent" {
				t.Errorf("Retry does not wrap its error")
			}
		})
	}
	own := stream.NewError("pkg: bad input", stream.ErrDecode)
	if err := fmt.Errorf("%w: detail", own); !errors.Is(err, stream.ErrDecode) || !stream.Permanent(err) || err.Error() != "pkg: bad input: detail" {
		t.Errorf("NewError: %q, Is(ErrDecode) %v, Permanent %v", err, errors.Is(err, stream.ErrDecode), stream.Permanent(err))
	}
	if stream.Retry(nil, 0).Error() == "" {
		t.Error("Retry(nil) has no message")
	}
}
