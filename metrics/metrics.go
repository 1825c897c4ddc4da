package metrics

import (
	"errors"
	"fmt"
	"runtime"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// Errors returned by this package.
var (
	// ErrInvalidOption is returned by New for an option with an invalid
	// value.
	ErrInvalidOption = errors.New("metrics: invalid option")
)

// Label names.
const (
	labelRoute      = "route"
	labelReason     = "reason"
	labelConnection = "connection"
)

// durationBuckets are the classic buckets of the duration histograms:
// 50µs to 10s in 1-2.5-5 steps, which covers an in-memory pass-through as
// well as a slow generator up to a typical route timeout.
var durationBuckets = []float64{
	50e-6, 100e-6, 250e-6, 500e-6,
	1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3,
	1, 2.5, 5, 10,
}

// Option configures New.
type Option func(*options) error

type options struct {
	version                  string
	failReasons, dropReasons []string
	replyOutcomes            []string
}

// Combine returns an option that applies opts in order.
func Combine(opts ...Option) Option {
	return func(o *options) error {
		for _, opt := range opts {
			if opt == nil {
				continue
			}
			if err := opt(o); err != nil {
				return err
			}
		}
		return nil
	}
}

// WithReplyOutcomes sets the values of the outcome label of
// bridge_replies_total, present at zero for every route from the start;
// any other outcome is counted as ReasonOther. bridgemetrics gives the
// bridge's.
func WithReplyOutcomes(outcomes []string) Option {
	return func(o *options) error {
		for _, r := range outcomes {
			if r == "" || r == ReasonOther {
				return fmt.Errorf("%w: reply outcome %q", ErrInvalidOption, r)
			}
		}
		o.replyOutcomes = slices.Clone(outcomes)
		return nil
	}
}

// WithReasons sets the values of the reason label of
// bridge_messages_failed_total and bridge_messages_dropped_total: each
// route's series for them are present at zero from the start, and any
// other reason is counted as ReasonOther. Without it every reason is
// counted as ReasonOther. bridgemetrics gives the bridge's.
func WithReasons(failed, dropped []string) Option {
	return func(o *options) error {
		for _, r := range append(slices.Clone(failed), dropped...) {
			if r == "" || r == ReasonOther {
				return fmt.Errorf("%w: reason %q", ErrInvalidOption, r)
			}
		}
		o.failReasons, o.dropReasons = slices.Clone(failed), slices.Clone(dropped)
		return nil
	}
}

// WithVersion sets the version label of bridge_build_info. Defaults to
// "unknown".
func WithVersion(v string) Option {
	return func(o *options) error {
		if v == "" {
			return fmt.Errorf("%w: empty version", ErrInvalidOption)
		}
		o.version = v
		return nil
	}
}

// Metrics holds the bridge's collectors. Make one with New; per-route
// series come from Route, per-connection series from Conn. A nil *Metrics
// is valid and records nothing.
type Metrics struct {
	in, out, processed, filtered, deadLettered *prometheus.CounterVec
	bytesIn, bytesOut                          *prometheus.CounterVec
	dropped, failed, replies                   *prometheus.CounterVec
	processing, latency                        *prometheus.HistogramVec
	connected                                  *prometheus.GaugeVec
	reconnects                                 *prometheus.CounterVec
	buildInfo                                  prometheus.Gauge
	failReasons, dropReasons, replyOutcomes    []string
}

// New returns the bridge's metrics, registered with reg. A nil reg leaves
// them unregistered. If a collector cannot be registered (say, reg already
// holds a metric of the same name), New unregisters what it registered and
// returns the error.
//
// Available options: [WithVersion].
func New(reg prometheus.Registerer, opts ...Option) (*Metrics, error) {
	o := options{version: "unknown"}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	byRoute := []string{labelRoute}
	byReason := []string{labelRoute, labelReason}
	counter := func(name, help string, labels []string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	histogram := func(name, help string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: name,
			Help: help,
			// Classic buckets only: native histograms cost about 35 ns
			// more per observation, a tenth of the bridge's per-message
			// budget, for resolution the dashboards do not use.
			Buckets: durationBuckets,
		}, byRoute)
	}
	m := &Metrics{
		in: counter("bridge_messages_in_total",
			"Messages that came in on a route, including those the NATS client dropped as a slow consumer.", byRoute),
		out: counter("bridge_messages_out_total",
			"Outputs a route published.", byRoute),
		processed: counter("bridge_messages_processed_total",
			"Inputs of a route whose outputs were all published.", byRoute),
		filtered: counter("bridge_messages_filtered_total",
			"Inputs of a route for which the processing stage produced no output.", byRoute),
		dropped: counter("bridge_messages_dropped_total",
			"Inputs of a route discarded without processing, by reason.", byReason),
		failed: counter("bridge_messages_failed_total",
			"Inputs of a route that failed, by reason.", byReason),
		deadLettered: counter("bridge_messages_dead_lettered_total",
			"Failed inputs of a route published to its dead-letter subject.", byRoute),
		bytesIn: counter("bridge_bytes_in_total",
			"Payload bytes of the messages a route received.", byRoute),
		bytesOut: counter("bridge_bytes_out_total",
			"Payload bytes of the outputs a route published.", byRoute),
		processing: histogram("bridge_processing_seconds",
			"Time the processing stage of a route spent on one input."),
		latency: histogram("bridge_latency_seconds",
			"Time from the receipt of an input to the publication of one of its outputs; core routes time one message in 16, JetStream routes every message."),
		connected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bridge_nats_connected",
			Help: "1 while a NATS connection of the bridge is up, 0 otherwise.",
		}, []string{labelConnection}),
		reconnects: counter("bridge_nats_reconnects_total",
			"Times a NATS connection of the bridge reconnected.", []string{labelConnection}),
		buildInfo: prometheus.NewGauge(prometheus.GaugeOpts{
			Name:        "bridge_build_info",
			Help:        "Always 1; its labels give the version of the bridge and of Go it was built with.",
			ConstLabels: prometheus.Labels{"version": o.version, "goversion": runtime.Version()},
		}),
		replies: counter("bridge_replies_total",
			"Responses a route between two connections carried back to their requesters, or gave up on, by outcome.",
			[]string{labelRoute, "outcome"}),
		failReasons:   o.failReasons,
		dropReasons:   o.dropReasons,
		replyOutcomes: o.replyOutcomes,
	}
	m.buildInfo.Set(1)
	if reg == nil {
		return m, nil
	}
	var registered []prometheus.Collector
	for _, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			for _, r := range registered {
				reg.Unregister(r)
			}
			return nil, fmt.Errorf("metrics: %w", err)
		}
		registered = append(registered, c)
	}
	return m, nil
}

func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		m.in, m.out, m.processed, m.filtered, m.dropped, m.failed, m.deadLettered, m.replies,
		m.bytesIn, m.bytesOut, m.processing, m.latency,
		m.connected, m.reconnects, m.buildInfo,
	}
}
