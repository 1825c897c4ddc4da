// Package bridge runs routes: each route takes messages from NATS subjects,
// passes each through an optional processing stage, and publishes the
// results to other subjects.
//
// # The shape of a route
//
// Every route is the same machine. A source (a core subscription, or a
// durable pull consumer of a JetStream stream) hands each input over
// together with the way to settle it. An optional stage, a [stream.Buffer]
// in front of the route's Process run by Workers goroutines, processes it
// and hands each output to the sink. The sink (a core publish, or a
// JetStream publish that waits for the stream's acknowledgement) delivers
// it. Once nothing holds an input any more, one function decides what
// became of it — processed, filtered, failed or dropped — has its source
// settle it (nothing to do for core NATS; Ack, Nak, NakWithDelay or Term
// for JetStream) and reports it through the route's [RouteHooks]. A route
// without a stage is the same path without the stage: the NATS callback
// hands the input to the sink itself.
//
// A [Bridge] owns its routes and their goroutines; [Bridge.Run] blocks until
// its context is cancelled, then drains: it stops taking messages, finishes
// everything already received, flushes its publishes and returns.
// [Bridge.Started] says when the routes take messages, [Bridge.Ready]
// whether they can now, and [Bridge.Stats] what each holds.
//
// # Failures
//
// A route fails an input when its stage returns an error, when a value it
// emits is refused, or when a publish fails. The class of the stage's error
// (package stream) decides the reason and, on a JetStream route, the fate:
// stream.ErrDecode is ReasonDecode and stream.ErrSubject ReasonSubject;
// stream.ErrTimeout is ReasonTimeout, retried; any other is ReasonGenerator.
// A permanent failure (stream.ErrPermanent, which ErrDecode and ErrSubject
// match) goes to the dead-letter subject and is terminated at once; a
// stream.Retry error is delivered again after the delay the stage chose;
// timeouts and failed publishes are delivered again with growing delays up
// to MaxDeliver times. Without a DLQ, failures are only reported through
// [RouteHooks.Failed]. Dead letters carry the input's payload and headers,
// Bridge-Error, Bridge-Route and Bridge-Subject (and, on JetStream routes,
// Bridge-Stream, Bridge-Sequence and Bridge-Delivered); one too large for
// the server with its headers goes without its payload
// (Bridge-Payload-Omitted).
//
// # Delivery
//
// A core route delivers at most once, as core NATS does. A JetStream route
// acknowledges an input only once every output is published — and, for an
// output subject a stream stores, stored; its outputs carry Nats-Msg-Id
// <stream>:<sequence>:<index>, so a redelivery's copies are dropped by the
// output stream: exactly once into it. The server never has more than
// BufferSize messages of the route unacknowledged.
//
// # Two systems
//
// [WithConn] gives a Bridge more connections, and a route's InConn and
// OutConn say where it consumes and where it publishes. A JetStream route
// between two systems acknowledges on its input side only after the other
// system stored its outputs. A core route carries a request over with a
// reply subject of its own on the other side, and forwards the first
// response to the requester (see [ReplyOutcome]).
//
// Observability is through [Hooks]; the package imports no metrics library
// (package metrics/bridgemetrics adapts the hooks to Prometheus).
// [WithTracerProvider] adds OpenTelemetry spans, through the OpenTelemetry
// API only: the program that uses the package chooses the SDK and exporter.
package bridge
