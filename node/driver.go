package node

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pullsim/pullsim/internal/heapq"
	"github.com/pullsim/pullsim/registry"
)

// DefaultResyncInterval is how long after a failed sync pullsim syncs a pod
// again. The kubelet's pod worker requeues a pod whose sync failed after
// jitter(10s, 0.5), i.e. 10–15 s; pullsim uses the lower bound, without
// randomness, unless told otherwise with [WithResyncInterval].
const DefaultResyncInterval = 10 * time.Second

// Attempt is one try to start a container: when, and what came of it.
type Attempt struct {
	At        time.Time
	Container string
	// Reason is the waiting reason the attempt left (ErrImagePull,
	// ImagePullBackOff, ...), or "" when the container started.
	Reason  string
	Message string
	// Pulled reports whether the attempt reached the runtime's PullImage: a
	// real pull, as opposed to a backoff or cache hit.
	Pulled bool
}

// Attempts returns the start attempts of the current pod of that name, oldest
// first: the timeline of ErrImagePull, ImagePullBackOff and the final start.
// Only the latest [MaxAttempts] are kept.
func (n *Node) Attempts(namespace, name string) []Attempt {
	n.catchUp()
	ps := n.workers.pods[podID(namespace, name)]
	if ps == nil {
		return nil
	}
	kept := ps.attempts[max(0, len(ps.attempts)-MaxAttempts):]
	out := make([]Attempt, len(kept))
	for i, a := range kept {
		out[i] = Attempt{At: ps.createdAt.Add(a.at), Container: a.container, Reason: a.reason, Message: a.message, Pulled: a.pulled}
	}
	return out
}

// ImageBackOff returns the image pull backoff of a pod and image (spelled
// as the container spells it): the current window and when it ends. Both are
// zero when the pair has no live entry. The kubelet keys backoff by pod UID
// and image, so a recreated pod starts afresh.
func (n *Node) ImageBackOff(namespace, pod, image string) (window time.Duration, until time.Time) {
	n.catchUp()
	ps := n.workers.pods[podID(namespace, pod)]
	if ps == nil {
		return 0, time.Time{}
	}
	key, now := backOffID{ps.uid(), image}, n.now()
	return n.manager.backOff.Get(key, now), n.manager.backOff.Until(key, now)
}

// RunUntil advances virtual time to t, syncing every pod that has a
// container to start at the kubelet's cadence: a pod whose sync failed is
// synced again one resync interval later. The node's clock must have a
// SetTime method, as *[ManualClock] does. RunUntil fails, changing nothing,
// when t is before the clock's time or the clock cannot be set.
func (n *Node) RunUntil(t time.Time) error {
	return Run(t, n)
}

// Advance is RunUntil(now + d). d must be positive, and now + d no later
// than the end of virtual time (the last instant of year 9999).
func (n *Node) Advance(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("node %s: advance by %v: duration must be positive", n.name, d)
	}
	now := n.now()
	if d > endOfTime.Sub(now) {
		return fmt.Errorf("node %s: advance by %v: that is past the end of virtual time, %s", n.name, d, endOfTime.Format(time.RFC3339))
	}
	return n.RunUntil(now.Add(d))
}

// Run advances a set of nodes that share one clock to t, in time order:
// pulls finish when their time comes (and the syncs waiting for them
// resume), pods with a container to start are synced again one resync
// interval after their last sync, and every ImageGCPeriod from the kubelet's
// start images are detected and, unless GC is disabled, collected. At equal
// times, pull completions go first, then garbage collections, then syncs;
// then the node listed first, then the older pod. A node listed twice runs
// once.
//
// Nodes meet only at the registry and the cluster, so when nothing they
// share depends on the order of their requests, Run advances them in
// parallel, on up to GOMAXPROCS goroutines, each node on its own timeline,
// and the result (every event, pull, request count and status) is the one
// the time-ordered run gives. It runs them in one goroutine, in time order,
// when some node pulls through a source other than a *[registry.Registry],
// the registry has a fault that switches itself off after a number of
// requests ([registry.Fault].Requests: which node meets it depends on the
// order), or some node has a [CredentialProvider] (its Credentials
// function is the caller's code).
func Run(t time.Time, nodes ...*Node) error {
	if len(nodes) == 0 {
		return fmt.Errorf("node: run: no nodes")
	}
	for i, n := range nodes {
		if n == nil {
			return fmt.Errorf("node: run: node %d of %d is nil", i, len(nodes))
		}
	}
	clock, ok := nodes[0].clock.(settableClock)
	if !ok {
		return fmt.Errorf("node %s: run: the clock (%T) has no SetTime method; use a *node.ManualClock", nodes[0].name, nodes[0].clock)
	}
	for _, n := range nodes[1:] {
		if n.clock != nodes[0].clock {
			return fmt.Errorf("node %s: run: it does not share node %s's clock", n.name, nodes[0].name)
		}
	}
	if t.After(endOfTime) {
		return fmt.Errorf("node %s: run until %s: that is past the end of virtual time, %s", nodes[0].name, t.Format(time.RFC3339), endOfTime.Format(time.RFC3339))
	}
	// A node runs to t unless it has itself seen a later time. Another
	// goroutine driving other nodes may have moved a shared clock further;
	// this node's events up to t still run at their own times.
	for _, n := range nodes {
		if t.Before(n.seen) {
			return fmt.Errorf("node %s: run until %s: that is before the clock's time %s", n.name, t.Format(time.RFC3339), n.seen.Format(time.RFC3339))
		}
	}
	if len(nodes) == 1 {
		// RunUntil's case, once per Advance: no heap needed.
		for ev, ok := nodes[0].nextEvent(t, 0); ok; ev, ok = nodes[0].nextEvent(t, 0) {
			ev.run(clock)
		}
		clock.SetTime(t)
		nodes[0].events.expire(t) // free them now, not at the next call
		return nil
	}
	if parallel := independent(nodes); parallel != nil {
		runParallel(t, clock, parallel)
		return nil
	}
	// Each node's earliest event waits in a heap ordered by time, kind and
	// the node's place in the list; only the node whose event ran has a new
	// one, so an event costs a heap fix, not a scan of the fleet.
	first := make([]runEvent, 0, len(nodes))
	seen := make(map[*Node]bool, len(nodes))
	for i, n := range nodes {
		if seen[n] {
			continue
		}
		seen[n] = true
		if ev, ok := n.nextEvent(t, i); ok {
			first = append(first, ev)
		}
	}
	var h heapq.Heap[runEvent]
	h.Init(first)
	for h.Len() > 0 {
		ev := h.Min()
		ev.run(clock)
		if next, ok := ev.n.nextEvent(t, ev.idx); ok {
			h.Replace(0, next)
		} else {
			h.Pop()
		}
	}
	clock.SetTime(t)
	for _, n := range nodes {
		n.events.expire(t) // free them now, not at each node's next call
	}
	return nil
}

// Settle runs virtual time forward until the node has no pull queued or in
// flight, and returns the time it stopped at. Pods whose syncs fail are not
// retried: that is RunUntil's job.
func (n *Node) Settle() (time.Time, error) {
	n.catchUp()
	for {
		next, ok := n.puller.next()
		if !ok {
			return n.now(), nil
		}
		clock, settable := n.clock.(settableClock)
		if !settable {
			return n.now(), fmt.Errorf("node %s: settle: the clock (%T) has no SetTime method; use a *node.ManualClock", n.name, n.clock)
		}
		clock.SetTime(next)
		n.process(next)
	}
}

// skipIdleGC lets the driver skip periodic collections that would find
// nothing to do (see imageGCManager.idle); tests turn it off to hold the
// skip to the run that collects every ImageGCPeriod.
var skipIdleGC = true

// parallelRun lets Run advance independent nodes in parallel; tests turn
// it off to compare with the time-ordered run.
var parallelRun = true

// independent returns the distinct nodes, when there are several and
// nothing they share depends on the order in which they use it; nil
// otherwise.
func independent(nodes []*Node) []*Node {
	if !parallelRun {
		return nil
	}
	seen := make(map[*Node]bool, len(nodes))
	out := make([]*Node, 0, len(nodes))
	regs := make(map[*registry.Registry]bool)
	for _, n := range nodes {
		if seen[n] {
			continue
		}
		seen[n] = true
		reg, ok := n.images.source.(*registry.Registry)
		if !ok || reg == nil || len(n.cfg.providers) > 0 {
			return nil
		}
		regs[reg] = true
		out = append(out, n)
	}
	if len(out) < 2 {
		return nil
	}
	for reg := range regs {
		for _, f := range reg.Faults() {
			if f.Requests > 0 {
				return nil
			}
		}
	}
	return out
}

// runParallel advances each node to t on a clock of its own, on up to
// GOMAXPROCS goroutines (the caller's among them), then sets the shared
// clock to t. A node's events run in the order the time-ordered run gives
// them, at the times it gives them; the nodes' order among each other is
// all that differs, and nothing depends on it.
func runParallel(t time.Time, shared settableClock, nodes []*Node) {
	start := shared.Now()
	var next atomic.Int64
	work := func() {
		var own ownClock // one per goroutine, lent to each node in turn
		for i := next.Add(1) - 1; i < int64(len(nodes)); i = next.Add(1) - 1 {
			nodes[i].runAlone(t, start, &own)
		}
	}
	// The calling goroutine works too: it starts at once, and on a busy
	// machine, where the helpers may be scheduled late, it runs the nodes
	// they have not taken.
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(nodes)) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	shared.SetTime(t)
}

// runAlone advances n to t on the clock own, set to start, as Run does a
// single node, and puts the node's clock back.
func (n *Node) runAlone(t, start time.Time, own *ownClock) {
	own.t = start
	clock := n.clock
	n.clock = own
	defer func() { n.clock = clock }()
	for ev, ok := n.nextEvent(t, 0); ok; ev, ok = n.nextEvent(t, 0) {
		ev.run(own)
	}
	own.SetTime(t)
	n.events.expire(t)
}

// ownClock is the clock a node reads while runParallel advances it on its
// own timeline. Only the goroutine that advances the node reads it, so it
// needs no lock; it is reused from node to node.
type ownClock struct{ t time.Time }

// Now returns the clock's time.
func (c *ownClock) Now() time.Time { return c.t }

// SetTime moves the clock to t if t is later, as ManualClock.SetTime does.
func (c *ownClock) SetTime(t time.Time) {
	if t.After(c.t) {
		c.t = t
	}
}

// The kinds of driven event, in the order they run at equal times.
const (
	doPull = iota
	doGC
	doSync
)

// runEvent is a node's earliest driven event.
type runEvent struct {
	n    *Node
	idx  int // the node's place in Run's list
	at   time.Time
	what int // doPull, doGC or doSync
}

// nextEvent returns the node's earliest event at or before t: a pull
// finishing, then a GC, then a pod sync, at equal times.
func (n *Node) nextEvent(t time.Time, idx int) (runEvent, bool) {
	ev, ok := runEvent{n: n, idx: idx}, false
	if at, has := n.puller.next(); has && !at.After(t) {
		ev.at, ev.what, ok = at, doPull, true
	}
	if at, has := n.workers.nextTimer(); has && !at.After(t) && (!ok || at.Before(ev.at)) {
		ev.at, ev.what, ok = at, doPull, true // process fires timers too
	}
	if at := n.gc.nextGC; !at.After(t) && (!ok || at.Before(ev.at)) {
		if skipIdleGC && !ok && n.workers.syncq.Len() == 0 && t.Sub(at) >= ImageGCPeriod && n.gc.idle() {
			// Nothing will happen on the node before t but collections
			// that find nothing to do: run only the last of them.
			n.gc.nextGC = at.Add(t.Sub(at) / ImageGCPeriod * ImageGCPeriod)
			at = n.gc.nextGC
		}
		ev.at, ev.what, ok = at, doGC, true
	}
	if n.workers.syncq.Len() > 0 {
		if at := n.workers.syncq.Min().nextSync; !at.After(t) && (!ok || at.Before(ev.at)) {
			ev.at, ev.what, ok = at, doSync, true
		}
	}
	return ev, ok
}

// run moves the clock to the event's time and carries the event out.
func (ev runEvent) run(clock settableClock) {
	clock.SetTime(ev.at)
	switch ev.what {
	case doPull:
		ev.n.process(ev.at)
	case doGC:
		ev.n.periodicGC(ev.at)
	default:
		ev.n.workers.syncPod(ev.n.workers.syncq.Min(), ev.at)
	}
}

// Less orders nodes' events by time, then kind, then the node's place in
// Run's list.
func (a runEvent) Less(b runEvent) bool {
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	if a.what != b.what {
		return a.what < b.what
	}
	return a.idx < b.idx
}
