package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A JetStream run fills an input stream with the backlog before the system
// starts, and times the system through it: the window runs from the first
// output to the last, by the server's timestamps in the output stream.

// runBacklog measures contender c through a backlog of -js-n messages.
func (d *driver) runBacklog(ctx context.Context, run *Run, s scenario, c contender) error {
	n := runNames(run.Rep, s, c)
	count := s.count(d.cfg)
	cleanupStreams, err := d.prepareStreams(ctx, n, count, newPayload(s.format, s.size))
	if err != nil {
		return err
	}
	defer cleanupStreams()
	run.Published = int64(count)

	// Only the first output, which starts the window, is received: the
	// rest are counted in the output stream, so that the harness does not
	// compete for CPU during the run (decoding the bridge's Nats-Msg-Id
	// headers, say).
	first := newReceiver(s.format, d.base, count, -1)
	sub, err := d.subscribe(n.out, first)
	if err != nil {
		return err
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := sub.AutoUnsubscribe(1); err != nil {
		return err
	}
	if err := d.subConn.Flush(); err != nil {
		return err
	}

	ss, err := d.launch(run, s, c, n)
	if err != nil {
		return err
	}
	defer ss.stop()
	if err := d.waitConsumer(ctx, ss, n, first.firstCh); err != nil {
		return err
	}
	select {
	case <-first.firstCh:
	case <-time.After(20 * time.Second):
		return fmt.Errorf("no output within 20s of the consumer's creation; output: %s", ss.p.output)
	case <-ss.p.exited:
		return ss.p.alive()
	}
	start, err := ss.sample(ctx)
	if err != nil {
		return err
	}
	// The messages relayed since the first one, before this sample, are
	// outside the CPU window.
	outsideCPU, err := d.storedCount(ctx, n.outStream)
	if err != nil {
		return err
	}

	if err := d.waitStored(ctx, n.outStream, uint64(count), d.cfg.idle, ss.p.exited); err != nil {
		return err
	}
	stored := func() uint64 { got, _ := d.storedCount(ctx, n.outStream); return got }
	if _, err := ss.end(ctx, start, stored); err != nil {
		return err
	}
	if cons, err := d.js.Consumer(ctx, n.inStream, n.durable); err == nil {
		if info, err := cons.Info(ctx); err == nil {
			run.AckPending = int64(info.NumAckPending) + int64(info.NumPending)
		}
	}
	ss.stop()

	got, err := d.readStored(ctx, n.outStream, s.format, count)
	if err != nil {
		return err
	}
	run.Received, run.Duplicates = got.unique, got.dups
	run.Lost = run.Published - run.Received
	run.Window = got.last.Sub(got.first).Seconds()
	if got.unique > 1 && run.Window > 0 {
		run.Throughput = float64(got.unique-1) / run.Window
	}
	run.CPUPerM = run.CPU / float64(max(got.unique-int64(outsideCPU), 1)) * 1e6
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
func (d *driver) readStored(ctx context.Context, stream string, f format, count int) (counts, error) {
	n, err := d.storedCount(ctx, stream)
	if err != nil {
		return counts{}, err
	}
	recv := newReceiver(f, d.base, count, -1)
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

// waitConsumer waits until the system has created its durable consumer on
// the input stream, or output has arrived. A bridge that does neither is a
// build without JetStream routes: the run is skipped.
func (d *driver) waitConsumer(ctx context.Context, ss *session, n names, output <-chan struct{}) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := d.js.Consumer(ctx, n.inStream, n.durable); err == nil {
			return nil
		}
		if err := ss.notReady(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return skip("no durable consumer %q appeared on stream %s within 10s: this build does not consume JetStream (BRIDGE_ROUTE_<n>_STREAM)", n.durable, n.inStream)
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
