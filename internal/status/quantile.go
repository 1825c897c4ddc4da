package status

import (
	"math"
	"slices"
	"sort"

	dto "github.com/prometheus/client_model/go"
)

// histogram is a classic histogram: cumulative counts by ascending upper
// bound, the last bound +Inf.
type histogram struct {
	bounds []float64
	counts []float64
}

// histogramOf converts a gathered histogram. client_golang leaves out the
// +Inf bucket, whose count is the sample count.
func histogramOf(h *dto.Histogram) histogram {
	if h == nil {
		return histogram{}
	}
	var out histogram
	for _, b := range h.GetBucket() {
		out.bounds = append(out.bounds, b.GetUpperBound())
		out.counts = append(out.counts, float64(b.GetCumulativeCount()))
	}
	if n := len(out.bounds); n == 0 || !math.IsInf(out.bounds[n-1], 1) {
		out.bounds = append(out.bounds, math.Inf(1))
		out.counts = append(out.counts, float64(h.GetSampleCount()))
	}
	return out
}

// count is the number of observations.
func (h histogram) count() float64 {
	if len(h.counts) == 0 {
		return 0
	}
	return h.counts[len(h.counts)-1]
}

// since returns the observations of h made after base was read. It reports
// false when the two do not have the same buckets or a count went down.
func (h histogram) since(base histogram) (histogram, bool) {
	if !slices.Equal(h.bounds, base.bounds) {
		return histogram{}, false
	}
	out := histogram{bounds: h.bounds, counts: make([]float64, len(h.counts))}
	for i, c := range h.counts {
		d := c - base.counts[i]
		if d < 0 {
			return histogram{}, false
		}
		out.counts[i] = d
	}
	return out, true
}

// quantile estimates the q-quantile (0 < q < 1) as Prometheus's
// histogram_quantile does: linear interpolation within the bucket that
// holds the rank, the first bucket starting at 0, and the highest finite
// bound for a rank in the +Inf bucket. It reports false without
// observations.
func (h histogram) quantile(q float64) (float64, bool) {
	n := len(h.bounds)
	total := h.count()
	if n == 0 || total <= 0 || math.IsNaN(q) {
		return 0, false
	}
	q = min(max(q, 0), 1)
	rank := q * total
	// Search the finite buckets; falling off their end lands in +Inf.
	finite := n
	if math.IsInf(h.bounds[n-1], 1) {
		finite = n - 1
	}
	i := sort.Search(finite, func(i int) bool { return h.counts[i] >= rank })
	if i == finite {
		if finite == 0 {
			return 0, false // only a +Inf bucket: nothing to interpolate
		}
		return h.bounds[finite-1], true
	}
	upper := h.bounds[i]
	lower, below := 0.0, 0.0
	if i > 0 {
		lower, below = h.bounds[i-1], h.counts[i-1]
	} else if upper <= 0 {
		return upper, true
	}
	in := h.counts[i] - below
	if in <= 0 {
		return upper, true
	}
	// min: rounding must not push the estimate past its bucket.
	return min(lower+(upper-lower)*(rank-below)/in, upper), true
}
