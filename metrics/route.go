package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ReasonOther is the reason label under which Dropped and Failed count a
// reason that was not given to WithReasons, so that an input is never lost
// from the accounting and the label keeps a fixed set of values. It is not
// pre-initialized: it only appears if a reason is reported that this
// package was not told about.
const ReasonOther = "other"

// reasonCounter is the counter of one reason label value.
type reasonCounter struct {
	reason string
	c      prometheus.Counter
}

// find returns the counter of reason among cs, or nil.
func find(cs []reasonCounter, reason string) prometheus.Counter {
	for _, rc := range cs {
		if rc.reason == reason {
			return rc.c
		}
	}
	return nil
}

// Route records the metrics of one route. Its series are resolved when it
// is made, so its methods cost no label lookup. A nil *Route records
// nothing. Its methods are safe for concurrent use and never block.
type Route struct {
	m    *Metrics
	name string

	in, out, processed, filtered, deadLettered prometheus.Counter
	bytesIn, bytesOut                          prometheus.Counter
	dropped, failed, replies                   []reasonCounter
	processing, latency                        prometheus.Observer
}

// Route returns the metrics of the route called name, with every series
// (each drop and failure reason given to WithReasons included) present at
// zero. Call it once per
// route, when the route is made, and keep the result: it does the label
// lookups that the per-message methods then avoid. Calling it again for the
// same name returns a Route that updates the same series.
func (m *Metrics) Route(name string) *Route {
	if m == nil {
		return nil
	}
	r := &Route{
		m:            m,
		name:         name,
		in:           m.in.WithLabelValues(name),
		out:          m.out.WithLabelValues(name),
		processed:    m.processed.WithLabelValues(name),
		filtered:     m.filtered.WithLabelValues(name),
		deadLettered: m.deadLettered.WithLabelValues(name),
		bytesIn:      m.bytesIn.WithLabelValues(name),
		bytesOut:     m.bytesOut.WithLabelValues(name),
		processing:   m.processing.WithLabelValues(name),
		latency:      m.latency.WithLabelValues(name),
	}
	for _, reason := range m.dropReasons {
		r.dropped = append(r.dropped, reasonCounter{reason, m.dropped.WithLabelValues(name, reason)})
	}
	for _, reason := range m.failReasons {
		r.failed = append(r.failed, reasonCounter{reason, m.failed.WithLabelValues(name, reason)})
	}
	for _, outcome := range m.replyOutcomes {
		r.replies = append(r.replies, reasonCounter{outcome, m.replies.WithLabelValues(name, outcome)})
	}
	return r
}

// Received counts an input of size payload bytes.
func (r *Route) Received(size int) {
	if r == nil {
		return
	}
	r.in.Inc()
	r.bytesIn.Add(float64(size))
}

// Processed counts an input whose outputs were all published.
func (r *Route) Processed() {
	if r == nil {
		return
	}
	r.processed.Inc()
}

// Filtered counts an input for which the processing stage produced no
// output.
func (r *Route) Filtered() {
	if r == nil {
		return
	}
	r.filtered.Inc()
}

// Failed counts an input that failed for reason, one of the failure
// reasons given to WithReasons; any other is counted as ReasonOther.
func (r *Route) Failed(reason string) {
	if r == nil {
		return
	}
	if c := find(r.failed, reason); c != nil {
		c.Inc()
		return
	}
	r.m.failed.WithLabelValues(r.name, ReasonOther).Inc()
}

// Dropped counts n inputs discarded for reason, one of the drop reasons
// given to WithReasons; any other is counted as ReasonOther.
func (r *Route) Dropped(reason string, n int) {
	if r == nil || n <= 0 {
		return
	}
	c := find(r.dropped, reason)
	if c == nil {
		c = r.m.dropped.WithLabelValues(r.name, ReasonOther)
	}
	c.Add(float64(n))
}

// DroppedBeforeReceipt counts n inputs discarded for reason before they
// reached the route (the NATS client dropped them as a slow consumer):
// they are counted in bridge_messages_in_total as well as in
// bridge_messages_dropped_total, so that in = processed + filtered +
// failed + dropped holds for them too.
func (r *Route) DroppedBeforeReceipt(reason string, n int) {
	if r == nil || n <= 0 {
		return
	}
	r.in.Add(float64(n))
	r.Dropped(reason, n)
}

// Published counts an output of size payload bytes.
func (r *Route) Published(size int) {
	if r == nil {
		return
	}
	r.out.Inc()
	r.bytesOut.Add(float64(size))
}

// Latency records that an output was published d after its input was
// received.
func (r *Route) Latency(d time.Duration) {
	if r == nil {
		return
	}
	r.latency.Observe(d.Seconds())
}

// Replied counts a response a route carried back, or gave up on, by its
// outcome, one given to WithReplyOutcomes; any other is counted as
// ReasonOther.
func (r *Route) Replied(outcome string) {
	if r == nil {
		return
	}
	if c := find(r.replies, outcome); c != nil {
		c.Inc()
		return
	}
	r.m.replies.WithLabelValues(r.name, ReasonOther).Inc()
}

// DeadLettered counts a failed input published to the dead-letter subject.
func (r *Route) DeadLettered() {
	if r == nil {
		return
	}
	r.deadLettered.Inc()
}

// ProcessingTime records the time the processing stage spent on one input.
func (r *Route) ProcessingTime(d time.Duration) {
	if r == nil {
		return
	}
	r.processing.Observe(d.Seconds())
}
