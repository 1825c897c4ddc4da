package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

var (
	// ErrInvalidOptions is returned by [Start] for options it cannot use.
	ErrInvalidOptions = errors.New("embedded: invalid options")

	// ErrNotReady is returned by [Start] when the server did not become
	// ready to accept clients, for example because its port is taken.
	ErrNotReady = errors.New("embedded: server not ready")
)

// DefaultReadyTimeout is how long [Start] waits for the server by default.
const DefaultReadyTimeout = 10 * time.Second

// Options configures [Start]. The zero value is valid: a server on a free
// port of 127.0.0.1, with nats-server's default store directory and no log.
type Options struct {
	// Listen is the host:port clients connect to. Port 0 or -1 picks a free
	// port; see [Server.ClientURL]. An empty host listens on all
	// interfaces. Empty: 127.0.0.1 on a free port.
	Listen string
	// StoreDir is the directory of JetStream data, created if needed.
	// Empty: nats-server's default, a directory under os.TempDir().
	StoreDir string
	// Logger receives the server's log (see [NewLogger]). Nil: discarded.
	Logger *slog.Logger
	// ReadyTimeout bounds the wait for the server to accept clients.
	// Zero: DefaultReadyTimeout.
	ReadyTimeout time.Duration
}

// Server is a running embedded NATS server.
type Server struct {
	ns        *server.Server
	clientURL string
	once      sync.Once
}

// Start starts a NATS server with JetStream enabled and returns once it
// accepts clients. On error nothing is left running.
func Start(opts Options) (*Server, error) {
	sopts, err := serverOptions(opts)
	if err != nil {
		return nil, err
	}
	ns, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	logger := NewLogger(opts.Logger)
	// The server calls Fatalf when it cannot go on (a port already in use)
	// and expects the process to exit; the logger reports it here instead,
	// so that Start fails at once rather than after ReadyTimeout.
	fatal := make(chan string, 1)
	logger.fatal = func(msg string) {
		select {
		case fatal <- msg:
		default:
		}
	}
	// Trace is not enabled even at debug level: it logs every protocol
	// message.
	debug := opts.Logger != nil && opts.Logger.Enabled(context.Background(), slog.LevelDebug)
	ns.SetLoggerV2(logger, debug, false, false)

	ns.Start()
	timeout := opts.ReadyTimeout
	if timeout <= 0 {
		timeout = DefaultReadyTimeout
	}
	s := &Server{ns: ns}
	if err := waitReady(ns, timeout, fatal); err != nil {
		s.Shutdown()
		return nil, err
	}
	s.clientURL = clientURL(ns, sopts.Host)
	return s, nil
}

func serverOptions(opts Options) (*server.Options, error) {
	listen := opts.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	host, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("%w: listen address %q: %w", ErrInvalidOptions, listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < -1 || port > 65535 {
		return nil, fmt.Errorf("%w: listen address %q: invalid port", ErrInvalidOptions, listen)
	}
	if port == 0 {
		// For nats-server, port 0 means its default port (4222).
		port = server.RANDOM_PORT
	}
	if host == "" {
		host = "0.0.0.0"
	}
	return &server.Options{
		ServerName: "nats-bridge-embedded",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   opts.StoreDir,
		// The bridge handles signals itself.
		NoSigs: true,
	}, nil
}

// waitReady waits for the server to accept clients with JetStream enabled,
// or for it to report a fatal error, for at most timeout.
// ReadyForConnections is the server's own readiness check; it is called in
// short steps so that a fatal error is noticed early.
func waitReady(ns *server.Server, timeout time.Duration, fatal <-chan string) error {
	const step = 50 * time.Millisecond
	deadline := time.Now().Add(timeout)
	for {
		select {
		case msg := <-fatal:
			return fmt.Errorf("%w: %s", ErrNotReady, msg)
		default:
		}
		if ns.ReadyForConnections(min(step, time.Until(deadline))) {
			if !ns.JetStreamEnabled() {
				return fmt.Errorf("%w: JetStream is not enabled", ErrNotReady)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w after %s", ErrNotReady, timeout)
		}
	}
}

// clientURL returns the URL to connect to the running server, with the
// actual port, and with a loopback address when it listens on all
// interfaces, which is not an address to dial.
func clientURL(ns *server.Server, host string) string {
	addr, ok := ns.Addr().(*net.TCPAddr)
	if !ok {
		return ns.ClientURL()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if ip.To4() != nil {
			host = "127.0.0.1"
		} else {
			host = "::1"
		}
	}
	return "nats://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
}

// ClientURL returns the URL clients connect to, e.g. nats://127.0.0.1:4222.
func (s *Server) ClientURL() string { return s.clientURL }

// NATSServer returns the underlying nats-server, for monitoring and tests.
func (s *Server) NATSServer() *server.Server { return s.ns }

// Shutdown stops the server, closing client connections, and returns when
// all its goroutines have ended. It may be called more than once.
func (s *Server) Shutdown() {
	s.once.Do(func() {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
	})
}
