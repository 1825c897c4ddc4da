//go:build !linux

package pace

import "time"

func preciseTimers() {}

// sleep falls back to time.Sleep, whose granularity elsewhere may be coarse:
// short waits are spun instead, since Run only sleeps what is left after
// its measured wake-up cost.
func sleep(d time.Duration) { time.Sleep(d) }
