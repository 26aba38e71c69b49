package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/pullsim/pullsim/internal/golden"
)

// TestGolden checks the example's output; go test -update accepts a change.
func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := run(&buf); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "rollout.golden"), buf.Bytes())
}
