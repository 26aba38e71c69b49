package node_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

func appPod(name, image string, policy pullpolicy.PullPolicy) node.Pod {
	return node.Pod{Name: name, Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: image, ImagePullPolicy: policy}}}}
}

func printEvents(evs []node.Event) {
	for _, e := range evs {
		fmt.Println(e)
	}
}

// A cached image under IfNotPresent: the recreated pod does not pull, even
// though the tag moved at the registry (the lesson's first quiz).
func ExampleNode_CreatePod_ifNotPresent() {
	reg := registry.New()
	reg.MustPush("my-app:1.0", registry.Image{Config: "build 1"})
	n := node.MustNew("node-1", reg)

	n.MustCreatePod(appPod("app", "my-app:1.0", ""))
	n.Settle() // let the first pull finish
	n.DeletePod("default", "app")
	reg.MustPush("my-app:1.0", registry.Image{Config: "build 2"})
	seen := n.EventCount()
	p := n.MustCreatePod(appPod("app", "my-app:1.0", ""))

	fmt.Println("policy:", p.Spec.Containers[0].ImagePullPolicy)
	printEvents(n.EventsSince(seen))
	fmt.Println("registry resolves:", reg.Counters().Resolves)
	// Output:
	// policy: IfNotPresent
	// Normal Pulled Container image "my-app:1.0" already present on machine and can be accessed by the pod
	// Normal Created Container created
	// Normal Started Container started
	// registry resolves: 1
}

// Never on an image the node lacks: ErrImageNeverPull without contacting the
// registry, and recovery on the first sync after the image is side-loaded.
func ExampleNode_CreatePod_never() {
	reg := registry.New()
	n := node.MustNew("node-1", reg)

	p := n.MustCreatePod(appPod("app", "busybox:1.36", pullpolicy.PullNever))
	fmt.Println(p.Status.ContainerStatuses[0].State.Waiting.Reason)
	printEvents(n.Events())

	n.LoadImage("busybox:1.36", registry.Image{Config: "busybox 1.36.1"})
	n.Clock().(*node.ManualClock).Step(10 * time.Second)
	n.Sync()
	p, _ = n.Pod("default", "app")
	fmt.Println(p.Status.Phase, reg.Counters().Requests())
	// Output:
	// ErrImageNeverPull
	// Warning ErrImageNeverPull Container image "busybox:1.36" is not present with pull policy of Never
	// Warning Failed Error: ErrImageNeverPull
	// Running 0
}

// Always with a digest: every start asks the registry, nothing is downloaded
// twice, and the content cannot change. With the default link (50 ms a
// request, 50 MB/s) the first pull of 52 MB takes 1.248s (four requests and
// the bytes), every later one a single 50 ms round trip.
func ExampleNode_RestartContainer_digestAlways() {
	reg := registry.New()
	dgst := reg.MustPush("nginx:1.28", registry.Image{Config: "nginx 1.28.0", Layers: []registry.Layer{{Content: "rootfs", Size: 50 << 20}}})
	n := node.MustNew("node-1", reg)

	n.MustCreatePod(appPod("web", "nginx@"+dgst.String(), pullpolicy.PullAlways))
	for i := 0; i < 2; i++ {
		n.Settle()
		n.RestartContainer("default", "web", "app")
	}
	n.Settle()
	for _, e := range n.Events() {
		if e.Reason == "Pulled" {
			_, timing, _ := strings.Cut(e.Message, `" `)
			fmt.Println(timing)
		}
	}

	c := reg.Counters()
	fmt.Printf("resolves %d, blob downloads %d, bytes %d\n", c.Resolves, c.Blobs, c.BlobBytes)
	p, _ := n.Pod("default", "web")
	fmt.Println("restarts:", p.Status.ContainerStatuses[0].RestartCount)
	// Output:
	// in 1.248s (1.248s including waiting). Image size: 52429429 bytes.
	// in 50ms (50ms including waiting). Image size: 52429429 bytes.
	// in 50ms (50ms including waiting). Image size: 52429429 bytes.
	// resolves 3, blob downloads 2, bytes 52429023
	// restarts: 2
}

// EnsureImage is the kubelet's EnsureImageExists: the image ref, a message
// and an error whose text is the waiting reason.
func ExampleNode_EnsureImage() {
	reg := registry.New()
	n := node.MustNew("node-1", reg)
	n.MustCreatePod(appPod("web", "nginx:9.9", ""))
	n.Settle() // the pull fails after one round trip

	_, msg, err := n.EnsureImage("default", "web", "app")
	fmt.Println(err)
	fmt.Println(msg)
	// Output:
	// ImagePullBackOff
	// Back-off pulling image "nginx:9.9": ErrImagePull: failed to pull and unpack image "docker.io/library/nginx:9.9": failed to resolve reference "docker.io/library/nginx:9.9": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed
}

// kubectl logs on a container that waits for its image gets the kubelet's
// reason instead of logs.
func ExampleNode_LogContainer() {
	reg := registry.New()
	n := node.MustNew("node-1", reg)
	n.MustCreatePod(appPod("web", "my-app:2.0", "")) // never pushed
	n.Advance(time.Second)                           // the pull fails

	_, err := n.LogContainer("default", "web", "app", false)
	fmt.Println("Error from server (BadRequest):", err)
	// Output:
	// Error from server (BadRequest): container "app" in pod "web" is waiting to start: image can't be pulled
}

// The kubelet's image metrics, as its /metrics endpoint serves them: one
// pull of an absent image under IfNotPresent, then a cache hit.
func ExampleNode_WriteMetrics() {
	reg := registry.New()
	reg.MustPush("my-app:1.0", registry.Image{Config: "build 1"})
	n := node.MustNew("node-1", reg)
	n.MustCreatePod(appPod("a", "my-app:1.0", ""))
	n.Settle()
	n.MustCreatePod(appPod("b", "my-app:1.0", ""))

	var b strings.Builder
	n.WriteMetrics(&b)
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, "kubelet_image_manager_ensure_image_requests_total") || strings.HasPrefix(line, "kubelet_image_pull_duration_seconds_count") {
			fmt.Println(line)
		}
	}
	// Output:
	// kubelet_image_manager_ensure_image_requests_total{present_locally="false",pull_policy="ifnotpresent",pull_required="true"} 1
	// kubelet_image_manager_ensure_image_requests_total{present_locally="true",pull_policy="ifnotpresent",pull_required="false"} 1
	// kubelet_image_pull_duration_seconds_count{image_size_in_bytes="0-10MB"} 1
}
