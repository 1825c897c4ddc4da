package bridge_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/natstest"
	"github.com/natsbridge/bridge/stream"
)

// lending is a Process that lends its outputs (RouteConfig.LentOutputs)
// as harshly as the contract allows: both outputs of an input are one
// artifact, with one payload buffer and one header map, and once emit
// returns it scribbles over all three.
func lending(_ context.Context, a *artifact.Artifact, emit stream.Emit) error {
	out := *a
	out.Meta = artifact.Metadata{}
	buf := make([]byte, 0, 64)
	for i := range 2 {
		out.Payload = fmt.Appendf(buf[:0], "%s-%d", a.Payload, i)
		out.Meta.Set("X-N", strconv.Itoa(i))
		if err := emit(&out); err != nil {
			return err
		}
		for j := range out.Payload {
			out.Payload[j] = '#'
		}
		out.Meta.Set("X-N", "#")
	}
	return nil
}

// published records what the Published hook saw of each output.
type published struct {
	mu   sync.Mutex
	seen map[string]int
}

func (p *published) hooks() bridge.Hooks {
	p.seen = map[string]int{}
	return bridge.Hooks{Route: func(string) bridge.RouteHooks {
		return bridge.RouteHooks{Published: func(out *artifact.Artifact) {
			p.mu.Lock()
			p.seen[string(out.Payload)+" "+out.Meta.Get("X-N")]++
			p.mu.Unlock()
		}}
	}}
}

// check fails unless the hook saw input i's outputs 0 and 1 once each, for
// every i below n.
func (p *published) check(n int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.seen) != 2*n {
		return fmt.Errorf("the Published hook saw %d distinct outputs, want %d", len(p.seen), 2*n)
	}
	for i := range n {
		for o := range 2 {
			if k := fmt.Sprintf("%d-%d %d", i, o, o); p.seen[k] != 1 {
				return fmt.Errorf("the Published hook saw %q %d times, want once (saw %v)", k, p.seen[k], p.seen)
			}
		}
	}
	return nil
}

// checkLent fails unless msgs are input i's outputs 0 and 1, for every i
// below n, in any order.
func checkLent(t *testing.T, msgs []*nats.Msg, n int) {
	t.Helper()
	got := map[string]bool{}
	for _, m := range msgs {
		got[string(m.Data)+" "+m.Header.Get("X-N")] = true
	}
	for i := range n {
		for o := range 2 {
			if k := fmt.Sprintf("%d-%d %d", i, o, o); !got[k] {
				t.Fatalf("output %q missing, or published as the lender rewrote it", k)
			}
		}
	}
}

// TestLentOutputsCore: a core route with a Process that lends its outputs
// publishes and reports each as it was when emitted, before the lender
// reused it.
func TestLentOutputsCore(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	const n = 200
	out := collect(t, nc, "lent.out")
	none, err := stream.ParseOrder("none")
	if err != nil {
		t.Fatal(err)
	}
	var p published
	start(t, nc, []bridge.RouteConfig{{
		Name: "lent", In: "lent.in", Out: "lent.out", Process: lending, LentOutputs: true, Workers: 2, OrderBy: none,
	}}, bridge.WithHooks(p.hooks()))
	for i := range n {
		if err := nc.Publish("lent.in", []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	checkLent(t, out.waitN(t, 2*n), n)
	natstest.WaitFor(t, 10*time.Second, func() error { return p.check(n) })
}

// TestLentOutputsJetStream: a JetStream route keeps its outputs until the
// stream acknowledges them, after the lender has reused them: it must
// publish, and report, copies.
func TestLentOutputsJetStream(t *testing.T) {
	_, nc, js := jsSetup(t)
	const n = 200
	publishJS(t, js, n, strconv.Itoa)
	var p published
	rc := jsRoute("lent")
	rc.Process, rc.LentOutputs = lending, true
	start(t, nc, []bridge.RouteConfig{rc}, bridge.WithHooks(p.hooks()))
	waitCount(t, "OUT", 2*n, streamMsgs(t, js, "OUT"))
	consumerIdle(t, js, "d-lent")
	natstest.WaitFor(t, 10*time.Second, func() error { return p.check(n) })

	stream, err := js.Stream(t.Context(), "OUT")
	if err != nil {
		t.Fatal(err)
	}
	msgs := make([]*nats.Msg, 0, 2*n)
	for seq := uint64(1); seq <= 2*n; seq++ {
		m, err := stream.GetMsg(t.Context(), seq)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, &nats.Msg{Data: m.Data, Header: m.Header})
	}
	checkLent(t, msgs, n)
}

// TestLentOutputsSimulate: Simulate returns copies of lent outputs.
func TestLentOutputsSimulate(t *testing.T) {
	rc := bridge.RouteConfig{Name: "lent", In: "lent.in", Out: "lent.out", Process: lending, LentOutputs: true}
	outs, err := bridge.Simulate(t.Context(), rc, artifact.New("lent.in", []byte("7")))
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 2 {
		t.Fatalf("%d outputs, want 2", len(outs))
	}
	for i, o := range outs {
		if want := fmt.Sprintf("7-%d", i); string(o.Payload) != want || o.Meta.Get("X-N") != strconv.Itoa(i) {
			t.Errorf("output %d: payload %q, X-N %q; want %q, %d", i, o.Payload, o.Meta.Get("X-N"), want, i)
		}
	}
}
