package fault_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/natstest"
)

// bridgeProc is one run of the bridge binary.
type bridgeProc struct {
	name   string
	cmd    *exec.Cmd
	log    *natstest.Output
	exited chan struct{}
	err    error // what Wait returned; set before exited is closed
}

// startBridge runs the bridge binary with a minimal environment plus env.
// Its output is kept and, if the test fails, the tail is logged; the
// process is killed and reaped when the test ends.
func startBridge(t *testing.T, name string, env map[string]string) *bridgeProc {
	t.Helper()
	cmd := exec.Command(bridgeBin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &bridgeProc{name: name, cmd: cmd, log: &natstest.Output{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start bridge %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("bridge %s (pid %d, %v), last lines of its log:\n%s", name, cmd.Process.Pid, p.err, tail(p.log, 30))
		}
	})
	return p
}

// bridgeEnv is the environment of a bridge with one JetStream route named
// name from stream IN (in.>) to out.>, with the metrics server on a random
// port; extra adds or overrides variables, and an empty value removes one.
func bridgeEnv(url, name string, extra map[string]string) map[string]string {
	env := map[string]string{
		"NATS_URL":                   url,
		"BRIDGE_METRICS_ADDR":        "127.0.0.1:0",
		"BRIDGE_LOG_LEVEL":           "info",
		"BRIDGE_SHUTDOWN_TIMEOUT":    "10s",
		"BRIDGE_ROUTE_0_NAME":        name,
		"BRIDGE_ROUTE_0_IN":          "in.>",
		"BRIDGE_ROUTE_0_OUT":         "out.>",
		"BRIDGE_ROUTE_0_STREAM":      "IN",
		"BRIDGE_ROUTE_0_DURABLE":     "bridge-" + name,
		"BRIDGE_ROUTE_0_ACK_WAIT":    "5s",
		"BRIDGE_ROUTE_0_TIMEOUT":     "2s",
		"BRIDGE_ROUTE_0_BUFFER":      "256",
		"BRIDGE_ROUTE_0_WORKERS":     "2",
		"BRIDGE_ROUTE_0_MAX_DELIVER": "10",
	}
	for k, v := range extra {
		if v == "" {
			delete(env, k)
			continue
		}
		env[k] = v
	}
	return env
}

// running reports whether the process has not exited.
func (p *bridgeProc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL, unless the process has exited, and reaps it.
func (p *bridgeProc) kill() {
	if p.running() {
		_ = p.cmd.Process.Kill()
	}
	<-p.exited
}

// stop sends SIGTERM and waits for the drain and the exit; it fails the
// test if the bridge does not exit in time or exits with an error.
func (p *bridgeProc) stop(t *testing.T, timeout time.Duration) {
	t.Helper()
	if !p.running() {
		t.Fatalf("bridge %s had already exited: %v", p.name, p.err)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(timeout):
		t.Fatalf("bridge %s did not exit within %v of SIGTERM", p.name, timeout)
	}
	if p.err != nil {
		t.Fatalf("bridge %s exited with %v", p.name, p.err)
	}
}

var metricsAddrRE = regexp.MustCompile(`msg="serving /metrics, /healthz and /readyz" addr=(\S+)`)

// addr returns the address of the bridge's HTTP server, once it has logged
// it.
func (p *bridgeProc) addr() (string, error) {
	m := metricsAddrRE.FindStringSubmatch(p.log.String())
	if m == nil {
		return "", fmt.Errorf("%w: bridge %s has not logged its HTTP address", natstest.ErrTest, p.name)
	}
	return m[1], nil
}

// httpClient keeps no idle connections, so no goroutine outlives a test.
var httpClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}

func (p *bridgeProc) get(path string) (int, string, error) {
	addr, err := p.addr()
	if err != nil {
		return 0, "", err
	}
	resp, err := httpClient.Get("http://" + addr + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// waitReady waits until the bridge answers /readyz with 200: connected, and
// every route consuming.
func (p *bridgeProc) waitReady(t *testing.T, timeout time.Duration) {
	t.Helper()
	natstest.WaitFor(t, timeout, func() error {
		if !p.running() {
			t.Fatalf("bridge %s exited: %v", p.name, p.err)
		}
		code, body, err := p.get("/readyz")
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("%w: /readyz %d %s", natstest.ErrTest, code, strings.TrimSpace(body))
		}
		return nil
	})
}

// metric returns the value of the sample of name whose labels include
// labels (a fragment such as `route="a"`) from the bridge's /metrics, and
// whether it exists.
func (p *bridgeProc) metric(name, labels string) (float64, bool, error) {
	body, err := p.scrape()
	if err != nil {
		return 0, false, err
	}
	for line := range strings.Lines(body) {
		rest, ok := strings.CutPrefix(line, name+"{")
		if !ok {
			continue
		}
		labelSet, value, ok := strings.Cut(rest, "} ")
		if !ok || !strings.Contains(labelSet, labels) {
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		return v, err == nil, err
	}
	return 0, false, nil
}

// peakRSS returns the process's peak resident set size (VmHWM).
func (p *bridgeProc) peakRSS() (int64, error) { return p.procBytes("VmHWM") }

// rss returns the process's resident set size (VmRSS).
func (p *bridgeProc) rss() (int64, error) { return p.procBytes("VmRSS") }

// procBytes returns a size in kB from /proc/<pid>/status, in bytes.
func (p *bridgeProc) procBytes(field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/<pid>/status", field)
}

// jsClient is a JetStream handle whose asynchronous publishes may have
// 1024 acknowledgements outstanding, and which counts the ones that fail.
type jsClient struct {
	jetstream.JetStream
	pubErrs atomic.Int64
}

func newJS(t *testing.T, nc *nats.Conn) *jsClient {
	t.Helper()
	c := &jsClient{}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(1024),
		jetstream.WithPublishAsyncErrHandler(func(jetstream.JetStream, *nats.Msg, error) { c.pubErrs.Add(1) }))
	if err != nil {
		t.Fatal(err)
	}
	c.JetStream = js
	return c
}

// createStream creates a stream, retrying while a cluster settles.
func createStream(t *testing.T, js jetstream.JetStream, cfg jetstream.StreamConfig) {
	t.Helper()
	natstest.WaitFor(t, 30*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := js.CreateStream(ctx, cfg)
		return err
	})
}

// publishAll publishes n messages asynchronously, with a window of
// outstanding acknowledgements, and waits until the server has
// acknowledged every one.
func (c *jsClient) publishAll(t *testing.T, n int, msg func(i int) *nats.Msg) {
	t.Helper()
	for i := range n {
		if _, err := c.PublishMsgAsync(msg(i), jetstream.WithStallWait(time.Minute)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	select {
	case <-c.PublishAsyncComplete():
	case <-time.After(2 * time.Minute):
		t.Fatalf("%d publishes not acknowledged", c.PublishAsyncPending())
	}
	if e := c.pubErrs.Load(); e != 0 {
		t.Fatalf("%d publishes failed", e)
	}
}

// streamMsgs returns the number of messages in a stream.
func streamMsgs(js jetstream.JetStream, name string) (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, name)
	if err != nil {
		return 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.Msgs, nil
}

// waitMsgs waits until a stream holds at least want messages.
func waitMsgs(t *testing.T, js jetstream.JetStream, name string, want uint64, timeout time.Duration) {
	t.Helper()
	natstest.WaitFor(t, timeout, func() error {
		got, err := streamMsgs(js, name)
		if err != nil {
			return err
		}
		if got < want {
			return fmt.Errorf("%w: stream %s holds %d messages, want %d", natstest.ErrTest, name, got, want)
		}
		return nil
	})
}

// waitIdle waits until the durable consumer has nothing pending and nothing
// awaiting acknowledgement.
func waitIdle(t *testing.T, js jetstream.JetStream, stream, durable string, timeout time.Duration) {
	t.Helper()
	natstest.WaitFor(t, timeout, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := js.Consumer(ctx, stream, durable)
		if err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if info.NumPending != 0 || info.NumAckPending != 0 {
			return fmt.Errorf("%w: consumer %s: pending %d, ack pending %d, ack floor %d",
				natstest.ErrTest, durable, info.NumPending, info.NumAckPending, info.AckFloor.Stream)
		}
		return nil
	})
}

// redeliveries returns how many deliveries of the durable consumer went
// beyond the first of each of the n messages of its stream.
func redeliveries(t *testing.T, js jetstream.JetStream, stream, durable string, n int) uint64 {
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
	return info.Delivered.Consumer - uint64(n)
}

// storedMsg is one message read back from a stream.
type storedMsg struct {
	Seq     uint64
	Subject string
	Data    []byte
	Header  nats.Header
}

// readStream reads every message of a stream through an ordered consumer,
// starting over if a read fails while a cluster settles.
func readStream(t *testing.T, js jetstream.JetStream, name string) []storedMsg {
	t.Helper()
	var msgs []storedMsg
	natstest.WaitFor(t, time.Minute, func() error {
		var err error
		msgs, err = tryReadStream(js, name)
		return err
	})
	return msgs
}

func tryReadStream(js jetstream.JetStream, name string) ([]storedMsg, error) {
	want, err := streamMsgs(js, name)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, name, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, err
	}
	msgs := make([]storedMsg, 0, want)
	for uint64(len(msgs)) < want {
		batch, err := cons.Fetch(int(min(1000, want-uint64(len(msgs)))), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return nil, fmt.Errorf("read stream %s: %w", name, err)
		}
		got := 0
		for m := range batch.Messages() {
			md, err := m.Metadata()
			if err != nil {
				return nil, err
			}
			msgs = append(msgs, storedMsg{Seq: md.Sequence.Stream, Subject: m.Subject(), Data: m.Data(), Header: m.Headers()})
			got++
		}
		if err := batch.Error(); err != nil {
			return nil, fmt.Errorf("read stream %s: %w", name, err)
		}
		if got == 0 {
			return nil, fmt.Errorf("read stream %s: %d of %d messages, then nothing", name, len(msgs), want)
		}
	}
	return msgs, nil
}

// tally counts how often each key occurs among n expected keys 0..n-1 and
// returns the keys missing and the copies beyond the first.
func tally(n int, keys []int) (lost, dups int, unexpected []int) {
	seen := make([]int, n)
	for _, k := range keys {
		if k < 0 || k >= n {
			unexpected = append(unexpected, k)
			continue
		}
		seen[k]++
	}
	for _, c := range seen {
		switch {
		case c == 0:
			lost++
		case c > 1:
			dups += c - 1
		}
	}
	return lost, dups, unexpected
}

// tail returns the last n lines of o.
func tail(o *natstest.Output, n int) string {
	lines := strings.SplitAfter(o.String(), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}
