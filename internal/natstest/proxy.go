package natstest

import (
	"errors"
	"net"
	"sync"
	"testing"
)

// Proxy is a TCP proxy on loopback in front of one server, for network
// faults. [Proxy.Blackhole] makes it a silent partition: every byte, in
// both directions and on every connection, old or new, stops where it is,
// and nothing is closed (no FIN, no RST), as when a network drops every
// packet; the peers only notice through their own timeouts.
// [Proxy.Heal] lets the held bytes through, in order, and the traffic
// resumes. Make one with NewProxy; it is closed when the test ends.
type Proxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	flowing  chan struct{} // closed while bytes flow
	conns    map[net.Conn]struct{}
	accepted int

	done chan struct{} // closed by Close
	once sync.Once
	wg   sync.WaitGroup
}

// NewProxy listens on a random loopback port and forwards every connection
// to target ("host:port"). It is closed when the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("natstest: proxy: %v", err)
	}
	p := &Proxy{
		ln:      ln,
		target:  target,
		flowing: make(chan struct{}),
		conns:   map[net.Conn]struct{}{},
		done:    make(chan struct{}),
	}
	close(p.flowing)
	p.wg.Go(p.accept)
	t.Cleanup(p.Close)
	return p
}

// Addr returns the "host:port" clients connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL returns the proxy's address as a nats:// URL.
func (p *Proxy) URL() string { return "nats://" + p.Addr() }

// Accepted returns the number of connections the proxy has accepted.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Blackhole stops every byte until Heal, without closing anything.
func (p *Proxy) Blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.flowing:
		p.flowing = make(chan struct{})
	default: // already stopped
	}
}

// Heal lets bytes flow again, the held ones first.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.flowing:
	default:
		close(p.flowing)
	}
}

// Close stops the proxy, closes every connection and waits for its
// goroutines. It is idempotent.
func (p *Proxy) Close() {
	p.once.Do(func() {
		close(p.done)
		_ = p.ln.Close()
		p.mu.Lock()
		for c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
}

// wait blocks while the proxy is blackholed; it returns false once the
// proxy is closed.
func (p *Proxy) wait() bool {
	p.mu.Lock()
	flowing := p.flowing
	p.mu.Unlock()
	select {
	case <-flowing:
		return true
	case <-p.done:
		return false
	}
}

// track registers c so that Close closes it; it returns false (and closes
// c) if the proxy is already closed.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		_ = c.Close()
		return false
	default:
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

func (p *Proxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		p.accepted++
		p.mu.Unlock()
		if !p.track(client) {
			return
		}
		p.wg.Go(func() { p.serve(client) })
	}
}

// serve connects client to the target and pumps bytes both ways until
// either side ends, then closes both.
func (p *Proxy) serve(client net.Conn) {
	defer p.untrack(client)
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return // the client sees its connection closed, as with a refusal
	}
	if !p.track(server) {
		return
	}
	defer p.untrack(server)
	var pumps sync.WaitGroup
	pumps.Go(func() { p.pump(server, client) })
	pumps.Go(func() { p.pump(client, server) })
	pumps.Wait()
}

// pump copies src to dst through the gate of Blackhole. When src ends, the
// end (a FIN) is held by the gate too; then both connections are closed,
// which also ends the other pump.
func (p *Proxy) pump(dst, src net.Conn) {
	defer func() {
		_ = dst.Close()
		_ = src.Close()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.wait() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.wait()
			}
			return
		}
	}
}
