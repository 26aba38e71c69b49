// Command lab runs the image pull policy lesson's hands-on lab on a
// simulated node: apply pull-policy-pod.yaml, get it, describe it, see the
// stored policy as get -o yaml shows it, then watch imagePullPolicy: Never
// fail on an image the node does not have.
//
//	go run ./examples/lab
package main

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/node/kube"
	"github.com/pullsim/pullsim/registry"
)

//go:embed testdata/pull-policy-pod.yaml
var pullPolicyPod []byte

//go:embed testdata/never-pod.yaml
var neverPod []byte

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "lab:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	reg := registry.New()
	reg.MustPush("nginx:1.28", registry.Image{Config: "nginx 1.28.0", Layers: []registry.Layer{
		{Content: "debian:bookworm-slim rootfs", Size: 28_230_000}, {Content: "nginx 1.28.0", Size: 44_100_000},
	}})
	n := node.MustNew("node-1", reg)
	clock := n.Clock().(*node.ManualClock)

	fmt.Fprintln(w, "$ cat pull-policy-pod.yaml")
	w.Write(pullPolicyPod)
	fmt.Fprintln(w, "\n$ kubectl apply -f pull-policy-pod.yaml")
	p, err := decodePod(pullPolicyPod)
	if err != nil {
		return err
	}
	if _, err := n.CreatePod(p); err != nil {
		return err
	}
	fmt.Fprintf(w, "pod/%s created\n", p.Name)
	if err := n.Advance(10 * time.Second); err != nil {
		return err
	}

	fmt.Fprintln(w, "\n$ kubectl get pod pull-policy-pod")
	if err := n.GetPods(w, "default"); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n$ kubectl describe pod pull-policy-pod")
	if err := n.Describe(w, "default", "pull-policy-pod"); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nkubectl describe does not print the policy; the line marked (pullsim) is pullsim's. The API")
	fmt.Fprintln(w, "shows it in the pod's spec:")
	fmt.Fprintln(w, "\n$ kubectl get pod pull-policy-pod -o yaml | grep -B2 imagePullPolicy")
	stored, _ := n.Pod("default", "pull-policy-pod")
	y, err := kube.PodYAML(stored)
	if err != nil {
		return err
	}
	lines := strings.Split(string(y), "\n")
	for i, l := range lines {
		if strings.Contains(l, "imagePullPolicy") {
			fmt.Fprintln(w, strings.Join(lines[max(i-2, 0):i+1], "\n"))
		}
	}

	fmt.Fprintln(w, "\nNow imagePullPolicy: Never on an image this node has never pulled:")
	fmt.Fprintln(w, "\n$ kubectl apply -f never-pod.yaml")
	np, err := decodePod(neverPod)
	if err != nil {
		return err
	}
	if _, err := n.CreatePod(np); err != nil {
		return err
	}
	fmt.Fprintf(w, "pod/%s created\n", np.Name)
	if err := n.Advance(time.Minute); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n$ kubectl get pods")
	if err := n.GetPods(w, "default"); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n$ kubectl describe pod never-pod")
	if err := n.Describe(w, "default", "never-pod"); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nThe lesson says the pod stays in ErrImageNeverPull until it is deleted. The kubelet is")
	fmt.Fprintln(w, "less final: it checks again on every sync, about every 10s. Load the image onto the node")
	fmt.Fprintln(w, "(kind load docker-image, ctr images import) and the pod starts on its own:")
	fmt.Fprintln(w, "\n$ kind load docker-image busybox:1.36")
	if _, err := n.LoadImage("busybox:1.36", registry.Image{Config: "busybox 1.36.1", Layers: []registry.Layer{{Content: "busybox", Size: 2_160_000}}}); err != nil {
		return err
	}
	clock.Step(5 * time.Second)
	if err := n.Advance(10 * time.Second); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n$ kubectl get pods")
	return n.GetPods(w, "default")
}

// decodePod reads a manifest that holds one pod, as kubectl apply reads it.
func decodePod(manifest []byte) (node.Pod, error) {
	res, err := kube.Decode(manifest)
	if err != nil {
		return node.Pod{}, err
	}
	if len(res.Pods) != 1 {
		return node.Pod{}, fmt.Errorf("want one pod in the manifest, got %d", len(res.Pods))
	}
	return res.Pods[0], nil
}
