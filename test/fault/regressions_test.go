package fault_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/natstest"
)

// errLost reports a message that is neither in OUT, nor in the DLQ, nor
// held by the consumer.
var errLost = errors.New("LOST: neither in OUT nor in the DLQ, and the consumer has given it up")

// settled returns nil once the only message of IN is in OUT or in the DLQ,
// errLost if it is nowhere, and another error while it is still held.
func settled(js jetstream.JetStream, durable string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The consumer first: the bridge acknowledges only after the output
	// or the dead letter is stored, so a message the consumer no longer
	// holds must be in one of the streams read next.
	c, err := js.Consumer(ctx, "IN", durable)
	if err != nil {
		return err
	}
	info, err := c.Info(ctx)
	if err != nil {
		return err
	}
	out, err := streamMsgs(js, "OUT")
	if err != nil {
		return err
	}
	dead, err := streamMsgs(js, "DLQ")
	if err != nil {
		return err
	}
	switch {
	case out+dead > 0:
		return nil
	case info.NumPending == 0 && info.NumAckPending == 0:
		return fmt.Errorf("%w (delivered %d times)", errLost, info.Delivered.Consumer)
	}
	return fmt.Errorf("%w: not settled yet; consumer: pending %d, ack pending %d, delivered %d",
		natstest.ErrTest, info.NumPending, info.NumAckPending, info.Delivered.Consumer)
}

// waitSettled waits until the only message of IN is in OUT or the DLQ,
// and fails at once if it is lost.
func waitSettled(t *testing.T, js jetstream.JetStream, durable string) {
	t.Helper()
	natstest.WaitFor(t, 15*time.Second, func() error {
		t.Helper()
		err := settled(js, durable)
		if errors.Is(err, errLost) {
			t.Fatal(err)
		}
		return err
	})
}

// TestProducerExpectationHeaders publishes a valid message into the input
// stream the way a careful producer does, with jetstream.WithExpectStream:
// the stored message carries Nats-Expected-Stream: IN, an instruction for
// the input stream only. It must reach the output stream. (The bridge used
// to copy the header onto its output and its dead letter, which the OUT and
// DLQ streams refused, and the message was lost at its last delivery.)
func TestProducerExpectationHeaders(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	js := newJS(t, nc)
	for _, name := range []string{"IN", "OUT", "DLQ"} {
		createStream(t, js, jetstream.StreamConfig{Name: name, Subjects: []string{strings.ToLower(name) + ".>"}})
	}
	if _, err := js.PublishMsg(t.Context(), &nats.Msg{Subject: "in.x", Data: []byte(`{"n":0}`)},
		jetstream.WithExpectStream("IN")); err != nil {
		t.Fatal(err)
	}
	startBridge(t, "expect", bridgeEnv(s.ClientURL(), "expect", map[string]string{
		"BRIDGE_ROUTE_0_DLQ":         "dlq.expect",
		"BRIDGE_ROUTE_0_MAX_DELIVER": "2",
	}))
	waitSettled(t, js, "bridge-expect")
	if out, _ := streamMsgs(js, "OUT"); out != 1 {
		t.Fatalf("a valid message was dead-lettered instead of published")
	}
}

// TestDeadLetterRefusedAtLastDelivery sends a message that cannot be
// processed while the DLQ stream refuses new messages (full, discard new),
// then makes room: the message reaches the DLQ once it can. (It used to be
// lost: after the failed dead-lettering on its last delivery the bridge
// naked it, but the server stopped delivering it at MaxDeliver and moved
// the ack floor past it.)
func TestDeadLetterRefusedAtLastDelivery(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	js := newJS(t, nc)
	createStream(t, js, jetstream.StreamConfig{Name: "IN", Subjects: []string{"in.>"}})
	createStream(t, js, jetstream.StreamConfig{Name: "OUT", Subjects: []string{"out.>"}})
	createStream(t, js, jetstream.StreamConfig{Name: "DLQ", Subjects: []string{"dlq.>"}, MaxMsgs: 1, Discard: jetstream.DiscardNew})
	if _, err := js.Publish(t.Context(), "dlq.other", []byte("an earlier dead letter")); err != nil {
		t.Fatal(err)
	}
	js.publishAll(t, 1, func(int) *nats.Msg { return &nats.Msg{Subject: "in.x", Data: []byte("not JSON")} })
	startBridge(t, "dlqfull", bridgeEnv(s.ClientURL(), "dlqfull", map[string]string{
		"BRIDGE_ROUTE_0_JQ":          ".",
		"BRIDGE_ROUTE_0_DLQ":         "dlq.full",
		"BRIDGE_ROUTE_0_MAX_DELIVER": "2",
	}))
	// Both deliveries have happened once the server has delivered twice.
	natstest.WaitFor(t, 15*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := js.Consumer(ctx, "IN", "bridge-dlqfull")
		if err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if info.Delivered.Consumer < 2 {
			return fmt.Errorf("%w: delivered %d times", natstest.ErrTest, info.Delivered.Consumer)
		}
		return nil
	})
	dlq, err := js.Stream(t.Context(), "DLQ")
	if err != nil {
		t.Fatal(err)
	}
	if err := dlq.Purge(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitSettled(t, js, "bridge-dlqfull")
}
