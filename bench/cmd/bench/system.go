package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/natsbridge/bridge/bench/internal/subproc"
)

// The systems under test.
const (
	sysBridge = "bridge"
	sysRelay  = "relay"
)

// names of one run's subjects, stream and consumer.
type names struct {
	in, out             string
	inStream, outStream string
	durable             string
}

func runNames(rep int, s scenario, sys string) names {
	prefix := fmt.Sprintf("bench.r%d.%s.%s", rep, s.name, sys)
	stream := strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(prefix))
	return names{
		in: prefix + ".in", out: prefix + ".out",
		inStream: stream + "_IN", outStream: stream + "_OUT",
		durable: "bench",
	}
}

// proc is a running system under test.
type proc struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	output  *subproc.Tail // stdout and stderr
	metrics string        // the bridge's /metrics URL
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// alive returns an error with the process's last output if it has exited.
func (p *proc) alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited: %v; output: %s", p.cmd.Path, p.cmd.ProcessState, p.output)
	default:
		return nil
	}
}

// stop terminates the process and returns its peak RSS according to
// getrusage (0 if unknown).
func (p *proc) stop() (maxRSS int64, err error) {
	err = subproc.Terminate(p.cmd, p.exited, 15*time.Second)
	if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		maxRSS = ru.Maxrss << 10 // kilobytes on Linux
	}
	return maxRSS, err
}

// scrapeMetrics returns the bridge's metric samples about drops and
// failures, which explain lost messages.
func (p *proc) scrapeMetrics(ctx context.Context) []string {
	if p.metrics == "" {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.metrics, nil)
	if err != nil {
		return nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return []string{"scrape: " + err.Error()}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	var out []string
	for line := range strings.Lines(string(body)) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if strings.Contains(line, "drop") || strings.Contains(line, "fail") || strings.Contains(line, "slow") {
			if f := strings.Fields(line); len(f) >= 2 && f[len(f)-1] != "0" {
				out = append(out, line)
			}
		}
	}
	return out
}

// exitReport returns the summary line relay and jsrelay print on exit.
func (p *proc) exitReport() string {
	var last string
	for line := range strings.Lines(p.output.String()) {
		if strings.HasPrefix(line, "relay: relayed") || strings.HasPrefix(line, "jsrelay: acked") {
			last = strings.TrimSpace(line)
		}
	}
	return last
}

// start runs system sys for scenario s.
func (d *driver) start(sys string, s scenario, n names) (*proc, error) {
	p := &proc{exited: make(chan struct{}), output: subproc.NewTail(32 << 10)}
	switch {
	case sys == sysBridge:
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		env := []string{
			"NATS_URL=" + d.srv.URL,
			"BRIDGE_METRICS_ADDR=127.0.0.1:" + port,
			"BRIDGE_LOG_LEVEL=warn",
			"BRIDGE_SHUTDOWN_TIMEOUT=10s",
			"BRIDGE_ROUTE_0_NAME=bench",
			"BRIDGE_ROUTE_0_IN=" + n.in,
			"BRIDGE_ROUTE_0_OUT=" + n.out,
		}
		if s.jq != "" {
			env = append(env, "BRIDGE_ROUTE_0_JQ="+s.jq)
		}
		if s.jetStream {
			env = append(env, "BRIDGE_ROUTE_0_STREAM="+n.inStream, "BRIDGE_ROUTE_0_DURABLE="+n.durable)
		}
		env = append(env, s.bridgeEnv...)
		env = append(env, d.cfg.bridgeEnv...)
		p.cmd = exec.Command(d.cfg.bridge)
		p.cmd.Env = append(cleanEnv(), env...)
		p.metrics = "http://127.0.0.1:" + port + "/metrics"
	case s.jetStream:
		args := []string{"-url", d.srv.URL, "-stream", n.inStream, "-in", n.in, "-out", n.out, "-durable", n.durable}
		p.cmd = exec.Command(d.bins.jsrelay, append(args, s.relayArgs...)...)
		p.cmd.Env = cleanEnv()
	default:
		p.cmd = exec.Command(d.bins.relay, "-url", d.srv.URL, "-in", n.in, "-out", n.out)
		p.cmd.Env = cleanEnv()
	}
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// cleanEnv is the driver's environment without NATS_ and BRIDGE_
// variables, so that the user's own configuration does not leak into the
// measured processes.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NATS_") && !strings.HasPrefix(kv, "BRIDGE_") {
			env = append(env, kv)
		}
	}
	return env
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}
