package node_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// world is one scenario: a registry, nodes sharing it and one clock.
type world struct {
	t      *testing.T
	reg    *registry.Registry
	clock  *node.ManualClock
	nodes  map[string]*node.Node
	opts   []node.Option
	builds map[digest.Digest]string // manifest digest -> build name
}

func newWorld(t *testing.T, opts ...node.Option) *world {
	t.Helper()
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink) // these scenarios test decisions; timing has its own tests
	return &world{t: t, reg: reg, clock: node.NewManualClock(node.Epoch), nodes: map[string]*node.Node{}, opts: opts, builds: map[digest.Digest]string{}}
}

// node returns the node of that name, creating it on first use.
func (w *world) node(name string) *node.Node {
	if name == "" {
		name = "node-1"
	}
	if n := w.nodes[name]; n != nil {
		return n
	}
	n := node.MustNew(name, w.reg, append([]node.Option{node.WithClock(w.clock)}, w.opts...)...)
	w.nodes[name] = n
	return n
}

// build is the content of a named build: a base layer every build shares
// and a layer of its own.
func build(name string) registry.Image {
	return registry.Image{Config: name, Layers: []registry.Layer{
		{Content: "debian:bookworm rootfs", Size: 30 << 20},
		{Content: name + " binaries", Size: 5 << 20},
	}}
}

// action is one thing that happens in a scenario.
type action struct {
	desc string
	pod  string // the pod the step's checks look at
	run  func(w *world, n *node.Node) error
}

func (a action) String() string { return a.desc }

func push(ref, b string) action {
	return action{desc: fmt.Sprintf("push %s=%s", ref, b), run: func(w *world, _ *node.Node) error {
		d, err := w.reg.Push(ref, build(b))
		w.builds[d] = b
		return err
	}}
}

func load(ref, b string) action {
	return action{desc: fmt.Sprintf("load %s=%s", ref, b), run: func(w *world, n *node.Node) error {
		m, _, _ := registry.Build(build(b))
		w.builds[m.Digest] = b
		_, err := n.LoadImage(ref, build(b))
		return err
	}}
}

func create(pod, image string, policy pullpolicy.PullPolicy) action {
	return action{desc: fmt.Sprintf("create %s image=%s policy=%q", pod, image, policy), pod: pod, run: func(w *world, n *node.Node) error {
		_, err := n.CreatePod(node.Pod{Name: pod, Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: image, ImagePullPolicy: policy}}}})
		return err
	}}
}

func createPod(p node.Pod) action {
	return action{desc: "create " + p.Name, pod: p.Name, run: func(w *world, n *node.Node) error {
		_, err := n.CreatePod(p)
		return err
	}}
}

func deletePod(pod string) action {
	return action{desc: "delete " + pod, run: func(w *world, n *node.Node) error { return n.DeletePod("", pod) }}
}

func restart(pod string) action {
	return action{desc: "restart " + pod, pod: pod, run: func(w *world, n *node.Node) error { return n.RestartContainer("", pod, "app") }}
}

func syncPod(pod string) action {
	return action{desc: "sync " + pod, pod: pod, run: func(w *world, n *node.Node) error { return n.SyncPod("", pod) }}
}

func do(desc string, f func(w *world, n *node.Node) error) action {
	return action{desc: desc, run: f}
}

// step is one row of a scenario table.
type step struct {
	at     time.Duration // virtual time since node.Epoch when the step runs
	node   string        // node the action runs on; "" is node-1
	action action        // what happens
	err    string        // wanted error text of the action; "" for none

	// Checks on container "app" of action.pod, skipped when the action names no pod.
	reason string // wanted waiting reason; "" means running
	runs   string // wanted build the container runs; "" skips the check
	policy string // wanted resolved pull policy; "" skips the check

	resolves int      // wanted registry resolves during the step
	blobs    int      // wanted blob downloads during the step
	events   []string // wanted events during the step, "Type Reason Message"; nil means none
	// lifecycle makes events include the container lifecycle events
	// (Created, Started, Killing, the crash loop's BackOff); without it
	// they are left out, and the step checks the image decisions alone.
	lifecycle bool
}

// isLifecycle reports whether e is a container lifecycle event.
func isLifecycle(e node.Event) bool {
	switch e.Reason {
	case node.EventCreated, node.EventStarted, node.EventKilling:
		return true
	}
	return e.Reason == node.EventBackOff && e.Type == pullpolicy.EventTypeWarning
}

// run plays steps in order, checking each.
func (w *world) run(steps []step) {
	w.t.Helper()
	for i, s := range steps {
		if at := node.Epoch.Add(s.at); !w.clock.Set(at) && !w.clock.Now().Equal(at) {
			w.t.Fatalf("step %d (%v): at %v, but the clock is already at %v", i, s.action, s.at, w.clock.Now().Sub(node.Epoch))
		}
		n := w.node(s.node)
		before, evBefore := w.reg.Counters(), n.EventCount()
		err := s.action.run(w, n)
		switch {
		case err == nil && s.err != "":
			w.t.Errorf("step %d (%v): error = nil, want %q", i, s.action, s.err)
		case err != nil && err.Error() != s.err:
			w.t.Errorf("step %d (%v): error = %q, want %q", i, s.action, err, s.err)
		}
		after := w.reg.Counters()
		if got := after.Resolves - before.Resolves; got != s.resolves {
			w.t.Errorf("step %d (%v): registry resolves = %d, want %d", i, s.action, got, s.resolves)
		}
		if got := after.Blobs - before.Blobs; got != s.blobs {
			w.t.Errorf("step %d (%v): blob fetches = %d, want %d", i, s.action, got, s.blobs)
		}
		var got []string
		for _, e := range n.EventsSince(evBefore) {
			if s.lifecycle || !isLifecycle(e) {
				got = append(got, e.String())
			}
		}
		if !slices.Equal(got, s.events) {
			w.t.Errorf("step %d (%v): events =\n\t%s\nwant\n\t%s", i, s.action, strings.Join(got, "\n\t"), strings.Join(s.events, "\n\t"))
		}
		if s.action.pod == "" || s.err != "" {
			continue
		}
		p, ok := n.Pod("", s.action.pod)
		if !ok {
			w.t.Errorf("step %d (%v): pod %s not found", i, s.action, s.action.pod)
			continue
		}
		var cs node.ContainerStatus
		for _, c := range p.Status.ContainerStatuses {
			if c.Name == "app" {
				cs = c
			}
		}
		gotReason := ""
		if cs.State.Waiting != nil {
			gotReason = cs.State.Waiting.Reason
		}
		if gotReason != s.reason {
			w.t.Errorf("step %d (%v): waiting reason = %q, want %q", i, s.action, gotReason, s.reason)
		}
		if s.runs != "" {
			_, dgst, _ := strings.Cut(cs.ImageID, "@")
			if got := w.builds[digest.Digest(dgst)]; got != s.runs {
				w.t.Errorf("step %d (%v): runs build %q (image ID %q), want %q", i, s.action, got, cs.ImageID, s.runs)
			}
		}
		if s.policy != "" {
			for _, c := range p.Spec.Containers {
				if c.Name == "app" && string(c.ImagePullPolicy) != s.policy {
					w.t.Errorf("step %d (%v): resolved policy = %q, want %q", i, s.action, c.ImagePullPolicy, s.policy)
				}
			}
		}
	}
}

// Event texts used across scenarios.
func pulling(img string) string { return "Normal Pulling Pulling image " + fmt.Sprintf("%q", img) }
func present(img string) string {
	return fmt.Sprintf("Normal Pulled Container image %q already present on machine and can be accessed by the pod", img)
}
func pulled(img string, size int64) string {
	return fmt.Sprintf("Normal Pulled Successfully pulled image %q in 0s (0s including waiting). Image size: %d bytes.", img, size)
}
func neverPull(img string) string {
	return fmt.Sprintf("Warning ErrImageNeverPull Container image %q is not present with pull policy of Never", img)
}
func failedPull(img, text string) string {
	return fmt.Sprintf("Warning Failed Failed to pull image %q: %s", img, text)
}
func startFailed(reason string) string { return "Warning Failed Error: " + reason }

// The container lifecycle events of a start (kuberuntime_container.go, v1.37).
const (
	created = "Normal Created Container created"
	started = "Normal Started Container started"
)

func killing(c string) string { return "Normal Killing Stopping container " + c }

// size returns the image size the runtime reports for a build.
func size(b string) int64 {
	m, _, _ := registry.Build(build(b))
	return m.ImageSize()
}

func digestOfData(b []byte) string { return digest.FromBytes(b).String() }

// mustBlobData returns the data of the blob dgst of img.
func mustBlobData(t *testing.T, img registry.Image, dgst string) []byte {
	t.Helper()
	_, blobs, err := registry.Build(img)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blobs {
		if b.Digest.String() == dgst {
			return b.Data
		}
	}
	t.Fatalf("no blob %s", dgst)
	return nil
}
