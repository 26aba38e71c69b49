package node

import (
	"sync"
	"time"
)

// Clock is where a node reads the time. It is the only source of time in
// pullsim: nothing reads the wall clock. The fake clocks of k8s.io/utils and
// clockwork satisfy it.
type Clock interface {
	Now() time.Time
}

// Epoch is the instant a [ManualClock] starts at unless told otherwise.
var Epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// ManualClock is a Clock that moves only when told to. It is safe for
// concurrent use; share one between nodes to keep them in step.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a clock reading t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Step moves the clock forward by d. A zero or negative d leaves the clock
// as it is: virtual time never runs backwards. Step does not report that it
// ignored d; use [ManualClock.Set], which does, when that matters.
func (c *ManualClock) Step(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t if t is later than its time; it reports whether
// it moved. A t equal to or before the clock's time leaves the clock as it
// is and returns false.
func (c *ManualClock) Set(t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !t.After(c.t) {
		return false
	}
	c.t = t
	return true
}

// SetTime moves the clock to t if t is later than its time; an earlier t
// is ignored without a report (it is [ManualClock.Set] without the result).
// It has the signature of k8s.io/utils/clock/testing.FakeClock.SetTime,
// which is what the sync driver ([Node.RunUntil]) needs of a clock, but not
// its behaviour: FakeClock.SetTime sets any time, earlier ones included.
func (c *ManualClock) SetTime(t time.Time) { c.Set(t) }

// settableClock is a clock the sync driver can move.
type settableClock interface {
	Clock
	SetTime(time.Time)
}

// now is the node's time: its clock's, except that a clock that moves
// backwards is read as standing still at the latest time the node saw.
// Virtual time never runs backwards for a node: events, backoff windows and
// pulls keep their order whatever the clock does.
func (n *Node) now() time.Time {
	t := n.clock.Now()
	if t.Before(n.seen) {
		return n.seen
	}
	n.seen = t
	return t
}

// endOfTime is where virtual time ends: the last instant of year 9999, the
// last an API timestamp (RFC 3339) can show. Nodes are not driven past it,
// so adding the kubelet's periods to a node's time cannot overflow.
var endOfTime = time.Date(9999, time.December, 31, 23, 59, 59, 999999999, time.UTC)
