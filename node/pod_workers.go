package node

import (
	"fmt"
	"maps"
	"strings"
	"time"
	"unsafe"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/internal/heapq"
	"github.com/pullsim/pullsim/pullpolicy"
)

// podWorkers are the kubelet's pod workers and sync loop
// (pkg/kubelet/pod_workers.go, and syncPod in pkg/kubelet/kubelet.go with
// kuberuntime's SyncPod): they keep the node's pods, sync each when it is
// due (at creation, after a container event, every resync interval while
// something is not running), start containers through the image manager,
// and run the containers' lifecycles (containers.go): exits, restarts with
// the crash-loop backoff, termination.
type podWorkers struct {
	nodeName string
	cfg      *config
	rec      *recorder
	images   *imageService
	manager  *imageManager

	pods        map[podName]*podState
	found       *podState             // the pod lookup found last; nil once it is removed
	first, last *podState             // the pods in creation order, linked through prev and next
	live        int                   // pods on the node: len(pods), terminating ones included
	syncq       heapq.Heap[*podState] // pods waiting for a sync, by time
	created     int                   // pods ever created, for UIDs
	uidBase     string                // node-derived prefix of pod UIDs
	fieldPaths  map[fieldKey]string   // container name and kind -> event field path

	timers       heapq.Heap[*timer] // container exits and terminations, by time
	timerSeq     uint64             // timers ever added, for their order
	staleTimers  int                // timers in the heap about removed pods
	crashBackOff *backOff           // the crash loop's, per pod and container

	// The specs and metadata of recent pods, shared by the pods that have
	// the same (intern, internMeta); memos of recently parsed images
	// (parse) and status image names (imageNames); and the scratch space
	// CreatePod defaults a pod's lists in before it is stored
	// (Node.setDefaults). They make a fleet's creates cheap and its pods
	// small.
	specs       [4]*storedSpec
	specNext    int // the entry of specs the next new spec replaces
	refMemo     [4]refMemo
	refNext     int // the entry of refMemo the next parse replaces
	namesMemo   [4]*imageNames
	namesNext   int // the entry of namesMemo the next new pair replaces
	waitMemo    [4]*ContainerStateWaiting
	waitNext    int // the entry of waitMemo the next new state replaces
	meta        *podMeta
	scratch     []Container
	scratchVols []Volume
	scratchSrcs []ImageVolumeSource
}

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
	ps := n.workers.pods[podID(namespace, name)]
	if ps == nil {
		return n.notFound(name)
	}
	n.workers.syncPod(ps, n.now())
	return nil
}

// Sync syncs every pod that has a container to start, in creation order.
func (n *Node) Sync() {
	n.catchUp()
	now := n.now()
	for ps := n.workers.first; ps != nil; ps = ps.next {
		if ps.pending() {
			n.workers.syncPod(ps, now)
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
	for _, c := range ps.inits() {
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
	for _, c := range ps.apps() {
		if !c.running && !c.final {
			return true
		}
	}
	return false
}

// appsStarted reports whether every app container has started: the
// pod's startup is over (an init container may still run otherwise).
func (ps *podState) appsStarted() bool {
	for _, c := range ps.apps() {
		if !c.started {
			return false
		}
	}
	return true
}

// inits returns the pod's init containers, in order.
func (ps *podState) inits() []*containerState { return ps.ctrs[:ps.nInit] }

// apps returns the pod's app containers, in order.
func (ps *podState) apps() []*containerState { return ps.ctrs[ps.nInit:] }

// containerAt returns the i-th container in sync order (init containers,
// then app containers), or nil past the end.
func (ps *podState) containerAt(i int) *containerState {
	if i < len(ps.ctrs) {
		return ps.ctrs[i]
	}
	return nil
}

func (w *podWorkers) syncPod(ps *podState, now time.Time) {
	w.setNextSync(ps, time.Time{}) // this sync is the one that was due
	for !ps.syncing && !ps.terminating {
		w.setNextSync(ps, time.Time{})
		ps.syncing, ps.cursor, ps.pullFailed, ps.syncAgain = true, 0, false, false
		if ps.volumes() != nil {
			ps.volumes().ensured, ps.volumes().cursor = false, 0
		}
		w.continueSync(ps, now)
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
func (w *podWorkers) continueSync(ps *podState, now time.Time) {
	for c := ps.containerAt(int(ps.cursor)); c != nil; c = ps.containerAt(int(ps.cursor)) {
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
		if c.term() != nil && !c.restartNow && w.crashLoop(ps, c, now) {
			// In CrashLoopBackOff: no image is ensured.
			if blocks {
				break
			}
			ps.cursor++
			continue
		}
		c.restartNow = false
		if ps.volumes() != nil && !ps.volumes().ensured && w.ensureVolumes(ps, now) {
			return // blocked on a volume's pull
		}
		c.attemptPulled = false
		o, failed := ps.failedMount(c)
		if !failed {
			var job *pullJob
			if o, job = w.manager.ensureImage(ps, c, now); job != nil {
				job.blocked = true
				return
			}
		} else {
			w.recordFailedMounts(ps, c, now)
		}
		w.finishStart(ps, c, now, o)
		if blocks {
			// The kubelet starts at most one init container (or sidecar)
			// per sync; the next waits for it to exit, or to run.
			break
		}
		ps.cursor++
	}
	w.endSync(ps, now)
}

// initialized reports whether the pod is initialized: every init container
// completed and every sidecar started at least once.
func (ps *podState) initialized() bool {
	for _, c := range ps.inits() {
		if c.sidecar && !c.started || !c.sidecar && !c.done {
			return false
		}
	}
	return true
}

// resumeSync continues a sync that blocked on a pull, unless the pod was
// deleted meanwhile.
func (w *podWorkers) resumeSync(ps *podState, c *containerState, at time.Time, o ensureOutcome) {
	if w.pods[podID(ps.namespace(), ps.name())] != ps || ps.terminating {
		ps.syncing = false
		return
	}
	if c.volume {
		ps.volumes().list[ps.volumes().cursor].outcome = o
		ps.volumes().cursor++
		w.continueSync(ps, at)
		return
	}
	blocks := c.init && !(c.sidecar && ps.initialized())
	w.finishStart(ps, c, at, o)
	if blocks {
		w.endSync(ps, at)
	} else {
		ps.cursor++
		w.continueSync(ps, at)
	}
	if !ps.syncing && ps.syncAgain {
		w.syncPod(ps, at)
	}
}

// ensureVolumes ensures the pod's image volumes, from the cursor on, as
// the kubelet's getImageVolumes does lazily once per sync, before the first
// container it starts. It reports whether a volume's pull blocks the sync.
func (w *podWorkers) ensureVolumes(ps *podState, now time.Time) (blocked bool) {
	vs := ps.volumes()
	for ; vs.cursor < len(vs.list); vs.cursor++ {
		v := vs.list[vs.cursor]
		o, job := w.manager.ensureImage(ps, &v.state, now)
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
	if ps.volumes() == nil {
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
func (w *podWorkers) recordFailedMounts(ps *podState, c *containerState, now time.Time) {
	var failed []*imageVolume
	for _, m := range c.spec.VolumeMounts {
		if v := ps.volume(m.Name); v != nil && v.outcome.err != nil {
			failed = append(failed, v)
		}
	}
	for _, v := range failed[:len(failed)-1] {
		w.rec.record(now, evStartFailed, c.obj, "", v.outcome.err.Error())
	}
}

// volume returns the image volume of that name, or nil.
func (ps *podState) volume(name string) *imageVolume {
	if ps.volumes() == nil {
		return nil
	}
	for _, v := range ps.volumes().list {
		if v.state.spec.Name == name {
			return v
		}
	}
	return nil
}

func (w *podWorkers) endSync(ps *podState, now time.Time) {
	ps.syncing = false
	if missing := ps.missingSecrets(); ps.pullFailed && len(missing) > 0 {
		// SyncPod's warning: only for ErrImagePull, not BackOff or the
		// classified reasons.
		obj := ps.ref("")
		w.rec.record(now, evMissingSecrets, &obj, "", strings.Join(missing, ", "))
	}
	if ps.pending() {
		w.setNextSync(ps, now.Add(w.cfg.resync))
	} else if !ps.ready && ps.appsStarted() {
		ps.ready, ps.readyAfter = true, now.Sub(ps.createdAt)
	}
}

// finishStart is the rest of the kubelet's startContainer once
// EnsureImageExists has answered: the container is created and started
// ("Created", "Started"), or waits with the error's reason.
func (w *podWorkers) finishStart(ps *podState, c *containerState, now time.Time, o ensureOutcome) bool {
	pulled := c.attemptPulled
	if o.err != nil {
		if o.err == pullpolicy.ErrImagePull {
			ps.pullFailed = true
		}
		w.rec.record(now, evStartFailed, c.obj, "", o.err.Error())
		c.waiting = w.waitingState(o.err.Error(), o.msg)
		ps.addAttempt(now, c.spec.Name, o.err.Error(), o.msg, pulled)
		return false
	}
	ps.addAttempt(now, c.spec.Name, "", o.msg, pulled)
	if w.cfg.before(KubeletV135) {
		w.rec.record(now, evCreatedV134, c.obj, c.spec.Name, "")
		w.rec.record(now, evStartedV134, c.obj, c.spec.Name, "")
	} else {
		w.rec.record(now, evCreated, c.obj, "", "")
		w.rec.record(now, evStarted, c.obj, "", "")
	}
	if c.started {
		c.restarts++
	}
	if x := c.extra; x != nil && x.term != nil {
		x.lastTerm, x.term = x.term, nil
	}
	c.started, c.startAt, c.running = true, now.Sub(ps.createdAt), true
	c.waiting = nil
	// The instance this start replaces stays as the one dead instance the
	// container GC keeps; its image is still in use.
	c.setPrevImageRef(c.imageRef()) // "" on the first start
	if id := digest.Digest(o.imageRef); c.names == nil || c.names.ref != id || c.names.imageID == "" {
		image, imageID := w.images.statusImage(c.ref, id)
		c.names = w.imageNames(id, image, imageID)
	}
	if c.sidecar && c.restarts == 0 {
		ps.syncAgain = true // its first start: the app containers start in the next sync
	}
	w.started(ps, c, now)
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
		return fmt.Errorf("node %s: restart %s/%s: %q is an init container, which runs once", n.name, ps.namespace(), pod, container)
	case !c.running:
		return fmt.Errorf("node %s: restart %s/%s: container %q is not running", n.name, ps.namespace(), pod, container)
	}
	now := n.now()
	c.restartNow = true // exitContainer neither finishes it nor the pod
	n.workers.exitContainer(ps, c, now, 0, ReasonCompleted)
	n.workers.syncPod(ps, now)
	return nil
}

// MaxAttempts is how many start attempts a pod keeps: a pod that fails for
// days keeps its latest ones.
const MaxAttempts = 1000

// addAttempt notes a start attempt at time at, dropping the oldest beyond
// MaxAttempts.
func (ps *podState) addAttempt(at time.Time, container, reason, message string, pulled bool) {
	ps.attempts = appendBounded(ps.attempts, attempt{at.Sub(ps.createdAt), container, reason, message, pulled}, MaxAttempts)
}

// podState is a pod on the node. Its spec and metadata are shared with
// the other pods that have the same (podWorkers.intern) and never change;
// fields a pod needs only in some states live behind a pointer (rare), and
// the booleans and small counters come last, packed.
type podState struct {
	spec *storedSpec // interned: read only
	meta *podMeta    // interned, read only; nil when the pod has none
	// id names the pod: its namespace, name and UID. It is one of the
	// object references its events are about (which do not keep the
	// pod's state alive), so the pod does not hold those strings twice.
	id          *ObjectReference
	ctrs        []*containerState // the init containers, then the app containers
	prev, next  *podState         // creation order on the node
	attempts    []attempt
	nextSync    time.Time // when the driver syncs it next; zero when nothing waits
	createdAt   time.Time
	readyAfter  time.Duration // how long it took to start all its app containers, once ready is set
	rare        *podRare      // nil until a pod needs one
	seq         int           // creation order on the node
	qidx        int32         // index in the node's syncq while nextSync is set
	cursor      int32         // the container the blocked sync is at
	nInit       int32         // how many of ctrs are init containers
	timers      int32         // timers in the node's heap that are about the pod
	syncing     bool          // a sync is in progress, blocked on a pull
	pullFailed  bool          // a start failed with ErrImagePull in this sync
	syncAgain   bool          // a container event asks for another sync right after this one
	terminating bool          // deleted: its containers are being stopped
	ready       bool          // every app container has started once
	removed     bool          // taken off the node
	bound       bool          // created with spec.nodeName set: no scheduler placed it
}

// attempt is an [Attempt] as a pod keeps it: its time since the pod's
// creation, without the pointer of a time's location.
type attempt struct {
	at                         time.Duration
	container, reason, message string
	pulled                     bool
}

// podRare is what few pods need, kept apart so that the many that do not
// carry none of it.
type podRare struct {
	vols           *podVolumes // image volumes; nil when the pod has none
	deletedAt      time.Time   // when the pod was deleted, once it terminates
	missingSecrets []string    // pull secrets the last lookup did not find
}

// name, namespace and uid name the pod.
func (ps *podState) name() string      { return ps.id.Name }
func (ps *podState) namespace() string { return ps.id.Namespace }
func (ps *podState) uid() string       { return ps.id.UID }

// ref returns an object reference to the pod, or with fieldPath to one of
// its containers, for events.
func (ps *podState) ref(fieldPath string) ObjectReference {
	r := *ps.id
	r.FieldPath = fieldPath
	return r
}

// more returns ps's rare state, allocating it on first use.
func (ps *podState) more() *podRare {
	if ps.rare == nil {
		ps.rare = new(podRare)
	}
	return ps.rare
}

// volumes returns the pod's image volumes, nil when it has none.
func (ps *podState) volumes() *podVolumes {
	if ps.rare == nil {
		return nil
	}
	return ps.rare.vols
}

// deletedAt is when a terminating pod was deleted.
func (ps *podState) deletedAt() time.Time { return ps.rare.deletedAt }

// resetMissingSecrets forgets the pull secrets the last lookup missed.
func (ps *podState) resetMissingSecrets() {
	if ps.rare != nil {
		ps.rare.missingSecrets = ps.rare.missingSecrets[:0]
	}
}

// addMissingSecret notes a pull secret the lookup did not find.
func (ps *podState) addMissingSecret(name string) {
	r := ps.more()
	r.missingSecrets = append(r.missingSecrets, name)
}

// missingSecrets returns the pull secrets the last lookup did not find.
func (ps *podState) missingSecrets() []string {
	if ps.rare == nil {
		return nil
	}
	return ps.rare.missingSecrets
}

// podMeta is the metadata a node carries for a pod without reading it.
type podMeta struct {
	generateName        string
	labels, annotations map[string]string
}

// podName is a pod's namespace and name, the key of a node's pods.
type podName struct{ namespace, name string }

// podID returns the key of a pod; the namespace defaults to "default".
func podID(namespace, name string) podName {
	if namespace == "" {
		namespace = "default"
	}
	return podName{namespace, name}
}

// lookup returns the pod namespace/name on the node, or nil. It tries the
// pod it found last before the map: a pod that is not removed is the one
// its name maps to, since a name is only taken again once its pod is gone.
func (w *podWorkers) lookup(namespace, name string) *podState {
	if namespace == "" {
		namespace = "default"
	}
	if ps := w.found; ps != nil && ps.name() == name && ps.namespace() == namespace && !ps.removed {
		return ps
	}
	ps := w.pods[podName{namespace, name}]
	if ps != nil {
		w.found = ps
	}
	return ps
}

func podKey(namespace, name string) string {
	if namespace == "" {
		namespace = "default"
	}
	return namespace + "/" + name
}

// add creates the state of pod p, admitted under key, and syncs it once at
// now, as the kubelet does when a pod is bound to it. p's lists may be the
// node's scratch space: add keeps an interned copy.
func (w *podWorkers) add(p *Pod, stored *storedSpec, key podName, now time.Time) *podState {
	w.created++
	spec := stored
	if spec == nil {
		spec = w.intern(&p.Spec)
	}
	ni, na := len(spec.InitContainers), len(spec.Containers)
	// The containers' states come in one array, and so do the pointers to
	// them and the events' object references: see containerState.obj. A
	// pod of one container comes in one allocation with its state, and
	// room for its first start attempt.
	var ps *podState
	var states []containerState
	var ptrs []*containerState
	if ni+na == 1 {
		one := new(podOfOne)
		ps, states, ptrs = &one.pod, one.state[:], one.ptr[:]
		ps.attempts = one.attempt[:0:1]
	} else {
		ps, states, ptrs = new(podState), make([]containerState, ni+na), make([]*containerState, ni+na)
	}
	nvols := 0
	for i := range spec.Volumes {
		if spec.Volumes[i].Image != nil {
			nvols++
		}
	}
	// The object references and the UID they name come in one allocation
	// when there is one.
	var objs []ObjectReference
	var uid string
	if nvols+ni+na == 1 {
		one := new(refOfOne)
		objs, uid = one.obj[:], w.newUIDIn(&one.uid)
	} else {
		objs, uid = make([]ObjectReference, nvols+ni+na), w.newUIDIn(new([uidLen]byte))
	}
	// The first reference names the pod; the volumes and containers then
	// fill in theirs, which name it too.
	objs[0] = ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: uid}
	ps.id, ps.spec, ps.meta = &objs[0], spec, w.internMeta(p)
	ps.createdAt, ps.seq = now, w.created
	for i := range spec.Volumes {
		if v := &spec.Volumes[i]; v.Image != nil {
			if ps.volumes() == nil {
				ps.more().vols = &podVolumes{list: make([]*imageVolume, 0, nvols)}
			}
			ps.rare.vols.list = append(ps.rare.vols.list, w.newImageVolume(ps, v, &objs[0]))
			objs = objs[1:]
		}
	}
	for i := range states {
		w.newContainer(&states[i], ps, i, &objs[i])
		ptrs[i] = &states[i]
	}
	ps.ctrs, ps.nInit = ptrs, int32(ni)
	w.pods[key] = ps
	w.link(ps)
	w.syncPod(ps, now)
	return ps
}

// stored returns the node's stored spec equal to spec, or nil when none of
// the latest is.
func (w *podWorkers) stored(spec *PodSpec) *storedSpec {
	for _, s := range w.specs {
		if s != nil && s.equal(spec) {
			return s
		}
	}
	return nil
}

// podOfOne is a pod of one container, allocated at once. The container's
// state comes last: its tail holds no pointers, which the garbage
// collector then does not scan.
type podOfOne struct {
	pod     podState
	ptr     [1]*containerState
	attempt [1]attempt
	state   [1]containerState
}

// refOfOne is the object reference of a pod's one container and the bytes
// of the pod's UID, allocated at once.
type refOfOne struct {
	obj [1]ObjectReference
	uid [uidLen]byte
}

// intern returns the stored copy of spec: that of an earlier pod when one
// of the latest specs equals it, else a new clone. Pods of one template
// (a Deployment's replicas, a fleet's rollout) then share one spec, which
// nothing changes once stored: CreatePod and Pod hand out clones.
func (w *podWorkers) intern(spec *PodSpec) *storedSpec {
	if s := w.stored(spec); s != nil {
		return s
	}
	s := &storedSpec{PodSpec: spec.clone()}
	for _, cs := range [2][]Container{s.InitContainers, s.Containers} {
		init := len(s.refs) < len(s.InitContainers)
		for i := range cs {
			s.refs = append(s.refs, w.parse(cs[i].Image))
			s.fieldPaths = append(s.fieldPaths, w.fieldPath(cs[i].Name, init))
		}
	}
	w.specs[w.specNext] = s
	w.specNext = (w.specNext + 1) % len(w.specs)
	return s
}

// internMeta returns the stored copy of p's generateName, labels and
// annotations: nil when it has none, that of the previous pod when they
// are the same, else a new copy.
func (w *podWorkers) internMeta(p *Pod) *podMeta {
	if p.GenerateName == "" && p.Labels == nil && p.Annotations == nil {
		return nil
	}
	if m := w.meta; m != nil && m.generateName == p.GenerateName && sameMap(m.labels, p.Labels) && sameMap(m.annotations, p.Annotations) {
		return m
	}
	w.meta = &podMeta{generateName: p.GenerateName, labels: maps.Clone(p.Labels), annotations: maps.Clone(p.Annotations)}
	return w.meta
}

// sameMap reports whether a and b hold the same entries and are both nil
// or both not.
func sameMap(a, b map[string]string) bool { return (a == nil) == (b == nil) && maps.Equal(a, b) }

// link appends ps to the node's pods in creation order.
func (w *podWorkers) link(ps *podState) {
	ps.prev = w.last
	if w.last != nil {
		w.last.next = ps
	} else {
		w.first = ps
	}
	w.last = ps
	w.live++
}

// unlink takes ps out of the node's pods in creation order, in O(1).
func (w *podWorkers) unlink(ps *podState) {
	if ps.prev != nil {
		ps.prev.next = ps.next
	} else if w.first == ps {
		w.first = ps.next
	} else {
		return // not linked
	}
	if ps.next != nil {
		ps.next.prev = ps.prev
	} else {
		w.last = ps.prev
	}
	ps.prev, ps.next = nil, nil
	w.live--
}

// newContainer sets cs, zero, to the state of the i-th container of ps in
// sync order (init containers first); obj is where its object reference is
// to be kept.
func (w *podWorkers) newContainer(cs *containerState, ps *podState, i int, obj *ObjectReference) {
	spec := ps.spec
	ni := len(spec.InitContainers)
	// convertToAPIContainerStatuses' default for a container with no
	// status yet: PodInitializing in a pod with init containers, for its
	// init and app containers alike.
	cs.waiting = &waitingCreating
	if ni > 0 {
		cs.waiting = &waitingInitializing
	}
	if cs.init = i < ni; cs.init {
		cs.spec = &spec.InitContainers[i]
		cs.sidecar = cs.spec.RestartPolicy == ContainerRestartPolicyAlways
	} else {
		cs.spec = &spec.Containers[i-ni]
	}
	cs.ref, cs.obj = spec.refs[i], obj
	*obj = ps.ref(spec.fieldPaths[i])
}

// storedSpec is a pod spec as a node stores it, shared by the pods that
// have it (podWorkers.intern) and never changed, with what the node
// derives from it once for all of them.
type storedSpec struct {
	PodSpec
	// refs and fieldPaths are the init containers' then the app
	// containers' images, parsed (nil when one does not parse), and the
	// field paths of their events.
	refs       []*pullpolicy.ImageRef
	fieldPaths []string
}

// parse returns the parsed reference of image, or nil when it does not
// parse, through the node's RefCache and a memo of the node's latest
// images, which spares the cache's lock on a fleet's every create.
func (w *podWorkers) parse(image string) *pullpolicy.ImageRef {
	for _, m := range &w.refMemo {
		if m.ok && m.image == image {
			return m.ref
		}
	}
	ref, _ := w.cfg.refs.Parse(image)
	w.refMemo[w.refNext] = refMemo{image, ref, true}
	w.refNext = (w.refNext + 1) % len(w.refMemo)
	return ref
}

// imageNames are the image a started container runs and the image and
// image ID its status shows (the runtime's name and repo@digest).
type imageNames struct {
	ref            digest.Digest
	image, imageID string
}

// imageNames returns ref, image and imageID as a shared triple: one of the
// node's latest when it is the same, else a new one.
func (w *podWorkers) imageNames(ref digest.Digest, image, imageID string) *imageNames {
	for _, m := range w.namesMemo {
		if m != nil && m.ref == ref && m.image == image && m.imageID == imageID {
			return m
		}
	}
	m := &imageNames{ref, image, imageID}
	w.namesMemo[w.namesNext] = m
	w.namesNext = (w.namesNext + 1) % len(w.namesMemo)
	return m
}

// waitingState returns the waiting state of a failed start, shared: one
// of the node's latest when it is the same, else a new one. The pods that
// fail alike (a fleet's during a registry outage) then share one, which
// nothing changes: a container's waiting state is replaced, never changed.
func (w *podWorkers) waitingState(reason, message string) *ContainerStateWaiting {
	for _, m := range w.waitMemo {
		if m != nil && m.Reason == reason && m.Message == message {
			return m
		}
	}
	m := &ContainerStateWaiting{Reason: reason, Message: message}
	w.waitMemo[w.waitNext] = m
	w.waitNext = (w.waitNext + 1) % len(w.waitMemo)
	return m
}

// refMemo is an image string and its parsed reference.
type refMemo struct {
	image string
	ref   *pullpolicy.ImageRef
	ok    bool
}

// The waiting states of containers before their first start attempt,
// shared: a container's waiting state is replaced, never changed.
var (
	waitingCreating     = ContainerStateWaiting{Reason: ReasonContainerCreating}
	waitingInitializing = ContainerStateWaiting{Reason: ReasonPodInitializing}
)

// podVolumes are a pod's image volumes and where the current sync is with
// them.
type podVolumes struct {
	list    []*imageVolume
	ensured bool // this sync has ensured them
	cursor  int  // the volume a blocked sync is at
}

// imageVolume is an image volume: ensured like a container's image, with
// the pod as the object of its events; outcome is what its last ensure gave.
type imageVolume struct {
	state   containerState
	outcome ensureOutcome
}

// newImageVolume returns the state of an image volume of ps; obj is where
// its object reference is to be kept.
func (w *podWorkers) newImageVolume(ps *podState, v *Volume, obj *ObjectReference) *imageVolume {
	ref := w.parse(v.Image.Reference)
	*obj = ps.ref("")
	return &imageVolume{state: containerState{
		spec:   &Container{Name: v.Name, Image: v.Image.Reference, ImagePullPolicy: v.Image.PullPolicy},
		ref:    ref,
		obj:    obj,
		volume: true,
	}}
}

// fieldPath returns the event field path of a container, such as
// spec.containers{app}, built once per name and kind on the node.
func (w *podWorkers) fieldPath(name string, init bool) string {
	key := fieldKey{name, init}
	f, ok := w.fieldPaths[key]
	if !ok {
		f = "spec.containers{" + name + "}"
		if init {
			f = "spec.initContainers{" + name + "}"
		}
		w.fieldPaths[key] = f
	}
	return f
}

type fieldKey struct {
	name string
	init bool
}

// uidLen is the length of a pod UID, shaped as a UUID.
const uidLen = 36

// newUIDIn returns a UUID-shaped UID made of a hash of the node's name and
// the node's pod sequence number, so runs are reproducible, UIDs differ
// across nodes, and a recreated pod gets a new one. It is formatted in b:
// the string returned is b's bytes, without a copy, so that it shares an
// allocation with the pod's object references; b must not be written
// again.
func (w *podWorkers) newUIDIn(b *[uidLen]byte) string {
	if w.uidBase == "" {
		w.uidBase = uuidOf(w.nodeName)[:24] // the last group counts pods
	}
	copy(b[:], w.uidBase)
	const digits = "0123456789abcdef"
	for i, v := uidLen-1, uint64(w.created); i >= 24; i-- {
		b[i] = digits[v&15]
		v >>= 4
	}
	return unsafe.String(&b[0], uidLen)
}

// export returns the pod as the API shows it: a copy that shares nothing
// the node changes. A pod of one container comes in one allocation: its
// spec's container, its status, the status's state and its container ID.
func (ps *podState) export() Pod {
	var all []ContainerStatus
	var room []Container
	p := Pod{Name: ps.name(), Namespace: ps.namespace(), UID: ps.uid(), CreationTimestamp: ps.createdAt}
	switch c := ps.ctrs; {
	case len(c) == 1 && c[0].running:
		one := new(exportRunning)
		all, room = one.status[:], one.ctr[:]
		all[0] = c[0].statusIn(statusRoom{running: &one.running, id: &one.id}, ps.createdAt)
	case len(c) == 1 && !c[0].started:
		one := new(exportWaiting)
		all, room = one.status[:], one.ctr[:]
		all[0] = c[0].statusIn(statusRoom{waiting: &one.waiting}, ps.createdAt)
	case len(c) == 1:
		one := new(exportOfOne)
		all, room = one.status[:], one.ctr[:]
		all[0] = c[0].statusIn(one.box.room(), ps.createdAt)
	default:
		all = make([]ContainerStatus, len(c))
		boxes := make([]stateBox, len(c))
		for i, c := range c {
			all[i] = c.statusIn(boxes[i].room(), ps.createdAt)
		}
	}
	p.Spec = ps.spec.cloneInto(room)
	if m := ps.meta; m != nil {
		p.GenerateName, p.Labels, p.Annotations = m.generateName, maps.Clone(m.labels), maps.Clone(m.annotations)
	}
	if ps.terminating {
		p.DeletionTimestamp = ps.deletedAt().Add(ps.spec.terminationGrace())
	}
	p.Status.Phase = ps.phase()
	if ni := int(ps.nInit); ni > 0 {
		p.Status.InitContainerStatuses = all[:ni:ni]
	}
	if len(all) > int(ps.nInit) {
		p.Status.ContainerStatuses = all[ps.nInit:]
	}
	return p
}

// exportRunning, exportWaiting and exportOfOne are what export allocates
// for a pod of one container, at once: its spec's container, its status,
// and what the status points to: the running state and the container ID
// of a running container, the waiting state of one never started, room for
// either otherwise.
type (
	exportRunning struct {
		ctr     [1]Container
		status  [1]ContainerStatus
		running ContainerStateRunning
		id      [idLen]byte
	}
	exportWaiting struct {
		ctr     [1]Container
		status  [1]ContainerStatus
		waiting ContainerStateWaiting
	}
	exportOfOne struct {
		ctr    [1]Container
		status [1]ContainerStatus
		box    stateBox
	}
)

func (ps *podState) container(name string) *containerState {
	for _, c := range ps.ctrs {
		if c.spec.Name == name {
			return c
		}
	}
	return nil
}

// imagesInUse fills used, emptied first, with the image IDs of every
// container the runtime knows: running, exited and completed ones, of every
// pod on the node, and of the pods' image volumes. A restarted
// container's previous instance is still known: the kubelet's container GC
// keeps one dead instance per container (MaxPerPodContainer 1), so the
// image it ran stays in use.
func (w *podWorkers) imagesInUse(used map[digest.Digest]bool) {
	clear(used)
	for ps := w.first; ps != nil; ps = ps.next {
		for _, c := range ps.ctrs {
			if id := c.imageRef(); c.started && id != "" {
				used[id] = true
			}
			if c.extra != nil && c.extra.prevImageRef != "" {
				used[c.extra.prevImageRef] = true
			}
		}
		// Images mounted as image volumes: what the last ensure of each
		// volume gave.
		if ps.volumes() != nil {
			for _, v := range ps.volumes().list {
				if v.outcome.imageRef != "" {
					used[digest.Digest(v.outcome.imageRef)] = true
				}
			}
		}
	}
}

// Less orders the pods that wait for a sync (a node's syncq): earliest
// first and, at equal times, the older pod first. A pod is in the syncq
// exactly when its nextSync is set; setNextSync keeps it so.
func (ps *podState) Less(b *podState) bool {
	if !ps.nextSync.Equal(b.nextSync) {
		return ps.nextSync.Before(b.nextSync)
	}
	return ps.seq < b.seq
}

// SetIndex is told the pod's place in the syncq.
func (ps *podState) SetIndex(i int) { ps.qidx = int32(i) }

// setNextSync schedules the pod's next sync at t, or unschedules it when t
// is zero.
func (w *podWorkers) setNextSync(ps *podState, t time.Time) {
	was := ps.nextSync
	ps.nextSync = t
	switch {
	case was.IsZero() && !t.IsZero():
		w.syncq.Push(ps)
	case !was.IsZero() && t.IsZero():
		w.syncq.Remove(int(ps.qidx))
	case !t.IsZero():
		w.syncq.Fix(int(ps.qidx))
	}
}
