package status

import (
	"math"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// Metric names read from the gatherer: those of package metrics, plus
// bridge_pending_messages and the process collector's start time, which may
// be absent.
const (
	metricIn         = "bridge_messages_in_total"
	metricOut        = "bridge_messages_out_total"
	metricProcessed  = "bridge_messages_processed_total"
	metricFiltered   = "bridge_messages_filtered_total"
	metricFailed     = "bridge_messages_failed_total"
	metricDropped    = "bridge_messages_dropped_total"
	metricDepth      = "bridge_buffer_depth"
	metricCapacity   = "bridge_buffer_capacity"
	metricPending    = "bridge_pending_messages"
	metricInflight   = "bridge_inflight_messages"
	metricLatency    = "bridge_latency_seconds"
	metricConnected  = "bridge_nats_connected"
	metricBuildInfo  = "bridge_build_info"
	metricStartTime  = "process_start_time_seconds"
	labelRoute       = "route"
	labelReason      = "reason"
	labelConnection  = "connection"
	labelVersionInfo = "version"
)

// reading is what one Gather said.
type reading struct {
	at          time.Time
	routes      map[string]*routeReading
	connections []Connection
	version     string
	started     *time.Time
}

// routeReading is one route's part of a reading.
type routeReading struct {
	in, out, processed, filtered float64
	failedBy, droppedBy          map[string]float64
	depth, capacity, pending     *float64
	latency                      histogram
}

func (r *routeReading) failed() float64  { return sum(r.failedBy) }
func (r *routeReading) dropped() float64 { return sum(r.droppedBy) }

func sum(m map[string]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}

// read turns gathered families into a reading taken at at.
func read(at time.Time, families []*dto.MetricFamily) *reading {
	rd := &reading{at: at, routes: map[string]*routeReading{}}
	route := func(m *dto.Metric) *routeReading {
		name := label(m, labelRoute)
		r := rd.routes[name]
		if r == nil {
			r = &routeReading{failedBy: map[string]float64{}, droppedBy: map[string]float64{}}
			rd.routes[name] = r
		}
		return r
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			switch f.GetName() {
			case metricIn:
				route(m).in = value(m)
			case metricOut:
				route(m).out = value(m)
			case metricProcessed:
				route(m).processed = value(m)
			case metricFiltered:
				route(m).filtered = value(m)
			case metricFailed:
				route(m).failedBy[label(m, labelReason)] = value(m)
			case metricDropped:
				route(m).droppedBy[label(m, labelReason)] = value(m)
			case metricDepth:
				route(m).depth = finite(value(m))
			case metricCapacity:
				route(m).capacity = finite(value(m))
			case metricPending, metricInflight:
				// A core route's pending queue, or what a JetStream
				// route fetched and has not settled: a route has one.
				route(m).pending = finite(value(m))
			case metricLatency:
				route(m).latency = histogramOf(m.GetHistogram())
			case metricConnected:
				// Unlabelled today; labelled by connection once the
				// bridge has more than one.
				rd.connections = append(rd.connections, Connection{Name: label(m, labelConnection), Connected: value(m) >= 1})
			case metricBuildInfo:
				rd.version = label(m, labelVersionInfo)
			case metricStartTime:
				if v := value(m); v > 0 {
					sec, frac := math.Modf(v)
					t := time.Unix(int64(sec), int64(frac*1e9)).UTC()
					rd.started = &t
				}
			}
		}
	}
	sortConnections(rd.connections)
	return rd
}

// value reads a counter, gauge or untyped sample.
func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	default:
		return m.GetUntyped().GetValue()
	}
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// finite returns a pointer to v, or nil for NaN and infinities, which JSON
// cannot hold.
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
