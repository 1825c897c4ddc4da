package stream

import (
	"errors"
	"fmt"
	"time"
)

// Classes of processing failure. A [ProcessFunc] wraps its error with one of
// them, or returns one made by [Retry], to tell the transport what to do
// with the input: a JetStream route, for instance, dead-letters and
// terminates a permanent failure at once and redelivers any other. An error
// of no class is treated as permanent by routes that cannot retry and as
// retryable by routes that can only when it matches [ErrTimeout] or
// [RetryError].
var (
	// ErrPermanent: trying the same input again cannot succeed (a program
	// error that depends only on the input, a value the stage rejects).
	ErrPermanent = errors.New("stream: permanent failure")
	// ErrDecode: the input's payload could not be decoded (for instance it
	// is not JSON). It matches ErrPermanent.
	ErrDecode = NewError("stream: payload cannot be decoded", ErrPermanent)
	// ErrSubject: an output's subject is not one it may have (empty, not a
	// subject, or outside where its route may publish). It matches
	// ErrPermanent.
	ErrSubject = NewError("stream: invalid output subject", ErrPermanent)
)

// NewError returns a sentinel error whose message is msg and which matches
// class with errors.Is: a package's own error with a failure class (say,
// ErrPermanent), whose message does not repeat the class's.
func NewError(msg string, class error) error { return &classError{msg: msg, class: class} }

type classError struct {
	msg   string
	class error
}

func (e *classError) Error() string { return e.msg }

func (e *classError) Is(target error) bool { return errors.Is(e.class, target) }

// RetryError asks for the input to be processed again later: after Delay
// when it is positive, or after the transport's own back-off otherwise.
type RetryError struct {
	Err   error
	Delay time.Duration
}

// Retry returns an error that asks for the input to be retried after delay
// (0: the transport's back-off). It wraps err.
func Retry(err error, delay time.Duration) error {
	if err == nil {
		err = errors.New("retry requested")
	}
	return &RetryError{Err: err, Delay: delay}
}

func (e *RetryError) Error() string {
	if e.Delay > 0 {
		return fmt.Sprintf("%v (retry after %v)", e.Err, e.Delay)
	}
	return e.Err.Error()
}

func (e *RetryError) Unwrap() error { return e.Err }

// Permanent reports whether err is a failure that retrying cannot fix: it
// matches ErrPermanent and asks for no retry.
func Permanent(err error) bool {
	if _, ok := errors.AsType[*RetryError](err); ok {
		return false
	}
	return errors.Is(err, ErrPermanent)
}
