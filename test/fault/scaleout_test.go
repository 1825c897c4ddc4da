package fault_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/natstest"
)

// TestScaleOut runs two bridge processes on the same durable consumer: they
// split the messages between them, and the output stream gets each one
// exactly once.
//
// That both did part of the work is checked on the server: each process
// has one connection, and each connection published outputs and
// acknowledgements for at least a tenth of the messages. When the bridge
// exports bridge_messages_in_total, the two counts must add up as well.
func TestScaleOut(t *testing.T) {
	const n = 20_000
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	js := newJS(t, nc)
	createStream(t, js, jetstream.StreamConfig{Name: "IN", Subjects: []string{"in.>"}})
	createStream(t, js, jetstream.StreamConfig{Name: "OUT", Subjects: []string{"out.>"}})

	env := bridgeEnv(s.ClientURL(), "scale", map[string]string{
		"BRIDGE_ROUTE_0_JQ":     ".",
		"BRIDGE_ROUTE_0_BUFFER": "64",
	})
	procs := []*bridgeProc{startBridge(t, "scale-a", env), startBridge(t, "scale-b", env)}
	for _, p := range procs {
		p.waitReady(t, 30*time.Second)
	}
	start := time.Now()
	js.publishAll(t, n, numbered)
	waitMsgs(t, js, "OUT", n, 2*time.Minute)
	waitIdle(t, js, "IN", "bridge-scale", time.Minute)
	elapsed := time.Since(start)
	redelivered := redeliveries(t, js, "IN", "bridge-scale", n)

	// Server side: messages each bridge connection sent to the server.
	cz, err := s.Connz(&server.ConnzOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var sent []int64
	for _, c := range cz.Conns {
		if c.Name == "nats-bridge" {
			sent = append(sent, c.InMsgs)
		}
	}
	t.Logf("%d messages in %v; messages sent by each bridge connection (outputs, acks, pull requests): %v; redeliveries %d",
		n, elapsed.Round(time.Millisecond), sent, redelivered)
	if len(sent) != 2 {
		t.Fatalf("%d bridge connections, want 2", len(sent))
	}
	for i, m := range sent {
		if m < n/10 {
			t.Fatalf("bridge connection %d sent only %d messages: it did not take its share of %d", i, m, n)
		}
	}

	// Bridge side, when it exports the counter.
	var ins []float64
	for _, p := range procs {
		v, ok, err := p.metric("bridge_messages_in_total", `route="scale"`)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			ins = append(ins, v)
		}
	}
	switch len(ins) {
	case 0:
		t.Log("the bridge exports no bridge_messages_in_total: checked on the server only")
	case 2:
		t.Logf("bridge_messages_in_total: %v", ins)
		if ins[0] < 1 || ins[1] < 1 || ins[0]+ins[1] != float64(n+int(redelivered)) {
			t.Fatalf("bridge_messages_in_total %v, want both > 0 and a sum of %d", ins, n+int(redelivered))
		}
	default:
		t.Fatalf("bridge_messages_in_total from %d of 2 processes", len(ins))
	}
	for _, p := range procs {
		p.stop(t, 15*time.Second)
	}

	msgs := readStream(t, js, "OUT")
	lost, dups, unexpected := tally(n, numbers(t, msgs))
	t.Logf("OUT holds %d, lost %d, duplicates %d", len(msgs), lost, dups)
	if len(msgs) != n || lost != 0 || dups != 0 || len(unexpected) != 0 {
		t.Fatalf("OUT holds %d messages (want %d): %d lost, %d duplicated, unexpected %v", len(msgs), n, lost, dups, unexpected)
	}
}
