// Package pullsim simulates the kubelet's decision to pull a container
// image, and everything that decision depends on: a node's image store,
// registries whose tags move, backoff and virtual time. It answers "why is my
// update not showing up?" the way a real node would, byte for byte in its
// reasons, events and messages (Kubernetes v1.36/v1.37 with containerd).
//
// This package runs scenario files and holds this overview; the simulator
// lives in five packages, each importing only those above it:
//
//	pullpolicy   the vocabulary and the pure decision: policies, defaulting,
//	             image references, reasons, the flowchart
//	imagecache   one node's image store: images by ID, found by any name
//	registry     registries as nodes see them: hosts, repositories, moving
//	             tags, private repositories, links, faults, request counters
//	node         the kubelet: pods, EnsureImage, events, status, backoff,
//	             the puller, pull secrets and KEP-2535, image GC, kubectl views
//	node/kube    Kubernetes objects: manifests of every workload kind read
//	             with k8s.io/api's types, corev1 pods, statuses, events in and
//	             out, kubectl get -o yaml
//
// The command cmd/pullsim runs scenario files, explains one manifest and
// validates files.
//
// # The model
//
// A pod's container names an image as written ("nginx", "my-app:1.0",
// "nginx@sha256:…") and an imagePullPolicy. When the pod is created, an empty
// policy is defaulted as the API server does, and the result is stored on the
// pod; it is never re-derived when the image changes later:
//
//	image                          defaulted imagePullPolicy
//	nginx, nginx:latest            Always        (no tag counts as latest)
//	nginx:1.28, my-app:1.0         IfNotPresent
//	nginx:LATEST                   IfNotPresent  (the comparison is case-sensitive)
//	nginx@sha256:…                 IfNotPresent
//	nginx:latest@sha256:…          Always        (the code looks only at the tag)
//	NGINX (does not parse)         IfNotPresent  (the parse error is ignored)
//
// The kubernetes.io docs say any digest means IfNotPresent; that is KEP-6083's
// proposal, not today's code. pullpolicy.DigestAwareDefaulting offers it so the
// two can be compared; node.WithDefaulting selects it.
//
// On every container start, including every restart, the kubelet runs
// EnsureImageExists:
//
//	policy         image on node?   the kubelet                  events
//	Always         not asked        pulls                        Pulling, Pulled
//	IfNotPresent   yes              uses it                      Pulled "already present"
//	IfNotPresent   no               pulls                        Pulling, Pulled
//	Never          yes              uses it                      Pulled "already present"
//	Never          no               fails: ErrImageNeverPull     ErrImageNeverPull, Failed
//
// "Pulls" means the runtime resolves the name at the registry (one round
// trip) and downloads only the blobs the node lacks: Always on an image the
// node already has costs a request, not a download. A pulled tag that now
// names other content moves on the node; the old image stays under its
// digest name.
//
// Where the lesson simplifies, pullsim follows the kubelet:
//
//   - ErrImageNeverPull is not final: the kubelet retries on every sync, so a
//     pod starts as soon as its image appears on the node.
//   - Since v1.35 a present image must also be usable by the pod (KEP-2535,
//     gate KubeletEnsureSecretPulledImages): the event reads "already present
//     on machine and can be accessed by the pod", and a pod that spells an
//     image differently from the pod that pulled it pulls again (cheaply).
//   - A failed pull is ErrImagePull once, then ImagePullBackOff while the
//     backoff window (10s doubling to 300s, per pod and image) lasts.
//   - Always fails the start when the registry cannot be reached, even with
//     the image on the node.
//
// # Where to start
//
// Create a registry, push builds, create a node and pods, let time pass:
//
//	reg := registry.New()
//	reg.MustPush("my-app:1.0", registry.Image{Config: "build 1"})
//	n := node.MustNew("node-1", reg)
//	n.MustCreatePod(node.Pod{Name: "app", Spec: node.PodSpec{
//		Containers: []node.Container{{Name: "app", Image: "my-app:1.0"}},
//	}})
//	n.Advance(time.Minute) // the pull takes virtual time; failing pods are retried
//	n.Describe(os.Stdout, "default", "app")
//
// Time is virtual: a node reads a node.Clock the caller advances, and never
// sleeps. Pulls cost what the registry's link says (50 ms a request and
// 50 MB/s by default), queue for the kubelet's puller and pass its pull QPS
// throttle. The same input gives the same output on every run.
//
// The examples directory has a program per lesson section; go run
// ./examples/quiz plays the lesson's quizzes.
//
// # Scenarios as files
//
// A scenario states a situation as data, in a Kubernetes-style file
// (apiVersion pullsim.dev/v1alpha1, kind Scenario): builds, registries with
// their images, links and private repositories, secrets and service
// accounts, nodes with kubelet settings spelled as KubeletConfiguration
// spells them, and steps at virtual times (push or move a tag, apply
// manifests, delete a pod, side-load, switch faults on and off, restart the
// kubelet, run GC, let time pass), each with what is expected: a pod's phase,
// a container's waiting reason and message, the build or digest it runs,
// events, and the pulls, registry requests and bytes the step caused.
//
//	s, err := pullsim.Load("testdata/scenarios/quiz2.yaml") // strict: file, line and field on error
//	r, err := s.Run(pullsim.WithTranscript(os.Stdout))    // kubectl get/describe, step by step
//	r.Passed(); r.Failures(); r.WriteTimeline(svg)
//
// In a Go test, pullsim.RunFile(t, path) reports each failed expectation with
// its line, step, expected and actual value. Recorder answers "what did this
// call cause?" for code that drives nodes itself, and Explain answers the
// lesson's question for one manifest. testdata/scenarios holds the lesson's
// quizzes and lab as scenario files.
package pullsim
