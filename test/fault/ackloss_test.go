package fault_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/natstest"
)

// TestOutputAckLost makes the server swallow one output publish without
// acknowledging it, while the bridge stays connected, which is what
// happens when the leader of an R3 output stream dies with the publish in
// flight (see TestClusterFailover): the bridge gives up waiting, the
// message is redelivered, and the route goes on. Here the output stream is
// deleted (the bridge remembers that a stream stores the subject) and a
// plain subscriber takes its place, so the publish reaches someone who
// never answers.
func TestOutputAckLost(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	js := newJS(t, nc)
	outCfg := jetstream.StreamConfig{Name: "OUT", Subjects: []string{"out.>"}}
	createStream(t, js, jetstream.StreamConfig{Name: "IN", Subjects: []string{"in.>"}})
	createStream(t, js, outCfg)
	p := startBridge(t, "ackloss", bridgeEnv(s.ClientURL(), "ackloss", map[string]string{
		"BRIDGE_ROUTE_0_TIMEOUT":  "1s",
		"BRIDGE_ROUTE_0_ACK_WAIT": "3s",
	}))
	p.waitReady(t, 30*time.Second)
	js.publishAll(t, 1, numbered)
	waitMsgs(t, js, "OUT", 1, 30*time.Second)

	if err := js.DeleteStream(t.Context(), "OUT"); err != nil {
		t.Fatal(err)
	}
	var swallowed atomic.Int32
	sub, err := nc.Subscribe("out.>", func(*nats.Msg) { swallowed.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	// Same output subject as the first message, whose stream the bridge
	// remembers.
	js.publishAll(t, 1, func(int) *nats.Msg { return numbered(8) })
	natstest.WaitFor(t, 30*time.Second, func() error {
		if swallowed.Load() == 0 {
			return fmt.Errorf("%w: the bridge has not published the second message", natstest.ErrTest)
		}
		return nil
	})
	// The output stream is back; the publish that went to the subscriber
	// will never be acknowledged.
	if err := sub.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	createStream(t, js, outCfg)
	start := time.Now()
	natstest.WaitFor(t, 20*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := js.Consumer(ctx, "IN", "bridge-ackloss")
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
		if out != 1 || info.NumAckPending != 0 {
			return fmt.Errorf("%w: OUT holds %d of 1 message, %d unacknowledged: the route waits for an acknowledgement that will not come",
				natstest.ErrTest, out, info.NumAckPending)
		}
		return nil
	})
	t.Logf("the second message reached OUT %v after the stream was back", time.Since(start).Round(time.Millisecond))
	p.stop(t, 15*time.Second)
}
