package natstest

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ClusterName is the cluster name of the servers started by StartCluster.
const ClusterName = "natstest"

// StartCluster starts n servers joined into one cluster by routes on
// loopback, each with JetStream, its own store directory and the server
// name "n<i>". It returns once every server has a route to every other one
// and the JetStream meta group has elected a leader that every server
// follows, so streams with up to n replicas can be created. It returns the
// servers and their client URLs, in the same order; each server is shut
// down when the test ends and can be restarted with Restart. Each of
// configure is applied to every server's options before it starts.
func StartCluster(t testing.TB, n int, configure ...func(*server.Options)) ([]*Server, []string) {
	t.Helper()
	if n < 2 {
		t.Fatalf("natstest: a cluster needs at least 2 servers, got %d", n)
	}
	// Every server lists every cluster address, its own included, so that
	// the JetStream meta group expects n peers from the start. The ports
	// must therefore be known before the servers start.
	ports := freePorts(t, n)
	routes := make([]string, n)
	for i, p := range ports {
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", p)
	}
	servers := make([]*Server, n)
	urls := make([]string, n)
	for i := range n {
		opts := Options(t)
		opts.ServerName = fmt.Sprintf("n%d", i)
		opts.Cluster = server.ClusterOpts{Name: ClusterName, Host: "127.0.0.1", Port: ports[i]}
		opts.Routes = server.RoutesFromStr(strings.Join(routes, ","))
		for _, c := range configure {
			c(opts)
		}
		servers[i] = Start(t, opts)
		urls[i] = servers[i].ClientURL()
	}
	WaitFor(t, 30*time.Second, func() error { return ClusterReady(servers) })
	return servers, urls
}

// ClusterReady returns nil when every running server in servers has a route
// to every other running one, one of them is the JetStream meta leader, and
// every one is current with the meta group.
func ClusterReady(servers []*Server) error {
	var up []*Server
	for _, s := range servers {
		if s.Running() {
			up = append(up, s)
		}
	}
	leaders := 0
	for _, s := range up {
		if got := s.NumRemotes(); got != len(up)-1 {
			return fmt.Errorf("%w: server %s has routes to %d servers, want %d", ErrTest, s.Name(), got, len(up)-1)
		}
		if !s.JetStreamIsCurrent() {
			return fmt.Errorf("%w: server %s is not current with the JetStream meta group", ErrTest, s.Name())
		}
		if s.JetStreamIsLeader() {
			leaders++
		}
	}
	if leaders != 1 {
		return fmt.Errorf("%w: %d JetStream meta leaders", ErrTest, leaders)
	}
	return nil
}

// freePorts reserves n distinct loopback ports and releases them for the
// caller to listen on.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("natstest: reserve a port: %v", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}
