package node_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// benchNode is a node on the default link with one running pod. The pull
// QPS throttle is off: back-to-back pulls would exhaust it, as they would a
// real kubelet's.
func benchNode(b *testing.B, image string, policy pullpolicy.PullPolicy) *node.Node {
	reg := registry.New()
	reg.MustPush("nginx:1.28", build("nginx 1.28.0"))
	n := node.MustNew("node-1", reg, node.WithRegistryPullQPS(0, 0))
	n.MustCreatePod(appPod("web", image, policy))
	if _, err := n.Settle(); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkEnsureImageCacheHit is IfNotPresent on a present image, with
// event recording on: the most common start.
func BenchmarkEnsureImageCacheHit(b *testing.B) {
	n := benchNode(b, "nginx:1.28", pullpolicy.PullIfNotPresent)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := n.EnsureImage("default", "web", "app"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnsureImageAlwaysCached is Always on a digest the node has: one
// registry round trip, no download.
func BenchmarkEnsureImageAlwaysCached(b *testing.B) {
	n := benchNode(b, "nginx:1.28", pullpolicy.PullAlways)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := n.EnsureImage("default", "web", "app"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRestartIfNotPresent is a full restart: status, EnsureImage, start.
func BenchmarkRestartIfNotPresent(b *testing.B) {
	n := benchNode(b, "nginx:1.28", pullpolicy.PullIfNotPresent)
	b.ReportAllocs()
	for b.Loop() {
		if err := n.RestartContainer("default", "web", "app"); err != nil {
			b.Fatal(err)
		}
	}
	if p, _ := n.Pod("default", "web"); p.Status.ContainerStatuses[0].RestartCount != b.N {
		b.Fatalf("restart count %d, want %d", p.Status.ContainerStatuses[0].RestartCount, b.N)
	}
}

// BenchmarkFleetRollout rolls 100 pods onto each of 1,000 nodes that share
// one registry and one clock, with the kubelet's default settings; the tag
// moves after the first 500 nodes. A node's pods arrive one every 200ms,
// the pace the default registryPullQPS of 5 sustains, so every pull is
// admitted: the first downloads the image and the other 99 cost a round
// trip each (the kubelet does not de-duplicate). Every pod must be running
// at the end, the first half of the fleet on the old build and the second
// on the new.
func BenchmarkFleetRollout(b *testing.B) {
	const nodes, pods = 1000, 100
	const pace = 200 * time.Millisecond
	names := make([]string, pods)
	for i := range names {
		names[i] = fmt.Sprintf("web-%d", i)
	}
	var fleet []*node.Node
	var v1, v2 string
	b.ReportAllocs()
	for b.Loop() {
		reg := registry.New()
		v1 = reg.MustPush("web:v1", build("web v1")).String()
		clock := node.NewManualClock(node.Epoch)
		fleet = make([]*node.Node, nodes)
		for i := range fleet {
			if i == nodes/2 {
				v2 = reg.MustPush("web:v1", build("web v2")).String()
			}
			n := node.MustNew(fmt.Sprintf("node-%d", i), reg, node.WithClock(clock))
			for _, name := range names {
				if _, err := n.CreatePod(appPod(name, "web:v1", "")); err != nil {
					b.Fatal(err)
				}
				if err := n.Advance(pace); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := n.Settle(); err != nil {
				b.Fatal(err)
			}
			fleet[i] = n
		}
	}
	b.StopTimer()
	for i, n := range fleet {
		want := v1
		if i >= nodes/2 {
			want = v2
		}
		for _, p := range n.Pods() {
			if s := p.Status.ContainerStatuses[0]; s.State.Running == nil || !strings.HasSuffix(s.ImageID, want) {
				b.Fatalf("%s: pod %s: running=%v image ID %s, want %s", n.Name(), p.Name, s.State.Running != nil, s.ImageID, want)
			}
		}
	}
}
