package bridge_test

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/natstest"
)

// TestStats follows a route's queue as it fills behind a stuck stage and
// empties once the stage goes on, and a route without a stage, which has
// no queue.
func TestStats(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	release := make(chan struct{})
	gate := gated(release)
	routes := []bridge.RouteConfig{
		{Name: "gated", In: "bs.in", Out: "bs.out", Process: gate, BufferSize: 4},
		{Name: "direct", In: "bs.other", Out: "bs.other.out", PendingMsgs: 100},
	}
	b, err := bridge.New(nc, routes)
	if err != nil {
		t.Fatal(err)
	}
	want := []bridge.RouteStats{
		{Route: "gated", BufferCap: 4, PendingLimit: nats.DefaultSubPendingMsgsLimit},
		{Route: "direct", PendingLimit: 100},
	}
	if got := b.Stats(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("before Run: %+v, want %+v", got, want)
	}

	r := start(t, nc, routes)
	for i := range 20 {
		_ = nc.Publish("bs.in", []byte(strconv.Itoa(i)))
	}
	_ = nc.Flush()
	queued := func(n int) func() error {
		return func() error {
			if got := r.Stats()[0]; got.Buffered != n || got.BufferCap != 4 {
				return fmt.Errorf("gated route: %+v, want Buffered %d BufferCap 4", got, n)
			}
			return nil
		}
	}
	natstest.WaitFor(t, 10*time.Second, queued(4))
	// One message is in the stage, four in the queue: the rest wait in
	// the client's pending queue, where Stats sees them.
	natstest.WaitFor(t, 10*time.Second, func() error {
		if got := r.Stats()[0]; got.Pending != 15 {
			return fmt.Errorf("gated route: %+v, want Pending 15", got)
		}
		return nil
	})
	close(release)
	natstest.WaitFor(t, 10*time.Second, queued(0))
	if got := r.Stats()[1]; got.BufferCap != 0 || got.Buffered != 0 || got.PendingLimit != 100 {
		t.Fatalf("route without a stage: %+v", got)
	}
}

// TestHooksWithoutStage follows the hooks of a route without a stage:
// every message is received, published and processed, and one in 16 is
// timed.
func TestHooksWithoutStage(t *testing.T) {
	const n = 4 * 16
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	var received, published, processed, timed, untimed atomic.Int64
	rh := bridge.RouteHooks{
		Received: func(a *artifact.Artifact) {
			if len(a.Payload) > 0 {
				received.Add(1)
			}
		},
		Published: func(*artifact.Artifact) { published.Add(1) },
		Processed: func(_ *artifact.Artifact, outputs int) {
			if outputs == 1 {
				processed.Add(1)
			}
		},
		Latency: func(d time.Duration) {
			if d > 0 {
				timed.Add(1)
			} else {
				untimed.Add(1)
			}
		},
	}
	hooks := bridge.Hooks{Route: func(string) bridge.RouteHooks { return rh }}
	out := collect(t, nc, "fo.out")
	start(t, nc, []bridge.RouteConfig{{Name: "fo", In: "fo.in", Out: "fo.out"}}, bridge.WithHooks(hooks))
	for i := range n {
		if err := nc.Publish("fo.in", []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	out.waitN(t, n)
	natstest.WaitFor(t, 10*time.Second, func() error {
		got := [...]int64{received.Load(), published.Load(), processed.Load(), timed.Load(), untimed.Load()}
		want := [...]int64{n, n, n, n / 16, 0}
		if got != want {
			return fmt.Errorf("received, published, processed, timed, untimed = %v, want %v", got, want)
		}
		return nil
	})
}
