package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/natsbridge/bridge/bench/internal/subproc"
)

// A goBench run is one process of a Go test binary running one benchmark
// for a fixed number of iterations, one message each; its figures come
// from the benchmark's result line. The stage-workers scenario runs
// BenchmarkStage of the jq package's test binary (-stage-bench) this way:
// the processing stage alone, in process, as issue 12 measures it.

// BenchResult is the result line of one run of a Go benchmark.
type BenchResult struct {
	Name string `json:"name"` // as printed, with its -GOMAXPROCS suffix
	N    int64  `json:"n"`
	// The benchmark's own figures: wall and CPU time per op, and what
	// an op allocates.
	NsPerOp     float64 `json:"ns_per_op"`
	CPUNsPerOp  float64 `json:"cpu_ns_per_op"`
	BytesPerOp  float64 `json:"bytes_per_op"`
	AllocsPerOp float64 `json:"allocs_per_op"`
}

var (
	// errNoStageBench is why the stage's runs are skipped without
	// -stage-bench.
	errNoStageBench = errors.New("not measured: no -stage-bench (the jq package's test binary; make bench builds bin/jq.test)")
	// errNoResult: the output has no result line for the benchmark (it
	// failed, or the pattern matched no benchmark).
	errNoResult = errors.New("no benchmark result line")
	// errBadResult: a result line that does not read as one.
	errBadResult = errors.New("malformed benchmark result line")
)

// benchPattern returns the -test.bench pattern that matches benchmark name
// ("BenchmarkStage/workers=1") and none other: each level anchored.
func benchPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// parseBench returns the result of benchmark name in a test binary's
// output.
func parseBench(out, name string) (*BenchResult, error) {
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) > 0 && isBenchName(f[0], name) {
			return parseResultLine(f)
		}
	}
	return nil, fmt.Errorf("%w for %s", errNoResult, name)
}

// isBenchName reports whether printed is benchmark name, with or without
// the -GOMAXPROCS suffix the testing package appends.
func isBenchName(printed, name string) bool {
	procs, ok := strings.CutPrefix(printed, name)
	if !ok {
		return false
	}
	if procs == "" {
		return true
	}
	n, err := strconv.Atoi(strings.TrimPrefix(procs, "-"))
	return procs[0] == '-' && err == nil && n > 0
}

// parseResultLine reads the fields of a result line: the name, the
// iterations, then value and unit pairs. ns/op, cpu-ns/op, B/op and
// allocs/op must be there; other units (MB/s) are ignored.
func parseResultLine(f []string) (*BenchResult, error) {
	line := strings.Join(f, " ")
	if len(f) < 2 || len(f)%2 != 0 {
		return nil, fmt.Errorf("%w: %q", errBadResult, line)
	}
	r := &BenchResult{Name: f[0]}
	var err error
	if r.N, err = strconv.ParseInt(f[1], 10, 64); err != nil || r.N <= 0 {
		return nil, fmt.Errorf("%w: iterations %q: %q", errBadResult, f[1], line)
	}
	want := map[string]*float64{"ns/op": &r.NsPerOp, "cpu-ns/op": &r.CPUNsPerOp, "B/op": &r.BytesPerOp, "allocs/op": &r.AllocsPerOp}
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%w: value %q: %q", errBadResult, f[i], line)
		}
		if p, ok := want[f[i+1]]; ok {
			*p = v
			delete(want, f[i+1])
		}
	}
	for _, unit := range []string{"ns/op", "cpu-ns/op", "B/op", "allocs/op"} {
		if _, missing := want[unit]; missing {
			return nil, fmt.Errorf("%w: no %s: %q", errBadResult, unit, line)
		}
	}
	if r.NsPerOp == 0 {
		return nil, fmt.Errorf("%w: 0 ns/op: %q", errBadResult, line)
	}
	return r, nil
}

// runGoBench runs contender c's benchmark for the scenario's count of
// iterations in a process of its own, and takes its figures from the
// result line.
func (d *driver) runGoBench(ctx context.Context, run *Run, s scenario, c contender) error {
	n := s.count(d.cfg)
	out := subproc.NewTail(32 << 10)
	// -test.timeout as go test sets it: a benchmark that hangs fails
	// with its goroutines' stacks instead of stopping the harness.
	cmd := exec.CommandContext(ctx, d.bins.stage, "-test.run", "^$", "-test.bench", benchPattern(c.benchmark),
		"-test.benchtime", fmt.Sprintf("%dx", n), "-test.timeout", "10m")
	cmd.Env = cleanEnv()
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			run.MaxRSS = ru.Maxrss << 10 // kilobytes on Linux
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(d.bins.stage), err, lastLines(out.String(), 6))
	}
	res, err := parseBench(out.String(), c.benchmark)
	if err != nil {
		return fmt.Errorf("%w; output: %s", err, lastLines(out.String(), 6))
	}
	run.Bench = res
	run.Published = res.N
	run.Throughput = 1e9 / res.NsPerOp
	run.Window = res.NsPerOp * float64(res.N) / 1e9
	run.CPU = res.CPUNsPerOp * float64(res.N) / 1e9
	run.CPUPerM = res.CPUNsPerOp * 1e6 / 1e9
	return nil
}

// stageBinary returns the test binary of -stage-bench (relative to the
// module root), built from ./jq into dir if missing; "" without the flag
// or when no selected scenario runs it.
func stageBinary(ctx context.Context, c *config, root, dir string, selected []scenario, stderr io.Writer) (string, error) {
	if c.stageBench == "" || !slices.ContainsFunc(selected, func(s scenario) bool { return s.kind == goBench }) {
		return "", nil
	}
	bin := c.stageBench
	if !filepath.IsAbs(bin) {
		bin = filepath.Join(root, bin)
	}
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	fmt.Fprintf(stderr, "bench: %s missing: building the test binary of ./jq\n", bin)
	bin = filepath.Join(dir, "jq.test")
	cmd := exec.CommandContext(ctx, "go", "test", "-c", "-trimpath", "-o", bin, "./jq")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go test -c ./jq: %w\n%s", err, out)
	}
	return bin, nil
}
