// Command rollout applies a real Deployment manifest to three nodes, moves
// the image's tag, restarts the rollout after one node was replaced, and
// shows which build each pod runs: the tag-drift answer, from real YAML.
// Then it applies the same Deployment with imagePullPolicy: Always.
//
//	go run ./examples/rollout
package main

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/node/kube"
	"github.com/pullsim/pullsim/registry"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

//go:embed deployment.yaml
var manifest []byte

//go:embed deployment-always.yaml
var manifestAlways []byte

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "rollout:", err)
		os.Exit(1)
	}
}

const image = "registry.example.com/shop/web:2.4"

func build(name string) registry.Image {
	return registry.Image{Config: name, Layers: []registry.Layer{{Content: "distroless base", Size: 20_000_000}, {Content: name, Size: 15_000_000}}}
}

// cluster is three nodes on one clock, and the builds by digest.
type cluster struct {
	reg    *registry.Registry
	clock  *node.ManualClock
	nodes  []*node.Node
	builds map[string]string
}

func run(w io.Writer) error {
	c := &cluster{reg: registry.New(), clock: node.NewManualClock(node.Epoch), builds: map[string]string{}}
	c.builds[c.reg.MustPush(image, build("build 1")).String()] = "build 1"
	for i := 1; i <= 3; i++ {
		c.nodes = append(c.nodes, node.MustNew(fmt.Sprintf("node-%d", i), c.reg, node.WithClock(c.clock)))
	}

	fmt.Fprintln(w, "$ kubectl apply -f deployment.yaml")
	if err := c.apply(w, manifest, "created"); err != nil {
		return err
	}
	if err := c.get(w); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nThree days later CI pushes build 2 under the same tag, and the cluster autoscaler")
	fmt.Fprintln(w, "replaces node-3 with a fresh node-4.")
	c.clock.Step(72 * time.Hour)
	c.builds[c.reg.MustPush(image, build("build 2")).String()] = "build 2"
	c.nodes[2] = node.MustNew("node-4", c.reg, node.WithClock(c.clock))

	fmt.Fprintln(w, "\n$ kubectl rollout restart deployment/web -n shop")
	restarted, err := restart(manifest, c.clock.Now())
	if err != nil {
		return err
	}
	if err := c.apply(w, restarted, "restarted"); err != nil {
		return err
	}
	if err := c.get(w); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nThe manifest says web:2.4 and no pull policy, so the API server stored IfNotPresent")
	fmt.Fprintln(w, "(a version tag). node-1 and node-2 had web:2.4 and used it: build 1. node-4 had")
	fmt.Fprintln(w, "nothing and pulled: build 2. One Deployment, two builds, and nothing in the spec says so.")

	fmt.Fprintln(w, "\n$ kubectl apply -f deployment-always.yaml   # imagePullPolicy: Always")
	before := c.reg.Counters().Requests()
	if err := c.apply(w, manifestAlways, "configured"); err != nil {
		return err
	}
	if err := c.get(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nAlways asked the registry on every start (%d requests): every node resolved the tag to\n", c.reg.Counters().Requests()-before)
	fmt.Fprintln(w, "build 2 and downloaded only the layer it lacked. Pinning the image by digest would make")
	fmt.Fprintln(w, "every node run the same build under any policy.")
	return nil
}

// apply decodes a manifest as kubectl apply does and replaces the
// Deployment's pods, spread over the nodes one each, as the scheduler's
// spreading would place three replicas on three nodes.
// kubectl reports the Deployment with verb; objects without pods, such as
// the Service, are reported as created the first time only.
func (c *cluster) apply(w io.Writer, data []byte, verb string) error {
	res, err := kube.Decode(data)
	if err != nil {
		return err
	}
	if verb == "created" {
		for _, s := range res.Skipped {
			fmt.Fprintf(w, "%s/%s created\n", strings.ToLower(s.Kind), s.Name)
		}
	}
	for _, n := range c.nodes {
		for _, p := range n.Pods() {
			if err := n.DeletePod(p.Namespace, p.Name); err != nil {
				return err
			}
		}
	}
	for i, p := range res.Pods {
		n := c.nodes[i%len(c.nodes)]
		if _, err := n.CreatePod(p); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "deployment.apps/web %s\n", verb)
	for _, n := range c.nodes {
		if _, err := n.Settle(); err != nil {
			return err
		}
	}
	c.clock.Step(time.Minute)
	return nil
}

// get prints the pods with their node, policy and build.
func (c *cluster) get(w io.Writer) error {
	fmt.Fprintln(w, "\n$ kubectl get pods -n shop -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,\\")
	fmt.Fprintln(w, "    POLICY:.spec.containers[0].imagePullPolicy,IMAGE-ID:.status.containerStatuses[0].imageID")
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tNODE\tPOLICY\tIMAGE-ID")
	var legend []string
	for _, n := range c.nodes {
		for _, p := range n.Pods() {
			pod := kube.PodToCore(p)
			id := pod.Status.ContainerStatuses[0].ImageID
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", pod.Name, pod.Spec.NodeName, pod.Spec.Containers[0].ImagePullPolicy, short(id))
			_, dg, _ := strings.Cut(id, "@")
			if l := short(dg) + " is " + c.builds[dg]; !slices.Contains(legend, l) {
				legend = append(legend, l)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "(%s)\n", strings.Join(legend, ", "))
	return nil
}

// short cuts a repo@sha256:<hex> image ID to 12 hex digits.
func short(id string) string {
	if i := strings.Index(id, "sha256:"); i >= 0 && len(id) > i+19 {
		return id[:i+19] + "…"
	}
	return id
}

// restart does what `kubectl rollout restart` does: it sets the
// kubectl.kubernetes.io/restartedAt annotation on the pod template, which
// gives the template a new pod-template-hash and the Deployment new pods.
func restart(data []byte, at time.Time) ([]byte, error) {
	docs := strings.Split(string(data), "\n---\n")
	for i, doc := range docs {
		var d appsv1.Deployment
		if err := yaml.Unmarshal([]byte(doc), &d); err != nil || d.Kind != "Deployment" {
			continue
		}
		if d.Spec.Template.Annotations == nil {
			d.Spec.Template.Annotations = map[string]string{}
		}
		d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] = at.Format(time.RFC3339)
		out, err := yaml.Marshal(d)
		if err != nil {
			return nil, err
		}
		docs[i] = string(out)
	}
	return []byte(strings.Join(docs, "\n---\n")), nil
}
