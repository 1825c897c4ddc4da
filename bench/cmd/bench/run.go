package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/bench/internal/pace"
	"github.com/natsbridge/bridge/bench/internal/procfs"
	"github.com/natsbridge/bridge/bench/internal/stats"
)

// Run is the record of one measurement: one system, one scenario, one
// repetition.
type Run struct {
	Scenario string `json:"scenario"`
	System   string `json:"system"`
	Rep      int    `json:"rep"`
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

	// The server's share: its CPU over the window, and slow consumers it
	// disconnected.
	ServerCPU           float64 `json:"server_cpu_s"`
	ServerSlowConsumers int64   `json:"server_slow_consumers"`
	// AckPending is the JetStream consumer's unacknowledged and
	// undelivered messages after the drain.
	AckPending int64 `json:"ack_pending,omitempty"`
	// Metrics are the bridge's non-zero drop and failure samples.
	Metrics []string `json:"metrics,omitempty"`
	// ExitReport is the relay's summary line on exit (what it relayed,
	// and what its NATS client dropped).
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
	}
	return math.NaN()
}

// errSkip marks a run that cannot be made with this build.
var errSkip = errors.New("skipped")

// measure makes one run.
func (d *driver) measure(ctx context.Context, rep int, s scenario, sys string) (run Run) {
	run = Run{Scenario: s.name, System: sys, Rep: rep}
	err := d.measureInto(ctx, &run, s, sys)
	if errors.Is(err, errSkip) {
		run.Skipped = errors.Unwrap(err).Error()
	} else if err != nil {
		run.Error = err.Error()
	}
	return run
}

func (d *driver) measureInto(ctx context.Context, run *Run, s scenario, sys string) error {
	n := runNames(run.Rep, s, sys)
	count := d.cfg.n
	var warm int64 = -1 // latency recording off
	switch s.kind {
	case paced:
		warm = int64(d.cfg.rate * d.cfg.warmup.Seconds())
		count = int(warm) + int(d.cfg.rate*d.cfg.latency.Seconds())
	case jsBacklog:
		count = d.cfg.jsN
	}
	pl := newPayload(s.json, s.size)

	if s.jetStream {
		cleanup, err := d.prepareStreams(ctx, n, count, pl)
		if err != nil {
			return err
		}
		defer cleanup()
	}

	recv := newReceiver(s.json, d.base, count, warm)
	sub, err := d.subConn.Subscribe(n.out, recv.handle)
	if err != nil {
		return err
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		return err
	}
	if s.jetStream {
		// Only the first output, which starts the window: the rest are
		// counted in the output stream, so that the harness does not
		// compete for CPU during the run (decoding the bridge's
		// Nats-Msg-Id headers, say).
		if err := sub.AutoUnsubscribe(1); err != nil {
			return err
		}
	}
	if err := d.subConn.Flush(); err != nil {
		return err
	}
	harnessDrops := d.harnessDisconnects.Load()

	p, err := d.start(sys, s, n)
	if err != nil {
		return err
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			maxRSS, err := p.stop()
			run.MaxRSS = maxRSS
			if err != nil && run.Error == "" {
				run.Error = err.Error()
			}
		}
	}
	defer stop()

	// Wait until the system relays, then measure from a quiet start.
	if s.jetStream {
		if err := d.waitConsumer(ctx, p, n, recv.firstCh); err != nil {
			return err
		}
	} else {
		if err := d.waitRelaying(ctx, p, n, recv); err != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond) // let the probes drain
	}

	type sample struct {
		cpu, srv cpuTime
	}
	take := func() (sample, error) {
		cpu, err := readCPU(p.pid())
		if err != nil {
			return sample{}, err
		}
		srv, _ := readCPU(d.srv.Pid())
		return sample{cpu, srv}, nil
	}
	varz0, _ := d.srv.Varz(ctx)
	var start sample
	var outsideCPU int64
	if !s.jetStream {
		if start, err = take(); err != nil {
			return err
		}
	} else {
		// The backlog is already there: the window starts with the first
		// output.
		select {
		case <-recv.firstCh:
		case <-time.After(20 * time.Second):
			return fmt.Errorf("no output within 20s of the consumer's creation; output: %s", p.output)
		case <-p.exited:
			return p.alive()
		}
		if start, err = take(); err != nil {
			return err
		}
		// The messages relayed since the first one, before this sample,
		// are outside the CPU window.
		stored, err := d.storedCount(ctx, n.outStream)
		if err != nil {
			return err
		}
		outsideCPU = int64(stored)
	}

	var pubStart, pubEnd time.Time
	switch s.kind {
	case burst:
		pubStart = time.Now()
		for i := range count {
			if err := d.pubConn.Publish(n.in, pl.encode(uint64(i), 0)); err != nil {
				return fmt.Errorf("publish: %w", err)
			}
		}
		if err := d.pubConn.FlushTimeout(time.Minute); err != nil {
			return fmt.Errorf("flush: %w", err)
		}
		pubEnd = time.Now()
	case paced:
		var pubErr atomic.Value
		pubStart = time.Now()
		st, err := pace.Run(ctx, d.cfg.rate, count, func(i int) {
			if err := d.pubConn.Publish(n.in, pl.encode(uint64(i), int64(time.Since(d.base)))); err != nil {
				pubErr.CompareAndSwap(nil, err)
			}
		})
		pubEnd = time.Now()
		if err != nil {
			return err
		}
		if err, _ := pubErr.Load().(error); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		run.Pacing = &st
	}
	run.Published = int64(count)
	if s.kind != jsBacklog {
		run.PublishRate = float64(count) / pubEnd.Sub(pubStart).Seconds()
	}

	var c counts
	if s.jetStream {
		if err := d.waitStored(ctx, n.outStream, uint64(count), d.cfg.idle, p.exited); err != nil {
			return err
		}
	} else {
		c = recv.waitDrain(int64(count), d.cfg.idle, p.exited)
	}
	end, err := take()
	if err != nil {
		done := uint64(recv.counts().unique)
		if s.jetStream {
			done, _ = d.storedCount(ctx, n.outStream)
		}
		return fmt.Errorf("%w (after %d of %d messages)", p.alive(), done, count)
	}
	if rss, err := procfs.PeakRSS(p.pid()); err == nil {
		run.PeakRSS = rss
	}
	varz1, _ := d.srv.Varz(ctx)
	run.ServerSlowConsumers = varz1.SlowConsumers - varz0.SlowConsumers
	run.ServerCPU = end.srv.since(start.srv).Seconds()
	if sys == sysBridge {
		run.Metrics = p.scrapeMetrics(ctx)
	}
	if s.jetStream {
		if ci, err := d.js.Consumer(ctx, n.inStream, n.durable); err == nil {
			if info, err := ci.Info(ctx); err == nil {
				run.AckPending = int64(info.NumAckPending) + int64(info.NumPending)
			}
		}
	}
	stop()
	if sys == sysRelay {
		run.ExitReport = p.exitReport()
	}
	if s.jetStream {
		if c, err = d.readStored(ctx, n.outStream, s.json, count); err != nil {
			return err
		}
	}

	run.Received, run.Duplicates = c.unique, c.dups
	run.Lost = run.Published - run.Received
	cpu := end.cpu.since(start.cpu)
	run.CPU = cpu.Seconds()
	run.CPUPerM = run.CPU / float64(count) * 1e6
	if s.jetStream {
		run.Window = c.last.Sub(c.first).Seconds()
		if c.unique > 1 && run.Window > 0 {
			run.Throughput = float64(c.unique-1) / run.Window
		}
		run.CPUPerM = run.CPU / float64(max(c.unique-outsideCPU, 1)) * 1e6
	} else if c.unique > 0 {
		run.Window = c.last.Sub(pubStart).Seconds()
		run.Throughput = float64(c.unique) / run.Window
	}
	if s.kind == paced {
		l := stats.Summarize(recv.latencies())
		run.Latency = &l
	}
	if d.harnessDisconnects.Load() != harnessDrops {
		run.Error = "the harness's own connection was disconnected during the run (slow consumer?): figures are not reliable"
	}
	return nil
}

// storedCount returns the number of messages in stream.
func (d *driver) storedCount(ctx context.Context, stream string) (uint64, error) {
	st, err := d.js.Stream(ctx, stream)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", stream, err)
	}
	return st.CachedInfo().State.Msgs, nil
}

// waitStored waits until stream holds want messages, or has not grown for
// idle, or stop is closed.
func (d *driver) waitStored(ctx context.Context, stream string, want uint64, idle time.Duration, stop <-chan struct{}) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	lastChange, lastN := time.Now(), uint64(0)
	for {
		n, err := d.storedCount(ctx, stream)
		if err != nil {
			return err
		}
		if n >= want {
			return nil
		}
		if n != lastN {
			lastChange, lastN = time.Now(), n
		} else if time.Since(lastChange) >= idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			return nil
		case <-tick.C:
		}
	}
}

// readStored reads stream back, after the run, and counts its messages as
// a receiver would have, with the times the server stored them.
func (d *driver) readStored(ctx context.Context, stream string, jsonFormat bool, count int) (counts, error) {
	n, err := d.storedCount(ctx, stream)
	if err != nil {
		return counts{}, err
	}
	recv := newReceiver(jsonFormat, d.base, count, -1)
	cons, err := d.js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return counts{}, fmt.Errorf("read stream %s: %w", stream, err)
	}
	for read := uint64(0); read < n; {
		batch, err := cons.Fetch(int(min(n-read, 1000)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return counts{}, fmt.Errorf("read stream %s: %w", stream, err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				return counts{}, fmt.Errorf("read stream %s: %w", stream, err)
			}
			recv.add(m.Data(), md.Timestamp)
		}
		if err := batch.Error(); err != nil {
			return counts{}, fmt.Errorf("read stream %s after %d of %d messages: %w", stream, read, n, err)
		}
		if got == 0 {
			return counts{}, fmt.Errorf("read stream %s: nothing after %d of %d messages", stream, read, n)
		}
		read += uint64(got)
	}
	return recv.counts(), nil
}

// waitRelaying sends probes to the input until one comes out.
func (d *driver) waitRelaying(ctx context.Context, p *proc, n names, recv *receiver) error {
	probe := newPayload(recv.json, 32).encode(probeSeq, 0)
	deadline := time.Now().Add(20 * time.Second)
	for recv.counts().probes == 0 {
		if err := p.alive(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no probe relayed within 20s; output: %s", p.output)
		}
		if err := d.pubConn.Publish(n.in, probe); err != nil {
			return err
		}
		_ = d.pubConn.Flush()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// waitConsumer waits until the system has created its durable consumer on
// the input stream, or output has arrived. A bridge that does neither is a
// build without JetStream routes: the run is skipped.
func (d *driver) waitConsumer(ctx context.Context, p *proc, n names, output <-chan struct{}) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := d.js.Consumer(ctx, n.inStream, n.durable); err == nil {
			return nil
		}
		if err := p.alive(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %w", errSkip,
				fmt.Errorf("no durable consumer %q appeared on stream %s within 10s: this build does not consume JetStream (BRIDGE_ROUTE_<n>_STREAM)", n.durable, n.inStream))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-output:
			return nil
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// prepareStreams creates the input and output streams of a JetStream run
// and fills the input with count messages.
func (d *driver) prepareStreams(ctx context.Context, n names, count int, pl *payload) (cleanup func(), err error) {
	storage := jetstream.MemoryStorage
	if d.cfg.jsStorage == "file" {
		storage = jetstream.FileStorage
	}
	cleanup = func() {
		_ = d.js.DeleteStream(context.WithoutCancel(ctx), n.inStream)
		_ = d.js.DeleteStream(context.WithoutCancel(ctx), n.outStream)
	}
	for _, sc := range []jetstream.StreamConfig{
		{Name: n.inStream, Subjects: []string{n.in}, Storage: storage},
		{Name: n.outStream, Subjects: []string{n.out}, Storage: storage},
	} {
		if _, err := d.js.CreateStream(ctx, sc); err != nil {
			cleanup()
			return nil, fmt.Errorf("create stream %s: %w", sc.Name, err)
		}
	}
	for i := range count {
		// A copy: PublishAsync keeps the message to retry it.
		data := append([]byte(nil), pl.encode(uint64(i), 0)...)
		if _, err := d.js.PublishAsync(n.in, data); err != nil {
			cleanup()
			return nil, fmt.Errorf("fill stream %s: %w", n.inStream, err)
		}
	}
	select {
	case <-d.js.PublishAsyncComplete():
	case <-time.After(2 * time.Minute):
		cleanup()
		return nil, fmt.Errorf("fill stream %s: no acknowledgements within 2m", n.inStream)
	}
	info, err := d.js.Stream(ctx, n.inStream)
	if err == nil {
		if got := info.CachedInfo().State.Msgs; got != uint64(count) {
			err = fmt.Errorf("stream %s holds %d messages, want %d", n.inStream, got, count)
		}
	}
	if err != nil {
		cleanup()
		return nil, err
	}
	return cleanup, nil
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
