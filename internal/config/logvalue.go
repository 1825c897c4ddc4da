package config

import (
	"log/slog"
	"strings"
)

// LogValue implements slog.LogValuer: the configuration without secrets.
// Passwords and tokens show as "[redacted]" when set, and credentials in
// NATS_URL are redacted.
func (c *Config) LogValue() slog.Value {
	attrs := []slog.Attr{}
	if c.UseEmbedded() {
		attrs = append(attrs, slog.Group("embedded",
			slog.String("listen", c.Embedded.Listen),
			slog.String("store", c.Embedded.Store)))
	} else {
		attrs = append(attrs, slog.Any("nats", c.NATS))
	}
	if len(c.Conns) > 0 {
		conns := make([]any, 0, len(c.Conns))
		for _, conn := range c.Conns {
			conns = append(conns, slog.Any(conn.Name, conn.ConnSettings))
		}
		attrs = append(attrs, slog.Group("conns", conns...))
	}
	routes := make([]any, 0, len(c.Routes))
	for _, r := range c.Routes {
		routes = append(routes, slog.Any(r.Name, r))
	}
	attrs = append(attrs,
		slog.Group("routes", routes...),
		slog.Bool("demo", c.Demo),
		slog.String("metrics_addr", c.Service.MetricsAddr),
		slog.Duration("shutdown_timeout", c.Service.ShutdownTimeout),
		slog.String("log_level", string(c.Service.Log.Level)),
		slog.String("log_format", string(c.Service.Log.Format)),
		slog.Any("tracing", c.Tracing),
	)
	return slog.GroupValue(attrs...)
}

// String returns the configuration as key=value pairs, without secrets
// (see [Config.LogValue]).
func (c *Config) String() string { return formatValue(c.LogValue()) }

// LogValue implements slog.LogValuer, redacting secrets.
func (c NATSConfig) LogValue() slog.Value {
	attrs := append(c.ConnSettings.attrs(),
		slog.Duration("ping_interval", c.PingInterval),
		slog.Int("max_pings_out", c.MaxPingsOut))
	return slog.GroupValue(attrs...)
}

// String returns the connection settings as key=value pairs, without
// secrets.
func (c NATSConfig) String() string { return formatValue(c.LogValue()) }

// LogValue implements slog.LogValuer, redacting secrets.
func (c ConnSettings) LogValue() slog.Value { return slog.GroupValue(c.attrs()...) }

// String returns the connection settings as key=value pairs, without
// secrets.
func (c ConnSettings) String() string { return formatValue(c.LogValue()) }

func (c ConnSettings) attrs() []slog.Attr {
	attrs := []slog.Attr{slog.String("url", c.URL.String())}
	add := func(key, value string) {
		if value != "" {
			attrs = append(attrs, slog.String(key, value))
		}
	}
	add("user", c.User)
	add("password", c.Password.String())
	add("password_file", c.PasswordFile)
	add("token", c.Token.String())
	add("token_file", c.TokenFile)
	add("creds", c.Creds)
	add("nkey", c.NKey)
	add("tls_ca", c.TLSCA)
	add("tls_cert", c.TLSCert)
	add("tls_key", c.TLSKey)
	return attrs
}

// LogValue implements slog.LogValuer with the settings that describe the
// route (not the compiled program or mapping).
func (r Route) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.Int("index", r.Index),
		slog.String("in", r.In),
		slog.String("out", r.Out),
	}
	if r.InConn != DefaultConn || r.OutConn != DefaultConn {
		attrs = append(attrs, slog.String("in_conn", r.InConn), slog.String("out_conn", r.OutConn))
		if !r.SameConn() {
			attrs = append(attrs, slog.Duration("reply_timeout", r.ReplyTimeout))
		}
	}
	if r.Queue != "" {
		attrs = append(attrs, slog.String("queue", r.Queue))
	}
	if r.JQ != "" {
		attrs = append(attrs, slog.String("jq", r.JQ))
	}
	if r.DLQ != "" {
		attrs = append(attrs, slog.String("dlq", r.DLQ))
	}
	attrs = append(attrs,
		slog.Int("buffer", r.Buffer),
		slog.String("overflow", r.Overflow.String()),
		slog.Int("workers", r.Workers),
		slog.Duration("timeout", r.Timeout),
	)
	if r.JetStream() {
		attrs = append(attrs,
			slog.String("stream", r.Stream),
			slog.String("durable", r.Durable),
			slog.Int("max_deliver", r.MaxDeliver),
			slog.Duration("ack_wait", r.AckWait),
			slog.Bool("dedup", r.Dedup))
	}
	return slog.GroupValue(attrs...)
}

// String returns the route as key=value pairs.
func (r Route) String() string { return formatValue(r.LogValue()) }

// formatValue renders a value like slog's text handler does, with groups as
// key={...}.
func formatValue(v slog.Value) string {
	var b strings.Builder
	writeValue(&b, v)
	return b.String()
}

func writeValue(b *strings.Builder, v slog.Value) {
	v = v.Resolve()
	if v.Kind() != slog.KindGroup {
		s := v.String()
		if s == "" || strings.ContainsAny(s, " \t\n\"={}") {
			b.WriteString(quote(s))
		} else {
			b.WriteString(s)
		}
		return
	}
	for i, a := range v.Group() {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a.Key)
		b.WriteByte('=')
		if a.Value.Resolve().Kind() == slog.KindGroup {
			b.WriteByte('{')
			writeValue(b, a.Value)
			b.WriteByte('}')
		} else {
			writeValue(b, a.Value)
		}
	}
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`).Replace(s) + `"`
}
