// Package svgplot draws horizontal bar charts as standalone SVG, with no
// dependency beyond the standard library: enough for the benchmark
// harness's ratio and latency plots.
package svgplot

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ErrEmpty is returned by Write when there is nothing to draw.
var ErrEmpty = errors.New("svgplot: no chart has a positive value")

// Chart is one panel of horizontal bars, in groups.
type Chart struct {
	// Title is printed above the panel.
	Title string
	// Unit labels the value axis.
	Unit string
	// Log draws the value axis on a log10 scale; values <= 0 get no bar.
	Log bool
	// Ref, when positive, draws a dashed vertical reference line (1 for
	// ratios).
	Ref float64
	// Series names the bar colours, in order, for the legend; bars refer
	// to them by index. Empty: no legend.
	Series []string
	// Groups are drawn top to bottom.
	Groups []Group
}

// Group is a titled set of bars.
type Group struct {
	Title string
	Bars  []Bar
}

// Bar is one bar.
type Bar struct {
	// Label is printed left of the bar.
	Label string
	// Series selects the colour (and legend entry).
	Series int
	// Value is the bar's length on the chart's scale. NaN draws no bar
	// and prints "n/a".
	Value float64
	// Text is printed right of the bar; "" prints Value.
	Text string
	// Mark, when HasMark, draws a target tick at that value; MarkText is
	// its tooltip.
	Mark     float64
	HasMark  bool
	MarkText string
	// Bad colours the bar's text red (a missed target).
	Bad bool
}

// Layout, in pixels.
const (
	labelWidth = 250
	textWidth  = 120
	barHeight  = 16
	rowHeight  = 20
	groupHead  = 22
	titleHead  = 34
	axisHeight = 34
	legendRow  = 20
	chartGap   = 24
	margin     = 12
)

// Palette holds the series colours (Tableau 10).
var Palette = []string{"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948"}

// Write draws the charts one below the other in an SVG document width
// pixels wide.
func Write(w io.Writer, width int, charts ...Chart) error {
	var drawable bool
	for _, c := range charts {
		lo, hi := c.domain()
		drawable = drawable || hi > lo
	}
	if !drawable {
		return ErrEmpty
	}
	height := margin
	for _, c := range charts {
		height += c.height() + chartGap
	}
	bw := bufio.NewWriter(w)
	p := &printer{w: bw}
	p.printf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	p.printf(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	y := margin
	for _, c := range charts {
		c.draw(p, y, width)
		y += c.height() + chartGap
	}
	p.printf("</svg>\n")
	if p.err != nil {
		return p.err
	}
	return bw.Flush()
}

func (c Chart) rows() int {
	n := 0
	for _, g := range c.Groups {
		n += len(g.Bars)
	}
	return n
}

func (c Chart) height() int {
	h := titleHead + len(c.Groups)*groupHead + c.rows()*rowHeight + axisHeight
	if len(c.Series) > 0 {
		h += legendRow
	}
	return h
}

// domain returns the range of the value axis.
func (c Chart) domain() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	see := func(v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) || (c.Log && v <= 0) {
			return
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	for _, g := range c.Groups {
		for _, b := range g.Bars {
			see(b.Value)
			if b.HasMark {
				see(b.Mark)
			}
		}
	}
	if c.Ref > 0 {
		see(c.Ref)
	}
	if math.IsInf(hi, -1) {
		return 0, 0
	}
	if c.Log {
		return math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)+1e-9))
	}
	if hi <= 0 {
		return 0, 0
	}
	step := niceStep(hi * 1.05 / 5)
	return 0, math.Ceil(hi*1.05/step) * step
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func (c Chart) ticks(lo, hi float64) []float64 {
	var ts []float64
	if c.Log {
		for v := lo; v <= hi*1.0001; v *= 10 {
			ts = append(ts, v)
		}
		return ts
	}
	step := niceStep(hi / 5)
	for v := 0.0; v <= hi*1.0001; v += step {
		ts = append(ts, v)
	}
	return ts
}

func (c Chart) draw(p *printer, y0, width int) {
	x0, x1 := float64(labelWidth), float64(width-textWidth)
	lo, hi := c.domain()
	scale := func(v float64) float64 {
		if hi <= lo {
			return x0
		}
		if c.Log {
			if v <= 0 {
				return x0
			}
			v = math.Log10(v)
			return x0 + (v-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))*(x1-x0)
		}
		return x0 + (v-lo)/(hi-lo)*(x1-x0)
	}
	p.printf(`<text x="%d" y="%d" font-size="15" font-weight="bold">%s</text>`+"\n", margin, y0+20, esc(c.Title))
	y := y0 + titleHead
	if len(c.Series) > 0 {
		x := labelWidth
		for i, s := range c.Series {
			p.printf(`<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
				x, y, Palette[i%len(Palette)], x+16, y+10, esc(s))
			x += 24 + 8*len(s)
		}
		y += legendRow
	}
	plotTop := y
	plotBottom := y + len(c.Groups)*groupHead + c.rows()*rowHeight
	// Grid and axis labels.
	for _, t := range c.ticks(lo, hi) {
		x := scale(t)
		p.printf(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", x, plotTop, x, plotBottom)
		p.printf(`<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>`+"\n", x, plotBottom+14, esc(formatTick(t)))
	}
	p.printf(`<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>`+"\n", (x0+x1)/2, plotBottom+30, esc(c.Unit))
	for _, g := range c.Groups {
		p.printf(`<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", margin, y+15, esc(g.Title))
		y += groupHead
		for _, b := range g.Bars {
			mid := y + rowHeight/2
			p.printf(`<text x="%d" y="%d" text-anchor="end" fill="#333">%s</text>`+"\n", labelWidth-8, mid+4, esc(b.Label))
			text := b.Text
			if text == "" {
				text = strconv.FormatFloat(b.Value, 'g', 3, 64)
			}
			end := x0
			if math.IsNaN(b.Value) || (c.Log && b.Value <= 0) {
				text = "n/a"
			} else {
				end = scale(b.Value)
				p.printf(`<rect class="bar" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s</title></rect>`+"\n",
					x0, mid-barHeight/2, end-x0, barHeight, Palette[b.Series%len(Palette)], esc(g.Title+" "+b.Label), esc(text))
			}
			fill := "#333"
			if b.Bad {
				fill = "#c00"
			}
			textX := max(end, x0) + 4
			if b.HasMark {
				mx := scale(b.Mark)
				p.printf(`<line class="mark" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#c00" stroke-width="2"><title>%s</title></line>`+"\n",
					mx, mid-barHeight/2-2, mx, mid+barHeight/2+2, esc(b.MarkText))
				if mx >= end-1 && mx < textX+40 {
					textX = mx + 5 // past the mark, not through it
				}
			}
			p.printf(`<text x="%.1f" y="%d" fill="%s">%s</text>`+"\n", textX, mid+4, fill, esc(text))
			y += rowHeight
		}
	}
	if c.Ref > 0 && c.Ref >= lo && c.Ref <= hi {
		x := scale(c.Ref)
		p.printf(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000" stroke-dasharray="4 3"/>`+"\n", x, plotTop, x, plotBottom)
	}
	p.printf(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000"/>`+"\n", x0, plotTop, x0, plotBottom)
}

// formatTick prints an axis value compactly: 0.5, 2, 100, 1k, 10k, 1M.
func formatTick(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case a >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}
