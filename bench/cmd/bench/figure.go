package main

import (
	"fmt"
	"math"
)

// figure is one measured quantity of a run.
type figure struct {
	key    string
	label  string
	higher bool // higher is better
	format func(float64) string
	// ratio: a ratio between contenders means something (not for counts
	// that are usually zero).
	ratio bool
}

var figureList = []figure{
	{"throughput", "throughput (msg/s)", true, fmtCount, true},
	{"p50", "latency p50 (µs)", false, fmtMicros, true},
	{"p99", "latency p99 (µs)", false, fmtMicros, true},
	{"p999", "latency p99.9 (µs)", false, fmtMicros, true},
	{"lost", "messages lost", false, fmtCount, false},
	{"cpu", "CPU s per M msgs", false, fmtFixed(3), true},
	{"rss", "peak RSS (MiB)", false, fmtFixed(1), true},
	{"bytes", "B allocated per msg", false, fmtFixed(0), true},
	{"allocs", "allocations per msg", false, fmtFixed(1), true},
}

func figureByKey(key string) figure {
	for _, f := range figureList {
		if f.key == key {
			return f
		}
	}
	panic("unknown figure " + key)
}

// figures returns the figures a scenario reports, in table order.
func (s scenario) figures() []figure {
	keys := []string{"throughput", "lost", "cpu", "rss"}
	switch s.kind {
	case paced:
		keys = []string{"p50", "p99", "p999", "lost", "cpu", "rss"}
	case goBench:
		// Nothing is lost in process, and the RSS is the benchmark's,
		// inputs included.
		keys = []string{"throughput", "cpu", "bytes", "allocs"}
	}
	fs := make([]figure, len(keys))
	for i, k := range keys {
		fs[i] = figureByKey(k)
	}
	return fs
}

func fmtCount(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	// Thousands separated by commas.
	s := fmt.Sprintf("%.0f", math.Abs(v))
	var out []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	if v < 0 {
		return "-" + string(out)
	}
	return string(out)
}

func fmtMicros(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func fmtFixed(prec int) func(float64) string {
	return func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return fmt.Sprintf("%.*f", prec, v)
	}
}
