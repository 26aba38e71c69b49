package node

import (
	"fmt"
	"reflect"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/imagecache"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// Node is one simulated kubelet with its container runtime: it admits pods,
// decides for every container start whether to pull (EnsureImage), pulls
// through a [registry.Source] into its [imagecache.Cache], records the
// kubelet's events and keeps container statuses.
//
// Time is virtual: the node reads its [Clock] and never sleeps. Pods are
// synced when created, whenever the caller asks ([Node.SyncPod],
// [Node.Sync]), and at the kubelet's cadence while a driver moves time
// ([Node.Advance], [Node.RunUntil], [Run]). The zero value is not usable;
// call [New]. A Node is not safe for concurrent use: drive a fleet from one
// goroutine with [Run], or give each node a goroutine of its own; the
// Registry and Cluster they share are safe for concurrent use.
type Node struct {
	name    string
	clock   Clock
	seen    time.Time // the latest time the node read from its clock
	cfg     config
	cluster *Cluster

	// The kubelet's components, each in a file of its own named for what
	// it models. Node composes them and routes calls between them.
	workers podWorkers     // pod_workers.go, containers.go: pods, syncs, container lifecycles
	manager imageManager   // image_manager.go: EnsureImageExists and the pull backoff
	records pullManager    // pull_manager.go: the KEP-2535 pull intents and records
	creds   credentials    // credentials.go: pull secrets, node config, providers
	puller  puller         // puller.go: the pull queue, slots and QPS throttle
	images  imageService   // runtime.go: the container runtime's image service
	gc      imageGCManager // image_gc_manager.go: image detection and garbage collection
	events  recorder       // events.go: the event recorder and the API server's TTL
}

// Counters count what a node did.
type Counters struct {
	EnsureImage int   // EnsureImage calls
	Pulls       int   // runtime PullImage calls, failed ones included
	PullErrors  int   // failed PullImage calls
	CacheHits   int   // starts that used a present image without pulling
	BytesPulled int64 // blob bytes downloaded
}

// New returns a node called name that pulls through src.
func New(name string, src registry.Source, opts ...Option) (*Node, error) {
	if name == "" {
		return nil, fmt.Errorf("node: name is required")
	}
	if src == nil {
		return nil, fmt.Errorf("node %s: a registry.Source is required", name)
	}
	if v := reflect.ValueOf(src); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, fmt.Errorf("node %s: the registry.Source is a nil %T", name, src)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.backOff <= 0 || cfg.maxBackOff <= 0 {
		return nil, fmt.Errorf("node %s: image backoff must be positive, got initial %v and max %v", name, cfg.backOff, cfg.maxBackOff)
	}
	if cfg.resync <= 0 {
		return nil, fmt.Errorf("node %s: resync interval must be positive, got %v", name, cfg.resync)
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("node %s: %w", name, err)
	}
	if cfg.backOff > cfg.maxBackOff {
		return nil, fmt.Errorf("node %s: image backoff initial %v exceeds max %v", name, cfg.backOff, cfg.maxBackOff)
	}
	if cfg.refs == nil {
		cfg.refs = pullpolicy.SharedRefs
	}
	if cfg.clock == nil {
		cfg.clock = NewManualClock(Epoch)
	}
	if cfg.cluster == nil {
		cfg.cluster = NewCluster()
	}
	if cfg.fsCapacity < 0 {
		return nil, fmt.Errorf("node %s: image filesystem capacity %d must not be negative", name, cfg.fsCapacity)
	}
	n := &Node{name: name, clock: cfg.clock, cfg: cfg, cluster: cfg.cluster}
	n.wire(src, cfg.clock.Now())
	return n, nil
}

// wire builds the node's components at time start and connects them.
func (n *Node) wire(src registry.Source, start time.Time) {
	cfg := &n.cfg
	n.events = recorder{ttl: cfg.eventTTL}
	n.images = newImageService(src, cfg.runtime)
	n.puller = newPuller(cfg.pullSlots(), cfg.qps, cfg.burst, &n.images)
	n.puller.done = n.pullFinished
	n.records = newPullManager(cfg)
	n.creds = credentials{cluster: n.cluster, node: newNodeKeyring(cfg.nodeCreds), providers: cfg.providers}
	n.manager = imageManager{
		cfg:         cfg,
		rec:         &n.events,
		images:      &n.images,
		puller:      &n.puller,
		records:     &n.records,
		creds:       &n.creds,
		backOff:     newBackOff(cfg.backOff, cfg.maxBackOff),
		presentMsgs: make(map[string]string),
		neverMsgs:   make(map[string]string),
	}
	n.workers = podWorkers{
		nodeName:     n.name,
		cfg:          cfg,
		rec:          &n.events,
		images:       &n.images,
		manager:      &n.manager,
		pods:         make(map[podName]*podState),
		fieldPaths:   make(map[fieldKey]string),
		crashBackOff: newCrashLoopBackOff(cfg.crashLoopPeriods()),
	}
	n.gc = imageGCManager{
		cfg:            cfg,
		rec:            &n.events,
		images:         &n.images,
		records:        &n.records,
		inUse:          n.workers.imagesInUse,
		busy:           func() bool { return n.puller.jobs.Len() > 0 },
		obj:            ObjectReference{Kind: "Node", Name: n.name, UID: n.name},
		detected:       make(map[digest.Digest]*imageRecord),
		kubeletStarted: start,
		nextGC:         start,
	}
}

// pullFinished routes a finished pull back: the image manager completes
// its pullImage (Pulled or Failed, backoff, records), the puller's next
// queued request starts, and the pod sync that waited resumes.
func (n *Node) pullFinished(job *pullJob, at time.Time) {
	job.outcome = n.manager.pullDone(job, at)
	job.done = true
	n.puller.startQueued(at)
	if job.blocked {
		n.workers.resumeSync(job.ps, job.c, at, job.outcome)
	}
}

// process finishes, in time order, every in-flight pull due by t, and
// fires every container timer (exits, terminations) due by t; at equal
// times pulls go first.
func (n *Node) process(t time.Time) {
	for {
		jobAt, hasJob := n.puller.next()
		timerAt, hasTimer := n.workers.nextTimer()
		switch {
		case hasJob && !jobAt.After(t) && (!hasTimer || !timerAt.Before(jobAt)):
			job := n.puller.jobs.Pop()
			n.puller.finish(job, job.finished)
		case hasTimer && !timerAt.After(t):
			n.workers.fire(n.workers.timers.Pop())
		default:
			return
		}
	}
}

// catchUp brings the node to its clock's time before it acts or answers:
// pulls that finished meanwhile finish now, in order, at their own times,
// and events older than the TTL expire. It returns the node's time, which
// a caller acting at once uses instead of reading the clock again.
func (n *Node) catchUp() time.Time {
	now := n.now()
	n.process(now)
	n.events.expire(now)
	return now
}

// periodicGC is the kubelet's housekeeping every ImageGCPeriod at now.
func (n *Node) periodicGC(now time.Time) {
	// Image backoff entries are only read at the node's time, so dropping
	// those expired now changes no answer, and frees deleted pods' entries
	// on a node that pulls no more.
	n.manager.backOff.GC(now)
	n.gc.periodic(now)
}

// RestartKubelet simulates a kubelet restart: running containers and the
// image store survive, and so do KEP-2535 pulled records (they are files);
// pull intents left behind become records without credentials for images
// now present. Everything the kubelet keeps in memory starts afresh: image
// GC records (so every image is new for imageMinimumGCAge again), image
// pull backoff, the GC's idea of when the kubelet started and whether the
// last GC failed, and the metrics (see WriteMetrics). Pods are synced
// again.
func (n *Node) RestartKubelet() {
	n.catchUp()
	now := n.now()
	n.gc.restart(now)
	n.manager.backOff = newBackOff(n.cfg.backOff, n.cfg.maxBackOff)
	n.manager.metrics = metrics{}
	n.puller.restart()
	n.workers.crashBackOff = newCrashLoopBackOff(n.cfg.crashLoopPeriods())
	n.records.restart(&n.images, now)
	for ps := n.workers.first; ps != nil; ps = ps.next {
		n.workers.syncPod(ps, now)
	}
}

// MustNew is New for tests and examples: it panics on error.
func MustNew(name string, src registry.Source, opts ...Option) *Node {
	n, err := New(name, src, opts...)
	if err != nil {
		panic(err)
	}
	return n
}

// Cluster returns the cluster the node belongs to: where its pods' secrets
// and service accounts live.
func (n *Node) Cluster() *Cluster { return n.cluster }

// Name returns the node's name.
func (n *Node) Name() string { return n.name }

// Clock returns the clock the node reads. Unless [WithClock] was given it is
// a *[ManualClock]; advance it to move the node's time.
func (n *Node) Clock() Clock { return n.clock }

// Cache returns the node's image store, for inspection (crictl images) and
// for direct manipulation (pinning, removal).
func (n *Node) Cache() *imagecache.Cache {
	n.catchUp()
	return n.images.cache
}

// Counters returns what the node has done so far.
func (n *Node) Counters() Counters {
	n.catchUp()
	return Counters{
		EnsureImage: n.manager.counts.ensure,
		Pulls:       n.puller.counts.pulls,
		PullErrors:  n.puller.counts.errors,
		CacheHits:   n.manager.counts.hits,
		BytesPulled: n.puller.counts.bytes,
	}
}

// Pulls returns every runtime pull the node has finished, in the order they
// finished: who asked, when, how long it queued and ran, what it cost.
func (n *Node) Pulls() []Pull {
	n.catchUp()
	out := make([]Pull, n.puller.pulls.Len())
	for i := range out {
		out[i] = n.puller.pull(i)
	}
	return out
}

// StartupLatency returns how long the pod took from creation until all of
// its containers had started, pull queueing and pull time included; false
// while some container has never started.
func (n *Node) StartupLatency(namespace, name string) (time.Duration, bool) {
	n.catchUp()
	ps := n.workers.pods[podID(namespace, name)]
	if ps == nil || !ps.ready {
		return 0, false
	}
	return ps.readyAfter, true
}

// SetImageStatusError makes the runtime's ImageStatus call (the kubelet's
// presence check) fail with err until called again with nil. Starts under
// IfNotPresent and Never then fail with ImageInspectError, retried on every
// sync without backoff; Always skips the presence check and pulls, but the
// size the puller asks ImageStatus for after a pull is then unknown: its
// Pulled event says "Image size: 0 bytes.".
// Typical texts: "rpc error: code = DeadlineExceeded desc = context deadline
// exceeded" (the 2m runtimeRequestTimeout), or `Id or size of image
// "nginx:1.28" is not set`.
func (n *Node) SetImageStatusError(err error) { n.images.statusErr = err }

// Defaulting returns the rule in force for empty imagePullPolicy fields.
func (n *Node) Defaulting() pullpolicy.Defaulting { return n.cfg.defaulting }

// LoadImage side-loads img onto the node under name, as `kind load
// docker-image` or an air-gapped pre-load does: no registry is contacted and
// no pull is recorded, so the kubelet treats the image as preloaded. name is
// tagged or not ("app" means "app:latest"), not digested. The image gets
// the tag name and the repo@digest name a pull would give it.
func (n *Node) LoadImage(name string, img registry.Image) (imagecache.Image, error) {
	n.catchUp()
	ref, err := n.cfg.refs.Parse(name)
	if err != nil {
		return imagecache.Image{}, fmt.Errorf("node %s: load image: %w", n.name, err)
	}
	if ref.Digest() != "" {
		return imagecache.Image{}, fmt.Errorf("node %s: load image %q: name the image by tag, not digest", n.name, name)
	}
	m, _, err := registry.Build(img)
	if err != nil {
		return imagecache.Image{}, fmt.Errorf("node %s: load image %q: %w", n.name, name, err)
	}
	return n.images.load(ref, m, img.Run)
}

// CreatePod admits p as the API server would and syncs it once, as the
// kubelet does when a pod is bound to it. Empty pull policies are defaulted
// with the node's [pullpolicy.Defaulting] and stored; the pod gets a new UID.
// Creating a pod whose name is taken fails with ErrAlreadyExists; an invalid
// spec fails with ErrInvalid and a message naming every bad field. It
// returns the pod as stored after its first sync.
func (n *Node) CreatePod(p Pod) (Pod, error) {
	n.catchUp()
	if p.Namespace == "" {
		p.Namespace = "default"
	}
	if p.Spec.NodeName != "" && p.Spec.NodeName != n.name {
		return Pod{}, fmt.Errorf("node %s: pod %s/%s is bound to node %q", n.name, p.Namespace, p.Name, p.Spec.NodeName)
	}
	// The API server's order: defaulting, mutating admission, validation,
	// validating admission.
	n.setDefaults(&p)
	alwaysPull, err := n.cluster.admit(&p)
	if err != nil {
		return Pod{}, err
	}
	// The pod is bound to the node (nothing validates nodeName), and a
	// spec equal to one the node stores is valid: only the metadata needs
	// checking then (see validatePodSpec).
	bound := p.Spec.NodeName != "" // no scheduler placed it
	p.Spec.NodeName = n.name
	stored := n.workers.stored(&p.Spec)
	errs := validateObjectMeta(p.Namespace, p.Name)
	if stored == nil {
		errs = append(errs, validatePodSpec(&p)...)
	}
	if len(errs) > 0 {
		return Pod{}, &apiError{ErrInvalid, fmt.Sprintf("Pod %q is invalid: %v", p.Name, aggregate(errs))}
	}
	if err := validateAdmission(p, alwaysPull); err != nil {
		return Pod{}, err
	}
	key := podID(p.Namespace, p.Name)
	if n.workers.pods[key] != nil {
		return Pod{}, &apiError{ErrAlreadyExists, fmt.Sprintf("pods %q already exists", p.Name)}
	}
	ps := n.workers.add(&p, stored, key, n.now())
	ps.bound = bound
	return ps.export(), nil
}

// MustCreatePod is CreatePod for tests and examples: it panics on error.
func (n *Node) MustCreatePod(p Pod) Pod {
	out, err := n.CreatePod(p)
	if err != nil {
		panic(err)
	}
	return out
}

// DeletePod deletes a pod as the kubelet kills one: each running app
// container gets "Killing" "Stopping container <name>" and exits after its
// image's stop time (registry.Run.StopAfter, at once by default), or is
// killed when terminationGracePeriodSeconds (30 by default) ends; then the
// native sidecars, in reverse order, with what is left of the grace period.
// Until then the pod is Terminating: it keeps its name and its images stay
// in use. Its images stay on the node; its backoff entries, under its UID,
// go with it when it is removed.
func (n *Node) DeletePod(namespace, name string) error {
	n.catchUp()
	key := podID(namespace, name)
	ps := n.workers.pods[key]
	if ps == nil {
		return n.notFound(name)
	}
	if !ps.terminating {
		n.workers.terminate(ps, n.now())
	}
	return nil
}

// notFound is the API server's error for a missing pod, which names the pod
// but not its namespace.
func (n *Node) notFound(name string) error {
	return &apiError{ErrNotFound, fmt.Sprintf("pods %q not found", name)}
}

// Pod returns the pod of that name as it stands.
func (n *Node) Pod(namespace, name string) (Pod, bool) {
	n.catchUp()
	ps := n.workers.pods[podID(namespace, name)]
	if ps == nil {
		return Pod{}, false
	}
	return ps.export(), true
}

// Pods returns every pod on the node, in creation order.
func (n *Node) Pods() []Pod {
	n.catchUp()
	out := make([]Pod, 0, n.workers.live)
	for ps := n.workers.first; ps != nil; ps = ps.next {
		out = append(out, ps.export())
	}
	return out
}

// appendBounded appends v to a history that readers see the latest keep
// elements of: once it holds 2×keep, the oldest are dropped by moving the
// latest to the front in place, so that appending stays amortised O(1),
// allocates nothing once the history is full, and never holds more than
// 2×keep.
func appendBounded[T any](s []T, v T, keep int) []T {
	if len(s) >= 2*keep {
		n := copy(s, s[len(s)-keep+1:])
		clear(s[n:]) // what the dropped ones held is garbage
		s = s[:n]
	}
	return append(s, v)
}
