// Package natstest starts real NATS servers in-process for tests: random
// ports, JetStream in a temporary directory, shut down by t.Cleanup.
package natstest

import (
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Options returns server options for a test server: loopback, a random
// port, no logging, JetStream with its store under t.TempDir().
func Options(t testing.TB) *server.Options {
	t.Helper()
	return &server.Options{
		Host:                  "127.0.0.1",
		Port:                  -1,
		NoLog:                 true,
		NoSigs:                true,
		MaxControlLine:        4096,
		DisableShortFirstPing: true,
		JetStream:             true,
		StoreDir:              t.TempDir(),
	}
}

// Server is a running test server and the options it was started with.
type Server struct {
	*server.Server
	Opts *server.Options
}

// Start runs a server with opts (Options(t) when nil) and shuts it down
// when the test ends.
func Start(t testing.TB, opts *server.Options) *Server {
	t.Helper()
	if opts == nil {
		opts = Options(t)
	}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		t.Fatal("natstest: server not ready within 10s")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	// Pin the port so that Restart comes back where clients look for it.
	opts.Port = s.Addr().(*net.TCPAddr).Port
	return &Server{Server: s, Opts: opts}
}

// Restart shuts s down and starts a new server with the same options on the
// same port, so clients can reconnect to it. JetStream state is kept.
func Restart(t testing.TB, s *Server) *Server {
	t.Helper()
	opts := s.Opts.Clone()
	s.Shutdown()
	s.WaitForShutdown()
	return Start(t, opts)
}

// Connect connects to s with options suited to tests (fast reconnects,
// never giving up) and closes the connection when the test ends.
func Connect(t testing.TB, s *Server, opts ...nats.Option) *nats.Conn {
	t.Helper()
	return ConnectURL(t, s.ClientURL(), opts...)
}

// ConnectURL is Connect for a URL, or a comma-separated list of the URLs of
// one cluster.
func ConnectURL(t testing.TB, url string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	base := []nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(20 * time.Millisecond), nats.ReconnectJitter(0, 0)}
	nc, err := nats.Connect(url, append(base, opts...)...)
	if err != nil {
		t.Fatalf("natstest: connect: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// WaitFor polls cond every few milliseconds until it returns nil or the
// timeout passes, then fails the test with cond's last error.
func WaitFor(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("natstest: condition not met within %v: %v", timeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ErrTest is a generic condition error for WaitFor.
var ErrTest = errors.New("natstest: condition not met")

// Port returns the client port of s as a string.
func (s *Server) Port() string {
	return strconv.Itoa(s.Opts.Port)
}
