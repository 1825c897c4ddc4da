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
	if !c.peers || c.only.String() != "" {
		t.Errorf("defaults: peers %v, contenders %q", c.peers, c.only)
	}
	for _, bad := range [][]string{{"-reps", "0"}, {"-js-storage", "disk"}, {"-run", "("}, {"-contenders", "["}, {"extra"}, {"-bridge-env", "novalue"}} {
		if _, err := parseFlags(bad, &bytes.Buffer{}); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}

// scenarioByName returns the table's scenario called name.
func scenarioByName(t *testing.T, name string) scenario {
	t.Helper()
	for _, s := range scenarios {
		if s.name == name {
			return s
		}
	}
	t.Fatalf("no scenario %s", name)
	return scenario{}
}

// TestReport summarizes made-up runs: medians, ratios to the reference,
// goals against other contenders, skipped peers and bridges, and the three
// files.
func TestReport(t *testing.T) {
	c := testConfig(t)
	c.reps = 3
	pt := scenarioByName(t, "passthrough-128B")
	latency := scenarioByName(t, "latency-20k")
	jq := scenarioByName(t, "jq-record")
	msg := scenarioByName(t, "message-subject")
	js := scenarioByName(t, "jetstream-128B")
	var runs []Run
	for rep, tp := range []float64{100, 300, 200} {
		runs = append(runs,
			Run{Scenario: pt.name, System: "bridge", Rep: rep, Throughput: tp * 0.9, CPUPerM: 1.1, PeakRSS: 30 << 20},
			Run{Scenario: pt.name, System: "relay", Rep: rep, Throughput: tp, CPUPerM: 1.0, PeakRSS: 10 << 20},
			Run{Scenario: pt.name, System: "watermill", Rep: rep, Skipped: "peer unavailable: offline"},
			Run{Scenario: latency.name, System: "bridge", Rep: rep, Latency: &stats.Latency{P50: 150 * time.Microsecond, P99: time.Millisecond, P999: 2 * time.Millisecond}},
			Run{Scenario: latency.name, System: "relay", Rep: rep, Latency: &stats.Latency{P50: 100 * time.Microsecond, P99: time.Millisecond, P999: 2 * time.Millisecond}},
			Run{Scenario: jq.name, System: "relay-gojq", Rep: rep, Throughput: 100, CPUPerM: 10},
			Run{Scenario: jq.name, System: "bridge", Rep: rep, Throughput: 140, CPUPerM: 7},
			Run{Scenario: jq.name, System: "bento-jq", Rep: rep, Throughput: 40, CPUPerM: 20},
			Run{Scenario: msg.name, System: "relay", Rep: rep, Throughput: 100},
			Run{Scenario: msg.name, System: "bridge", Rep: rep, Skipped: "the bridge rejected its configuration (exit status 2 at startup): BRIDGE_ROUTE_0_EMIT: unknown variable"},
			Run{Scenario: js.name, System: "bridge", Rep: rep, Skipped: "no JetStream"},
			Run{Scenario: js.name, System: "relay", Rep: rep, Throughput: 50},
		)
	}
	runs[0].Error = "broken" // bridge rep 0 (throughput 90) is left out
	r := newReport(Machine{CPUs: 2}, c, []scenario{pt, latency, jq, msg, js}, runs)

	sum := func(name string) ScenarioSummary {
		t.Helper()
		for _, s := range r.Summary {
			if s.Scenario == name {
				return s
			}
		}
		t.Fatalf("no summary %s", name)
		return ScenarioSummary{}
	}
	cell := func(s, who, fig string) Cell {
		t.Helper()
		for _, cs := range sum(s).Contenders {
			if cs.Name != who {
				continue
			}
			for _, c := range cs.Cells {
				if c.Figure == fig {
					return c
				}
			}
		}
		t.Fatalf("no cell %s/%s/%s", s, who, fig)
		return Cell{}
	}
	goal := func(s, who, fig, vs string) GoalResult {
		t.Helper()
		for _, g := range sum(s).Goals {
			if g.Contender == who && g.Figure == fig && g.Versus == vs {
				return g
			}
		}
		t.Fatalf("no goal %s/%s/%s/%s", s, who, fig, vs)
		return GoalResult{}
	}
	// Bridge: median of 270 and 180; relay: median of 100, 300, 200.
	if tp := cell(pt.name, "bridge", "throughput"); val(tp.Median) != 225 || val(tp.Ratio) != 1.125 {
		t.Errorf("bridge throughput %v, ratio %v", val(tp.Median), val(tp.Ratio))
	}
	if ref := cell(pt.name, "relay", "throughput"); val(ref.Median) != 200 || ref.Ratio != nil {
		t.Errorf("reference throughput %v, ratio %v", val(ref.Median), val(ref.Ratio))
	}
	if g := goal(pt.name, "bridge", "throughput", "relay"); g.Met == nil || !*g.Met || g.Achieved != "1.12×" {
		t.Errorf("throughput goal %+v", g)
	}
	if g := goal(pt.name, "bridge", "cpu", "relay"); g.Met == nil || !*g.Met {
		t.Errorf("cpu 1.1× should meet ≤ 1.2×: %+v", g)
	}
	if g := goal(pt.name, "bridge", "lost", ""); g.Met == nil || !*g.Met || g.Ratio != nil {
		t.Errorf("lost goal %+v", g)
	}
	if g := goal(latency.name, "bridge", "p50", "relay"); g.Met == nil || *g.Met || g.Achieved != "+50 µs" {
		t.Errorf("p50 50µs above the relay should miss the 40µs goal: %+v", g)
	}
	// jq: 1.4× the gojq relay's throughput at 0.7× its CPU, 3.5× Bento's
	// jq; Bento's mapping did not run.
	if g := goal(jq.name, "bridge", "throughput", "relay-gojq"); g.Met == nil || !*g.Met {
		t.Errorf("1.4× should meet ≥ 1.3×: %+v", g)
	}
	if g := goal(jq.name, "bridge", "cpu", "relay-gojq"); g.Met == nil || !*g.Met || val(g.Ratio) != 0.7 {
		t.Errorf("0.7× CPU should meet ≤ 0.8×: %+v", g)
	}
	if g := goal(jq.name, "bridge", "throughput", "bento-jq"); g.Met == nil || *g.Met || val(g.Ratio) != 3.5 {
		t.Errorf("3.5× should miss ≥ 4×: %+v", g)
	}
	if g := goal(jq.name, "bridge", "throughput", "bento-mapping"); g.Met != nil || g.Achieved != "–" {
		t.Errorf("a goal against a contender that did not run: %+v", g)
	}
	if cs := sum(pt.name).Contenders[2]; cs.Name != "watermill" || cs.Runs != 0 || cs.Skipped == "" {
		t.Errorf("watermill: %+v", cs)
	}
	if s := sum(msg.name); !strings.Contains(s.Skipped, "rejected its configuration") {
		t.Errorf("message-subject not marked skipped: %q", s.Skipped)
	}
	if sum(js.name).Skipped == "" {
		t.Error("JetStream scenario not marked skipped")
	}

	dir, md := writeReport(t, r)
	for _, want := range []string{
		"### passthrough, 128 B burst (`passthrough-128B`)",
		"| **bare nats.go relay** (reference) | 200 | 0 | 1.000 | 10.0 |",
		"| the bridge | 225 (1.12×) | 0 | 1.100 (1.10×) | 30.0 (3.00×) |",
		"| Watermill 1.5.1 router (watermill-nats v2, core NATS) | skipped: peer unavailable: offline | | | |",
		"- the bridge, throughput (msg/s) ≥ 0.95× bare nats.go relay: 1.12× ✓",
		"- the bridge, latency p50 (µs) ≤ 40 µs above bare nats.go relay: +50 µs ✗",
		"- the bridge, throughput (msg/s) ≥ 4× Bento 1.10.0 jq processor: 3.50× ✗",
		"- the bridge, throughput (msg/s) ≥ 3× Bento 1.10.0 Bloblang mapping: –\n",
		"Skipped: bridge: the bridge rejected its configuration",
		"Skipped: bridge: no JetStream",
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
	if err := json.Unmarshal(b, &back); err != nil || len(back.Runs) != len(runs) || len(back.Summary) != 5 {
		t.Errorf("latest.json: %v, %d runs, %d summaries", err, len(back.Runs), len(back.Summary))
	}
	svg, err := os.ReadFile(filepath.Join(dir, "latest.svg"))
	if err != nil {
		t.Fatal(err)
	}
	// Throughput: 2 bars for passthrough, 3 for jq, 1 each for message
	// and JetStream; CPU (log scale: no bar for the zeros) 2 and 3;
	// latency 3 percentiles × 2; targets: 2 ratio goals of passthrough, 1
	// of latency, 3 of jq.
	if n := len(regexp.MustCompile(`class="bar"`).FindAll(svg, -1)); n != 7+5+6+6 {
		t.Errorf("latest.svg has %d bars, want %d", n, 7+5+6+6)
	}
	if n := len(regexp.MustCompile(`class="mark"`).FindAll(svg, -1)); n != 6 {
		t.Errorf("latest.svg has %d target marks, want 6", n)
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 750123.6: "750,124", -1234567: "-1,234,567"} {
		if got := fmtCount(in); got != want {
			t.Errorf("fmtCount(%v) = %q, want %q", in, got, want)
		}
	}
}

// writeReport writes r into a temporary directory and returns it, with
// latest.md's text.
func writeReport(t *testing.T, r *Report) (dir string, md []byte) {
	t.Helper()
	dir = t.TempDir()
	if err := r.write(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "latest.md"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, md
}
