package node

import (
	"strconv"
	"testing"
)

// addAttempt keeps the latest MaxAttempts in order, and once its list is
// full appendBounded moves them to the front in place: a pod that restarts
// for days allocates nothing for its attempts, and keeps no dropped
// message alive.
func TestAddAttemptInPlace(t *testing.T) {
	var ps podState
	msgs := make([]string, 6*MaxAttempts)
	for i := range msgs {
		msgs[i] = strconv.Itoa(i)
	}
	next := 0
	add := func() {
		ps.addAttempt(Epoch, "app", "", msgs[next], false)
		next++
	}
	for range 2 * MaxAttempts {
		add()
	}
	// One run of many adds: the list is trimmed twice in it.
	allocs := testing.AllocsPerRun(1, func() {
		for range 2 * MaxAttempts {
			add()
		}
	})
	if allocs != 0 {
		t.Errorf("%d addAttempt calls on a full list: %.0f allocations, want 0", 2*MaxAttempts, allocs)
	}
	kept := ps.attempts[max(0, len(ps.attempts)-MaxAttempts):]
	for i, a := range kept {
		if want := strconv.Itoa(next - MaxAttempts + i); a.message != want {
			t.Fatalf("kept attempt %d: message %q, want %q", i, a.message, want)
		}
	}
	for i, a := range ps.attempts[len(ps.attempts):cap(ps.attempts)] {
		if a != (attempt{}) {
			t.Fatalf("attempt %d past the list's end holds %+v, want it cleared", len(ps.attempts)+i, a)
		}
	}
}
