package status

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidOption is returned by New for an option with an invalid value.
var ErrInvalidOption = errors.New("status: invalid option")

// Defaults of the options.
const (
	DefaultInterval = time.Second
	DefaultWindow   = 10 * time.Second
	DefaultFailures = 10
)

// Option configures New.
type Option func(*options) error

type options struct {
	interval, window time.Duration
	failures         int
}

// WithInterval sets how often the counters are read for the rates, which is
// also how often the page polls /status. Defaults to DefaultInterval.
func WithInterval(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: interval %v is not positive", ErrInvalidOption, d)
		}
		o.interval = d
		return nil
	}
}

// WithWindow sets the span the rates and latency percentiles are computed
// over; it must be at least the interval. Defaults to DefaultWindow.
func WithWindow(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: window %v is not positive", ErrInvalidOption, d)
		}
		o.window = d
		return nil
	}
}

// WithFailures sets how many recent failures are kept per route. Defaults
// to DefaultFailures.
func WithFailures(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("%w: %d failures per route (want at least 1)", ErrInvalidOption, n)
		}
		o.failures = n
		return nil
	}
}
