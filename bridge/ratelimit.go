package bridge

import (
	"sync/atomic"
	"time"
)

// logLimiter runs a function at most once per interval, telling it how
// many calls it skipped: rate-limited logging for per-message failures.
type logLimiter struct {
	interval   time.Duration
	last       atomic.Int64
	suppressed atomic.Int64
}

func (l *logLimiter) do(f func(suppressed int)) {
	now := time.Now().UnixNano()
	last := l.last.Load()
	if now-last < int64(l.interval) || !l.last.CompareAndSwap(last, now) {
		l.suppressed.Add(1)
		return
	}
	f(int(l.suppressed.Swap(0)))
}
