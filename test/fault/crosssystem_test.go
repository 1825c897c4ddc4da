package fault_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/natstest"
)

// The two systems of the cross-system tests know nothing of each other and
// authenticate differently: the edge by user and password, the central
// system by token. The bridge reaches the edge as its default connection
// and the central system as the connection named "central".
const (
	edgeUser     = "bridge"
	edgePassword = "edge-secret"
	centralToken = "central-token"
	centralConn  = "central"
)

// twoSystems is an edge and a central server, each with JetStream, and a
// test client on each.
type twoSystems struct {
	edge, central *natstest.Server
	ncEdge        *nats.Conn
	ncCentral     *nats.Conn
	jsEdge        *jsClient
	jsCentral     *jsClient
	centralURL    string // what the bridge dials for "central"
}

func startTwoSystems(t *testing.T) *twoSystems {
	t.Helper()
	oe := natstest.Options(t)
	oe.Username, oe.Password = edgeUser, edgePassword
	oc := natstest.Options(t)
	oc.Authorization = centralToken
	s := &twoSystems{edge: natstest.Start(t, oe), central: natstest.Start(t, oc)}
	s.ncEdge = natstest.Connect(t, s.edge, nats.UserInfo(edgeUser, edgePassword))
	s.ncCentral = natstest.Connect(t, s.central, nats.Token(centralToken))
	s.jsEdge, s.jsCentral = newJS(t, s.ncEdge), newJS(t, s.ncCentral)
	s.centralURL = s.central.ClientURL()
	return s
}

// env returns the environment of a bridge whose default connection is the
// edge and whose "central" connection is the central system, plus routes
// (BRIDGE_ROUTE_* variables) and any other variable of extra.
func (s *twoSystems) env(extra map[string]string) map[string]string {
	env := map[string]string{
		"NATS_URL":                s.edge.ClientURL(),
		"NATS_USER":               edgeUser,
		"NATS_PASSWORD":           edgePassword,
		"BRIDGE_CONN_0_NAME":      centralConn,
		"BRIDGE_CONN_0_URL":       s.centralURL,
		"BRIDGE_CONN_0_TOKEN":     centralToken,
		"BRIDGE_METRICS_ADDR":     "127.0.0.1:0",
		"BRIDGE_LOG_LEVEL":        "info",
		"BRIDGE_SHUTDOWN_TIMEOUT": "10s",
	}
	maps.Copy(env, extra)
	return env
}

// stopCentral shuts the central server down, keeping its store.
func (s *twoSystems) stopCentral() {
	s.central.Shutdown()
	s.central.WaitForShutdown()
}

// startCentral starts the central server again, on the same port with the
// same store.
func (s *twoSystems) startCentral(t *testing.T) {
	t.Helper()
	s.central = natstest.Start(t, s.central.Opts.Clone())
}

// jsRoute returns the variables of route n: a JetStream route named name
// from the edge's stream IN (in.>) to out.> on the central system.
func jsRoute(n int, name string, extra map[string]string) map[string]string {
	p := fmt.Sprintf("BRIDGE_ROUTE_%d_", n)
	env := map[string]string{
		p + "NAME":        name,
		p + "IN":          "in.>",
		p + "OUT":         "out.>",
		p + "OUT_CONN":    centralConn,
		p + "STREAM":      "IN",
		p + "DURABLE":     "bridge-" + name,
		p + "ACK_WAIT":    "2s",
		p + "TIMEOUT":     "1s",
		p + "BUFFER":      "256",
		p + "MAX_DELIVER": "1000",
	}
	for k, v := range extra {
		env[p+k] = v
	}
	return env
}

// coreRoute returns the variables of route n: a core route named name from
// in on the edge to out on the central system.
func coreRoute(n int, name, in, out string, extra map[string]string) map[string]string {
	p := fmt.Sprintf("BRIDGE_ROUTE_%d_", n)
	env := map[string]string{p + "NAME": name, p + "IN": in, p + "OUT": out, p + "OUT_CONN": centralConn}
	for k, v := range extra {
		env[p+k] = v
	}
	return env
}

// union merges sets of variables.
func union(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}

// TestCrossSystemCore carries core messages from the edge to the central
// system on the same subject (a loop only within one system): every one
// arrives once, and the route's metrics account for every input.
func TestCrossSystemCore(t *testing.T) {
	t.Parallel()
	const n = 20_000
	s := startTwoSystems(t)
	got := collectCore(t, s.ncCentral, "tele.>")
	p := startBridge(t, "cross-core", s.env(coreRoute(0, "up", "tele.>", "tele.>", nil)))
	p.waitReady(t, 30*time.Second)
	waitCoreFlow(t, s.ncEdge, got, "tele.probe", "up")
	sendCore(t, s.ncEdge, got, "tele.site1", "up", n)

	arrived, _ := got.count("")
	a := waitAccounted(t, p, "up", func(a routeAccounts) error {
		if a.Out != float64(arrived) {
			return fmt.Errorf("%w: %v outputs, %d arrived", natstest.ErrTest, a.Out, arrived)
		}
		return nil
	})
	t.Logf("route up: %+v; %d arrived on the central system", a, arrived)
	if a.In < n || a.Failed != 0 || a.Dropped != 0 || a.Processed != a.In {
		t.Errorf("route up: %+v, want %d or more in, all processed", a, n)
	}
	p.stop(t, 15*time.Second)
	for _, secret := range []string{edgePassword, centralToken} {
		if strings.Contains(p.log.String(), secret) {
			t.Errorf("the bridge logs the secret %q", secret)
		}
	}
}

// TestCrossSystemCrashRestart carries 50,000 messages from a stream of the
// edge into a stream of the central system through three SIGKILLs of the
// bridge and a restart of the central server: the central stream ends with
// every message exactly once, each under its own Nats-Msg-Id, and nothing
// is left pending on the edge. Like TestCrashRestart, the kills and the
// central restart must hit deliveries in flight (a kill can fall between
// two pulls, with everything delivered acknowledged: at least one of the
// four must), and the consumer must have redelivered.
func TestCrossSystemCrashRestart(t *testing.T) {
	const n = 50_000
	rng := rand.New(rand.NewPCG(seed(t), 0))
	s := startTwoSystems(t)
	createStream(t, s.jsEdge, jetstream.StreamConfig{Name: "IN", Subjects: []string{"in.>"}})
	createStream(t, s.jsEdge, jetstream.StreamConfig{Name: "DLQ", Subjects: []string{"dlq.>"}})
	createStream(t, s.jsCentral, jetstream.StreamConfig{Name: "OUT", Subjects: []string{"out.>"}}) // duplicate window: 2m
	s.jsEdge.publishAll(t, n, numbered)

	env := s.env(jsRoute(0, "up", map[string]string{"JQ": ".", "DLQ": "dlq.up"}))
	start := time.Now()
	p := startBridge(t, "xcrash-0", env)
	restarts, hits := 0, 0
	for _, at := range []float64{0.05, 0.25, 0.45} {
		target := uint64(float64(n) * (at + 0.1*rng.Float64()))
		waitMsgs(t, s.jsCentral, "OUT", target, time.Minute)
		p.kill()
		got, _ := streamMsgs(s.jsCentral, "OUT")
		restarts++
		held := ackPending(t, s.jsEdge, "IN", "bridge-up")
		t.Logf("SIGKILL %d at %d messages in OUT (target %d), %d deliveries unacknowledged, %v in",
			restarts, got, target, held, time.Since(start).Round(time.Millisecond))
		if held > 0 {
			hits++
		}
		p = startBridge(t, fmt.Sprintf("xcrash-%d", restarts), env)
	}

	// The central server restarts under the flow.
	waitMsgs(t, s.jsCentral, "OUT", uint64(n*3/4), time.Minute)
	before, _ := streamMsgs(s.jsCentral, "OUT")
	s.stopCentral()
	held := ackPending(t, s.jsEdge, "IN", "bridge-up")
	s.startCentral(t)
	t.Logf("central server restarted at %d messages in OUT, %d deliveries unacknowledged, %v in",
		before, held, time.Since(start).Round(time.Millisecond))
	if held > 0 {
		hits++
	}
	p.waitReady(t, 30*time.Second)

	waitMsgs(t, s.jsCentral, "OUT", n, 2*time.Minute)
	waitIdle(t, s.jsEdge, "IN", "bridge-up", time.Minute)
	redelivered := redeliveries(t, s.jsEdge, "IN", "bridge-up", n)
	p.stop(t, 15*time.Second)
	t.Logf("flow finished %v after the first start", time.Since(start).Round(time.Millisecond))

	msgs := readStream(t, s.jsCentral, "OUT")
	lost, dups, unexpected := tally(n, numbers(t, msgs))
	ids := map[string]bool{}
	for _, m := range msgs {
		ids[m.Header.Get(nats.MsgIdHdr)] = true
	}
	dead, err := streamMsgs(s.jsEdge, "DLQ")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("messages %d, SIGKILLs %d, central restarts 1, redeliveries %d, OUT holds %d with %d distinct Nats-Msg-Id, lost %d, duplicates %d, dead-lettered %d",
		n, restarts, redelivered, len(msgs), len(ids), lost, dups, dead)
	if len(msgs) != n || lost != 0 || dups != 0 || len(unexpected) != 0 || dead != 0 {
		t.Fatalf("OUT holds %d messages (want %d): %d lost, %d duplicated, unexpected %v; DLQ holds %d",
			len(msgs), n, lost, dups, unexpected, dead)
	}
	if len(ids) != n || ids[""] {
		t.Errorf("%d distinct Nats-Msg-Id in OUT (want %d), one empty: %t", len(ids), n, ids[""])
	}
	if hits == 0 {
		t.Errorf("none of the %d kills and the central restart hit an unacknowledged delivery", restarts)
	}
	if redelivered == 0 {
		t.Errorf("no redelivery after %d kills: the restarts exercised nothing", restarts)
	}
}

// TestCrossSystemOutputDown stops the central server for 10 s while
// producers on the edge keep publishing, into a JetStream route and a core
// route that both publish on the central system:
//
//   - the JetStream route acknowledges nothing on the edge while the
//     central system is down, holds at most BUFFER messages, and once it
//     is back delivers every message exactly once;
//   - the core route hands its outputs to the client's reconnect buffer
//     until it is full, then counts them as failed (publish) and
//     dead-letters them on the edge: every input is accounted for, and
//     the edge's DLQ holds exactly the failed ones.
func TestCrossSystemOutputDown(t *testing.T) {
	const (
		outage  = 10 * time.Second
		buffer  = 256
		jsRate  = 500  // JetStream messages per second
		coreHz  = 1000 // core messages per second, of coreLen bytes
		coreLen = 2048 // 2 MB/s: the 8 MiB reconnect buffer fills in 4 s
	)
	s := startTwoSystems(t)
	createStream(t, s.jsEdge, jetstream.StreamConfig{Name: "IN", Subjects: []string{"in.>"}})
	createStream(t, s.jsEdge, jetstream.StreamConfig{Name: "DLQ", Subjects: []string{"dlq.>"}})
	createStream(t, s.jsCentral, jetstream.StreamConfig{Name: "OUT", Subjects: []string{"out.>"}})
	probes := collectCore(t, s.ncCentral, "core.out.probe")

	p := startBridge(t, "xdown", s.env(union(
		jsRoute(0, "js", map[string]string{"BUFFER": strconv.Itoa(buffer)}),
		coreRoute(1, "core", "core.in.>", "core.out.>", map[string]string{"DLQ": "dlq.core"}),
	)))
	p.waitReady(t, 30*time.Second)
	waitCoreFlow(t, s.ncEdge, probes, "core.in.probe", "before")

	var jsSent, coreSent atomic.Int64
	ctx, stop := context.WithCancel(t.Context())
	var producers sync.WaitGroup
	t.Cleanup(func() { stop(); producers.Wait() })
	pad := strings.Repeat("x", coreLen)
	producers.Go(func() {
		paced(ctx, jsRate, func(i int) {
			if _, err := s.jsEdge.PublishMsgAsync(numbered(i), jetstream.WithStallWait(time.Minute)); err != nil {
				s.jsEdge.pubErrs.Add(1)
			}
			jsSent.Add(1)
		})
	})
	producers.Go(func() {
		paced(ctx, coreHz, func(i int) {
			if err := s.ncEdge.Publish("core.in.load", fmt.Appendf(nil, "%d-%s", i, pad)); err == nil {
				coreSent.Add(1)
			}
		})
	})

	waitMsgs(t, s.jsCentral, "OUT", 1000, 30*time.Second)
	s.stopCentral()
	down := time.Now()
	t.Logf("central server down with %d JetStream and %d core messages sent", jsSent.Load(), coreSent.Load())

	// Nothing is acknowledged on the edge while the central system is
	// down (what it stored before is acknowledged within moments: 2 s are
	// allowed), and the route holds at most BUFFER messages.
	var ackedEarly uint64
	early, maxHeld := false, 0
	natstest.WaitFor(t, outage+5*time.Second, func() error {
		if held := ackPending(t, s.jsEdge, "IN", "bridge-js"); held > maxHeld {
			maxHeld = held
		}
		d := time.Since(down)
		if d >= 2*time.Second && !early {
			ackedEarly, early = acked(t, s.jsEdge, "IN", "bridge-js"), true
		}
		if d < outage {
			return fmt.Errorf("%w: %v into the outage", natstest.ErrTest, d)
		}
		return nil
	})
	ackedLate := acked(t, s.jsEdge, "IN", "bridge-js")
	code, body, err := p.get("/readyz")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("outage of %v: %d acknowledged on the edge 2 s in, %d at the end, at most %d unacknowledged; /readyz %d %q",
		time.Since(down).Round(time.Millisecond), ackedEarly, ackedLate, maxHeld, code, strings.TrimSpace(body))
	if ackedLate != ackedEarly {
		t.Errorf("%d messages acknowledged on the edge while the central system was down", ackedLate-ackedEarly)
	}
	if maxHeld > buffer {
		t.Errorf("the JetStream route held %d unacknowledged messages, BUFFER is %d", maxHeld, buffer)
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `connection "central"`) {
		t.Errorf("/readyz during the outage: %d %q, want 503 naming central", code, body)
	}

	s.startCentral(t)
	back := time.Now()
	p.waitReady(t, 30*time.Second)
	waitCoreFlow(t, s.ncEdge, probes, "core.in.probe", "after")
	stop()
	producers.Wait()
	select {
	case <-s.jsEdge.PublishAsyncComplete():
	case <-time.After(time.Minute):
		t.Fatalf("%d JetStream publishes not acknowledged", s.jsEdge.PublishAsyncPending())
	}
	if e := s.jsEdge.pubErrs.Load(); e != 0 {
		t.Fatalf("%d JetStream publishes on the edge failed", e)
	}
	nJS, nCore := int(jsSent.Load()), coreSent.Load()
	t.Logf("ready %v after the central server came back; producers stopped at %d JetStream and %d core messages",
		time.Since(back).Round(time.Millisecond), nJS, nCore)

	// JetStream: 0 lost, 0 duplicated.
	waitMsgs(t, s.jsCentral, "OUT", uint64(nJS), 2*time.Minute)
	waitIdle(t, s.jsEdge, "IN", "bridge-js", time.Minute)
	t.Logf("JetStream route drained %v after the central server came back", time.Since(back).Round(time.Millisecond))
	msgs := readStream(t, s.jsCentral, "OUT")
	if lost, dups, unexpected := tally(nJS, numbers(t, msgs)); len(msgs) != nJS || lost != 0 || dups != 0 || len(unexpected) != 0 {
		t.Errorf("JetStream route: OUT holds %d of %d messages: %d lost, %d duplicated, unexpected %v", len(msgs), nJS, lost, dups, unexpected)
	}

	// Core: every input accounted for, the failed ones in the edge's DLQ.
	a := waitAccounted(t, p, "core", nil)
	dead, err := streamMsgs(s.jsEdge, "DLQ")
	if err != nil {
		t.Fatal(err)
	}
	sentProbes, _ := probes.count("probe-")
	t.Logf("core route: %+v; %d load messages sent, probes seen %d, DLQ holds %d", a, nCore, sentProbes, dead)
	if a.In < float64(nCore) {
		t.Errorf("core route took in %v messages, %d were published on the edge", a.In, nCore)
	}
	if a.FailedPublish == 0 {
		t.Error("no core output failed: the reconnect buffer never filled, the outage exercised nothing")
	}
	if a.Failed != a.FailedPublish || a.Dropped != 0 {
		t.Errorf("core route: failures other than publish, or drops: %+v", a)
	}
	if float64(dead) != a.FailedPublish || a.DeadLettered != a.FailedPublish {
		t.Errorf("core route: %v failed (publish), %v dead-lettered, the edge's DLQ holds %d", a.FailedPublish, a.DeadLettered, dead)
	}
	p.stop(t, 15*time.Second)
}

// paced calls f with 0, 1, 2… at rate calls per second until ctx is done,
// catching up after a slow tick.
func paced(ctx context.Context, rate int, f func(i int)) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	for i := 0; ; {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for due := int(time.Since(start).Seconds() * float64(rate)); i < due; i++ {
			f(i)
		}
	}
}

// acked returns how many messages of its stream the durable consumer has
// had acknowledged: every message up to the last one delivered that does
// not await acknowledgement.
func acked(t *testing.T, js jetstream.JetStream, stream, durable string) uint64 {
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
	return info.Delivered.Stream - uint64(info.NumAckPending)
}

// TestCrossSystemRequestReply has 50 requesters on the edge, each on its
// own connection, ask a service on the central system through the bridge,
// all at once: each gets its own answer. Two responders answer every
// request, so every request also has a second, unmatched response; and a
// request nobody answers expires. bridge_replies_total counts each.
func TestCrossSystemRequestReply(t *testing.T) {
	t.Parallel()
	const requesters, each = 50, 20
	s := startTwoSystems(t)
	for i := range 2 {
		sub, err := s.ncCentral.Subscribe("svc.>", func(m *nats.Msg) {
			if m.Subject == "svc.silent" {
				return
			}
			_ = m.Respond(fmt.Appendf(nil, "answer to %s from %d", m.Data, i))
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sub.Unsubscribe() })
	}
	if err := s.ncCentral.Flush(); err != nil {
		t.Fatal(err)
	}
	p := startBridge(t, "xreply", s.env(coreRoute(0, "api", "api.>", "svc.>", map[string]string{"REPLY_TIMEOUT": "2s"})))
	p.waitReady(t, 30*time.Second)
	// The route's subscription on the edge is in place once a request
	// gets through.
	natstest.WaitFor(t, 30*time.Second, func() error {
		_, err := s.ncEdge.Request("api.warmup", []byte("warmup"), time.Second)
		return err
	})
	warm, _, err := p.metric("bridge_messages_in_total", `route="api"`)
	if err != nil {
		t.Fatal(err)
	}

	var answered atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, requesters*each)
	start := time.Now()
	for r := range requesters {
		nc := natstest.Connect(t, s.edge, nats.UserInfo(edgeUser, edgePassword))
		wg.Go(func() {
			for i := range each {
				req := fmt.Sprintf("r%d-%d", r, i)
				resp, err := nc.Request("api.q", []byte(req), 10*time.Second)
				if err != nil {
					errs <- fmt.Errorf("%s: %w", req, err)
					continue
				}
				if !strings.HasPrefix(string(resp.Data), "answer to "+req+" from ") {
					errs <- fmt.Errorf("%s answered %q", req, resp.Data)
					continue
				}
				answered.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d requesters × %d requests: %d answered in %v", requesters, each, answered.Load(), time.Since(start).Round(time.Millisecond))
	if _, err := s.ncEdge.Request("api.silent", []byte("x"), 100*time.Millisecond); err == nil {
		t.Error("a request nobody answers got an answer")
	}

	// The warm-up requests were answered too, and each had its second
	// response.
	want := answered.Load() + int64(warm)
	natstest.WaitFor(t, 10*time.Second, func() error {
		f, _, err1 := p.metric("bridge_replies_total", `outcome="forwarded",route="api"`)
		u, _, err2 := p.metric("bridge_replies_total", `outcome="unmatched",route="api"`)
		e, _, err3 := p.metric("bridge_replies_total", `outcome="expired",route="api"`)
		if err := errors.Join(err1, err2, err3); err != nil {
			return err
		}
		if int64(f) != want || int64(u) != want || e != 1 {
			return fmt.Errorf("%w: forwarded %v, unmatched %v, expired %v; want %d, %d, 1", natstest.ErrTest, f, u, e, want, want)
		}
		return nil
	})
	if answered.Load() != requesters*each {
		t.Errorf("%d of %d requests answered", answered.Load(), requesters*each)
	}
	p.stop(t, 15*time.Second)
}

// TestCrossSystemReadiness checks /readyz and the connection metrics when
// the central system goes away: killed (its sockets close), and then
// silent behind a proxy that drops every byte, where only pings tell. Each
// time /readyz answers 503 naming the connection within 5 s of the client
// noticing, and 200 again once the central system is back.
func TestCrossSystemReadiness(t *testing.T) {
	t.Parallel()
	const (
		interval = 500 * time.Millisecond
		pingsOut = 2
	)
	s := startTwoSystems(t)
	proxy := natstest.NewProxy(t, s.central.Addr().String())
	s.centralURL = proxy.URL()
	p := startBridge(t, "xready", s.env(union(
		map[string]string{"NATS_PING_INTERVAL": interval.String(), "NATS_MAX_PINGS_OUT": strconv.Itoa(pingsOut)},
		coreRoute(0, "up", "x.>", "x.>", nil),
	)))
	p.waitReady(t, 30*time.Second)
	expectConnected(t, p, 1, 1)

	// Killed.
	s.stopCentral()
	killed := time.Now()
	noticed := waitNotReady(t, p, 5*time.Second, "")
	t.Logf("central killed: /readyz 503 after %v", noticed.Sub(killed).Round(time.Millisecond))
	expectConnected(t, p, 1, 0)
	s.startCentral(t)
	p.waitReady(t, 30*time.Second)
	expectConnected(t, p, 1, 1)
	if r, _, err := p.metric("bridge_nats_reconnects_total", `connection="central"`); err != nil || r < 1 {
		t.Errorf("bridge_nats_reconnects_total{connection=\"central\"} = %v (%v), want at least 1", r, err)
	}

	// Silent: noticed through pings, within interval × (pingsOut + 1).
	proxy.Blackhole()
	silent := time.Now()
	noticed = waitNotReady(t, p, interval*(pingsOut+1)+5*time.Second, `err="nats: stale connection"`)
	t.Logf("central silent: /readyz 503 after %v (ping bound %v)", noticed.Sub(silent).Round(time.Millisecond), interval*(pingsOut+1))
	expectConnected(t, p, 1, 0)
	proxy.Heal()
	p.waitReady(t, 30*time.Second)
	expectConnected(t, p, 1, 1)
	p.stop(t, 15*time.Second)
}

// waitNotReady waits up to timeout for /readyz to answer 503 naming the
// central connection, and checks that it did so within 5 s of the log
// saying that the client noticed (with why in the line, if why is set).
// It returns when /readyz first answered so.
func waitNotReady(t *testing.T, p *bridgeProc, timeout time.Duration, why string) time.Time {
	t.Helper()
	from := len(p.log.String())
	line := `msg="disconnected from NATS" connection=central`
	var noticed, unready time.Time
	natstest.WaitFor(t, timeout, func() error {
		if noticed.IsZero() {
			if l := p.log.String()[from:]; strings.Contains(l, line) && strings.Contains(l, why) {
				noticed = time.Now()
			}
		}
		code, body, err := p.get("/readyz")
		if err != nil {
			return err
		}
		if code != http.StatusServiceUnavailable || !strings.Contains(body, `connection "central"`) {
			return fmt.Errorf("%w: /readyz %d %q", natstest.ErrTest, code, strings.TrimSpace(body))
		}
		unready = time.Now()
		return nil
	})
	natstest.WaitFor(t, 5*time.Second, func() error {
		if l := p.log.String()[from:]; noticed.IsZero() && strings.Contains(l, line) && strings.Contains(l, why) {
			noticed = time.Now()
		}
		if noticed.IsZero() {
			return fmt.Errorf("%w: no %s %s in the log", natstest.ErrTest, line, why)
		}
		return nil
	})
	if d := unready.Sub(noticed); d > 5*time.Second {
		t.Errorf("/readyz answered 503 %v after the log said the client noticed", d)
	}
	return unready
}

// expectConnected checks bridge_nats_connected of both connections.
func expectConnected(t *testing.T, p *bridgeProc, def, central float64) {
	t.Helper()
	for name, want := range map[string]float64{"default": def, centralConn: central} {
		got, ok, err := p.metric("bridge_nats_connected", `connection="`+name+`"`)
		if err != nil || !ok || got != want {
			t.Errorf("bridge_nats_connected{connection=%q} = %v (present %t, %v), want %v", name, got, ok, err, want)
		}
	}
}

// routeAccounts are the counters of a route, from the bridge's /metrics;
// failures and drops are summed over their reasons.
type routeAccounts struct {
	In, Processed, Filtered, Failed, Dropped, DeadLettered, Out, FailedPublish float64
}

// accounts reads the counters of route from one scrape.
func (p *bridgeProc) accounts(route string) (routeAccounts, error) {
	code, body, err := p.get("/metrics")
	if err != nil {
		return routeAccounts{}, err
	}
	if code != http.StatusOK {
		return routeAccounts{}, fmt.Errorf("/metrics: %d", code)
	}
	var errs []error
	sum := func(name string, labels ...string) float64 {
		total := 0.0
		for line := range strings.Lines(body) {
			rest, ok := strings.CutPrefix(line, name+"{")
			if !ok {
				continue
			}
			labelSet, value, ok := strings.Cut(rest, "} ")
			if !ok || !strings.Contains(labelSet, `route="`+route+`"`) {
				continue
			}
			match := true
			for _, l := range labels {
				match = match && strings.Contains(labelSet, l)
			}
			if !match {
				continue
			}
			v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
			errs = append(errs, err)
			total += v
		}
		return total
	}
	a := routeAccounts{
		In:            sum("bridge_messages_in_total"),
		Processed:     sum("bridge_messages_processed_total"),
		Filtered:      sum("bridge_messages_filtered_total"),
		Failed:        sum("bridge_messages_failed_total"),
		Dropped:       sum("bridge_messages_dropped_total"),
		DeadLettered:  sum("bridge_messages_dead_lettered_total"),
		Out:           sum("bridge_messages_out_total"),
		FailedPublish: sum("bridge_messages_failed_total", `reason="publish"`),
	}
	return a, errors.Join(errs...)
}

// waitAccounted waits until every input of route is accounted for, in =
// processed + filtered + failed + dropped, and more (if not nil) holds
// too, and returns the counters.
func waitAccounted(t *testing.T, p *bridgeProc, route string, more func(routeAccounts) error) routeAccounts {
	t.Helper()
	var a routeAccounts
	natstest.WaitFor(t, 30*time.Second, func() error {
		var err error
		if a, err = p.accounts(route); err != nil {
			return err
		}
		if settled := a.Processed + a.Filtered + a.Failed + a.Dropped; a.In == 0 || a.In != settled {
			return fmt.Errorf("%w: route %s: in %v, settled %v: %+v", natstest.ErrTest, route, a.In, settled, a)
		}
		if more != nil {
			return more(a)
		}
		return nil
	})
	return a
}

// TestCrossSystemOutageOutlastsMaxDeliver keeps the output side down for
// longer than MAX_DELIVER deliveries last, then kills the bridge (the
// outputs in its reconnect buffer go with it): nothing was the messages'
// fault, so none was given up, and a new bridge carries every one over.
func TestCrossSystemOutageOutlastsMaxDeliver(t *testing.T) {
	t.Parallel()
	const n = 100
	s := startTwoSystems(t)
	createStream(t, s.jsEdge, jetstream.StreamConfig{Name: "IN", Subjects: []string{"in.>"}})
	createStream(t, s.jsCentral, jetstream.StreamConfig{Name: "OUT", Subjects: []string{"out.>"}})
	env := s.env(jsRoute(0, "js", map[string]string{"MAX_DELIVER": "3"}))
	p := startBridge(t, "outage", env)
	p.waitReady(t, 30*time.Second)
	s.stopCentral()
	s.jsEdge.publishAll(t, n, func(i int) *nats.Msg { m := numbered(i); m.Subject = "in.0"; return m })
	// Every message fails more often than MAX_DELIVER allows.
	natstest.WaitFor(t, 2*time.Minute, func() error {
		pub, _, err := p.metric("bridge_messages_failed_total", `reason="publish"`)
		if err != nil || pub < 4*n {
			return fmt.Errorf("%w: %v publishes failed", natstest.ErrTest, pub)
		}
		return nil
	})
	if md, _, err := p.metric("bridge_messages_failed_total", `reason="max_deliver"`); err != nil || md != 0 {
		t.Fatalf("%v messages given up as max_deliver (err %v) while the output side was down", md, err)
	}
	p.kill()
	s.startCentral(t)
	p = startBridge(t, "outage-2", env)
	p.waitReady(t, 30*time.Second)
	waitIdle(t, s.jsEdge, "IN", "bridge-js", time.Minute)
	if got, _ := streamMsgs(s.jsCentral, "OUT"); got != n {
		t.Errorf("OUT holds %d of %d messages", got, n)
	}
}
