package fault_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/natstest"
)

// coreCollector keeps the payloads that arrive on a core subscription.
type coreCollector struct {
	mu   sync.Mutex
	seen map[string]int
}

func collectCore(t *testing.T, nc *nats.Conn, subject string) *coreCollector {
	t.Helper()
	c := &coreCollector{seen: map[string]int{}}
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		c.mu.Lock()
		c.seen[string(m.Data)]++
		c.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return c
}

// count returns how many payloads with prefix arrived, and how many of
// them more than once.
func (c *coreCollector) count(prefix string) (distinct, dups int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p, k := range c.seen {
		if strings.HasPrefix(p, prefix) {
			distinct++
			dups += k - 1
		}
	}
	return distinct, dups
}

// waitCoreFlow publishes probes to subject until one comes out of the
// bridge: its subscription, and the collector's, are in place.
func waitCoreFlow(t *testing.T, nc *nats.Conn, c *coreCollector, subject, tag string) {
	t.Helper()
	var last time.Time
	probes := 0
	natstest.WaitFor(t, 30*time.Second, func() error {
		if n, _ := c.count("probe-" + tag + "-"); n > 0 {
			return nil
		}
		if time.Since(last) > 100*time.Millisecond {
			probes++
			_ = nc.Publish(subject, fmt.Appendf(nil, "probe-%s-%d", tag, probes))
			last = time.Now()
		}
		return fmt.Errorf("%w: none of %d probes came through", natstest.ErrTest, probes)
	})
}

// sendCore publishes n core messages tagged tag and waits until all of them
// came out of the bridge.
func sendCore(t *testing.T, nc *nats.Conn, c *coreCollector, subject, tag string, n int) {
	t.Helper()
	prefix := "core-" + tag + "-"
	for i := range n {
		if err := nc.Publish(subject, fmt.Appendf(nil, "%s%d", prefix, i)); err != nil {
			t.Fatal(err)
		}
	}
	natstest.WaitFor(t, 30*time.Second, func() error {
		if got, _ := c.count(prefix); got < n {
			return fmt.Errorf("%w: %d of %d core messages %q arrived", natstest.ErrTest, got, n, tag)
		}
		return nil
	})
	if _, dups := c.count(prefix); dups != 0 {
		t.Fatalf("core messages %q: %d duplicates", tag, dups)
	}
}

// TestServerRestart restarts the NATS server (same port, same JetStream
// store) while a bridge moves a JetStream flow and a core flow: the
// JetStream route loses nothing and duplicates nothing, and the core route
// resumes once the bridge has reconnected.
func TestServerRestart(t *testing.T) {
	const n = 20_000
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	js := newJS(t, nc)
	createStream(t, js, jetstream.StreamConfig{Name: "IN", Subjects: []string{"in.>"}})
	createStream(t, js, jetstream.StreamConfig{Name: "OUT", Subjects: []string{"out.>"}})
	js.publishAll(t, n, numbered)
	core := collectCore(t, nc, "core.out.>")

	p := startBridge(t, "restart", bridgeEnv(s.ClientURL(), "js", map[string]string{
		"BRIDGE_ROUTE_0_JQ":   ".",
		"BRIDGE_ROUTE_1_NAME": "core",
		"BRIDGE_ROUTE_1_IN":   "core.in.>",
		"BRIDGE_ROUTE_1_OUT":  "core.out.>",
	}))
	p.waitReady(t, 30*time.Second)
	waitCoreFlow(t, nc, core, "core.in.x", "before")
	sendCore(t, nc, core, "core.in.x", "before", 1000)

	waitMsgs(t, js, "OUT", n/3, time.Minute)
	before, _ := streamMsgs(js, "OUT")
	start := time.Now()
	natstest.Restart(t, s)
	t.Logf("server restarted at %d of %d messages in OUT", before, n)

	// The bridge reconnects and goes on; the core route carries messages
	// published after its subscription is back.
	p.waitReady(t, 30*time.Second)
	waitCoreFlow(t, nc, core, "core.in.x", "after")
	t.Logf("core route flowing again %v after the restart", time.Since(start).Round(time.Millisecond))
	sendCore(t, nc, core, "core.in.x", "after", 1000)

	waitMsgs(t, js, "OUT", n, 2*time.Minute)
	waitIdle(t, js, "IN", "bridge-js", time.Minute)
	redelivered := redeliveries(t, js, "IN", "bridge-js", n)
	t.Logf("JetStream flow finished %v after the restart", time.Since(start).Round(time.Millisecond))
	p.stop(t, 15*time.Second)

	msgs := readStream(t, js, "OUT")
	lost, dups, unexpected := tally(n, numbers(t, msgs))
	t.Logf("messages %d, redeliveries %d, OUT holds %d, lost %d, duplicates %d", n, redelivered, len(msgs), lost, dups)
	if len(msgs) != n || lost != 0 || dups != 0 || len(unexpected) != 0 {
		t.Fatalf("OUT holds %d messages (want %d): %d lost, %d duplicated, unexpected %v", len(msgs), n, lost, dups, unexpected)
	}
}
