package pace

import (
	"syscall"
	"time"
)

// prSetTimerSlack is PR_SET_TIMERSLACK from linux/prctl.h.
const prSetTimerSlack = 29

// preciseTimers lowers the calling thread's timer slack (50 µs by default)
// to 1 ns, so that nanosleep returns as soon as its deadline passes.
func preciseTimers() {
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0)
}

// sleep blocks the calling thread for d with nanosleep(2), whose wake-up
// follows the thread's timer slack rather than the Go timer's granularity.
func sleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil) // EINTR: wake early and spin
}
