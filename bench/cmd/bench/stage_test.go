package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const stageLine = "BenchmarkStage/workers=1-2         \t 1000000\t      1283 ns/op\t  98.12 MB/s\t      1301 cpu-ns/op\t      62 B/op\t       4 allocs/op"

func TestParseBench(t *testing.T) {
	header := "goos: linux\ngoarch: amd64\npkg: github.com/natsbridge/bridge/jq\ncpu: AMD EPYC\n"
	for _, tc := range []struct {
		name, out string
		want      *BenchResult
		err       error
	}{
		{"with GOMAXPROCS", header + stageLine + "\nPASS\n",
			&BenchResult{Name: "BenchmarkStage/workers=1-2", N: 1000000, NsPerOp: 1283, CPUNsPerOp: 1301, BytesPerOp: 62, AllocsPerOp: 4}, nil},
		{"GOMAXPROCS=1", "BenchmarkStage/workers=1 500 700.5 ns/op 800 cpu-ns/op 0 B/op 0 allocs/op\n",
			&BenchResult{Name: "BenchmarkStage/workers=1", N: 500, NsPerOp: 700.5, CPUNsPerOp: 800}, nil},
		{"another case only", header + strings.Replace(stageLine, "workers=1-2", "workers=10-2", 1) + "\nPASS\n", nil, errNoResult},
		{"no benchmark matched", "PASS\n", nil, errNoResult},
		{"empty", "", nil, errNoResult},
		{"failed", header + "--- FAIL: BenchmarkStage/workers=1-2\n    bench_test.go:1: boom\nFAIL\n", nil, errNoResult},
		{"interrupted", header + "BenchmarkStage/workers=1-2   \t", nil, errBadResult},
		{"no allocs", "BenchmarkStage/workers=1-2 1000 1283 ns/op 1301 cpu-ns/op 62 B/op\n", nil, errBadResult},
		{"no cpu-ns", "BenchmarkStage/workers=1-2 1000 1283 ns/op 62 B/op 4 allocs/op\n", nil, errBadResult},
		{"not a number", "BenchmarkStage/workers=1-2 1000 fast ns/op 1301 cpu-ns/op 62 B/op 4 allocs/op\n", nil, errBadResult},
		{"bad iterations", "BenchmarkStage/workers=1-2 lots 1283 ns/op 1301 cpu-ns/op 62 B/op 4 allocs/op\n", nil, errBadResult},
		{"odd fields", "BenchmarkStage/workers=1-2 1000 1283 ns/op 1301\n", nil, errBadResult},
		{"zero time", "BenchmarkStage/workers=1-2 1000 0 ns/op 0 cpu-ns/op 0 B/op 0 allocs/op\n", nil, errBadResult},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseBench(tc.out, "BenchmarkStage/workers=1")
			if tc.err != nil {
				if !errors.Is(err, tc.err) || got != nil {
					t.Fatalf("got %+v, %v; want error %v", got, err, tc.err)
				}
				return
			}
			if err != nil || *got != *tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestBenchPattern: the -test.bench pattern of a case matches it and not
// the cases whose names it prefixes.
func TestBenchPattern(t *testing.T) {
	p := benchPattern("BenchmarkStage/workers=1")
	if p != "^BenchmarkStage$/^workers=1$" {
		t.Fatalf("pattern %q", p)
	}
	// The testing package matches each level of the name with its part.
	parts := strings.Split(p, "/")
	for name, want := range map[string]bool{"BenchmarkStage/workers=1": true, "BenchmarkStage/workers=10": false, "BenchmarkStages/workers=1": false} {
		levels := strings.Split(name, "/")
		got := true
		for i, part := range parts {
			got = got && regexp.MustCompile(part).MatchString(levels[i])
		}
		if got != want {
			t.Errorf("%s matches %s: %v", p, name, got)
		}
	}
}

// TestStageScenarioSelected: the stage scenario is in the default run and
// in -run stage-workers, not in another scenario's -run, and keeps its
// reference under -contenders.
func TestStageScenarioSelected(t *testing.T) {
	names := func(args ...string) map[string]string {
		t.Helper()
		c, err := parseFlags(args, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, s := range selectScenarios(c) {
			var cs []string
			for _, ct := range s.contenders {
				cs = append(cs, ct.name)
			}
			got[s.name] = strings.Join(cs, " ")
		}
		return got
	}
	if got := names()["stage-workers"]; got != "stage stage-w2" {
		t.Errorf("default run: stage-workers contenders %q", got)
	}
	if got := names("-run", "^stage-workers$"); len(got) != 1 || got["stage-workers"] != "stage stage-w2" {
		t.Errorf("-run stage-workers: %v", got)
	}
	if _, ok := names("-run", "jq-record")["stage-workers"]; ok {
		t.Error("-run jq-record selected stage-workers")
	}
	if got := names("-run", "stage", "-contenders", "^bridge$")["stage-workers"]; got != "stage" {
		t.Errorf("-contenders ^bridge$: stage-workers contenders %q, want the reference", got)
	}
}

// TestStageSkipped: without -stage-bench the stage's runs are skipped, the
// scenario is reported skipped with the reason, and its targets are not
// measured; no binary is built. With it, they run.
func TestStageSkipped(t *testing.T) {
	c := testConfig(t)
	st := scenarioByName(t, "stage-workers")
	bin, err := stageBinary(t.Context(), c, t.TempDir(), t.TempDir(), []scenario{st}, io.Discard)
	if err != nil || bin != "" {
		t.Fatalf("without -stage-bench: binary %q, %v", bin, err)
	}
	// With the flag but the scenario not selected, nothing is built
	// either (the root is no module: a build would fail).
	c.stageBench = "bin/jq.test"
	if bin, err := stageBinary(t.Context(), c, t.TempDir(), t.TempDir(), []scenario{scenarioByName(t, "jq-record")}, io.Discard); err != nil || bin != "" {
		t.Fatalf("stage-workers not selected: binary %q, %v", bin, err)
	}

	d := &driver{cfg: c, peers: map[system]peer{}, rejected: map[string]string{}}
	var runs []Run
	for i, ct := range st.contenders {
		r := d.measure(t.Context(), i, st, ct)
		if r.Skipped != errNoStageBench.Error() || r.Error != "" || r.Bench != nil {
			t.Errorf("%s without -stage-bench: %+v", ct.name, r)
		}
		runs = append(runs, r)
	}
	sum := summarize(st, runs)
	if !strings.Contains(sum.Skipped, "no -stage-bench") {
		t.Errorf("scenario not reported skipped: %q", sum.Skipped)
	}
	for _, cs := range sum.Contenders {
		if cs.Runs != 0 || cs.Skipped == "" {
			t.Errorf("%s: %+v", cs.Name, cs)
		}
	}
	for _, g := range sum.Goals {
		if g.Met != nil || g.Achieved != "–" {
			t.Errorf("target measured without runs: %+v", g)
		}
	}

	d.bins.stage = "/some/jq.test"
	for _, ct := range st.contenders {
		if r := d.skipReason(st, ct); r != "" {
			t.Errorf("%s with -stage-bench skipped: %q", ct.name, r)
		}
	}
}

// fakeTestBinary writes a shell script standing in for jq.test: it records
// its arguments in the returned file, prints out and exits with code.
func fakeTestBinary(t *testing.T, out string, code int) (bin, args string) {
	t.Helper()
	dir := t.TempDir()
	bin, args = filepath.Join(dir, "jq.test"), filepath.Join(dir, "args")
	script := "#!/bin/sh\necho \"$@\" > '" + args + "'\ncat <<'EOF'\n" + out + "\nEOF\nexit " + strconv.Itoa(code) + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, args
}

// TestRunGoBench runs fake test binaries: a result line gives the run's
// figures; no line, a malformed one or a failed benchmark fail the run
// with the reason, and the report counts the failure.
func TestRunGoBench(t *testing.T) {
	st := scenarioByName(t, "stage-workers")
	w2, _ := st.contender("stage-w2")
	c := testConfig(t)
	c.stageN = 5000
	measure := func(out string, code int) (Run, string) {
		t.Helper()
		bin, argsFile := fakeTestBinary(t, out, code)
		d := &driver{cfg: c, peers: map[system]peer{}, rejected: map[string]string{}}
		d.bins.stage = bin
		r := d.measure(t.Context(), 0, st, w2)
		args, _ := os.ReadFile(argsFile)
		return r, strings.TrimSpace(string(args))
	}

	r, args := measure("goos: linux\n"+strings.Replace(stageLine, "workers=1", "workers=2", 1)+"\nPASS", 0)
	if want := "-test.run ^$ -test.bench ^BenchmarkStage$/^workers=2$ -test.benchtime 5000x -test.timeout 10m"; args != want {
		t.Errorf("arguments %q, want %q", args, want)
	}
	if r.Error != "" || r.Skipped != "" || r.Bench == nil {
		t.Fatalf("run %+v", r)
	}
	if r.Published != 1000000 || r.Throughput != 1e9/1283.0 || r.CPUPerM != 1.301 || r.value("allocs") != 4 || r.value("bytes") != 62 {
		t.Errorf("figures: published %d, %v msg/s, %v CPU s/M, %v allocs, %v B", r.Published, r.Throughput, r.CPUPerM, r.value("allocs"), r.value("bytes"))
	}

	var failed []Run
	for _, tc := range []struct {
		name, out string
		code      int
		want      string
	}{
		{"no result", "PASS", 0, "no benchmark result line for BenchmarkStage/workers=2"},
		{"malformed", "BenchmarkStage/workers=2-2 1000 1283 ns/op", 0, "malformed benchmark result line: no cpu-ns/op"},
		{"failed", "--- FAIL: BenchmarkStage/workers=2-2\n    bench_test.go:9: the stage emitted on its channel\nFAIL", 1, "exit status 1: --- FAIL"},
	} {
		r, _ := measure(tc.out, tc.code)
		if !strings.Contains(r.Error, tc.want) || r.Skipped != "" || r.Bench != nil {
			t.Errorf("%s: run %+v, want an error with %q", tc.name, r, tc.want)
		}
		failed = append(failed, r)
	}
	sum := summarize(st, failed)
	if cs := sum.Contenders[1]; cs.Name != "stage-w2" || cs.Runs != 0 || cs.Errors != 3 {
		t.Errorf("failed runs in the report: %+v", cs)
	}
	if g := sum.Goals[0]; g.Met != nil {
		t.Errorf("target met by failed runs: %+v", g)
	}
}

// TestStageReport summarizes made-up stage runs: throughput is 1e9 over
// ns/op, CPU per M messages from cpu-ns/op, the allocation columns, the
// workers target, and a target mark in the plot.
func TestStageReport(t *testing.T) {
	c := testConfig(t)
	st := scenarioByName(t, "stage-workers")
	var runs []Run
	for rep, ns := range []float64{1000, 1250, 800} {
		for _, r := range []struct {
			who         string
			ns, cpu, by float64
		}{{"stage", ns, 1000, 62}, {"stage-w2", ns / 2, 1100, 64}} {
			b := &BenchResult{N: 1000, NsPerOp: r.ns, CPUNsPerOp: r.cpu, BytesPerOp: r.by, AllocsPerOp: 4}
			runs = append(runs, Run{Scenario: st.name, System: r.who, Rep: rep, Bench: b,
				Throughput: 1e9 / b.NsPerOp, CPUPerM: b.CPUNsPerOp / 1e3})
		}
	}
	r := newReport(Machine{CPUs: 2}, c, []scenario{st}, runs)
	dir, md := writeReport(t, r)
	for _, want := range []string{
		"| contender | throughput (msg/s) | CPU s per M msgs | B allocated per msg | allocations per msg |",
		"| **the stage, 1 worker** (reference) | 1,000,000 | 1.000 | 62 | 4.0 |",
		"| the stage, 2 workers | 2,000,000 (2.00×) | 1.100 (1.10×) | 64 (1.03×) | 4.0 (1.00×) |",
		"- the stage, 2 workers, throughput (msg/s) ≥ 1.7× the stage, 1 worker: 2.00× ✓",
		"- the stage, 1 worker, allocations per msg measured: 4.0 ✓",
		"Each repetition runs the contenders 3 times",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("latest.md lacks %q:\n%s", want, md)
		}
	}
	svg, err := os.ReadFile(filepath.Join(dir, "latest.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(svg), `<line class="mark"`) || !strings.Contains(string(svg), "≥ 1.7× the stage, 1 worker</title>") {
		t.Errorf("latest.svg has no mark for the workers target:\n%s", svg)
	}
}
