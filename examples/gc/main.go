// Command gc fills a small node's image filesystem until the kubelet's image
// garbage collector runs, and shows which images went, why, and what
// happened to the pods that needed them.
//
//	go run ./examples/gc
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pullsim/pullsim/imagecache"
	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gc:", err)
		os.Exit(1)
	}
}

func img(name string, mb int64) registry.Image {
	return registry.Image{Config: name, Layers: []registry.Layer{{Content: name, Size: mb * 1_000_000}}}
}

type sim struct {
	w     io.Writer
	n     *node.Node
	clock *node.ManualClock
	gcs   int
}

func (s *sim) at(d time.Duration) error {
	if err := s.n.RunUntil(node.Epoch.Add(d)); err != nil {
		return err
	}
	for _, g := range s.n.GCRuns()[s.gcs:] {
		s.gcs++
		if len(g.Removed) == 0 && g.Err == nil {
			continue
		}
		fmt.Fprintf(s.w, "%6v  image GC: %s -> %s used\n", g.At.Sub(node.Epoch), mb(g.UsageBefore), mb(g.UsageAfter))
		for _, r := range g.Removed {
			last := "never seen in use"
			if !r.LastUsed.IsZero() {
				last = "last seen in use at " + r.LastUsed.Sub(node.Epoch).String()
			}
			fmt.Fprintf(s.w, "          removed %s (%s, %s): %s\n", r.Names[0], mb(r.Size), r.Reason, last)
		}
		if g.Err != nil {
			fmt.Fprintf(s.w, "          Warning %s\n", g.Err)
		}
	}
	return nil
}

func (s *sim) say(d time.Duration, format string, args ...any) {
	fmt.Fprintf(s.w, "%6v  %s\n", d, fmt.Sprintf(format, args...))
}

func (s *sim) create(d time.Duration, name, image string, policy pullpolicy.PullPolicy) error {
	if err := s.at(d); err != nil {
		return err
	}
	p, err := s.n.CreatePod(node.Pod{Name: name, Spec: node.PodSpec{Containers: []node.Container{{Name: "main", Image: image, ImagePullPolicy: policy}}}})
	if err != nil {
		return err
	}
	if _, err := s.n.Settle(); err != nil {
		return err
	}
	p, _ = s.n.Pod("default", name)
	st := p.Status.ContainerStatuses[0].State
	if st.Waiting != nil {
		s.say(d, "pod %s (%s, %s): %s -- %s", name, image, policy, st.Waiting.Reason, st.Waiting.Message)
		return nil
	}
	// The image step's event: the last before the start's Created and Started.
	evs := s.n.PodEvents("default", name)
	last := evs[len(evs)-1]
	for i := len(evs) - 1; i >= 0 && (last.Reason == node.EventCreated || last.Reason == node.EventStarted); i-- {
		last = evs[i]
	}
	s.say(d, "pod %s (%s, %s): running -- %s", name, image, policy, last.Message)
	return nil
}

func (s *sim) remove(d time.Duration, name string) error {
	if err := s.at(d); err != nil {
		return err
	}
	s.say(d, "pod %s deleted", name)
	return s.n.DeletePod("default", name)
}

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/1e6) }

func run(w io.Writer) error {
	reg := registry.New()
	for name, size := range map[string]int64{"reports:v1": 250, "web:v1": 250, "batch:v1": 250} {
		reg.MustPush(name, img(name, size))
	}
	clock := node.NewManualClock(node.Epoch)
	n := node.MustNew("small-node", reg, node.WithClock(clock), node.WithImageFSCapacity(1_000_000_000))
	s := &sim{w: w, n: n, clock: clock}

	fmt.Fprintln(w, "A node with a 1 GB image filesystem and the kubelet's defaults: GC every 5m, when usage")
	fmt.Fprintln(w, "is at least 85% it frees down to 80%, sparing images newer than 2m, images in use and")
	fmt.Fprintln(w, "pinned images; least recently used go first.")
	fmt.Fprintln(w)

	if _, err := n.LoadImage("registry.k8s.io/pause:3.10", img("pause", 1)); err != nil {
		return err
	}
	if err := n.Cache().SetPinned("registry.k8s.io/pause:3.10", true); err != nil {
		return err
	}
	if _, err := n.LoadImage("tools:v1", img("tools", 150)); err != nil {
		return err
	}
	s.say(0, "side-loaded tools:v1 (150 MB, for pods with imagePullPolicy Never); pause:3.10 is pinned")
	steps := []func() error{
		func() error { return s.create(0, "report", "reports:v1", pullpolicy.PullIfNotPresent) },
		func() error { return s.create(time.Minute, "debug", "tools:v1", pullpolicy.PullNever) },
		func() error { return s.remove(2*time.Minute, "debug") },
		func() error { return s.remove(22*time.Minute, "report") },
		func() error { return s.create(30*time.Minute, "web", "web:v1", pullpolicy.PullIfNotPresent) },
		func() error { return s.create(40*time.Minute, "batch", "batch:v1", pullpolicy.PullIfNotPresent) },
		func() error { return s.at(45 * time.Minute) },
		func() error { return s.create(50*time.Minute, "debug", "tools:v1", pullpolicy.PullNever) },
		func() error { return s.create(51*time.Minute, "report", "reports:v1", pullpolicy.PullIfNotPresent) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "tools:v1 went first although it was used more recently than reports:v1: the kubelet")
	fmt.Fprintln(w, "notes which images are in use only when it looks, every 5 minutes, and the debug pod ran")
	fmt.Fprintln(w, "between two looks. To the GC it was never used. The Never pod that needs it now sits in")
	fmt.Fprintln(w, "ErrImageNeverPull until someone loads the image again: pin such images, or serve them")
	fmt.Fprintln(w, "from a registry the node can reach.")

	fmt.Fprintln(w)
	fmt.Fprintln(w, "Under disk pressure the eviction manager deletes every unused image at once:")
	if err := s.at(55 * time.Minute); err != nil {
		return err
	}
	if err := s.remove(55*time.Minute, "report"); err != nil {
		return err
	}
	if err := s.at(57 * time.Minute); err != nil {
		return err
	}
	ev := n.DeleteUnusedImages()
	for _, r := range ev.Removed {
		s.say(57*time.Minute, "evicted %s (%s)", r.Names[0], mb(r.Size))
	}
	if err := s.create(58*time.Minute, "report", "reports:v1", pullpolicy.PullIfNotPresent); err != nil {
		return err
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "crictl images:")
	var b strings.Builder
	if err := imagecache.WriteCrictlImages(&b, n.Cache().List()); err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		fmt.Fprintln(w, "  "+line)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "status.images, as the scheduler's ImageLocality plugin sees this node:")
	for _, ci := range n.StatusImages() {
		fmt.Fprintf(w, "  %9d bytes  %s\n", ci.SizeBytes, strings.Join(ci.Names, ", "))
	}
	return nil
}
