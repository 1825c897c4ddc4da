package bridge

import (
	"time"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/stream"
)

// Reason classifies a failed or dropped message. The set is fixed, so it is
// safe as a metric label.
type Reason string

// Failure reasons.
const (
	// ReasonDecode: the payload could not be decoded (e.g. not JSON on a
	// jq route). Permanent.
	ReasonDecode Reason = "decode"
	// ReasonGenerator: the processing stage returned an error.
	ReasonGenerator Reason = "generator"
	// ReasonTimeout: processing ran past the route's timeout.
	ReasonTimeout Reason = "timeout"
	// ReasonPublish: publishing the result failed.
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

// LatencySampling is how often forward-only routes time a message: one in
// this many. On those routes the latency is the cost of one publish call,
// and reading the clock twice per message would cost about as much.
const LatencySampling = 16

// RouteHooks observe one route. Any hook may be nil. Hooks are called
// concurrently from the route's goroutines and must not block, and must not
// keep the artifact they are given after returning: the route may reuse it.
//
// Every message is accounted for exactly once: each one reported by
// Received ends in exactly one of Processed, Filtered, Failed, or Dropped
// with n == 1. Dropped with ReasonSlowConsumer is the exception that proves
// the rule: those messages were discarded by the NATS client and never
// reached Received, so counting them as received keeps the identity
//
//	received = processed + filtered + failed + dropped
//
// true once the route is idle.
type RouteHooks struct {
	// Received: a message arrived from NATS.
	Received func(a *artifact.Artifact)
	// Processed: every output of a message (outputs >= 1) was published.
	Processed func(a *artifact.Artifact, outputs int)
	// Filtered: the processing stage produced no output for a message.
	Filtered func(a *artifact.Artifact)
	// Failed: a message failed; err says why.
	Failed func(a *artifact.Artifact, reason Reason, err error)
	// Dropped: n messages were discarded without processing.
	Dropped func(reason Reason, n int)
	// Published: one output was published.
	Published func(a *artifact.Artifact)
	// Latency: an output was published d after its input was received.
	// Called for every output, except on forward-only routes (see
	// Forwarded), which time one message in LatencySampling.
	Latency func(d time.Duration)
	// Forwarded, when set, stands for Received, Published and Processed
	// (with one output) together, for a message that a forward-only route
	// published: one call instead of three on the busiest path. A
	// forward-only route is a core NATS route without a processing stage
	// and with the block policy; it publishes from the NATS callback, and
	// the artifact its hooks see is reused for every message and carries
	// no ID, and a Created time only on the messages it times. If its
	// publish fails, it calls Received and then Failed.
	Forwarded func(a *artifact.Artifact)
	// DeadLettered: a failed message was published to the DLQ.
	DeadLettered func(a *artifact.Artifact)
	// ProcessingTime: the processing stage spent d on one message.
	ProcessingTime func(d time.Duration)
	// Buffer observes the route's buffer. Its OnDrop is wrapped by the
	// route, which reports drops through Dropped as well.
	Buffer stream.Hooks
}

// Hooks observe a Bridge. Any hook may be nil.
type Hooks struct {
	// Route is called once per route, when the Bridge is made, and returns
	// the hooks for that route. Resolving per-route state here keeps it
	// off the per-message path.
	Route func(name string) RouteHooks
}

// BufferStats is a snapshot of one route's buffer.
type BufferStats struct {
	// Route is the route's name.
	Route string
	// Len is the number of messages waiting in the queue for the
	// processing stage; 0 while the route is not running.
	Len int
	// Cap is the queue's capacity.
	Cap int
}

// Buffers returns a snapshot of the buffer of every route, in the order the
// routes were given to New. It is safe to call at any time, concurrently
// with Run: for instance from a metrics scrape, which reads the buffers
// when it needs them instead of following every enqueue and dequeue.
func (b *Bridge) Buffers() []BufferStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]BufferStats, len(b.routes))
	for i, r := range b.routes {
		s := BufferStats{Route: r.cfg.Name, Cap: r.cfg.BufferSize}
		if s.Cap <= 0 {
			s.Cap = stream.DefaultBufferSize
		}
		// Run sets r.buf before it sets running under b.mu, so with
		// running seen here r.buf is safe to read.
		if b.running && r.buf != nil {
			s.Len, s.Cap = r.buf.Len(), r.buf.Cap()
		}
		out[i] = s
	}
	return out
}
