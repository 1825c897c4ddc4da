// Package procfs reads the CPU time and peak memory of a running process
// from Linux's /proc, so that the harness can measure another process over
// a window of its life rather than only at exit.
package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ErrFormat is returned when a /proc file does not look as expected.
var ErrFormat = errors.New("procfs: unexpected format")

// clockTick is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// 100 on every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// Root is the mount point of procfs; tests point it elsewhere.
var Root = "/proc"

// CPU returns the user and system CPU time the process pid has used so far,
// including its exited threads, to the resolution of a clock tick (10 ms).
func CPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("%s/%d/stat", Root, pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces or
	// parentheses itself: fields are counted from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("%w: /proc/%d/stat: no ')'", ErrFormat, pid)
	}
	fields := bytes.Fields(b[i+1:])
	// fields[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("%w: /proc/%d/stat: %d fields", ErrFormat, pid, len(fields)+2)
	}
	utime, err1 := strconv.ParseInt(string(fields[11]), 10, 64)
	stime, err2 := strconv.ParseInt(string(fields[12]), 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("%w: /proc/%d/stat: %w", ErrFormat, pid, err)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// PeakRSS returns the peak resident set size of the process pid so far
// (VmHWM in /proc/<pid>/status), in bytes.
func PeakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("%s/%d/status", Root, pid))
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("VmHWM:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("%w: /proc/%d/status: VmHWM:%s", ErrFormat, pid, bytes.TrimSpace(rest))
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: /proc/%d/status: %w", ErrFormat, pid, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("%w: /proc/%d/status: no VmHWM", ErrFormat, pid)
}

// ThreadsCPU returns the CPU time the live threads of process pid have used
// so far, to the nanosecond: the sum of se.sum_exec_runtime in
// /proc/<pid>/task/*/sched, which needs a kernel built with
// CONFIG_SCHED_DEBUG. Unlike CPU it misses threads that have exited; a Go
// program's threads rarely do.
func ThreadsCPU(pid int) (time.Duration, error) {
	dir := fmt.Sprintf("%s/%d/task", Root, pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/sched")
		if errors.Is(err, os.ErrNotExist) {
			if _, serr := os.Stat(dir + "/" + t.Name()); serr != nil {
				continue // the thread exited meanwhile
			}
		}
		if err != nil {
			return 0, err
		}
		d, err := sumExecRuntime(b)
		if err != nil {
			return 0, fmt.Errorf("%s/%s/sched: %w", dir, t.Name(), err)
		}
		total += d
	}
	return total, nil
}

// sumExecRuntime parses "se.sum_exec_runtime : 1234.567890", in
// milliseconds with nanosecond digits.
func sumExecRuntime(b []byte) (time.Duration, error) {
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("se.sum_exec_runtime"))
		if !ok {
			continue
		}
		_, v, ok := bytes.Cut(rest, []byte(":"))
		if !ok {
			break
		}
		ms, frac, _ := bytes.Cut(bytes.TrimSpace(v), []byte("."))
		whole, err := strconv.ParseInt(string(ms), 10, 64)
		if err != nil {
			break
		}
		ns := int64(0)
		if len(frac) > 0 {
			digits := string(frac)
			if len(digits) > 6 {
				digits = digits[:6]
			}
			digits += strings.Repeat("0", 6-len(digits))
			if ns, err = strconv.ParseInt(digits, 10, 64); err != nil {
				break
			}
		}
		return time.Duration(whole)*time.Millisecond + time.Duration(ns), nil
	}
	return 0, fmt.Errorf("%w: no se.sum_exec_runtime", ErrFormat)
}
