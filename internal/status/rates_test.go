package status_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/natsbridge/bridge/internal/status"
)

// wait lets d of fake time pass and the sampler take its readings.
func wait(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// TestRates: the rates are the increase of the counters over the window,
// and fall back to zero once a burst has left it.
func TestRates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, m, s := newStatus(t) // interval 1s, window 10s
		r := m.Route("totals")
		m.Route("orders") // its series, at zero
		r.Received(1)     // before Start: not part of any rate
		s.Start()

		for range 100 {
			r.Received(1)
			r.Published(1)
		}
		for range 20 {
			r.Filtered()
		}
		r.Failed("decode")
		r.Failed("publish")
		r.Dropped("overflow", 10)
		wait(5 * time.Second)

		snap := s.Snapshot()
		if snap.WindowSeconds != 5 {
			t.Fatalf("window %v s, want 5 (since Start)", snap.WindowSeconds)
		}
		want := status.Rates{In: 20, Out: 20, Filtered: 4, Failed: 0.4, Dropped: 2}
		if got := route(t, snap, "totals").Rates; got == nil || *got != want {
			t.Errorf("rates after 5 s %+v, want %+v", got, want)
		}
		if got := route(t, snap, "orders").Rates; got == nil || *got != (status.Rates{}) {
			t.Errorf("idle route rates %+v, want all zero", got)
		}

		// 10 s later the burst is out of the window.
		wait(10 * time.Second)
		snap = s.Snapshot()
		if snap.WindowSeconds != 10 {
			t.Errorf("window %v s, want the full 10", snap.WindowSeconds)
		}
		if got := route(t, snap, "totals").Rates; got == nil || *got != (status.Rates{}) {
			t.Errorf("rates once the burst left the window %+v, want all zero", got)
		}
		for range 30 {
			r.Received(1)
		}
		if got := route(t, s.Snapshot(), "totals").Rates; got == nil || got.In != 3 {
			t.Errorf("rates just after 30 more inputs %+v, want in 3/s (they count at once)", got)
		}
		s.Stop()
	})
}

// TestRatesNeedHalfAnInterval: right after Start there is nothing to
// divide by.
func TestRatesNeedHalfAnInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, m, s := newStatus(t, status.WithInterval(time.Second))
		s.Start()
		m.Route("totals").Received(1)
		wait(400 * time.Millisecond)
		if r := route(t, s.Snapshot(), "totals"); r.Rates != nil {
			t.Errorf("rates %+v 0.4 s after Start, want none", r.Rates)
		}
		wait(100 * time.Millisecond)
		if r := route(t, s.Snapshot(), "totals"); r.Rates == nil || r.Rates.In != 2 {
			t.Errorf("rates %+v 0.5 s after Start, want in 2/s", r.Rates)
		}
	})
}

// TestLatencyWindow: percentiles describe the outputs of the window only.
func TestLatencyWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, m, s := newStatus(t)
		r := m.Route("totals")
		for range 100 {
			r.Latency(30 * time.Millisecond) // before Start
		}
		s.Start()
		wait(time.Second)
		if l := route(t, s.Snapshot(), "totals").Latency; l != nil {
			t.Errorf("latency %+v with no output in the window, want none", l)
		}
		for range 99 {
			r.Latency(200 * time.Microsecond)
		}
		r.Latency(3 * time.Second)
		wait(time.Second)
		l := route(t, s.Snapshot(), "totals").Latency
		if l == nil {
			t.Fatal("no latency after 100 outputs")
		}
		// 99 in (100µs, 250µs], one in (2.5s, 5s]: p50 interpolates in
		// the first, p99 at its top.
		if l.P50 <= 100e-6 || l.P50 > 250e-6 {
			t.Errorf("p50 %v, want in (100µs, 250µs]", l.P50)
		}
		if l.P99 < 100e-6 || l.P99 > 250e-6 {
			t.Errorf("p99 %v, want 250µs at most: the one slow output is the 100th percentile", l.P99)
		}
		for range 10 {
			r.Latency(3 * time.Second)
		}
		if l := route(t, s.Snapshot(), "totals").Latency; l == nil || l.P99 <= 2.5 || l.P99 > 5 {
			t.Errorf("p99 %+v with 11 of 110 outputs at 3 s, want in (2.5s, 5s]", l)
		}
	})
}

// TestStartStop: Stop ends the sampler (goleak checks it), may be called
// twice or first, and the handlers keep working after it.
func TestStartStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, _, s := newStatus(t)
		s.Start()
		s.Start()
		wait(3 * time.Second)
		s.Stop()
		s.Stop()
		s.Start() // after Stop: nothing
		if got := s.Snapshot().WindowSeconds; got != 3 {
			t.Errorf("window %v after Stop, want the 3 s the sampler covered", got)
		}
	})
	_, _, s := newStatus(t)
	s.Stop()
	s.Start()
	if got := s.Snapshot().WindowSeconds; got != 0 {
		t.Errorf("window %v after Stop before Start, want 0", got)
	}
}
