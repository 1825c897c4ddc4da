package bridge_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/natstest"
	"github.com/natsbridge/bridge/stream"
)

// jsSetup starts a server with an input stream IN (in.>) and an output
// stream OUT (out.>) and returns a connection and a JetStream handle.
func jsSetup(t *testing.T) (*natstest.Server, *nats.Conn, jetstream.JetStream) {
	t.Helper()
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for name, subj := range map[string]string{"IN": "in.>", "OUT": "out.>", "DLQ": "dlq.>"} {
		if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: name, Subjects: []string{subj}}); err != nil {
			t.Fatal(err)
		}
	}
	return s, nc, js
}

func publishJS(t *testing.T, js jetstream.JetStream, n int, payload func(i int) string) {
	t.Helper()
	for i := range n {
		if _, err := js.PublishAsync(fmt.Sprintf("in.%d", i%5), []byte(payload(i))); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		t.Fatal("input publishes not acknowledged")
	}
}

func streamMsgs(t *testing.T, js jetstream.JetStream, name string) func() uint64 {
	return func() uint64 {
		s, err := js.Stream(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Msgs
	}
}

func waitCount(t *testing.T, what string, want uint64, got func() uint64) {
	t.Helper()
	natstest.WaitFor(t, 30*time.Second, func() error {
		if g := got(); g != want {
			return fmt.Errorf("%s: %d, want %d", what, g, want)
		}
		return nil
	})
}

// consumerInfo returns the state of the durable consumer of IN.
func consumerInfo(js jetstream.JetStream, durable string) (*jetstream.ConsumerInfo, error) {
	c, err := js.Consumer(context.Background(), "IN", durable)
	if err != nil {
		return nil, err
	}
	return c.Info(context.Background())
}

// consumerIdle waits until the durable has nothing pending or unacknowledged.
func consumerIdle(t *testing.T, js jetstream.JetStream, durable string) {
	t.Helper()
	natstest.WaitFor(t, 30*time.Second, func() error {
		info, err := consumerInfo(js, durable)
		if err != nil {
			return err
		}
		if info.NumPending != 0 || info.NumAckPending != 0 || info.NumRedelivered != 0 {
			return fmt.Errorf("consumer pending %d, ack pending %d, redelivered %d", info.NumPending, info.NumAckPending, info.NumRedelivered)
		}
		return nil
	})
}

func jsRoute(name string) bridge.RouteConfig {
	return bridge.RouteConfig{Name: name, In: "in.>", Out: "out.>", Stream: "IN", Durable: "d-" + name, DLQ: "dlq." + name}
}

func TestJetStreamRoute(t *testing.T) {
	_, nc, js := jsSetup(t)
	const n = 2000
	publishJS(t, js, n, strconv.Itoa)
	var c counts
	start(t, nc, []bridge.RouteConfig{jsRoute("r")}, bridge.WithHooks(c.hooks()))
	waitCount(t, "OUT", n, streamMsgs(t, js, "OUT"))
	consumerIdle(t, js, "d-r")
	natstest.WaitFor(t, 5*time.Second, c.balanced)
	// A route without a stage publishes each input as its own output:
	// processed, never filtered (the defect of the three-path route).
	if p, f := c.processed.Load(), c.filtered.Load(); p != n || f != 0 {
		t.Fatalf("processed %d, filtered %d; want %d, 0", p, f, n)
	}

	out, _ := js.Stream(t.Context(), "OUT")
	m, err := out.GetMsg(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if id := m.Header.Get(jetstream.MsgIDHeader); id != "IN:1:0" {
		t.Fatalf("Nats-Msg-Id = %q", id)
	}
}

// TestJetStreamNoMsgID checks that a route with NoMsgID publishes its
// outputs without headers, and still delivers every message.
func TestJetStreamNoMsgID(t *testing.T) {
	_, nc, js := jsSetup(t)
	const n = 200
	publishJS(t, js, n, strconv.Itoa)
	rc := jsRoute("r")
	rc.NoMsgID = true
	start(t, nc, []bridge.RouteConfig{rc})
	waitCount(t, "OUT", n, streamMsgs(t, js, "OUT"))
	consumerIdle(t, js, "d-r")
	out, _ := js.Stream(t.Context(), "OUT")
	for seq := uint64(1); seq <= n; seq += n / 4 {
		m, err := out.GetMsg(t.Context(), seq)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Header) != 0 {
			t.Fatalf("output %d has headers %v, want none", seq, m.Header)
		}
	}
}

// TestJetStreamRedeliveryIsDeduplicated fails every message after its
// output was published, the way a crash between publish and ack would: the
// redelivered message republishes the same output, which the output
// stream's duplicate window drops.
func TestJetStreamRedeliveryIsDeduplicated(t *testing.T) {
	_, nc, js := jsSetup(t)
	const n = 200
	publishJS(t, js, n, strconv.Itoa)
	var attempts sync.Map
	flaky := func(_ context.Context, a *artifact.Artifact, emit stream.Emit) error {
		if err := emit(a.Derive([]byte("first:" + string(a.Payload)))); err != nil {
			return err
		}
		if err := emit(a.Derive([]byte("second:" + string(a.Payload)))); err != nil {
			return err
		}
		if _, again := attempts.LoadOrStore(string(a.Payload), true); !again {
			return fmt.Errorf("lost the ack: %w", stream.ErrTimeout) // transient: redelivered
		}
		return nil
	}
	rc := jsRoute("dd")
	rc.Process = flaky
	var c counts
	start(t, nc, []bridge.RouteConfig{rc}, bridge.WithHooks(c.hooks()))
	consumerIdleAfterRedelivery(t, js, "d-dd", n)
	if got := streamMsgs(t, js, "OUT")(); got != 2*n {
		t.Fatalf("OUT holds %d messages, want %d (one per output, no duplicates)", got, 2*n)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failures[bridge.ReasonTimeout] != n || c.processed.Load() != n {
		t.Fatalf("failures %v, processed %d", c.failures, c.processed.Load())
	}
}

// consumerIdleAfterRedelivery waits until every message was acknowledged,
// tolerating the redelivery count the test causes.
func consumerIdleAfterRedelivery(t *testing.T, js jetstream.JetStream, durable string, n int) {
	t.Helper()
	natstest.WaitFor(t, 60*time.Second, func() error {
		info, err := consumerInfo(js, durable)
		if err != nil {
			return err
		}
		if info.AckFloor.Stream != uint64(n) || info.NumAckPending != 0 {
			return fmt.Errorf("ack floor %d of %d, ack pending %d", info.AckFloor.Stream, n, info.NumAckPending)
		}
		return nil
	})
}

func TestJetStreamPoisonAndMaxDeliver(t *testing.T) {
	_, nc, js := jsSetup(t)
	payloads := []string{"ok", "poison", "flaky", "ok2"}
	publishJS(t, js, len(payloads), func(i int) string { return payloads[i] })
	var flakyTries atomic.Int32
	process := func(_ context.Context, a *artifact.Artifact, emit stream.Emit) error {
		switch string(a.Payload) {
		case "poison":
			return fmt.Errorf("%w: not JSON", stream.ErrDecode)
		case "flaky":
			flakyTries.Add(1)
			return fmt.Errorf("slow: %w", stream.ErrTimeout)
		}
		return emit(a)
	}
	rc := jsRoute("p")
	rc.Process = process
	rc.MaxDeliver = 2
	var c counts
	start(t, nc, []bridge.RouteConfig{rc}, bridge.WithHooks(c.hooks()))
	waitCount(t, "DLQ", 2, streamMsgs(t, js, "DLQ"))
	waitCount(t, "OUT", 2, streamMsgs(t, js, "OUT"))
	consumerIdleAfterRedelivery(t, js, "d-p", len(payloads))

	dlq, _ := js.Stream(t.Context(), "DLQ")
	byPayload := map[string]*jetstream.RawStreamMsg{}
	for seq := uint64(1); seq <= 2; seq++ {
		m, err := dlq.GetMsg(t.Context(), seq)
		if err != nil {
			t.Fatal(err)
		}
		byPayload[string(m.Data)] = m
	}
	poison, flaky := byPayload["poison"], byPayload["flaky"]
	if poison == nil || flaky == nil {
		t.Fatalf("DLQ holds %v", byPayload)
	}
	if poison.Header.Get(bridge.HeaderDelivered) != "1" || poison.Header.Get(bridge.HeaderStream) != "IN" ||
		poison.Header.Get(bridge.HeaderSequence) != "2" || poison.Header.Get(bridge.HeaderRoute) != "p" {
		t.Fatalf("poison headers %v", poison.Header)
	}
	if flaky.Header.Get(bridge.HeaderDelivered) != "2" || flakyTries.Load() != 2 {
		t.Fatalf("flaky delivered %q, tried %d", flaky.Header.Get(bridge.HeaderDelivered), flakyTries.Load())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failures[bridge.ReasonDecode] != 1 || c.failures[bridge.ReasonMaxDeliver] != 1 || c.failures[bridge.ReasonTimeout] != 1 {
		t.Fatalf("failures %v", c.failures)
	}
}

// TestJetStreamSlowWorkNotRedelivered holds a message longer than AckWait:
// progress acknowledgements keep the server from redelivering it.
func TestJetStreamSlowWorkNotRedelivered(t *testing.T) {
	_, nc, js := jsSetup(t)
	publishJS(t, js, 1, strconv.Itoa)
	var calls atomic.Int32
	release := make(chan struct{})
	slow := func(ctx context.Context, a *artifact.Artifact, emit stream.Emit) error {
		calls.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		return emit(a)
	}
	rc := jsRoute("slow")
	rc.Process = slow
	rc.AckWait = 300 * time.Millisecond
	start(t, nc, []bridge.RouteConfig{rc})
	natstest.WaitFor(t, 10*time.Second, func() error {
		if calls.Load() == 0 {
			return errors.New("not delivered yet")
		}
		return nil
	})
	// Hold it for several AckWaits, checking that the server has not
	// redelivered it.
	deadline := time.Now().Add(5 * rc.AckWait)
	natstest.WaitFor(t, 10*time.Second, func() error {
		info, err := consumerInfo(js, "d-slow")
		if err != nil {
			return err
		}
		if info.NumRedelivered != 0 || calls.Load() != 1 {
			t.Fatalf("redelivered %d, processed %d times", info.NumRedelivered, calls.Load())
		}
		if time.Now().Before(deadline) {
			return errors.New("still holding")
		}
		return nil
	})
	close(release)
	waitCount(t, "OUT", 1, streamMsgs(t, js, "OUT"))
}

// TestJetStreamBackpressure runs a slow route over a deep stream: the
// consumer never has more outstanding than the buffer holds, and nothing is
// dropped.
func TestJetStreamBackpressure(t *testing.T) {
	_, nc, js := jsSetup(t)
	const n, buffer = 3000, 16
	publishJS(t, js, n, strconv.Itoa)
	slow := func(_ context.Context, a *artifact.Artifact, emit stream.Emit) error {
		return emit(a)
	}
	rc := jsRoute("bp")
	rc.Process = slow
	rc.BufferSize = buffer
	var c counts
	var maxPending atomic.Int64
	start(t, nc, []bridge.RouteConfig{rc}, bridge.WithHooks(c.hooks()))
	natstest.WaitFor(t, 60*time.Second, func() error {
		info, err := consumerInfo(js, "d-bp")
		if err != nil {
			return err
		}
		maxPending.Store(max(maxPending.Load(), int64(info.NumAckPending)))
		if got := streamMsgs(t, js, "OUT")(); got != n {
			return fmt.Errorf("OUT %d of %d", got, n)
		}
		return nil
	})
	if maxPending.Load() > buffer {
		t.Fatalf("consumer had %d unacknowledged messages, buffer is %d", maxPending.Load(), buffer)
	}
	if c.droppedTotal() != 0 {
		t.Fatalf("dropped %v", c.dropped)
	}
}

// TestJetStreamDrain stops a JetStream route in the middle of a flow:
// nothing is lost, and what was not processed is redelivered to the next
// run.
func TestJetStreamDrain(t *testing.T) {
	_, nc, js := jsSetup(t)
	const n = 3000
	publishJS(t, js, n, strconv.Itoa)
	rc := jsRoute("dr")
	rc.BufferSize = 64
	r := start(t, nc, []bridge.RouteConfig{rc})
	natstest.WaitFor(t, 10*time.Second, func() error {
		if streamMsgs(t, js, "OUT")() == 0 {
			return errors.New("nothing yet")
		}
		return nil
	})
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	start(t, nc, []bridge.RouteConfig{rc})
	waitCount(t, "OUT", n, streamMsgs(t, js, "OUT"))
	consumerIdle(t, js, "d-dr")
}

// TestJetStreamDeadLetterNearMaxPayload fails a message so close to the
// server's max_payload that the dead-letter headers push it over: the dead
// letter goes without its payload, saying so, instead of being retried
// forever.
func TestJetStreamDeadLetterNearMaxPayload(t *testing.T) {
	_, nc, js := jsSetup(t)
	big := strings.Repeat("x", int(nc.MaxPayload())-64)
	if _, err := js.Publish(t.Context(), "in.big", []byte(big)); err != nil {
		t.Fatal(err)
	}
	rc := jsRoute("big")
	rc.Process = func(context.Context, *artifact.Artifact, stream.Emit) error {
		return fmt.Errorf("%w: not JSON", stream.ErrDecode)
	}
	start(t, nc, []bridge.RouteConfig{rc})
	waitCount(t, "DLQ", 1, streamMsgs(t, js, "DLQ"))
	dlq, _ := js.Stream(t.Context(), "DLQ")
	m, err := dlq.GetMsg(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Data) != 0 || m.Header.Get(bridge.HeaderPayloadOmitted) != strconv.Itoa(len(big)) ||
		m.Header.Get(bridge.HeaderSequence) != "1" {
		t.Fatalf("dead letter of %d bytes, headers %v", len(m.Data), m.Header)
	}
	consumerIdle(t, js, "d-big")
}
