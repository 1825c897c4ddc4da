package main

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/natsbridge/bridge/bench/internal/svgplot"
)

// plot draws, per scenario, every contender's throughput and CPU, the
// targets (achieved ratio against the target mark), and the latency
// percentiles.
func (r *Report) plot(w io.Writer) error {
	tput := svgplot.Chart{Title: "throughput (median)", Unit: "messages per second (ratio to the scenario's reference in parentheses)", Series: families}
	cpu := svgplot.Chart{Title: "CPU per message (median)", Unit: "CPU seconds per million messages, log scale", Log: true, Series: families}
	goals := svgplot.Chart{Title: "targets: achieved ratio (target marked in red)", Unit: "ratio (1 = as the contender compared with)", Ref: 1}
	lat := svgplot.Chart{Title: "latency at a fixed rate (median of each percentile)", Unit: "microseconds from Publish to the subscriber, log scale", Log: true, Series: families}
	for _, s := range r.Summary {
		tg, cg := svgplot.Group{Title: s.Title}, svgplot.Group{Title: s.Title}
		latGroups := map[string]*svgplot.Group{}
		for _, c := range s.Contenders {
			if c.Runs == 0 {
				continue
			}
			for j, f := range s.figs {
				cell := c.Cells[j]
				text := f.format(val(cell.Median))
				if cell.Ratio != nil {
					text += fmt.Sprintf(" (%.2f×)", *cell.Ratio)
				}
				bar := svgplot.Bar{Label: c.Name, Series: c.family, Value: val(cell.Median), Text: text}
				switch f.key {
				case "throughput":
					tg.Bars = append(tg.Bars, bar)
				case "cpu":
					cg.Bars = append(cg.Bars, bar)
				case "p50", "p99", "p999":
					g := latGroups[f.key]
					if g == nil {
						g = &svgplot.Group{Title: s.Scenario + " " + strings.TrimPrefix(f.label, "latency ")}
						latGroups[f.key] = g
					}
					bar.Text += " µs"
					g.Bars = append(g.Bars, bar)
				}
			}
		}
		for _, key := range []string{"p50", "p99", "p999"} {
			if g := latGroups[key]; g != nil {
				lat.Groups = append(lat.Groups, *g)
			}
		}
		if len(tg.Bars) > 0 {
			tput.Groups = append(tput.Groups, tg)
		}
		if len(cg.Bars) > 0 {
			cpu.Groups = append(cpu.Groups, cg)
		}
		gg := svgplot.Group{Title: s.Title}
		for _, g := range s.Goals {
			if g.Ratio == nil {
				continue
			}
			bar := svgplot.Bar{Label: g.Contender + " ÷ " + g.Versus + ", " + g.Figure, Value: *g.Ratio,
				Text: fmt.Sprintf("%.2f", *g.Ratio), Bad: g.Met != nil && !*g.Met}
			if !math.IsNaN(g.mark) {
				bar.Mark, bar.HasMark, bar.MarkText = g.mark, true, "target "+g.Text
			}
			gg.Bars = append(gg.Bars, bar)
		}
		if len(gg.Bars) > 0 {
			goals.Groups = append(goals.Groups, gg)
		}
	}
	var charts []svgplot.Chart
	for _, c := range []svgplot.Chart{tput, cpu, goals, lat} {
		if len(c.Groups) > 0 {
			charts = append(charts, c)
		}
	}
	return svgplot.Write(w, 960, charts...)
}
