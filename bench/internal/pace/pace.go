// Package pace calls a function at a fixed rate with microsecond precision.
//
// time.Sleep wakes up on the runtime's timer, about 1 ms late on Linux, so a
// publisher that sleeps between messages at 20,000 msg/s actually sends
// bursts of 20 every millisecond. Run instead sleeps with nanosleep(2) on a
// dedicated OS thread whose timer slack is lowered to 1 ns, stops sleeping
// a little before each deadline (by the wake-up cost it measures as it
// goes) and spins on time.Now for the rest.
package pace

import (
	"context"
	"errors"
	"runtime"
	"time"

	"github.com/natsbridge/bridge/bench/internal/stats"
)

// ErrRate is returned by Run for a rate that is not positive.
var ErrRate = errors.New("pace: rate must be positive")

// Stats describes a paced run.
type Stats struct {
	// Sent is the number of calls made.
	Sent int `json:"sent"`
	// Elapsed is the time from the first scheduled call to the last call.
	Elapsed time.Duration `json:"elapsed_ns"`
	// Late summarizes how long after its scheduled time each call started.
	Late stats.Latency `json:"late"`
}

// Rate returns the achieved rate in calls per second.
func (s Stats) Rate() float64 {
	if s.Sent < 2 || s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Sent-1) / s.Elapsed.Seconds()
}

// Run calls send(i) for i from 0 to n-1, call i at start + i/rate, where
// start is when Run begins. A call that is due while the previous one is
// still running, or while the machine is busy, is made at once: the
// schedule is kept, so the average rate is exact and delays are caught up
// instead of lost. Calls are never early.
//
// send runs on a goroutine locked to its own OS thread, which exits with
// it. Run stops early, returning ctx's error, when ctx is done.
func Run(ctx context.Context, rate float64, n int, send func(i int)) (Stats, error) {
	if !(rate > 0) {
		return Stats{}, ErrRate
	}
	type result struct {
		st  Stats
		err error
	}
	done := make(chan result, 1)
	go func() {
		// Not unlocked: the thread, with its timer slack, ends with the
		// goroutine.
		runtime.LockOSThread()
		preciseTimers()
		st, err := run(ctx, time.Duration(float64(time.Second)/rate), n, send)
		done <- result{st, err}
	}()
	r := <-done
	return r.st, r.err
}

// Bounds of the estimated wake-up cost of a sleep.
const (
	initialWake = 20 * time.Microsecond
	maxWake     = 2 * time.Millisecond
)

func run(ctx context.Context, interval time.Duration, n int, send func(i int)) (Stats, error) {
	late := make([]time.Duration, 0, n)
	wake := initialWake // estimated overshoot of a sleep
	start := time.Now()
	var last time.Time
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		spinning := false
		for {
			now := time.Now()
			rem := due.Sub(now)
			if rem <= 0 {
				break
			}
			if d := rem - wake; d > 0 {
				sleep(d)
				// Move the estimate an eighth of the way to this
				// overshoot.
				over := time.Since(now) - d
				wake += (over - wake) / 8
				wake = min(max(wake, 0), maxWake)
			} else if !spinning {
				// Less than the wake-up cost left: spin. Lower the
				// estimate a little each time, so that one slow
				// wake-up cannot stop sleeping for good.
				spinning = true
				wake -= wake / 64
			}
		}
		if i&1023 == 0 && ctx.Err() != nil {
			return summarize(late, start, last), ctx.Err()
		}
		last = time.Now()
		late = append(late, last.Sub(due))
		send(i)
	}
	return summarize(late, start, last), nil
}

func summarize(late []time.Duration, start, last time.Time) Stats {
	st := Stats{Sent: len(late)}
	if len(late) > 0 {
		st.Elapsed = last.Sub(start)
	}
	st.Late = stats.Summarize(late)
	return st
}
