package bridge_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/natstest"
	"github.com/natsbridge/bridge/jq"
	"github.com/natsbridge/bridge/stream"
)

// TestJetStreamMessageMode fans each input out to two subjects of the
// output stream: every output carries its own Nats-Msg-Id, in the order
// emitted.
func TestJetStreamMessageMode(t *testing.T) {
	_, nc, js := jsSetup(t)
	const n = 200
	publishJS(t, js, n, func(i int) string { return `{"i":` + strconv.Itoa(i) + `}` })
	p, err := jq.Compile(`{subject: "out.a"}, {subject: "out.b", payload: {i: .i, copy: true}}`, jq.WithEmit(jq.EmitMessage))
	if err != nil {
		t.Fatal(err)
	}
	rc := jsRoute("fan")
	rc.Process, rc.ChooseSubject = p.Process, true
	var c counts
	start(t, nc, []bridge.RouteConfig{rc}, bridge.WithHooks(c.hooks()))
	waitCount(t, "OUT", 2*n, streamMsgs(t, js, "OUT"))
	consumerIdle(t, js, "d-fan")
	natstest.WaitFor(t, 5*time.Second, c.balanced)
	out, _ := js.Stream(t.Context(), "OUT")
	for seq := uint64(1); seq <= 2*n; seq++ {
		m, err := out.GetMsg(t.Context(), seq)
		if err != nil {
			t.Fatal(err)
		}
		id := m.Header.Get(jetstream.MsgIDHeader)
		want := map[string]string{"out.a": ":0", "out.b": ":1"}[m.Subject]
		if want == "" || len(id) < 3 || id[len(id)-2:] != want {
			t.Fatalf("output %d on %q has Nats-Msg-Id %q", seq, m.Subject, id)
		}
	}
}

// TestJetStreamStageRetry lets a stage ask for a retry after a delay of its
// choosing: the message comes back, and succeeds.
func TestJetStreamStageRetry(t *testing.T) {
	_, nc, js := jsSetup(t)
	publishJS(t, js, 1, strconv.Itoa)
	var calls atomic.Int32
	var first, second atomic.Int64
	rc := jsRoute("retry")
	rc.Process = func(_ context.Context, a *artifact.Artifact, emit stream.Emit) error {
		switch calls.Add(1) {
		case 1:
			first.Store(time.Now().UnixNano())
			return stream.Retry(errors.New("not yet"), 300*time.Millisecond)
		case 2:
			second.Store(time.Now().UnixNano())
		}
		return emit(a)
	}
	var c counts
	start(t, nc, []bridge.RouteConfig{rc}, bridge.WithHooks(c.hooks()))
	waitCount(t, "OUT", 1, streamMsgs(t, js, "OUT"))
	consumerIdle(t, js, "d-retry")
	natstest.WaitFor(t, 5*time.Second, c.balanced)
	if d := time.Duration(second.Load() - first.Load()); d < 300*time.Millisecond {
		t.Errorf("redelivered after %v, want the 300ms the stage asked for", d)
	}
	// Two deliveries: one failed (and retried), one processed.
	if c.received.Load() != 2 || c.failed.Load() != 1 || c.processed.Load() != 1 || c.deadLettered.Load() != 0 {
		t.Errorf("received %d, failed %d, processed %d, dead-lettered %d", c.received.Load(), c.failed.Load(), c.processed.Load(), c.deadLettered.Load())
	}
}

// TestJetStreamSlowDeadLetters checks that dead letters whose stream takes
// seconds to acknowledge do not hold up the settlement of the route's
// other messages: the DLQ's stream is gone after the route looked it up,
// and a subscriber that never answers stands in its place, so each dead
// letter waits the full 5 s for its acknowledgement.
func TestJetStreamSlowDeadLetters(t *testing.T) {
	_, nc, js := jsSetup(t)
	rc := jsRoute("slowdlq")
	rc.Process = func(_ context.Context, a *artifact.Artifact, emit stream.Emit) error {
		if string(a.Payload) == "bad" {
			return fmt.Errorf("%w: bad", stream.ErrPermanent)
		}
		return emit(a)
	}
	var c counts
	start(t, nc, []bridge.RouteConfig{rc}, bridge.WithHooks(c.hooks()))
	// One bad message, dead-lettered at once while the DLQ stream
	// exists: the route now knows that a stream stores the DLQ.
	publishJS(t, js, 1, func(int) string { return "bad" })
	natstest.WaitFor(t, 10*time.Second, func() error {
		if c.deadLettered.Load() != 1 {
			return errors.New("not dead-lettered yet")
		}
		return nil
	})
	if err := js.DeleteStream(t.Context(), "DLQ"); err != nil {
		t.Fatal(err)
	}
	silent, err := nc.Subscribe("dlq.>", func(*nats.Msg) {})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Unsubscribe()

	publishJS(t, js, 1, func(int) string { return "bad" })
	const good = 500
	publishJS(t, js, good, strconv.Itoa)
	// The good messages are settled while the dead letter waits for an
	// acknowledgement that does not come.
	waitCount(t, "OUT", good, streamMsgs(t, js, "OUT"))
	natstest.WaitFor(t, 3*time.Second, func() error {
		if p := c.processed.Load(); p != good {
			return fmt.Errorf("%d of %d processed while a dead letter waits", p, good)
		}
		return nil
	})
	if c.failed.Load() != 1 {
		t.Fatalf("%d failures settled, want only the first one yet", c.failed.Load())
	}
}
