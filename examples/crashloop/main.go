// Command crashloop shows a bad build pushed under a moved tag: nodes that
// keep the old build under IfNotPresent stay healthy, nodes that pull get
// the crashing build and crash-loop, and under Always every restart asks
// the registry again. Pinning the good build by digest fixes every node.
//
//	go run ./examples/crashloop
package main

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "crashloop:", err)
		os.Exit(1)
	}
}

const image = "registry.example.com/shop/api:v2"

func build(name string, run registry.Run) registry.Image {
	return registry.Image{Config: name, Layers: []registry.Layer{{Content: "base", Size: 30_000_000}, {Content: name, Size: 8_000_000}}, Run: run}
}

var (
	good = build("api v2 build 1", registry.Run{})
	bad  = build("api v2 build 2", registry.Run{ExitAfter: 20 * time.Second, ExitCode: 1})
)

func run(w io.Writer) error {
	fmt.Fprintf(w, "%s is build 1 on node-1 and node-2. CI then pushes build 2 under the same tag,\n", image)
	fmt.Fprintln(w, "and build 2 crashes 20s after it starts (exit code 1). The pods are recreated on all three")
	fmt.Fprintln(w, "nodes; node-3 is new and has nothing cached. Ten minutes later:")
	for _, c := range []struct {
		label  string
		image  func(d digest.Digest) string
		policy pullpolicy.PullPolicy
	}{
		{"IfNotPresent", func(digest.Digest) string { return image }, pullpolicy.PullIfNotPresent},
		{"Always", func(digest.Digest) string { return image }, pullpolicy.PullAlways},
		{"pinned to build 1 by digest, Always", func(d digest.Digest) string { return "registry.example.com/shop/api@" + d.String() }, pullpolicy.PullAlways},
	} {
		if err := scenario(w, c.label, c.image, c.policy); err != nil {
			return fmt.Errorf("%s: %w", c.label, err)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Under IfNotPresent the fleet splits: nodes that had build 1 keep running it, a new node")
	fmt.Fprintln(w, "crash-loops on build 2. Under Always every node crash-loops, and every restart the crash")
	fmt.Fprintln(w, "loop lets through is a registry round trip: an outage would turn it into ImagePullBackOff")
	fmt.Fprintln(w, "with the image cached. A digest names build 1 whatever the tag says.")
	return nil
}

func scenario(w io.Writer, label string, img func(digest.Digest) string, policy pullpolicy.PullPolicy) error {
	reg := registry.New()
	goodDigest := reg.MustPush(image, good)
	clock := node.NewManualClock(node.Epoch)
	var nodes []*node.Node
	for _, name := range []string{"node-1", "node-2", "node-3"} {
		n, err := node.New(name, reg, node.WithClock(clock))
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
	}
	// Before: build 1 runs on node-1 and node-2.
	for _, n := range nodes[:2] {
		if _, err := n.CreatePod(pod("api-old", image, pullpolicy.PullIfNotPresent)); err != nil {
			return err
		}
	}
	if err := node.Run(node.Epoch.Add(time.Minute), nodes...); err != nil {
		return err
	}
	reg.MustPush(image, bad)
	before := make([]int, len(nodes))
	for i, n := range nodes {
		before[i] = requests(n)
		if i < 2 {
			if err := n.DeletePod("default", "api-old"); err != nil {
				return err
			}
		}
		if _, err := n.CreatePod(pod("api", img(goodDigest), policy)); err != nil {
			return err
		}
	}
	if err := node.Run(node.Epoch.Add(11*time.Minute), nodes...); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s:\n", label)
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "  NODE\tREADY\tSTATUS\tRESTARTS\tRUNS\tREGISTRY REQUESTS SINCE THE PUSH")
	var last string
	for i, n := range nodes {
		var sb strings.Builder
		if err := n.GetPods(&sb, "default"); err != nil {
			return err
		}
		last = sb.String()
		_, row, _ := strings.Cut(strings.TrimSuffix(last, "\n"), "\n")
		cols := regexp.MustCompile(`\s{2,}`).Split(row, -1) // NAME READY STATUS RESTARTS AGE
		p, _ := n.Pod("default", "api")
		runs, _ := reg.Pushed(p.ContainerStatus("api").Digest())
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%d\n", n.Name(), cols[1], cols[2], cols[3], runs.Config, requests(n)-before[i])
	}
	tw.Flush()
	fmt.Fprintf(w, "  $ kubectl get pods   # on node-3\n")
	for _, line := range strings.Split(strings.TrimSuffix(last, "\n"), "\n") {
		fmt.Fprintf(w, "  %s\n", line)
	}
	return nil
}

// requests counts the registry requests of the node's runtime pulls.
func requests(n *node.Node) int {
	total := 0
	for _, p := range n.Pulls() {
		total += p.Requests
	}
	return total
}

func pod(name, image string, policy pullpolicy.PullPolicy) node.Pod {
	return node.Pod{Name: name, Spec: node.PodSpec{Containers: []node.Container{{Name: "api", Image: image, ImagePullPolicy: policy}}}}
}
