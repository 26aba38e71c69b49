package node_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/registry"
)

func TestStatusViews(t *testing.T) {
	const id = "docker.io/library/nginx@sha256:0000000000000000000000000000000000000000000000000000000000000001"
	for i, tc := range []struct {
		status  *node.ContainerStatus // nil: no such container
		reason  string
		message string
		running bool
		waiting bool
		digest  digest.Digest
	}{
		{status: nil},
		{status: &node.ContainerStatus{}}, // no state at all
		{status: &node.ContainerStatus{State: node.ContainerState{Waiting: &node.ContainerStateWaiting{Reason: "ErrImageNeverPull", Message: "not present"}}},
			reason: "ErrImageNeverPull", message: "not present", waiting: true},
		{status: &node.ContainerStatus{ImageID: id, State: node.ContainerState{Running: &node.ContainerStateRunning{}}},
			running: true, digest: "sha256:0000000000000000000000000000000000000000000000000000000000000001"},
		{status: &node.ContainerStatus{ImageID: id, State: node.ContainerState{Terminated: &node.ContainerStateTerminated{Reason: "Completed"}}},
			reason: "Completed", digest: "sha256:0000000000000000000000000000000000000000000000000000000000000001"},
		{status: &node.ContainerStatus{ImageID: "sha256:abc", State: node.ContainerState{Running: &node.ContainerStateRunning{}}},
			running: true}, // not a repo@digest name
	} {
		s := tc.status
		if got := s.Reason(); got != tc.reason {
			t.Errorf("step %d: Reason() = %q, want %q", i, got, tc.reason)
		}
		if got := s.Message(); got != tc.message {
			t.Errorf("step %d: Message() = %q, want %q", i, got, tc.message)
		}
		if got := s.Running(); got != tc.running {
			t.Errorf("step %d: Running() = %v, want %v", i, got, tc.running)
		}
		if got := s.Waiting(); got != tc.waiting {
			t.Errorf("step %d: Waiting() = %v, want %v", i, got, tc.waiting)
		}
		if got := s.Digest(); got != tc.digest {
			t.Errorf("step %d: Digest() = %q, want %q", i, got, tc.digest)
		}
	}
}

func TestPodContainerStatus(t *testing.T) {
	reg := registry.New()
	reg.MustPush("app:1", registry.Image{Config: "app 1"})
	reg.MustPush("init:1", registry.Image{Config: "init 1"})
	n := node.MustNew("node-1", reg)
	n.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{
		InitContainers: []node.Container{{Name: "init", Image: "init:1"}},
		Containers:     []node.Container{{Name: "app", Image: "app:1"}},
	}})
	assert.NoError(t, n.Advance(time.Minute))
	p, _ := n.Pod("default", "p")
	assert.Equal(t, "Completed", p.ContainerStatus("init").Reason())
	assert.True(t, p.ContainerStatus("app").Running())
	img, ok := reg.Pushed(p.ContainerStatus("app").Digest())
	assert.True(t, ok)
	assert.Equal(t, "app 1", img.Config)
	assert.Nil(t, p.ContainerStatus("nope"))
	assert.Equal(t, "", p.ContainerStatus("nope").Reason())
}

// A container's status read without caring which state it is in: a
// running container has no waiting reason, and Reason says so instead of
// panicking.
func ExamplePod_ContainerStatus() {
	reg := registry.New()
	reg.MustPush("my-app:1.0", registry.Image{Config: "my-app build 7"})
	n := node.MustNew("node-1", reg)
	n.MustCreatePod(node.Pod{Name: "web", Spec: node.PodSpec{Containers: []node.Container{
		{Name: "app", Image: "my-app:1.0"},
		{Name: "sidecar", Image: "busybox:1.36", ImagePullPolicy: "Never"},
	}}})
	n.Advance(time.Minute)

	p, _ := n.Pod("default", "web")
	for _, name := range []string{"app", "sidecar", "missing"} {
		cs := p.ContainerStatus(name)
		build := "-"
		if img, ok := reg.Pushed(cs.Digest()); ok {
			build = img.Config
		}
		fmt.Printf("%-8s running=%-5v reason=%-18q build=%s\n", name, cs.Running(), cs.Reason(), build)
	}
	// Output:
	// app      running=true  reason=""                 build=my-app build 7
	// sidecar  running=false reason="ErrImageNeverPull" build=-
	// missing  running=false reason=""                 build=-
}
