package pullsim_test

import (
	"fmt"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/registry"
)

// Create a registry, push a build, make a node and a pod, let virtual time
// pass, and print what the kubelet decided and did. README.md shows this code.
func Example_quickstart() {
	reg := registry.New()
	reg.MustPush("my-app:1.0", registry.Image{Config: "build 1"})
	n := node.MustNew("node-1", reg)
	n.MustCreatePod(node.Pod{Name: "app", Spec: node.PodSpec{
		Containers: []node.Container{{Name: "app", Image: "my-app:1.0"}},
	}})
	n.Advance(time.Minute) // the pull takes virtual time

	p, _ := n.Pod("default", "app")
	fmt.Println("imagePullPolicy:", p.Spec.Containers[0].ImagePullPolicy)
	fmt.Println("phase:", p.Status.Phase)
	for _, e := range n.Events() {
		fmt.Println(e)
	}
	// Output:
	// imagePullPolicy: IfNotPresent
	// phase: Running
	// Normal Pulling Pulling image "my-app:1.0"
	// Normal Pulled Successfully pulled image "my-app:1.0" in 150ms (150ms including waiting). Image size: 393 bytes.
	// Normal Created Container created
	// Normal Started Container started
}
