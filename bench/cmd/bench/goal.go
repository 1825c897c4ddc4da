package main

import (
	"fmt"
	"math"
)

// goal is a target for one figure of one contender, usually relative to
// another contender's. Goals are reported, never asserted.
type goal struct {
	who, figure string
	// vs is the contender compared with; "" for an absolute goal.
	vs string
	// text is the target, such as "≥ 1.3×" (followed by vs's label).
	text string
	// met reports whether the medians meet the goal.
	met func(v, ref float64) bool
	// mark is where the goal sits on the ratio scale v/ref, given ref;
	// NaN for none.
	mark func(ref float64) float64
}

func atLeast(who, fig string, r float64, vs string) goal {
	return goal{who, fig, vs, fmt.Sprintf("≥ %g×", r),
		func(v, ref float64) bool { return v >= r*ref },
		func(float64) float64 { return r }}
}

func atMost(who, fig string, r float64, vs string) goal {
	return goal{who, fig, vs, fmt.Sprintf("≤ %g×", r),
		func(v, ref float64) bool { return v <= r*ref },
		func(float64) float64 { return r }}
}

// within: who's figure is at most us microseconds above vs's.
func within(who, fig string, us float64, vs string) goal {
	return goal{who, fig, vs, fmt.Sprintf("≤ %g µs above", us),
		func(v, ref float64) bool { return v-ref <= us },
		func(ref float64) float64 { return (ref + us) / ref }}
}

// measured: who's figure is reported (a target that asks for a figure, not
// a bound).
func measured(who, fig string) goal {
	return goal{who, fig, "", "measured",
		func(v, _ float64) bool { return !math.IsNaN(v) },
		func(float64) float64 { return math.NaN() }}
}

func zero(who, fig string) goal {
	return goal{who, fig, "", "0",
		func(v, _ float64) bool { return v == 0 },
		func(float64) float64 { return math.NaN() }}
}
