// Command quiz plays the two quizzes of the image pull policy lesson on a
// simulated node and prints what the kubelet does, step by step.
//
//	go run ./examples/quiz
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quiz:", err)
		os.Exit(1)
	}
}

// build is a build of an application: a base layer all builds share and a
// layer of its own.
func build(name string) registry.Image {
	return registry.Image{Config: name, Layers: []registry.Layer{
		{Content: "debian:bookworm rootfs", Size: 30 << 20},
		{Content: name, Size: 8 << 20},
	}}
}

// scene is one simulated cluster: a registry, nodes and a clock.
type scene struct {
	w      io.Writer
	reg    *registry.Registry
	clock  *node.ManualClock
	builds map[string]string // manifest digest -> build name
}

func newScene(w io.Writer) *scene {
	return &scene{w: w, reg: registry.New(), clock: node.NewManualClock(node.Epoch), builds: map[string]string{}}
}

func (s *scene) node(name string) *node.Node {
	return node.MustNew(name, s.reg, node.WithClock(s.clock))
}

func (s *scene) push(ref, b string) {
	d := s.reg.MustPush(ref, build(b))
	s.builds[d.String()] = b
	fmt.Fprintf(s.w, "  registry: %s now points at %q (%s)\n", ref, b, short(d.String()))
}

// result is what one pod start did, as the simulation reports it.
type result struct {
	policy   pullpolicy.PullPolicy // the policy the pod was admitted with
	pulled   bool                  // the kubelet asked the runtime to pull
	requests int                   // registry requests the start made
	blobs    int                   // layers and configs downloaded
	digest   string                // manifest digest of the image the container runs
	build    string                // the build behind digest
	waiting  string                // the waiting reason, when the container did not start
}

// start creates a pod and reports what the node did.
func (s *scene) start(n *node.Node, pod, image string, policy pullpolicy.PullPolicy) (result, error) {
	before, events, pulls := s.reg.Counters(), n.EventCount(), len(n.Pulls())
	if _, err := n.CreatePod(node.Pod{Name: pod, Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: image, ImagePullPolicy: policy}}}}); err != nil {
		return result{}, err
	}
	// Let any pull finish: virtual time moves to its end.
	if _, err := n.Settle(); err != nil {
		return result{}, err
	}
	p, _ := n.Pod("default", pod)
	c, st := p.Spec.Containers[0], p.Status.ContainerStatuses[0]
	after := s.reg.Counters()
	r := result{
		policy:   c.ImagePullPolicy,
		pulled:   len(n.Pulls()) > pulls,
		requests: after.Requests() - before.Requests(),
		blobs:    after.Blobs - before.Blobs,
	}
	set := "set"
	if policy == "" {
		set = "defaulted"
	}
	fmt.Fprintf(s.w, "  %s on %s: image %s, imagePullPolicy %s (%s)\n", pod, n.Name(), image, r.policy, set)
	for _, e := range n.EventsSince(events) {
		fmt.Fprintf(s.w, "    %-7s  %-7s  %s\n", e.Type, e.Reason, e.Message)
	}
	fmt.Fprintf(s.w, "    registry requests: %d, layers and configs downloaded: %d\n", r.requests, r.blobs)
	if st.State.Waiting != nil {
		r.waiting = st.State.Waiting.Reason
		fmt.Fprintf(s.w, "    => waiting: %s\n", r.waiting)
		return r, nil
	}
	_, r.digest, _ = strings.Cut(st.ImageID, "@")
	r.build = s.builds[r.digest]
	fmt.Fprintf(s.w, "    => running %q\n", r.build)
	return r, nil
}

func short(d string) string { return d[:len("sha256:")+12] }

// shortOrNone is short for a digest that may be missing: a container that
// did not start runs no image.
func shortOrNone(d string) string {
	if d == "" {
		return "no image"
	}
	return short(d)
}

func run(w io.Writer) error {
	if err := quiz1(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return quiz2(w)
}

func quiz1(w io.Writer) error {
	s := newScene(w)
	fmt.Fprintln(w, "Quiz 1. A Pod uses image: my-app:1.0 with no imagePullPolicy. The image is cached")
	fmt.Fprintln(w, "on the node. You delete the Pod and it is recreated. Will Kubernetes pull a fresh image?")
	fmt.Fprintln(w)
	n := s.node("node-1")
	s.push("my-app:1.0", "my-app 1.0 build 1")
	if _, err := s.start(n, "my-app", "my-app:1.0", ""); err != nil {
		return err
	}
	fmt.Fprintln(w, "  kubectl delete pod my-app; the Pod is recreated")
	if err := n.DeletePod("default", "my-app"); err != nil {
		return err
	}
	s.clock.Step(time.Minute)
	recreated, err := s.start(n, "my-app", "my-app:1.0", "")
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "  Someone rebuilds my-app and pushes it under the same tag.")
	s.push("my-app:1.0", "my-app 1.0 build 2")
	if err := n.DeletePod("default", "my-app"); err != nil {
		return err
	}
	s.clock.Step(time.Hour)
	moved, err := s.start(n, "my-app", "my-app:1.0", "")
	if err != nil {
		return err
	}
	tip := mustLookup(s.reg, "my-app:1.0")

	// The verdict and the facts it quotes come from the two recreated pods.
	verdict, how := "no", "without a pull"
	if recreated.pulled || moved.pulled {
		verdict, how = "yes", "with a pull"
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  Answer: %s. With no imagePullPolicy, my-app:1.0 was defaulted to %s, and both\n", verdict, moved.policy)
	fmt.Fprintf(w, "  recreated Pods started %s (%d registry requests). After the tag moved, the\n", how, recreated.requests+moved.requests)
	fmt.Fprintf(w, "  node runs %q (%s), while the registry's my-app:1.0\n", moved.build, shortOrNone(moved.digest))
	fmt.Fprintf(w, "  is %q (%s).", s.builds[tip], short(tip))
	if moved.digest != tip {
		fmt.Fprintln(w, " A non-latest tag defaults to")
		fmt.Fprintln(w, "  IfNotPresent; the node has the image, so the kubelet uses it, even after the tag")
		fmt.Fprintf(w, "  moved. Three ways to get %q:\n", s.builds[tip])
	} else {
		fmt.Fprintln(w, " The node runs the registry's build;")
		fmt.Fprintln(w, "  the three usual fixes, for comparison:")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "  1. A digest, which cannot move:")
	if _, err := s.start(n, "fix-digest", "my-app@"+tip, ""); err != nil {
		return err
	}
	fmt.Fprintln(w, "  2. A new, unique tag:")
	s.push("my-app:1.0.1", s.builds[tip])
	if _, err := s.start(n, "fix-tag", "my-app:1.0.1", ""); err != nil {
		return err
	}
	fmt.Fprintln(w, "  3. imagePullPolicy: Always:")
	always, err := s.start(n, "fix-always", "my-app:1.0", pullpolicy.PullAlways)
	if err != nil {
		return err
	}
	downloaded := "nothing"
	if always.blobs > 0 {
		downloaded = fmt.Sprintf("%d blobs", always.blobs)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  Beyond the lesson: Always still downloads only what the node lacks (here %s), and\n", downloaded)
	fmt.Fprintln(w, "  on Kubernetes v1.35+ the \"already present\" event adds \"and can be accessed by the pod\":")
	fmt.Fprintln(w, "  the kubelet checked the pod may use an image another pod pulled (KEP-2535).")
	return nil
}

func quiz2(w io.Writer) error {
	s := newScene(w)
	fmt.Fprintln(w, "Quiz 2. imagePullPolicy: IfNotPresent with image: nginx:latest. The first Pod caches it.")
	fmt.Fprintln(w, "A week later the latest tag moves, and a new Pod lands on the same node. Which nginx runs?")
	fmt.Fprintln(w)
	n1 := s.node("node-1")
	s.push("nginx:latest", "nginx 1.27.0")
	if _, err := s.start(n1, "web-1", "nginx:latest", pullpolicy.PullIfNotPresent); err != nil {
		return err
	}
	s.clock.Step(7 * 24 * time.Hour)
	fmt.Fprintln(w, "  A week later:")
	s.push("nginx:latest", "nginx 1.28.0")
	same, err := s.start(n1, "web-2", "nginx:latest", pullpolicy.PullIfNotPresent)
	if err != nil {
		return err
	}
	fresh, err := s.start(s.node("node-2"), "web-3", "nginx:latest", pullpolicy.PullIfNotPresent)
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  Answer: the old cached version, %q, on the node that had it; a fresh node runs %q.\n", same.build, fresh.build)
	fmt.Fprintln(w, "  latest with IfNotPresent is a trap: each node runs whatever it pulled first. Left to")
	fmt.Fprintln(w, "  the default, nginx:latest would have been Always.")
	return nil
}

func mustLookup(reg *registry.Registry, ref string) string {
	d, err := reg.Lookup(ref)
	if err != nil {
		panic(err)
	}
	return d.String()
}
