// Command startup compares what image pull policies cost: the startup
// latency of 100 pod starts on one node and the registry traffic they
// cause, then what happens when 100 pods needing a new image arrive at once.
//
//	go run ./examples/startup
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
}

const starts = 100

// web is a 200 MB image in three layers.
var web = registry.Image{Config: "web 1.0", Layers: []registry.Layer{
	{Content: "debian:bookworm rootfs", Size: 120_000_000},
	{Content: "python 3.12", Size: 60_000_000},
	{Content: "web 1.0 app", Size: 20_000_000},
}}

func run(w io.Writer) error {
	l := registry.DefaultLink
	fmt.Fprintf(w, "Image web:1.0 is %s in %d layers; the node reaches the registry over the default link\n", mb(total(web)), len(web.Layers))
	fmt.Fprintf(w, "(%v a request, %s/s).\n\n", l.Latency, mb(l.Bandwidth))
	if err := oneAtATime(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return allAtOnce(w)
}

// oneAtATime starts 100 pods, one a minute, under each policy.
func oneAtATime(w io.Writer) error {
	fmt.Fprintf(w, "%d pod starts on one node, one a minute:\n\n", starts)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "IMAGE / POLICY\tFIRST START\tEACH LATER START\tREGISTRY REQUESTS\tDOWNLOADED")
	for _, c := range []struct {
		label   string
		policy  pullpolicy.PullPolicy
		digest  bool
		preload bool
	}{
		{"web:1.0 IfNotPresent", pullpolicy.PullIfNotPresent, false, false},
		{"web:1.0 Always", pullpolicy.PullAlways, false, false},
		{"web:1.0 Never (preloaded)", pullpolicy.PullNever, false, true},
		{"web@sha256 IfNotPresent", pullpolicy.PullIfNotPresent, true, false},
		{"web@sha256 Always", pullpolicy.PullAlways, true, false},
	} {
		reg := registry.New()
		dgst := reg.MustPush("web:1.0", web)
		n := node.MustNew("node-1", reg)
		image := "web:1.0"
		if c.digest {
			image = "web@" + dgst.String()
		}
		if c.preload {
			if _, err := n.LoadImage("web:1.0", web); err != nil {
				return err
			}
		}
		var lat []time.Duration
		for i := 0; i < starts; i++ {
			name := fmt.Sprintf("web-%d", i)
			if _, err := n.CreatePod(pod(name, image, c.policy)); err != nil {
				return err
			}
			if err := n.Advance(time.Minute); err != nil {
				return err
			}
			d, ok := n.StartupLatency("default", name)
			if !ok {
				return fmt.Errorf("%s: pod %s did not start", c.label, name)
			}
			lat = append(lat, d)
		}
		cnt := reg.Counters()
		later := slices.Max(lat[1:])
		fmt.Fprintf(tw, "%s\t%v\t%v\t%d\t%s\n", c.label, ms(lat[0]), ms(later), cnt.Requests(), mb(cnt.BlobBytes))
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "IfNotPresent and a digest pay once. Always pays a round trip on every start, and")
	fmt.Fprintln(w, "downloads nothing again: the runtime resolves the tag and finds the content on the node.")
	fmt.Fprintln(w, "That round trip is also why Always cannot start a pod while the registry is down.")
	return nil
}

// allAtOnce creates 100 pods needing web:1.0 at the same instant.
func allAtOnce(w io.Writer) error {
	fmt.Fprintf(w, "%d pods needing web:1.0 arrive at once (IfNotPresent). Each pod checks, finds no image\n", starts)
	fmt.Fprintln(w, "and asks for its own pull: the kubelet does not de-duplicate. Pulls pass a throttle of")
	fmt.Fprintf(w, "%d pulls a second with bursts of %d (registryPullQPS, registryBurst).\n\n", node.DefaultRegistryPullQPS, node.DefaultRegistryBurst)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "KUBELET SETTINGS\tRUNTIME PULLS\tPULL QPS EXCEEDED\tFIRST POD UP\tLAST POD UP\tDOWNLOADED")
	for _, c := range []struct {
		label string
		opts  []node.Option
	}{
		{"serializeImagePulls: true (default)", nil},
		{"maxParallelImagePulls: 5", []node.Option{node.WithMaxParallelImagePulls(5)}},
		{"serializeImagePulls: false", []node.Option{node.WithSerializeImagePulls(false)}},
		{"serializeImagePulls: false, registryPullQPS: 0", []node.Option{node.WithSerializeImagePulls(false), node.WithRegistryPullQPS(0, 0)}},
	} {
		reg := registry.New()
		reg.MustPush("web:1.0", web)
		n, err := node.New("node-1", reg, c.opts...)
		if err != nil {
			return err
		}
		for i := 0; i < starts; i++ {
			if _, err := n.CreatePod(pod(fmt.Sprintf("web-%d", i), "web:1.0", pullpolicy.PullIfNotPresent)); err != nil {
				return err
			}
		}
		if err := n.Advance(10 * time.Minute); err != nil {
			return err
		}
		var lat []time.Duration
		for i := 0; i < starts; i++ {
			d, ok := n.StartupLatency("default", fmt.Sprintf("web-%d", i))
			if !ok {
				return fmt.Errorf("%s: pod web-%d did not start", c.label, i)
			}
			lat = append(lat, d)
		}
		// A throttled pull never reaches the runtime: it is no pull, only
		// a Failed event.
		refused := 0
		for _, e := range n.Events() {
			if e.Reason == pullpolicy.EventFailed && strings.HasSuffix(e.Message, ": pull QPS exceeded") {
				refused++
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%v\t%v\t%s\n", c.label, n.Counters().Pulls, refused, ms(slices.Min(lat)), ms(slices.Max(lat)), mb(reg.Counters().BlobBytes))
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Serialized, the first pull downloads and the 99 after it each cost a round trip, but")
	fmt.Fprintln(w, "they come faster than the throttle refills: refused pulls are ErrImagePull, and those")
	fmt.Fprintln(w, "pods wait out an image pull backoff (10s, then 20s, ...) before they try again.")
	fmt.Fprintln(w, "In parallel, pulls of the same layers wait for the one download in flight.")
	return nil
}

func pod(name, image string, policy pullpolicy.PullPolicy) node.Pod {
	return node.Pod{Name: name, Spec: node.PodSpec{Containers: []node.Container{{Name: "web", Image: image, ImagePullPolicy: policy}}}}
}

func total(img registry.Image) int64 {
	var n int64
	for _, l := range img.Layers {
		n += l.Size
	}
	return n
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

func ms(d time.Duration) time.Duration { return d.Truncate(time.Millisecond) }
