package node_test

import (
	"fmt"
	"sync"
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

// ManualClock.Now returns exactly the time it was given, not just an equal
// instant: the same location and, for a time that has one, the same
// monotonic reading, so == and time.Time's String agree with the caller's.
func TestManualClockExact(t *testing.T) {
	for i, want := range []time.Time{
		node.Epoch,
		{}, // the zero time
		time.Date(2026, time.March, 29, 1, 30, 0, 5, time.FixedZone("CEST", 2*60*60)),
		time.Unix(1, 999_999_999), // time.Local
		time.Date(9999, time.December, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(-1, time.January, 1, 0, 0, 0, 1, time.UTC),
		// The only source of a monotonic reading; the value is not used
		// as time, only compared.
		time.Now(),
	} {
		c := node.NewManualClock(want)
		if got := c.Now(); got != want {
			t.Errorf("step %d: NewManualClock(%v).Now() = %v, want the same time.Time", i, want, got)
		}
		c.Step(1)
		if got := c.Now(); got != want.Add(1) {
			t.Errorf("step %d: after Step(1ns), Now() = %v, want %v", i, got, want.Add(1))
		}
	}
	var zero node.ManualClock
	if got := zero.Now(); got != (time.Time{}) {
		t.Errorf("zero ManualClock: Now() = %v, want the zero time", got)
	}
	zero.Step(time.Second)
	if got := zero.Now(); got != (time.Time{}).Add(time.Second) {
		t.Errorf("zero ManualClock after Step(1s): Now() = %v, want %v", got, (time.Time{}).Add(time.Second))
	}
}

// ManualClock.Now, which takes no lock, never sees a time half written
// while other goroutines move the clock, and never sees it go back (run
// with -race).
func TestManualClockConcurrent(t *testing.T) {
	c := node.NewManualClock(node.Epoch)
	// Each step moves both the seconds and the nanoseconds, so a read
	// that mixed two times would not be a whole number of steps.
	const step = time.Second + time.Nanosecond
	const steps = 2000
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for range steps / 2 {
				c.Step(step)
			}
		})
	}
	var errs [2]error
	for r := range errs {
		wg.Go(func() {
			last := time.Duration(0)
			for i := 0; last < steps*step && i < 1e7; i++ {
				got := c.Now()
				d := got.Sub(node.Epoch)
				switch {
				case got.Location() != time.UTC:
					errs[r] = fmt.Errorf("read %d: location %v, want UTC", i, got.Location())
				case d%step != 0:
					errs[r] = fmt.Errorf("read %d: %v after Epoch is not a whole number of steps: a torn read", i, d)
				case d < last:
					errs[r] = fmt.Errorf("read %d: %v after Epoch, after %v: the clock went back", i, d, last)
				}
				if errs[r] != nil {
					return
				}
				last = d
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := c.Now().Sub(node.Epoch); got != steps*step {
		t.Errorf("after %d steps: clock at %v, want %v", steps, got, steps*step)
	}
}

// ManualClock.Now under concurrent Set calls that change the Location and
// take times with and without a monotonic reading: every read is a time
// some Set published, whole, with its own Location (run with -race).
func TestManualClockConcurrentLocations(t *testing.T) {
	// The only source of a monotonic reading; its value is not used as
	// time, only compared with times derived from it.
	base := time.Now()
	locs := []*time.Location{time.UTC, time.FixedZone("CET", 3600), time.FixedZone("EST", -5*3600)}
	const step = time.Second + time.Nanosecond
	const steps = 3000
	at := func(k int) time.Time {
		t := base.Add(time.Duration(k) * step).In(locs[k%len(locs)])
		if k%2 == 0 {
			t = t.Round(0) // no monotonic reading: Now reads it lock-free
		}
		return t
	}
	c := node.NewManualClock(at(0))
	var wg sync.WaitGroup
	wg.Go(func() {
		for k := 1; k <= steps; k++ {
			c.Set(at(k))
		}
	})
	var errs [2]error
	for r := range errs {
		wg.Go(func() {
			last := 0
			for i := 0; last < steps && i < 1e7; i++ {
				got := c.Now()
				d := got.Sub(base)
				k := int(d / step)
				switch {
				case d%step != 0:
					errs[r] = fmt.Errorf("read %d: %v after the base is not a whole number of steps: a torn read", i, d)
				case k < last:
					errs[r] = fmt.Errorf("read %d: step %d after step %d: the clock went back", i, k, last)
				case got != at(k):
					errs[r] = fmt.Errorf("read %d: got %v, want the time step %d published, %v", i, got, k, at(k))
				}
				if errs[r] != nil {
					return
				}
				last = k
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := c.Now(); got != at(steps) {
		t.Errorf("after %d steps: clock at %v, want %v", steps, got, at(steps))
	}
}
