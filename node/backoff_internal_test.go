package node

import (
	"testing"
	"time"
)

// The semantics of client-go's flowcontrol.Backoff without jitter, as the
// kubelet's image manager uses it.
func TestBackOffSteps(t *testing.T) {
	t0 := Epoch
	type step struct {
		at     time.Duration // time since t0
		fail   bool          // record a failure (Next) before checking
		gc     bool          // run GC (as a successful pull does) before checking
		in     bool          // wanted InBackOffSinceUpdate
		window time.Duration // wanted current backoff (Get)
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"doubling to the cap", []step{
			{at: 0, fail: true, in: true, window: 10 * time.Second},
			{at: 9 * time.Second, in: true, window: 10 * time.Second},
			{at: 10 * time.Second, in: false, window: 10 * time.Second}, // strictly less than
			{at: 10 * time.Second, fail: true, in: true, window: 20 * time.Second},
			{at: 30 * time.Second, fail: true, in: true, window: 40 * time.Second},
			{at: 70 * time.Second, fail: true, in: true, window: 80 * time.Second},
			{at: 150 * time.Second, fail: true, in: true, window: 160 * time.Second},
			{at: 310 * time.Second, fail: true, in: true, window: 300 * time.Second},
			{at: 610 * time.Second, fail: true, in: true, window: 300 * time.Second},
		}},
		{"reset only after more than 600s quiet", []step{
			{at: 0, fail: true, window: 10 * time.Second, in: true},
			{at: 10 * time.Second, fail: true, window: 20 * time.Second, in: true},
			{at: 610 * time.Second, window: 20 * time.Second},                       // exactly 600s: not expired
			{at: 610*time.Second + time.Millisecond, window: 0},                     // expired: ignored
			{at: 611 * time.Second, fail: true, window: 10 * time.Second, in: true}, // a new entry
		}},
		{"a success does not reset", []step{
			{at: 0, fail: true, window: 10 * time.Second, in: true},
			{at: 10 * time.Second, fail: true, window: 20 * time.Second, in: true},
			{at: 30 * time.Second, fail: true, window: 40 * time.Second, in: true},
			{at: 70 * time.Second, gc: true, window: 40 * time.Second},
			{at: 71 * time.Second, fail: true, window: 80 * time.Second, in: true},
		}},
		{"gc drops only expired entries", []step{
			{at: 0, fail: true, window: 10 * time.Second, in: true},
			{at: 601 * time.Second, gc: true, window: 0},
			{at: 602 * time.Second, fail: true, window: 10 * time.Second, in: true},
		}},
	} {
		b := newBackOff(DefaultImageBackOff, DefaultMaxImageBackOff)
		for i, s := range tc.steps {
			now := t0.Add(s.at)
			if s.fail {
				b.Next("k", now)
			}
			if s.gc {
				b.GC(now)
			}
			if got := b.InBackOffSinceUpdate("k", now); got != s.in {
				t.Errorf("%s: step %d: InBackOffSinceUpdate(%v) = %v, want %v", tc.name, i, s.at, got, s.in)
			}
			if got := b.Get("k", now); got != s.window {
				t.Errorf("%s: step %d: Get(%v) = %v, want %v", tc.name, i, s.at, got, s.window)
			}
		}
	}
}
