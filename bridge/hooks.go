package bridge

import (
	"time"

	"github.com/natsbridge/bridge/artifact"
)

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
// true once the route is idle. A JetStream message that is delivered again
// after a failure is received again: each delivery is an input.
type RouteHooks struct {
	// Received: a message arrived from NATS.
	Received func(in *artifact.Artifact)
	// Processed: every output of a message (outputs >= 1) was published.
	Processed func(in *artifact.Artifact, outputs int)
	// Filtered: the processing stage produced no output for a message.
	Filtered func(in *artifact.Artifact)
	// Failed: a message failed; err says why. A JetStream route calls it
	// once it has decided what becomes of the message: redelivered, or
	// dead-lettered (if it has a DLQ) and terminated.
	Failed func(in *artifact.Artifact, reason Reason, err error)
	// Dropped: n messages were discarded without processing.
	Dropped func(reason Reason, n int)
	// Published: one output was published (on a JetStream route to a
	// subject a stream stores: once the stream acknowledged it). With
	// RouteConfig.LentOutputs, out is valid only during the call.
	Published func(out *artifact.Artifact)
	// Latency: an output was published d after its input was received.
	// Core routes time one input in 16, since there the clock reads
	// would cost a good part of the rest of the route.
	Latency func(d time.Duration)
	// DeadLettered: a failed message was published to the DLQ.
	DeadLettered func(in *artifact.Artifact)
	// ProcessingTime: the processing stage spent d on one message,
	// handing its outputs over to be published included.
	ProcessingTime func(d time.Duration)
	// Replied: on a core route between two connections, what became of
	// a response to a request the route carried over.
	Replied func(o ReplyOutcome)
}

// Hooks observe a Bridge. Any hook may be nil.
type Hooks struct {
	// Route is called once per route, when the Bridge is made, and returns
	// the hooks for that route. Resolving per-route state here keeps it
	// off the per-message path.
	Route func(name string) RouteHooks
}

// RouteStats is a snapshot of what one route holds: where its messages wait
// before they are settled.
type RouteStats struct {
	// Route is the route's name.
	Route string
	// JetStream is set for a JetStream route.
	JetStream bool
	// Pending is the number of messages the NATS client holds for a core
	// route's subscription, received from the server and not yet taken by
	// the route; PendingLimit is the most it holds before it drops
	// (RouteConfig.PendingMsgs). Both are 0 on JetStream routes, whose
	// client fetches no more than InFlight allows.
	Pending, PendingLimit int
	// Buffered is the number of messages queued for the processing stage,
	// and BufferCap the queue's capacity. Both are 0 on a route without a
	// stage: it has no queue, and publishes from the NATS callback.
	Buffered, BufferCap int
	// InFlight is, on a JetStream route, the number of messages received
	// and not yet acknowledged, terminated or handed back; the server
	// delivers at most InFlightLimit (RouteConfig.BufferSize). 0 on core
	// routes.
	InFlight, InFlightLimit int
}
