package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/natsbridge/bridge/internal/config"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2 // invalid command line or configuration
)

func main() {
	os.Exit(bridgeMain(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

// bridgeMain is main with its inputs and outputs as arguments; it returns
// the exit status.
func bridgeMain(args, environ []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "test" {
		return testMain(args[1:], environ, stdout, stderr)
	}
	fs := flag.NewFlagSet("bridge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // -h is handled below, on stdout
	check := fs.Bool("check", false, "validate the configuration, print a summary and exit, without connecting to NATS")
	showVersion := fs.Bool("version", false, "print the version and exit")
	healthcheck := fs.Bool("healthcheck", false, "probe the /readyz endpoint of a bridge running on this host (BRIDGE_METRICS_ADDR) and exit 0 if it is ready, 1 otherwise; for container health checks in images without a shell")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout, fs)
			return exitOK
		}
		fmt.Fprintln(stderr, "Run 'bridge -h' for usage.") // flag printed the error
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bridge: unexpected argument %q\nRun 'bridge -h' for usage.\n", fs.Arg(0))
		return exitUsage
	}
	if *showVersion {
		fmt.Fprintln(stdout, "bridge", versionString())
		return exitOK
	}

	if *healthcheck {
		return probeReady(environ, stderr)
	}

	cfg, err := config.Load(environ)
	if err != nil {
		return reportConfigError(stderr, err)
	}
	if *check {
		summary(stdout, cfg)
		return exitOK
	}

	logger := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, logger); err != nil {
		logger.Error("bridge failed", "error", err)
		return exitFailure
	}
	return exitOK
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `bridge forwards NATS messages from subject to subject, optionally transforming
them with jq. It is configured by environment variables only.

Usage:
  bridge [-check | -healthcheck | -version | -h]
  bridge test FILE...    test route programs without NATS (bridge test -h)

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(nil)
	fmt.Fprint(w, `  -h, -help
    	print this help and exit

Exit status: 0 on success, 1 when the bridge fails, 2 for an invalid
configuration or command line.

`)
	config.Usage(w)
}

// reportConfigError prints each configuration problem on its own line.
func reportConfigError(stderr io.Writer, err error) int {
	var cerr *config.Error
	if !errors.As(err, &cerr) {
		fmt.Fprintln(stderr, "bridge:", err)
		return exitFailure
	}
	fmt.Fprintf(stderr, "bridge: invalid configuration (%d %s):\n", len(cerr.Problems), plural(len(cerr.Problems), "problem"))
	for _, p := range cerr.Problems {
		fmt.Fprintln(stderr, p)
	}
	fmt.Fprintln(stderr, "Run 'bridge -h' for the list of variables.")
	return exitUsage
}

// summary describes a valid configuration for -check.
func summary(w io.Writer, cfg *config.Config) {
	fmt.Fprintln(w, "configuration OK")
	if cfg.UseEmbedded() {
		fmt.Fprintf(w, "NATS: embedded server on %s, JetStream store %s\n", cfg.Embedded.Listen, cfg.Embedded.Store)
	} else {
		fmt.Fprintf(w, "NATS: %s\n", cfg.NATS)
	}
	unused := cfg.UnusedConns()
	for _, c := range cfg.Conns {
		note := ""
		if slices.Contains(unused, c.Name) {
			note = " (no route uses it: not opened)"
		}
		fmt.Fprintf(w, "connection %s: %s%s\n", c.Name, c.ConnSettings, note)
	}
	if addr := cfg.Service.MetricsAddr; addr != "" {
		fmt.Fprintf(w, "metrics: %s (/metrics, /healthz, /readyz)\n", addr)
	} else {
		fmt.Fprintln(w, "metrics: disabled")
	}
	fmt.Fprintf(w, "tracing: %s\n", cfg.Tracing)
	fmt.Fprintf(w, "%d %s:\n", len(cfg.Routes), plural(len(cfg.Routes), "route"))
	for _, r := range cfg.Routes {
		var details []string
		if r.JetStream() {
			details = append(details, "JetStream stream "+r.Stream, "durable "+r.Durable,
				fmt.Sprintf("max deliver %d", r.MaxDeliver), "ack wait "+r.AckWait.String())
			if !r.Dedup {
				details = append(details, "no Nats-Msg-Id")
			}
		} else if r.Queue != "" {
			details = append(details, "queue "+r.Queue)
		} else {
			details = append(details, "no queue group")
		}
		if r.JQ != "" {
			details = append(details, "jq")
		}
		if r.DLQ != "" {
			details = append(details, "dead letters to "+r.DLQ)
		}
		details = append(details,
			fmt.Sprintf("buffer %d %s", r.Buffer, r.Overflow),
			fmt.Sprintf("%d %s", r.Workers, plural(r.Workers, "worker")),
			"timeout "+r.Timeout.String())
		in, out := r.In, r.Out
		if r.InConn != config.DefaultConn || r.OutConn != config.DefaultConn {
			in, out = r.InConn+":"+in, r.OutConn+":"+out
			if !r.SameConn() && !r.JetStream() {
				details = append(details, "reply timeout "+r.ReplyTimeout.String())
			}
		}
		fmt.Fprintf(w, "  %s: %s -> %s (%s)\n", r.Name, in, out, strings.Join(details, ", "))
	}
	if cfg.Demo {
		fmt.Fprintln(w, "No route is configured: running the demo route. Try it with the nats CLI:")
		fmt.Fprintf(w, "  nats -s nats://%s sub 'demo.out.>'\n  nats -s nats://%s pub demo.in.hello '{\"hello\":\"world\"}'\n",
			cfg.Embedded.Listen, cfg.Embedded.Listen)
	}
}

// newLogger returns the logger configured by BRIDGE_LOG_LEVEL and
// BRIDGE_LOG_FORMAT, writing to w.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.Service.Log.Level.Slog()}
	if cfg.Service.Log.Format == config.LogFormatJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// versionString returns the version set at build time, else the module
// version and VCS revision recorded by the Go toolchain.
func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
