package fault_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/natstest"
)

// TestSilentPartition puts a proxy between the bridge and its server and
// makes it drop everything without closing anything, as a network that
// loses every packet does, while a JetStream route and a core route run:
// the bridge notices within its ping bound (set short here; the default
// bound is 30 s), /readyz answers 503 naming the connection, the log says
// why, and once the network heals the bridge is ready again by itself,
// the core route flows and the JetStream route delivers every message,
// those published during the partition included, exactly once.
func TestSilentPartition(t *testing.T) {
	const (
		n        = 2000 // JetStream messages before, and again during, the partition
		interval = 500 * time.Millisecond
		pingsOut = 2
	)
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	js := newJS(t, nc)
	createStream(t, js, jetstream.StreamConfig{Name: "IN", Subjects: []string{"in.>"}})
	createStream(t, js, jetstream.StreamConfig{Name: "OUT", Subjects: []string{"out.>"}})
	core := collectCore(t, nc, "core.out.>")

	proxy := natstest.NewProxy(t, s.Addr().String())
	p := startBridge(t, "partition", bridgeEnv(proxy.URL(), "js", map[string]string{
		"NATS_PING_INTERVAL":  interval.String(),
		"NATS_MAX_PINGS_OUT":  strconv.Itoa(pingsOut),
		"BRIDGE_ROUTE_1_NAME": "core",
		"BRIDGE_ROUTE_1_IN":   "core.in.>",
		"BRIDGE_ROUTE_1_OUT":  "core.out.>",
	}))
	p.waitReady(t, 30*time.Second)
	waitCoreFlow(t, nc, core, "core.in.x", "before")
	js.publishAll(t, n, numbered)
	waitMsgs(t, js, "OUT", n/4, time.Minute)

	proxy.Blackhole()
	start := time.Now()
	bound := interval * (pingsOut + 1)
	// Slack for a loaded machine: what matters is the order of magnitude,
	// the client's defaults (a ping every 2 minutes) take 4 to 6 minutes.
	natstest.WaitFor(t, bound+5*time.Second, func() error {
		code, body, err := p.get("/readyz")
		if err != nil {
			return err
		}
		if code != http.StatusServiceUnavailable || !strings.Contains(body, `connection "default" is`) {
			return fmt.Errorf("%w: /readyz %d %q %v into the partition", natstest.ErrTest, code, strings.TrimSpace(body), time.Since(start))
		}
		return nil
	})
	t.Logf("/readyz answered 503 %v into the partition (ping bound %v)", time.Since(start).Round(time.Millisecond), bound)
	// The client turns /readyz to 503 before it calls the handler that
	// logs the disconnection.
	natstest.WaitFor(t, 5*time.Second, func() error {
		if !strings.Contains(p.log.String(), `msg="disconnected from NATS" connection=default err="nats: stale connection"`) {
			return fmt.Errorf("%w: the log does not say why:\n%s", natstest.ErrTest, tail(p.log, 20))
		}
		return nil
	})
	// Published while the bridge cannot see the server.
	js.publishAll(t, n, func(i int) *nats.Msg { return numbered(n + i) })

	proxy.Heal()
	healed := time.Now()
	p.waitReady(t, 30*time.Second)
	t.Logf("ready again %v after the heal", time.Since(healed).Round(time.Millisecond))
	waitCoreFlow(t, nc, core, "core.in.x", "after")
	sendCore(t, nc, core, "core.in.x", "after", 1000)

	waitMsgs(t, js, "OUT", 2*n, 2*time.Minute)
	waitIdle(t, js, "IN", "bridge-js", time.Minute)
	p.stop(t, 15*time.Second)
	if lost, dups, unexpected := tally(2*n, numbers(t, readStream(t, js, "OUT"))); lost != 0 || dups != 0 || len(unexpected) != 0 {
		t.Fatalf("JetStream route: %d lost, %d duplicated, unexpected %v", lost, dups, unexpected)
	}
	if !strings.Contains(p.log.String(), `msg="reconnected to NATS" connection=default`) {
		t.Errorf("the reconnection is not logged:\n%s", tail(p.log, 20))
	}
}
