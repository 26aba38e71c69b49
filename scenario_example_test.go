package pullsim_test

import (
	"fmt"
	"time"

	"github.com/pullsim/pullsim"
	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/registry"
)

// A scenario states a situation as data: a registry, a node, a pod applied
// at a virtual time, a tag moved, and what is expected. Run plays it and
// checks every expectation.
func ExampleParse() {
	s, err := pullsim.Parse([]byte(`
apiVersion: pullsim.dev/v1alpha1
kind: Scenario
metadata:
  name: tag-moves
spec:
  builds:
  - name: nginx 1.27.0
  - name: nginx 1.28.0
  registries:
  - host: docker.io
    images:
    - {ref: nginx:latest, build: nginx 1.27.0}
  nodes:
  - name: node-1
  steps:
  - at: 0s
    apply:
      manifest:
        apiVersion: v1
        kind: Pod
        metadata: {name: web-1}
        spec:
          containers: [{name: nginx, image: nginx:latest, imagePullPolicy: IfNotPresent}]
    advance: 1m
  - at: 168h
    push: {ref: nginx:latest, build: nginx 1.28.0}
  - at: 168h
    apply:
      manifest:
        apiVersion: v1
        kind: Pod
        metadata: {name: web-2}
        spec:
          containers: [{name: nginx, image: nginx:latest, imagePullPolicy: IfNotPresent}]
    advance: 1m
    expect:
      pods:
      - name: web-2
        containers: [{name: nginx, build: nginx 1.28.0}]
      pulls: 0
`), "tag-moves.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := s.Run()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range r.Steps[2].Expectations {
		fmt.Println(o)
	}
	// Output:
	// FAIL  pod default/web-2 on node-1, container nginx: build: want "nginx 1.28.0", got "nginx 1.27.0"
	// ok    pulls = 0
}

// Bad input is refused before anything runs, naming file, line and field.
func ExampleParse_errors() {
	_, err := pullsim.Parse([]byte(`apiVersion: pullsim.dev/v1alpha1
kind: Scenario
metadata: {name: typo}
spec:
  nodes:
  - name: node-1
    kubelet: {serializeImagePulls: false, maxParallelImagePull: 3}
  steps:
  - {at: 1m, restartKubelet: true}
  - {at: 30s, node: node-2, garbageCollect: true}
`), "typo.yaml")
	fmt.Println(err)
	// Output:
	// typo.yaml:7: spec.nodes[0].kubelet.maxParallelImagePull: unknown field "maxParallelImagePull"
}

// Explain answers the lesson's question for one manifest with a simulated
// node: the policy after defaulting and what the kubelet does.
func ExampleExplain() {
	e, err := pullsim.Explain([]byte(`
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - {name: app, image: my-app:1.0}
  - {name: proxy, image: nginx}
`), "my-app:1.0", "nginx:latest")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range e.Pods[0].Containers {
		fmt.Printf("%s: %s (%s)\n  %s: %s\n", c.Name, c.Policy, c.Defaulting, c.Decision, c.Why)
	}
	// Output:
	// app: IfNotPresent (left out; the API server defaulted it to IfNotPresent because the tag "1.0" is not latest)
	//   cache hit: IfNotPresent uses the copy on the node without contacting the registry, even if the tag has moved there since
	// proxy: Always (left out; the API server defaulted it to Always because an image without a tag means :latest)
	//   pull: Always contacts the registry on every container start, even though the node has the image; only the layers the node lacks are downloaded
}

// A Recorder says what one call caused: no counting before and after by
// hand.
func ExampleRecorder() {
	reg := registry.New()
	reg.MustPush("nginx:1.28", registry.Image{Config: "nginx 1.28.0", Layers: []registry.Layer{{Content: "rootfs", Size: 1000}}})
	n := node.MustNew("node-1", reg)
	rec := pullsim.NewRecorder(reg, n)
	for _, name := range []string{"web-1", "web-2"} {
		r, _ := rec.Record(func() error {
			if _, err := n.CreatePod(node.Pod{Name: name, Spec: node.PodSpec{Containers: []node.Container{{Name: "nginx", Image: "nginx:1.28"}}}}); err != nil {
				return err
			}
			return n.Advance(time.Minute)
		})
		fmt.Printf("%s: %d pulls, %d registry requests, %d bytes, %d events\n", name, len(r.Pulls), r.Requests.Total, r.Bytes, len(r.Events))
	}
	// Output:
	// web-1: 1 pulls, 4 registry requests, 1223 bytes, 2 events
	// web-2: 0 pulls, 0 registry requests, 0 bytes, 1 events
}
