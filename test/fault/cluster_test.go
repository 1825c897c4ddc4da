package fault_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/natstest"
)

// connectedTo returns the server of servers that has a client connection
// named name, or nil.
func connectedTo(t *testing.T, servers []*natstest.Server, name string) *natstest.Server {
	t.Helper()
	for _, s := range servers {
		if !s.Running() {
			continue
		}
		cz, err := s.Connz(&server.ConnzOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cz.Conns {
			if c.Name == name {
				return s
			}
		}
	}
	return nil
}

// leaders describes where the leaders of the streams and of the durable
// are.
func leaders(servers []*natstest.Server, durable string) string {
	var b strings.Builder
	for _, s := range servers {
		if !s.Running() {
			continue
		}
		var roles []string
		for _, stream := range []string{"IN", "OUT"} {
			if s.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
				roles = append(roles, stream)
			}
		}
		if s.JetStreamIsConsumerLeader(server.DEFAULT_GLOBAL_ACCOUNT, "IN", durable) {
			roles = append(roles, durable)
		}
		if len(roles) > 0 {
			b.WriteString(" " + s.Name() + ": leader of " + strings.Join(roles, ", ") + ";")
		}
	}
	return b.String()
}

// TestClusterFailover runs a bridge against a three-node cluster with R3
// input and output streams and shuts one node down in the middle of the
// flow: the output stream gets every message exactly once.
func TestClusterFailover(t *testing.T) {
	tests := []struct {
		name string
		// victim picks the node to shut down, given the bridge's.
		victim func(t *testing.T, servers []*natstest.Server, home *natstest.Server) *natstest.Server
	}{{
		// The bridge reconnects to another node.
		name: "bridge's server",
		victim: func(_ *testing.T, _ []*natstest.Server, home *natstest.Server) *natstest.Server {
			return home
		},
	}, {
		// Only the output stream's leader: the bridge stays connected, and
		// publishes in flight to the dying leader are never acknowledged.
		name:   "output stream leader",
		victim: outputLeaderAlone,
	}, {
		// The bridge's pull requests wait on the dying leader. The leader
		// is not moved first, as moving it stalls the consumer just the
		// same; if it is the bridge's server, both fail at once.
		name: "consumer leader",
		victim: func(t *testing.T, servers []*natstest.Server, _ *natstest.Server) *natstest.Server {
			t.Helper()
			return leaderOf(t, servers, "IN", "bridge-c")
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 10_000
			servers, urls := natstest.StartCluster(t, 3)
			nc := natstest.ConnectURL(t, strings.Join(urls, ","))
			js := newJS(t, nc)
			createStream(t, js, jetstream.StreamConfig{Name: "IN", Subjects: []string{"in.>"}, Replicas: 3})
			createStream(t, js, jetstream.StreamConfig{Name: "OUT", Subjects: []string{"out.>"}, Replicas: 3})
			js.publishAll(t, n, numbered)

			p := startBridge(t, "cluster", bridgeEnv(strings.Join(urls, ","), "c", map[string]string{
				"BRIDGE_ROUTE_0_JQ": ".",
			}))
			p.waitReady(t, 30*time.Second)
			home := connectedTo(t, servers, "nats-bridge")
			if home == nil {
				t.Fatal("the bridge is connected to no server")
			}
			victim := tt.victim(t, servers, home)
			waitMsgs(t, js, "OUT", n/3, time.Minute)
			before, _ := streamMsgs(js, "OUT")
			t.Logf("bridge on %s; shutting down %s at %d of %d messages in OUT;%s",
				home.Name(), victim.Name(), before, n, leaders(servers, "bridge-c"))
			start := time.Now()
			victim.Shutdown()
			victim.WaitForShutdown()

			waitMsgs(t, js, "OUT", n, 2*time.Minute)
			t.Logf("OUT complete %v after the shutdown", time.Since(start).Round(time.Millisecond))
			waitIdle(t, js, "IN", "bridge-c", time.Minute)
			t.Logf("flow finished %v after the shutdown; bridge on %s;%s", time.Since(start).Round(time.Millisecond),
				connectedTo(t, servers, "nats-bridge").Name(), leaders(servers, "bridge-c"))
			redelivered := redeliveries(t, js, "IN", "bridge-c", n)
			p.stop(t, 15*time.Second)
			t.Logf("bridge stopped %v after the shutdown", time.Since(start).Round(time.Millisecond))

			msgs := readStream(t, js, "OUT")
			t.Logf("OUT read %v after the shutdown", time.Since(start).Round(time.Millisecond))
			lost, dups, unexpected := tally(n, numbers(t, msgs))
			t.Logf("messages %d, redeliveries %d, OUT holds %d, lost %d, duplicates %d", n, redelivered, len(msgs), lost, dups)
			if len(msgs) != n || lost != 0 || dups != 0 || len(unexpected) != 0 {
				t.Fatalf("OUT holds %d messages (want %d): %d lost, %d duplicated, unexpected %v", len(msgs), n, lost, dups, unexpected)
			}
		})
	}
}

// leaderOf returns the leader of a stream, or of one of its consumers.
func leaderOf(t *testing.T, servers []*natstest.Server, stream, consumer string) *natstest.Server {
	t.Helper()
	var leader *natstest.Server
	natstest.WaitFor(t, 30*time.Second, func() error {
		for _, s := range servers {
			if consumer == "" && s.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) ||
				consumer != "" && s.JetStreamIsConsumerLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream, consumer) {
				leader = s
				return nil
			}
		}
		return fmt.Errorf("%w: %s %s has no leader", natstest.ErrTest, stream, consumer)
	})
	return leader
}

// outputLeaderAlone moves the leadership of the OUT stream, if needed,
// until its leader is neither the bridge's server nor the consumer's
// leader, and returns it.
func outputLeaderAlone(t *testing.T, servers []*natstest.Server, home *natstest.Server) *natstest.Server {
	t.Helper()
	var leader *natstest.Server
	natstest.WaitFor(t, 30*time.Second, func() error {
		leader = leaderOf(t, servers, "OUT", "")
		if leader != home && leader != leaderOf(t, servers, "IN", "bridge-c") {
			return nil
		}
		if err := leader.JetStreamStepdownStream(server.DEFAULT_GLOBAL_ACCOUNT, "OUT"); err != nil {
			return err
		}
		return fmt.Errorf("%w: OUT's leader %s also serves the bridge or leads its consumer; stepping down",
			natstest.ErrTest, leader.Name())
	})
	return leader
}
