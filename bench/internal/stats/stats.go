// Package stats computes the summary figures of the benchmark harness:
// medians over repetitions and percentiles of latency samples.
package stats

import (
	"math"
	"slices"
	"time"
)

// Median returns the median of xs: the middle value, or the mean of the two
// middle values when len(xs) is even. It returns NaN for no values and
// ignores NaNs (runs that did not produce the figure). xs is not modified.
func Median(xs []float64) float64 {
	s := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			s = append(s, x)
		}
	}
	if len(s) == 0 {
		return math.NaN()
	}
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted, which
// must be in ascending order, by the nearest-rank method: the smallest
// sample such that at least p% of the samples are less than or equal to
// it. It returns 0 for no samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// The epsilon keeps float error from pushing an exact rank up by one
	// (99.9% of 1000 is 999.0000000000001 in float64).
	rank := int(math.Ceil(p/100*float64(n) - 1e-9))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// Latency summarizes latency samples.
type Latency struct {
	Count int           `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P99   time.Duration `json:"p99_ns"`
	P999  time.Duration `json:"p999_ns"`
	Max   time.Duration `json:"max_ns"`
}

// Summarize sorts samples in place and returns their percentiles.
func Summarize(samples []time.Duration) Latency {
	slices.Sort(samples)
	l := Latency{Count: len(samples)}
	if len(samples) == 0 {
		return l
	}
	l.P50 = Percentile(samples, 50)
	l.P99 = Percentile(samples, 99)
	l.P999 = Percentile(samples, 99.9)
	l.Max = samples[len(samples)-1]
	return l
}
