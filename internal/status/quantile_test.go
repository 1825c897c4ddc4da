package status

import (
	"math"
	"testing"
)

var inf = math.Inf(1)

func TestQuantile(t *testing.T) {
	tests := []struct {
		name   string
		h      histogram
		q      float64
		want   float64
		wantOK bool
	}{
		{"empty", histogram{}, 0.5, 0, false},
		{"no observations", histogram{[]float64{1, inf}, []float64{0, 0}}, 0.5, 0, false},
		{"first bucket from 0", histogram{[]float64{1, 2, inf}, []float64{10, 10, 10}}, 0.5, 0.5, true},
		{"interpolated", histogram{[]float64{1, 2, inf}, []float64{0, 10, 10}}, 0.25, 1.25, true},
		{"bucket edge", histogram{[]float64{1, 2, inf}, []float64{5, 10, 10}}, 0.5, 1, true},
		{"in +Inf: highest finite bound", histogram{[]float64{1, 2, inf}, []float64{1, 2, 10}}, 0.5, 2, true},
		{"only +Inf", histogram{[]float64{inf}, []float64{4}}, 0.5, 0, false},
		{"q above 1 clamped", histogram{[]float64{1, inf}, []float64{4, 4}}, 2, 1, true},
		{"NaN q", histogram{[]float64{1, inf}, []float64{4, 4}}, math.NaN(), 0, false},
		{"negative bound", histogram{[]float64{-1, inf}, []float64{4, 4}}, 0.5, -1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.h.quantile(tt.q)
			if ok != tt.wantOK || (ok && math.Abs(got-tt.want) > 1e-12) {
				t.Errorf("quantile(%v) = %v, %v; want %v, %v", tt.q, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestSince(t *testing.T) {
	base := histogram{[]float64{1, inf}, []float64{2, 3}}
	got, ok := histogram{[]float64{1, inf}, []float64{5, 9}}.since(base)
	if !ok || got.counts[0] != 3 || got.counts[1] != 6 {
		t.Errorf("since = %+v, %v; want counts [3 6]", got, ok)
	}
	if _, ok := (histogram{[]float64{2, inf}, []float64{5, 9}}).since(base); ok {
		t.Error("since accepted other buckets")
	}
	if _, ok := (histogram{[]float64{1, inf}, []float64{1, 9}}).since(base); ok {
		t.Error("since accepted a count that went down")
	}
}

// FuzzQuantile checks, for any cumulative bucket counts, that an estimate
// lies within the finite bounds and does not decrease with q.
func FuzzQuantile(f *testing.F) {
	f.Add(uint16(3), uint16(0), uint16(7), uint16(1), 0.5)
	f.Add(uint16(0), uint16(0), uint16(0), uint16(9), 0.99)
	f.Fuzz(func(t *testing.T, a, b, c, d uint16, q float64) {
		if math.IsNaN(q) || q < 0 || q > 1 {
			return
		}
		counts := []float64{float64(a), float64(a) + float64(b), float64(a) + float64(b) + float64(c)}
		counts = append(counts, counts[2]+float64(d))
		h := histogram{bounds: []float64{0.001, 0.01, 0.1, inf}, counts: counts}
		v, ok := h.quantile(q)
		if !ok {
			if h.count() > 0 {
				t.Fatalf("no estimate for %v observations", h.count())
			}
			return
		}
		if v < 0 || v > 0.1 {
			t.Fatalf("quantile(%v) = %v, outside [0, 0.1]", q, v)
		}
		if w, _ := h.quantile(min(1, q+0.01)); w < v {
			t.Fatalf("quantile(%v) = %v > quantile(%v) = %v", q, v, q+0.01, w)
		}
	})
}
