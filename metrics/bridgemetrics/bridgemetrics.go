package bridgemetrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/metrics"
)

// New returns metrics.New(reg, opts...) with the bridge's failure and drop
// reasons (bridge.FailureReasons and bridge.DropReasons), so that every
// route has each reason's series from the start.
func New(reg prometheus.Registerer, opts ...metrics.Option) (*metrics.Metrics, error) {
	return metrics.New(reg, append(opts, Reasons())...)
}

// Reasons is the metrics option that sets the bridge's failure and drop
// reasons and reply outcomes.
func Reasons() metrics.Option {
	return metrics.Combine(
		metrics.WithReasons(names(bridge.FailureReasons()), names(bridge.DropReasons())),
		metrics.WithReplyOutcomes(names(bridge.ReplyOutcomes())))
}

func names[T ~string](rs []T) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// Hooks returns bridge hooks that record every route in m. The closures
// and the route's series are made once per route, when the Bridge is made;
// a nil m gives no hooks at all.
func Hooks(m *metrics.Metrics) bridge.Hooks {
	if m == nil {
		return bridge.Hooks{}
	}
	return bridge.Hooks{Route: func(name string) bridge.RouteHooks {
		return RouteHooks(m.Route(name))
	}}
}

// RouteHooks returns the hooks that record one route in r.
func RouteHooks(r *metrics.Route) bridge.RouteHooks {
	return bridge.RouteHooks{
		Received:  func(a *artifact.Artifact) { r.Received(len(a.Payload)) },
		Processed: func(*artifact.Artifact, int) { r.Processed() },
		Filtered:  func(*artifact.Artifact) { r.Filtered() },
		Failed:    func(_ *artifact.Artifact, why bridge.Reason, _ error) { r.Failed(string(why)) },
		Dropped: func(why bridge.Reason, n int) {
			if why == bridge.ReasonSlowConsumer {
				// The NATS client dropped them: the route never saw
				// them arrive.
				r.DroppedBeforeReceipt(string(why), n)
				return
			}
			r.Dropped(string(why), n)
		},
		Published:      func(a *artifact.Artifact) { r.Published(len(a.Payload)) },
		Latency:        r.Latency,
		DeadLettered:   func(*artifact.Artifact) { r.DeadLettered() },
		ProcessingTime: r.ProcessingTime,
		Replied:        func(o bridge.ReplyOutcome) { r.Replied(string(o)) },
	}
}
