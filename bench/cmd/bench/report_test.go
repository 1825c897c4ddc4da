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

	"github.com/natsbridge/bridge/bench/internal/stats"
)

func testConfig(t *testing.T) *config {
	t.Helper()
	c, err := parseFlags([]string{"-quick"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseFlags(t *testing.T) {
	c := testConfig(t)
	if c.reps != 1 || c.n != 100000 || c.latency != time.Second {
		t.Errorf("-quick: reps %d, n %d, latency %v", c.reps, c.n, c.latency)
	}
	c, err := parseFlags([]string{"-quick", "-n", "500", "-bridge-env", "BRIDGE_ROUTE_0_WORKERS=2"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.n != 500 || c.reps != 1 || len(c.bridgeEnv) != 1 {
		t.Errorf("explicit -n under -quick: n %d, reps %d, env %v", c.n, c.reps, c.bridgeEnv)
	}
	c, err = parseFlags(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.reps != 3 || c.n != 1000000 || c.jsN != 200000 || c.rate != 20000 {
		t.Errorf("defaults: %+v", c)
	}
	for _, bad := range [][]string{{"-reps", "0"}, {"-js-storage", "disk"}, {"-run", "("}, {"extra"}, {"-bridge-env", "novalue"}} {
		if _, err := parseFlags(bad, &bytes.Buffer{}); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}

// TestReport summarizes made-up runs: medians, ratios, goals, and the
// three files.
func TestReport(t *testing.T) {
	c := testConfig(t)
	c.reps = 3
	bs := scenarios[0]      // passthrough-128B
	latency := scenarios[2] // latency-20k
	js := scenarios[4]      // jetstream-128B
	if bs.kind != burst || latency.kind != paced || !js.jetStream {
		t.Fatal("scenario table reordered: update the test")
	}
	var runs []Run
	for rep, tp := range []float64{100, 300, 200} {
		runs = append(runs,
			Run{Scenario: bs.name, System: sysBridge, Rep: rep, Throughput: tp * 0.9, CPUPerM: 1.1, PeakRSS: 30 << 20},
			Run{Scenario: bs.name, System: sysRelay, Rep: rep, Throughput: tp, CPUPerM: 1.0, PeakRSS: 10 << 20},
			Run{Scenario: latency.name, System: sysBridge, Rep: rep, Latency: &stats.Latency{P50: 150 * time.Microsecond, P99: time.Millisecond, P999: 2 * time.Millisecond}},
			Run{Scenario: latency.name, System: sysRelay, Rep: rep, Latency: &stats.Latency{P50: 100 * time.Microsecond, P99: time.Millisecond, P999: 2 * time.Millisecond}},
			Run{Scenario: js.name, System: sysBridge, Rep: rep, Skipped: "no JetStream"},
			Run{Scenario: js.name, System: sysRelay, Rep: rep, Throughput: 50},
		)
	}
	runs[0].Error = "broken" // bridge rep 0 (throughput 90) is left out
	r := newReport(Machine{CPUs: 2}, c, []scenario{bs, latency, js}, runs)

	row := func(s, fig string) Row {
		t.Helper()
		for _, sum := range r.Summary {
			if sum.Scenario != s {
				continue
			}
			for _, row := range sum.Rows {
				if row.Figure == fig {
					return row
				}
			}
		}
		t.Fatalf("no row %s/%s", s, fig)
		return Row{}
	}
	tp := row(bs.name, "throughput")
	// Bridge: median of 270 and 180; relay: median of 100, 300, 200.
	if val(tp.Bridge) != 225 || val(tp.Relay) != 200 || val(tp.Ratio) != 1.125 || tp.Met == nil || !*tp.Met {
		t.Errorf("throughput row %+v: bridge %v relay %v ratio %v", tp, val(tp.Bridge), val(tp.Relay), val(tp.Ratio))
	}
	if cpu := row(bs.name, "cpu"); cpu.Met == nil || !*cpu.Met || cpu.Goal == "" {
		t.Errorf("cpu 1.1× should meet ≤ 1.2×: %+v", cpu)
	}
	if lost := row(bs.name, "lost"); lost.Ratio != nil || lost.Met == nil || !*lost.Met {
		t.Errorf("lost row: %+v", lost)
	}
	if p50 := row(latency.name, "p50"); p50.Met == nil || *p50.Met {
		t.Errorf("p50 50µs above the relay should miss the 40µs goal: %+v", p50)
	}
	if r.Summary[2].Skipped == "" {
		t.Error("JetStream scenario not marked skipped")
	}

	dir := t.TempDir()
	if err := r.write(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "latest.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| passthrough, 128 B burst | throughput (msg/s) | 225 | 200 | 1.12 | ≥ 0.95× relay ✓ |",
		"| latency p50 (µs) | 150 | 100 | 1.50 | ≤ relay + 40 µs ✗ |",
		"skipped: bridge: no JetStream",
		"error: broken",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("latest.md lacks %q:\n%s", want, md)
		}
	}
	var back Report
	b, err := os.ReadFile(filepath.Join(dir, "latest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &back); err != nil || len(back.Runs) != len(runs) {
		t.Errorf("latest.json: %v, %d runs", err, len(back.Runs))
	}
	svg, err := os.ReadFile(filepath.Join(dir, "latest.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(regexp.MustCompile(`class="bar"`).FindAll(svg, -1)); n < 10 {
		t.Errorf("latest.svg has %d bars", n)
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 750123.6: "750,124", -1234567: "-1,234,567"} {
		if got := fmtCount(in); got != want {
			t.Errorf("fmtCount(%v) = %q, want %q", in, got, want)
		}
	}
}
