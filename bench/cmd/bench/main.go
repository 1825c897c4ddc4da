// Command bench measures the bridge binary against bare nats.go relays and
// against peers (Bento, Watermill) on the same freshly started NATS
// server, and reports each contender's figures side by side, with their
// ratios to the scenario's reference contender. `make bench` runs it;
// bench/README.md explains the scenarios and the figures.
//
// It builds the relays and a NATS server (bench/natsserver) into a
// temporary directory, and the peers from their own module (bench/peers;
// a peer that does not build is reported as unavailable), starts the
// server as a process of its own, and then, for each repetition, runs
// every scenario of the table in scenario.go once with each contender,
// rotating which goes first. Each run starts a fresh process; the
// publisher and the subscriber are this program. Figures are medians over
// the repetitions. It writes latest.md, latest.json and latest.svg to -out.
//
// One scenario, stage-workers, measures the bridge's processing stage
// alone, in process: each run is a process of the jq package's test binary
// (-stage-bench) running one case of its BenchmarkStage. Without
// -stage-bench its runs are skipped.
//
// Usage:
//
//	bench [-quick] [-reps 3] [-n 1000000] [-run regexp] [-contenders regexp] [-peers=false] [-bridge bin/bridge] [-stage-bench bin/jq.test] ...
//
// Run bench -h for every flag.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/bench/internal/subproc"
)

// config is the command line.
type config struct {
	bridge    string
	bridgeEnv []string
	reps      int
	n, jsN    int
	rate      float64
	latency   time.Duration
	warmup    time.Duration
	idle      time.Duration
	run       *regexp.Regexp
	only      *regexp.Regexp // contenders
	peers     bool
	out       string
	jsStorage string
	quick     bool
	keep      bool

	// stageBench is the jq package's test binary; stageN the iterations
	// (messages) of each of its runs.
	stageBench string
	stageN     int
}

// quickDefaults are the flag values -quick sets, unless given explicitly.
var quickDefaults = map[string]string{"reps": "1", "n": "100000", "js-n": "20000", "stage-n": "100000", "latency": "1s", "warmup": "200ms"}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.bridge, "bridge", "bin/bridge", "bridge binary to measure (relative to the module root); built from ./cmd/bridge if missing")
	fs.Func("bridge-env", "extra `VAR=value` for the bridge, such as BRIDGE_ROUTE_0_WORKERS=2 (repeatable)", func(s string) error {
		if !strings.Contains(s, "=") {
			return errors.New("want VAR=value")
		}
		c.bridgeEnv = append(c.bridgeEnv, s)
		return nil
	})
	fs.IntVar(&c.reps, "reps", 3, "repetitions of each run; figures are medians")
	fs.IntVar(&c.n, "n", 1000000, "messages per burst")
	fs.IntVar(&c.jsN, "js-n", 200000, "messages in the JetStream backlog")
	fs.StringVar(&c.stageBench, "stage-bench", "", "the jq package's test binary (go test -c ./jq; relative to the module root, built if missing) for the stage-workers scenario; empty: that scenario is not measured")
	fs.IntVar(&c.stageN, "stage-n", 1000000, "messages (benchmark iterations, -test.benchtime Nx) of each stage-workers run")
	fs.Float64Var(&c.rate, "rate", 20000, "messages per second of the fixed-rate (latency) run")
	fs.DurationVar(&c.latency, "latency", 5*time.Second, "measured duration of the fixed-rate run")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "unmeasured start of the fixed-rate run")
	fs.DurationVar(&c.idle, "drain", 2*time.Second, "after publishing, stop waiting for output once none has arrived for this long")
	run := fs.String("run", "", "only the scenarios whose name matches this `regexp`")
	only := fs.String("contenders", "", "only the contenders whose name matches this `regexp` (and each scenario's reference)")
	fs.BoolVar(&c.peers, "peers", true, "run the peers (Bento, Watermill) built from bench/peers; false leaves them out")
	fs.StringVar(&c.out, "out", "bench/results", "directory for latest.md, latest.json and latest.svg (relative to the module root)")
	fs.StringVar(&c.jsStorage, "js-storage", "memory", "storage of the JetStream scenario's streams: memory or file")
	fs.BoolVar(&c.quick, "quick", false, "smoke test: 1 repetition, 100k-message bursts and stage runs, 20k JetStream backlog, 1s of latency (explicit flags win)")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (binaries, JetStream store)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: bench [flags]\n\nMeasures the bridge against bare nats.go relays and peers, and its processing stage\nalone (stage-workers, with -stage-bench); see bench/README.md.\nScenarios and their contenders:\n")
		for _, s := range scenarios {
			fmt.Fprintf(fs.Output(), "  %-24s", s.name)
			for _, c := range s.contenders {
				fmt.Fprintf(fs.Output(), " %s", c.name)
			}
			fmt.Fprintln(fs.Output())
		}
		fmt.Fprintf(fs.Output(), "\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range quickDefaults {
			if !set[name] {
				if err := fs.Set(name, v); err != nil {
					return nil, err
				}
			}
		}
	}
	var err error
	if c.run, err = regexp.Compile(*run); err != nil {
		return nil, fmt.Errorf("-run: %w", err)
	}
	if c.only, err = regexp.Compile(*only); err != nil {
		return nil, fmt.Errorf("-contenders: %w", err)
	}
	switch {
	case c.reps < 1 || c.n < 1 || c.jsN < 1 || c.stageN < 1:
		return nil, errors.New("-reps, -n, -js-n and -stage-n must be positive")
	case c.rate <= 0 || c.latency <= 0 || c.warmup < 0 || c.idle <= 0:
		return nil, errors.New("-rate, -latency and -drain must be positive, -warmup not negative")
	case c.jsStorage != "memory" && c.jsStorage != "file":
		return nil, errors.New("-js-storage must be memory or file")
	}
	return c, nil
}

func main() {
	c, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// driver holds what the runs share.
type driver struct {
	cfg  *config
	root string
	tmp  string // binaries, configuration files, the JetStream store
	bins struct {
		natsserver, relay, jsrelay string
		// stage is the jq package's test binary; "" without -stage-bench.
		stage string
	}
	// peers are the programs of bench/peers, built or not.
	peers map[system]peer
	// rejected holds, by "scenario/contender", why the bridge rejected a
	// contender's configuration.
	rejected map[string]string
	srv      *subproc.Server
	otlp     *otlpSink // where traced bridges send their spans
	// base is the clock of send times in payloads.
	base time.Time

	pubConn, subConn, ctlConn *nats.Conn
	js                        jetstream.JetStream
	harnessDisconnects        atomic.Int64
}

func run(ctx context.Context, c *config, stdout, stderr io.Writer) error {
	root, err := subproc.ModuleRoot(ctx)
	if err != nil {
		return err
	}
	d := &driver{cfg: c, root: root, base: time.Now(), rejected: map[string]string{}}
	if !filepath.IsAbs(c.out) {
		c.out = filepath.Join(root, c.out)
	}
	tmp, err := os.MkdirTemp("", "bridge-bench-")
	if err != nil {
		return err
	}
	if c.keep {
		fmt.Fprintln(stderr, "bench: keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	d.tmp = tmp
	selected := selectScenarios(c)
	if len(selected) == 0 {
		return fmt.Errorf("-run %q matches no scenario", c.run)
	}

	fmt.Fprintln(stderr, "bench: building the relays and the NATS server")
	bins, err := subproc.Build(ctx, root, tmp, "./bench/natsserver", "./bench/relay", "./bench/jsrelay")
	if err != nil {
		return err
	}
	d.bins.natsserver, d.bins.relay, d.bins.jsrelay = bins[0], bins[1], bins[2]
	if !filepath.IsAbs(c.bridge) {
		c.bridge = filepath.Join(root, c.bridge)
	}
	if _, err := os.Stat(c.bridge); err != nil {
		fmt.Fprintf(stderr, "bench: %s missing: building ./cmd/bridge\n", c.bridge)
		b, err := subproc.Build(ctx, root, tmp, "./cmd/bridge")
		if err != nil {
			return err
		}
		c.bridge = b[0]
	}
	if d.bins.stage, err = stageBinary(ctx, c, root, tmp, selected, stderr); err != nil {
		return err
	}
	d.peers = buildPeers(ctx, root, tmp, selected, stderr)

	m := collectMachine(ctx, root, c)
	d.srv, err = subproc.StartServer(ctx, d.bins.natsserver, "-js", "-store", filepath.Join(tmp, "jetstream"))
	if err != nil {
		return err
	}
	defer func() { _ = d.srv.Stop() }()
	fmt.Fprintf(stderr, "bench: NATS server at %s (pid %d)\n", d.srv.URL, d.srv.Pid())
	if d.otlp, err = startOTLPSink(); err != nil {
		return err
	}
	defer func() {
		d.otlp.close()
		fmt.Fprintf(stderr, "bench: OTLP sink took %d exports, %d bytes\n", d.otlp.exports.Load(), d.otlp.octets.Load())
	}()
	for _, conn := range []struct {
		nc   **nats.Conn
		name string
	}{{&d.pubConn, "bench-pub"}, {&d.subConn, "bench-sub"}, {&d.ctlConn, "bench-ctl"}} {
		nc, err := connect(d.srv.URL, conn.name, &d.harnessDisconnects)
		if err != nil {
			return err
		}
		defer nc.Close()
		*conn.nc = nc
	}
	if d.js, err = jetstream.New(d.ctlConn, jetstream.WithPublishAsyncMaxPending(4096)); err != nil {
		return err
	}

	var runs []Run
	for rep := range c.reps {
		for i, s := range selected {
			for round := range s.roundsPerRep() {
				// Each run of a scenario has a number of its own (its
				// subjects are named after it).
				n := rep*s.roundsPerRep() + round
				// Rotate the order, so that no contender always runs
				// first (on a cold server) or right after the heaviest.
				k := (n + i) % len(s.contenders)
				for _, ct := range append(s.contenders[k:len(s.contenders):len(s.contenders)], s.contenders[:k]...) {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					r := d.measure(ctx, n, s, ct)
					fmt.Fprintf(stderr, "bench: [%d/%d] %-22s %-13s %s\n", rep+1, c.reps, s.name, ct.name, r.oneLine())
					runs = append(runs, r)
				}
			}
		}
	}
	m.LoadAfter = loadAverage()
	rep := newReport(m, c, selected, runs)
	if err := rep.write(c.out); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	rep.markdownTable(stdout)
	fmt.Fprintf(stdout, "\nwritten: %s\n", strings.Join([]string{
		filepath.Join(c.out, "latest.md"), filepath.Join(c.out, "latest.json"), filepath.Join(c.out, "latest.svg")}, ", "))
	return nil
}

// selectScenarios returns the scenarios -run selects, each with the
// contenders -contenders and -peers leave (the reference always stays).
func selectScenarios(c *config) []scenario {
	var selected []scenario
	for _, s := range scenarios {
		if !c.run.MatchString(s.name) {
			continue
		}
		var keep []contender
		for _, ct := range s.contenders {
			if ct.name == s.reference || (c.only.MatchString(ct.name) && (c.peers || !ct.sys.isPeer())) {
				keep = append(keep, ct)
			}
		}
		s.contenders = keep
		selected = append(selected, s)
	}
	return selected
}

// oneLine is a progress line.
func (r *Run) oneLine() string {
	switch {
	case r.Skipped != "":
		return "skipped: " + r.Skipped
	case r.Error != "":
		return "error: " + r.Error
	}
	if r.Bench != nil {
		return fmt.Sprintf("%s msg/s, %.3f CPU-s/M, %.0f B/msg, %.0f allocs/msg", fmtCount(r.Throughput), r.CPUPerM, r.Bench.BytesPerOp, r.Bench.AllocsPerOp)
	}
	s := fmt.Sprintf("%s msg/s, lost %d, %.3f CPU-s/M, %.1f MiB", fmtCount(r.Throughput), r.Lost, r.CPUPerM, float64(r.PeakRSS)/(1<<20))
	if r.Latency != nil {
		s = fmt.Sprintf("p50 %s µs, p99 %s µs, p99.9 %s µs, lost %d, %.3f CPU-s/M, %.1f MiB",
			fmtMicros(r.value("p50")), fmtMicros(r.value("p99")), fmtMicros(r.value("p999")), r.Lost, r.CPUPerM, float64(r.PeakRSS)/(1<<20))
	}
	if r.ServerSlowConsumers > 0 {
		s += fmt.Sprintf(", server slow consumers %d", r.ServerSlowConsumers)
	}
	return s
}
