package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

func (r *Report) markdown(w io.Writer) {
	m := r.Machine
	mode := "full"
	if r.Settings["quick"] == true {
		mode = "quick (smoke test: small samples, not for comparison)"
	}
	fmt.Fprintf(w, "# The bridge against bare nats.go relays and peers\n\n")
	fmt.Fprintf(w, "Measured %s by `make bench` (bench/cmd/bench), mode %s: %v repetitions, medians.\n\n", m.Time, mode, r.Settings["reps"])
	fmt.Fprintf(w, "- commit %s; bridge %s\n", orDash(m.Commit), orDash(m.Bridge))
	fmt.Fprintf(w, "- %d CPUs (%s), Linux %s, %s\n", m.CPUs, orDash(m.CPUModel), orDash(m.Kernel), m.Go)
	fmt.Fprintf(w, "- load average before %s, after %s (figures from a busy machine are noise)\n", orDash(m.LoadBefore), orDash(m.LoadAfter))
	fmt.Fprintf(w, "- bursts of %v messages (scenarios marked n/2: half); fixed rate %v msg/s for %vs after %vs of warm-up; JetStream backlog of %v messages (%s storage); stage benchmark runs of %v messages\n",
		r.Settings["burst_messages"], r.Settings["rate_msgs"], r.Settings["latency_s"], r.Settings["warmup_s"], r.Settings["js_backlog_messages"], r.Settings["js_storage"], r.Settings["stage_messages"])
	if env, _ := r.Settings["bridge_env"].([]string); len(env) > 0 {
		fmt.Fprintf(w, "- extra bridge settings: `%s`\n", strings.Join(env, " "))
	}
	if r.Settings["peers"] == false {
		fmt.Fprintf(w, "- peers (Bento, Watermill) left out (-peers=false)\n")
	}
	fmt.Fprintln(w)
	r.markdownTable(w)
	fmt.Fprintf(w, "\n![throughput, CPU, targets and latency](latest.svg)\n\n")
	r.markdownRuns(w)
}

// markdownTable writes one side-by-side table per scenario, with its
// targets.
func (r *Report) markdownTable(w io.Writer) {
	for i, s := range r.Summary {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "### %s (`%s`)\n\n", mdEscape(s.Title), s.Scenario)
		if s.Skipped != "" {
			fmt.Fprintf(w, "Skipped: %s\n\n", mdEscape(s.Skipped))
		}
		if s.RoundsPerRep > 1 {
			fmt.Fprintf(w, "Each repetition runs the contenders %d times, interleaved: medians of %d× the repetitions.\n\n", s.RoundsPerRep, s.RoundsPerRep)
		}
		fmt.Fprintf(w, "| contender |")
		for _, f := range s.figs {
			fmt.Fprintf(w, " %s |", f.label)
		}
		fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("--:|", len(s.figs)))
		for _, c := range s.Contenders {
			label := c.Label
			if c.Name == s.Reference {
				label = "**" + label + "** (reference)"
			}
			fmt.Fprintf(w, "| %s |", mdEscape(label))
			if c.Runs == 0 {
				why := c.Skipped
				if why == "" {
					why = fmt.Sprintf("every run failed (%d; see the runs)", c.Errors)
				} else {
					why = "skipped: " + why
				}
				fmt.Fprintf(w, " %s |%s\n", mdEscape(why), strings.Repeat(" |", len(s.figs)-1))
				continue
			}
			for j, f := range s.figs {
				cell := c.Cells[j]
				text := f.format(val(cell.Median))
				if cell.Ratio != nil {
					text += fmt.Sprintf(" (%.2f×)", *cell.Ratio)
				}
				fmt.Fprintf(w, " %s |", text)
			}
			fmt.Fprintln(w)
		}
		if len(s.Goals) > 0 {
			fmt.Fprintf(w, "\nTargets:\n\n")
			for _, g := range s.Goals {
				mark := ""
				if g.Met != nil {
					mark = map[bool]string{true: " ✓", false: " ✗"}[*g.Met]
				}
				fmt.Fprintf(w, "- %s: %s%s\n", mdEscape(g.Text), g.Achieved, mark)
			}
		}
	}
	fmt.Fprintf(w, "\nRatios in parentheses are to the scenario's reference. Targets are reported, never asserted: ✓ met, ✗ missed, no mark: not measured. A throughput near the publisher's rate means the load, not the system, was the limit.\n")
}

// markdownRuns writes every run, in the order made.
func (r *Report) markdownRuns(w io.Writer) {
	fmt.Fprintf(w, "## Runs\n\nEvery run, in the order made. CPU is the measured process's user+system time over the run's window, per million messages published; server CPU is nats-server's over the same window. A stage benchmark's figures are its own (its notes give its result line), one message an op.\n\n")
	fmt.Fprintf(w, "| scenario | contender | rep | msg/s | published msg/s | lost | dup | CPU s/M | RSS MiB | p50 µs | p99 µs | p99.9 µs | server CPU s | server slow consumers | notes |\n")
	fmt.Fprintf(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for i := range r.Runs {
		run := &r.Runs[i]
		var notes []string
		if run.Skipped != "" {
			notes = append(notes, "skipped: "+run.Skipped)
		}
		if run.Error != "" {
			notes = append(notes, "error: "+run.Error)
		}
		if run.Pacing != nil {
			note := fmt.Sprintf("publisher late p99 %v, max %v", run.Pacing.Late.P99.Round(time.Microsecond), run.Pacing.Late.Max.Round(time.Microsecond))
			if run.Pacing.Late.P99 > busyPacing {
				note += " (busy machine: the load came in bursts)"
			}
			notes = append(notes, note)
		}
		if run.Bench != nil {
			notes = append(notes, fmt.Sprintf("%s: %v ns/op, %v cpu-ns/op, %v B/op, %v allocs/op",
				run.Bench.Name, run.Bench.NsPerOp, run.Bench.CPUNsPerOp, run.Bench.BytesPerOp, run.Bench.AllocsPerOp))
		}
		if run.AckPending > 0 {
			notes = append(notes, fmt.Sprintf("%d not acknowledged", run.AckPending))
		}
		notes = append(notes, run.Metrics...)
		if run.ExitReport != "" && (run.Lost > 0 || run.Duplicates > 0) {
			notes = append(notes, run.ExitReport)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %d | %d | %.3f | %s | %s | %s | %s | %.2f | %d | %s |\n",
			run.Scenario, run.System, run.Rep+1, fmtCount(run.value("throughput")), fmtCount(orNaN(run.PublishRate)), run.Lost, run.Duplicates,
			run.CPUPerM, fmtFixed(1)(orNaN(float64(run.PeakRSS)/(1<<20))), fmtMicros(run.value("p50")), fmtMicros(run.value("p99")), fmtMicros(run.value("p999")),
			run.ServerCPU, run.ServerSlowConsumers, mdEscape(strings.Join(notes, "; ")))
	}
}

// busyPacing is the publisher lateness (p99) above which a fixed-rate run
// is flagged: the machine did not give the publisher its CPU in time.
const busyPacing = 200 * time.Microsecond

// orNaN returns NaN for 0, which prints as "–".
func orNaN(x float64) float64 {
	if x == 0 {
		return math.NaN()
	}
	return x
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
