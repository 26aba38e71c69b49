//go:build unix

package node_test

import (
	"syscall"
	"time"
)

// rusage returns the process's resource usage; zero when it cannot be read.
func rusage() syscall.Rusage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return syscall.Rusage{}
	}
	return ru
}

// cpuTime returns the CPU time the process has used, user and system, on
// every thread: what a benchmark costs on a machine it shares, where the
// wall-clock time depends on what else runs.
func cpuTime() time.Duration {
	ru := rusage()
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// minorFaults returns how many page faults the process has taken that
// needed no I/O: mostly its first writes to memory it had not touched.
// Where a fault is dear (on a virtual machine that backs a page on first
// use, one costs microseconds) they show how much of a benchmark's CPU
// time is its memory's growth.
func minorFaults() int64 { return rusage().Minflt }
