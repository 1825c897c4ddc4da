package bridge_test

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/natstest"
	"github.com/natsbridge/bridge/stream"
)

// TestBuffers follows a route's queue as it fills behind a stuck stage and
// empties once the stage goes on.
func TestBuffers(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	release := make(chan struct{})
	gate := gated(release)
	routes := []bridge.RouteConfig{
		{Name: "gated", In: "bs.in", Out: "bs.out", Process: gate, BufferSize: 4},
		{Name: "default", In: "bs.other", Out: "bs.other.out"},
	}
	b, err := bridge.New(nc, routes)
	if err != nil {
		t.Fatal(err)
	}
	want := []bridge.BufferStats{{Route: "gated", Len: 0, Cap: 4}, {Route: "default", Len: 0, Cap: stream.DefaultBufferSize}}
	if got := b.Buffers(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("before Run: %v, want %v", got, want)
	}

	r := start(t, nc, routes)
	for i := range 20 {
		_ = nc.Publish("bs.in", []byte(strconv.Itoa(i)))
	}
	_ = nc.Flush()
	queued := func(n int) func() error {
		return func() error {
			if got := r.Buffers()[0]; got.Len != n || got.Cap != 4 {
				return fmt.Errorf("gated route: %+v, want Len %d Cap 4", got, n)
			}
			return nil
		}
	}
	natstest.WaitFor(t, 10*time.Second, queued(4))
	close(release)
	natstest.WaitFor(t, 10*time.Second, queued(0))
}

// TestForwardOnlyHooks follows the hooks of a forward-only route: with
// Forwarded set it stands for Received, Published and Processed; without
// it those three are called; either way one message in LatencySampling is
// timed.
func TestForwardOnlyHooks(t *testing.T) {
	const n = 4 * bridge.LatencySampling
	for _, fused := range []bool{true, false} {
		t.Run(fmt.Sprintf("forwarded=%v", fused), func(t *testing.T) {
			s := natstest.Start(t, nil)
			nc := natstest.Connect(t, s)
			var received, published, processed, forwarded, timed, untimed atomic.Int64
			rh := bridge.RouteHooks{
				Received:  func(*artifact.Artifact) { received.Add(1) },
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
			if fused {
				rh.Forwarded = func(a *artifact.Artifact) {
					if len(a.Payload) > 0 {
						forwarded.Add(1)
					}
				}
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
			// The route calls its hooks after publishing.
			wantFwd, wantEach := int64(n), int64(0)
			if !fused {
				wantFwd, wantEach = 0, n
			}
			natstest.WaitFor(t, 10*time.Second, func() error {
				got := [...]int64{forwarded.Load(), received.Load(), published.Load(), processed.Load(), timed.Load(), untimed.Load()}
				want := [...]int64{wantFwd, wantEach, wantEach, wantEach, n / bridge.LatencySampling, 0}
				if got != want {
					return fmt.Errorf("forwarded, received, published, processed, timed, untimed = %v, want %v", got, want)
				}
				return nil
			})
		})
	}
}
