package fault_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/natstest"
)

// seed returns the seed of a test's random choices: FAULT_SEED when set, to
// replay a run, else the clock. The test logs it.
func seed(t *testing.T) uint64 {
	t.Helper()
	s := uint64(time.Now().UnixNano())
	if v := os.Getenv("FAULT_SEED"); v != "" {
		var err error
		if s, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("FAULT_SEED: %v", err)
		}
	}
	t.Logf("seed %d (set FAULT_SEED=%d to replay)", s, s)
	return s
}

// numbered is the message numbered i: a small JSON object on one of eight
// subjects.
func numbered(i int) *nats.Msg {
	return &nats.Msg{Subject: fmt.Sprintf("in.%d", i%8), Data: fmt.Appendf(nil, `{"n":%d}`, i)}
}

// numbers returns the n of each numbered payload.
func numbers(t *testing.T, msgs []storedMsg) []int {
	t.Helper()
	ns := make([]int, len(msgs))
	for i, m := range msgs {
		var v struct{ N *int }
		if err := json.Unmarshal(m.Data, &v); err != nil || v.N == nil {
			t.Fatalf("message %d: unexpected payload %q", m.Seq, m.Data)
		}
		ns[i] = *v.N
	}
	return ns
}

// TestCrashRestart kills the bridge with SIGKILL three times in the middle
// of a JetStream flow, at random points, and restarts it each time: the
// output stream ends up with every message exactly once. What a killed
// bridge had published but not acknowledged is redelivered to the next
// one, whose publishes carry the same Nats-Msg-Id and are dropped by the
// output stream's duplicate window.
//
// The test checks that this really happened rather than trusting the
// kills to land mid-flight: a kill must leave deliveries unacknowledged
// (the whole input is a backlog published before the first start, and each
// kill comes well before its end, so the bridge nearly always holds up to
// its MaxAckPending of them; a kill between two pulls may find none), the
// consumer must have redelivered, and a tap on out.> must have seen some
// outputs published twice, which only the duplicate window kept out of OUT.
func TestCrashRestart(t *testing.T) {
	t.Parallel()
	crashRestart(t, "crash", map[string]string{"BRIDGE_ROUTE_0_JQ": "."})
}

// TestCrashRestartMessageMode is TestCrashRestart with a program that
// chooses each output's subject from the message (EMIT=message), leaving
// the payload as it came: exactly once into the output stream as well.
func TestCrashRestartMessageMode(t *testing.T) {
	t.Parallel()
	crashRestart(t, "crashmsg", map[string]string{
		"BRIDGE_ROUTE_0_JQ":   `{subject: ("out.kind" + (.n % 3 | tostring)), headers: {"X-N": (.n | tostring)}}`,
		"BRIDGE_ROUTE_0_EMIT": "message",
	})
}

// crashRestart runs the flow of TestCrashRestart on a route called name
// with the program settings of env.
func crashRestart(t *testing.T, name string, env map[string]string) {
	const n = 50_000
	rng := rand.New(rand.NewPCG(seed(t), 0))
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	js := newJS(t, nc)
	createStream(t, js, jetstream.StreamConfig{Name: "IN", Subjects: []string{"in.>"}})
	createStream(t, js, jetstream.StreamConfig{Name: "OUT", Subjects: []string{"out.>"}}) // duplicate window: 2m
	createStream(t, js, jetstream.StreamConfig{Name: "DLQ", Subjects: []string{"dlq.>"}})
	js.publishAll(t, n, numbered)
	pubs := tapPublishes(t, natstest.Connect(t, s), "out.>")

	env["BRIDGE_ROUTE_0_DLQ"] = "dlq." + name
	env["BRIDGE_ROUTE_0_ACK_WAIT"] = "2s"
	env["BRIDGE_ROUTE_0_TIMEOUT"] = "1s"
	env = bridgeEnv(s.ClientURL(), name, env)
	start := time.Now()
	p := startBridge(t, name+"-0", env)
	// Kill somewhere around 10%, 35% and 60% of the way.
	restarts, hits := 0, 0
	for _, at := range []float64{0.05, 0.30, 0.55} {
		target := uint64(float64(n) * (at + 0.1*rng.Float64()))
		waitMsgs(t, js, "OUT", target, time.Minute)
		p.kill()
		got, _ := streamMsgs(js, "OUT")
		restarts++
		held := ackPending(t, js, "IN", "bridge-"+name)
		t.Logf("SIGKILL %d at %d messages in OUT (target %d), %d deliveries unacknowledged, %v in",
			restarts, got, target, held, time.Since(start).Round(time.Millisecond))
		if held > 0 {
			hits++
		}
		p = startBridge(t, fmt.Sprintf("%s-%d", name, restarts), env)
	}
	waitMsgs(t, js, "OUT", n, 2*time.Minute)
	waitIdle(t, js, "IN", "bridge-"+name, time.Minute)
	redelivered := redeliveries(t, js, "IN", "bridge-"+name, n)
	p.stop(t, 15*time.Second)
	t.Logf("flow finished %v after the first start", time.Since(start).Round(time.Millisecond))

	republished := pubs.republished()
	msgs := readStream(t, js, "OUT")
	lost, dups, unexpected := tally(n, numbers(t, msgs))
	dead, err := streamMsgs(js, "DLQ")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("messages %d, restarts %d, redeliveries %d, outputs published again %d, OUT holds %d, lost %d, duplicates %d, dead-lettered %d",
		n, restarts, redelivered, republished, len(msgs), lost, dups, dead)
	if len(msgs) != n || lost != 0 || dups != 0 || len(unexpected) != 0 || dead != 0 {
		t.Fatalf("OUT holds %d messages (want %d): %d lost, %d duplicated, unexpected %v; DLQ holds %d",
			len(msgs), n, lost, dups, unexpected, dead)
	}
	// A kill can fall between two pulls, with everything delivered
	// acknowledged; the flow is long enough that most do not.
	if hits == 0 {
		t.Errorf("none of the %d kills hit an unacknowledged delivery", restarts)
	}
	if redelivered == 0 {
		t.Errorf("no redelivery after %d kills: the restarts exercised nothing", restarts)
	}
	if env["BRIDGE_ROUTE_0_EMIT"] == "message" {
		for _, m := range msgs {
			var v struct{ N int }
			_ = json.Unmarshal(m.Data, &v)
			if want := fmt.Sprintf("out.kind%d", v.N%3); m.Subject != want || m.Header.Get("X-N") != strconv.Itoa(v.N) {
				t.Fatalf("message %d stored on %s with X-N %q, want %s and %d", v.N, m.Subject, m.Header.Get("X-N"), want, v.N)
			}
		}
	}
	if missing := pubs.withoutID(); missing != 0 {
		t.Errorf("%d outputs published without a Nats-Msg-Id", missing)
	}
	if republished == 0 {
		t.Errorf("no output was published twice after %d kills: the duplicate window was never needed", restarts)
	}
}

// ackPending returns how many deliveries of the durable consumer await
// acknowledgement.
func ackPending(t *testing.T, js jetstream.JetStream, stream, durable string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, stream, durable)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.NumAckPending
}

// publishTap counts, by Nats-Msg-Id, the messages published to a subject,
// including those a stream then discards as duplicates.
type publishTap struct {
	mu   sync.Mutex
	byID map[string]int
}

// tapPublishes subscribes nc to subject with no pending limits, so the tap
// sees every publish of the run.
func tapPublishes(t *testing.T, nc *nats.Conn, subject string) *publishTap {
	t.Helper()
	p := &publishTap{byID: map[string]int{}}
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		p.mu.Lock()
		p.byID[m.Header.Get(nats.MsgIdHdr)]++
		p.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil { // the subscription is in place
		t.Fatal(err)
	}
	return p
}

// republished returns how many publishes repeated a Nats-Msg-Id already
// seen.
func (p *publishTap) republished() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for id, c := range p.byID {
		if id != "" {
			n += c - 1
		}
	}
	return n
}

// withoutID returns how many publishes carried no Nats-Msg-Id.
func (p *publishTap) withoutID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.byID[""]
}
