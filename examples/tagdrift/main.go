// Command tagdrift shows how a moved tag splits a fleet. A Deployment rolls
// out api:2.4 to two nodes; the tag is then pushed again with a new build;
// a second rollout lands on three nodes, one of them new. Which build runs
// where depends on the pull policy.
//
//	go run ./examples/tagdrift
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tagdrift:", err)
		os.Exit(1)
	}
}

func build(name string) registry.Image {
	return registry.Image{Config: name, Layers: []registry.Layer{{Content: "base", Size: 30_000_000}, {Content: name, Size: 12_000_000}}}
}

func run(w io.Writer) error {
	fmt.Fprintln(w, "Rollout 1 puts api:2.4 (build 1) on node-1 and node-2. Then CI pushes build 2 under the")
	fmt.Fprintln(w, "same tag. Rollout 2 replaces the pods on node-1 and node-2 and adds one on node-3.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "IMAGE AND POLICY\tNODE-1\tNODE-2\tNODE-3\tREGISTRY REQUESTS (ROLLOUT 2)")
	for _, c := range []struct {
		label  string
		policy pullpolicy.PullPolicy
		pin    bool
	}{
		{"api:2.4, IfNotPresent (the default for a version tag)", pullpolicy.PullIfNotPresent, false},
		{"api:2.4, Always", pullpolicy.PullAlways, false},
		{"api@sha256:<build 1>, IfNotPresent", pullpolicy.PullIfNotPresent, true},
		{"api@sha256:<build 1>, Always", pullpolicy.PullAlways, true},
	} {
		runs, requests, err := scenario(c.policy, c.pin)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\n", c.label, strings.Join(runs, "\t"), requests)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "With IfNotPresent the old nodes keep build 1 and the new node gets build 2: one Deployment,")
	fmt.Fprintln(w, "two builds, and nothing in the pod spec says so. Always makes every node ask the registry")
	fmt.Fprintln(w, "and converge on the tag's current build. A digest makes every node run the same content")
	fmt.Fprintln(w, "whatever the policy; Always only adds a round trip per start.")
	return nil
}

// scenario plays both rollouts and returns the build each node runs after
// the second, and the registry requests the second made.
func scenario(policy pullpolicy.PullPolicy, pin bool) ([]string, int, error) {
	reg := registry.New()
	d1 := reg.MustPush("api:2.4", build("build 1"))
	builds := map[string]string{d1.String(): "build 1"}
	clock := node.NewManualClock(node.Epoch)
	var nodes []*node.Node
	for i := 1; i <= 3; i++ {
		nodes = append(nodes, node.MustNew(fmt.Sprintf("node-%d", i), reg, node.WithClock(clock)))
	}
	image := "api:2.4"
	if pin {
		image = "api@" + d1.String()
	}
	pod := func(name string) node.Pod {
		return node.Pod{Name: name, Spec: node.PodSpec{Containers: []node.Container{{Name: "api", Image: image, ImagePullPolicy: policy}}}}
	}
	for _, n := range nodes[:2] {
		if _, err := n.CreatePod(pod("api-1")); err != nil {
			return nil, 0, err
		}
		if _, err := n.Settle(); err != nil {
			return nil, 0, err
		}
	}
	clock.Step(3 * 24 * time.Hour)
	d2 := reg.MustPush("api:2.4", build("build 2"))
	builds[d2.String()] = "build 2"
	before := reg.Counters().Requests()
	var runs []string
	for _, n := range nodes {
		if _, ok := n.Pod("default", "api-1"); ok {
			if err := n.DeletePod("default", "api-1"); err != nil {
				return nil, 0, err
			}
		}
		if _, err := n.CreatePod(pod("api-2")); err != nil {
			return nil, 0, err
		}
		if _, err := n.Settle(); err != nil {
			return nil, 0, err
		}
		p, _ := n.Pod("default", "api-2")
		_, dg, _ := strings.Cut(p.Status.ContainerStatuses[0].ImageID, "@")
		runs = append(runs, builds[dg])
	}
	return runs, reg.Counters().Requests() - before, nil
}
