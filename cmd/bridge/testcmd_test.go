package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/bridge"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/test-help.golden")

// testEnv configures the routes the tests of `bridge test` run on.
var testEnv = []string{
	"BRIDGE_ROUTE_0_NAME=totals", "BRIDGE_ROUTE_0_IN=invoices", "BRIDGE_ROUTE_0_OUT=invoices.totals",
	"BRIDGE_ROUTE_0_JQ={id: .id, total: (.price * .qty)}",
	"BRIDGE_ROUTE_1_NAME=regions", "BRIDGE_ROUTE_1_IN=shipments", "BRIDGE_ROUTE_1_OUT=shipments.>",
	"BRIDGE_ROUTE_1_EMIT=message", `BRIDGE_ROUTE_1_JQ={subject: "shipments.\(.region)"}`,
}

const passing = `tests:
  - name: adds a total
    route: totals
    input: {payload: '{"price":2,"qty":3}'}
    output: [{subject: invoices.totals, payload: '{"id":null,"total":6}'}]
  - name: rejects non-JSON
    route: totals
    input: {payload: 'nope'}
    fails: decode
`

const failing = `tests:
  - name: adds a total
    route: totals
    input: {payload: '{"price":2,"qty":3}'}
    output: [{payload: '{"id":null,"total":6}'}]
  - name: wrong total
    route: totals
    input: {payload: '{"price":2,"qty":3}'}
    output: [{payload: '{"id":null,"total":7}'}]
  - name: wrong region
    route: regions
    input: {payload: '{"region":"eu"}'}
    output: [{subject: shipments.us}]
`

// failingOut is what bridge test prints for failing.
const failingOut = `--- FAIL: wrong total (failing.yaml:6, route totals)
    output 1: payload (compared as JSON):
      .total: want 7, got 6
--- FAIL: wrong region (failing.yaml:10, route regions)
    output 1: subject: want shipments.us, got shipments.eu
FAIL: 2 of 3 tests failed (1 file)
`

func TestTestCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("passing.yaml", passing)
	write("failing.yaml", failing)
	write("strict.yaml", "tests:\n  - name: a\n    route: totals\n    input: {payload: 'x'}\n    fails: decode\n    outputs: []\n")
	write("route.yaml", "tests:\n  - {name: a, route: total, input: {}, fails: decode}\n")
	write("subject.yaml", "tests:\n  - {name: a, route: regions, input: {subject: shipments.eu}, fails: decode}\n")
	write("demo.yaml", "tests:\n  - {name: demo, route: demo, input: {subject: demo.in.x, payload: hi}, output: [{subject: demo.out.x, payload: hi}]}\n")

	tests := []struct {
		name    string
		environ []string
		args    []string
		code    int
		stdout  string // exactly, when not ""
		stderr  []string
	}{
		{name: "pass", environ: testEnv, args: []string{"passing.yaml"}, code: 0, stdout: "PASS: 2 tests (1 file)\n"},
		{name: "two files", environ: testEnv, args: []string{"passing.yaml", "passing.yaml"}, code: 0, stdout: "PASS: 4 tests (2 files)\n"},
		{name: "fail", environ: testEnv, args: []string{"failing.yaml"}, code: 1, stdout: failingOut},
		{
			name: "NATS_URL is never dialled", code: 0, stdout: "PASS: 2 tests (1 file)\n",
			environ: append([]string{"NATS_URL=nats://127.0.0.1:1"}, testEnv...), args: []string{"passing.yaml"},
		},
		{name: "the demo route", environ: []string{}, args: []string{"demo.yaml"}, code: 0, stdout: "PASS: 1 test (1 file)\n"},
		{name: "no file", environ: testEnv, code: 2, stderr: []string{"bridge test: no test file given"}},
		{name: "unknown flag", environ: testEnv, args: []string{"-x", "passing.yaml"}, code: 2, stderr: []string{"flag provided but not defined: -x"}},
		{
			name: "unreadable file, strict decoding, unknown route, bad subject", environ: testEnv, code: 2,
			args: []string{"passing.yaml", "missing.yaml", "strict.yaml", "route.yaml", "subject.yaml"},
			stderr: []string{
				"bridge test: open missing.yaml: no such file or directory",
				`strict.yaml:6: test "a": unknown key "outputs" in a test (known: name, route, input, output, fails)`,
				`route.yaml:2: test "a": no route is named "total" (the routes of the environment: totals, regions)`,
				`subject.yaml:2: test "a": route "regions" does not receive input.subject "shipments.eu": its IN is "shipments"`,
				"Run 'bridge test -h' for the format of test files.",
			},
		},
		{
			name: "bad configuration", code: 2, args: []string{"passing.yaml"},
			environ: append([]string{"BRIDGE_ROUTE_2_IN=a", "BRIDGE_ROUTE_2_OUT=b", "BRIDGE_ROUTE_2_JQ=.a |"}, testEnv...),
			stderr:  []string{"bridge: invalid configuration (1 problem):", "BRIDGE_ROUTE_2_JQ: invalid jq program"},
		},
	}
	t.Chdir(dir)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := bridgeMain(append([]string{"test"}, tt.args...), tt.environ, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			if tt.stdout != "" && stdout.String() != tt.stdout || tt.code == 2 && stdout.Len() > 0 {
				t.Errorf("stdout:\n%s\nwant:\n%s", &stdout, tt.stdout)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, &stderr)
				}
			}
			if len(tt.stderr) == 0 && stderr.Len() > 0 {
				t.Errorf("stderr:\n%s", &stderr)
			}
		})
	}
}

// TestTestHelp compares bridge test -h with testdata/test-help.golden; go
// test -run TestTestHelp -update rewrites it.
func TestTestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := bridgeMain([]string{"test", "-h"}, nil, &stdout, &stderr); code != 0 || stderr.Len() > 0 {
		t.Fatalf("exit %d, stderr %q", code, &stderr)
	}
	golden := filepath.Join("testdata", "test-help.golden")
	if *updateGolden {
		if err := os.WriteFile(golden, stdout.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if stdout.String() != string(want) {
		t.Errorf("bridge test -h differs from %s (go test -run TestTestHelp -update rewrites it):\n%s", golden, &stdout)
	}

	for _, r := range bridge.FailureReasons() {
		if !strings.Contains(stdout.String(), string(r)) {
			t.Errorf("bridge test -h does not mention the reason %s", r)
		}
	}

	stdout.Reset()
	if code := bridgeMain([]string{"-h"}, nil, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "bridge test FILE...") {
		t.Errorf("exit %d; bridge -h does not mention bridge test:\n%s", code, &stdout)
	}
}
