package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/natsbridge/bridge/bench/internal/stats"
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
}

// ScenarioSummary holds the medians of one scenario's contenders, side by
// side, and its targets.
type ScenarioSummary struct {
	Scenario string `json:"scenario"`
	Title    string `json:"title"`
	// Reference is the contender the ratios divide by.
	Reference string `json:"reference"`
	// RoundsPerRep is how many runs of each contender a repetition makes,
	// when more than one.
	RoundsPerRep int `json:"rounds_per_rep,omitempty"`
	// Skipped says why nothing of the bridge (or of its stage) was
	// measured.
	Skipped    string             `json:"skipped,omitempty"`
	Contenders []ContenderSummary `json:"contenders"`
	Goals      []GoalResult       `json:"goals,omitempty"`

	figs []figure
}

// ContenderSummary is one contender's medians in a scenario.
type ContenderSummary struct {
	Name   string `json:"name"`
	Label  string `json:"label"`
	Family string `json:"family"`
	// Runs counts the complete runs, Errors the failed ones; Skipped says
	// why runs were skipped.
	Runs    int    `json:"runs"`
	Errors  int    `json:"errors,omitempty"`
	Skipped string `json:"skipped,omitempty"`
	Cells   []Cell `json:"figures"`

	family int
}

// Cell is one figure of one contender: the median over its complete runs,
// and its ratio to the reference's median.
type Cell struct {
	Figure string   `json:"figure"`
	Median *float64 `json:"median"`
	Ratio  *float64 `json:"ratio,omitempty"`
}

// GoalResult is a target and whether the medians meet it.
type GoalResult struct {
	Contender string `json:"contender"`
	Figure    string `json:"figure"`
	Versus    string `json:"versus,omitempty"`
	Text      string `json:"text"`
	// Achieved is the figure's ratio to Versus's (the value itself for
	// an absolute goal), as printed.
	Achieved string   `json:"achieved"`
	Ratio    *float64 `json:"ratio,omitempty"`
	Met      *bool    `json:"met,omitempty"`

	mark float64 // on the ratio scale; NaN for none
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
			"reps": c.reps, "burst_messages": c.n, "js_backlog_messages": c.jsN, "stage_messages": c.stageN,
			"rate_msgs": c.rate, "latency_s": c.latency.Seconds(), "warmup_s": c.warmup.Seconds(),
			"drain_idle_s": c.idle.Seconds(), "js_storage": c.jsStorage, "quick": c.quick,
			"bridge_env": c.bridgeEnv, "peers": c.peers,
		},
		Runs: runs,
	}
	for _, s := range selected {
		r.Summary = append(r.Summary, summarize(s, runs))
	}
	return r
}

// summarize computes the medians, ratios and goals of scenario s.
func summarize(s scenario, runs []Run) ScenarioSummary {
	sum := ScenarioSummary{Scenario: s.name, Title: s.title, Reference: s.reference, figs: s.figures()}
	if n := s.roundsPerRep(); n > 1 {
		sum.RoundsPerRep = n
	}
	medians := map[string]map[string]float64{} // contender, figure
	bridgeMeasured, bridgeSkipped := false, ""
	for _, c := range s.contenders {
		cs := ContenderSummary{Name: c.name, Label: c.label, Family: families[c.sys.family()], family: c.sys.family()}
		values := map[string][]float64{}
		for i := range runs {
			run := &runs[i]
			if run.Scenario != s.name || run.System != c.name {
				continue
			}
			switch {
			case run.Skipped != "":
				if cs.Skipped == "" {
					cs.Skipped = run.Skipped
				}
				continue
			case run.Error != "":
				cs.Errors++
				continue
			}
			cs.Runs++
			for _, f := range sum.figs {
				values[f.key] = append(values[f.key], run.value(f.key))
			}
		}
		medians[c.name] = map[string]float64{}
		for _, f := range sum.figs {
			medians[c.name][f.key] = stats.Median(values[f.key])
		}
		if c.sys.ofBridge() {
			bridgeMeasured = bridgeMeasured || cs.Runs > 0
			if cs.Skipped != "" {
				bridgeSkipped = cs.Skipped
			}
		}
		sum.Contenders = append(sum.Contenders, cs)
	}
	if !bridgeMeasured && bridgeSkipped != "" {
		sum.Skipped = "bridge: " + bridgeSkipped
	}
	for i := range sum.Contenders {
		cs := &sum.Contenders[i]
		for _, f := range sum.figs {
			v, ref := medians[cs.Name][f.key], medians[s.reference][f.key]
			cell := Cell{Figure: f.key, Median: num(v)}
			if f.ratio && cs.Name != s.reference && ref > 0 {
				cell.Ratio = num(v / ref)
			}
			cs.Cells = append(cs.Cells, cell)
		}
	}
	for _, g := range s.goals {
		sum.Goals = append(sum.Goals, evalGoal(s, g, medians))
	}
	return sum
}

// evalGoal checks goal g against the medians.
func evalGoal(s scenario, g goal, medians map[string]map[string]float64) GoalResult {
	label := func(name string) string {
		if c, ok := s.contender(name); ok {
			return c.label
		}
		return name
	}
	f := figureByKey(g.figure)
	res := GoalResult{Contender: g.who, Figure: g.figure, Versus: g.vs, Achieved: "–", mark: math.NaN()}
	res.Text = fmt.Sprintf("%s, %s %s", label(g.who), f.label, g.text)
	v := math.NaN()
	if m, ok := medians[g.who]; ok {
		v = m[g.figure]
	}
	if g.vs == "" {
		if !math.IsNaN(v) {
			met := g.met(v, 0)
			res.Met, res.Achieved = &met, f.format(v)
		}
		return res
	}
	res.Text += " " + label(g.vs)
	ref := math.NaN()
	if m, ok := medians[g.vs]; ok {
		ref = m[g.figure]
	}
	if math.IsNaN(v) || math.IsNaN(ref) || ref <= 0 {
		return res
	}
	met := g.met(v, ref)
	res.Met, res.Ratio, res.mark = &met, num(v/ref), g.mark(ref)
	res.Achieved = fmt.Sprintf("%.2f×", v/ref)
	if f.key == "p50" || f.key == "p99" || f.key == "p999" {
		res.Achieved = fmt.Sprintf("%+.0f µs", v-ref)
	}
	return res
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
