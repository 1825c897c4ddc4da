package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestQuickRun runs the harness end to end, as CI does: it builds the
// relays, the NATS server and the bridge, and runs one repetition of a
// few thousand messages through a subset of the scenarios (core burst,
// fixed rate, the jq scenario with its gojq floor, message mode, JetStream,
// and the stage benchmark, its test binary built), peers left out. The
// report must have a row with figures for every contender.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the harness")
	}
	c := testConfig(t)
	c.n, c.jsN, c.stageN = 4000, 2000, 2000
	c.latency, c.warmup, c.idle = 300*time.Millisecond, 50*time.Millisecond, time.Second
	c.stageBench = filepath.Join(t.TempDir(), "jq.test") // missing: built
	c.run = regexp.MustCompile(`^(passthrough-128B|latency-20k|jq-record|message-subject|jetstream-128B|stage-workers)$`)
	c.only = regexp.MustCompile(`^(bridge|relay-gojq|stage-w2)$`)
	c.peers = false
	r := runHarness(t, c)
	if len(r.Summary) != 6 {
		t.Fatalf("%d scenarios in the report, want 6", len(r.Summary))
	}
	for _, s := range r.Summary {
		names := []string{}
		for _, cs := range s.Contenders {
			names = append(names, cs.Name)
		}
		want := map[string]string{"jq-record": "relay-gojq bridge", "stage-workers": "stage stage-w2"}[s.Scenario]
		if want == "" {
			want = "relay bridge"
		}
		if got := strings.Join(names, " "); got != want {
			t.Errorf("%s: contenders %q, want %q", s.Scenario, got, want)
		}
	}
	checkReport(t, c, r)
	checkStage(t, c, r)
}

// checkStage checks the stage scenario's runs: each a benchmark of
// -stage-n iterations with allocations counted, and its targets measured.
func checkStage(t *testing.T, c *config, r *Report) {
	t.Helper()
	runs := 0
	for _, run := range r.Runs {
		if run.Scenario != "stage-workers" {
			continue
		}
		runs++
		if run.Bench == nil || run.Bench.N != int64(c.stageN) || !strings.HasPrefix(run.Bench.Name, "BenchmarkStage/workers=") {
			t.Errorf("stage run %s: %+v", run.System, run.Bench)
		}
	}
	if want := 2 * 3 * c.reps; runs != want {
		t.Errorf("%d stage runs, want %d (2 contenders, 3 rounds, %d reps)", runs, want, c.reps)
	}
	for _, s := range r.Summary {
		if s.Scenario != "stage-workers" {
			continue
		}
		for _, g := range s.Goals {
			if g.Met == nil {
				t.Errorf("stage target not measured: %+v", g)
			}
		}
	}
}

// TestFullRun runs every scenario with every contender, peers included
// (building Bento takes minutes the first time), with small loads. Set
// BENCH_E2E=1 to run it.
func TestFullRun(t *testing.T) {
	if os.Getenv("BENCH_E2E") != "1" {
		t.Skip("set BENCH_E2E=1 to run every scenario and peer end to end")
	}
	c := testConfig(t)
	c.n, c.jsN, c.stageN = 20000, 5000, 20000
	c.latency, c.warmup, c.idle = time.Second, 100*time.Millisecond, 2*time.Second
	c.stageBench = filepath.Join(t.TempDir(), "jq.test") // missing: built
	r := runHarness(t, c)
	if len(r.Summary) != len(scenarios) {
		t.Errorf("%d scenarios in the report, want %d", len(r.Summary), len(scenarios))
	}
	checkReport(t, c, r)
	checkStage(t, c, r)
}

// runHarness runs the harness with c, the bridge built from ./cmd/bridge,
// and returns the report it wrote.
func runHarness(t *testing.T, c *config) *Report {
	t.Helper()
	c.out = t.TempDir()
	c.bridge = filepath.Join(t.TempDir(), "bridge") // missing: built
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), c, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	t.Log(stderr.String())
	b, err := os.ReadFile(filepath.Join(c.out, "latest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "| contender |") {
		t.Errorf("no summary table on stdout:\n%s", stdout.String())
	}
	return &r
}

// checkReport checks that every run was made or skipped for a reason this
// build may have, and that every contender that ran has figures.
func checkReport(t *testing.T, c *config, r *Report) {
	t.Helper()
	for _, run := range r.Runs {
		switch {
		case run.Error != "":
			t.Errorf("%s %s: %s", run.Scenario, run.System, run.Error)
		case run.Skipped != "":
			// Builds without a feature skip its scenario: message mode
			// (issue 11) until the bridge knows BRIDGE_ROUTE_<n>_EMIT, and
			// peers that could not be built.
			known := strings.Contains(run.Skipped, "rejected its configuration") ||
				strings.HasPrefix(run.Skipped, "peer unavailable")
			if !known {
				t.Errorf("%s %s skipped: %s", run.Scenario, run.System, run.Skipped)
			}
			t.Logf("%s %s skipped: %s", run.Scenario, run.System, run.Skipped)
		case run.Bench != nil:
			// A stage benchmark: its figures are its result line's.
			if run.Throughput <= 0 || run.CPUPerM <= 0 || run.Published != run.Bench.N {
				t.Errorf("%s %s: figures %+v", run.Scenario, run.System, run)
			}
		case run.Received == 0:
			t.Errorf("%s %s: nothing received: %+v", run.Scenario, run.System, run)
		case run.Latency == nil && run.Throughput <= 0:
			t.Errorf("%s %s: no throughput: %+v", run.Scenario, run.System, run)
		case run.Latency != nil && run.Latency.P50 <= 0:
			t.Errorf("%s %s: no latency: %+v", run.Scenario, run.System, run)
		}
	}
	for _, s := range r.Summary {
		if s.Skipped != "" {
			continue
		}
		for _, cs := range s.Contenders {
			if cs.Skipped != "" {
				continue
			}
			if want := c.reps * max(s.RoundsPerRep, 1); cs.Runs != want || len(cs.Cells) == 0 {
				t.Errorf("%s %s: %d complete runs of %d, %d figures", s.Scenario, cs.Name, cs.Runs, want, len(cs.Cells))
				continue
			}
			if first := cs.Cells[0]; first.Median == nil || *first.Median <= 0 {
				t.Errorf("%s %s: no %s", s.Scenario, cs.Name, first.Figure)
			}
		}
	}
	md, err := os.ReadFile(filepath.Join(c.out, "latest.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Summary {
		if !strings.Contains(string(md), "(`"+s.Scenario+"`)") {
			t.Errorf("latest.md has no table for %s", s.Scenario)
		}
	}
	svg, err := os.ReadFile(filepath.Join(c.out, "latest.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte(`class="bar"`)) {
		t.Error("latest.svg has no bars")
	}
}
