package metrics

import "github.com/prometheus/client_golang/prometheus"

// Conn records the events of one NATS connection. Make one with
// [Metrics.Conn]; a nil *Conn records nothing.
type Conn struct {
	connected  prometheus.Gauge
	reconnects prometheus.Counter
}

// Conn returns the series of the connection named name
// (bridge_nats_connected and bridge_nats_reconnects_total with the label
// connection=name), created at 0 so that they exist before the first
// event. Calling it again with the same name returns the same series. On a
// nil *Metrics it returns nil.
func (m *Metrics) Conn(name string) *Conn {
	if m == nil {
		return nil
	}
	return &Conn{
		connected:  m.connected.WithLabelValues(name),
		reconnects: m.reconnects.WithLabelValues(name),
	}
}

// Connected records that the connection is up: call it from the
// connection's connect handler.
func (c *Conn) Connected() {
	if c == nil {
		return
	}
	c.connected.Set(1)
}

// Reconnected records a reconnection: call it from the connection's
// reconnect handler.
func (c *Conn) Reconnected() {
	if c == nil {
		return
	}
	c.reconnects.Inc()
	c.connected.Set(1)
}

// Disconnected records that the connection is down: call it from the
// connection's disconnect and closed handlers.
func (c *Conn) Disconnected() {
	if c == nil {
		return
	}
	c.connected.Set(0)
}
