// Command digest shows the lesson's "most deterministic combination":
// imagePullPolicy: Always with an image pinned by digest. Every start asks
// the registry, nothing is downloaded twice, and when the tag moves the pod
// keeps running exactly the same content.
//
//	go run ./examples/digest
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
		fmt.Fprintln(os.Stderr, "digest:", err)
		os.Exit(1)
	}
}

func build(version string) registry.Image {
	return registry.Image{Config: "nginx " + version, Layers: []registry.Layer{
		{Content: "debian:bookworm-slim rootfs", Size: 28_230_000}, {Content: "nginx " + version, Size: 44_100_000},
	}}
}

func run(w io.Writer) error {
	reg := registry.New()
	d1 := reg.MustPush("nginx:1.28", build("1.28.0"))
	builds := map[string]string{d1.String(): "1.28.0"}
	n := node.MustNew("node-1", reg)
	pinned := "nginx@" + d1.String()

	fmt.Fprintf(w, "image: %s\nimagePullPolicy: Always\n\n", pinned)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEVENT\tREGISTRY REQUESTS\tDOWNLOADED\tRUNS")
	step := func(label string, act func() error) error {
		before := reg.Counters()
		if err := act(); err != nil {
			return err
		}
		if _, err := n.Settle(); err != nil {
			return err
		}
		after := reg.Counters()
		p, _ := n.Pod("default", "web")
		_, dg, _ := strings.Cut(p.Status.ContainerStatuses[0].ImageID, "@")
		fmt.Fprintf(tw, "%v\t%s\t%d\t%.1f MB\tnginx %s\n", n.Clock().Now().Sub(node.Epoch).Truncate(time.Second), label,
			after.Requests()-before.Requests(), float64(after.BlobBytes-before.BlobBytes)/1e6, builds[dg])
		return nil
	}
	clock := n.Clock().(*node.ManualClock)
	if err := step("pod created", func() error {
		_, err := n.CreatePod(node.Pod{Name: "web", Spec: node.PodSpec{Containers: []node.Container{{Name: "nginx", Image: pinned, ImagePullPolicy: pullpolicy.PullAlways}}}})
		return err
	}); err != nil {
		return err
	}
	for i := 1; i <= 2; i++ {
		clock.Step(time.Hour)
		if err := step("container restarted", func() error { return n.RestartContainer("default", "web", "nginx") }); err != nil {
			return err
		}
	}
	clock.Step(24 * time.Hour)
	d2 := reg.MustPush("nginx:1.28", build("1.28.1"))
	builds[d2.String()] = "1.28.1"
	fmt.Fprintf(tw, "%v\tnginx:1.28 moves to 1.28.1\t-\t-\t-\n", clock.Now().Sub(node.Epoch).Truncate(time.Second))
	if err := step("container restarted", func() error { return n.RestartContainer("default", "web", "nginx") }); err != nil {
		return err
	}
	tw.Flush()

	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every start costs one registry round trip and downloads nothing after the first: the")
	fmt.Fprintln(w, "runtime resolves the digest and finds the content already on the node. The digest")
	fmt.Fprintln(w, "cannot move, so the tag moving changes nothing.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "What the lesson leaves out: the digest alone already fixes the content. Always adds")
	fmt.Fprintln(w, "the check against the registry on every start, which is also a dependency on it:")
	if err := reg.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultServerError}); err != nil {
		return err
	}
	clock.Step(time.Hour)
	if err := n.RestartContainer("default", "web", "nginx"); err != nil {
		return err
	}
	n.Settle()
	p, _ := n.Pod("default", "web")
	wt := p.Status.ContainerStatuses[0].State.Waiting
	fmt.Fprintf(w, "with the registry answering 500, the restarted container waits in %s although\n", wt.Reason)
	fmt.Fprintln(w, "its image is on the node. With IfNotPresent and the same digest it would have started.")
	return nil
}
