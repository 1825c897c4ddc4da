// Package subproc builds the programs of the benchmark harness and runs the
// NATS server they are measured against, each as a process of its own.
package subproc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrServer is returned when the NATS server process fails to start.
var ErrServer = errors.New("subproc: NATS server did not start")

// ModuleRoot returns the directory of the main module's go.mod, as the go
// command sees it from the current directory.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("subproc: not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

// Build compiles the main packages pkgs (paths relative to root, such as
// "./bench/relay") into dir, the way `make build` builds the bridge: no
// cgo, -trimpath. Each binary is named after the last element of its
// package path. It returns the binaries' paths, in the order of pkgs.
func Build(ctx context.Context, root, dir string, pkgs ...string) ([]string, error) {
	bins := make([]string, len(pkgs))
	for i, pkg := range pkgs {
		bins[i] = filepath.Join(dir, filepath.Base(pkg))
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bins[i], pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
		}
	}
	return bins, nil
}

// Server is a running natsserver process (see bench/natsserver).
type Server struct {
	// URL is the client URL, Monitor the monitoring endpoint ("" when
	// disabled).
	URL, Monitor string

	cmd    *exec.Cmd
	stderr *Tail
	exited chan struct{}
}

// StartServer runs the natsserver binary bin with args and waits until it
// accepts clients.
func StartServer(ctx context.Context, bin string, args ...string) (*Server, error) {
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &Server{cmd: cmd, stderr: NewTail(16 << 10), exited: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrServer, err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	var ready struct{ URL, Monitor string }
	select {
	case line, ok := <-lines:
		if ok {
			err = json.Unmarshal([]byte(line), &ready)
		} else {
			err = errors.New("no address printed")
		}
	case <-time.After(15 * time.Second):
		err = errors.New("no address within 15s")
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil || ready.URL == "" {
		_ = s.Stop()
		return nil, fmt.Errorf("%w: %v; stderr: %s", ErrServer, err, s.stderr)
	}
	s.URL, s.Monitor = ready.URL, ready.Monitor
	return s, nil
}

// Pid returns the server's process ID.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Stop terminates the server: SIGTERM, then SIGKILL after 10 seconds.
func (s *Server) Stop() error {
	return Terminate(s.cmd, s.exited, 10*time.Second)
}

// Varz is the part of the server's /varz that the harness reads.
type Varz struct {
	SlowConsumers int64 `json:"slow_consumers"`
	InMsgs        int64 `json:"in_msgs"`
	OutMsgs       int64 `json:"out_msgs"`
}

// Varz fetches the server's counters from its monitoring endpoint.
func (s *Server) Varz(ctx context.Context) (Varz, error) {
	var v Varz
	if s.Monitor == "" {
		return v, errors.New("subproc: monitoring disabled")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Monitor+"/varz", nil)
	if err != nil {
		return v, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return v, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return v, fmt.Errorf("GET /varz: %s", resp.Status)
	}
	return v, json.NewDecoder(resp.Body).Decode(&v)
}

// Terminate sends SIGTERM to cmd's process and waits up to grace for exited
// to close (the caller's goroutine that waits on cmd closes it), then kills
// the process.
func Terminate(cmd *exec.Cmd, exited <-chan struct{}, grace time.Duration) error {
	if cmd.Process == nil {
		return nil
	}
	select {
	case <-exited:
		return nil
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		return nil
	case <-time.After(grace):
	}
	_ = cmd.Process.Kill()
	<-exited
	return fmt.Errorf("subproc: %s did not exit within %v of SIGTERM: killed", filepath.Base(cmd.Path), grace)
}

// Tail is an io.Writer that keeps the last bytes written to it: a process's
// stderr, for error messages.
type Tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

// NewTail returns a Tail keeping max bytes.
func NewTail(max int) *Tail { return &Tail{max: max} }

func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// String returns what is kept, trimmed.
func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}
