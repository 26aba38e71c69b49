package kube_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/node/kube"
	"github.com/pullsim/pullsim/registry"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A multi-document manifest: the Deployment yields its replicas, named as
// the deployment controller names them; the Service yields none and is
// reported.
func ExampleDecode() {
	res, err := kube.Decode([]byte(`
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.28
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range res.Pods {
		fmt.Println(p.Namespace, p.Name, p.Spec.Containers[0].Image)
	}
	for _, s := range res.Skipped {
		fmt.Println("skipped", s)
	}
	// Output:
	// default web-9894d865-6ddts nginx:1.28
	// default web-9894d865-ld7rp nginx:1.28
	// skipped Service/web
}

// A misspelled field is refused with its path, as the API server refuses
// it, and the error names the document; nothing is decoded.
func ExampleDecode_strict() {
	_, err := kube.Decode([]byte(`apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: nginx:1.28
    imagePulPolicy: Always
`))
	fmt.Println(err)
	// Output:
	// document 0 (Pod web): strict decoding error: unknown field "spec.containers[0].imagePulPolicy"
}

// A pod built with the real core/v1 types, as a controller builds it, runs
// on a node; its status comes back as core/v1.
func ExamplePodFromCore() {
	reg := registry.New()
	reg.MustPush("nginx:1.28", registry.Image{Config: "nginx"})
	n := node.MustNew("node-1", reg)

	p, err := kube.PodFromCore(&corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.28"}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	n.MustCreatePod(p)
	n.Advance(time.Minute)
	got, _ := n.Pod("default", "web")
	st := kube.StatusToCore(got)
	fmt.Println(st.Phase, st.ContainerStatuses[0].Ready, st.ContainerStatuses[0].ImageID)
	for _, c := range st.Conditions {
		fmt.Println(c.Type, c.Status)
	}
	// Output:
	// Running true docker.io/library/nginx@sha256:12702d1a90795a97fdca07746d7abb2c259902e033e5d6a7c5463aa35a93ec30
	// PodReadyToStartContainers True
	// Initialized True
	// Ready True
	// ContainersReady True
	// PodScheduled True
}

// kubectl get pod -o yaml shows the policy the API server stored; kubectl
// describe does not show it at all.
func ExamplePodYAML() {
	reg := registry.New()
	reg.MustPush("nginx:latest", registry.Image{Config: "nginx"})
	n := node.MustNew("node-1", reg)
	p := n.MustCreatePod(node.Pod{Name: "web", Spec: node.PodSpec{Containers: []node.Container{{Name: "web", Image: "nginx"}}}})
	y, err := kube.PodYAML(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range strings.Split(string(y), "\n") {
		if strings.Contains(line, "image") || strings.HasPrefix(line, "apiVersion") || strings.HasPrefix(line, "kind") {
			fmt.Println(line)
		}
	}
	// Output:
	// apiVersion: v1
	// kind: Pod
	//   - image: nginx
	//     imagePullPolicy: Always
	//   - image: nginx
	//     imageID: ""
}

// Events come out as the API server stores them: the pod and the
// container's field path, the kubelet and the node as the source.
func ExampleEventToCore() {
	reg := registry.New()
	reg.MustPush("nginx:1.28", registry.Image{Config: "nginx"})
	n := node.MustNew("node-1", reg)
	n.MustCreatePod(node.Pod{Name: "web", Spec: node.PodSpec{Containers: []node.Container{{Name: "web", Image: "nginx:1.28"}}}})
	e := kube.EventToCore(n.Events()[0], n.Name())
	fmt.Println(e.InvolvedObject.Kind, e.InvolvedObject.Name, e.InvolvedObject.FieldPath)
	fmt.Println(e.Type, e.Reason, e.Message)
	fmt.Println(e.Source.Component, e.Source.Host, e.Count)
	// Output:
	// Pod web spec.containers{web}
	// Normal Pulling Pulling image "nginx:1.28"
	// kubelet node-1 1
}

// A Helm chart's ServiceAccount comes before the pods that name it, and a
// DaemonSet makes one pod per node given with WithNodes, placed through
// Result.Nodes: the scheduler binds it, so spec.nodeName stays unset.
func ExampleWithNodes() {
	res, err := kube.Decode([]byte(`
apiVersion: v1
kind: ServiceAccount
metadata: {name: agent}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      serviceAccountName: agent
      containers: [{name: agent, image: "fluent-bit:3.0"}]
`), kube.WithNodes("node-1", "node-2"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, sa := range res.ServiceAccounts {
		fmt.Println(sa, "before pod", sa.Pods)
	}
	for i, p := range res.Pods {
		fmt.Printf("%s on %s, spec.nodeName %q\n", strings.TrimRight(p.Name, "bcdfghjklmnpqrstvwxz2456789"), res.Nodes[i], p.Spec.NodeName)
	}
	// Output:
	// serviceaccount/agent before pod 0
	// agent- on node-1, spec.nodeName ""
	// agent- on node-2, spec.nodeName ""
}
