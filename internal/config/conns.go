package config

import "slices"

// DefaultConn is the name of the connection configured by NATS_* (or of the
// embedded server when NATS_URL is unset).
const DefaultConn = "default"

// SameConn reports whether the route reads and writes on one connection,
// where its output could feed its input. Before OUT_CONN has its default
// (during loading), an empty OutConn means IN_CONN.
func (r Route) SameConn() bool { return r.OutConn == "" || r.OutConn == r.InConn }

// checkRouteConns gives OUT_CONN its default, checks that IN_CONN and
// OUT_CONN name configured connections, and checks REPLY_TIMEOUT.
func (l *loader) checkRouteConns(cfg *Config) {
	known := map[string]bool{DefaultConn: true}
	for _, c := range cfg.Conns {
		known[c.Name] = true
	}
	for i := range cfg.Routes {
		r := &cfg.Routes[i]
		if r.OutConn == "" {
			r.OutConn = r.InConn
		}
		for _, c := range []struct{ suffix, name string }{{"IN_CONN", r.InConn}, {"OUT_CONN", r.OutConn}} {
			name := routeVar(r.Index, c.suffix)
			if !known[c.name] && !l.failed[name] && l.set(name) {
				l.addf(name, "unknown connection %q (want %s)", c.name, connNames(cfg))
			}
		}
		if name := routeVar(r.Index, "REPLY_TIMEOUT"); !l.failed[name] && r.ReplyTimeout <= 0 {
			l.addf(name, "must be positive, got %s", r.ReplyTimeout)
		}
	}
}

// connNames lists the names a route may use, for error messages.
func connNames(cfg *Config) string {
	s := "'" + DefaultConn + "'"
	for i, c := range cfg.Conns {
		if i == len(cfg.Conns)-1 {
			s += " or"
		} else {
			s += ","
		}
		s += " '" + c.Name + "'"
	}
	if len(cfg.Conns) == 0 {
		s += ", or the NAME of a " + connPrefix + "<k>"
	}
	return s
}

// UsedConns returns the names of the connections the bridge opens:
// "default" (always: it is the bridge's own, and the embedded server's),
// then every BRIDGE_CONN_<k> that a route uses as IN_CONN or OUT_CONN, in
// the order of k.
func (c *Config) UsedConns() []string {
	names := []string{DefaultConn}
	for _, conn := range c.Conns {
		if slices.ContainsFunc(c.Routes, func(r Route) bool { return r.InConn == conn.Name || r.OutConn == conn.Name }) {
			names = append(names, conn.Name)
		}
	}
	return names
}

// UnusedConns returns the names of the BRIDGE_CONN_<k> connections that no
// route uses, which the bridge does not open.
func (c *Config) UnusedConns() []string {
	var names []string
	used := c.UsedConns()
	for _, conn := range c.Conns {
		if !slices.Contains(used, conn.Name) {
			names = append(names, conn.Name)
		}
	}
	return names
}

// Conn returns the settings of the connection named name, and whether there
// is one. The settings of "default" are NATS_*; with NATS_URL unset, its URL
// is empty (the caller connects to the embedded server).
func (c *Config) Conn(name string) (ConnSettings, bool) {
	if name == DefaultConn {
		return c.NATS.ConnSettings, true
	}
	for _, conn := range c.Conns {
		if conn.Name == name {
			return conn.ConnSettings, true
		}
	}
	return ConnSettings{}, false
}
