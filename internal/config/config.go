package config

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/natsbridge/bridge/jq"
	"github.com/natsbridge/bridge/stream"
)

// The tags on the structs below are the single source of the configuration
// reference: env and envDefault drive parsing, help is the description, and
// doc (when present) describes a default that is computed rather than fixed.
// Struct fields carry section, the heading their variables are listed under,
// and sectionDoc. In help texts, 'single quotes' mark code (rendered as code
// in Markdown), so help texts contain no apostrophes.

// Config is the complete, validated configuration returned by [Load].
type Config struct {
	NATS     NATSConfig     `section:"NATS connection" sectionDoc:"The connection named 'default'. Passwords and tokens can be read from files instead (the '_FILE' variables), which is how Docker and Kubernetes hand secrets over."`
	Conns    []Conn         `env:"-" envPrefix:"BRIDGE_CONN_" indexVar:"<k>" section:"More NATS connections" sectionDoc:"Connections to other NATS systems, numbered from 0 without gaps: '<k>' stands for the index of the connection ('BRIDGE_CONN_0_NAME', 'BRIDGE_CONN_1_NAME', …). NAME and URL are required; the other variables mean what their 'NATS_*' counterparts mean, with the same rules. A route uses one with IN_CONN or OUT_CONN; a connection no route uses is not opened (the log says so)."`
	Embedded EmbeddedConfig `section:"Embedded server" sectionDoc:"Used only when NATS_URL is unset: the bridge then starts an in-process NATS server with JetStream."`
	Service  ServiceConfig  `section:"Service"`
	Tracing  TracingConfig  `section:"Tracing" sectionDoc:"OpenTelemetry traces of the messages, under the standard OTEL_ variable names: a consumer span per message (and a producer span per output with BRIDGE_TRACE_PUBLISH_SPANS), exported by OTLP. Unlike the OpenTelemetry default, tracing is off unless an endpoint is set or OTEL_TRACES_EXPORTER is 'otlp'. The exporter also reads the other standard variables it knows from the environment, such as OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_EXPORTER_OTLP_CERTIFICATE and OTEL_RESOURCE_ATTRIBUTES; they are not checked here. See the README, Tracing."`
	// Conns and Routes are parsed by Load one index at a time (see the
	// package doc), hence env:"-"; envPrefix and indexVar (default "<n>")
	// name them for the documentation.
	Routes []Route `env:"-" envPrefix:"BRIDGE_ROUTE_" section:"Routes" sectionDoc:"Routes are numbered from 0 without gaps: '<n>' stands for the index of the route ('BRIDGE_ROUTE_0_IN', 'BRIDGE_ROUTE_1_IN', …). A route subscribes to IN and publishes every message, transformed by JQ if set, to OUT. Without NATS_URL and without any route, the bridge runs one demo route named 'demo', from 'demo.in.>' to 'demo.out.>'."`

	// Demo is set when no route was configured and Routes holds the demo
	// route (embedded mode only).
	Demo bool `env:"-"`
}

// UseEmbedded reports whether the bridge runs its own NATS server, that is
// whether NATS_URL is unset.
func (c *Config) UseEmbedded() bool { return c.NATS.URL == "" }

// NATSConfig holds the connection named "default" (to NATS_URL, or to the
// embedded server when NATS_URL is unset) and the client settings every
// connection uses.
type NATSConfig struct {
	ConnSettings `envPrefix:"NATS_"`

	PingInterval time.Duration `env:"NATS_PING_INTERVAL" envDefault:"10s" help:"How often the client pings the server, on every connection; must be positive. A connection that stops answering (a silent network partition: no error, no close) is noticed after between NATS_MAX_PINGS_OUT and NATS_MAX_PINGS_OUT + 1 intervals, 20 to 30 s by default, and a write that stalls for NATS_MAX_PINGS_OUT intervals counts as the same silence; '/readyz' then answers 503 until the bridge has reconnected."`
	MaxPingsOut  int           `env:"NATS_MAX_PINGS_OUT" envDefault:"2" help:"Pings that may go unanswered before the client drops the connection and reconnects: 1 to 100."`
}

// ConnSettings are the settings of one NATS connection, shared by the
// default connection (NATS_URL, NATS_USER, …) and every BRIDGE_CONN_<k>
// (BRIDGE_CONN_<k>_URL, BRIDGE_CONN_<k>_USER, …), which follow the same
// rules. In help texts, {P} stands for the prefix of the variables.
//
// After [Load], Password and Token hold the contents of their _FILE
// variable when that was set instead.
type ConnSettings struct {
	URL          ServerList `env:"URL" help:"NATS server URL, or a comma-separated list of URLs of one cluster (schemes 'nats', 'tls', 'ws', 'wss'; 'nats://' may be omitted). An unset NATS_URL makes the bridge run an embedded NATS server with JetStream."`
	User         string     `env:"USER" help:"User name; requires {P}PASSWORD or {P}PASSWORD_FILE."`
	Password     Secret     `env:"PASSWORD" help:"Password; requires {P}USER. Never logged."`
	PasswordFile string     `env:"PASSWORD_FILE" help:"Path of a file holding the password (one trailing newline is removed), as Docker and Kubernetes mount secrets; instead of {P}PASSWORD."`
	Token        Secret     `env:"TOKEN" help:"Authentication token; cannot be combined with {P}USER. Never logged."`
	TokenFile    string     `env:"TOKEN_FILE" help:"Path of a file holding the token (one trailing newline is removed); instead of {P}TOKEN."`
	Creds        string     `env:"CREDS" help:"Path of a credentials file (user JWT and NKey seed), as 'nsc' writes them."`
	NKey         string     `env:"NKEY" help:"Path of a file holding an NKey seed ('SU…'); cannot be combined with {P}CREDS."`
	TLSCA        string     `env:"TLS_CA" help:"Path of a PEM file of CA certificates that verify the server."`
	TLSCert      string     `env:"TLS_CERT" help:"Path of a PEM client certificate, for servers that verify clients (mutual TLS); requires {P}TLS_KEY."`
	TLSKey       string     `env:"TLS_KEY" help:"Path of the PEM private key of {P}TLS_CERT; requires {P}TLS_CERT."`
}

// Conn is one more NATS connection, BRIDGE_CONN_<k>_*, that routes name in
// IN_CONN and OUT_CONN.
type Conn struct {
	// Index is k in BRIDGE_CONN_<k>_*.
	Index int `env:"-"`

	Name         string           `env:"NAME,required,notEmpty" help:"Name of the connection in route settings, logs and metrics: letters, digits, '_' and '-', at most 64 characters, unique, and not 'default' (the 'NATS_*' connection)."`
	ConnSettings `required:"URL"` // documented as required; checkConn checks it
}

// EmbeddedConfig holds the settings of the embedded NATS server.
type EmbeddedConfig struct {
	Listen string `env:"BRIDGE_EMBEDDED_LISTEN" envDefault:"127.0.0.1:4222" help:"'host:port' the embedded server accepts clients on; port 0 picks a free port."`
	Store  string `env:"BRIDGE_EMBEDDED_STORE" doc:"$TMPDIR/nats-bridge" help:"Directory where the embedded server keeps JetStream data (by default under 'os.TempDir()')."`
}

// ServiceConfig holds the settings of the bridge process itself.
type ServiceConfig struct {
	MetricsAddr     string        `env:"BRIDGE_METRICS_ADDR" envDefault:":9090" help:"'host:port' of the HTTP server for '/metrics', '/healthz', '/readyz' and the status page ('/', and '/status' as JSON). Set it to the empty string to disable the server."`
	ShutdownTimeout time.Duration `env:"BRIDGE_SHUTDOWN_TIMEOUT" envDefault:"30s" help:"How long a graceful shutdown may take to finish in-flight messages before the bridge exits anyway; must be positive."`
	Log             LogConfig
}

// LogConfig holds the logging settings.
type LogConfig struct {
	Level  LogLevel  `env:"BRIDGE_LOG_LEVEL" envDefault:"info" help:"Minimum level of log records: 'debug', 'info', 'warn' or 'error'."`
	Format LogFormat `env:"BRIDGE_LOG_FORMAT" envDefault:"text" help:"Log format: 'text' ('key=value' pairs) or 'json' (one object per line)."`
}

// Route is one subscription of the bridge and where its messages go.
//
// After [Load], Name, Queue, OutConn and (for JetStream routes) Durable
// hold their defaults when unset, Queue is empty when queue groups are
// disabled, InConn and OutConn name configured connections, and Program is
// compiled. RouteConfig gives the route as the bridge runs it.
type Route struct {
	// Index is n in BRIDGE_ROUTE_<n>_*.
	Index int `env:"-"`

	Name     string          `env:"NAME" doc:"route<n>" help:"Label of the route in logs and metrics: letters, digits, '_', '.' and '-', at most 64 characters, unique among routes."`
	In       string          `env:"IN,required,notEmpty" help:"Subject to subscribe to; the wildcards '*' and '>' are allowed. On a JetStream route, the subject filter of its consumer."`
	Out      string          `env:"OUT,required,notEmpty" help:"Subject to publish to: a literal subject, or a NATS subject mapping that refers to the '*' wildcards of IN by position and ends in '>' when IN does, e.g. 'orders.*.created' to 'audit.{{wildcard(1)}}', or 'demo.in.>' to 'demo.out.>'. Must not publish back into IN."`
	InConn   string          `env:"IN_CONN" envDefault:"default" help:"Connection the route subscribes or consumes on, and where its dead letters go: 'default' (the 'NATS_*' connection) or the NAME of a BRIDGE_CONN_<k>."`
	OutConn  string          `env:"OUT_CONN" doc:"IN_CONN" help:"Connection the route publishes its outputs on: 'default' or the NAME of a BRIDGE_CONN_<k>. When it differs from IN_CONN, OUT may be the same subject as IN (the loop check applies only within one connection)."`
	Queue    string          `env:"QUEUE" doc:"bridge.<name>" help:"Queue group, so that replicas of the bridge share the messages of the route instead of each receiving all of them; 'none' subscribes without a queue group. Core NATS routes only."`
	JQ       string          `env:"JQ" help:"jq program that transforms each message payload (JSON), compiled at startup; '$ENV' is empty. Unset: payloads are forwarded unchanged."`
	DLQ      string          `env:"DLQ" help:"Dead-letter subject (no wildcards) that receives messages whose processing failed. Unset: no dead-letter subject."`
	Buffer   int             `env:"BUFFER" envDefault:"1024" help:"Capacity, in messages, of the buffer of the route between its subscription and its workers: 1 to 16777216."`
	Overflow stream.Overflow `env:"OVERFLOW" envDefault:"block" help:"What to do when the buffer is full: 'block' (apply backpressure to the subscription), 'drop_newest' (discard the incoming message) or 'drop_oldest' (discard the oldest buffered message)."`
	Workers  int             `env:"WORKERS" envDefault:"1" help:"Number of messages processed concurrently: 1 to 1024. ORDER_BY says which keep their order."`
	Timeout  time.Duration   `env:"TIMEOUT" envDefault:"5s" help:"Deadline for the processing stage (the jq program) of one message; a message that runs past it fails alone (dead-lettered or counted) and the route goes on. 0 disables it. On a JetStream route it must be shorter than ACK_WAIT."`
	Emit     jq.Emit         `env:"EMIT" envDefault:"payload" help:"What each value the JQ program emits is: 'payload', the JSON payload of one output; or 'message', an object with the optional keys 'subject' (where the output goes: a subject inside the subject space of OUT, which then may also be a pattern such as 'routed.>' that does not map IN), 'headers' (set or, with null, remove headers) and 'payload' (absent: the input payload, byte for byte). See the README, jq programs."`
	OrderBy  stream.Order    `env:"ORDER_BY" envDefault:"subject" help:"Which messages keep their order when WORKERS is above 1: 'subject' (those on the same subject), 'header:<Name>' (those with the same first value of header <Name>; those without it share one key) or 'none' (no order: every worker takes any message). The outputs of one message always stay together and in order."`

	ReplyTimeout time.Duration `env:"REPLY_TIMEOUT" envDefault:"10s" help:"How long a request carried to another connection (OUT_CONN differs from IN_CONN) waits for the first response, which is forwarded to the requester on IN_CONN; later responses are dropped. Must be positive."`

	Stream     string        `env:"STREAM" help:"JetStream stream holding IN. Set, the route reads through a durable consumer of this stream; unset, it is a core NATS subscription."`
	Durable    string        `env:"DURABLE" doc:"bridge-<name>" help:"Durable consumer name (JetStream routes only); replicas using the same name share the messages. No spaces, '.', '*', '>', '/' or '\\'. In the default, '.' in the name becomes '_'."`
	MaxDeliver int           `env:"MAX_DELIVER" envDefault:"5" help:"Delivery attempts of a message before it is given up (JetStream routes only); at least 1."`
	AckWait    time.Duration `env:"ACK_WAIT" envDefault:"30s" help:"How long the server waits for an acknowledgement before it redelivers a message (JetStream routes only); must be positive."`
	Dedup      bool          `env:"DEDUP" envDefault:"true" help:"Give each output a Nats-Msg-Id header, <stream>:<sequence>:<index>, so that an output stream drops the copies a redelivery makes: exactly once into the stream (JetStream routes only). 'false' publishes outputs without it, at least once, for about 20% more throughput (make bench)."`

	// Program is the compiled JQ program, nil without one.
	Program *jq.Program `env:"-"`
}

// JetStream reports whether the route reads from a JetStream stream.
func (r Route) JetStream() bool { return r.Stream != "" }

// LogLevel is the minimum level of log records.
type LogLevel string

// UnmarshalText accepts debug, info, warn and error, in any case.
func (l *LogLevel) UnmarshalText(text []byte) error {
	switch v := LogLevel(strings.ToLower(string(text))); v {
	case "debug", "info", "warn", "error":
		*l = v
		return nil
	}
	return fmt.Errorf("unknown level %q (want debug, info, warn, error)", text)
}

// Slog returns the slog level; an unknown or empty level is slog.LevelInfo.
func (l LogLevel) Slog() slog.Level {
	switch l {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// LogFormat is the format of log records.
type LogFormat string

// Log formats.
const (
	LogFormatText LogFormat = "text"
	LogFormatJSON LogFormat = "json"
)

// UnmarshalText accepts text and json, in any case.
func (f *LogFormat) UnmarshalText(text []byte) error {
	switch v := LogFormat(strings.ToLower(string(text))); v {
	case LogFormatText, LogFormatJSON:
		*f = v
		return nil
	}
	return fmt.Errorf("unknown format %q (want text, json)", text)
}
