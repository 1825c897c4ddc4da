package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestQuickRun runs the whole harness with tiny loads: it builds the
// binaries and takes about a minute, so it only runs with BENCH_E2E=1.
func TestQuickRun(t *testing.T) {
	if os.Getenv("BENCH_E2E") != "1" {
		t.Skip("set BENCH_E2E=1 to run the harness end to end")
	}
	c := testConfig(t)
	c.n, c.jsN = 5000, 2000
	c.latency, c.warmup, c.idle = 300*time.Millisecond, 50*time.Millisecond, time.Second
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
	if len(r.Runs) != 2*len(scenarios) {
		t.Errorf("%d runs, want %d", len(r.Runs), 2*len(scenarios))
	}
	for _, run := range r.Runs {
		switch {
		case run.Error != "":
			t.Errorf("%s %s: %s", run.Scenario, run.System, run.Error)
		case run.Skipped != "":
			t.Logf("%s %s skipped: %s", run.Scenario, run.System, run.Skipped)
		case run.Received == 0 || run.Throughput <= 0:
			t.Errorf("%s %s: nothing measured: %+v", run.Scenario, run.System, run)
		}
	}
	for _, name := range []string{"latest.md", "latest.svg"} {
		if _, err := os.Stat(filepath.Join(c.out, name)); err != nil {
			t.Error(err)
		}
	}
}
