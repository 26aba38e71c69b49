// Command backoff shows, on virtual time, how the kubelet retries an image
// pull while a registry is down: ErrImagePull, then ImagePullBackOff with
// windows of 10s doubling up to 5m, until the registry answers again.
//
//	go run ./examples/backoff
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "backoff:", err)
		os.Exit(1)
	}
}

const (
	image  = "nginx:1.28"
	outage = 4 * time.Minute
)

func run(w io.Writer) error {
	reg := registry.New()
	reg.MustPush(image, registry.Image{Config: "nginx 1.28.0", Layers: []registry.Layer{{Content: "nginx rootfs", Size: 70 << 20}}})
	if err := reg.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultTimeout}); err != nil {
		return err
	}
	n := node.MustNew("node-1", reg)
	clock := n.Clock()

	fmt.Fprintf(w, "docker.io times out from 0s until %v. Pod web (image %s) is created at 0s.\n", outage, image)
	fmt.Fprintf(w, "The kubelet syncs a failing pod every %v; a failed pull opens a backoff window\n", node.DefaultResyncInterval)
	fmt.Fprintf(w, "of %v that doubles with each failure, up to %v. A request to a host that does not\n", node.DefaultImageBackOff, node.DefaultMaxImageBackOff)
	fmt.Fprintf(w, "answer fails after the %v dial timeout, and the pod's sync waits for it: AT is when\n", registry.DefaultLink.Timeout)
	fmt.Fprintln(w, "each attempt ended. Under each attempt is its message: the container's waiting")
	fmt.Fprintln(w, "message, or, for the start, the kubelet's Pulled event.")
	fmt.Fprintln(w)

	fmt.Fprintf(w, "%9s  %-17s %-5s %s\n", "AT", "RESULT", "PULL", "BACKOFF WINDOW")
	seen := 0
	report := func() {
		for _, a := range n.Attempts("default", "web")[seen:] {
			seen++
			result, pull, window := a.Reason, "no", ""
			if result == "" {
				result = "Running"
			}
			if a.Pulled {
				pull = "yes"
			}
			if a.Reason == "ErrImagePull" {
				d, until := n.ImageBackOff("default", "web", image)
				window = fmt.Sprintf("%v, next pull from %v", d, until.Sub(node.Epoch))
			}
			line := fmt.Sprintf("%9v  %-17s %-5s %s", a.At.Sub(node.Epoch).Truncate(time.Millisecond), result, pull, window)
			fmt.Fprintln(w, strings.TrimRight(line, " "))
			msg := a.Message
			if msg == "" && a.Reason == "" {
				// A started container has no waiting message; the
				// kubelet reports the start in its Pulled event.
				for _, e := range n.PodEvents("default", "web") {
					if e.Reason == pullpolicy.EventPulled && e.At.Equal(a.At) {
						msg = "event " + e.Reason + ": " + e.Message
					}
				}
			}
			if msg != "" {
				fmt.Fprintf(w, "%11s%s\n", "", msg)
			}
		}
	}

	if _, err := n.CreatePod(node.Pod{Name: "web", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: image}}}}); err != nil {
		return err
	}
	// Advance one sync at a time so each backoff window is read as it opens.
	for clock.Now().Sub(node.Epoch) < outage {
		report()
		if err := n.Advance(node.DefaultResyncInterval); err != nil {
			return err
		}
	}
	reg.ClearFault("docker.io")
	fmt.Fprintf(w, "%9v  (docker.io answers again)\n", outage)
	for p, _ := n.Pod("default", "web"); p.Status.Phase != node.PodRunning; p, _ = n.Pod("default", "web") {
		report()
		if err := n.Advance(node.DefaultResyncInterval); err != nil {
			return err
		}
	}
	report()

	attempts := n.Attempts("default", "web")
	counts := map[string]int{}
	var order []string
	for _, e := range n.PodEvents("default", "web") {
		k := e.Type + " " + e.Reason + ": " + short(e.Message)
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	fmt.Fprintln(w, "\nEvents the kubelet emitted, by kind:")
	for _, k := range order {
		fmt.Fprintf(w, "  %3dx %s\n", counts[k], k)
	}
	c := reg.Counters()
	fmt.Fprintf(w, "\nRegistry requests: %d (%d resolves). The pod waited %v for an outage of %v:\n",
		c.Requests(), c.Resolves, attempts[len(attempts)-1].At.Sub(node.Epoch).Truncate(time.Millisecond), outage)
	fmt.Fprintln(w, "the first sync after the outage fell inside a backoff window, and backoff is per pod")
	fmt.Fprintln(w, "and image. Deleting and recreating the pod gives it a new UID and a fresh backoff.")
	return nil
}

// short keeps the part of an event message that identifies its kind.
func short(msg string) string {
	const max = 60
	if len(msg) > max {
		return msg[:max] + "..."
	}
	return msg
}
