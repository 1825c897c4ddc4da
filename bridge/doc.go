// Package bridge runs routes: each route subscribes to NATS subjects, feeds
// every message through a [stream.Buffer] and its processing stage, and
// publishes each result to an output subject.
//
// A [Bridge] owns its routes and their goroutines; [Bridge.Run] blocks until
// its context is cancelled, then drains: it stops taking messages, finishes
// everything already received, flushes its publishes and returns.
//
// Observability is through [Hooks]; the package imports no metrics library.
// [WithTracerProvider] adds OpenTelemetry spans, through the OpenTelemetry
// API only: the program that uses the package chooses the SDK and exporter.
// Messages that fail (bad input, a program error, a timeout, a rejected
// publish) go to the route's dead-letter subject when it has one, and are
// always reported through [RouteHooks.Failed].
package bridge
