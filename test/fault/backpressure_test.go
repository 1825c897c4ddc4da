package fault_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/natstest"
)

// TestBackpressureMemory runs a slow route (one worker, a small buffer, a
// jq program that walks every byte of the payload) over 200,000 queued
// messages of 1 KiB, about 200 MiB: the bridge's peak RSS stays far below
// that, because the consumer never lets more than the buffer's capacity be
// outstanding, and nothing is dropped.
func TestBackpressureMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("200,000 messages: not in -short")
	}
	const (
		n        = 200_000
		maxPeak  = 150 << 20
		padBytes = 1000
		buffer   = 64
	)
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	js := newJS(t, nc)
	createStream(t, js, jetstream.StreamConfig{Name: "IN", Subjects: []string{"in.>"}})
	createStream(t, js, jetstream.StreamConfig{Name: "OUT", Subjects: []string{"out.>"}})
	pad := strings.Repeat("abcdefghij", padBytes/10)
	start := time.Now()
	js.publishAll(t, n, func(i int) *nats.Msg {
		return &nats.Msg{Subject: fmt.Sprintf("in.%d", i%8), Data: fmt.Appendf(nil, `{"n":%d,"pad":"%s"}`, i, pad)}
	})
	in, err := streamMsgs(js, "IN")
	if err != nil || in != n {
		t.Fatalf("IN holds %d messages (%v), want %d", in, err, n)
	}
	t.Logf("published %d messages of %d bytes in %v", n, len(pad)+20, time.Since(start).Round(time.Millisecond))

	p := startBridge(t, "slow", bridgeEnv(s.ClientURL(), "slow", map[string]string{
		"BRIDGE_ROUTE_0_BUFFER":  strconv.Itoa(buffer),
		"BRIDGE_ROUTE_0_WORKERS": "1",
		"BRIDGE_ROUTE_0_JQ":      "{n, len: (.pad | length), sum: (.pad | explode | add)}",
		"BRIDGE_ROUTE_0_DLQ":     "dlq.slow",
	}))
	start = time.Now()
	var peak int64
	var maxAckPending int
	natstest.WaitFor(t, 3*time.Minute, func() error {
		if !p.running() {
			t.Fatalf("bridge exited: %v", p.err)
		}
		rss, err := p.peakRSS()
		if err != nil {
			return err
		}
		if rss > peak {
			peak = rss
		}
		if peak > maxPeak {
			t.Fatalf("bridge peak RSS %d MiB exceeds %d MiB", peak>>20, maxPeak>>20)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := js.Consumer(ctx, "IN", "bridge-slow")
		if err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		maxAckPending = max(maxAckPending, info.NumAckPending)
		got, err := streamMsgs(js, "OUT")
		if err != nil {
			return err
		}
		if got < n {
			return fmt.Errorf("%w: OUT holds %d of %d messages", natstest.ErrTest, got, n)
		}
		return nil
	})
	waitIdle(t, js, "IN", "bridge-slow", time.Minute)
	// VmHWM is a high-water mark: read last, it covers the whole run.
	rss, err := p.peakRSS()
	if err != nil {
		t.Fatal(err)
	}
	peak = max(peak, rss)
	elapsed := time.Since(start)
	p.stop(t, 15*time.Second)
	out, _ := streamMsgs(js, "OUT")
	t.Logf("bridge moved %d messages in %v (%.0f/s); peak RSS %.1f MiB (bound %d MiB); at most %d unacknowledged; OUT holds %d",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), float64(peak)/(1<<20), maxPeak>>20, maxAckPending, out)
	if out != n {
		t.Fatalf("OUT holds %d messages, want %d", out, n)
	}
	if maxAckPending > buffer {
		t.Fatalf("the consumer had %d messages unacknowledged, the buffer holds %d", maxAckPending, buffer)
	}
}
