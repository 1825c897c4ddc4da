package bridge

import (
	"errors"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/stream"
)

// Reason classifies a failed or dropped message. The set is fixed, so it is
// safe as a metric label: FailureReasons and DropReasons list it.
type Reason string

// Failure reasons.
const (
	// ReasonDecode: the payload could not be decoded (a stage error that
	// matches stream.ErrDecode, such as a jq route's non-JSON input).
	// Permanent.
	ReasonDecode Reason = "decode"
	// ReasonGenerator: the processing stage returned an error, or emitted
	// a value it was not allowed to.
	ReasonGenerator Reason = "generator"
	// ReasonTimeout: processing ran past the route's timeout.
	ReasonTimeout Reason = "timeout"
	// ReasonSubject: the stage chose an output subject the route may not
	// publish to, or gave none where the route has no default. Permanent.
	ReasonSubject Reason = "subject"
	// ReasonPublish: publishing an output failed.
	ReasonPublish Reason = "publish"
	// ReasonMaxDeliver: a JetStream message was delivered too many times.
	ReasonMaxDeliver Reason = "max_deliver"
)

// Drop reasons.
const (
	// ReasonOverflow: the route's buffer was full and its policy dropped.
	ReasonOverflow Reason = "overflow"
	// ReasonSlowConsumer: the NATS client dropped messages because the
	// route fell behind its pending limits.
	ReasonSlowConsumer Reason = "slow_consumer"
	// ReasonShutdown: the message was still queued when the shutdown
	// deadline passed.
	ReasonShutdown Reason = "shutdown"
)

// FailureReasons returns every reason Failed reports, in a fixed order.
func FailureReasons() []Reason {
	return []Reason{ReasonDecode, ReasonGenerator, ReasonTimeout, ReasonSubject, ReasonPublish, ReasonMaxDeliver}
}

// DropReasons returns every reason Dropped reports, in a fixed order.
func DropReasons() []Reason {
	return []Reason{ReasonOverflow, ReasonSlowConsumer, ReasonShutdown}
}

// classify returns the reason of a stage's error.
func classify(err error) Reason {
	switch {
	case errors.Is(err, stream.ErrSubject):
		return ReasonSubject
	case errors.Is(err, stream.ErrTimeout):
		return ReasonTimeout
	case errors.Is(err, stream.ErrDecode):
		return ReasonDecode
	default:
		return ReasonGenerator
	}
}

// retryable reports whether a failure may succeed on another delivery, and
// after how long the stage asked to wait (0: the route's back-off).
//
// Stage errors are permanent unless they ask for a retry (stream.Retry) or
// ran out of time: a program that failed on an input fails on it again.
// A publish that failed is retried, unless the output is larger than the
// server accepts.
func retryable(reason Reason, err error) (bool, time.Duration) {
	if re, ok := errors.AsType[*stream.RetryError](err); ok {
		return true, re.Delay
	}
	switch reason {
	case ReasonTimeout:
		return true, 0
	case ReasonPublish:
		return !errors.Is(err, nats.ErrMaxPayload), 0
	}
	return false, 0
}
