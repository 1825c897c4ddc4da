package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Drop reasons: the values of the reason label of
// bridge_messages_dropped_total. They match the bridge's drop reasons.
const (
	// DropOverflow: the route's buffer was full and its policy dropped.
	DropOverflow = "overflow"
	// DropSlowConsumer: the NATS client discarded messages because the
	// route fell behind its pending limits. Also counted as inputs.
	DropSlowConsumer = "slow_consumer"
	// DropShutdown: the message was still queued when the shutdown
	// deadline passed.
	DropShutdown = "shutdown"
)

// Failure reasons: the values of the reason label of
// bridge_messages_failed_total. They match the bridge's failure reasons.
const (
	// FailDecode: the payload could not be decoded. Permanent.
	FailDecode = "decode"
	// FailGenerator: the processing stage returned an error.
	FailGenerator = "generator"
	// FailTimeout: processing ran past the route's timeout.
	FailTimeout = "timeout"
	// FailPublish: publishing an output failed.
	FailPublish = "publish"
	// FailMaxDeliver: a JetStream message was delivered too many times.
	FailMaxDeliver = "max_deliver"
)

// ReasonOther is the reason label under which Dropped and Failed count a
// reason they do not know, so that an input is never lost from the
// accounting and the label keeps a fixed set of values. It is not
// pre-initialized: it only appears if the bridge reports a reason that this
// package has not been taught.
const ReasonOther = "other"

var (
	dropReasons = [...]string{DropOverflow, DropSlowConsumer, DropShutdown}
	failReasons = [...]string{FailDecode, FailGenerator, FailTimeout, FailPublish, FailMaxDeliver}
)

// Indexes into dropReasons and failReasons, kept in step by dropIndex and
// failIndex.
const (
	dropOverflow = iota
	dropSlowConsumer
	dropShutdown
)

const (
	failDecode = iota
	failGenerator
	failTimeout
	failPublish
	failMaxDeliver
)

func dropIndex(reason string) int {
	switch reason {
	case DropOverflow:
		return dropOverflow
	case DropSlowConsumer:
		return dropSlowConsumer
	case DropShutdown:
		return dropShutdown
	}
	return -1
}

func failIndex(reason string) int {
	switch reason {
	case FailDecode:
		return failDecode
	case FailGenerator:
		return failGenerator
	case FailTimeout:
		return failTimeout
	case FailPublish:
		return failPublish
	case FailMaxDeliver:
		return failMaxDeliver
	}
	return -1
}

// Route records the metrics of one route. Its series are resolved when it
// is made, so its methods cost no label lookup. A nil *Route records
// nothing. Its methods are safe for concurrent use and never block.
type Route struct {
	m    *Metrics
	name string

	in, out, processed, filtered, deadLettered prometheus.Counter
	bytesIn, bytesOut                          prometheus.Counter
	dropped                                    [len(dropReasons)]prometheus.Counter
	failed                                     [len(failReasons)]prometheus.Counter
	processing, latency                        prometheus.Observer
}

// Route returns the metrics of the route called name, with every series
// (each drop and failure reason included) present at zero. Call it once per
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
	for i, reason := range dropReasons {
		r.dropped[i] = m.dropped.WithLabelValues(name, reason)
	}
	for i, reason := range failReasons {
		r.failed[i] = m.failed.WithLabelValues(name, reason)
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

// Failed counts an input that failed for reason, one of the Fail
// constants; any other reason is counted as ReasonOther.
func (r *Route) Failed(reason string) {
	if r == nil {
		return
	}
	if i := failIndex(reason); i >= 0 {
		r.failed[i].Inc()
		return
	}
	r.m.failed.WithLabelValues(r.name, ReasonOther).Inc()
}

// Dropped counts n inputs discarded for reason, one of the Drop constants;
// any other reason is counted as ReasonOther. Inputs dropped with
// DropSlowConsumer never reached the route, so they are also counted in
// bridge_messages_in_total: that keeps in = processed + filtered + failed +
// dropped.
func (r *Route) Dropped(reason string, n int) {
	if r == nil || n <= 0 {
		return
	}
	v := float64(n)
	i := dropIndex(reason)
	switch {
	case i < 0:
		r.m.dropped.WithLabelValues(r.name, ReasonOther).Add(v)
		return
	case i == dropSlowConsumer:
		r.in.Add(v)
	}
	r.dropped[i].Add(v)
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

// Forwarded counts an input of size payload bytes that was published as
// its own single output: Received, Published and Processed in one call.
func (r *Route) Forwarded(size int) {
	if r == nil {
		return
	}
	v := float64(size)
	r.in.Inc()
	r.bytesIn.Add(v)
	r.out.Inc()
	r.bytesOut.Add(v)
	r.processed.Inc()
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
