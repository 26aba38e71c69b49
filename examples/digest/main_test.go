package main

import (
	"testing"

	"github.com/pullsim/pullsim/internal/golden"
)

// TestGolden checks the example's output; go test -update accepts a change.
func TestGolden(t *testing.T) {
	golden.CheckRun(t, "digest", run)
}
