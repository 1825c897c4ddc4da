package stats_test

import (
	"math"
	"testing"
	"time"

	"github.com/natsbridge/bridge/bench/internal/stats"
)

func TestMedian(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"odd", []float64{3, 1, 2}, 2},
		{"even", []float64{4, 1, 3, 2}, 2.5},
		{"one", []float64{7}, 7},
		{"NaNs ignored", []float64{nan, 5, nan, 1, 3}, 3},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			in := append([]float64(nil), test.xs...)
			if got := stats.Median(test.xs); got != test.want {
				t.Errorf("Median(%v) = %v, want %v", test.xs, got, test.want)
			}
			for i := range in {
				if in[i] != test.xs[i] && !math.IsNaN(in[i]) {
					t.Fatalf("Median modified its input: %v, was %v", test.xs, in)
				}
			}
		})
	}
	for _, xs := range [][]float64{nil, {nan}} {
		if got := stats.Median(xs); !math.IsNaN(got) {
			t.Errorf("Median(%v) = %v, want NaN", xs, got)
		}
	}
}

func TestPercentile(t *testing.T) {
	// 1..1000 µs: the nearest-rank percentile p is p*10 µs.
	sorted := make([]time.Duration, 1000)
	for i := range sorted {
		sorted[i] = time.Duration(i+1) * time.Microsecond
	}
	tests := []struct {
		p    float64
		want time.Duration
	}{
		{50, 500 * time.Microsecond},
		{99, 990 * time.Microsecond},
		{99.9, 999 * time.Microsecond},
		{100, 1000 * time.Microsecond},
		{0.01, 1 * time.Microsecond},
	}
	for _, test := range tests {
		if got := stats.Percentile(sorted, test.p); got != test.want {
			t.Errorf("Percentile(1..1000µs, %v) = %v, want %v", test.p, got, test.want)
		}
	}
	if got := stats.Percentile(nil, 50); got != 0 {
		t.Errorf("Percentile(nil) = %v, want 0", got)
	}
	// Few samples: p99.9 of 10 samples is the largest.
	if got := stats.Percentile(sorted[:10], 99.9); got != 10*time.Microsecond {
		t.Errorf("Percentile(10 samples, 99.9) = %v, want 10µs", got)
	}
}

func TestSummarize(t *testing.T) {
	samples := []time.Duration{5, 1, 4, 2, 3}
	got := stats.Summarize(samples)
	want := stats.Latency{Count: 5, P50: 3, P99: 5, P999: 5, Max: 5}
	if got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	if samples[0] != 1 || samples[4] != 5 {
		t.Errorf("samples not sorted in place: %v", samples)
	}
	if got := stats.Summarize(nil); got != (stats.Latency{}) {
		t.Errorf("Summarize(nil) = %+v", got)
	}
}
