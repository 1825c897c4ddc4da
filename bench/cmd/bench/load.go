package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/bench/internal/pace"
	"github.com/natsbridge/bridge/bench/internal/stats"
)

// A core run (burst or paced) subscribes to the output, starts the system,
// waits until it relays and the probes are through, publishes, and waits
// until the output has drained. The window runs from the first publish to
// the last output.

// coreRun is a started, ready system of a burst or paced run.
type coreRun struct {
	*session
	recv  *receiver
	count int
	start sample
}

// startCore prepares a core run of count messages; latencies are recorded
// from sequence number warm on (negative: not at all).
func (d *driver) startCore(ctx context.Context, run *Run, s scenario, c contender, count int, warm int64) (_ *coreRun, cleanup func(), err error) {
	n := runNames(run.Rep, s, c)
	recv := newReceiver(s.format, d.base, count, warm)
	sub, err := d.subscribe(n.out, recv)
	if err != nil {
		return nil, nil, err
	}
	ss, err := d.launch(run, s, c, n)
	if err != nil {
		_ = sub.Unsubscribe()
		return nil, nil, err
	}
	cleanup = func() {
		ss.stop()
		_ = sub.Unsubscribe()
	}
	cr := &coreRun{session: ss, recv: recv, count: count}
	if err := cr.waitRelaying(ctx, n.in, s.format); err != nil {
		cleanup()
		return nil, nil, err
	}
	if cr.start, err = ss.sample(ctx); err != nil {
		cleanup()
		return nil, nil, err
	}
	run.Published = int64(count)
	return cr, cleanup, nil
}

// subscribe subscribes recv to subject, with no pending limits, and
// flushes so that the subscription exists before anything is published.
func (d *driver) subscribe(subject string, recv *receiver) (*nats.Subscription, error) {
	sub, err := d.subConn.Subscribe(subject, recv.handle)
	if err != nil {
		return nil, err
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		_ = sub.Unsubscribe()
		return nil, err
	}
	if err := d.subConn.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return nil, err
	}
	return sub, nil
}

// waitRelaying sends probes to the input until one comes out, then a fence,
// and waits for the fence: the probes sent before it are through too, and
// the run starts from a quiet system.
func (cr *coreRun) waitRelaying(ctx context.Context, in string, f format) error {
	pl := newPayload(f, 32)
	deadline := time.Now().Add(20 * time.Second)
	wait := func(done func() bool, what string, send []byte) error {
		for !done() {
			if err := cr.notReady(); err != nil {
				return err
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("no %s relayed within 20s; output: %s", what, cr.p.output)
			}
			if send != nil {
				if err := cr.d.pubConn.Publish(in, send); err != nil {
					return err
				}
				_ = cr.d.pubConn.Flush()
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-cr.recv.fenceCh:
			case <-time.After(20 * time.Millisecond):
			}
		}
		return nil
	}
	probe := append([]byte(nil), pl.encode(probeSeq, 0)...)
	if err := wait(func() bool { return cr.recv.counts().probes > 0 }, "probe", probe); err != nil {
		return err
	}
	if err := cr.d.pubConn.Publish(in, pl.encode(fenceSeq, 0)); err != nil {
		return err
	}
	if err := cr.d.pubConn.Flush(); err != nil {
		return err
	}
	return wait(func() bool { return cr.recv.counts().fences > 0 }, "fence after the probes", nil)
}

// finish waits for the output to drain, takes the closing sample, stops
// the system and computes the figures.
func (cr *coreRun) finish(ctx context.Context, pubStart time.Time) (counts, error) {
	c := cr.recv.waitDrain(int64(cr.count), cr.d.cfg.idle, cr.p.exited)
	if _, err := cr.end(ctx, cr.start, func() uint64 { return uint64(cr.recv.counts().unique) }); err != nil {
		return c, err
	}
	cr.stop()
	run := cr.run
	run.Received, run.Duplicates = c.unique, c.dups
	run.Lost = run.Published - run.Received
	run.CPUPerM = run.CPU / float64(cr.count) * 1e6
	if c.unique > 0 {
		run.Window = c.last.Sub(pubStart).Seconds()
		run.Throughput = float64(c.unique) / run.Window
	}
	return c, nil
}

// runBurst publishes the scenario's messages as fast as the client can.
func (d *driver) runBurst(ctx context.Context, run *Run, s scenario, c contender) error {
	cr, cleanup, err := d.startCore(ctx, run, s, c, s.count(d.cfg), -1)
	if err != nil {
		return err
	}
	defer cleanup()
	in := runNames(run.Rep, s, c).in
	pl := newPayload(s.format, s.size)
	pubStart := time.Now()
	for i := range cr.count {
		if err := d.pubConn.Publish(in, pl.encode(uint64(i), 0)); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
	}
	if err := d.pubConn.FlushTimeout(time.Minute); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	run.PublishRate = float64(cr.count) / time.Since(pubStart).Seconds()
	_, err = cr.finish(ctx, pubStart)
	return err
}

// runPaced publishes at -rate, stamping each payload with its send time,
// and records the latencies after the warm-up.
func (d *driver) runPaced(ctx context.Context, run *Run, s scenario, c contender) error {
	warm := int64(d.cfg.rate * d.cfg.warmup.Seconds())
	cr, cleanup, err := d.startCore(ctx, run, s, c, s.count(d.cfg), warm)
	if err != nil {
		return err
	}
	defer cleanup()
	in := runNames(run.Rep, s, c).in
	pl := newPayload(s.format, s.size)
	var pubErr atomic.Value
	pubStart := time.Now()
	st, err := pace.Run(ctx, d.cfg.rate, cr.count, func(i int) {
		if err := d.pubConn.Publish(in, pl.encode(uint64(i), int64(time.Since(d.base)))); err != nil {
			pubErr.CompareAndSwap(nil, err)
		}
	})
	if err != nil {
		return err
	}
	if err, _ := pubErr.Load().(error); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	run.PublishRate = float64(cr.count) / time.Since(pubStart).Seconds()
	run.Pacing = &st
	if _, err := cr.finish(ctx, pubStart); err != nil {
		return err
	}
	l := stats.Summarize(cr.recv.latencies())
	run.Latency = &l
	return nil
}
