package bridge_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/natstest"
	"github.com/natsbridge/bridge/stream"
)

func TestPassthroughWithMapping(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	var c counts
	start(t, nc, []bridge.RouteConfig{{Name: "r", In: "in.*.>", Out: "out.{{wildcard(1)}}.>"}}, bridge.WithHooks(c.hooks()))
	got := collect(t, nc, "out.>")

	const n = 500
	for i := range n {
		m := nats.NewMsg(fmt.Sprintf("in.k%d.x.y", i%4))
		m.Data = []byte(strconv.Itoa(i))
		m.Header.Set("Trace-Id", strconv.Itoa(i))
		m.Header.Add("Multi", "a")
		m.Header.Add("Multi", "b")
		if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	msgs := got.waitN(t, n)
	for i, m := range msgs {
		if want := fmt.Sprintf("out.k%d.x.y", i%4); m.Subject != want {
			t.Fatalf("message %d on %q, want %q", i, m.Subject, want)
		}
		if string(m.Data) != strconv.Itoa(i) || m.Header.Get("Trace-Id") != strconv.Itoa(i) || len(m.Header.Values("Multi")) != 2 {
			t.Fatalf("message %d = %q %v", i, m.Data, m.Header)
		}
	}
	natstest.WaitFor(t, 5*time.Second, c.balanced)
	if c.processed.Load() != n || c.published.Load() != n {
		t.Fatalf("processed %d, published %d", c.processed.Load(), c.published.Load())
	}
}

func TestRequestReply(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	upper := func(_ context.Context, a *artifact.Artifact, emit stream.Emit) error {
		return emit(a.Derive(bytes.ToUpper(a.Payload)))
	}
	start(t, nc, []bridge.RouteConfig{{Name: "rr", In: "svc.in", Out: "svc.worker", Process: upper}})
	sub, err := nc.Subscribe("svc.worker", func(m *nats.Msg) { _ = m.Respond(append([]byte("re:"), m.Data...)) })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	for i := range 20 {
		resp, err := nc.Request("svc.in", []byte("ping"+strconv.Itoa(i)), 5*time.Second)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if want := "re:PING" + strconv.Itoa(i); string(resp.Data) != want {
			t.Fatalf("reply %q, want %q", resp.Data, want)
		}
	}
}

func TestDeadLetter(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	process := func(_ context.Context, a *artifact.Artifact, emit stream.Emit) error {
		switch string(a.Payload) {
		case "bad":
			return fmt.Errorf("%w: not JSON", stream.ErrDecode)
		case "boom":
			return errors.New("program failed")
		case "skip":
			return nil
		}
		return emit(a)
	}
	var c counts
	start(t, nc, []bridge.RouteConfig{{Name: "dl", In: "d.in", Out: "d.out", DLQ: "d.dlq", Process: process}},
		bridge.WithHooks(c.hooks()))
	out := collect(t, nc, "d.out")
	dlq := collect(t, nc, "d.dlq")
	for _, p := range []string{"ok1", "bad", "skip", "boom", "ok2"} {
		m := nats.NewMsg("d.in")
		m.Data = []byte(p)
		m.Header.Set("Orig", p)
		if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	got := dlq.waitN(t, 2)
	out.waitN(t, 2)
	for _, m := range got {
		if m.Header.Get("Orig") != string(m.Data) || m.Header.Get(bridge.HeaderRoute) != "dl" ||
			m.Header.Get(bridge.HeaderSubject) != "d.in" || m.Header.Get(bridge.HeaderError) == "" {
			t.Fatalf("dead letter %q has headers %v", m.Data, m.Header)
		}
	}
	natstest.WaitFor(t, 5*time.Second, c.balanced)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failures[bridge.ReasonDecode] != 1 || c.failures[bridge.ReasonGenerator] != 1 || c.filtered.Load() != 1 || c.deadLettered.Load() != 2 {
		t.Fatalf("failures %v filtered %d dead-lettered %d", c.failures, c.filtered.Load(), c.deadLettered.Load())
	}
}

// TestTimeoutIsolatesRunaway checks that a message whose processing runs
// past the route's timeout fails alone, while another route keeps flowing.
func TestTimeoutIsolatesRunaway(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	runaway := func(ctx context.Context, a *artifact.Artifact, emit stream.Emit) error {
		if string(a.Payload) == "loop" {
			<-ctx.Done()
			return ctx.Err()
		}
		return emit(a)
	}
	var c counts
	start(t, nc, []bridge.RouteConfig{
		{Name: "slow", In: "t.slow", Out: "t.slow.out", DLQ: "t.dlq", Process: runaway, Timeout: 100 * time.Millisecond},
		{Name: "fast", In: "t.fast", Out: "t.fast.out"},
	}, bridge.WithHooks(c.hooks()))
	dlq := collect(t, nc, "t.dlq")
	slowOut := collect(t, nc, "t.slow.out")
	fastOut := collect(t, nc, "t.fast.out")

	_ = nc.Publish("t.slow", []byte("loop"))
	_ = nc.Publish("t.slow", []byte("after"))
	for i := range 100 {
		_ = nc.Publish("t.fast", []byte(strconv.Itoa(i)))
	}
	fastOut.waitN(t, 100)
	m := dlq.waitN(t, 1)[0]
	if string(m.Data) != "loop" || !bytes.Contains([]byte(m.Header.Get(bridge.HeaderError)), []byte("deadline")) {
		t.Fatalf("dead letter %q: %v", m.Data, m.Header)
	}
	if got := slowOut.waitN(t, 1); string(got[0].Data) != "after" {
		t.Fatalf("slow route output %q", got[0].Data)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failures[bridge.ReasonTimeout] != 1 {
		t.Fatalf("failures = %v", c.failures)
	}
}

func TestReplicasShareQueue(t *testing.T) {
	s := natstest.Start(t, nil)
	pub := natstest.Connect(t, s)
	var seen [2]atomic.Int64
	routes := func(i int) []bridge.RouteConfig {
		return []bridge.RouteConfig{{Name: "q", In: "q.in", Out: "q.out", Queue: "bridge.q",
			Process: func(_ context.Context, a *artifact.Artifact, emit stream.Emit) error {
				seen[i].Add(1)
				return emit(a)
			}}}
	}
	nc0, nc1 := natstest.Connect(t, s), natstest.Connect(t, s)
	start(t, nc0, routes(0))
	start(t, nc1, routes(1))
	out := collect(t, pub, "q.out")
	const n = 2000
	for i := range n {
		_ = pub.Publish("q.in", []byte(strconv.Itoa(i)))
	}
	out.waitN(t, n)
	// A message both replicas got would come out a second time, possibly
	// after the n-th output: wait until nothing moves any more before
	// counting.
	waitQuiet(t, 300*time.Millisecond, func() int64 {
		return int64(out.len()) + seen[0].Load() + seen[1].Load()
	}, pub, nc0, nc1, pub)
	msgs := out.all()
	got := map[string]int{}
	for _, m := range msgs {
		got[string(m.Data)]++
	}
	for i := range n {
		if c := got[strconv.Itoa(i)]; c != 1 {
			t.Errorf("input %d came out %d times, want once", i, c)
		}
	}
	if len(msgs) != n || len(got) != n {
		t.Fatalf("%d outputs (%d distinct) for %d inputs", len(msgs), len(got), n)
	}
	a, b := seen[0].Load(), seen[1].Load()
	if a+b != n || a == 0 || b == 0 {
		t.Fatalf("replicas processed %d and %d of %d", a, b, n)
	}
}

func TestServerRestartResumes(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	obs := natstest.Connect(t, s)
	b := start(t, nc, []bridge.RouteConfig{{Name: "r", In: "rs.in", Out: "rs.out"}})
	out := collect(t, obs, "rs.out")
	for i := range 10 {
		_ = obs.Publish("rs.in", []byte(strconv.Itoa(i)))
	}
	out.waitN(t, 10)

	natstest.Restart(t, s)
	natstest.WaitFor(t, 10*time.Second, func() error {
		if !nc.IsConnected() || !obs.IsConnected() {
			return errors.New("clients not reconnected")
		}
		return b.Ready()
	})
	if err := obs.Flush(); err != nil {
		t.Fatal(err)
	}
	// The bridge resubscribed: new messages flow again. Publish until one
	// makes it, since the observer's own resubscription may lag.
	natstest.WaitFor(t, 10*time.Second, func() error {
		_ = obs.Publish("rs.in", []byte("after"))
		for _, m := range out.all() {
			if string(m.Data) == "after" {
				return nil
			}
		}
		return errors.New("no message after restart")
	})
	if err := b.stop(); err != nil {
		t.Fatal(err)
	}
}

func TestReadyFollowsConnection(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	b, err := bridge.New(nc, []bridge.RouteConfig{{Name: "r", In: "a", Out: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Ready(); !errors.Is(err, bridge.ErrNotReady) {
		t.Fatalf("Ready before Run: %v", err)
	}
	r := start(t, nc, []bridge.RouteConfig{{Name: "r", In: "a", Out: "b"}})
	s.Shutdown()
	natstest.WaitFor(t, 10*time.Second, func() error {
		if err := r.Ready(); errors.Is(err, bridge.ErrNotReady) {
			return nil
		}
		return errors.New("still ready with the server down")
	})
	natstest.Restart(t, s)
	natstest.WaitFor(t, 10*time.Second, r.Ready)
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestDrainFinishesInFlight stops a bridge while its slow stage holds
// messages: every received message is still published before Run returns.
func TestDrainFinishesInFlight(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	obs := natstest.Connect(t, s)
	release := make(chan struct{})
	gate := gated(release)
	var c counts
	r := start(t, nc, []bridge.RouteConfig{{Name: "d", In: "dr.in", Out: "dr.out", Process: gate, BufferSize: 4096}},
		bridge.WithHooks(c.hooks()), bridge.WithShutdownTimeout(20*time.Second))
	out := collect(t, obs, "dr.out")
	const n = 300
	for i := range n {
		_ = obs.Publish("dr.in", []byte(strconv.Itoa(i)))
	}
	_ = obs.Flush()
	natstest.WaitFor(t, 10*time.Second, func() error {
		if c.received.Load() < n {
			return fmt.Errorf("received %d", c.received.Load())
		}
		return nil
	})
	done := make(chan error, 1)
	go func() { done <- r.stop() }()
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	out.waitN(t, n)
	if err := c.balanced(); err != nil || c.processed.Load() != n {
		t.Fatalf("%v; processed %d", err, c.processed.Load())
	}
}

// TestDrainDeadline gives up on a stage that never finishes: Run returns
// ErrDrainTimeout and the stuck messages are counted as dropped.
func TestDrainDeadline(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	stuck := func(ctx context.Context, a *artifact.Artifact, emit stream.Emit) error {
		<-ctx.Done()
		return ctx.Err()
	}
	var c counts
	r := start(t, nc, []bridge.RouteConfig{{Name: "s", In: "st.in", Out: "st.out", Process: stuck}},
		bridge.WithHooks(c.hooks()), bridge.WithShutdownTimeout(200*time.Millisecond))
	for i := range 10 {
		_ = nc.Publish("st.in", []byte(strconv.Itoa(i)))
	}
	natstest.WaitFor(t, 10*time.Second, func() error {
		if c.received.Load() < 10 {
			return errors.New("not received yet")
		}
		return nil
	})
	if err := r.stop(); !errors.Is(err, bridge.ErrDrainTimeout) {
		t.Fatalf("Run: %v", err)
	}
	if err := c.balanced(); err != nil {
		t.Fatal(err)
	}
	if c.droppedTotal() == 0 {
		t.Fatal("nothing counted as dropped")
	}
}

// TestOverflowAccounting overloads a route whose policy drops: every
// message is still accounted for.
func TestOverflowAccounting(t *testing.T) {
	for _, policy := range []stream.Overflow{stream.DropNewest, stream.DropOldest} {
		t.Run(policy.String(), func(t *testing.T) {
			s := natstest.Start(t, nil)
			nc := natstest.Connect(t, s)
			pub := natstest.Connect(t, s)
			release := make(chan struct{})
			slow := gated(release)
			var c counts
			start(t, nc, []bridge.RouteConfig{{Name: "o", In: "o.in", Out: "o.out", Process: slow, BufferSize: 8, Overflow: policy}},
				bridge.WithHooks(c.hooks()))
			const n = 1000
			for i := range n {
				_ = pub.Publish("o.in", []byte(strconv.Itoa(i)))
			}
			_ = pub.Flush()
			natstest.WaitFor(t, 10*time.Second, func() error {
				if c.received.Load() < n {
					return fmt.Errorf("received %d", c.received.Load())
				}
				return nil
			})
			close(release)
			natstest.WaitFor(t, 10*time.Second, c.balanced)
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.dropped[bridge.ReasonOverflow] == 0 {
				t.Fatalf("no overflow drops: %v", c.dropped)
			}
		})
	}
}

func TestNewRejectsBadRoutes(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	tests := []struct {
		name  string
		route bridge.RouteConfig
	}{
		{"no name", bridge.RouteConfig{In: "a", Out: "b"}},
		{"bad in", bridge.RouteConfig{Name: "r", In: "a..b", Out: "b"}},
		{"bad mapping", bridge.RouteConfig{Name: "r", In: "a.*", Out: "b.{{wildcard(2)}}"}},
		{"fail policy", bridge.RouteConfig{Name: "r", In: "a", Out: "b", Overflow: stream.Fail}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := bridge.New(nc, []bridge.RouteConfig{tt.route}); !errors.Is(err, bridge.ErrInvalidRoute) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	_, err := bridge.New(nc, []bridge.RouteConfig{{Name: "x", In: "a", Out: "b"}, {Name: "x", In: "c", Out: "d"}})
	if !errors.Is(err, bridge.ErrInvalidRoute) {
		t.Fatalf("duplicate names: %v", err)
	}
}

// TestWorkersKeepSubjectOrder runs a route with four workers: messages on
// the same subject come out in the order they went in.
func TestWorkersKeepSubjectOrder(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	var calls atomic.Int64
	work := func(_ context.Context, a *artifact.Artifact, emit stream.Emit) error {
		calls.Add(1)
		return emit(a)
	}
	start(t, nc, []bridge.RouteConfig{{Name: "w", In: "w.in.*", Out: "w.out.{{wildcard(1)}}", Process: work, Workers: 4}})
	out := collect(t, nc, "w.out.*")
	const n = 4000
	for i := range n {
		_ = nc.Publish(fmt.Sprintf("w.in.%d", i%7), []byte(strconv.Itoa(i)))
	}
	msgs := out.waitN(t, n)
	last := map[string]int{}
	for _, m := range msgs {
		i, _ := strconv.Atoi(string(m.Data))
		if prev, ok := last[m.Subject]; ok && i < prev {
			t.Fatalf("%s: %d after %d", m.Subject, i, prev)
		}
		last[m.Subject] = i
	}
	if len(last) != 7 || calls.Load() != n {
		t.Fatalf("%d subjects, %d calls", len(last), calls.Load())
	}
}

// TestCorePublishFails makes a core route's publish fail (an output over
// the server's max_payload): the input is counted as a publish failure of
// its route and dead-lettered, and the route goes on.
func TestCorePublishFails(t *testing.T) {
	opts := natstest.Options(t)
	opts.MaxPayload = 1024
	s := natstest.Start(t, opts)
	nc := natstest.Connect(t, s)
	grow := func(_ context.Context, a *artifact.Artifact, emit stream.Emit) error {
		if string(a.Payload) == "big" {
			return emit(a.Derive(bytes.Repeat([]byte("x"), 2048)))
		}
		return emit(a)
	}
	var c counts
	start(t, nc, []bridge.RouteConfig{
		{Name: "grow", In: "g.in", Out: "g.out", DLQ: "g.dlq", Process: grow},
		{Name: "other", In: "o.in", Out: "o.out"},
	}, bridge.WithHooks(c.hooks()))
	out := collect(t, nc, "g.out")
	dlq := collect(t, nc, "g.dlq")
	for _, p := range []string{"a", "big", "b"} {
		if err := nc.Publish("g.in", []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	out.waitN(t, 2)
	d := dlq.waitN(t, 1)[0]
	if string(d.Data) != "big" || !strings.Contains(d.Header.Get(bridge.HeaderError), "maximum payload") {
		t.Errorf("dead letter %q with error %q", d.Data, d.Header.Get(bridge.HeaderError))
	}
	natstest.WaitFor(t, 5*time.Second, c.balanced)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failures[bridge.ReasonPublish] != 1 || c.processed.Load() != 2 {
		t.Errorf("failures %v, processed %d", c.failures, c.processed.Load())
	}
}

// TestRunOnce checks Started and that a Bridge runs once.
func TestRunOnce(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	b, err := bridge.New(nc, []bridge.RouteConfig{{Name: "r", In: "once.in", Out: "once.out"}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.Started():
		t.Fatal("Started before Run")
	default:
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	select {
	case <-b.Started():
	case <-time.After(10 * time.Second):
		t.Fatal("not started")
	}
	if err := b.Ready(); err != nil {
		t.Errorf("started but not ready: %v", err)
	}
	if err := b.Run(ctx); !errors.Is(err, bridge.ErrAlreadyRun) {
		t.Errorf("second Run: %v, want ErrAlreadyRun", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := b.Run(context.Background()); !errors.Is(err, bridge.ErrAlreadyRun) {
		t.Errorf("Run after Run: %v, want ErrAlreadyRun", err)
	}
}
