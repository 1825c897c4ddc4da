package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/bench/internal/pace"
	"github.com/natsbridge/bridge/bench/internal/procfs"
	"github.com/natsbridge/bridge/bench/internal/stats"
	"github.com/natsbridge/bridge/bench/internal/subproc"
)

// Run is the record of one measurement: one contender, one scenario, one
// repetition.
type Run struct {
	Scenario string `json:"scenario"`
	// System is the contender's name.
	System string `json:"system"`
	Rep    int    `json:"rep"`
	// Skipped says why the run could not be made (the figures are
	// missing); Error says what went wrong with it.
	Skipped string `json:"skipped,omitempty"`
	Error   string `json:"error,omitempty"`

	Published  int64 `json:"published"`
	Received   int64 `json:"received"` // distinct messages
	Duplicates int64 `json:"duplicates"`
	Lost       int64 `json:"lost"`
	// Window is the measured time: first publish (first output for
	// JetStream) to last output.
	Window      float64 `json:"window_s"`
	Throughput  float64 `json:"throughput_msgs"`
	PublishRate float64 `json:"publish_rate_msgs"`
	// CPU is the system's user+system CPU time over the window (see
	// cpuTime); CPUPerM per million messages published.
	CPU     float64 `json:"cpu_s"`
	CPUPerM float64 `json:"cpu_s_per_million"`
	// PeakRSS is VmHWM at the end of the window; MaxRSS is getrusage's
	// figure after exit.
	PeakRSS int64 `json:"peak_rss_bytes"`
	MaxRSS  int64 `json:"maxrss_bytes"`

	Latency *stats.Latency `json:"latency,omitempty"`
	Pacing  *pace.Stats    `json:"pacing,omitempty"`
	// Bench is a goBench run's result line; its iterations are the
	// messages published, and its times the window and the CPU.
	Bench *BenchResult `json:"bench,omitempty"`

	// The server's share: its CPU over the window, and slow consumers it
	// disconnected.
	ServerCPU           float64 `json:"server_cpu_s"`
	ServerSlowConsumers int64   `json:"server_slow_consumers"`
	// AckPending is the JetStream consumer's unacknowledged and
	// undelivered messages after the drain.
	AckPending int64 `json:"ack_pending,omitempty"`
	// Metrics are the bridge's non-zero drop and failure samples.
	Metrics []string `json:"metrics,omitempty"`
	// ExitReport is a relay's summary line on exit (what it relayed, and
	// what its NATS client dropped).
	ExitReport string `json:"exit_report,omitempty"`
}

// value returns the run's figure key, NaN when the run has none.
func (r *Run) value(key string) float64 {
	if r.Skipped != "" || r.Error != "" {
		return math.NaN()
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	switch key {
	case "throughput":
		return r.Throughput
	case "lost":
		return float64(r.Lost)
	case "cpu":
		return r.CPUPerM
	case "rss":
		return float64(r.PeakRSS) / (1 << 20)
	case "p50", "p99", "p999":
		if r.Latency == nil {
			return math.NaN()
		}
		return map[string]float64{"p50": us(r.Latency.P50), "p99": us(r.Latency.P99), "p999": us(r.Latency.P999)}[key]
	case "bytes", "allocs":
		if r.Bench == nil {
			return math.NaN()
		}
		return map[string]float64{"bytes": r.Bench.BytesPerOp, "allocs": r.Bench.AllocsPerOp}[key]
	}
	return math.NaN()
}

// skipError marks a run that cannot be made with this build or machine.
type skipError struct{ reason string }

func (e *skipError) Error() string { return "skipped: " + e.reason }

func skip(format string, args ...any) error {
	return &skipError{reason: fmt.Sprintf(format, args...)}
}

// errRejected is returned when the bridge exits with status 2 before it is
// ready: it rejected its configuration (a setting this build does not
// know, say). The contender is skipped for the rest of the run.
var errRejected = errors.New("the bridge rejected its configuration (exit status 2 at startup)")

// measure makes one run of contender c in scenario s.
func (d *driver) measure(ctx context.Context, rep int, s scenario, c contender) (run Run) {
	run = Run{Scenario: s.name, System: c.name, Rep: rep}
	if reason := d.skipReason(s, c); reason != "" {
		run.Skipped = reason
		return run
	}
	var err error
	switch s.kind {
	case burst:
		err = d.runBurst(ctx, &run, s, c)
	case paced:
		err = d.runPaced(ctx, &run, s, c)
	case jsBacklog:
		err = d.runBacklog(ctx, &run, s, c)
	case goBench:
		err = d.runGoBench(ctx, &run, s, c)
	default:
		err = fmt.Errorf("scenario %s: unknown kind %d", s.name, s.kind)
	}
	var se *skipError
	switch {
	case errors.As(err, &se):
		run.Skipped = se.reason
		if errors.Is(err, errRejected) {
			d.rejected[s.name+"/"+c.name] = se.reason
		}
	case err != nil:
		run.Error = err.Error()
	}
	return run
}

// skipReason says why contender c of scenario s is not run, or "".
func (d *driver) skipReason(s scenario, c contender) string {
	if c.sys.isPeer() {
		if err := d.peers[c.sys].err; err != nil {
			return "peer unavailable: " + err.Error()
		}
	}
	if c.sys == sysStage && d.bins.stage == "" {
		return errNoStageBench.Error()
	}
	if reason := d.rejected[s.name+"/"+c.name]; reason != "" {
		return reason
	}
	// A scenario whose every bridge was rejected measures nothing of the
	// bridge: the other contenders are not run either.
	bridges := 0
	for _, o := range s.contenders {
		if o.sys != sysBridge {
			continue
		}
		bridges++
		if d.rejected[s.name+"/"+o.name] == "" {
			return ""
		}
	}
	if bridges > 0 {
		return "scenario skipped: " + errRejected.Error() + " (see its runs)"
	}
	return ""
}

// session is a started contender of one run.
type session struct {
	d   *driver
	run *Run
	c   contender
	p   *proc
	// harnessDrops is the driver's disconnect count at the start.
	harnessDrops int64
	stopped      bool
}

// launch starts contender c.
func (d *driver) launch(run *Run, s scenario, c contender, n names) (*session, error) {
	p, err := d.start(c, s, n)
	if err != nil {
		return nil, err
	}
	return &session{d: d, run: run, c: c, p: p, harnessDrops: d.harnessDisconnects.Load()}, nil
}

// notReady returns the error for a process that has exited before it was
// ready: exit status 2 from the bridge is a rejected configuration.
func (ss *session) notReady() error {
	err := ss.p.alive()
	var ee *exitError
	if errors.As(err, &ee) && ee.code == 2 && ss.c.sys == sysBridge {
		out := strings.Join(strings.Fields(ee.output), " ")
		if len(out) > 600 {
			out = out[:600] + "…"
		}
		return fmt.Errorf("%w: %w", skip("%v: %s", errRejected, out), errRejected)
	}
	return err
}

// sample is the CPU times and server counters at one moment.
type sample struct {
	cpu, srv cpuTime
	varz     subproc.Varz
}

func (ss *session) sample(ctx context.Context) (sample, error) {
	cpu, err := readCPU(ss.p.pid())
	if err != nil {
		return sample{}, err
	}
	srv, _ := readCPU(ss.d.srv.Pid())
	varz, _ := ss.d.srv.Varz(ctx)
	return sample{cpu: cpu, srv: srv, varz: varz}, nil
}

// end takes the closing sample and records what the system and the server
// report about the window since start; done says how far the run got, for
// the error when the system has died.
func (ss *session) end(ctx context.Context, start sample, done func() uint64) (sample, error) {
	end, err := ss.sample(ctx)
	if err != nil {
		return end, fmt.Errorf("%w (after %d of %d messages)", ss.p.alive(), done(), ss.run.Published)
	}
	run := ss.run
	if rss, err := procfs.PeakRSS(ss.p.pid()); err == nil {
		run.PeakRSS = rss
	}
	run.ServerSlowConsumers = end.varz.SlowConsumers - start.varz.SlowConsumers
	run.ServerCPU = end.srv.since(start.srv).Seconds()
	run.CPU = end.cpu.since(start.cpu).Seconds()
	run.Metrics = ss.p.scrapeMetrics(ctx)
	return end, nil
}

// stop terminates the system (once) and records its exit report.
func (ss *session) stop() {
	if ss.stopped {
		return
	}
	ss.stopped = true
	maxRSS, err := ss.p.stop()
	ss.run.MaxRSS = maxRSS
	if err != nil && ss.run.Error == "" {
		ss.run.Error = err.Error()
	}
	ss.run.ExitReport = ss.p.exitReport()
	if ss.d.harnessDisconnects.Load() != ss.harnessDrops {
		ss.run.Error = "the harness's own connection was disconnected during the run (slow consumer?): figures are not reliable"
	}
}

// connect opens one of the driver's connections; disconnects counts its
// unexpected disconnections.
func connect(url, name string, disconnects *atomic.Int64) (*nats.Conn, error) {
	return nats.Connect(url, nats.Name(name),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				disconnects.Add(1)
			}
		}))
}

// cpuTime is a process's CPU time read two ways: ticks, from
// /proc/<pid>/stat, counts every thread but only to 10 ms; threads, from
// /proc/<pid>/task/*/sched, counts to the nanosecond but only live threads,
// and needs CONFIG_SCHED_DEBUG.
type cpuTime struct {
	ticks, threads time.Duration
	threadsOK      bool
}

func readCPU(pid int) (cpuTime, error) {
	ticks, err := procfs.CPU(pid)
	if err != nil {
		return cpuTime{}, err
	}
	threads, err := procfs.ThreadsCPU(pid)
	return cpuTime{ticks: ticks, threads: threads, threadsOK: err == nil}, nil
}

// since returns the CPU time used between start and c: the precise count,
// unless it is unavailable or a thread exited in between (it then falls
// short of the ticks by more than their rounding).
func (c cpuTime) since(start cpuTime) time.Duration {
	ticks := c.ticks - start.ticks
	if !c.threadsOK || !start.threadsOK {
		return ticks
	}
	threads := c.threads - start.threads
	if threads < ticks-20*time.Millisecond-ticks/20 {
		return ticks
	}
	return threads
}
