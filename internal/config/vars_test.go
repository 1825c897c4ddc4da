package config_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/internal/config"
)

func TestVariables(t *testing.T) {
	vars := config.Variables()
	for _, name := range []string{
		"NATS_URL", "NATS_USER", "NATS_PASSWORD", "NATS_PASSWORD_FILE", "NATS_TOKEN", "NATS_TOKEN_FILE",
		"NATS_CREDS", "NATS_NKEY", "NATS_TLS_CA", "NATS_TLS_CERT", "NATS_TLS_KEY",
		"NATS_PING_INTERVAL", "NATS_MAX_PINGS_OUT",
		"BRIDGE_CONN_<k>_NAME", "BRIDGE_CONN_<k>_URL", "BRIDGE_CONN_<k>_USER", "BRIDGE_CONN_<k>_PASSWORD",
		"BRIDGE_CONN_<k>_PASSWORD_FILE", "BRIDGE_CONN_<k>_TOKEN", "BRIDGE_CONN_<k>_TOKEN_FILE",
		"BRIDGE_CONN_<k>_CREDS", "BRIDGE_CONN_<k>_NKEY", "BRIDGE_CONN_<k>_TLS_CA",
		"BRIDGE_CONN_<k>_TLS_CERT", "BRIDGE_CONN_<k>_TLS_KEY",
		"BRIDGE_EMBEDDED_LISTEN", "BRIDGE_EMBEDDED_STORE",
		"BRIDGE_METRICS_ADDR", "BRIDGE_LOG_LEVEL", "BRIDGE_LOG_FORMAT", "BRIDGE_SHUTDOWN_TIMEOUT",
		"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
		"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_SERVICE_NAME", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
		"OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT", "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
		"BRIDGE_TRACE_PUBLISH_SPANS",
		"BRIDGE_ROUTE_<n>_NAME", "BRIDGE_ROUTE_<n>_IN", "BRIDGE_ROUTE_<n>_OUT", "BRIDGE_ROUTE_<n>_QUEUE",
		"BRIDGE_ROUTE_<n>_IN_CONN", "BRIDGE_ROUTE_<n>_OUT_CONN", "BRIDGE_ROUTE_<n>_REPLY_TIMEOUT",
		"BRIDGE_ROUTE_<n>_JQ", "BRIDGE_ROUTE_<n>_DLQ", "BRIDGE_ROUTE_<n>_BUFFER", "BRIDGE_ROUTE_<n>_OVERFLOW",
		"BRIDGE_ROUTE_<n>_WORKERS", "BRIDGE_ROUTE_<n>_TIMEOUT", "BRIDGE_ROUTE_<n>_EMIT", "BRIDGE_ROUTE_<n>_ORDER_BY", "BRIDGE_ROUTE_<n>_STREAM",
		"BRIDGE_ROUTE_<n>_DURABLE", "BRIDGE_ROUTE_<n>_MAX_DELIVER", "BRIDGE_ROUTE_<n>_ACK_WAIT", "BRIDGE_ROUTE_<n>_DEDUP",
	} {
		if !slices.Contains(vars, name) {
			t.Errorf("Variables() lacks %s", name)
		}
	}
	if len(vars) != 64 {
		t.Errorf("Variables() has %d names, want 64: %q", len(vars), vars)
	}
}

func TestKnown(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{name: "NATS_URL", want: true},
		{name: "BRIDGE_LOG_LEVEL", want: true},
		{name: "BRIDGE_ROUTE_0_IN", want: true},
		{name: "BRIDGE_ROUTE_2_JQ", want: true},
		{name: "BRIDGE_ROUTE_10_MAX_DELIVER", want: true},
		{name: "BRIDGE_ROUTE_0_IN_CONN", want: true},
		{name: "BRIDGE_CONN_0_NAME", want: true},
		{name: "BRIDGE_CONN_12_TOKEN_FILE", want: true},
		{name: "BRIDGE_CONN_<k>_URL", want: false},
		{name: "BRIDGE_CONN_01_URL", want: false},
		{name: "BRIDGE_CONN_0_IN", want: false},
		{name: "BRIDGE_ROUTE_0_TOKEN", want: false},
		{name: "NATS_NAME", want: false},
		{name: "BRIDGE_ROUTE_<n>_JQ", want: false},
		{name: "BRIDGE_ROUTE_02_JQ", want: false},
		{name: "BRIDGE_ROUTE_0_FOO", want: false},
		{name: "BRIDGE_ROUTE_0_", want: false},
		{name: "BRIDGE_ROUTE_IN", want: false},
		{name: "bridge_log_level", want: false},
		{name: "NATS_CONTEXT", want: false},
		{name: "", want: false},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if got := config.Known(test.name); got != test.want {
				t.Errorf("Known(%q) = %v, want %v", test.name, got, test.want)
			}
		})
	}
	// Every route and connection variable is known for a concrete index.
	for _, name := range config.Variables() {
		concrete := strings.NewReplacer("<n>", "7", "<k>", "3").Replace(name)
		if !config.Known(concrete) {
			t.Errorf("Known(%q) = false", concrete)
		}
	}
}

func TestUsage(t *testing.T) {
	var b bytes.Buffer
	config.Usage(&b)
	usage := b.String()
	for _, name := range config.Variables() {
		if !strings.Contains(usage, "\n  "+name+" ") && !strings.Contains(usage, "\n  "+name+"\n") {
			t.Errorf("Usage does not list %s", name)
		}
	}
	for _, want := range []string{
		"BRIDGE_ROUTE_<n>_IN (required)",
		"BRIDGE_ROUTE_<n>_BUFFER (default 1024)",
		"BRIDGE_ROUTE_<n>_QUEUE (default bridge.<name>)",
		"BRIDGE_EMBEDDED_STORE (default $TMPDIR/nats-bridge)",
		"BRIDGE_CONN_<k>_NAME (required)",
		"BRIDGE_ROUTE_<n>_IN_CONN (default default)",
		"BRIDGE_ROUTE_<n>_OUT_CONN (default IN_CONN)",
		"NATS_PING_INTERVAL (default 10s)",
		"NATS_MAX_PINGS_OUT (default 2)",
		"User name; requires NATS_PASSWORD or NATS_PASSWORD_FILE.",
		"User name; requires BRIDGE_CONN_<k>_PASSWORD or\n      BRIDGE_CONN_<k>_PASSWORD_FILE.",
	} {
		if !strings.Contains(usage, want) {
			t.Errorf("Usage lacks %q", want)
		}
	}
	if strings.Contains(usage, "{P}") {
		t.Error("Usage shows the {P} placeholder of a help text")
	}
	for i, line := range strings.Split(usage, "\n") {
		if len(line) > 80 && !strings.HasPrefix(line, "  BRIDGE_") {
			t.Errorf("line %d is %d characters long: %q", i+1, len(line), line)
		}
	}
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	config.Markdown(&b)
	md := b.String()
	for _, name := range config.Variables() {
		if !strings.Contains(md, "| `"+name+"` |") {
			t.Errorf("Markdown does not list %s", name)
		}
	}
	for _, want := range []string{
		"| `BRIDGE_ROUTE_<n>_OUT` | required | ",
		"| `BRIDGE_ROUTE_<n>_OVERFLOW` | `block` | ",
		"`audit.{{wildcard(1)}}`",
		"or `\\`.", // a backslash in a code span stays as it is
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if strings.Contains(md, "{P}") {
		t.Error("Markdown shows the {P} placeholder of a help text")
	}
	for i, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 4 {
			t.Errorf("table row %d does not have 3 cells: %q", i+1, line)
		}
	}
}

// TestConfigurationReferenceIsCurrent fails when docs/configuration.md was
// not regenerated after a change of the configuration.
func TestConfigurationReferenceIsCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "configuration.md")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run `make docs` (go generate ./internal/config)", err)
	}
	var want bytes.Buffer
	config.Markdown(&want)
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("%s is out of date; run `make docs` (go generate ./internal/config)", path)
	}
}
