package node

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
	"unsafe"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/pullpolicy"
)

// This file is what containers do once started, on virtual time: they run
// until their image's registry.Run says they exit, the kubelet restarts
// them by the pod's restartPolicy behind its crash-loop backoff
// (kuberuntime_manager.go doBackOff, kubelet.go newCrashLoopBackOff), and a
// deleted pod's containers are stopped, app containers first, then native
// sidecars in reverse order (killPodWithSyncResult), before the pod goes.

// Crash-loop backoff defaults (pkg/kubelet/kubelet.go): initial 10s, max
// 300s, measured from the exited container's FinishedAt.
const (
	DefaultCrashLoopBackOff    = 10 * time.Second
	DefaultMaxCrashLoopBackOff = 300 * time.Second
)

// DefaultTerminationGracePeriod is the API's default
// terminationGracePeriodSeconds: 30 seconds.
const DefaultTerminationGracePeriod = 30 * time.Second

// ReasonCrashLoopBackOff is the waiting reason of a container the kubelet
// will not restart yet.
const ReasonCrashLoopBackOff = "CrashLoopBackOff"

// Exit codes of a container stopped by the kubelet: it exited on SIGTERM
// (128+15), or was killed at the end of the grace period (128+9).
const (
	exitCodeSIGTERM = 143
	exitCodeSIGKILL = 137
)

type timerKind uint8

const (
	timerExit         timerKind = iota // a running container's process exits
	timerKillSidecars                  // a terminating pod's app containers are gone: stop its sidecars
	timerRemove                        // a terminating pod's containers are all gone: remove it
)

// timer is something the runtime does at a time of its own: a container
// exits, a terminating pod moves on. gen tells a stale exit (the instance
// it was for is gone) from a live one.
type timer struct {
	at    time.Time
	kind  timerKind
	ps    *podState
	c     *containerState
	gen   int32
	code  int
	cause string // the terminated reason
	seq   uint64
}

// Less orders timers by time, then by the order they were added.
func (t *timer) Less(u *timer) bool {
	if !t.at.Equal(u.at) {
		return t.at.Before(u.at)
	}
	return t.seq < u.seq
}

func (w *podWorkers) addTimer(t *timer) {
	w.timerSeq++
	t.seq = w.timerSeq
	t.ps.timers++
	w.timers.Push(t)
}

// dropStaleTimers is removePod's: the timers of removed pods (an exit due
// long after its pod was deleted) would keep the pods in memory until they
// fire, so once they are more than half of the heap they are dropped, at
// a cost amortized over the timers added.
func (w *podWorkers) dropStaleTimers(removed *podState) {
	w.staleTimers += int(removed.timers)
	if w.staleTimers <= w.timers.Len()/2 {
		return
	}
	w.timers.DeleteFunc(func(t *timer) bool { return t.ps.removed })
	w.staleTimers = 0
}

// nextTimer returns when the next timer is due.
func (w *podWorkers) nextTimer() (time.Time, bool) {
	if w.timers.Len() == 0 {
		return time.Time{}, false
	}
	return w.timers.Min().at, true
}

// fire carries out a due timer.
func (w *podWorkers) fire(t *timer) {
	if t.ps.timers--; t.ps.removed {
		w.staleTimers--
	}
	switch t.kind {
	case timerExit:
		if t.c.gen == t.gen && t.c.running {
			w.exitContainer(t.ps, t.c, t.at, t.code, t.cause)
		}
	case timerKillSidecars:
		w.killSidecars(t.ps, t.at)
	case timerRemove:
		w.removePod(t.ps)
	}
}

// started is the rest of a successful start: the instance runs, and its
// image's Run schedules its exit. An init container whose image has no
// run time completes at once.
func (w *podWorkers) started(ps *podState, c *containerState, now time.Time) {
	c.gen++
	r := w.images.run(c.imageRef())
	switch {
	case c.init && !c.sidecar && r.ExitAfter == 0:
		w.exitContainer(ps, c, now, 0, ReasonCompleted)
	case r.ExitAfter > 0:
		w.addTimer(&timer{at: now.Add(r.ExitAfter), kind: timerExit, ps: ps, c: c, gen: c.gen, code: int(r.ExitCode), cause: r.TerminatedReason()})
	}
}

// exitContainer ends the running instance of c at time at with an exit
// code: its status turns terminated, and the pod's restartPolicy decides
// whether the kubelet starts it again (after its crash-loop backoff).
// Native sidecars always restart; an init container that completes lets
// the next one start; under restartPolicy Never a failed init container
// fails the pod.
func (w *podWorkers) exitContainer(ps *podState, c *containerState, at time.Time, code int, reason string) {
	c.running = false
	c.gen++
	// The instance's ID is left out: status derives it (see lastTerm).
	c.more().term = &ContainerStateTerminated{Reason: reason, ExitCode: code, StartedAt: ps.createdAt.Add(c.startAt), FinishedAt: at}
	c.waiting = nil
	if ps.terminating {
		return
	}
	policy := ps.spec.restartPolicy()
	switch {
	case c.sidecar:
	case c.init && code == 0:
		c.done = true
	case c.init:
		c.final = policy == RestartPolicyNever
	default:
		c.final = policy == RestartPolicyNever || policy == RestartPolicyOnFailure && code == 0
	}
	if c.restartNow {
		c.final = false // RestartContainer starts it again whatever the policy
	}
	if ps.finished() {
		w.stopSidecarsOfFinishedPod(ps, at)
		return
	}
	w.requestSync(ps, at)
}

// requestSync asks for a sync of ps at time at, as a container event does
// through the kubelet's PLEG: inside a sync it runs right after it.
func (w *podWorkers) requestSync(ps *podState, at time.Time) {
	if ps.syncing {
		ps.syncAgain = true
		return
	}
	if ps.nextSync.IsZero() || at.Before(ps.nextSync) {
		w.setNextSync(ps, at)
	}
}

// restartPolicy is the pod's restartPolicy, Always when unset.
func (s *PodSpec) restartPolicy() RestartPolicy {
	if s.RestartPolicy == "" {
		return RestartPolicyAlways
	}
	return s.RestartPolicy
}

// crashLoop is the kubelet's doBackOff for a container that exited: inside
// the window it records "Back-off restarting failed container" and leaves
// the container waiting in CrashLoopBackOff without ensuring its image;
// outside it the window moves on and the container may start.
func (w *podWorkers) crashLoop(ps *podState, c *containerState, now time.Time) bool {
	key := backOffID{ps.uid(), c.spec.Name}
	if e, in := w.crashBackOff.inBackOffSince(key, c.term().FinishedAt, now); in {
		pod := ps.name() + "_" + ps.namespace() + "(" + ps.uid() + ")"
		w.rec.record(now, evCrashLoop, c.obj, c.spec.Name, pod)
		msg := fmt.Sprintf("back-off %s restarting failed container=%s pod=%s", e.backoff, c.spec.Name, pod)
		c.waiting = &ContainerStateWaiting{Reason: ReasonCrashLoopBackOff, Message: msg}
		ps.addAttempt(now, c.spec.Name, ReasonCrashLoopBackOff, msg, false)
		return true
	}
	w.crashBackOff.nextSince(key, c.term().FinishedAt, now)
	return false
}

// lastExit is when the instance shown as the container's last state
// ended: the exited instance waiting to be replaced, else the one before
// the current; zero when there is none.
func (c *containerState) lastExit() time.Time {
	switch {
	case c.term() != nil && !c.done && !c.final:
		return c.term().FinishedAt
	case c.lastTerm() != nil:
		return c.lastTerm().FinishedAt
	}
	return time.Time{}
}

// finished reports whether the pod is done for good: every app container
// has exited and none restarts (Succeeded or Failed), or an init container
// failed under restartPolicy Never.
func (ps *podState) finished() bool {
	for _, c := range ps.inits() {
		if !c.sidecar && c.final {
			return true
		}
	}
	for _, c := range ps.apps() {
		if !c.final {
			return false
		}
	}
	return len(ps.apps()) > 0
}

// phase is the pod's phase as the kubelet's getPhase computes it.
func (ps *podState) phase() PodPhase {
	for _, c := range ps.inits() {
		if !c.sidecar && c.final {
			return PodFailed
		}
	}
	for _, c := range ps.inits() {
		if c.sidecar && !c.started || !c.sidecar && !c.done {
			return PodPending
		}
	}
	failed, final := false, 0
	for _, c := range ps.apps() {
		switch {
		case !c.started:
			return PodPending
		case c.final:
			final++
			failed = failed || c.term() != nil && c.term().ExitCode != 0
		}
	}
	switch {
	case final < len(ps.apps()):
		return PodRunning
	case failed:
		return PodFailed
	default:
		return PodSucceeded
	}
}

// stopSidecarsOfFinishedPod stops the sidecars of a pod whose app
// containers are done for good, in reverse order, as the kubelet does.
func (w *podWorkers) stopSidecarsOfFinishedPod(ps *podState, at time.Time) {
	for i := len(ps.inits()) - 1; i >= 0; i-- {
		if c := ps.inits()[i]; c.sidecar && c.running {
			w.rec.record(at, evKilling, c.obj, c.spec.Name, "")
			c.final = true
			w.exitContainer(ps, c, at, exitCodeSIGTERM, "Error")
		}
	}
}

// ExitContainer ends a running container now, with an exit code (0–255),
// as if its process had exited: the kubelet then restarts it or not by the
// pod's restartPolicy, behind its crash-loop backoff, and the pod syncs at
// once as the kubelet's PLEG makes it.
func (n *Node) ExitContainer(namespace, pod, container string, exitCode int) error {
	ps, c, err := n.podContainer(namespace, pod, container)
	switch {
	case err != nil:
		return err
	case exitCode < 0 || exitCode > 255:
		return fmt.Errorf("node %s: exit %s/%s %s: exit code %d out of range 0-255", n.name, ps.namespace(), pod, container, exitCode)
	case !c.running:
		return fmt.Errorf("node %s: exit %s/%s %s: container %q is not running", n.name, ps.namespace(), pod, container, container)
	}
	reason := ReasonCompleted
	if exitCode != 0 {
		reason = "Error"
	}
	now := n.now()
	n.workers.exitContainer(ps, c, now, exitCode, reason)
	if !ps.syncing && !ps.nextSync.IsZero() && !ps.nextSync.After(now) {
		n.workers.syncPod(ps, now)
	}
	return nil
}

// podContainer finds a container of a pod on the node, after catching up
// with the clock, with the API server's errors when either is missing.
func (n *Node) podContainer(namespace, pod, container string) (*podState, *containerState, error) {
	ps, c, _, err := n.podContainerAt(namespace, pod, container)
	return ps, c, err
}

// podContainerAt is podContainer that also returns the time the node
// caught up to, so that its caller reads the clock once.
func (n *Node) podContainerAt(namespace, pod, container string) (*podState, *containerState, time.Time, error) {
	now := n.catchUp()
	ps := n.workers.lookup(namespace, pod)
	if ps == nil {
		return nil, nil, now, n.notFound(pod)
	}
	c := ps.container(container)
	if c == nil {
		return nil, nil, now, &apiError{ErrNotFound, fmt.Sprintf("container %q not found in pod %q", container, pod)}
	}
	return ps, c, now, nil
}

// terminationGrace is the pod's grace period.
func (s *PodSpec) terminationGrace() time.Duration {
	if s.TerminationGracePeriodSeconds == nil {
		return DefaultTerminationGracePeriod
	}
	return time.Duration(*s.TerminationGracePeriodSeconds) * time.Second
}

// terminate starts stopping a deleted pod at now: "Killing" each running
// app container (and a running init container), which exits after its
// image's stop time or is killed when the grace period ends; then the
// sidecars, in reverse order; then the pod goes.
func (w *podWorkers) terminate(ps *podState, now time.Time) {
	ps.terminating = true
	w.setNextSync(ps, time.Time{})
	grace := ps.spec.terminationGrace()
	if w.goesAtOnce(ps, grace) {
		// Every container exits now and the pod goes with them: nothing
		// will read their exited instances, so none is kept.
		for _, c := range ps.ctrs {
			if c.running && !c.sidecar {
				w.rec.record(now, evKilling, c.obj, c.spec.Name, "")
				c.running, c.waiting = false, nil
				c.gen++
			}
		}
		w.removePod(ps)
		return
	}
	ps.more().deletedAt = now // the pod stays a while: Terminating
	done := now
	for _, c := range ps.ctrs {
		if c.running && !c.sidecar {
			done = later(done, w.stop(ps, c, now, grace))
		}
	}
	if ps.hasRunningSidecar() {
		if done.Equal(now) {
			w.killSidecars(ps, now)
			return
		}
		w.addTimer(&timer{at: done, kind: timerKillSidecars, ps: ps})
		return
	}
	w.finishTermination(ps, now, done)
}

// goesAtOnce reports whether a pod deleted now is gone at once: it runs no
// sidecar, and each of its running containers stops at once (its image
// stops at once, or the grace period is 0).
func (w *podWorkers) goesAtOnce(ps *podState, grace time.Duration) bool {
	for _, c := range ps.ctrs {
		if c.running && (c.sidecar || grace > 0 && w.images.run(c.imageRef()).StopAfter > 0) {
			return false
		}
	}
	return true
}

// stop asks c to stop at now within the grace period and returns when it
// is gone.
func (w *podWorkers) stop(ps *podState, c *containerState, now time.Time, grace time.Duration) time.Time {
	w.rec.record(now, evKilling, c.obj, c.spec.Name, "")
	wait, code := w.images.run(c.imageRef()).StopAfter, exitCodeSIGTERM
	if wait > grace {
		wait, code = grace, exitCodeSIGKILL
	}
	if wait == 0 {
		w.exitContainer(ps, c, now, code, "Error")
		return now
	}
	w.addTimer(&timer{at: now.Add(wait), kind: timerExit, ps: ps, c: c, gen: c.gen, code: code, cause: "Error"})
	return now.Add(wait)
}

func (ps *podState) hasRunningSidecar() bool {
	for _, c := range ps.inits() {
		if c.sidecar && c.running {
			return true
		}
	}
	return false
}

// killSidecars stops a terminating pod's sidecars in reverse order, with
// what is left of the grace period.
func (w *podWorkers) killSidecars(ps *podState, now time.Time) {
	grace := max(0, ps.spec.terminationGrace()-now.Sub(ps.deletedAt()))
	done := now
	for i := len(ps.inits()) - 1; i >= 0; i-- {
		if c := ps.inits()[i]; c.sidecar && c.running {
			done = later(done, w.stop(ps, c, now, grace))
		}
	}
	w.finishTermination(ps, now, done)
}

// finishTermination removes the pod at done: now, or later by a timer.
func (w *podWorkers) finishTermination(ps *podState, now, done time.Time) {
	if done.Equal(now) {
		w.removePod(ps)
		return
	}
	w.addTimer(&timer{at: done, kind: timerRemove, ps: ps})
}

// removePod takes a pod off the node: its containers are gone, and its
// images are no longer in use.
func (w *podWorkers) removePod(ps *podState) {
	key := podID(ps.namespace(), ps.name())
	if w.pods[key] == ps {
		delete(w.pods, key)
	}
	if w.found == ps {
		w.found = nil
	}
	w.setNextSync(ps, time.Time{})
	w.unlink(ps)
	ps.removed = true
	if ps.timers > 0 {
		w.dropStaleTimers(ps)
	}
	w.forgetBackOffs(ps)
}

// forgetBackOffs drops a removed pod's image and crash-loop backoff
// entries. The kubelet keeps them until a collection finds them expired,
// which may never come; both are keyed by the pod's UID, which no pod has
// again, so no lookup can find them: dropping them changes nothing a
// caller sees and frees what the deleted pod left.
func (w *podWorkers) forgetBackOffs(ps *podState) {
	uid := ps.uid()
	forget := func(c *containerState) {
		if c.ref != nil {
			w.manager.backOff.forget(backOffID{uid, c.ref.Requested()})
		}
		w.crashBackOff.forget(backOffID{uid, c.spec.Name})
	}
	for _, c := range ps.ctrs {
		forget(c)
	}
	if vols := ps.volumes(); vols != nil {
		for _, v := range vols.list {
			forget(&v.state)
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// containerState is a container of a pod on the node (or an image volume,
// which is ensured like one). Pointers and strings come first, then the
// ID cache, then the counters and flags, packed; what only a crashed or
// restarted container needs lives in extra.
type containerState struct {
	spec *Container           // in the pod's spec
	ref  *pullpolicy.ImageRef // the image, parsed once; nil when it does not parse
	// obj is what the container's events are about. It lives apart from the
	// container state, in one array per pod, so that the events of a
	// deleted pod, kept until they expire, do not keep its state alive.
	obj      *ObjectReference
	pulling  *pullJob               // the pull this container's start waits for, while it runs
	extra    *containerExtra        // nil until the container exits or restarts
	waiting  *ContainerStateWaiting // read only: replaced, never changed; nil when not waiting
	startAt  time.Duration          // since the pod's creation: a time without the pointer of its location
	names    *imageNames            // the image it runs, its status's image and image ID once started; shared, read only
	gen      int32                  // instances ever started, to tell stale exit timers
	restarts int32
	init     bool
	sidecar  bool // an init container with restartPolicy Always
	started  bool // ever started
	running  bool
	done     bool // init container completed
	final    bool // exited and will not be restarted
	// restartNow: RestartContainer starts it again without crash-loop backoff.
	restartNow bool
	// volume marks an image volume's state: spec holds its name, reference
	// and policy, obj is the pod (its events are pod events).
	volume        bool
	attemptPulled bool // the current start attempt handed a pull to the runtime
}

// imageRef is the image the container runs, or last ran; "" before its
// first start.
func (c *containerState) imageRef() digest.Digest {
	if c.names == nil {
		return ""
	}
	return c.names.ref
}

// containerExtra is what a container needs once it has exited or been
// restarted, kept apart so that the many that never do carry none of it.
type containerExtra struct {
	// term is the exited instance, until a new one starts; lastTerm is the
	// instance before the current one, restart count restarts-1. Neither
	// holds its ContainerID, which status derives.
	term, lastTerm *ContainerStateTerminated
	prevImageRef   digest.Digest // image of the previous, exited instance
}

// term is c's exited instance, until a new one starts; nil when none.
func (c *containerState) term() *ContainerStateTerminated {
	if c.extra == nil {
		return nil
	}
	return c.extra.term
}

// lastTerm is the instance before c's current one; nil when none.
func (c *containerState) lastTerm() *ContainerStateTerminated {
	if c.extra == nil {
		return nil
	}
	return c.extra.lastTerm
}

// more returns c's extra state, allocating it on first use.
func (c *containerState) more() *containerExtra {
	if c.extra == nil {
		c.extra = new(containerExtra)
	}
	return c.extra
}

// setPrevImageRef notes the image of the instance a start replaces.
func (c *containerState) setPrevImageRef(id digest.Digest) {
	if id != "" || c.extra != nil {
		c.more().prevImageRef = id
	}
}

// stateBox is room for a container status's running or waiting state and
// the bytes of its container ID, so that a pod's statuses come in few
// allocations.
type stateBox struct {
	running ContainerStateRunning
	waiting ContainerStateWaiting
	id      [idLen]byte
}

// room returns the parts of b a status can be built in.
func (b *stateBox) room() statusRoom { return statusRoom{&b.running, &b.waiting, &b.id} }

// statusRoom is where statusIn builds a status's running or waiting state
// and formats its container ID; a nil part is allocated when needed. Each
// part is written once, by one status.
type statusRoom struct {
	running *ContainerStateRunning
	waiting *ContainerStateWaiting
	id      *[idLen]byte
}

// status returns the container's status; created is when its pod was.
func (c *containerState) status(created time.Time) ContainerStatus {
	return c.statusIn(statusRoom{}, created)
}

// statusIn returns the container's status, its running or waiting state
// and its container ID in room; created is when its pod was.
func (c *containerState) statusIn(room statusRoom, created time.Time) ContainerStatus {
	s := ContainerStatus{Name: c.spec.Name, Image: c.spec.Image, RestartCount: int(c.restarts)}
	if c.names != nil {
		s.ImageID = c.names.imageID
		if c.names.image != "" {
			s.Image = c.names.image
		}
	}
	if c.started {
		if room.id == nil {
			room.id = new([idLen]byte)
		}
		s.ContainerID = c.containerIDIn(room.id)
	}
	last := c.lastTerm()
	switch {
	case c.running:
		if room.running == nil {
			room.running = new(ContainerStateRunning)
		}
		*room.running = ContainerStateRunning{StartedAt: created.Add(c.startAt)}
		s.State.Running = room.running
		s.Ready = true
	case c.term() != nil && (c.waiting == nil || c.waiting.Reason == "" || c.done || c.final):
		t := *c.term()
		t.ContainerID = ""
		s.State.Terminated = &t
		s.Ready = c.done // an init container that exited 0 is ready
	default:
		if room.waiting == nil {
			room.waiting = new(ContainerStateWaiting)
		}
		if c.waiting != nil {
			*room.waiting = *c.waiting
		}
		s.State.Waiting = room.waiting
		if c.term() != nil {
			last = c.term() // the exited instance waits to be replaced
		}
	}
	if last != nil {
		t := *last
		if last == c.term() {
			t.ContainerID = s.ContainerID // the current instance's
		} else {
			// lastTerm is the instance before the current one: each start
			// after an exit counts a restart as it moves term there.
			sum := containerIDSum(c.obj.UID, c.spec.Name, int(c.restarts)-1)
			t.ContainerID = formatContainerID(&sum)
		}
		s.LastState.Terminated = &t
	}
	return s
}

// containerIDIn returns the runtime's ID of the container's current (or
// last) instance, formatted in buf, which the string returned then owns.
// The hash is computed at each call rather than kept: a container's state
// lives as long as its pod, and a fleet exports each pod about once (the
// pod CreatePod returns), so 36 bytes a container cost more than a hash.
func (c *containerState) containerIDIn(buf *[idLen]byte) string {
	sum := containerIDSum(c.obj.UID, c.spec.Name, int(c.restarts))
	return formatContainerIDIn(buf, &sum)
}

// containerIDSum is the hash in the runtime's ID of a container instance:
// of the pod's UID, the container's name and its restart count, so the ID
// is stable for an instance and new for each restart.
func containerIDSum(podUID, name string, restarts int) [sha256.Size]byte {
	var in [128]byte
	b := append(in[:0], podUID...)
	b = append(b, '/')
	b = append(b, name...)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(restarts), 10)
	return sha256.Sum256(b)
}

// idPrefix and idLen are the prefix and the length of a container ID:
// containerd://<64 hex>.
const (
	idPrefix = "containerd://"
	idLen    = len(idPrefix) + 2*sha256.Size
)

// formatContainerID returns the ID with that hash: containerd://<64 hex>.
func formatContainerID(sum *[sha256.Size]byte) string {
	return formatContainerIDIn(new([idLen]byte), sum)
}

// formatContainerIDIn is formatContainerID in buf: the string returned is
// buf's bytes, without a copy, so that a pod's export formats its IDs in
// the allocation that holds its statuses. buf must not be written again:
// the string owns it.
func formatContainerIDIn(buf *[idLen]byte, sum *[sha256.Size]byte) string {
	copy(buf[:], idPrefix)
	hex.Encode(buf[len(idPrefix):], sum[:])
	return unsafe.String(&buf[0], idLen)
}
