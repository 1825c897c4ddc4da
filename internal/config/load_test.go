package config_test

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/natsbridge/bridge/internal/config"
	"github.com/natsbridge/bridge/internal/subjectmap"
	"github.com/natsbridge/bridge/stream"
)

// mustLoad loads environ and fails the test on any problem.
func mustLoad(t *testing.T, environ ...string) *config.Config {
	t.Helper()
	cfg, err := config.Load(environ)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

// problems loads environ, which must be invalid, and returns its problems
// by variable.
func problems(t *testing.T, environ ...string) map[string][]string {
	t.Helper()
	cfg, err := config.Load(environ)
	if err == nil {
		t.Fatalf("Load succeeded (%v), want problems", cfg)
	}
	if !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("error %v does not match ErrInvalid", err)
	}
	var cerr *config.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("error %T is not a *config.Error", err)
	}
	if u, ok := err.(interface{ Unwrap() []error }); !ok || len(u.Unwrap()) != len(cerr.Problems) {
		t.Fatalf("Unwrap does not return the %d problems", len(cerr.Problems))
	}
	got := map[string][]string{}
	for _, p := range cerr.Problems {
		if !strings.HasPrefix(p.Error(), p.Var+": ") {
			t.Errorf("problem %q does not start with its variable %s", p.Error(), p.Var)
		}
		got[p.Var] = append(got[p.Var], p.Err.Error())
	}
	return got
}

func TestLoadDefaults(t *testing.T) {
	cfg := mustLoad(t)
	if !cfg.UseEmbedded() {
		t.Error("UseEmbedded() = false without NATS_URL")
	}
	if want := filepath.Join(os.TempDir(), "nats-bridge"); cfg.Embedded.Store != want {
		t.Errorf("Embedded.Store = %q, want %q", cfg.Embedded.Store, want)
	}
	if cfg.Embedded.Listen != "127.0.0.1:4222" {
		t.Errorf("Embedded.Listen = %q", cfg.Embedded.Listen)
	}
	s := cfg.Service
	if s.MetricsAddr != ":9090" || s.ShutdownTimeout != 30*time.Second || s.Log.Level != "info" || s.Log.Format != config.LogFormatText {
		t.Errorf("Service = %+v", s)
	}
	if !cfg.Demo || len(cfg.Routes) != 1 {
		t.Fatalf("Demo = %v with %d routes, want the demo route", cfg.Demo, len(cfg.Routes))
	}
	r := cfg.Routes[0]
	want := config.Route{
		Name: "demo", In: "demo.in.>", Out: "demo.out.>", Queue: "bridge.demo",
		InConn: config.DefaultConn, OutConn: config.DefaultConn, ReplyTimeout: 10 * time.Second,
		Buffer: 1024, Overflow: stream.Block, Workers: 1, Timeout: 5 * time.Second,
		MaxDeliver: 5, AckWait: 30 * time.Second, Dedup: true,
	}
	if r != want {
		t.Errorf("demo route = %+v, want %+v", r, want)
	}
	if err := r.RouteConfig().Validate(); err != nil {
		t.Errorf("demo route: %v", err)
	}
}

// TestLoadMessageMode loads a route whose program picks the subjects from
// OUT's subject space, in any order of workers.
func TestLoadMessageMode(t *testing.T) {
	cfg := mustLoad(t,
		"BRIDGE_ROUTE_0_IN=orders.in", "BRIDGE_ROUTE_0_OUT=routed.>",
		"BRIDGE_ROUTE_0_JQ={subject: (\"routed.\" + .kind)}", "BRIDGE_ROUTE_0_EMIT=message",
		"BRIDGE_ROUTE_0_WORKERS=4", "BRIDGE_ROUTE_0_ORDER_BY=header:X-Tenant",
	)
	rc := cfg.Routes[0].RouteConfig()
	if !rc.ChooseSubject || rc.OrderBy.String() != "header:X-Tenant" || rc.Workers != 4 {
		t.Fatalf("route = %+v", rc)
	}
	if err := rc.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadReadsOnlyItsArgument(t *testing.T) {
	t.Setenv("NATS_URL", "nats://127.0.0.1:4222")
	for _, environ := range [][]string{nil, {}} {
		if cfg := mustLoad(t, environ...); !cfg.UseEmbedded() {
			t.Errorf("Load(%#v) read NATS_URL from the process environment", environ)
		}
	}
}

func TestLoadRoutes(t *testing.T) {
	cfg := mustLoad(t,
		"NATS_URL=nats://a:4222, tls://b:4222",
		"BRIDGE_ROUTE_0_IN=orders.*.created",
		"BRIDGE_ROUTE_0_OUT=audit.{{wildcard(1)}}",
		"BRIDGE_ROUTE_0_JQ={id: .id}",
		"BRIDGE_ROUTE_0_QUEUE=none",
		"BRIDGE_ROUTE_0_OVERFLOW=drop_oldest",
		"BRIDGE_ROUTE_0_WORKERS=8",
		"BRIDGE_ROUTE_0_TIMEOUT=0",
		"BRIDGE_ROUTE_1_NAME=eu.invoices",
		"BRIDGE_ROUTE_1_IN=invoices.>",
		"BRIDGE_ROUTE_1_OUT=archive",
		"BRIDGE_ROUTE_1_STREAM=INVOICES",
		"BRIDGE_ROUTE_1_DLQ=dead.invoices",
		"BRIDGE_ROUTE_1_ACK_WAIT=1m",
		"BRIDGE_ROUTE_2_IN=x",
		"BRIDGE_ROUTE_2_OUT=y",
		"BRIDGE_ROUTE_2_BUFFER=",
		"BRIDGE_LOG_LEVEL=DEBUG",
		"PATH=/bin",
	)
	if cfg.UseEmbedded() || cfg.Demo {
		t.Errorf("UseEmbedded() = %v, Demo = %v, want false", cfg.UseEmbedded(), cfg.Demo)
	}
	if got := cfg.NATS.URL.Servers(); !slices.Equal(got, []string{"nats://a:4222", "tls://b:4222"}) {
		t.Errorf("Servers() = %q", got)
	}
	if cfg.Service.Log.Level.Slog().String() != "DEBUG" {
		t.Errorf("log level = %v", cfg.Service.Log.Level)
	}
	if len(cfg.Routes) != 3 {
		t.Fatalf("got %d routes, want 3", len(cfg.Routes))
	}

	r0 := cfg.Routes[0]
	if r0.Index != 0 || r0.Name != "route0" || r0.Queue != "" || r0.Overflow != stream.DropOldest || r0.Workers != 8 || r0.Timeout != 0 || r0.JetStream() {
		t.Errorf("route 0 = %+v", r0)
	}
	if r0.Program == nil || r0.Program.String() != "{id: .id}" || r0.RouteConfig().Process == nil {
		t.Fatal("route 0 has no compiled jq program")
	}
	if !r0.RouteConfig().LentOutputs {
		t.Error("route 0's program does not lend its outputs: the route copies none")
	}

	r1 := cfg.Routes[1]
	if r1.Name != "eu.invoices" || !r1.JetStream() || r1.Durable != "bridge-eu_invoices" || r1.Queue != "" ||
		r1.MaxDeliver != 5 || r1.AckWait != time.Minute || r1.DLQ != "dead.invoices" || r1.Program != nil {
		t.Errorf("route 1 = %+v", r1)
	}
	r2 := cfg.Routes[2]
	if r2.Name != "route2" || r2.Queue != "bridge.route2" || r2.Buffer != 1024 {
		t.Errorf("route 2 = %+v (an empty BUFFER takes the default)", r2)
	}
}

func TestLoadMetricsAddr(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    string
	}{
		{name: "unset", want: ":9090"},
		{name: "set", environ: []string{"BRIDGE_METRICS_ADDR=127.0.0.1:9100"}, want: "127.0.0.1:9100"},
		{name: "empty disables", environ: []string{"BRIDGE_METRICS_ADDR="}, want: ""},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if got := mustLoad(t, test.environ...).Service.MetricsAddr; got != test.want {
				t.Errorf("MetricsAddr = %q, want %q", got, test.want)
			}
		})
	}
}

func TestLoadProblems(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	route := []string{"BRIDGE_ROUTE_0_IN=in.>", "BRIDGE_ROUTE_0_OUT=out.>"}
	remote := append([]string{"NATS_URL=nats://127.0.0.1:4222"}, route...)
	with := func(base []string, more ...string) []string { return append(slices.Clone(base), more...) }

	tests := []struct {
		name    string
		environ []string
		// want maps each variable expected in a problem to a part of its
		// message; no other variable may be reported.
		want map[string]string
	}{
		{
			name:    "missing OUT",
			environ: with(route, "BRIDGE_ROUTE_1_IN=a"),
			want:    map[string]string{"BRIDGE_ROUTE_1_OUT": "required"},
		},
		{
			name:    "unknown EMIT and ORDER_BY",
			environ: with(route, "BRIDGE_ROUTE_0_JQ=.", "BRIDGE_ROUTE_0_EMIT=messages", "BRIDGE_ROUTE_0_ORDER_BY=header:"),
			want: map[string]string{
				"BRIDGE_ROUTE_0_EMIT":     `unknown emit mode "messages" (want payload or message)`,
				"BRIDGE_ROUTE_0_ORDER_BY": "names no header",
			},
		},
		{
			name:    "EMIT without JQ",
			environ: with(route, "BRIDGE_ROUTE_0_EMIT=message"),
			want:    map[string]string{"BRIDGE_ROUTE_0_EMIT": "set BRIDGE_ROUTE_0_JQ"},
		},
		{
			// In message mode OUT may be a space the program picks subjects
			// from; in payload mode it must map IN.
			name:    "OUT that does not map IN, in payload mode",
			environ: []string{"BRIDGE_ROUTE_0_IN=orders.in", "BRIDGE_ROUTE_0_OUT=routed.>", "BRIDGE_ROUTE_0_JQ=."},
			want:    map[string]string{"BRIDGE_ROUTE_0_OUT": "routed.>"},
		},
		{
			name:    "empty IN",
			environ: []string{"BRIDGE_ROUTE_0_IN=", "BRIDGE_ROUTE_0_OUT=b"},
			want:    map[string]string{"BRIDGE_ROUTE_0_IN": "required"},
		},
		{
			name:    "invalid subject",
			environ: []string{"BRIDGE_ROUTE_0_IN=a..b", "BRIDGE_ROUTE_0_OUT=b"},
			want:    map[string]string{"BRIDGE_ROUTE_0_IN": `invalid subject "a..b"`},
		},
		{
			name:    "wildcard mapping out of range",
			environ: []string{"BRIDGE_ROUTE_0_IN=a.*", "BRIDGE_ROUTE_0_OUT=b.{{wildcard(2)}}"},
			want:    map[string]string{"BRIDGE_ROUTE_0_OUT": "wildcard index out of range"},
		},
		{
			name:    "unknown mapping function",
			environ: []string{"BRIDGE_ROUTE_0_IN=a.*", "BRIDGE_ROUTE_0_OUT=b.{{shout(1)}}"},
			want:    map[string]string{"BRIDGE_ROUTE_0_OUT": "shout"},
		},
		{
			name:    "wildcard in literal output",
			environ: []string{"BRIDGE_ROUTE_0_IN=a.*", "BRIDGE_ROUTE_0_OUT=b.*"},
			want:    map[string]string{"BRIDGE_ROUTE_0_OUT": "without wildcards"},
		},
		{
			name:    "output loops into input",
			environ: []string{"BRIDGE_ROUTE_0_IN=a.>", "BRIDGE_ROUTE_0_OUT=a.b.>"},
			want:    map[string]string{"BRIDGE_ROUTE_0_OUT": "loop"},
		},
		{
			name:    "literal output loops into input",
			environ: []string{"BRIDGE_ROUTE_0_IN=a.*", "BRIDGE_ROUTE_0_OUT=a.b"},
			want:    map[string]string{"BRIDGE_ROUTE_0_OUT": "loop"},
		},
		{
			name:    "invalid jq",
			environ: with(route, "BRIDGE_ROUTE_0_JQ=.a | {"),
			want:    map[string]string{"BRIDGE_ROUTE_0_JQ": "invalid jq program: offset 6: unexpected EOF"},
		},
		{
			name:    "jq with undefined function",
			environ: with(route, "BRIDGE_ROUTE_0_JQ=nosuch(1)"),
			want:    map[string]string{"BRIDGE_ROUTE_0_JQ": "invalid jq program: function not defined: nosuch/1"},
		},
		{
			name:    "unknown overflow policy",
			environ: with(route, "BRIDGE_ROUTE_0_OVERFLOW=sometimes"),
			want:    map[string]string{"BRIDGE_ROUTE_0_OVERFLOW": `unknown policy "sometimes" (want block, drop_newest, drop_oldest)`},
		},
		{
			name:    "gap in route indexes",
			environ: with(route, "BRIDGE_ROUTE_2_NAME=x", "BRIDGE_ROUTE_2_IN=c", "BRIDGE_ROUTE_2_OUT=d"),
			want:    map[string]string{"BRIDGE_ROUTE_2_IN": "route index 2 is set but route 1 is not (routes are numbered from 0 without gaps)"},
		},
		{
			name:    "no route 0",
			environ: []string{"BRIDGE_ROUTE_1_OUT=d", "BRIDGE_ROUTE_1_IN=c"},
			want:    map[string]string{"BRIDGE_ROUTE_1_IN": "route index 1 is set but route 0 is not"},
		},
		{
			name:    "gap reported on first variable without IN",
			environ: with(route, "BRIDGE_ROUTE_3_OUT=d", "BRIDGE_ROUTE_3_BUFFER=2"),
			want:    map[string]string{"BRIDGE_ROUTE_3_BUFFER": "route index 3 is set but route 2 is not", "BRIDGE_ROUTE_3_IN": "required"},
		},
		{
			name:    "leading zero",
			environ: with(route, "BRIDGE_ROUTE_01_IN=c"),
			want:    map[string]string{"BRIDGE_ROUTE_01_IN": "leading zero"},
		},
		{
			name:    "unknown route variable",
			environ: with(route, "BRIDGE_ROUTE_0_FOO=1"),
			want:    map[string]string{"BRIDGE_ROUTE_0_FOO": "unknown variable"},
		},
		{
			name:    "unknown variable",
			environ: []string{"BRIDGE_LOG_LEVLE=debug", "BRIDGE_ROUTE_X_IN=a", "NATS_SOMETHING=ignored", "OTHER=ignored"},
			want:    map[string]string{"BRIDGE_LOG_LEVLE": "unknown variable", "BRIDGE_ROUTE_X_IN": "unknown variable"},
		},
		{
			name:    "bad duration",
			environ: with(route, "BRIDGE_SHUTDOWN_TIMEOUT=ten", "BRIDGE_ROUTE_0_TIMEOUT=5"),
			want: map[string]string{
				"BRIDGE_SHUTDOWN_TIMEOUT": `invalid duration "ten"`,
				"BRIDGE_ROUTE_0_TIMEOUT":  `invalid duration "5"`,
			},
		},
		{
			name:    "bad number",
			environ: with(route, "BRIDGE_ROUTE_0_BUFFER=lots", "BRIDGE_ROUTE_0_WORKERS=99999999999999999999"),
			want: map[string]string{
				"BRIDGE_ROUTE_0_BUFFER":  `invalid number "lots"`,
				"BRIDGE_ROUTE_0_WORKERS": `number "99999999999999999999" is out of range`,
			},
		},
		{
			name:    "numbers out of bounds",
			environ: with(route, "BRIDGE_ROUTE_0_BUFFER=0", "BRIDGE_ROUTE_0_WORKERS=1025", "BRIDGE_ROUTE_0_TIMEOUT=-1s", "BRIDGE_SHUTDOWN_TIMEOUT=0s"),
			want: map[string]string{
				"BRIDGE_ROUTE_0_BUFFER":   "must be between 1 and 16777216, got 0",
				"BRIDGE_ROUTE_0_WORKERS":  "must be between 1 and 1024, got 1025",
				"BRIDGE_ROUTE_0_TIMEOUT":  "must not be negative",
				"BRIDGE_SHUTDOWN_TIMEOUT": "must be positive",
			},
		},
		{
			name:    "names",
			environ: with(route, "BRIDGE_ROUTE_0_NAME=has space", "BRIDGE_ROUTE_1_NAME=route2", "BRIDGE_ROUTE_1_IN=a", "BRIDGE_ROUTE_1_OUT=b", "BRIDGE_ROUTE_2_IN=c", "BRIDGE_ROUTE_2_OUT=d"),
			want: map[string]string{
				"BRIDGE_ROUTE_0_NAME": `invalid name "has space"`,
				"BRIDGE_ROUTE_2_NAME": `name "route2" is already used by route 1`,
			},
		},
		{
			name:    "queue and dead letters",
			environ: with(route, "BRIDGE_ROUTE_0_QUEUE=a b", "BRIDGE_ROUTE_0_DLQ=dead.*", "BRIDGE_ROUTE_1_IN=x.*", "BRIDGE_ROUTE_1_OUT=y", "BRIDGE_ROUTE_1_DLQ=x.dead"),
			want: map[string]string{
				"BRIDGE_ROUTE_0_QUEUE": `invalid queue group "a b"`,
				"BRIDGE_ROUTE_0_DLQ":   "without wildcards",
				"BRIDGE_ROUTE_1_DLQ":   "dead letters would be processed again",
			},
		},
		{
			name:    "JetStream settings on a core route",
			environ: with(route, "BRIDGE_ROUTE_0_DURABLE=d", "BRIDGE_ROUTE_0_MAX_DELIVER=2", "BRIDGE_ROUTE_0_ACK_WAIT=1s", "BRIDGE_ROUTE_0_DEDUP=false"),
			want: map[string]string{
				"BRIDGE_ROUTE_0_DURABLE":     "only used by JetStream routes (set BRIDGE_ROUTE_0_STREAM)",
				"BRIDGE_ROUTE_0_MAX_DELIVER": "only used by JetStream routes",
				"BRIDGE_ROUTE_0_ACK_WAIT":    "only used by JetStream routes",
				"BRIDGE_ROUTE_0_DEDUP":       "only used by JetStream routes",
			},
		},
		{
			name: "JetStream route",
			environ: with(route, "BRIDGE_ROUTE_0_STREAM=A.B", "BRIDGE_ROUTE_0_DURABLE=x>", "BRIDGE_ROUTE_0_QUEUE=q",
				"BRIDGE_ROUTE_0_MAX_DELIVER=0", "BRIDGE_ROUTE_0_ACK_WAIT=2s", "BRIDGE_ROUTE_0_TIMEOUT=2s"),
			want: map[string]string{
				"BRIDGE_ROUTE_0_STREAM":      `invalid stream name "A.B"`,
				"BRIDGE_ROUTE_0_DURABLE":     `invalid durable name "x>"`,
				"BRIDGE_ROUTE_0_QUEUE":       "only used by core NATS routes",
				"BRIDGE_ROUTE_0_MAX_DELIVER": "must be at least 1",
				"BRIDGE_ROUTE_0_TIMEOUT":     "2s must be shorter than BRIDGE_ROUTE_0_ACK_WAIT (2s)",
			},
		},
		{
			name: "shared durable",
			environ: with(route, "BRIDGE_ROUTE_0_STREAM=S", "BRIDGE_ROUTE_0_ACK_WAIT=0s",
				"BRIDGE_ROUTE_1_IN=x", "BRIDGE_ROUTE_1_OUT=y", "BRIDGE_ROUTE_1_STREAM=S", "BRIDGE_ROUTE_1_DURABLE=bridge-route0"),
			want: map[string]string{
				"BRIDGE_ROUTE_0_ACK_WAIT": "must be positive",
				"BRIDGE_ROUTE_1_DURABLE":  `durable "bridge-route0" of stream "S" is already used by route 0`,
			},
		},
		{
			name:    "NATS_URL without routes",
			environ: []string{"NATS_URL=nats://127.0.0.1:4222"},
			want:    map[string]string{"BRIDGE_ROUTE_0_IN": "required"},
		},
		{
			name:    "bad NATS_URL",
			environ: with(route, "NATS_URL=http://a:1,nats://:4222,,nats://a:port"),
			want:    map[string]string{"NATS_URL": "server 1: http://a:1 has unsupported scheme"},
		},
		{
			name:    "credential pairs",
			environ: with(remote, "NATS_USER=u", "NATS_TOKEN=t", "NATS_TLS_KEY="+file),
			want: map[string]string{
				"NATS_USER":    "requires NATS_PASSWORD",
				"NATS_TOKEN":   "cannot be combined with NATS_USER and NATS_PASSWORD",
				"NATS_TLS_KEY": "requires NATS_TLS_CERT",
			},
		},
		{
			name: "files",
			environ: with(remote, "NATS_CREDS="+filepath.Join(dir, "missing.creds"), "NATS_NKEY="+file,
				"NATS_TLS_CA="+dir, "NATS_TLS_CERT="+file, "NATS_PASSWORD=p"),
			want: map[string]string{
				"NATS_CREDS":    "no such file or directory",
				"NATS_NKEY":     "cannot be combined with NATS_CREDS",
				"NATS_TLS_CA":   "is a directory",
				"NATS_TLS_CERT": "requires NATS_TLS_KEY",
				"NATS_PASSWORD": "requires NATS_USER",
			},
		},
		{
			name:    "connection settings without NATS_URL",
			environ: []string{"NATS_USER=u", "NATS_PASSWORD=p", "NATS_CREDS=" + file},
			want: map[string]string{
				"NATS_USER":     "only used with NATS_URL",
				"NATS_PASSWORD": "only used with NATS_URL",
				"NATS_CREDS":    "only used with NATS_URL",
			},
		},
		{
			name:    "embedded settings with NATS_URL",
			environ: with(remote, "BRIDGE_EMBEDDED_LISTEN=:4222", "BRIDGE_EMBEDDED_STORE="+dir),
			want: map[string]string{
				"BRIDGE_EMBEDDED_LISTEN": "only used when NATS_URL is unset",
				"BRIDGE_EMBEDDED_STORE":  "only used when NATS_URL is unset",
			},
		},
		{
			name:    "service settings",
			environ: []string{"BRIDGE_EMBEDDED_LISTEN=4222", "BRIDGE_EMBEDDED_STORE=" + file, "BRIDGE_METRICS_ADDR=:http", "BRIDGE_LOG_LEVEL=loud", "BRIDGE_LOG_FORMAT=xml"},
			want: map[string]string{
				"BRIDGE_EMBEDDED_LISTEN": `invalid address "4222"`,
				"BRIDGE_EMBEDDED_STORE":  "is a file",
				"BRIDGE_METRICS_ADDR":    `invalid port "http"`,
				"BRIDGE_LOG_LEVEL":       `unknown level "loud" (want debug, info, warn, error)`,
				"BRIDGE_LOG_FORMAT":      `unknown format "xml" (want text, json)`,
			},
		},
		{
			name: "all at once",
			environ: []string{
				"BRIDGE_ROUTE_0_IN=a.*", "BRIDGE_ROUTE_0_OUT=b.{{wildcard(1)}}",
				"BRIDGE_ROUTE_0_OVERFLOW=sometimes", "BRIDGE_ROUTE_0_JQ=.[",
				"BRIDGE_ROUTE_1_IN=c",
				"BRIDGE_ROUTE_3_IN=d", "BRIDGE_ROUTE_3_OUT=e", "BRIDGE_ROUTE_3_BUFFER=x",
				"BRIDGE_SHUTDOWN_TIMEOUT=ten",
			},
			want: map[string]string{
				"BRIDGE_ROUTE_0_OVERFLOW": "unknown policy",
				"BRIDGE_ROUTE_0_JQ":       "invalid jq program",
				"BRIDGE_ROUTE_1_OUT":      "required",
				"BRIDGE_ROUTE_3_IN":       "route index 3 is set but route 2 is not",
				"BRIDGE_ROUTE_3_BUFFER":   "invalid number",
				"BRIDGE_SHUTDOWN_TIMEOUT": `invalid duration "ten"`,
			},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			got := problems(t, test.environ...)
			for name, part := range test.want {
				msgs, ok := got[name]
				if !ok {
					t.Errorf("no problem reported for %s (want %q); got %q", name, part, got)
					continue
				}
				if !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, part) }) {
					t.Errorf("%s: problems %q, want one containing %q", name, msgs, part)
				}
			}
			for name, msgs := range got {
				if _, ok := test.want[name]; !ok {
					t.Errorf("unexpected problem %s: %q", name, msgs)
				}
			}
		})
	}
}

// TestLoadReportsEveryBadURL checks the problems of NATS_URL one by one,
// since they share a variable.
func TestLoadReportsEveryBadURL(t *testing.T) {
	got := problems(t, "NATS_URL=http://a:1,nats://:4222,,nats://a:port", "BRIDGE_ROUTE_0_IN=a", "BRIDGE_ROUTE_0_OUT=b")
	want := []string{
		`server 1: http://a:1 has unsupported scheme "http" (want nats, tls, ws, wss)`,
		"server 2: nats://:4222 has no host",
		"server 3: empty URL",
		"server 4: nats://a:port is not a valid URL",
	}
	if !slices.Equal(got["NATS_URL"], want) {
		t.Errorf("NATS_URL problems:\n got %q\nwant %q", got["NATS_URL"], want)
	}
}

// TestProblemsWrapTheirCause checks that a problem keeps the error behind
// it for errors.Is and errors.As.
func TestProblemsWrapTheirCause(t *testing.T) {
	_, err := config.Load([]string{
		"BRIDGE_ROUTE_0_IN=a.*", "BRIDGE_ROUTE_0_OUT=b.{{wildcard(2)}}",
		"BRIDGE_ROUTE_0_BUFFER=x", "BRIDGE_ROUTE_0_WORKERS=99999999999999999999",
	})
	for _, target := range []error{strconv.ErrSyntax, strconv.ErrRange, subjectmap.ErrInvalidMapping} {
		if !errors.Is(err, target) {
			t.Errorf("errors.Is(err, %v) = false", target)
		}
	}
	var p *config.Problem
	if !errors.As(err, &p) || p.Var != "BRIDGE_ROUTE_0_OUT" {
		t.Errorf("errors.As found %v, want the first problem", p)
	}
}

func TestLogLevelSlog(t *testing.T) {
	tests := []struct {
		name string
		want slog.Level
	}{
		{name: "debug", want: slog.LevelDebug},
		{name: "info", want: slog.LevelInfo},
		{name: "warn", want: slog.LevelWarn},
		{name: "error", want: slog.LevelError},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			cfg := mustLoad(t, "BRIDGE_LOG_LEVEL="+strings.ToUpper(test.name))
			if got := cfg.Service.Log.Level.Slog(); got != test.want {
				t.Errorf("Slog() = %v, want %v", got, test.want)
			}
		})
	}
}

// TestLoopCheckAllowsUnknowableMappings checks that mappings whose output
// may or may not match IN are accepted.
func TestLoopCheckAllowsUnknowableMappings(t *testing.T) {
	for _, out := range []string{"a.{{split(1,-)}}", "b.{{wildcard(1)}}", "a.x.$1"} {
		mustLoad(t, "BRIDGE_ROUTE_0_IN=a.*", "BRIDGE_ROUTE_0_OUT="+out)
	}
}
