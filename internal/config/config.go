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
	NATS     NATSConfig     `section:"NATS connection"`
	Embedded EmbeddedConfig `section:"Embedded server" sectionDoc:"Used only when NATS_URL is unset: the bridge then starts an in-process NATS server with JetStream."`
	Service  ServiceConfig  `section:"Service"`
	Tracing  TracingConfig  `section:"Tracing" sectionDoc:"OpenTelemetry traces of the messages, under the standard OTEL_ variable names: a consumer span per message and a producer span per output, exported by OTLP. Unlike the OpenTelemetry default, tracing is off unless an endpoint is set or OTEL_TRACES_EXPORTER is 'otlp'. The exporter also reads the other standard variables it knows from the environment, such as OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_EXPORTER_OTLP_CERTIFICATE and OTEL_RESOURCE_ATTRIBUTES; they are not checked here. See the README, Tracing."`
	// Routes are parsed by Load one index at a time (see the package doc),
	// hence env:"-"; envPrefix names them for the documentation.
	Routes []Route `env:"-" envPrefix:"BRIDGE_ROUTE_" section:"Routes" sectionDoc:"Routes are numbered from 0 without gaps: '<n>' stands for the index of the route ('BRIDGE_ROUTE_0_IN', 'BRIDGE_ROUTE_1_IN', …). A route subscribes to IN and publishes every message, transformed by JQ if set, to OUT. Without NATS_URL and without any route, the bridge runs one demo route named 'demo', from 'demo.in.>' to 'demo.out.>'."`

	// Demo is set when no route was configured and Routes holds the demo
	// route (embedded mode only).
	Demo bool `env:"-"`
}

// UseEmbedded reports whether the bridge runs its own NATS server, that is
// whether NATS_URL is unset.
func (c *Config) UseEmbedded() bool { return c.NATS.URL == "" }

// NATSConfig holds the connection to an external NATS server.
type NATSConfig struct {
	URL      ServerList `env:"NATS_URL" help:"NATS server URL, or a comma-separated list of URLs of one cluster (schemes 'nats', 'tls', 'ws', 'wss'; 'nats://' may be omitted). Unset: the bridge runs an embedded NATS server with JetStream."`
	User     string     `env:"NATS_USER" help:"User name; requires NATS_PASSWORD."`
	Password Secret     `env:"NATS_PASSWORD" help:"Password; requires NATS_USER. Never logged."`
	Token    Secret     `env:"NATS_TOKEN" help:"Authentication token; cannot be combined with NATS_USER. Never logged."`
	Creds    string     `env:"NATS_CREDS" help:"Path of a credentials file (user JWT and NKey seed)."`
	NKey     string     `env:"NATS_NKEY" help:"Path of a file holding an NKey seed; cannot be combined with NATS_CREDS."`
	TLSCA    string     `env:"NATS_TLS_CA" help:"Path of a PEM file of CA certificates that verify the server."`
	TLSCert  string     `env:"NATS_TLS_CERT" help:"Path of a PEM client certificate; requires NATS_TLS_KEY."`
	TLSKey   string     `env:"NATS_TLS_KEY" help:"Path of the PEM private key of NATS_TLS_CERT; requires NATS_TLS_CERT."`
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
// After [Load], Name, Queue and (for JetStream routes) Durable hold their
// defaults when unset, Queue is empty when queue groups are disabled, and
// Program is compiled. RouteConfig gives the route as the bridge runs it.
type Route struct {
	// Index is n in BRIDGE_ROUTE_<n>_*.
	Index int `env:"-"`

	Name     string          `env:"NAME" doc:"route<n>" help:"Label of the route in logs and metrics: letters, digits, '_', '.' and '-', at most 64 characters, unique among routes."`
	In       string          `env:"IN,required,notEmpty" help:"Subject to subscribe to; the wildcards '*' and '>' are allowed. On a JetStream route, the subject filter of its consumer."`
	Out      string          `env:"OUT,required,notEmpty" help:"Subject to publish to: a literal subject, or a NATS subject mapping that refers to the '*' wildcards of IN by position and ends in '>' when IN does, e.g. 'orders.*.created' to 'audit.{{wildcard(1)}}', or 'demo.in.>' to 'demo.out.>'. Must not publish back into IN."`
	Queue    string          `env:"QUEUE" doc:"bridge.<name>" help:"Queue group, so that replicas of the bridge share the messages of the route instead of each receiving all of them; 'none' subscribes without a queue group. Core NATS routes only."`
	JQ       string          `env:"JQ" help:"jq program that transforms each message payload (JSON), compiled at startup; '$ENV' is empty. Unset: payloads are forwarded unchanged."`
	DLQ      string          `env:"DLQ" help:"Dead-letter subject (no wildcards) that receives messages whose processing failed. Unset: no dead-letter subject."`
	Buffer   int             `env:"BUFFER" envDefault:"1024" help:"Capacity, in messages, of the buffer of the route between its subscription and its workers: 1 to 16777216."`
	Overflow stream.Overflow `env:"OVERFLOW" envDefault:"block" help:"What to do when the buffer is full: 'block' (apply backpressure to the subscription), 'drop_newest' (discard the incoming message) or 'drop_oldest' (discard the oldest buffered message)."`
	Workers  int             `env:"WORKERS" envDefault:"1" help:"Number of messages processed concurrently: 1 to 1024. ORDER_BY says which keep their order."`
	Timeout  time.Duration   `env:"TIMEOUT" envDefault:"5s" help:"Deadline for the processing stage (the jq program) of one message; a message that runs past it fails alone (dead-lettered or counted) and the route goes on. 0 disables it. On a JetStream route it must be shorter than ACK_WAIT."`
	Emit     jq.Emit         `env:"EMIT" envDefault:"payload" help:"What each value the JQ program emits is: 'payload', the JSON payload of one output; or 'message', an object with the optional keys 'subject' (where the output goes: a subject inside the subject space of OUT, which then may also be a pattern such as 'routed.>' that does not map IN), 'headers' (set or, with null, remove headers) and 'payload' (absent: the input payload, byte for byte). See the README, jq programs."`
	OrderBy  stream.Order    `env:"ORDER_BY" envDefault:"subject" help:"Which messages keep their order when WORKERS is above 1: 'subject' (those on the same subject), 'header:<Name>' (those with the same first value of header <Name>; those without it share one key) or 'none' (no order: every worker takes any message). The outputs of one message always stay together and in order."`

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
