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
// fixed rate, the jq scenario with its gojq floor, message mode and
// JetStream), peers left out. The report must have a row with figures for
// every contender.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the harness")
	}
	c := testConfig(t)
	c.n, c.jsN = 4000, 2000
	c.latency, c.warmup, c.idle = 300*time.Millisecond, 50*time.Millisecond, time.Second
	c.run = regexp.MustCompile(`^(passthrough-128B|latency-20k|jq-record|message-subject|jetstream-128B)$`)
	c.only = regexp.MustCompile(`^(bridge|relay-gojq)$`)
	c.peers = false
	r := runHarness(t, c)
	if len(r.Summary) != 5 {
		t.Fatalf("%d scenarios in the report, want 5", len(r.Summary))
	}
	for _, s := range r.Summary {
		names := []string{}
		for _, cs := range s.Contenders {
			names = append(names, cs.Name)
		}
		want := "relay bridge"
		if s.Scenario == "jq-record" {
			want = "relay-gojq bridge"
		}
		if got := strings.Join(names, " "); got != want {
			t.Errorf("%s: contenders %q, want %q", s.Scenario, got, want)
		}
	}
	checkReport(t, c, r)
}

// TestFullRun runs every scenario with every contender, peers included
// (building Bento takes minutes the first time), with small loads. Set
// BENCH_E2E=1 to run it.
func TestFullRun(t *testing.T) {
	if os.Getenv("BENCH_E2E") != "1" {
		t.Skip("set BENCH_E2E=1 to run every scenario and peer end to end")
	}
	c := testConfig(t)
	c.n, c.jsN = 20000, 5000
	c.latency, c.warmup, c.idle = time.Second, 100*time.Millisecond, 2*time.Second
	r := runHarness(t, c)
	if len(r.Summary) != len(scenarios) {
		t.Errorf("%d scenarios in the report, want %d", len(r.Summary), len(scenarios))
	}
	checkReport(t, c, r)
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
