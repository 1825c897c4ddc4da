package main_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/internal/natstest"
)

// proc is a running bridge binary.
type proc struct {
	cmd     *exec.Cmd
	stderr  *natstest.Output
	http    string // metrics address
	done    chan struct{}
	exitErr error
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startBridge runs the binary with env (plus a metrics address) and waits
// until /readyz answers 200.
func startBridge(t *testing.T, env ...string) *proc {
	t.Helper()
	p := &proc{stderr: &natstest.Output{}, http: freeAddr(t), done: make(chan struct{})}
	p.cmd = exec.Command(bridgeBin)
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "BRIDGE_METRICS_ADDR=" + p.http}, env...)
	p.cmd.Stdout, p.cmd.Stderr = io.Discard, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.exitErr = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("bridge stderr:\n%s", p.stderr.String())
		}
	})
	natstest.WaitFor(t, 20*time.Second, func() error {
		select {
		case <-p.done:
			t.Fatalf("bridge exited early: %v\n%s", p.exitErr, p.stderr.String())
		default:
		}
		if code := p.get(t, "/readyz"); code != http.StatusOK {
			return fmt.Errorf("/readyz answered %d", code)
		}
		return nil
	})
	return p
}

func (p *proc) get(t *testing.T, path string) int {
	t.Helper()
	resp, err := http.Get("http://" + p.http + path)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func (p *proc) body(t *testing.T, path string) string {
	t.Helper()
	resp, err := http.Get("http://" + p.http + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// terminate sends SIGTERM and returns the exit code.
func (p *proc) terminate(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("bridge did not exit within 30s of SIGTERM")
	}
	var exit *exec.ExitError
	if errors.As(p.exitErr, &exit) {
		return exit.ExitCode()
	}
	if p.exitErr != nil {
		t.Fatal(p.exitErr)
	}
	return 0
}

// sink counts messages on a subject.
type sink struct {
	mu   sync.Mutex
	msgs []*nats.Msg
}

func subscribe(t *testing.T, nc *nats.Conn, subject string) *sink {
	t.Helper()
	s := &sink{}
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		s.mu.Lock()
		s.msgs = append(s.msgs, m)
		s.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = sub.SetPendingLimits(-1, -1)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *sink) wait(t *testing.T, n int) []*nats.Msg {
	t.Helper()
	natstest.WaitFor(t, 20*time.Second, func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.msgs) < n {
			return fmt.Errorf("%d of %d messages", len(s.msgs), n)
		}
		return nil
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*nats.Msg(nil), s.msgs...)
}

// TestTwoRoutesThenDrain runs the README's two-route example: a subject
// mapping and a jq route with a DLQ. SIGTERM after a burst still delivers
// every message the bridge received, and the exit code is 0.
func TestTwoRoutesThenDrain(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	p := startBridge(t,
		"NATS_URL="+s.ClientURL(),
		"BRIDGE_ROUTE_0_NAME=audit",
		"BRIDGE_ROUTE_0_IN=orders.*",
		"BRIDGE_ROUTE_0_OUT=audit.{{wildcard(1)}}",
		"BRIDGE_ROUTE_1_NAME=totals",
		"BRIDGE_ROUTE_1_IN=invoices",
		"BRIDGE_ROUTE_1_OUT=invoices.totals",
		"BRIDGE_ROUTE_1_JQ={id: .id, total: (.price * .qty)}",
		"BRIDGE_ROUTE_1_DLQ=invoices.dlq",
	)
	audit := subscribe(t, nc, "audit.*")
	totals := subscribe(t, nc, "invoices.totals")
	dlq := subscribe(t, nc, "invoices.dlq")

	const n = 20000
	for i := range n {
		_ = nc.Publish("orders."+strconv.Itoa(i%7), []byte(strconv.Itoa(i)))
		if i%10 == 0 {
			_ = nc.Publish("invoices", fmt.Appendf(nil, `{"id":%d,"price":2.5,"qty":4}`, i))
		}
	}
	_ = nc.Publish("invoices", []byte("not json"))
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	// Everything published is now on its way to the bridge: a drain must
	// deliver all of it.
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	got := audit.wait(t, n)
	if got[0].Subject != "audit.0" || got[1].Subject != "audit.1" {
		t.Fatalf("mapped subjects %q, %q", got[0].Subject, got[1].Subject)
	}
	tot := totals.wait(t, n/10)
	if string(tot[0].Data) != `{"id":0,"total":10}` {
		t.Fatalf("jq output %s", tot[0].Data)
	}
	if d := dlq.wait(t, 1)[0]; string(d.Data) != "not json" || d.Header.Get("Bridge-Route") != "totals" {
		t.Fatalf("dead letter %q %v", d.Data, d.Header)
	}
	if !strings.Contains(p.stderr.String(), "drained") {
		t.Fatalf("no drain in the log:\n%s", p.stderr.String())
	}
}

// TestRunawayJQ stops a jq program that never ends at the route's timeout,
// while another route keeps flowing.
func TestRunawayJQ(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	startBridge(t,
		"NATS_URL="+s.ClientURL(),
		"BRIDGE_ROUTE_0_IN=loop.in",
		"BRIDGE_ROUTE_0_OUT=loop.out",
		"BRIDGE_ROUTE_0_JQ=def f: f; f",
		"BRIDGE_ROUTE_0_TIMEOUT=200ms",
		"BRIDGE_ROUTE_0_DLQ=loop.dlq",
		"BRIDGE_ROUTE_1_IN=fast.in",
		"BRIDGE_ROUTE_1_OUT=fast.out",
	)
	dlq := subscribe(t, nc, "loop.dlq")
	fast := subscribe(t, nc, "fast.out")
	_ = nc.Publish("loop.in", []byte(`{}`))
	for i := range 1000 {
		_ = nc.Publish("fast.in", []byte(strconv.Itoa(i)))
	}
	fast.wait(t, 1000)
	d := dlq.wait(t, 1)[0]
	if e := d.Header.Get("Bridge-Error"); !strings.Contains(e, "deadline") {
		t.Fatalf("Bridge-Error = %q", e)
	}
}

// TestReadyzFollowsNATS checks /readyz while the server goes away and comes
// back, and that the bridge keeps reconnecting.
func TestReadyzFollowsNATS(t *testing.T) {
	s := natstest.Start(t, nil)
	p := startBridge(t, "NATS_URL="+s.ClientURL(), "BRIDGE_ROUTE_0_IN=a", "BRIDGE_ROUTE_0_OUT=b")
	if code := p.get(t, "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz = %d", code)
	}
	s.Shutdown()
	natstest.WaitFor(t, 20*time.Second, func() error {
		if code := p.get(t, "/readyz"); code != http.StatusServiceUnavailable {
			return fmt.Errorf("/readyz = %d with NATS down", code)
		}
		return nil
	})
	s = natstest.Restart(t, s)
	natstest.WaitFor(t, 30*time.Second, func() error {
		if code := p.get(t, "/readyz"); code != http.StatusOK {
			return fmt.Errorf("/readyz = %d after NATS came back", code)
		}
		return nil
	})
	nc := natstest.Connect(t, s)
	out := subscribe(t, nc, "b")
	natstest.WaitFor(t, 10*time.Second, func() error {
		_ = nc.Publish("a", []byte("x"))
		out.mu.Lock()
		defer out.mu.Unlock()
		if len(out.msgs) == 0 {
			return errors.New("not flowing after reconnect")
		}
		return nil
	})
	if !strings.Contains(p.stderr.String(), "reconnected to NATS") {
		t.Fatalf("reconnect not logged:\n%s", p.stderr.String())
	}
}

// TestEmbeddedDemo runs the zero-configuration default: an embedded server
// and the demo route.
func TestEmbeddedDemo(t *testing.T) {
	listen := freeAddr(t)
	p := startBridge(t, "BRIDGE_EMBEDDED_LISTEN="+listen, "BRIDGE_EMBEDDED_STORE="+t.TempDir())
	nc, err := nats.Connect("nats://" + listen)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	out := subscribe(t, nc, "demo.out.>")
	_ = nc.Publish("demo.in.hello", []byte(`{"hello":"world"}`))
	m := out.wait(t, 1)[0]
	if m.Subject != "demo.out.hello" || string(m.Data) != `{"hello":"world"}` {
		t.Fatalf("demo output %q %q", m.Subject, m.Data)
	}
	if !strings.Contains(p.stderr.String(), "pub demo.in.hello") {
		t.Fatalf("the log does not say how to try the demo:\n%s", p.stderr.String())
	}
	nc.Close()
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

// TestSecretsStayOut runs against a server that requires a password and
// checks the password appears neither in the log (at debug level) nor in
// /metrics.
func TestSecretsStayOut(t *testing.T) {
	const password = "s3cret-Pa55word"
	opts := natstest.Options(t)
	opts.Username, opts.Password = "bridge", password
	s := natstest.Start(t, opts)
	p := startBridge(t,
		"NATS_URL="+s.ClientURL(),
		"NATS_USER=bridge",
		"NATS_PASSWORD="+password,
		"BRIDGE_LOG_LEVEL=debug",
		"BRIDGE_ROUTE_0_IN=a", "BRIDGE_ROUTE_0_OUT=b")
	metrics := p.body(t, "/metrics")
	if p.terminate(t) != 0 {
		t.Fatal("bad exit")
	}
	for what, text := range map[string]string{"log": p.stderr.String(), "/metrics": metrics} {
		if strings.Contains(text, password) {
			t.Errorf("the password appears in the %s", what)
		}
	}
}

// TestHealthcheckFlag probes a running bridge the way a container health
// check does, and one that is not there.
func TestHealthcheckFlag(t *testing.T) {
	s := natstest.Start(t, nil)
	p := startBridge(t, "NATS_URL="+s.ClientURL(), "BRIDGE_ROUTE_0_IN=a", "BRIDGE_ROUTE_0_OUT=b")
	if r := bridge(t, []string{"BRIDGE_METRICS_ADDR=" + p.http}, "-healthcheck"); r.code != 0 {
		t.Fatalf("ready bridge: exit %d: %s", r.code, r.stderr)
	}
	s.Shutdown()
	natstest.WaitFor(t, 20*time.Second, func() error {
		if r := bridge(t, []string{"BRIDGE_METRICS_ADDR=" + p.http}, "-healthcheck"); r.code != 1 {
			return fmt.Errorf("bridge without NATS: exit %d", r.code)
		}
		return nil
	})
	if r := bridge(t, []string{"BRIDGE_METRICS_ADDR=" + freeAddr(t)}, "-healthcheck"); r.code != 1 || !strings.Contains(r.stderr, "not ready") {
		t.Fatalf("no bridge: exit %d: %s", r.code, r.stderr)
	}
	if r := bridge(t, []string{"BRIDGE_METRICS_ADDR="}, "-healthcheck"); r.code != 1 || !strings.Contains(r.stderr, "disables") {
		t.Fatalf("disabled server: exit %d: %s", r.code, r.stderr)
	}
}
