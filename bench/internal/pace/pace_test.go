package pace_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/natsbridge/bridge/bench/internal/pace"
)

func TestRunKeepsSchedule(t *testing.T) {
	const (
		rate = 20000.0
		n    = 2000
	)
	interval := time.Duration(float64(time.Second) / rate)
	var times []time.Time
	start := time.Now()
	st, err := pace.Run(t.Context(), rate, n, func(i int) {
		if i != len(times) {
			t.Errorf("call %d out of order", i)
		}
		times = append(times, time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent != n || len(times) != n {
		t.Fatalf("Sent = %d, calls = %d, want %d", st.Sent, len(times), n)
	}
	// Never early: call i is at least i intervals after the start.
	for i, at := range times {
		if min := time.Duration(i) * interval; at.Sub(start) < min {
			t.Fatalf("call %d at %v, scheduled at %v: early", i, at.Sub(start), min)
		}
	}
	// Not much late either, on average: a loaded machine (or -race) can
	// delay single calls, so only the total is checked, loosely.
	want := time.Duration(n-1) * interval
	if st.Elapsed < want || st.Elapsed > 3*want {
		t.Errorf("Elapsed = %v, want about %v", st.Elapsed, want)
	}
	if r := st.Rate(); r > rate*1.001 {
		t.Errorf("Rate = %.0f, above the requested %.0f", r, rate)
	}
	if st.Late.Count != n {
		t.Errorf("Late.Count = %d, want %d", st.Late.Count, n)
	}
	t.Logf("elapsed %v, rate %.0f/s, late p50 %v p99 %v max %v", st.Elapsed, st.Rate(), st.Late.P50, st.Late.P99, st.Late.Max)
}

func TestRunStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	st, err := pace.Run(ctx, 1e6, 1<<20, func(int) {
		calls++
		if calls == 100 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if calls < 100 || calls > 100+1024 || st.Sent != calls {
		t.Errorf("calls = %d, Sent = %d after cancelling at 100", calls, st.Sent)
	}
}

func TestRunRejectsRate(t *testing.T) {
	for _, rate := range []float64{0, -1} {
		if _, err := pace.Run(t.Context(), rate, 1, func(int) {}); !errors.Is(err, pace.ErrRate) {
			t.Errorf("Run(rate %v) = %v, want ErrRate", rate, err)
		}
	}
}
