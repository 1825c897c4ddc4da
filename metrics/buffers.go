package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// BufferStats is a snapshot of one route's buffer.
type BufferStats struct {
	// Route is the route's name.
	Route string
	// Depth is the number of messages waiting in the queue.
	Depth int
	// Capacity is the queue's capacity.
	Capacity int
}

// ObserveBuffers sets the function that bridge_buffer_depth and
// bridge_buffer_capacity are read from at each scrape; until it is set they
// have no series. f is called from the scraping goroutine, so it must be
// safe to call concurrently with the routes it reports on, and it must
// return each route at most once.
//
// The buffers are read when scraped rather than updated through the
// buffer's OnDepth hook: that hook is only called on enqueue for a route
// with a processing stage, so a gauge fed by it would keep showing the
// depth of the last burst after the stage had emptied the queue. Reading
// at scrape time is exact and costs nothing per message.
func (m *Metrics) ObserveBuffers(f func() []BufferStats) {
	if m == nil {
		return
	}
	m.buffers.source.Store(&f)
}

// bufferCollector exposes the buffers reported by the function set with
// ObserveBuffers.
type bufferCollector struct {
	depth, capacity *prometheus.Desc
	source          atomic.Pointer[func() []BufferStats]
}

func newBufferCollector() *bufferCollector {
	return &bufferCollector{
		depth: prometheus.NewDesc("bridge_buffer_depth",
			"Messages waiting in the buffer of a route for its processing stage.", []string{labelRoute}, nil),
		capacity: prometheus.NewDesc("bridge_buffer_capacity",
			"Capacity, in messages, of the buffer of a route.", []string{labelRoute}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *bufferCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.capacity
}

// Collect implements prometheus.Collector.
func (c *bufferCollector) Collect(ch chan<- prometheus.Metric) {
	f := c.source.Load()
	if f == nil || *f == nil {
		return
	}
	for _, s := range (*f)() {
		ch <- gauge(c.depth, s.Depth, s.Route)
		ch <- gauge(c.capacity, s.Capacity, s.Route)
	}
}

func gauge(d *prometheus.Desc, v int, route string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, float64(v), route)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}

var _ prometheus.Collector = (*bufferCollector)(nil)
