package bridgemetrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/natsbridge/bridge/bridge"
)

// StatsCollector exposes what each route of a bridge holds, read from
// Bridge.Stats at each scrape: exact, and free per message.
//
//	bridge_pending_messages, bridge_pending_limit_messages    core routes: the NATS client's pending queue
//	bridge_buffer_depth, bridge_buffer_capacity               routes with a processing stage: its queue
//	bridge_inflight_messages, bridge_inflight_limit_messages  JetStream routes: fetched, not yet settled
//
// A route has only the series that apply to it.
type StatsCollector struct {
	b                       *bridge.Bridge
	pending, pendingLimit   *prometheus.Desc
	depth, capacity         *prometheus.Desc
	inflight, inflightLimit *prometheus.Desc
}

// NewStatsCollector returns the collector of b's route statistics.
func NewStatsCollector(b *bridge.Bridge) *StatsCollector {
	route := []string{"route"}
	desc := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, route, nil) }
	return &StatsCollector{
		b: b,
		pending: desc("bridge_pending_messages",
			"Messages the NATS client holds for a core route, received and not yet taken by the route."),
		pendingLimit: desc("bridge_pending_limit_messages",
			"Messages the NATS client holds for a core route before it drops them as a slow consumer."),
		depth: desc("bridge_buffer_depth",
			"Messages waiting in the buffer of a route for its processing stage."),
		capacity: desc("bridge_buffer_capacity",
			"Capacity, in messages, of the buffer of a route with a processing stage."),
		inflight: desc("bridge_inflight_messages",
			"Messages a JetStream route fetched and has not yet acknowledged, terminated or handed back."),
		inflightLimit: desc("bridge_inflight_limit_messages",
			"Messages a JetStream route may have unacknowledged (its consumer's MaxAckPending)."),
	}
}

// Describe implements prometheus.Collector.
func (c *StatsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.pending, c.pendingLimit, c.depth, c.capacity, c.inflight, c.inflightLimit} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *StatsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.b.Stats() {
		if s.JetStream {
			ch <- gauge(c.inflight, s.InFlight, s.Route)
			ch <- gauge(c.inflightLimit, s.InFlightLimit, s.Route)
		} else {
			ch <- gauge(c.pending, s.Pending, s.Route)
			ch <- gauge(c.pendingLimit, s.PendingLimit, s.Route)
		}
		if s.BufferCap > 0 {
			ch <- gauge(c.depth, s.Buffered, s.Route)
			ch <- gauge(c.capacity, s.BufferCap, s.Route)
		}
	}
}

func gauge(d *prometheus.Desc, v int, route string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), route)
}
