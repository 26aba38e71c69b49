//go:build !unix

package node_test

import "time"

// cpuTime returns 0: the process's CPU time is read only on Unix.
func cpuTime() time.Duration { return 0 }

// minorFaults returns 0: page faults are counted only on Unix.
func minorFaults() int64 { return 0 }
