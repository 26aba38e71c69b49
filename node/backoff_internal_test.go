package node

import (
	"testing"
	"time"

	"github.com/pullsim/pullsim/registry"
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
				b.Next(backOffID{of: "k"}, now)
			}
			if s.gc {
				b.GC(now)
			}
			if got := b.InBackOffSinceUpdate(backOffID{of: "k"}, now); got != s.in {
				t.Errorf("%s: step %d: InBackOffSinceUpdate(%v) = %v, want %v", tc.name, i, s.at, got, s.in)
			}
			if got := b.Get(backOffID{of: "k"}, now); got != s.window {
				t.Errorf("%s: step %d: Get(%v) = %v, want %v", tc.name, i, s.at, got, s.window)
			}
		}
	}
}

// TestBackOffGCSkips holds GC, which skips its scan until the oldest
// entry can have expired, to a GC that scans every time: after every step
// of failures and collections over several keys, the same entries, with
// the same windows.
func TestBackOffGCSkips(t *testing.T) {
	b := newBackOff(10*time.Second, time.Minute) // entries expire after 2m quiet
	want := map[string]backOffEntry{}            // the entries of a scanning GC
	keys := []string{"a", "b", "c", "d"}
	at := Epoch
	scans := 0
	for i := range 400 {
		at = at.Add(time.Duration(1+i*7%41) * time.Second)
		switch key := keys[i*i%len(keys)]; {
		case i%5 == 4 || i%17 == 0:
			b.GC(at)
			for k, e := range want {
				if at.Sub(e.lastUpdate) > b.expiry {
					delete(want, k)
					scans++
				}
			}
		case i%64 < 40 || key == "a": // quiet spells let entries expire
			b.Next(backOffID{of: key}, at)
			e, ok := want[key]
			if !ok || at.Sub(e.lastUpdate) > b.expiry {
				e = backOffEntry{backoff: b.initial}
			} else {
				e.backoff = min(2*e.backoff, b.max)
			}
			e.lastUpdate = at
			want[key] = e
		}
		if len(b.entries) != len(want) {
			t.Fatalf("step %d: %d entries, want %d", i, len(b.entries), len(want))
		}
		for k, w := range want {
			if e := b.entries[backOffID{of: k}]; e == nil || e.backoff != w.backoff || !e.lastUpdate.Equal(w.lastUpdate) {
				t.Fatalf("step %d: entry %s = %+v, want %+v", i, k, e, w)
			}
		}
	}
	if scans == 0 {
		t.Fatal("no entry ever expired: the test shows nothing")
	}
}

// A removed pod's backoff entries go with it: its image backoff (a pull
// that failed) and its crash loop. Nothing can look them up again, as
// their keys hold the pod's UID; a pod created again under the name gets
// a new UID and starts afresh.
func TestRemovedPodForgetsBackOffs(t *testing.T) {
	reg := registry.New()
	reg.MustPush("app:v1", registry.Image{Config: "app", Layers: []registry.Layer{{Content: "app", Size: 100}}})
	n := MustNew("n", reg)
	spec := PodSpec{Containers: []Container{{Name: "app", Image: "app:v1"}, {Name: "gone", Image: "gone:v1"}}}
	n.MustCreatePod(Pod{Name: "p", Spec: spec})
	if err := n.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := n.ExitContainer("default", "p", "app", 1); err != nil {
		t.Fatal(err)
	}
	if err := n.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	if got := [2]int{len(n.manager.backOff.entries), len(n.workers.crashBackOff.entries)}; got != [2]int{1, 1} {
		t.Fatalf("before the deletion: %v image and crash-loop entries, want [1 1]", got)
	}
	if err := n.DeletePod("default", "p"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Settle(); err != nil {
		t.Fatal(err)
	}
	if _, ok := n.Pod("default", "p"); ok {
		t.Fatal("the pod is still on the node")
	}
	if got := [2]int{len(n.manager.backOff.entries), len(n.workers.crashBackOff.entries)}; got != [2]int{0, 0} {
		t.Errorf("after the removal: %v image and crash-loop entries, want none", got)
	}
}
