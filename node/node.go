package node

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/imagecache"
	"github.com/pullsim/pullsim/internal/chunk"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
	"golang.org/x/time/rate"
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
	name   string
	source registry.Source
	cache  *imagecache.Cache
	clock  Clock
	cfg    config

	pods    map[podName]*podState
	order   []*podState // creation order, for Sync
	syncq   syncQueue   // pods waiting for a sync, by time
	created int         // pods ever created, for UIDs

	events       recorder
	backOff      *backOff
	crashBackOff *backOff // the crash loop's, per pod and container

	timers   timerHeap                      // container exits and terminations, by time
	timerSeq uint64                         // timers ever added, for their order
	runs     map[digest.Digest]registry.Run // what images' containers do, by image ID; zero Runs omitted

	pulled  map[digest.Digest]*pullRecord // KEP-2535 pulled records by image ID
	intents map[string]int                // KEP-2535 pull intents by image
	counts  Counters

	statusErr error // when set, the runtime's ImageStatus fails with it
	cluster   *Cluster

	timed    registry.Timed // the source's links, if it knows them
	puller   puller
	jobs     jobHeap                     // pulls in flight, by finish time
	inflight map[digest.Digest]time.Time // blobs being downloaded, until when
	seq      uint64
	qps      *rate.Limiter // the pull throttle; nil when off
	pulls    chunk.List[Pull]
	uidBase  string // node-derived prefix of pod UIDs

	obj            ObjectReference // the node, for node events
	records        map[digest.Digest]*imageRecord
	kubeletStarted time.Time
	nextGC         time.Time
	fsOther        int64
	gcRuns         []GCResult
	seen           time.Time // the latest time the node read from its clock
	gcFailed       bool      // the last periodic GC failed

	nodeKeyring keyring // the node's docker config (WithNodeCredentials)

	presentMsgs map[string]string    // image as written -> its "already present" message
	neverMsgs   map[string]string    // image as written -> its ErrImageNeverPull message
	fieldPaths  map[fieldKey]string  // container name and kind -> event field path
	repoDigests map[repoImage]string // repository and image ID -> repo@manifest-digest name
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
	timed, _ := src.(registry.Timed)
	if cfg.fsCapacity < 0 {
		return nil, fmt.Errorf("node %s: image filesystem capacity %d must not be negative", name, cfg.fsCapacity)
	}
	start := cfg.clock.Now()
	return &Node{
		obj:            ObjectReference{Kind: "Node", Name: name, UID: name},
		records:        make(map[digest.Digest]*imageRecord),
		kubeletStarted: start,
		nextGC:         start,
		timed:          timed,
		cluster:        cfg.cluster,
		puller:         puller{limit: cfg.pullSlots()},
		inflight:       make(map[digest.Digest]time.Time),
		qps:            newPullThrottle(cfg.qps, cfg.burst),
		name:           name,
		source:         src,
		cache:          imagecache.New(),
		clock:          cfg.clock,
		cfg:            cfg,
		events:         recorder{ttl: cfg.eventTTL},
		pods:           make(map[podName]*podState),
		backOff:        newBackOff(cfg.backOff, cfg.maxBackOff),
		crashBackOff:   newCrashLoopBackOff(cfg.crashLoopPeriods()),
		presentMsgs:    make(map[string]string),
		neverMsgs:      make(map[string]string),
		nodeKeyring:    newNodeKeyring(cfg.nodeCreds),
		fieldPaths:     make(map[fieldKey]string),
		repoDigests:    make(map[repoImage]string),
		pulled:         make(map[digest.Digest]*pullRecord),
		intents:        make(map[string]int),
	}, nil
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
	return n.cache
}

// Counters returns what the node has done so far.
func (n *Node) Counters() Counters {
	n.catchUp()
	return n.counts
}

// Pulls returns every runtime pull the node has finished, in the order they
// finished: who asked, when, how long it queued and ran, what it cost.
func (n *Node) Pulls() []Pull {
	n.catchUp()
	out := make([]Pull, n.pulls.Len())
	for i := range out {
		out[i] = *n.pulls.At(i)
	}
	return out
}

// StartupLatency returns how long the pod took from creation until all of
// its containers had started, pull queueing and pull time included; false
// while some container has never started.
func (n *Node) StartupLatency(namespace, name string) (time.Duration, bool) {
	n.catchUp()
	ps := n.pods[podID(namespace, name)]
	if ps == nil || ps.readyAt.IsZero() {
		return 0, false
	}
	return ps.readyAt.Sub(ps.createdAt), true
}

// SetImageStatusError makes the runtime's ImageStatus call (the kubelet's
// presence check) fail with err until called again with nil. Starts under
// IfNotPresent and Never then fail with ImageInspectError, retried on every
// sync without backoff; Always skips the presence check and is unaffected.
// Typical texts: "rpc error: code = DeadlineExceeded desc = context deadline
// exceeded" (the 2m runtimeRequestTimeout), or `Id or size of image
// "nginx:1.28" is not set`.
func (n *Node) SetImageStatusError(err error) { n.statusErr = err }

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
	entry := cacheEntry(m)
	entry.Names = n.pullNames(ref, m.Digest)
	added, err := n.cache.Add(entry)
	if err == nil {
		n.noteRun(m.Config.Digest, img.Run)
	}
	return added, err
}

// cacheEntry is the cache entry for the image manifest m describes: the
// manifest, its config and its layers.
func cacheEntry(m registry.Manifest) imagecache.Entry {
	blobs := make([]imagecache.Blob, 0, len(m.Layers)+2)
	blobs = append(blobs, imagecache.Blob{Digest: m.Digest, Size: m.Size}, imagecache.Blob{Digest: m.Config.Digest, Size: m.Config.Size})
	for _, l := range m.Layers {
		blobs = append(blobs, imagecache.Blob{Digest: l.Digest, Size: l.Size})
	}
	return imagecache.Entry{ID: m.Config.Digest, Manifest: m.Digest, Blobs: blobs}
}

type podState struct {
	name, namespace, uid string
	meta                 podMeta // carried, not interpreted
	spec                 PodSpec
	init, app            []*containerState
	vols                 *podVolumes // image volumes; nil when the pod has none
	nextSync             time.Time   // when the driver syncs it next; zero when nothing waits
	seq                  int         // creation order on the node
	qidx                 int         // index in the node's syncq while nextSync is set
	attempts             []Attempt
	createdAt, readyAt   time.Time
	syncing              bool     // a sync is in progress, blocked on a pull
	cursor               int      // the container the blocked sync is at
	missingSecrets       []string // pull secrets the last lookup did not find
	pullFailed           bool     // a start failed with ErrImagePull in this sync
	syncAgain            bool     // a container event asks for another sync right after this one
	terminating          bool     // deleted: its containers are being stopped
	deletedAt            time.Time
}

type containerState struct {
	spec *Container           // in the pod's spec
	ref  *pullpolicy.ImageRef // the image, parsed once; nil when it does not parse
	// obj is what the container's events are about. It lives apart from the
	// container state, in one array per pod, so that the events of a
	// deleted pod, kept until they expire, do not keep its state alive.
	obj          *ObjectReference
	init         bool
	sidecar      bool // an init container with restartPolicy Always
	started      bool // ever started
	running      bool
	done         bool                      // init container completed
	final        bool                      // exited and will not be restarted
	restartNow   bool                      // RestartContainer: start again without crash-loop backoff
	gen          int                       // instances ever started, to tell stale exit timers
	term         *ContainerStateTerminated // the exited instance, until a new one starts
	lastTerm     *ContainerStateTerminated // the instance before the current one
	crashKey     string                    // crash-loop backoff key, built on first use
	waiting      ContainerStateWaiting
	startAt      time.Time
	finishAt     time.Time
	restarts     int
	image        string // status image once started
	imageID      string // repo@digest once started
	imageRef     digest.Digest
	prevImageRef digest.Digest // image of the previous, exited instance
	backOffKey   string        // "<pod UID>_<image as written>", built on first use
	// volume marks an image volume's state: spec holds its name, reference
	// and policy, obj is the pod (its events are pod events).
	volume        bool
	attemptPulled bool     // the current start attempt handed a pull to the runtime
	pulling       *pullJob // the pull this container's start waits for, while it runs
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

func podKey(namespace, name string) string {
	if namespace == "" {
		namespace = "default"
	}
	return namespace + "/" + name
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
	if errs := validatePod(&p); len(errs) > 0 {
		return Pod{}, &apiError{ErrInvalid, fmt.Sprintf("Pod %q is invalid: %v", p.Name, aggregate(errs))}
	}
	if err := validateAdmission(p, alwaysPull); err != nil {
		return Pod{}, err
	}
	key := podID(p.Namespace, p.Name)
	if n.pods[key] != nil {
		return Pod{}, &apiError{ErrAlreadyExists, fmt.Sprintf("pods %q already exists", p.Name)}
	}
	n.created++
	now := n.now()
	p.Spec.NodeName = n.name
	ps := &podState{name: p.Name, namespace: p.Namespace, uid: n.newUID(), spec: p.Spec, createdAt: now, seq: n.created,
		meta: podMeta{generateName: p.GenerateName, labels: maps.Clone(p.Labels), annotations: maps.Clone(p.Annotations)}}
	// setDefaults gave the spec fresh copies of everything. The events'
	// object references come in one array: see containerState.obj.
	nvols := 0
	for i := range ps.spec.Volumes {
		if ps.spec.Volumes[i].Image != nil {
			nvols++
		}
	}
	objs := make([]ObjectReference, nvols+len(ps.spec.InitContainers)+len(ps.spec.Containers))
	for i := range ps.spec.Volumes {
		if v := &ps.spec.Volumes[i]; v.Image != nil {
			if ps.vols == nil {
				ps.vols = &podVolumes{}
			}
			ps.vols.list = append(ps.vols.list, n.newImageVolume(ps, v, &objs[0]))
			objs = objs[1:]
		}
	}
	ps.init = make([]*containerState, 0, len(ps.spec.InitContainers))
	for i := range ps.spec.InitContainers {
		ps.init = append(ps.init, n.newContainer(ps, &ps.spec.InitContainers[i], true, &objs[0]))
		objs = objs[1:]
	}
	ps.app = make([]*containerState, 0, len(ps.spec.Containers))
	for i := range ps.spec.Containers {
		ps.app = append(ps.app, n.newContainer(ps, &ps.spec.Containers[i], false, &objs[0]))
		objs = objs[1:]
	}
	n.pods[key] = ps
	n.order = append(n.order, ps)
	n.syncPod(ps, now)
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

// newContainer returns the state of container c of ps; obj is where its
// object reference is to be kept.
func (n *Node) newContainer(ps *podState, c *Container, init bool, obj *ObjectReference) *containerState {
	// convertToAPIContainerStatuses' default for a container with no
	// status yet: PodInitializing in a pod with init containers, for its
	// init and app containers alike.
	reason := ReasonContainerCreating
	if len(ps.spec.InitContainers) > 0 {
		reason = ReasonPodInitializing
	}
	ref, _ := n.cfg.refs.Parse(c.Image)
	*obj = ObjectReference{Kind: "Pod", Namespace: ps.namespace, Name: ps.name, UID: ps.uid, FieldPath: n.fieldPath(c.Name, init)}
	return &containerState{
		spec:    c,
		ref:     ref,
		init:    init,
		sidecar: init && c.RestartPolicy == ContainerRestartPolicyAlways,
		obj:     obj,
		waiting: ContainerStateWaiting{Reason: reason},
	}
}

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
func (n *Node) newImageVolume(ps *podState, v *Volume, obj *ObjectReference) *imageVolume {
	ref, _ := n.cfg.refs.Parse(v.Image.Reference)
	*obj = ObjectReference{Kind: "Pod", Namespace: ps.namespace, Name: ps.name, UID: ps.uid}
	return &imageVolume{state: containerState{
		spec:   &Container{Name: v.Name, Image: v.Image.Reference, ImagePullPolicy: v.Image.PullPolicy},
		ref:    ref,
		obj:    obj,
		volume: true,
	}}
}

// fieldPath returns the event field path of a container, such as
// spec.containers{app}, built once per name and kind on the node.
func (n *Node) fieldPath(name string, init bool) string {
	key := fieldKey{name, init}
	f, ok := n.fieldPaths[key]
	if !ok {
		f = "spec.containers{" + name + "}"
		if init {
			f = "spec.initContainers{" + name + "}"
		}
		n.fieldPaths[key] = f
	}
	return f
}

type fieldKey struct {
	name string
	init bool
}

// newUID returns a UUID-shaped UID made of a hash of the node's name and the
// node's pod sequence number, so runs are reproducible, UIDs differ across
// nodes, and a recreated pod gets a new one.
func (n *Node) newUID() string {
	if n.uidBase == "" {
		n.uidBase = uuidOf(n.name)[:24] // the last group counts pods
	}
	var b [36]byte
	copy(b[:], n.uidBase)
	const digits = "0123456789abcdef"
	for i, v := 35, uint64(n.created); i >= 24; i-- {
		b[i] = digits[v&15]
		v >>= 4
	}
	return string(b[:])
}

// setDefaults fills empty pull policies, of containers and image volumes,
// with the node's defaulting rule, on fresh copies of the spec's lists.
func (n *Node) setDefaults(p *Pod) {
	p.Spec = p.Spec.clone()
	for _, cs := range []*[]Container{&p.Spec.InitContainers, &p.Spec.Containers} {
		for i := range *cs {
			if c := &(*cs)[i]; c.ImagePullPolicy == "" {
				ref, _ := n.cfg.refs.Parse(c.Image)
				c.ImagePullPolicy = n.cfg.defaulting.DefaultFor(ref)
			}
		}
	}
	for _, v := range p.Spec.Volumes {
		if v.Image != nil && v.Image.PullPolicy == "" {
			ref, _ := n.cfg.refs.Parse(v.Image.Reference)
			v.Image.PullPolicy = n.cfg.defaulting.DefaultFor(ref)
		}
	}
}

// clone copies the spec's lists, and what they point to, so that the copy
// shares nothing a caller could change.
func (s PodSpec) clone() PodSpec {
	for _, cs := range []*[]Container{&s.InitContainers, &s.Containers, &s.EphemeralContainers} {
		*cs = slices.Clone(*cs)
		for i := range *cs {
			(*cs)[i].VolumeMounts = slices.Clone((*cs)[i].VolumeMounts)
		}
	}
	s.ImagePullSecrets = slices.Clone(s.ImagePullSecrets)
	s.Volumes = slices.Clone(s.Volumes)
	for i, v := range s.Volumes {
		if v.Image != nil {
			img := *v.Image
			s.Volumes[i].Image = &img
		}
	}
	return s
}

// validatePod returns the API server's field errors for a pod being created.
func validatePod(p *Pod) []string {
	errs := validateObjectMeta(p.Namespace, p.Name)
	if len(p.Spec.Containers) == 0 {
		errs = append(errs, "spec.containers: Required value")
	}
	if len(p.Spec.EphemeralContainers) > 0 {
		errs = append(errs, "spec.ephemeralContainers: Forbidden: cannot be set on create")
	}
	var buf [8]string
	names := buf[:0] // container names so far; pods have few
	check := func(field string, cs []Container) {
		for i := range cs {
			c := &cs[i]
			path := func() string { return "spec." + field + "[" + strconv.Itoa(i) + "]" }
			switch {
			case c.Name == "":
				errs = append(errs, path()+".name: Required value")
			case slices.Contains(names, c.Name):
				errs = append(errs, fmt.Sprintf("%s.name: Duplicate value: %q", path(), c.Name))
			default:
				if bad := isDNS1123Label(c.Name); bad != nil {
					errs = append(errs, invalidValues(path()+".name", c.Name, bad)...)
				}
			}
			names = append(names, c.Name)
			switch {
			case c.Image == "":
				errs = append(errs, path()+".image: Required value")
			case strings.TrimSpace(c.Image) != c.Image:
				errs = append(errs, fmt.Sprintf("%s.image: Invalid value: %q: must not have leading or trailing whitespace", path(), c.Image))
			}
			if _, err := pullpolicy.ParsePullPolicy(string(c.ImagePullPolicy)); err != nil {
				errs = append(errs, path()+".imagePullPolicy: "+err.Error())
			}
		}
	}
	check("initContainers", p.Spec.InitContainers)
	check("containers", p.Spec.Containers)
	errs = append(errs, validateRestartPolicies(&p.Spec)...)
	return append(errs, validateVolumes(&p.Spec)...)
}

// validateVolumes returns the API server's errors for the pod's volumes and
// the containers' mounts of them.
func validateVolumes(s *PodSpec) []string {
	var errs []string
	names := make(map[string]bool, len(s.Volumes))
	for i, v := range s.Volumes {
		path := "spec.volumes[" + strconv.Itoa(i) + "]"
		switch {
		case v.Name == "":
			errs = append(errs, path+".name: Required value")
		case names[v.Name]:
			errs = append(errs, fmt.Sprintf("%s.name: Duplicate value: %q", path, v.Name))
		default:
			errs = append(errs, invalidValues(path+".name", v.Name, isDNS1123Label(v.Name))...)
		}
		names[v.Name] = true
		if v.Image == nil {
			continue
		}
		if v.Image.Reference == "" {
			errs = append(errs, path+".image.reference: Required value")
		}
		if _, err := pullpolicy.ParsePullPolicy(string(v.Image.PullPolicy)); err != nil {
			errs = append(errs, path+".image.pullPolicy: "+err.Error())
		}
	}
	for _, f := range []struct {
		field string
		cs    []Container
	}{{"initContainers", s.InitContainers}, {"containers", s.Containers}} {
		for i, c := range f.cs {
			for j, m := range c.VolumeMounts {
				path := fmt.Sprintf("spec.%s[%d].volumeMounts[%d]", f.field, i, j)
				switch {
				case m.Name == "":
					errs = append(errs, path+".name: Required value")
				case !names[m.Name]:
					errs = append(errs, fmt.Sprintf("%s.name: Not found: %q", path, m.Name))
				}
				if m.MountPath == "" {
					errs = append(errs, path+".mountPath: Required value")
				}
			}
		}
	}
	return errs
}

// DeletePod deletes a pod as the kubelet kills one: each running app
// container gets "Killing" "Stopping container <name>" and exits after its
// image's stop time (registry.Run.StopAfter, at once by default), or is
// killed when terminationGracePeriodSeconds (30 by default) ends; then the
// native sidecars, in reverse order, with what is left of the grace period.
// Until then the pod is Terminating: it keeps its name and its images stay
// in use. Its images stay on the node; its backoff entries stay too, under
// its UID, and are forgotten after 2×max without failures.
func (n *Node) DeletePod(namespace, name string) error {
	n.catchUp()
	key := podID(namespace, name)
	ps := n.pods[key]
	if ps == nil {
		return n.notFound(name)
	}
	if !ps.terminating {
		n.terminate(ps, n.now())
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
	ps := n.pods[podID(namespace, name)]
	if ps == nil {
		return Pod{}, false
	}
	return ps.export(), true
}

// Pods returns every pod on the node, in creation order.
func (n *Node) Pods() []Pod {
	n.catchUp()
	out := make([]Pod, len(n.order))
	for i, ps := range n.order {
		out[i] = ps.export()
	}
	return out
}

func (ps *podState) export() Pod {
	p := Pod{Name: ps.name, Namespace: ps.namespace, UID: ps.uid, Spec: ps.spec.clone(), CreationTimestamp: ps.createdAt,
		GenerateName: ps.meta.generateName, Labels: maps.Clone(ps.meta.labels), Annotations: maps.Clone(ps.meta.annotations)}
	if ps.terminating {
		p.DeletionTimestamp = ps.deletedAt.Add(ps.spec.terminationGrace())
	}
	p.Status.Phase = ps.phase()
	// One array holds the init and the app containers' statuses.
	all := make([]ContainerStatus, len(ps.init)+len(ps.app))
	for i, c := range ps.init {
		all[i] = c.status()
	}
	for i, c := range ps.app {
		all[len(ps.init)+i] = c.status()
	}
	if len(ps.init) > 0 {
		p.Status.InitContainerStatuses = all[:len(ps.init):len(ps.init)]
	}
	if len(ps.app) > 0 {
		p.Status.ContainerStatuses = all[len(ps.init):]
	}
	return p
}

func (c *containerState) status() ContainerStatus {
	s := ContainerStatus{Name: c.spec.Name, Image: c.spec.Image, ImageID: c.imageID, RestartCount: c.restarts}
	if c.started {
		s.ContainerID = c.containerID()
	}
	if c.image != "" {
		s.Image = c.image
	}
	last := c.lastTerm
	switch {
	case c.running:
		s.State.Running = &ContainerStateRunning{StartedAt: c.startAt}
		s.Ready = true
	case c.term != nil && (c.waiting.Reason == "" || c.done || c.final):
		t := *c.term
		t.ContainerID = ""
		s.State.Terminated = &t
		s.Ready = c.done // an init container that exited 0 is ready
	default:
		w := c.waiting
		s.State.Waiting = &w
		if c.term != nil {
			last = c.term // the exited instance waits to be replaced
		}
	}
	if last != nil {
		t := *last
		s.LastState.Terminated = &t
	}
	return s
}

// containerID returns the runtime's ID of the container's current (or
// last) instance.
func (c *containerState) containerID() string {
	return containerID(c.obj.UID, c.spec.Name, c.restarts)
}

// containerID is the runtime's ID of a container instance: a hash of the
// pod's UID, the container's name and its restart count, so it is stable
// for an instance and new for each restart.
func containerID(podUID, name string, restarts int) string {
	var in [128]byte
	b := append(in[:0], podUID...)
	b = append(b, '/')
	b = append(b, name...)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(restarts), 10)
	sum := sha256.Sum256(b)
	const prefix = "containerd://"
	var out [len(prefix) + 2*sha256.Size]byte
	copy(out[:], prefix)
	hex.Encode(out[len(prefix):], sum[:])
	return string(out[:])
}
