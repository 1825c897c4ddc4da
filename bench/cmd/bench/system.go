package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/natsbridge/bridge/bench/internal/subproc"
)

// names of one run's subjects, stream and consumer.
type names struct {
	in string
	// out is the bridge route's OUT and the subject the receiver
	// subscribes to: a pattern in routed scenarios.
	out string
	// outPrefix is the output subjects' prefix (routed scenarios choose
	// the tokens after it), fixed the output subject of systems that do
	// not route.
	outPrefix, fixed    string
	inStream, outStream string
	durable             string
}

// runNames returns the names of repetition rep of contender c in
// scenario s. The contender is named by its place among the scenario's,
// not by its name, so that each has subjects as long as the others': a
// longer subject costs every message a little more (7 more bytes took 16
// more bytes of allocation per message in the NATS client), which tilts a
// comparison within a few percent.
func runNames(rep int, s scenario, c contender) names {
	i := slices.IndexFunc(s.contenders, func(o contender) bool { return o.name == c.name })
	prefix := fmt.Sprintf("bench.r%d.%s.c%d", rep, s.name, i)
	stream := strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(prefix))
	n := names{
		in: prefix + ".in", out: prefix + ".out", outPrefix: prefix + ".out", fixed: prefix + ".out",
		inStream: stream + "_IN", outStream: stream + "_OUT",
		durable: "bench",
	}
	if s.routed {
		n.out, n.fixed = n.outPrefix+".>", n.outPrefix+".fixed"
	}
	return n
}

// proc is a running system under test.
type proc struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	output  *subproc.Tail // stdout and stderr
	metrics string        // the bridge's /metrics URL
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// exitError is what alive returns for a process that has exited.
type exitError struct {
	prog   string
	code   int
	state  string
	output string
}

func (e *exitError) Error() string {
	return fmt.Sprintf("%s exited: %s; output: %s", e.prog, e.state, e.output)
}

// alive returns an *exitError with the process's last output if it has
// exited.
func (p *proc) alive() error {
	select {
	case <-p.exited:
		return &exitError{prog: filepath.Base(p.cmd.Path), code: p.cmd.ProcessState.ExitCode(),
			state: p.cmd.ProcessState.String(), output: p.output.String()}
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
		if strings.Contains(line, "drop") || strings.Contains(line, "fail") || strings.Contains(line, "slow") || strings.Contains(line, "error") {
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

// start runs contender c for scenario s on the subjects n.
func (d *driver) start(c contender, s scenario, n names) (*proc, error) {
	p := &proc{exited: make(chan struct{}), output: subproc.NewTail(32 << 10)}
	switch c.sys {
	case sysBridge:
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
		if s.jq != nil {
			env = append(env, "BRIDGE_ROUTE_0_JQ="+s.jq(n))
		}
		if s.kind == jsBacklog {
			env = append(env, "BRIDGE_ROUTE_0_STREAM="+n.inStream, "BRIDGE_ROUTE_0_DURABLE="+n.durable)
		}
		env = append(env, s.bridgeEnv...)
		env = append(env, c.env...)
		env = append(env, d.cfg.bridgeEnv...)
		d.otlp.expand(env)
		p.cmd = exec.Command(d.cfg.bridge)
		p.cmd.Env = append(cleanEnv(), env...)
		p.metrics = "http://127.0.0.1:" + port + "/metrics"
	case sysJSRelay:
		args := []string{"-url", d.srv.URL, "-stream", n.inStream, "-in", n.in, "-out", n.fixed, "-durable", n.durable}
		p.cmd = exec.Command(d.bins.jsrelay, append(args, c.args...)...)
		p.cmd.Env = cleanEnv()
	case sysRelay:
		args := []string{"-url", d.srv.URL, "-in", n.in, "-out", n.fixed}
		p.cmd = exec.Command(d.bins.relay, append(args, c.args...)...)
		p.cmd.Env = cleanEnv()
	case sysWatermill:
		p.cmd = exec.Command(d.peers[sysWatermill].bin, "-url", d.srv.URL, "-in", n.in, "-out", n.fixed)
		p.cmd.Env = cleanEnv()
	case sysBento:
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		conf := filepath.Join(d.tmp, strings.ReplaceAll(n.in, ".", "_")+".bento.yaml")
		if err := os.WriteFile(conf, bentoConfig(d.srv.URL, "127.0.0.1:"+port, n, c), 0o644); err != nil {
			return nil, err
		}
		p.cmd = exec.Command(d.peers[sysBento].bin, "-c", conf)
		p.cmd.Env = cleanEnv()
		p.metrics = "http://127.0.0.1:" + port + "/metrics"
	default:
		return nil, fmt.Errorf("contender %s: unknown system %d", c.name, c.sys)
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
		if !strings.HasPrefix(kv, "NATS_") && !strings.HasPrefix(kv, "BRIDGE_") && !strings.HasPrefix(kv, "OTEL_") {
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
