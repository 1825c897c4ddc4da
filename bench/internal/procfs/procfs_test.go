//go:build linux

package procfs_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/natsbridge/bridge/bench/internal/procfs"
)

func TestSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	pid := os.Getpid()
	before, err := procfs.CPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	// Burn 100 ms of CPU, as the kernel counts it for getrusage: on a
	// busy machine that takes longer than 100 ms of wall time.
	burnt := burn(t, 100*time.Millisecond)
	after, err := procfs.CPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	if d := after - before; d < burnt/2 {
		t.Errorf("CPU grew by %v while getrusage counted %v", d, burnt)
	}
	if _, err := os.Stat("/proc/self/sched"); err == nil {
		t0, err := procfs.ThreadsCPU(pid)
		if err != nil {
			t.Fatal(err)
		}
		burnt := burn(t, 50*time.Millisecond)
		t1, err := procfs.ThreadsCPU(pid)
		if err != nil {
			t.Fatal(err)
		}
		if d := t1 - t0; d < burnt/2 || d > burnt+time.Second {
			t.Errorf("ThreadsCPU grew by %v while getrusage counted %v", d, burnt)
		}
	}
	rss, err := procfs.PeakRSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	if rss < 1<<20 {
		t.Errorf("PeakRSS = %d bytes, implausibly small", rss)
	}
}

// burn spins until the process has used at least d of CPU time by
// getrusage's count, and returns how much it used.
func burn(t *testing.T, d time.Duration) time.Duration {
	t.Helper()
	start := rusage(t)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if used := rusage(t) - start; used >= d {
			return used
		}
	}
	t.Fatalf("could not burn %v of CPU in 30s", d)
	return 0
}

func rusage(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestFormat reads crafted files: a command name with spaces and
// parentheses, and a status without VmHWM.
func TestFormat(t *testing.T) {
	root := t.TempDir()
	old := procfs.Root
	procfs.Root = root
	t.Cleanup(func() { procfs.Root = old })
	write := func(pid, name, content string) {
		t.Helper()
		dir := filepath.Join(root, pid)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("1", "stat", "1 (a (b) c) S 0 1 1 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 4 0 12 0 0\n")
	write("1", "status", "Name:\tx\nVmPeak:\t  100 kB\nVmHWM:\t    2048 kB\nVmRSS:\t 1024 kB\n")
	write("1/task/1", "sched", "x (1, #threads: 2)\n---\nse.exec_start : 1.5\nse.sum_exec_runtime                          :             1500.250000\n")
	write("1/task/2", "sched", "se.sum_exec_runtime : 2.5\n")
	write("2", "stat", "2 (x) S 0\n")
	write("2/task/2", "sched", "nothing\n")
	write("2", "status", "Name:\tx\n")

	if got, err := procfs.CPU(1); err != nil || got != 2800*time.Millisecond {
		t.Errorf("CPU(1) = %v, %v; want 2.8s (280 ticks)", got, err)
	}
	if got, err := procfs.PeakRSS(1); err != nil || got != 2048<<10 {
		t.Errorf("PeakRSS(1) = %v, %v; want 2 MiB", got, err)
	}
	if got, err := procfs.ThreadsCPU(1); err != nil || got != 1502750*time.Microsecond {
		t.Errorf("ThreadsCPU(1) = %v, %v; want 1.50275s", got, err)
	}
	if _, err := procfs.ThreadsCPU(2); !errors.Is(err, procfs.ErrFormat) {
		t.Errorf("ThreadsCPU(2) err = %v, want ErrFormat", err)
	}
	if _, err := procfs.CPU(2); !errors.Is(err, procfs.ErrFormat) {
		t.Errorf("CPU(2) err = %v, want ErrFormat", err)
	}
	if _, err := procfs.PeakRSS(2); !errors.Is(err, procfs.ErrFormat) {
		t.Errorf("PeakRSS(2) err = %v, want ErrFormat", err)
	}
}
