package fault_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/natstest"
)

// TestRollingRestart restarts the three nodes of a cluster one after the
// other, as an upgrade does, while a publisher feeds a JetStream route
// with R3 input and output streams at a steady rate: a round in lame-duck
// mode (the node hands over its leaderships, stops taking clients and
// closes the ones it has, spread over a few seconds), then a round of hard
// shutdowns. The output stream gets every message exactly once, and each
// time the bridge's own node goes, the bridge logs the node it moved to.
func TestRollingRestart(t *testing.T) {
	t.Parallel()
	const rate = 100 // messages per second
	servers, urls := natstest.StartCluster(t, 3, func(o *server.Options) {
		o.LameDuckDuration = 3 * time.Second
		o.LameDuckGracePeriod = 500 * time.Millisecond
	})
	nc := natstest.ConnectURL(t, strings.Join(urls, ","))
	js := newJS(t, nc)
	createStream(t, js, jetstream.StreamConfig{Name: "IN", Subjects: []string{"in.>"}, Replicas: 3})
	createStream(t, js, jetstream.StreamConfig{Name: "OUT", Subjects: []string{"out.>"}, Replicas: 3})

	p := startBridge(t, "rolling", bridgeEnv(strings.Join(urls, ","), "roll", map[string]string{
		"BRIDGE_ROUTE_0_JQ": ".",
	}))
	p.waitReady(t, 30*time.Second)
	pub := startPaced(t, js, rate)
	start := time.Now()

	moves := 0
	for _, mode := range []string{"lame duck", "hard"} {
		restarted := map[string]bool{}
		for len(restarted) < len(servers) {
			// Traffic flows before each restart.
			waitMsgs(t, js, "OUT", uint64(pub.acked())+1, time.Minute)
			home := connectedTo(t, servers, "nats-bridge")
			if home == nil {
				t.Fatal("the bridge is connected to no server")
			}
			// The bridge's node first, so that as many restarts as can
			// move the bridge.
			i := indexOf(servers, home)
			if restarted[home.Name()] {
				for j, s := range servers {
					if !restarted[s.Name()] {
						i = j
						break
					}
				}
			}
			victim := servers[i]
			restarted[victim.Name()] = true
			moved := len(p.events("reconnected to NATS"))
			at := time.Now()
			if mode == "lame duck" {
				victim.LameDuckShutdown() // returns once the server is down
			} else {
				victim.Shutdown()
			}
			victim.WaitForShutdown()
			servers[i] = natstest.Start(t, victim.Opts.Clone())
			waitCurrent(t, servers, js, "bridge-roll")
			t.Logf("%s restart of %s (bridge's node: %v): cluster current again after %v, OUT holds %d",
				mode, victim.Name(), victim == home, time.Since(at).Round(time.Millisecond), mustMsgs(t, js, "OUT"))
			if victim != home {
				continue
			}
			moves++
			ev := waitMoved(t, p, servers, moved)
			t.Logf("the bridge moved to %s: %s", ev.server, ev.line)
		}
	}
	n := pub.stop(t)
	t.Logf("restarts done %v after the start; %d messages published", time.Since(start).Round(time.Millisecond), n)
	waitMsgs(t, js, "OUT", uint64(n), 2*time.Minute)
	waitIdle(t, js, "IN", "bridge-roll", time.Minute)
	redelivered := redeliveries(t, js, "IN", "bridge-roll", n)
	p.stop(t, 15*time.Second)

	msgs := readStream(t, js, "OUT")
	lost, dups, unexpected := tally(n, numbers(t, msgs))
	ids := map[string]bool{}
	for _, m := range msgs {
		ids[m.Header.Get(nats.MsgIdHdr)] = true
	}
	t.Logf("messages %d, bridge moves %d, redeliveries %d, OUT holds %d (%d distinct Nats-Msg-Id), lost %d, duplicated %d",
		n, moves, redelivered, len(msgs), len(ids), lost, dups)
	if len(msgs) != n || len(ids) != n || lost != 0 || dups != 0 || len(unexpected) != 0 {
		t.Fatalf("OUT holds %d messages with %d distinct Nats-Msg-Id (want %d): %d lost, %d duplicated, unexpected %v",
			len(msgs), len(ids), n, lost, dups, unexpected)
	}
	if moves == 0 {
		t.Fatal("no restart moved the bridge")
	}
}

func indexOf(servers []*natstest.Server, s *natstest.Server) int {
	for i, x := range servers {
		if x == s {
			return i
		}
	}
	return -1
}

func mustMsgs(t *testing.T, js jetstream.JetStream, stream string) uint64 {
	t.Helper()
	n, err := streamMsgs(js, stream)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitCurrent waits until the cluster is whole again: every server routed
// to every other, the meta group current, and the streams and the durable
// led, with both followers current.
func waitCurrent(t *testing.T, servers []*natstest.Server, js jetstream.JetStream, durable string) {
	t.Helper()
	natstest.WaitFor(t, time.Minute, func() error {
		if err := natstest.ClusterReady(servers); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		for _, name := range []string{"IN", "OUT"} {
			s, err := js.Stream(ctx, name)
			if err != nil {
				return err
			}
			info, err := s.Info(ctx)
			if err != nil {
				return err
			}
			if err := groupCurrent("stream "+name, info.Cluster); err != nil {
				return err
			}
		}
		c, err := js.Consumer(ctx, "IN", durable)
		if err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		return groupCurrent("consumer "+durable, info.Cluster)
	})
}

func groupCurrent(what string, ci *jetstream.ClusterInfo) error {
	if ci == nil || ci.Leader == "" {
		return fmt.Errorf("%w: %s has no leader", natstest.ErrTest, what)
	}
	if len(ci.Replicas) != 2 {
		return fmt.Errorf("%w: %s has %d followers", natstest.ErrTest, what, len(ci.Replicas))
	}
	for _, r := range ci.Replicas {
		if !r.Current || r.Offline {
			return fmt.Errorf("%w: %s: follower %s current %v, offline %v", natstest.ErrTest, what, r.Name, r.Current, r.Offline)
		}
	}
	return nil
}

// moveEvent is a "reconnected to NATS" line of the bridge's log.
type moveEvent struct {
	server, line string
}

var reconnectedServerRE = regexp.MustCompile(`msg="reconnected to NATS".* server=(\S+)`)

// waitMoved waits until the bridge has logged a reconnection beyond the
// first after ones, and checks that it names the server the bridge is
// connected to.
func waitMoved(t *testing.T, p *bridgeProc, servers []*natstest.Server, after int) moveEvent {
	t.Helper()
	var ev moveEvent
	natstest.WaitFor(t, 30*time.Second, func() error {
		evs := p.events("reconnected to NATS")
		if len(evs) <= after {
			return fmt.Errorf("%w: the bridge has logged no reconnection since its node went down", natstest.ErrTest)
		}
		m := reconnectedServerRE.FindStringSubmatch(evs[after].line)
		if m == nil {
			return fmt.Errorf("%w: the reconnection names no server: %s", natstest.ErrTest, evs[after].line)
		}
		ev = moveEvent{server: m[1], line: evs[after].line}
		return nil
	})
	var home *natstest.Server
	natstest.WaitFor(t, 30*time.Second, func() error {
		if home = connectedTo(t, servers, "nats-bridge"); home == nil {
			return fmt.Errorf("%w: the bridge is connected to no server", natstest.ErrTest)
		}
		return nil
	})
	if !strings.HasSuffix(ev.server, ":"+home.Port()) {
		t.Errorf("the bridge logged a reconnection to %s, but is connected to %s (%s)", ev.server, home.Name(), home.ClientURL())
	}
	return ev
}

// pacedPublisher publishes numbered messages at a steady rate until stopped, each
// with a Nats-Msg-Id and retried until the stream acknowledges it, so that
// the input stream holds each exactly once whatever the cluster does.
type pacedPublisher struct {
	cancel context.CancelFunc
	done   chan struct{}
	n      atomic.Int64 // acknowledged
	err    error        // set before done is closed
}

func startPaced(t *testing.T, js jetstream.JetStream, rate float64) *pacedPublisher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &pacedPublisher{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.err = p.run(ctx, js, rate)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}

func (p *pacedPublisher) acked() int { return int(p.n.Load()) }

func (p *pacedPublisher) run(ctx context.Context, js jetstream.JetStream, rate float64) error {
	start := time.Now()
	for i := 0; ; i++ {
		// Pacing, not synchronization.
		wait := time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second))))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(max(wait, 0)):
		}
		m := numbered(i)
		m.Header = nats.Header{nats.MsgIdHdr: {fmt.Sprintf("in-%d", i)}}
		// Once begun, a message is published to the end, so that the
		// count is exact.
		giveUp := time.Now().Add(time.Minute)
		for {
			pctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := js.PublishMsg(pctx, m)
			cancel()
			if err == nil {
				break
			}
			if time.Now().After(giveUp) {
				return fmt.Errorf("publish %d: not acknowledged within a minute: %w", i, err)
			}
			// A stream without a leader, or still storing the first
			// attempt, answers at once: back off.
			<-time.After(50 * time.Millisecond)
		}
		p.n.Add(1)
	}
}

// stop stops publishing and returns how many messages were published.
func (p *pacedPublisher) stop(t *testing.T) int {
	t.Helper()
	p.cancel()
	<-p.done
	if p.err != nil {
		t.Fatal(p.err)
	}
	return p.acked()
}
