package node

import (
	"fmt"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/pullpolicy"
)

// SyncPod runs one kubelet sync of a pod: init containers that have not
// completed are started one at a time, and a failure stops the sync; then
// every app container that is not running is started, independently of the
// others. Each start runs EnsureImage; each failed start records the Warning
// event "Failed" "Error: <reason>" and leaves the container waiting with the
// error's reason and message. A start whose pull takes virtual time blocks
// the sync, as it blocks the kubelet's pod worker; the sync resumes when the
// pull finishes. SyncPod on a pod whose sync is blocked does nothing.
func (n *Node) SyncPod(namespace, name string) error {
	n.catchUp()
	ps := n.pods[podID(namespace, name)]
	if ps == nil {
		return n.notFound(name)
	}
	n.syncPod(ps, n.now())
	return nil
}

// Sync syncs every pod that has a container to start, in creation order.
func (n *Node) Sync() {
	n.catchUp()
	now := n.now()
	for _, ps := range n.order {
		if ps.pending() {
			n.syncPod(ps, now)
		}
	}
}

// pending reports whether some container of ps waits to be started by a
// sync: an init container that has not completed (unless the one in turn
// is still running), a sidecar or an app container that is not running and
// will be (re)started.
func (ps *podState) pending() bool {
	if ps.terminating {
		return false
	}
	for _, c := range ps.init {
		switch {
		case c.sidecar:
			if !c.running && !c.final {
				return true
			}
		case c.done:
		case c.running || c.final:
			return false // the init container in turn runs, or failed the pod
		default:
			return true
		}
	}
	for _, c := range ps.app {
		if !c.running && !c.final {
			return true
		}
	}
	return false
}

// appsStarted reports whether every app container has started: the
// pod's startup is over (an init container may still run otherwise).
func (ps *podState) appsStarted() bool {
	for _, c := range ps.app {
		if !c.started {
			return false
		}
	}
	return true
}

// containerAt returns the i-th container in sync order (init containers,
// then app containers), or nil past the end.
func (ps *podState) containerAt(i int) *containerState {
	if i < len(ps.init) {
		return ps.init[i]
	}
	if i -= len(ps.init); i < len(ps.app) {
		return ps.app[i]
	}
	return nil
}

func (n *Node) syncPod(ps *podState, now time.Time) {
	n.setNextSync(ps, time.Time{}) // this sync is the one that was due
	for !ps.syncing && !ps.terminating {
		n.setNextSync(ps, time.Time{})
		ps.syncing, ps.cursor, ps.pullFailed, ps.syncAgain = true, 0, false, false
		if ps.vols != nil {
			ps.vols.ensured, ps.vols.cursor = false, 0
		}
		n.continueSync(ps, now)
		// A container event during the sync (a sidecar started, an init
		// container done at once) makes the kubelet sync again, at once.
		if ps.syncing || !ps.syncAgain {
			return
		}
	}
}

// continueSync walks the pod's containers from the cursor, starting those
// that need it, until the end of the pod, a failed init container, or a
// start that blocks on a pull.
func (n *Node) continueSync(ps *podState, now time.Time) {
	for c := ps.containerAt(ps.cursor); c != nil; c = ps.containerAt(ps.cursor) {
		if c.init && !c.sidecar {
			if c.done {
				ps.cursor++
				continue
			}
			if c.running || c.final {
				break // one init container at a time, until it exits
			}
		} else if c.running || c.final {
			ps.cursor++
			continue
		}
		// Until the pod is initialized, an init container or sidecar is
		// the last start of a sync; after it, a sidecar's restart is one
		// start among the others.
		blocks := c.init && !(c.sidecar && ps.initialized())
		if c.term != nil && !c.restartNow && n.crashLoop(ps, c, now) {
			// In CrashLoopBackOff: no image is ensured.
			if blocks {
				break
			}
			ps.cursor++
			continue
		}
		c.restartNow = false
		if ps.vols != nil && !ps.vols.ensured && n.ensureVolumes(ps, now) {
			return // blocked on a volume's pull
		}
		c.attemptPulled = false
		o, failed := ps.failedMount(c)
		if !failed {
			var job *pullJob
			if o, job = n.ensureImage(ps, c, now); job != nil {
				job.blocked = true
				return
			}
		} else {
			n.recordFailedMounts(ps, c, now)
		}
		n.finishStart(ps, c, now, o)
		if blocks {
			// The kubelet starts at most one init container (or sidecar)
			// per sync; the next waits for it to exit, or to run.
			break
		}
		ps.cursor++
	}
	n.endSync(ps, now)
}

// initialized reports whether the pod is initialized: every init container
// completed and every sidecar started at least once.
func (ps *podState) initialized() bool {
	for _, c := range ps.init {
		if c.sidecar && !c.started || !c.sidecar && !c.done {
			return false
		}
	}
	return true
}

// resumeSync continues a sync that blocked on a pull, unless the pod was
// deleted meanwhile.
func (n *Node) resumeSync(ps *podState, c *containerState, at time.Time, o ensureOutcome) {
	if n.pods[podID(ps.namespace, ps.name)] != ps || ps.terminating {
		ps.syncing = false
		return
	}
	if c.volume {
		ps.vols.list[ps.vols.cursor].outcome = o
		ps.vols.cursor++
		n.continueSync(ps, at)
		return
	}
	blocks := c.init && !(c.sidecar && ps.initialized())
	n.finishStart(ps, c, at, o)
	if blocks {
		n.endSync(ps, at)
	} else {
		ps.cursor++
		n.continueSync(ps, at)
	}
	if !ps.syncing && ps.syncAgain {
		n.syncPod(ps, at)
	}
}

// ensureVolumes ensures the pod's image volumes, from the cursor on, as
// the kubelet's getImageVolumes does lazily once per sync, before the first
// container it starts. It reports whether a volume's pull blocks the sync.
func (n *Node) ensureVolumes(ps *podState, now time.Time) (blocked bool) {
	vs := ps.vols
	for ; vs.cursor < len(vs.list); vs.cursor++ {
		v := vs.list[vs.cursor]
		o, job := n.ensureImage(ps, &v.state, now)
		if job != nil {
			job.blocked = true
			return true
		}
		v.outcome = o
	}
	vs.ensured = true
	return false
}

// failedMount returns the outcome of the last image volume c mounts whose
// pull failed in this sync, and whether there was one: the container then
// fails with that volume's error and message, without its own image being
// ensured (toKubeContainerImageVolumes).
func (ps *podState) failedMount(c *containerState) (ensureOutcome, bool) {
	var last ensureOutcome
	if ps.vols == nil {
		return last, false
	}
	for _, m := range c.spec.VolumeMounts {
		if v := ps.volume(m.Name); v != nil && v.outcome.err != nil {
			last = v.outcome
		}
	}
	return last, last.err != nil
}

// recordFailedMounts records the kubelet's "Error: <reason>" event for each
// failed image volume c mounts but the last, whose event the failed start
// records.
func (n *Node) recordFailedMounts(ps *podState, c *containerState, now time.Time) {
	var failed []*imageVolume
	for _, m := range c.spec.VolumeMounts {
		if v := ps.volume(m.Name); v != nil && v.outcome.err != nil {
			failed = append(failed, v)
		}
	}
	for _, v := range failed[:len(failed)-1] {
		n.record(now, evStartFailed, c.obj, "", v.outcome.err.Error())
	}
}

// volume returns the image volume of that name, or nil.
func (ps *podState) volume(name string) *imageVolume {
	if ps.vols == nil {
		return nil
	}
	for _, v := range ps.vols.list {
		if v.state.spec.Name == name {
			return v
		}
	}
	return nil
}

func (n *Node) endSync(ps *podState, now time.Time) {
	ps.syncing = false
	if ps.pullFailed && len(ps.missingSecrets) > 0 {
		// SyncPod's warning: only for ErrImagePull, not BackOff or the
		// classified reasons.
		obj := &ObjectReference{Kind: "Pod", Namespace: ps.namespace, Name: ps.name, UID: ps.uid}
		n.record(now, evMissingSecrets, obj, "", strings.Join(ps.missingSecrets, ", "))
	}
	if ps.pending() {
		n.setNextSync(ps, now.Add(n.cfg.resync))
	} else if ps.readyAt.IsZero() && ps.appsStarted() {
		ps.readyAt = now
	}
}

// finishStart is the rest of the kubelet's startContainer once
// EnsureImageExists has answered: the container is created and started
// ("Created", "Started"), or waits with the error's reason.
func (n *Node) finishStart(ps *podState, c *containerState, now time.Time, o ensureOutcome) bool {
	pulled := c.attemptPulled
	if o.err != nil {
		if o.err == pullpolicy.ErrImagePull {
			ps.pullFailed = true
		}
		n.record(now, evStartFailed, c.obj, "", o.err.Error())
		c.waiting = ContainerStateWaiting{Reason: o.err.Error(), Message: o.msg}
		ps.addAttempt(Attempt{At: now, Container: c.spec.Name, Reason: o.err.Error(), Message: o.msg, Pulled: pulled})
		return false
	}
	ps.addAttempt(Attempt{At: now, Container: c.spec.Name, Message: o.msg, Pulled: pulled})
	if n.cfg.before(KubeletV135) {
		n.record(now, evCreatedV134, c.obj, c.spec.Name, "")
		n.record(now, evStartedV134, c.obj, c.spec.Name, "")
	} else {
		n.record(now, evCreated, c.obj, "", "")
		n.record(now, evStarted, c.obj, "", "")
	}
	if c.started {
		c.restarts++
	}
	if c.term != nil {
		c.lastTerm, c.term = c.term, nil
	}
	c.started, c.startAt, c.running = true, now, true
	c.waiting = ContainerStateWaiting{}
	// The instance this start replaces stays as the one dead instance the
	// container GC keeps; its image is still in use.
	c.prevImageRef = c.imageRef // "" on the first start
	if id := digest.Digest(o.imageRef); c.imageRef != id || c.imageID == "" {
		c.imageRef = id
		c.image, c.imageID = n.statusImage(c.ref, id)
	}
	if c.sidecar && c.restarts == 0 {
		ps.syncAgain = true // its first start: the app containers start in the next sync
	}
	n.started(ps, c, now)
	return true
}

// RestartContainer simulates an app container (or sidecar) exiting 0 and
// the kubelet starting it again at once, whatever the restartPolicy and
// without crash-loop backoff, as after its first exit: the new start runs
// EnsureImage again (Always pulls again, IfNotPresent reports "already
// present"). The restart count grows when the new instance starts. Use
// [Node.ExitContainer] for an exit the kubelet handles by the pod's rules.
func (n *Node) RestartContainer(namespace, pod, container string) error {
	ps, c, err := n.podContainer(namespace, pod, container)
	switch {
	case err != nil:
		return err
	case c.init && !c.sidecar:
		return fmt.Errorf("node %s: restart %s/%s: %q is an init container, which runs once", n.name, ps.namespace, pod, container)
	case !c.running:
		return fmt.Errorf("node %s: restart %s/%s: container %q is not running", n.name, ps.namespace, pod, container)
	}
	now := n.now()
	c.restartNow = true // exitContainer neither finishes it nor the pod
	n.exitContainer(ps, c, now, 0, ReasonCompleted)
	n.syncPod(ps, now)
	return nil
}

// MaxAttempts is how many start attempts a pod keeps: a pod that fails for
// days keeps its latest ones.
const MaxAttempts = 1000

// addAttempt notes a start attempt, dropping the oldest beyond MaxAttempts.
func (ps *podState) addAttempt(a Attempt) {
	if len(ps.attempts) >= 2*MaxAttempts {
		ps.attempts = append(ps.attempts[:0:0], ps.attempts[len(ps.attempts)-MaxAttempts+1:]...)
	}
	ps.attempts = append(ps.attempts, a)
}
