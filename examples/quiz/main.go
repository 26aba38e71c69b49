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

// start creates a pod and reports what the node did.
func (s *scene) start(n *node.Node, pod, image string, policy pullpolicy.PullPolicy) (string, error) {
	before, events := s.reg.Counters(), n.EventCount()
	if _, err := n.CreatePod(node.Pod{Name: pod, Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: image, ImagePullPolicy: policy}}}}); err != nil {
		return "", err
	}
	// Let any pull finish: virtual time moves to its end.
	if _, err := n.Settle(); err != nil {
		return "", err
	}
	p, _ := n.Pod("default", pod)
	c, st := p.Spec.Containers[0], p.Status.ContainerStatuses[0]
	set := "set"
	if policy == "" {
		set = "defaulted"
	}
	fmt.Fprintf(s.w, "  %s on %s: image %s, imagePullPolicy %s (%s)\n", pod, n.Name(), image, c.ImagePullPolicy, set)
	for _, e := range n.EventsSince(events) {
		fmt.Fprintf(s.w, "    %-7s  %-7s  %s\n", e.Type, e.Reason, e.Message)
	}
	d := s.reg.Counters()
	fmt.Fprintf(s.w, "    registry requests: %d, layers and configs downloaded: %d\n", d.Requests()-before.Requests(), d.Blobs-before.Blobs)
	if st.State.Waiting != nil {
		fmt.Fprintf(s.w, "    => waiting: %s\n", st.State.Waiting.Reason)
		return "", nil
	}
	_, dgst, _ := strings.Cut(st.ImageID, "@")
	fmt.Fprintf(s.w, "    => running %q\n", s.builds[dgst])
	return s.builds[dgst], nil
}

func short(d string) string { return d[:len("sha256:")+12] }

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
	if _, err := s.start(n, "my-app", "my-app:1.0", ""); err != nil {
		return err
	}
	fmt.Fprintln(w, "  Someone rebuilds my-app and pushes it under the same tag.")
	s.push("my-app:1.0", "my-app 1.0 build 2")
	if err := n.DeletePod("default", "my-app"); err != nil {
		return err
	}
	s.clock.Step(time.Hour)
	if _, err := s.start(n, "my-app", "my-app:1.0", ""); err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "  Answer: no. A non-latest tag defaults to IfNotPresent, the node has the image, so the")
	fmt.Fprintln(w, "  kubelet uses it, even after the tag moved. Three ways to get build 2:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "  1. A digest, which cannot move:")
	pinned := "my-app@" + mustLookup(s.reg, "my-app:1.0")
	if _, err := s.start(n, "fix-digest", pinned, ""); err != nil {
		return err
	}
	fmt.Fprintln(w, "  2. A new, unique tag:")
	s.push("my-app:1.0.1", "my-app 1.0 build 2")
	if _, err := s.start(n, "fix-tag", "my-app:1.0.1", ""); err != nil {
		return err
	}
	fmt.Fprintln(w, "  3. imagePullPolicy: Always:")
	if _, err := s.start(n, "fix-always", "my-app:1.0", pullpolicy.PullAlways); err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "  Beyond the lesson: Always still downloads only what the node lacks (here nothing), and")
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
	fmt.Fprintf(w, "  Answer: the old cached version, %q, on the node that had it; a fresh node runs %q.\n", same, fresh)
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
