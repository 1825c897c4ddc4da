package bridge_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

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
