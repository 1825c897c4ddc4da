package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/natsbridge/bridge/bench/internal/stats"
	"github.com/natsbridge/bridge/bench/internal/svgplot"
)

// Machine describes where and on what the figures were measured.
type Machine struct {
	Time       string `json:"time"`
	CPUs       int    `json:"cpus"`
	CPUModel   string `json:"cpu_model"`
	Kernel     string `json:"kernel"`
	Go         string `json:"go"`
	Commit     string `json:"commit"`
	Bridge     string `json:"bridge"`
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
}

func collectMachine(ctx context.Context, root string, c *config) Machine {
	m := Machine{
		Time:       time.Now().Format(time.RFC3339),
		CPUs:       runtime.NumCPU(),
		Go:         runtime.Version(),
		LoadBefore: loadAverage(),
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	git := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty")
	git.Dir = root
	if out, err := git.Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	if out, err := exec.CommandContext(ctx, c.bridge, "-version").Output(); err == nil {
		m.Bridge = strings.TrimSpace(string(out))
	}
	return m
}

// loadAverage returns the 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// Report is everything written to latest.json.
type Report struct {
	Machine  Machine           `json:"machine"`
	Settings map[string]any    `json:"settings"`
	Summary  []ScenarioSummary `json:"summary"`
	Runs     []Run             `json:"runs"`

	scenarios []scenario
}

// ScenarioSummary holds the medians of one scenario.
type ScenarioSummary struct {
	Scenario string `json:"scenario"`
	Title    string `json:"title"`
	Runs     int    `json:"runs"` // complete runs per system, at least
	Skipped  string `json:"skipped,omitempty"`
	Rows     []Row  `json:"rows"`
}

// Row is one figure of a scenario: the medians and their ratio.
type Row struct {
	Figure string   `json:"figure"`
	Label  string   `json:"label"`
	Bridge *float64 `json:"bridge"`
	Relay  *float64 `json:"relay"`
	Ratio  *float64 `json:"ratio"`
	Goal   string   `json:"goal,omitempty"`
	Met    *bool    `json:"met,omitempty"`

	fig  figure
	mark float64 // the goal on the ratio scale, NaN for none
}

func num(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func newReport(m Machine, c *config, selected []scenario, runs []Run) *Report {
	r := &Report{
		Machine: m,
		Settings: map[string]any{
			"reps": c.reps, "burst_messages": c.n, "js_backlog_messages": c.jsN,
			"rate_msgs": c.rate, "latency_s": c.latency.Seconds(), "warmup_s": c.warmup.Seconds(),
			"drain_idle_s": c.idle.Seconds(), "js_storage": c.jsStorage, "quick": c.quick,
			"bridge_env": c.bridgeEnv,
		},
		Runs:      runs,
		scenarios: selected,
	}
	for _, s := range selected {
		sum := ScenarioSummary{Scenario: s.name, Title: s.title, Runs: math.MaxInt}
		values := map[string]map[string][]float64{sysBridge: {}, sysRelay: {}}
		for _, sys := range []string{sysBridge, sysRelay} {
			complete := 0
			for i := range runs {
				run := &runs[i]
				if run.Scenario != s.name || run.System != sys {
					continue
				}
				if run.Skipped != "" && sum.Skipped == "" {
					sum.Skipped = sys + ": " + run.Skipped
				}
				if run.Skipped == "" && run.Error == "" {
					complete++
				}
				for _, f := range s.figures() {
					values[sys][f.key] = append(values[sys][f.key], run.value(f.key))
				}
			}
			sum.Runs = min(sum.Runs, complete)
		}
		for _, f := range s.figures() {
			b, rl := stats.Median(values[sysBridge][f.key]), stats.Median(values[sysRelay][f.key])
			row := Row{Figure: f.key, Label: f.label, Bridge: num(b), Relay: num(rl), fig: f, mark: math.NaN()}
			if f.ratio && rl > 0 {
				row.Ratio = num(b / rl)
			}
			for _, g := range s.goals {
				if g.figure != f.key {
					continue
				}
				row.Goal = g.text
				if !math.IsNaN(b) && !math.IsNaN(rl) {
					met := g.met(b, rl)
					row.Met = &met
				}
				if rl > 0 {
					row.mark = g.mark(rl)
				}
			}
			sum.Rows = append(sum.Rows, row)
		}
		r.Summary = append(r.Summary, sum)
	}
	return r
}

// write writes latest.md, latest.json and latest.svg into dir.
func (r *Report) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var md bytes.Buffer
	r.markdown(&md)
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	var svg bytes.Buffer
	if err := r.plot(&svg); err != nil {
		svg.Reset()
		fmt.Fprintf(&svg, `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="40"><text x="10" y="25">no figures to plot: %v</text></svg>`+"\n", err)
	}
	for name, b := range map[string][]byte{"latest.md": md.Bytes(), "latest.json": append(js, '\n'), "latest.svg": svg.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (r *Report) markdown(w io.Writer) {
	m := r.Machine
	mode := "full"
	if r.Settings["quick"] == true {
		mode = "quick (smoke test: small samples, not for comparison)"
	}
	fmt.Fprintf(w, "# Bridge vs bare nats.go relay\n\n")
	fmt.Fprintf(w, "Measured %s by `make bench` (bench/cmd/bench), mode %s: %v repetitions, medians.\n\n", m.Time, mode, r.Settings["reps"])
	fmt.Fprintf(w, "- commit %s; bridge %s\n", orDash(m.Commit), orDash(m.Bridge))
	fmt.Fprintf(w, "- %d CPUs (%s), Linux %s, %s\n", m.CPUs, orDash(m.CPUModel), orDash(m.Kernel), m.Go)
	fmt.Fprintf(w, "- load average before %s, after %s (figures from a busy machine are noise)\n", orDash(m.LoadBefore), orDash(m.LoadAfter))
	fmt.Fprintf(w, "- bursts of %v messages; fixed rate %v msg/s for %vs after %vs of warm-up; JetStream backlog of %v messages (%s storage)\n",
		r.Settings["burst_messages"], r.Settings["rate_msgs"], r.Settings["latency_s"], r.Settings["warmup_s"], r.Settings["js_backlog_messages"], r.Settings["js_storage"])
	if env, _ := r.Settings["bridge_env"].([]string); len(env) > 0 {
		fmt.Fprintf(w, "- extra bridge settings: `%s`\n", strings.Join(env, " "))
	}
	fmt.Fprintln(w)
	r.markdownTable(w)
	fmt.Fprintf(w, "\n![ratios and latency](latest.svg)\n\n")
	fmt.Fprintf(w, "## Runs\n\nEvery run, in the order made. CPU is the measured process's user+system time over the run's window, per million messages published; server CPU is nats-server's over the same window.\n\n")
	fmt.Fprintf(w, "| scenario | system | rep | msg/s | published msg/s | lost | dup | CPU s/M | RSS MiB | p50 µs | p99 µs | p99.9 µs | server CPU s | server slow consumers | notes |\n")
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
		if run.AckPending > 0 {
			notes = append(notes, fmt.Sprintf("%d not acknowledged", run.AckPending))
		}
		notes = append(notes, run.Metrics...)
		if run.ExitReport != "" && (run.Lost > 0 || run.Duplicates > 0) {
			notes = append(notes, run.ExitReport)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %d | %d | %.3f | %.1f | %s | %s | %s | %.2f | %d | %s |\n",
			run.Scenario, run.System, run.Rep+1, fmtCount(run.value("throughput")), fmtCount(orNaN(run.PublishRate)), run.Lost, run.Duplicates,
			run.CPUPerM, float64(run.PeakRSS)/(1<<20), fmtMicros(run.value("p50")), fmtMicros(run.value("p99")), fmtMicros(run.value("p999")),
			run.ServerCPU, run.ServerSlowConsumers, mdEscape(strings.Join(notes, "; ")))
	}
}

// markdownTable writes the summary table.
func (r *Report) markdownTable(w io.Writer) {
	fmt.Fprintf(w, "| scenario | figure | bridge | relay | bridge/relay | target |\n")
	fmt.Fprintf(w, "|---|---|--:|--:|--:|---|\n")
	for _, s := range r.Summary {
		title := s.Title
		if s.Skipped != "" {
			fmt.Fprintf(w, "| %s | skipped: %s | | | | |\n", title, mdEscape(s.Skipped))
			continue
		}
		for i, row := range s.Rows {
			if i > 0 {
				title = ""
			}
			ratio := "–"
			if row.Ratio != nil {
				ratio = fmt.Sprintf("%.2f", *row.Ratio)
			}
			target := row.Goal
			if row.Met != nil {
				if *row.Met {
					target += " ✓"
				} else {
					target += " ✗"
				}
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", title, row.Label,
				row.fig.format(val(row.Bridge)), row.fig.format(val(row.Relay)), ratio, target)
		}
	}
	fmt.Fprintf(w, "\nTargets are reported, never asserted: ✓ met, ✗ missed. A relay figure near the publisher's rate means the load, not the system, was the limit.\n")
}

// plot draws the ratios, the throughputs and the latency percentiles.
func (r *Report) plot(w io.Writer) error {
	ratios := svgplot.Chart{Title: "bridge / relay, medians (target marked in red)", Unit: "ratio (1 = as the relay; lower is better except for throughput)", Ref: 1}
	tput := svgplot.Chart{Title: "throughput (median)", Unit: "messages per second", Series: []string{sysBridge, sysRelay}}
	lat := svgplot.Chart{Title: "latency at a fixed rate (median of each percentile)", Unit: "microseconds from Publish to the subscriber, log scale", Log: true, Series: []string{sysBridge, sysRelay}}
	for _, s := range r.Summary {
		if s.Skipped != "" {
			continue
		}
		g := svgplot.Group{Title: s.Title}
		for _, row := range s.Rows {
			if row.Ratio == nil {
				continue
			}
			bar := svgplot.Bar{Label: row.Label, Value: *row.Ratio, Text: fmt.Sprintf("%.2f", *row.Ratio)}
			if !math.IsNaN(row.mark) {
				bar.Mark, bar.HasMark, bar.MarkText = row.mark, true, "target "+row.Goal
			}
			bar.Bad = row.Met != nil && !*row.Met
			g.Bars = append(g.Bars, bar)
			switch row.Figure {
			case "throughput":
				tput.Groups = append(tput.Groups, svgplot.Group{Title: s.Title, Bars: []svgplot.Bar{
					{Label: sysBridge, Series: 0, Value: val(row.Bridge), Text: row.fig.format(val(row.Bridge)), Bad: bar.Bad},
					{Label: sysRelay, Series: 1, Value: val(row.Relay), Text: row.fig.format(val(row.Relay))},
				}})
			case "p50", "p99", "p999":
				lat.Groups = append(lat.Groups, svgplot.Group{Title: s.Scenario + " " + strings.TrimPrefix(row.Label, "latency "), Bars: []svgplot.Bar{
					{Label: sysBridge, Series: 0, Value: val(row.Bridge), Text: row.fig.format(val(row.Bridge)) + " µs", Bad: bar.Bad},
					{Label: sysRelay, Series: 1, Value: val(row.Relay), Text: row.fig.format(val(row.Relay)) + " µs"},
				}})
			}
		}
		if len(g.Bars) > 0 {
			ratios.Groups = append(ratios.Groups, g)
		}
	}
	var charts []svgplot.Chart
	for _, c := range []svgplot.Chart{ratios, tput, lat} {
		if len(c.Groups) > 0 {
			charts = append(charts, c)
		}
	}
	return svgplot.Write(w, 900, charts...)
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
