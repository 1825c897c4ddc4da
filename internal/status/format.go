package status

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// The page's numbers are formatted here for the first render and by
// page.js for every update; the two must agree.

const dash = "–" // no value

// funcs are the template functions of page.html.
var funcs = template.FuncMap{
	"count":      formatCount,
	"rate":       formatRate,
	"seconds":    formatSeconds,
	"buffer":     formatBuffer,
	"pending":    formatPending,
	"window":     formatWindow,
	"uptime":     formatUptime,
	"clock":      formatClock,
	"connection": connectionName,
	"totals":     totalsRow,
}

// formatCount groups the digits of n by thousands: 1,234,567.
func formatCount(n uint64) string {
	s := strconv.FormatUint(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatRate gives rates below 10 one decimal, others none.
func formatRate(r *Rates, key string) string {
	if r == nil {
		return dash
	}
	var v float64
	switch key {
	case "in":
		v = r.In
	case "out":
		v = r.Out
	case "filtered":
		v = r.Filtered
	case "failed":
		v = r.Failed
	case "dropped":
		v = r.Dropped
	default:
		return dash
	}
	switch {
	case v < 10:
		return strconv.FormatFloat(v, 'f', 1, 64) + "/s"
	}
	return formatCount(uint64(math.Round(v))) + "/s"
}

// formatSeconds picks µs, ms or s with three significant digits at most.
func formatSeconds(v float64) string {
	switch {
	case v < 1e-3:
		return strconv.FormatFloat(v*1e6, 'f', 0, 64) + "µs"
	case v < 10e-3:
		return strconv.FormatFloat(v*1e3, 'f', 2, 64) + "ms"
	case v < 100e-3:
		return strconv.FormatFloat(v*1e3, 'f', 1, 64) + "ms"
	case v < 1:
		return strconv.FormatFloat(v*1e3, 'f', 0, 64) + "ms"
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + "s"
}

func formatBuffer(b *Buffer) string {
	if b == nil {
		return dash
	}
	return formatCount(count(b.Depth)) + " / " + formatCount(count(b.Capacity))
}

func formatPending(p *float64) string {
	if p == nil {
		return dash
	}
	return formatCount(count(*p))
}

// formatWindow is the span of the rates, or the window they will have.
func formatWindow(seconds float64) string {
	if seconds <= 0 {
		return "few seconds"
	}
	return strconv.FormatFloat(seconds, 'f', 0, 64) + " s"
}

// formatUptime is "up 3h 4m", or empty without a start time.
func formatUptime(s Snapshot) string {
	if s.Started == nil {
		return ""
	}
	d := max(s.Time.Sub(*s.Started), 0)
	sec := int64(d / time.Second)
	days, hours, mins := sec/86400, sec/3600%24, sec/60%60
	switch {
	case days > 0:
		return fmt.Sprintf("up %dd %dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("up %dh %dm", hours, mins)
	case mins > 0:
		return fmt.Sprintf("up %dm %ds", mins, sec%60)
	}
	return fmt.Sprintf("up %ds", sec)
}

func formatClock(t time.Time) string { return t.UTC().Format(time.TimeOnly) }

func connectionName(name string) string {
	if name == "" {
		return "NATS"
	}
	return name
}

// kv is one counter of a route row.
type kv struct {
	Key   string
	Value uint64
}

// totalsRow lists the counters in the page's column order; the keys are
// those of the JSON's totals and rates.
func totalsRow(t Totals) []kv {
	return []kv{{"in", t.In}, {"out", t.Out}, {"filtered", t.Filtered}, {"failed", t.Failed}, {"dropped", t.Dropped}}
}
