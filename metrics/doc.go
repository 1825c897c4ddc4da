// Package metrics turns the bridge's hooks and NATS connection events into
// Prometheus metrics. It imports no package of the bridge: the command wires
// each route's hooks to the methods of a [Route], and the connection's
// handlers to the methods of a [Conn], one per connection. The README lists
// every metric.
//
// # Registries
//
// [New] registers its collectors with the [prometheus.Registerer] it is
// given, never with the global one. The caller adds the Go and process
// collectors if it wants them, and serves the registry.
//
// # Accounting
//
// Each input of a route is counted once in bridge_messages_in_total and,
// once the route is idle, once in exactly one of the outcome counters:
//
//	in = processed + filtered + failed + dropped
//
// Messages the NATS client discarded because the route fell behind (reason
// slow_consumer) never reached the route, so [Route.Dropped] adds them to
// bridge_messages_in_total as well as to bridge_messages_dropped_total: the
// identity holds for them too.
//
// # Cost
//
// [Metrics.Route] resolves every series of a route once, including one per
// drop and failure reason, and sets them to zero so that dashboards and
// alerts see them from the start. The per-message methods of [Route] then
// only update counters and histograms: no label lookup, no allocation. All
// methods are safe for concurrent use, and all are no-ops on a nil receiver,
// so code under test can run with metrics switched off.
package metrics
