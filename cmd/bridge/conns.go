package main

import (
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/internal/config"
	"github.com/natsbridge/bridge/metrics"
)

// conns are the open NATS connections of the bridge.
type conns struct {
	names  []string // config.UsedConns order: "default" first
	byName map[string]*nats.Conn
}

// openConns opens every connection a route uses (and "default", the
// embedded server's when NATS_URL is unset, at defaultURL), each through
// connect, and logs those no route uses, which it leaves closed. On error
// it closes what it opened.
func openConns(cfg *config.Config, defaultURL string, logger *slog.Logger, m *metrics.Metrics) (*conns, error) {
	cs := &conns{byName: map[string]*nats.Conn{}}
	for _, name := range cfg.UsedConns() {
		url := defaultURL
		if name != config.DefaultConn {
			s, _ := cfg.Conn(name)
			url = strings.Join(s.URL.Servers(), ",")
		}
		nc, err := connect(cfg, name, url, logger, m)
		if err != nil {
			cs.close()
			return nil, err
		}
		cs.names = append(cs.names, name)
		cs.byName[name] = nc
	}
	for _, name := range cfg.UnusedConns() {
		logger.Warn("connection not opened: no route uses it (BRIDGE_ROUTE_<n>_IN_CONN, BRIDGE_ROUTE_<n>_OUT_CONN)", "connection", name)
	}
	return cs, nil
}

// ready returns nil when every connection is connected, or an error naming
// the first that is not.
func (cs *conns) ready() error { return connReady(cs.names, cs.byName) }

// flush waits, up to timeout each, until the servers have received what
// was published on every connection, and logs those that could not.
func (cs *conns) flush(timeout time.Duration, logger *slog.Logger) {
	for _, name := range cs.names {
		if err := cs.byName[name].FlushTimeout(timeout); err != nil {
			logger.Warn("final flush", "connection", name, "err", err)
		}
	}
}

// close closes every connection.
func (cs *conns) close() {
	for _, name := range cs.names {
		cs.byName[name].Close()
	}
}
