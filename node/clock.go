package node

import (
	"runtime"
	"sync"
	"sync/atomic"
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
// concurrent use; share one between nodes to keep them in step. Its zero
// value reads the zero time.
//
// Now takes no lock: writers, serialised by a mutex, publish the time as
// atomics under a sequence count (a seqlock), and Now retries in the rare
// case that it read while a writer was publishing.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time // the time, guarded by mu
	// seq is odd while a writer publishes t's parts below. loc is nil
	// when t cannot be rebuilt from its parts (t has a monotonic reading,
	// or nothing was published yet): Now then reads t under mu.
	seq  atomic.Uint64
	sec  atomic.Int64
	nsec atomic.Int32
	loc  atomic.Pointer[time.Location]
}

// NewManualClock returns a clock reading t.
func NewManualClock(t time.Time) *ManualClock {
	c := &ManualClock{t: t}
	c.publish()
	return c
}

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	for {
		s := c.seq.Load()
		if s&1 != 0 {
			runtime.Gosched() // a writer is publishing
			continue
		}
		sec, nsec, loc := c.sec.Load(), c.nsec.Load(), c.loc.Load()
		if c.seq.Load() != s {
			continue
		}
		if loc == nil {
			return c.locked()
		}
		// The same value as t: a time without a monotonic reading is
		// its Unix time and its location.
		return time.Unix(sec, int64(nsec)).In(loc)
	}
}

// locked returns c.t read under c.mu.
func (c *ManualClock) locked() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// publish makes c.t what Now reads; c.mu is held, or c is not shared yet.
func (c *ManualClock) publish() {
	c.seq.Add(1)
	if c.t.Round(0) == c.t {
		c.sec.Store(c.t.Unix())
		c.nsec.Store(int32(c.t.Nanosecond()))
		c.loc.Store(c.t.Location())
	} else {
		c.loc.Store(nil) // a monotonic reading is only kept in t
	}
	c.seq.Add(1)
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
	c.publish()
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
	c.publish()
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
