package node_test

import (
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
)

// ManualClock only moves forward: Step ignores a zero or negative duration,
// Set and SetTime ignore a time that is not later, and Set says whether it
// moved.
func TestManualClock(t *testing.T) {
	c := node.NewManualClock(node.Epoch)
	if got := c.Now(); !got.Equal(node.Epoch) {
		t.Fatalf("NewManualClock(Epoch).Now() = %v", got)
	}
	// The sync driver reaches SetTime through an interface like this one.
	var settable interface{ SetTime(time.Time) } = c
	for i, s := range []struct {
		desc  string
		op    func()      // an operation without a report, or
		set   func() bool // one that reports whether the clock moved
		moved bool        // set's wanted report
		now   time.Duration
	}{
		{desc: "Step(1s)", op: func() { c.Step(time.Second) }, now: time.Second},
		{desc: "Step(0)", op: func() { c.Step(0) }, now: time.Second},
		{desc: "Step(-1s) is ignored", op: func() { c.Step(-time.Second) }, now: time.Second},
		{desc: "Step(-1ns) is ignored", op: func() { c.Step(-1) }, now: time.Second},
		{desc: "Set(later)", set: func() bool { return c.Set(at(5 * time.Second)) }, moved: true, now: 5 * time.Second},
		{desc: "Set(same time)", set: func() bool { return c.Set(at(5 * time.Second)) }, now: 5 * time.Second},
		{desc: "Set(earlier)", set: func() bool { return c.Set(at(2 * time.Second)) }, now: 5 * time.Second},
		{desc: "Set(1ns later)", set: func() bool { return c.Set(at(5*time.Second + 1)) }, moved: true, now: 5*time.Second + 1},
		{desc: "SetTime(earlier) is ignored", op: func() { settable.SetTime(node.Epoch) }, now: 5*time.Second + 1},
		{desc: "SetTime(later)", op: func() { settable.SetTime(at(time.Minute)) }, now: time.Minute},
		{desc: "Step(1ns)", op: func() { c.Step(1) }, now: time.Minute + 1},
	} {
		if s.op != nil {
			s.op()
		} else if got := s.set(); got != s.moved {
			t.Errorf("step %d (%s): reported moved = %v, want %v", i, s.desc, got, s.moved)
		}
		if got := c.Now().Sub(node.Epoch); got != s.now {
			t.Errorf("step %d (%s): clock at %v, want %v", i, s.desc, got, s.now)
		}
	}
}
