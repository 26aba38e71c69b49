// Package node simulates a kubelet and its container runtime on virtual
// time: the pods of one node, the decision to pull at every container start
// (EnsureImage), pulls through a registry into the node's image cache,
// events, container status, image pull backoff, the puller queue, pull
// credentials and KEP-2535, image garbage collection, and kubectl's views.
//
// # Node and its methods
//
// [New] makes a [Node] (one kubelet with its runtime) over a
// [registry.Source], with options ([Option]) for the kubelet's settings. Its main
// methods:
//
//   - pods: [Node.CreatePod], [Node.DeletePod], [Node.Pod], [Node.Pods],
//     [Node.RestartContainer];
//   - time: [Node.Advance], [Node.RunUntil], [Node.Settle], [Node.Sync],
//     [Node.SyncPod] (and [Run] for a fleet on one clock);
//   - the decision: [Node.EnsureImage], [Node.ImageBackOff], [Node.Attempts];
//   - what happened: [Node.Events], [Node.PodEvents], [Node.EventsSince],
//     [Node.Pulls], [Node.Counters], [Node.StartupLatency];
//   - the image store: [Node.LoadImage], [Node.PinImage], [Node.Cache],
//     [Node.StatusImages], [Node.GarbageCollect], [Node.DeleteUnusedImages],
//     [Node.ImageFS];
//   - kubectl: [Node.Describe], [Node.GetPods], [Node.LogContainer].
//
// Package node/kube reads Kubernetes manifests into [Pod] values and
// converts pods, statuses and events to and from the real core/v1 types.
//
// # Time
//
// A node reads time only from its [Clock]; nothing reads the wall clock.
// The default is a [ManualClock] at [Epoch]. Pulls take virtual time (the
// registry's link latency and bandwidth), queue for the puller, and block
// their pod's sync as they block the kubelet's pod worker. The node catches
// up with its clock whenever it is called; [Node.RunUntil], [Node.Advance]
// and [Run] also drive what the kubelet does on its own: re-syncing failing
// pods every 10 seconds, and every 5 minutes detecting images and, unless
// it is disabled, collecting them. Nodes meet only at the registry and the
// cluster, so [Run] advances a fleet on every core when nothing they share
// depends on the order of their requests, with the same result as one
// goroutine in time order. [Node.Settle] lets pulls finish. Virtual time never runs backwards for a
// node (a clock moved back is read as standing still) and ends with year
// 9999. Histories are bounded as a cluster's are: events expire after the
// API server's --event-ttl (1h, [WithEventTTL]); a pod keeps its latest
// [MaxAttempts] start attempts and a node its latest [MaxGCRuns] GC results.
//
// # A container start
//
// CreatePod admits a pod as the API server does (defaulting, the
// ServiceAccount and AlwaysPullImages admission plugins, validation) and
// syncs it. Each start runs [Node.EnsureImage], the kubelet's
// EnsureImageExists, step by step:
//
//  1. the image string is parsed; failure is InvalidImageName;
//  2. IfNotPresent and Never ask the runtime whether the image is present
//     (a failure is ImageInspectError); Always does not ask;
//  3. present: with KEP-2535 on (the default since v1.35) the pod must be
//     allowed to use it: images pulled anonymously or with node credentials
//     are open to every pod, images pulled with a secret need the same
//     credential, side-loaded images are trusted under the default policy;
//  4. absent under Never (or present but not allowed): ErrImageNeverPull;
//  5. otherwise a pull: inside the backoff window ImagePullBackOff, else the
//     runtime resolves the reference at the registry and downloads only the
//     blobs the node lacks; a failure is ErrImagePull (or RegistryUnavailable,
//     SignatureValidationFailed) and opens or doubles the backoff window
//     (10s to 300s, per pod and image). A pull refused by the pull QPS
//     throttle fails the same way but never reaches the runtime.
//
// # Containers over time
//
// What a container does is its image's [registry.Run]: run until stopped
// (the default), exit 0 after a while, or crash with an exit code. A
// started container records "Created" and "Started"; when it exits, the
// pod's restartPolicy (Always, OnFailure, Never) decides whether the
// kubelet starts it again, behind the crash-loop backoff (10s doubling to
// 300s from the exit, reset after 10 minutes of running): inside the window
// the sync records "Warning BackOff" and the container waits in
// CrashLoopBackOff, with no image step. Init containers run one at a time,
// each in its own sync; native sidecars (init containers with
// restartPolicy Always) keep running beside the app containers. A deleted
// pod stops its app containers, then its sidecars in reverse order, with
// "Killing", within terminationGracePeriodSeconds. [Node.ExitContainer]
// ends a container on demand.
//
// # Which kubelet
//
// [WithKubeletVersion] picks the minor (1.34 to 1.37, [DefaultKubeletVersion]
// 1.37) and [WithFeatureGate] sets gates on top; [Node.FeatureGates] lists
// those in force. v1.34 has KEP-2535 off and older texts for the lifecycle
// events and the GC failure; until v1.36 the preloaded-images allowlist
// compares entries with the image including its tag.
//
// # The runtime's words
//
// The kubelet shows the runtime's error text as it is and classifies it by
// prefix alone, so the runtime decides the waiting reason.
// [WithContainerRuntime] picks it: [Containerd] (the default) reports every
// registry failure, an unreachable registry included, as a plain error, so
// the reason is ErrImagePull; [CRIO] prefixes a refused connection with
// RegistryUnavailable and a refused signature with
// SignatureValidationFailed. A registry.FaultMessage fault replays any text
// a production node showed, byte for byte. See [ContainerRuntime] for the
// table of faults and reasons.
//
// Every outcome records the kubelet's events, byte for byte, and failed
// starts also "Failed" "Error: <reason>".
//
// Image volumes (PodSpec.Volumes with an image source) go through the same
// steps once per sync, before the first container the sync starts, with
// the pod as the object of their events. A container that mounts a volume
// whose pull failed fails with the volume's reason and message.
//
// # Where to look
//
// [Node.Pod] and [Node.Pods] give status; [Node.Events], [Node.PodEvents]
// and [Node.EventsSince] the events; [Node.Attempts] the start attempts of a
// pod; [Node.Pulls] every runtime pull with its timing and bytes;
// [Node.Describe] and [Node.GetPods] print what kubectl prints, and
// [Node.LogContainer] answers `kubectl logs` as the kubelet does: which
// instance's logs, or why there are none ("is waiting to start: image
// can't be pulled"). [Node.WriteMetrics] writes the kubelet's image
// metrics as its /metrics endpoint serves them.
//
// # Inside a Node
//
// A Node is built as the kubelet is, from one type per component, each in a
// file named for the kubelet code it models; Node composes them and routes
// calls between them:
//
//   - podWorkers (pod_workers.go, containers.go): the pod workers and the
//     sync loop, pkg/kubelet/pod_workers.go and syncPod; the containers'
//     lifecycles and the crash-loop backoff;
//   - imageManager (image_manager.go): EnsureImageExists and the image pull
//     backoff, pkg/kubelet/images/image_manager.go;
//   - pullManager (pull_manager.go): KEP-2535's pull intents and pulled
//     records, pkg/kubelet/images/pullmanager;
//   - credentials (credentials.go, keyring.go): pull secrets, the node's
//     docker config and credential providers, pkg/credentialprovider;
//   - puller (puller.go): the serial and parallel pullers and the QPS
//     throttle, pkg/kubelet/images/puller.go and helpers.go;
//   - imageService (runtime.go, runtime_errors.go): the container runtime's
//     CRI image service, containerd's or CRI-O's, with its content store;
//   - imageGCManager (image_gc_manager.go): image detection and garbage
//     collection, pkg/kubelet/images/image_gc_manager.go;
//   - recorder (events.go): the event recorder, with the API server's event
//     TTL;
//   - apiserver.go and cluster.go: the API server's side: defaulting,
//     validation, admission, secrets and service accounts.
package node
