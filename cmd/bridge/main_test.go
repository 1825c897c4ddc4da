package main_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/natsbridge/bridge/internal/config"
)

// bridgeBin is the binary under test, built once by TestMain.
var bridgeBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bridge-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bridgeBin = filepath.Join(dir, "bridge")
	build := exec.Command("go", "build", "-o", bridgeBin, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building bridge:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(dir)
		os.Exit(code)
	}))
}

type result struct {
	code           int
	stdout, stderr string
}

// bridge runs the binary with exactly the environment environ.
func bridge(t *testing.T, environ []string, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bridgeBin, args...)
	cmd.Env = append([]string{}, environ...) // never nil: nil would inherit ours
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running bridge: %v", err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func TestHelp(t *testing.T) {
	for _, flag := range []string{"-h", "-help", "--help"} {
		t.Run(flag, func(t *testing.T) {
			r := bridge(t, nil, flag)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			for _, name := range append(config.Variables(), "-check", "-version") {
				if !strings.Contains(r.stdout, name) {
					t.Errorf("help does not mention %s", name)
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	r := bridge(t, nil, "-version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "bridge ") {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestBadCommandLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "unknown flag", args: []string{"-frobnicate"}, want: "flag provided but not defined: -frobnicate"},
		{name: "argument", args: []string{"run"}, want: `unexpected argument "run"`},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			r := bridge(t, nil, test.args...)
			if r.code != 2 || !strings.Contains(r.stderr, test.want) || r.stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q", r.code, r.stdout, r.stderr, test.want)
			}
		})
	}
}

const password = "pa55-w0rd-never-shown"

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    []string
	}{
		{
			name:    "demo",
			environ: nil,
			want:    []string{"configuration OK", "embedded server on 127.0.0.1:4222", "demo: demo.in.> -> demo.out.>", "demo route"},
		},
		{
			name: "routes",
			environ: []string{
				"NATS_URL=nats://127.0.0.1:4222", "NATS_USER=bridge", "NATS_PASSWORD=" + password,
				"BRIDGE_ROUTE_0_NAME=orders", "BRIDGE_ROUTE_0_IN=orders.*", "BRIDGE_ROUTE_0_OUT=audit.{{wildcard(1)}}", "BRIDGE_ROUTE_0_JQ=.id",
				"BRIDGE_ROUTE_1_IN=invoices.>", "BRIDGE_ROUTE_1_OUT=archive", "BRIDGE_ROUTE_1_STREAM=INVOICES",
				"BRIDGE_METRICS_ADDR=",
			},
			want: []string{
				"configuration OK", "NATS: url=nats://127.0.0.1:4222 user=bridge password=[redacted]", "metrics: disabled", "2 routes:",
				"orders: orders.* -> audit.{{wildcard(1)}} (queue bridge.orders, jq,",
				"route1: invoices.> -> archive (JetStream stream INVOICES, durable bridge-route1,",
			},
		},
		{
			name: "connections",
			environ: []string{
				"NATS_URL=nats://127.0.0.1:4222",
				"BRIDGE_CONN_0_NAME=edge", "BRIDGE_CONN_0_URL=nats://edge:4222", "BRIDGE_CONN_0_USER=u", "BRIDGE_CONN_0_PASSWORD=" + password,
				"BRIDGE_CONN_1_NAME=spare", "BRIDGE_CONN_1_URL=nats://spare:4222",
				"BRIDGE_ROUTE_0_IN=orders.>", "BRIDGE_ROUTE_0_OUT=orders.>", "BRIDGE_ROUTE_0_IN_CONN=edge", "BRIDGE_ROUTE_0_OUT_CONN=default",
				"BRIDGE_ROUTE_0_REPLY_TIMEOUT=3s",
			},
			want: []string{
				"connection edge: url=nats://edge:4222 user=u password=[redacted]\n",
				"connection spare: url=nats://spare:4222 (no route uses it: not opened)",
				"route0: edge:orders.> -> default:orders.> (",
				", reply timeout 3s)",
			},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			r := bridge(t, test.environ, "-check")
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			for _, want := range test.want {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
			if strings.Contains(r.stdout, password) {
				t.Errorf("stdout shows the password:\n%s", r.stdout)
			}
		})
	}
}

func TestInvalidConfiguration(t *testing.T) {
	route := []string{"BRIDGE_ROUTE_0_IN=in.*", "BRIDGE_ROUTE_0_OUT=out.{{wildcard(1)}}"}
	with := func(more ...string) []string { return append(append([]string{}, route...), more...) }
	tests := []struct {
		name    string
		environ []string
		want    []string // variables that must be named, one problem per line
	}{
		{name: "missing OUT", environ: with("BRIDGE_ROUTE_1_IN=a"), want: []string{"BRIDGE_ROUTE_1_OUT: required"}},
		{name: "invalid subject", environ: with("BRIDGE_ROUTE_1_IN=a..b", "BRIDGE_ROUTE_1_OUT=c"), want: []string{"BRIDGE_ROUTE_1_IN: invalid subject"}},
		{name: "invalid mapping token", environ: with("BRIDGE_ROUTE_1_IN=a.*", "BRIDGE_ROUTE_1_OUT=b.{{wildcard(2)}}"), want: []string{"BRIDGE_ROUTE_1_OUT: invalid mapping"}},
		{name: "invalid jq", environ: with("BRIDGE_ROUTE_0_JQ=.a |"), want: []string{"BRIDGE_ROUTE_0_JQ: invalid jq program"}},
		{name: "unknown overflow policy", environ: with("BRIDGE_ROUTE_0_OVERFLOW=sometimes"), want: []string{`BRIDGE_ROUTE_0_OVERFLOW: unknown policy "sometimes"`}},
		{name: "gap in route indexes", environ: with("BRIDGE_ROUTE_2_IN=a", "BRIDGE_ROUTE_2_OUT=b"), want: []string{"BRIDGE_ROUTE_2_IN: route index 2 is set but route 1 is not"}},
		{name: "bad duration", environ: with("BRIDGE_SHUTDOWN_TIMEOUT=ten"), want: []string{`BRIDGE_SHUTDOWN_TIMEOUT: invalid duration "ten"`}},
		{name: "bad number", environ: with("BRIDGE_ROUTE_0_WORKERS=many"), want: []string{`BRIDGE_ROUTE_0_WORKERS: invalid number "many"`}},
		{name: "unknown connection", environ: with("BRIDGE_ROUTE_0_IN_CONN=edge"), want: []string{`BRIDGE_ROUTE_0_IN_CONN: unknown connection "edge"`}},
		{
			name:    "secret in a file and in a variable",
			environ: with("NATS_URL=nats://127.0.0.1:4222", "NATS_TOKEN="+password, "NATS_TOKEN_FILE=/nonexistent"),
			want:    []string{"NATS_TOKEN_FILE: cannot be combined with NATS_TOKEN"},
		},
		{
			name:    "unreadable secret file",
			environ: with("BRIDGE_CONN_0_NAME=edge", "BRIDGE_CONN_0_URL=edge:4222", "BRIDGE_CONN_0_TOKEN_FILE=/nonexistent/token"),
			want:    []string{`BRIDGE_CONN_0_TOKEN_FILE: cannot read "/nonexistent/token": no such file or directory`},
		},
		{
			name: "all at once",
			environ: []string{
				"NATS_URL=nats://127.0.0.1:4222", "NATS_PASSWORD=" + password,
				"BRIDGE_ROUTE_0_IN=a..b", "BRIDGE_ROUTE_0_OUT=x", "BRIDGE_ROUTE_0_JQ=.a |",
				"BRIDGE_ROUTE_0_OVERFLOW=sometimes", "BRIDGE_ROUTE_0_WORKERS=many",
				"BRIDGE_ROUTE_1_IN=a.*", "BRIDGE_ROUTE_1_OUT=b.{{wildcard(2)}}",
				"BRIDGE_ROUTE_2_IN=c",
				"BRIDGE_ROUTE_4_IN=d", "BRIDGE_ROUTE_4_OUT=e",
				"BRIDGE_SHUTDOWN_TIMEOUT=ten",
			},
			want: []string{
				"NATS_PASSWORD: requires NATS_USER",
				"BRIDGE_ROUTE_0_IN: invalid subject",
				"BRIDGE_ROUTE_0_JQ: invalid jq program",
				"BRIDGE_ROUTE_0_OVERFLOW: unknown policy",
				"BRIDGE_ROUTE_0_WORKERS: invalid number",
				"BRIDGE_ROUTE_1_OUT: invalid mapping",
				"BRIDGE_ROUTE_2_OUT: required",
				"BRIDGE_ROUTE_4_IN: route index 4 is set but route 3 is not",
				"BRIDGE_SHUTDOWN_TIMEOUT: invalid duration",
			},
		},
	}
	for _, test := range tests {
		for _, args := range [][]string{{"-check"}, nil} {
			t.Run(test.name+"/"+strings.Join(append([]string{"run"}, args...), " "), func(t *testing.T) {
				r := bridge(t, test.environ, args...)
				if r.code != 2 {
					t.Fatalf("exit %d, want 2; stderr:\n%s", r.code, r.stderr)
				}
				if r.stdout != "" {
					t.Errorf("stdout %q, want nothing", r.stdout)
				}
				lines := strings.Split(r.stderr, "\n")
				for _, want := range test.want {
					found := false
					for _, line := range lines {
						found = found || strings.HasPrefix(line, want)
					}
					if !found {
						t.Errorf("stderr has no line starting with %q:\n%s", want, r.stderr)
					}
				}
				if want := fmt.Sprintf("(%d problem", len(test.want)); !strings.Contains(lines[0], want) {
					t.Errorf("first line %q, want it to count %d problems", lines[0], len(test.want))
				}
				if strings.Contains(r.stderr, password) {
					t.Errorf("stderr shows the password:\n%s", r.stderr)
				}
			})
		}
	}
}
