package fault_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/natstest"
)

// How fast the bridge must notice a connection that went silent.
const (
	// The short ping settings of the 10 s partition: noticed within
	// shortPingInterval × (shortMaxPingsOut + 1).
	shortPingInterval = time.Second
	shortMaxPingsOut  = 2
	// defaultDetection is the bound with the bridge's default ping
	// settings (NATS_PING_INTERVAL 10s, NATS_MAX_PINGS_OUT 2), which the
	// 60 s partition keeps.
	defaultDetection = 30 * time.Second
	// detectSlack allows for timers and scheduling on a loaded machine.
	detectSlack = 2 * time.Second
	// slowCloseDelay is how long the slow_close toxic holds a close.
	slowCloseDelay = 5 * time.Second
)

// netScenario is one bad network between the bridge and its server.
type netScenario struct {
	name string
	// n messages of about size bytes each go into the JetStream route and
	// as many into the core route, at rate per second each (0: a burst).
	n, size int
	rate    float64
	// shortPings starts the bridge with the short ping settings.
	shortPings bool
	// setup are toxics in place before the bridge connects.
	setup []toxic
	// fault starts the load (r.startLoad) and injects the fault; it returns
	// once the network is healed, having set r.faultAt and r.healedAt.
	fault func(t *testing.T, r *netRig)
	// outputSide faults only the path to the server of the outputs.
	outputSide bool
	// stayUp: the connection must survive the fault, /readyz answer 200
	// throughout it, and the core route lose nothing. Otherwise the bridge
	// must notice the connection down within detectWithin of the fault.
	stayUp       bool
	detectWithin time.Duration
}

// netRig is what a scenario runs on: a bridge with a JetStream route "js"
// (stream IN to stream OUT) and a core route "core" (core.in.> to
// core.out.>), the server or servers it uses, and the proxy through which
// it reaches the faulted one. With one server, the bridge's only
// connection goes through the proxy; with outputSide, the routes consume
// from one server directly and publish to another through the proxy (a
// connection of its own, BRIDGE_CONN_0, named "out").
type netRig struct {
	sc     netScenario
	srv    *natstest.Server // the one behind the proxy
	proxy  *netProxy
	nc     *nats.Conn // to the input side, directly
	js     *jsClient  // on nc
	outJS  *jsClient  // to the output side, directly
	core   *coreCollector
	bridge *bridgeProc
	ready  *readyWatch
	load   *netLoad
	// When the load started, the fault began and the network healed.
	loadAt, faultAt, healedAt time.Time
}

// TestNetworkFaults runs a JetStream route and a core route through a
// toxiproxy proxy while the network goes bad: silent partitions (every
// byte dropped, nothing closed) of 10 s and 60 s, 200 ms latency with
// jitter, a bandwidth limit under a burst, a connection reset in the middle
// of a burst, and a close that takes seconds to arrive; the last three
// again with only the path to the server of the outputs faulted (a route
// between two NATS systems). Each scenario checks that the JetStream route's output stream holds every message
// exactly once, that every input of both routes is accounted for in the
// bridge's metrics, and that /readyz tells the truth: 503 while the bridge
// knows it is disconnected (or, for latency and bandwidth, 200 all along),
// 200 again once it has healed. It logs how long the bridge took to notice.
func TestNetworkFaults(t *testing.T) {
	tests := []netScenario{{
		name: "partition 10s", n: 3000, size: 64, rate: 200, shortPings: true,
		fault:        partition(10 * time.Second),
		detectWithin: shortPingInterval*(shortMaxPingsOut+1) + detectSlack,
	}, {
		name: "partition 60s", n: 3500, size: 64, rate: 50,
		fault:        partition(60 * time.Second),
		detectWithin: defaultDetection + detectSlack,
	}, {
		name: "latency 200ms", n: 3000, size: 64, rate: 300,
		fault:  latency(200*time.Millisecond, 100*time.Millisecond),
		stayUp: true,
	}, {
		name: "bandwidth 1MBps", n: 2000, size: 1024,
		fault:  bandwidth(1000),
		stayUp: true,
	}, {
		name: "reset mid-burst", n: 3000, size: 256, rate: 1000,
		// Present from the start at toxicity 0, so that the connection is
		// set up to be reset with an RST rather than closed with a FIN.
		setup:        []toxic{{Name: "reset", Type: "reset_peer", Stream: downstream, Toxicity: 0, Attributes: map[string]any{"timeout": 0}}},
		fault:        reset,
		detectWithin: detectSlack,
	}, {
		name: "slow close", n: 3000, size: 64, rate: 500,
		setup:        []toxic{{Name: "slow-close", Type: "slow_close", Stream: downstream, Toxicity: 1, Attributes: map[string]any{"delay": slowCloseDelay.Milliseconds()}}},
		fault:        slowClose,
		detectWithin: slowCloseDelay + detectSlack,
	}, {
		// The same on the path to another NATS system only: the routes
		// consume on one connection and publish on another.
		name: "partition 10s, output side", n: 3000, size: 64, rate: 200, shortPings: true, outputSide: true,
		fault:        partition(10 * time.Second),
		detectWithin: shortPingInterval*(shortMaxPingsOut+1) + detectSlack,
	}, {
		name: "reset mid-burst, output side", n: 3000, size: 256, rate: 1000, outputSide: true,
		setup:        []toxic{{Name: "reset", Type: "reset_peer", Stream: downstream, Toxicity: 0, Attributes: map[string]any{"timeout": 0}}},
		fault:        reset,
		detectWithin: detectSlack,
	}, {
		name: "slow close, output side", n: 3000, size: 64, rate: 500, outputSide: true,
		setup:        []toxic{{Name: "slow-close", Type: "slow_close", Stream: downstream, Toxicity: 1, Attributes: map[string]any{"delay": slowCloseDelay.Milliseconds()}}},
		fault:        slowClose,
		detectWithin: slowCloseDelay + detectSlack,
	}}
	for _, sc := range tests {
		t.Run(sc.name, func(t *testing.T) {
			if testing.Short() && sc.name == "partition 60s" {
				t.Skip("a minute long; not with -short")
			}
			t.Parallel()
			runNetScenario(t, sc)
		})
	}
}

// startNetServer starts a server for a scenario.
func startNetServer(t *testing.T) *natstest.Server {
	t.Helper()
	opts := natstest.Options(t)
	// Clients must not learn the server's own address and go round the
	// proxy. A lone server advertises nothing; a cluster member would
	// advertise the others without this.
	opts.Cluster.NoAdvertise = true
	return natstest.Start(t, opts)
}

func runNetScenario(t *testing.T, sc netScenario) {
	srvIn := startNetServer(t)
	srv, ncIn := srvIn, natstest.Connect(t, srvIn)
	if sc.outputSide {
		srv = startNetServer(t)
	}
	proxy := startProxy(t, srv.Addr().String())
	ncOut := natstest.Connect(t, srv)
	js, outJS := newJS(t, ncIn), newJS(t, ncOut)
	createStream(t, js, jetstream.StreamConfig{Name: "IN", Subjects: []string{"in.>"}})
	createStream(t, outJS, jetstream.StreamConfig{Name: "OUT", Subjects: []string{"out.>"}})
	core := collectCore(t, ncOut, "core.out.>")
	for _, tx := range sc.setup {
		proxy.add(t, tx)
	}

	env := bridgeEnv(proxy.url(), "js", map[string]string{
		"BRIDGE_ROUTE_1_NAME": "core",
		"BRIDGE_ROUTE_1_IN":   "core.in.>",
		"BRIDGE_ROUTE_1_OUT":  "core.out.>",
	})
	if sc.outputSide {
		env["NATS_URL"] = srvIn.ClientURL()
		env["BRIDGE_CONN_0_NAME"] = "out"
		env["BRIDGE_CONN_0_URL"] = proxy.url()
		env["BRIDGE_ROUTE_0_OUT_CONN"] = "out"
		env["BRIDGE_ROUTE_1_OUT_CONN"] = "out"
	}
	if sc.shortPings {
		env["NATS_PING_INTERVAL"] = shortPingInterval.String()
		env["NATS_MAX_PINGS_OUT"] = fmt.Sprint(shortMaxPingsOut)
	}
	p := startBridge(t, "net", env)
	p.waitReady(t, 30*time.Second)
	r := &netRig{sc: sc, srv: srv, proxy: proxy, nc: ncIn, js: js, outJS: outJS, core: core, bridge: p, ready: watchReady(t, p)}
	waitCoreFlow(t, ncIn, core, "core.in.probe", "before")

	sc.fault(t, r)
	if r.load == nil || r.faultAt.IsZero() || r.healedAt.IsZero() {
		t.Fatal("the scenario did not start its load, inject its fault and heal it")
	}
	if err := r.load.wait(2 * time.Minute); err != nil {
		t.Fatal(err)
	}
	p.waitReady(t, time.Minute)
	recovered := time.Now()
	waitCoreFlow(t, ncIn, core, "core.in.probe", "after")
	waitMsgs(t, outJS, "OUT", uint64(sc.n), 2*time.Minute)
	waitIdle(t, js, "IN", "bridge-js", time.Minute)
	redelivered := redeliveries(t, js, "IN", "bridge-js", sc.n)
	jsCounts := waitRouteSettled(t, p, "js", float64(sc.n), 30*time.Second)
	coreCounts := waitRouteSettled(t, p, "core", 0, 30*time.Second)
	delivered, coreDups := core.count(corePrefix(sc))
	p.stop(t, 15*time.Second)

	msgs := readStream(t, outJS, "OUT")
	lost, dups, unexpected := tally(sc.n, numbers(t, msgs))
	ids := map[string]bool{}
	for _, m := range msgs {
		ids[m.Header.Get(nats.MsgIdHdr)] = true
	}
	t.Logf("fault at %v from the start of the load, healed %v later; ready again %v after that",
		r.faultAt.Sub(r.loadAt).Round(time.Millisecond), r.healedAt.Sub(r.faultAt).Round(time.Millisecond),
		recovered.Sub(r.healedAt).Round(time.Millisecond))
	t.Logf("JetStream route: %d messages, redeliveries %d, OUT holds %d (%d distinct Nats-Msg-Id), lost %d, duplicated %d; %v",
		sc.n, redelivered, len(msgs), len(ids), lost, dups, jsCounts)
	t.Logf("core route: %d published, %d arrived (%d duplicated); %v", sc.n, delivered, coreDups, coreCounts)
	if len(msgs) != sc.n || lost != 0 || dups != 0 || len(unexpected) != 0 || len(ids) != sc.n {
		t.Errorf("OUT holds %d messages with %d distinct Nats-Msg-Id (want %d): %d lost, %d duplicated, unexpected %v",
			len(msgs), len(ids), sc.n, lost, dups, unexpected)
	}
	if coreDups != 0 || float64(delivered) > coreCounts.processed {
		t.Errorf("core route: %d arrived, %d of them duplicates, from %.0f processed", delivered, coreDups, coreCounts.processed)
	}
	checkNetReadiness(t, r)
	if sc.stayUp && delivered != sc.n {
		t.Errorf("core route: %d of %d messages arrived over a slow but working connection", delivered, sc.n)
	}
}

// checkNetReadiness checks what the bridge said about its connection
// during the fault, and logs how long it took to notice.
func checkNetReadiness(t *testing.T, r *netRig) {
	t.Helper()
	downs := checkReadyWhileDown(t, r.bridge, r.ready, 250*time.Millisecond)
	if r.sc.stayUp {
		if len(downs) > 0 {
			t.Errorf("the bridge disconnected %d times; first: %v", len(downs), r.bridge.connEvents()[0].line)
		}
		if n := r.ready.notReadyCount(r.faultAt, r.healedAt); n > 0 {
			t.Errorf("/readyz answered 503 %d times during the fault", n)
		}
		return
	}
	var logged time.Time
	for _, e := range r.bridge.connEvents() {
		if !e.up && !e.at.Before(r.faultAt.Truncate(time.Millisecond)) {
			logged = e.at
			break
		}
	}
	notReady, seen := r.ready.firstNotReady(r.faultAt)
	if logged.IsZero() || !seen {
		t.Fatalf("the bridge never said it was disconnected (log: %v, /readyz 503: %v)", !logged.IsZero(), seen)
	}
	logAfter, readyAfter := logged.Sub(r.faultAt), notReady.Sub(r.faultAt)
	t.Logf("detection: /readyz 503 after %v, log \"disconnected from NATS\" after %v (bound %v)",
		readyAfter.Round(time.Millisecond), logAfter.Round(time.Millisecond), r.sc.detectWithin)
	if bound := r.sc.detectWithin; logAfter > bound || readyAfter > bound {
		t.Errorf("the bridge noticed the fault after %v (log) and %v (/readyz), want within %v", logAfter, readyAfter, bound)
	}
}

// startLoad starts publishing the scenario's messages.
func (r *netRig) startLoad(t *testing.T) {
	t.Helper()
	r.loadAt = time.Now()
	r.load = startNetLoad(t, r.nc, r.js, r.sc)
}

// waitOut waits until OUT holds k messages: the flow is under way.
func (r *netRig) waitOut(t *testing.T, k int) {
	t.Helper()
	waitMsgs(t, r.outJS, "OUT", uint64(k), time.Minute)
}

// waitLogged waits until the bridge has logged a disconnection since the
// fault began.
func (r *netRig) waitLogged(t *testing.T, timeout time.Duration) {
	t.Helper()
	natstest.WaitFor(t, timeout, func() error {
		for _, e := range r.bridge.connEvents() {
			if !e.up && !e.at.Before(r.faultAt.Truncate(time.Millisecond)) {
				return nil
			}
		}
		return fmt.Errorf("%w: no disconnection logged since the fault", natstest.ErrTest)
	})
}

// partition drops every byte both ways, closing nothing, for d, once a
// seventh of the messages are through (a trickle goes on during it); then
// the network heals.
func partition(d time.Duration) func(*testing.T, *netRig) {
	return func(t *testing.T, r *netRig) {
		r.startLoad(t)
		r.waitOut(t, r.sc.n/7)
		r.faultAt = time.Now()
		for _, dir := range []string{upstream, downstream} {
			r.proxy.add(t, toxic{Name: "partition-" + dir, Type: "timeout", Stream: dir, Toxicity: 1, Attributes: map[string]any{"timeout": 0}})
		}
		<-time.After(d) // the length of the partition, not a wait for an event
		for _, dir := range []string{upstream, downstream} {
			r.proxy.remove(t, "partition-"+dir)
		}
		r.healedAt = time.Now()
	}
}

// latency delays every byte both ways by d ± jitter while all the messages
// go through.
func latency(d, jitter time.Duration) func(*testing.T, *netRig) {
	return func(t *testing.T, r *netRig) {
		r.faultAt = time.Now()
		for _, dir := range []string{upstream, downstream} {
			r.proxy.add(t, toxic{Name: "latency-" + dir, Type: "latency", Stream: dir, Toxicity: 1,
				Attributes: map[string]any{"latency": d.Milliseconds(), "jitter": jitter.Milliseconds()}})
		}
		// The delay is real: a message through the core route crosses the
		// proxy twice.
		start := time.Now()
		waitCoreFlow(t, r.nc, r.core, "core.in.probe", "latency")
		if rtt := time.Since(start); rtt < 2*(d-jitter) {
			t.Fatalf("a core message went through the bridge in %v, under 2 × (%v - %v)", rtt, d, jitter)
		}
		r.startLoad(t)
		r.waitOut(t, r.sc.n)
		for _, dir := range []string{upstream, downstream} {
			r.proxy.remove(t, "latency-"+dir)
		}
		r.healedAt = time.Now()
	}
}

// bandwidth limits both ways to rate KB/s, then sends the messages in one
// burst and lets them all through before lifting the limit.
func bandwidth(rate int) func(*testing.T, *netRig) {
	return func(t *testing.T, r *netRig) {
		r.faultAt = time.Now()
		for _, dir := range []string{upstream, downstream} {
			r.proxy.add(t, toxic{Name: "bandwidth-" + dir, Type: "bandwidth", Stream: dir, Toxicity: 1,
				Attributes: map[string]any{"rate": rate}})
		}
		r.startLoad(t)
		r.waitOut(t, r.sc.n)
		if err := r.load.wait(time.Minute); err != nil {
			t.Fatal(err)
		}
		natstest.WaitFor(t, time.Minute, func() error {
			if got, _ := r.core.count(corePrefix(r.sc)); got < r.sc.n {
				return fmt.Errorf("%w: %d of %d core messages arrived", natstest.ErrTest, got, r.sc.n)
			}
			return nil
		})
		took := time.Since(r.loadAt)
		// Both routes' inputs cross the proxy towards the bridge: the limit
		// is real if that took at least most of bytes / rate.
		bytes := 2 * r.sc.n * r.sc.size
		floor := time.Duration(float64(bytes) / float64(rate*1000) * 0.8 * float64(time.Second))
		t.Logf("the burst (%d KB each way) went through in %v under %d KB/s", bytes/1000, took.Round(time.Millisecond), rate)
		if took < floor {
			t.Fatalf("the burst went through in %v, faster than the limit allows (%v)", took, floor)
		}
		for _, dir := range []string{upstream, downstream} {
			r.proxy.remove(t, "bandwidth-"+dir)
		}
		r.healedAt = time.Now()
	}
}

// reset resets the connection (RST) a third of the way through the
// messages, sent at a high rate.
func reset(t *testing.T, r *netRig) {
	r.startLoad(t)
	r.waitOut(t, r.sc.n/3)
	r.faultAt = time.Now()
	r.proxy.setToxicity(t, "reset", 1)
	r.waitLogged(t, 10*time.Second)
	// The next connections go through untouched.
	r.proxy.remove(t, "reset")
	r.healedAt = time.Now()
}

// slowClose has the server close the bridge's connection a third of the
// way through; the proxy holds the close for slowCloseDelay, during which
// the bridge writes into a connection that is gone.
func slowClose(t *testing.T, r *netRig) {
	r.startLoad(t)
	r.waitOut(t, r.sc.n/3)
	cz, err := r.srv.Connz(&server.ConnzOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var cid uint64
	for _, c := range cz.Conns {
		if c.Name == "nats-bridge" {
			cid = c.Cid
		}
	}
	if cid == 0 {
		t.Fatal("the bridge has no connection to the server")
	}
	r.faultAt = time.Now()
	if err := r.srv.DisconnectClientByID(cid); err != nil {
		t.Fatal(err)
	}
	r.waitLogged(t, slowCloseDelay+30*time.Second)
	r.proxy.remove(t, "slow-close")
	r.healedAt = time.Now()
}
