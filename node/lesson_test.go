package node_test

import (
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

const week = 7 * 24 * time.Hour

// digestOf returns the manifest digest of a build.
func digestOf(b string) string {
	m, _, _ := registry.Build(build(b))
	return m.Digest.String()
}

// Quiz 1: my-app:1.0, no policy, cached on the node; the pod is deleted and
// recreated. The kubelet does not pull, even after the tag moved; each of
// the three fixes gets the new build.
func TestQuiz1(t *testing.T) {
	const (
		b1 = "my-app 1.0 build 1"
		b2 = "my-app 1.0 build 2"
	)
	pinned := "my-app@" + digestOf(b2)
	w := newWorld(t)
	w.run([]step{
		{action: push("my-app:1.0", b1)},
		{at: time.Minute, action: create("app", "my-app:1.0", ""), policy: "IfNotPresent", runs: b1,
			resolves: 1, blobs: 3, events: []string{pulling("my-app:1.0"), pulled("my-app:1.0", size(b1))}},
		{at: 2 * time.Minute, action: deletePod("app")},
		// Recreated: IfNotPresent finds the image, no registry contact.
		{at: 2 * time.Minute, action: create("app", "my-app:1.0", ""), policy: "IfNotPresent", runs: b1,
			events: []string{present("my-app:1.0")}},
		{at: 3 * time.Minute, action: deletePod("app")},
		// The tag moves at the registry: the node still runs build 1.
		{at: time.Hour, action: push("my-app:1.0", b2)},
		{at: time.Hour, action: create("app", "my-app:1.0", ""), policy: "IfNotPresent", runs: b1,
			events: []string{present("my-app:1.0")}},
		// Fix 1: a digest. Only build 2's own layer and config are
		// downloaded: the base layer is shared with build 1.
		{at: time.Hour, action: create("fix-digest", pinned, ""), policy: "IfNotPresent", runs: b2,
			resolves: 1, blobs: 2, events: []string{pulling(pinned), pulled(pinned, size(b2))}},
		// Fix 2: a new, unique tag. It names build 2, whose content the node
		// now has: one round trip, nothing downloaded.
		{at: time.Hour, action: push("my-app:1.0.1", b2)},
		{at: time.Hour, action: create("fix-tag", "my-app:1.0.1", ""), policy: "IfNotPresent", runs: b2,
			resolves: 1, events: []string{pulling("my-app:1.0.1"), pulled("my-app:1.0.1", size(b2))}},
		// Fix 3: Always. The runtime resolves my-app:1.0 to build 2 and moves
		// the node's tag.
		{at: time.Hour, action: create("fix-always", "my-app:1.0", pullpolicy.PullAlways), policy: "Always", runs: b2,
			resolves: 1, events: []string{pulling("my-app:1.0"), pulled("my-app:1.0", size(b2))}},
		// The Always pull moved the node's my-app:1.0 to build 2, so the
		// original pod, recreated, now finds build 2 "already present".
		{at: 2 * time.Hour, action: deletePod("app")},
		{at: 2 * time.Hour, action: create("app", "my-app:1.0", ""), runs: b2,
			events: []string{present("my-app:1.0")}},
	})
}

// Quiz 2: nginx:latest with an explicit IfNotPresent. A week later the tag
// moves. The node that cached it keeps running the old version; a fresh node
// gets the new one.
func TestQuiz2(t *testing.T) {
	const (
		old = "nginx 1.27.0"
		new = "nginx 1.28.0"
	)
	w := newWorld(t)
	w.run([]step{
		{action: push("nginx:latest", old)},
		{action: create("web-1", "nginx:latest", pullpolicy.PullIfNotPresent), policy: "IfNotPresent", runs: old,
			resolves: 1, blobs: 3, events: []string{pulling("nginx:latest"), pulled("nginx:latest", size(old))}},
		{at: week, action: push("nginx:latest", new)},
		{at: week, action: create("web-2", "nginx:latest", pullpolicy.PullIfNotPresent), runs: old,
			events: []string{present("nginx:latest")}},
		{at: week, node: "node-2", action: create("web-2", "nginx:latest", pullpolicy.PullIfNotPresent), runs: new,
			resolves: 1, blobs: 3, events: []string{pulling("nginx:latest"), pulled("nginx:latest", size(new))}},
	})
}

// Every branch of the lesson's flowchart, with the image on the node or not.
func TestFlowchart(t *testing.T) {
	const b = "nginx 1.28.0"
	for _, tc := range []struct {
		policy  pullpolicy.PullPolicy // explicit policy
		cached  bool                  // image on the node before the pod starts
		reason  string                // wanted waiting reason, "" = running
		resolve int                   // wanted registry resolves
		events  []string              // wanted events
	}{
		{pullpolicy.PullAlways, true, "", 1, []string{pulling("nginx:1.28"), pulled("nginx:1.28", size(b))}},
		{pullpolicy.PullAlways, false, "", 1, []string{pulling("nginx:1.28"), pulled("nginx:1.28", size(b))}},
		{pullpolicy.PullIfNotPresent, true, "", 0, []string{present("nginx:1.28")}},
		{pullpolicy.PullIfNotPresent, false, "", 1, []string{pulling("nginx:1.28"), pulled("nginx:1.28", size(b))}},
		{pullpolicy.PullNever, true, "", 0, []string{present("nginx:1.28")}},
		{pullpolicy.PullNever, false, "ErrImageNeverPull", 0, []string{neverPull("nginx:1.28"), startFailed("ErrImageNeverPull")}},
	} {
		t.Run(string(tc.policy)+map[bool]string{true: "/cached", false: "/absent"}[tc.cached], func(t *testing.T) {
			w := newWorld(t)
			steps := []step{{action: push("nginx:1.28", b)}}
			if tc.cached {
				steps = append(steps, step{action: load("nginx:1.28", b)})
			}
			runs := b
			if tc.reason != "" {
				runs = ""
			}
			steps = append(steps, step{action: create("web", "nginx:1.28", tc.policy), reason: tc.reason, runs: runs,
				resolves: tc.resolve, blobs: map[bool]int{true: 3, false: 0}[tc.resolve == 1 && !tc.cached], events: tc.events})
			w.run(steps)
		})
	}
}

// The default rules: the resolved policy is stored on the pod at creation.
func TestDefaultRulesOnPods(t *testing.T) {
	dgst := digestOf("nginx 1.28.0")
	for _, tc := range []struct {
		image       string // container image
		tagLatest   string // policy under the API server's rule
		digestAware string // policy under KEP-6083's rule
	}{
		{"nginx", "Always", "Always"},
		{"nginx:latest", "Always", "Always"},
		{"my-app:1.0", "IfNotPresent", "IfNotPresent"},
		{"nginx:LATEST", "IfNotPresent", "IfNotPresent"},
		{"nginx@" + dgst, "IfNotPresent", "IfNotPresent"},
		{"nginx:latest@" + dgst, "Always", "IfNotPresent"},
		{"localhost:5000/app", "Always", "Always"},
		{"localhost:5000", "IfNotPresent", "IfNotPresent"},
		{"NGINX", "IfNotPresent", "IfNotPresent"},
	} {
		for _, rule := range []pullpolicy.Defaulting{pullpolicy.TagLatestDefaulting, pullpolicy.DigestAwareDefaulting} {
			n := node.MustNew("node-1", registry.New(), node.WithDefaulting(rule))
			p, err := n.CreatePod(node.Pod{Name: "p", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: tc.image}}}})
			if err != nil {
				t.Fatalf("%s under %v: CreatePod: %v", tc.image, rule, err)
			}
			want := tc.tagLatest
			if rule == pullpolicy.DigestAwareDefaulting {
				want = tc.digestAware
			}
			if got := string(p.Spec.Containers[0].ImagePullPolicy); got != want {
				t.Errorf("%s under %v: resolved policy = %q, want %q", tc.image, rule, got, want)
			}
		}
	}
}

// The lab: pull-policy-pod with nginx:1.28 and Always runs and shows its
// resolved policy; Never on an image the node lacks is ErrImageNeverPull.
func TestLab(t *testing.T) {
	w := newWorld(t)
	w.run([]step{
		{action: push("nginx:1.28", "nginx 1.28.0")},
		{action: create("pull-policy-pod", "nginx:1.28", pullpolicy.PullAlways), policy: "Always", runs: "nginx 1.28.0",
			resolves: 1, blobs: 3, events: []string{pulling("nginx:1.28"), pulled("nginx:1.28", size("nginx 1.28.0"))}},
		{action: create("never-pod", "busybox:1.36", pullpolicy.PullNever), policy: "Never", reason: "ErrImageNeverPull",
			events: []string{neverPull("busybox:1.36"), startFailed("ErrImageNeverPull")}},
		// The kubelet retries on every sync; it stays only while nothing puts
		// the image on the node.
		{at: 15 * time.Second, action: syncPod("never-pod"), reason: "ErrImageNeverPull",
			events: []string{neverPull("busybox:1.36"), startFailed("ErrImageNeverPull")}},
		{at: 20 * time.Second, action: load("busybox:1.36", "busybox 1.36.1")},
		{at: 30 * time.Second, action: syncPod("never-pod"), runs: "busybox 1.36.1",
			events: []string{present("busybox:1.36")}},
	})
	p, _ := w.node("").Pod("default", "never-pod")
	ws := w.node("").PodEvents("default", "never-pod")
	if got, want := len(ws), 7; got != want { // two failed syncs' two events each, Pulled, Created, Started
		t.Errorf("PodEvents(never-pod) has %d events, want %d", got, want)
	}
	if got := p.Status.Phase; got != node.PodRunning {
		t.Errorf("never-pod phase = %s, want Running", got)
	}
}

// Digest + Always: every start contacts the registry, nothing is downloaded
// again, and the content is the same after the tag moves.
func TestDigestAlways(t *testing.T) {
	const b1, b2 = "nginx 1.28.0", "nginx 1.28.1"
	pinned := "nginx@" + digestOf(b1)
	w := newWorld(t)
	w.run([]step{
		{action: push("nginx:1.28", b1)},
		{action: create("web", pinned, pullpolicy.PullAlways), runs: b1, resolves: 1, blobs: 3,
			events: []string{pulling(pinned), pulled(pinned, size(b1))}},
		{at: time.Minute, action: restart("web"), runs: b1, resolves: 1,
			events: []string{pulling(pinned), pulled(pinned, size(b1))}},
		{at: week, action: push("nginx:1.28", b2)},
		{at: week, action: restart("web"), runs: b1, resolves: 1,
			events: []string{pulling(pinned), pulled(pinned, size(b1))}},
		{at: week, node: "node-2", action: create("web", pinned, pullpolicy.PullAlways), runs: b1, resolves: 1, blobs: 3,
			events: []string{pulling(pinned), pulled(pinned, size(b1))}},
	})
	if p, _ := w.node("").Pod("", "web"); p.Status.ContainerStatuses[0].RestartCount != 2 {
		t.Errorf("restart count = %d, want 2", p.Status.ContainerStatuses[0].RestartCount)
	}
}
