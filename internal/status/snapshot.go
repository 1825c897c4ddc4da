package status

import (
	"cmp"
	"slices"
	"time"
)

// Route kinds, the values of [RouteStatus].Kind.
const (
	KindCore      = "core"
	KindJetStream = "jetstream"
)

// Route describes one route of the bridge, as configured.
type Route struct {
	// Name is the route's name, the route label of its metrics.
	Name string
	// In is the subject (or filter) the route reads.
	In string
	// Out is the subject, or subject mapping, it publishes to.
	Out string
	// Stream is the JetStream stream the route reads; empty for a core
	// NATS route.
	Stream string
}

// Snapshot is the state of the bridge at one time: what /status serves and
// the page shows.
type Snapshot struct {
	// Time is when the metrics were read.
	Time time.Time `json:"time"`
	// Version is the bridge's version, from bridge_build_info.
	Version string `json:"version,omitempty"`
	// Started is when the process started, from
	// process_start_time_seconds; nil without that metric.
	Started *time.Time `json:"started,omitempty"`
	// WindowSeconds is the span the rates and latencies of every route
	// were computed over; 0 until the sampler has a reading old enough,
	// and then every route's Rates and Latency are nil.
	WindowSeconds float64 `json:"window_seconds"`
	// Connections is the state of each NATS connection, by name.
	Connections []Connection `json:"connections"`
	// Routes are the routes in the order they were configured.
	Routes []RouteStatus `json:"routes"`
	// Error is set when some metrics could not be read; the rest of the
	// snapshot holds what could.
	Error string `json:"error,omitempty"`
}

// Connection is the state of one NATS connection.
type Connection struct {
	// Name is the connection label of bridge_nats_connected; empty when
	// the bridge has one unnamed connection.
	Name string `json:"name"`
	// Connected is true while the connection is up.
	Connected bool `json:"connected"`
}

// RouteStatus is the state of one route.
type RouteStatus struct {
	Name string `json:"name"`
	In   string `json:"in"`
	Out  string `json:"out"`
	// Kind is KindCore or KindJetStream.
	Kind string `json:"kind"`
	// Stream is the JetStream stream the route reads.
	Stream string `json:"stream,omitempty"`
	// Totals are the route's counters since the bridge started.
	Totals Totals `json:"totals"`
	// Rates are per second over the last Snapshot.WindowSeconds; nil
	// until there are two readings.
	Rates *Rates `json:"rates"`
	// Buffer is nil while the bridge reports no buffer for the route.
	Buffer *Buffer `json:"buffer"`
	// Pending is what waits for the route outside its buffer: a core
	// route's bridge_pending_messages (the NATS client's queue), a
	// JetStream route's bridge_inflight_messages (fetched, not yet
	// acknowledged); nil when the metrics do not have it.
	Pending *float64 `json:"pending"`
	// Latency is nil when no output was timed during the window.
	Latency *Latency `json:"latency_seconds"`
	// Failures are the route's most recent failures, newest first.
	Failures []Failure `json:"failures"`
}

// Totals are counters since the start of the bridge.
type Totals struct {
	In        uint64 `json:"in"`
	Out       uint64 `json:"out"`
	Processed uint64 `json:"processed"`
	Filtered  uint64 `json:"filtered"`
	Failed    uint64 `json:"failed"`
	Dropped   uint64 `json:"dropped"`
	// FailedBy and DroppedBy split Failed and Dropped by reason; every
	// reason the metrics have a series for is present, zero or not.
	FailedBy  map[string]uint64 `json:"failed_by_reason"`
	DroppedBy map[string]uint64 `json:"dropped_by_reason"`
}

// Rates are per second.
type Rates struct {
	In       float64 `json:"in"`
	Out      float64 `json:"out"`
	Filtered float64 `json:"filtered"`
	Failed   float64 `json:"failed"`
	Dropped  float64 `json:"dropped"`
}

// Buffer is the fill of a route's buffer.
type Buffer struct {
	Depth    float64 `json:"depth"`
	Capacity float64 `json:"capacity"`
}

// Latency holds percentiles, in seconds, of the time from the receipt of an
// input to the publication of an output.
type Latency struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
}

// Failure is one failed input. It holds no payload bytes.
type Failure struct {
	Time    time.Time `json:"time"`
	Reason  string    `json:"reason"`
	Subject string    `json:"subject"`
	Error   string    `json:"error"`
}

// RouteFailure is a Failure and the route it happened on.
type RouteFailure struct {
	Route string
	Failure
}

// RecentFailures returns the failures of every route, newest first.
func (s Snapshot) RecentFailures() []RouteFailure {
	var out []RouteFailure
	for _, r := range s.Routes {
		for _, f := range r.Failures {
			out = append(out, RouteFailure{Route: r.Name, Failure: f})
		}
	}
	slices.SortStableFunc(out, func(a, b RouteFailure) int { return b.Time.Compare(a.Time) })
	return out
}

// sortConnections orders connections by name, so that the page does not
// reorder them between polls.
func sortConnections(cs []Connection) {
	slices.SortFunc(cs, func(a, b Connection) int { return cmp.Compare(a.Name, b.Name) })
}
