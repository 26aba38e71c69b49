package node_test

import (
	"fmt"
	"testing"

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
// one registry and one clock; the tag moves after the first 500 nodes. Each
// node's 100 pods arrive at once, so the first pull is followed by 99 cheap
// ones (the kubelet does not de-duplicate), on the default link.
func BenchmarkFleetRollout(b *testing.B) {
	const nodes, pods = 1000, 100
	names := make([]string, pods)
	for i := range names {
		names[i] = fmt.Sprintf("web-%d", i)
	}
	b.ReportAllocs()
	for b.Loop() {
		reg := registry.New()
		reg.MustPush("web:v1", build("web v1"))
		clock := node.NewManualClock(node.Epoch)
		for i := 0; i < nodes; i++ {
			if i == nodes/2 {
				reg.MustPush("web:v1", build("web v2"))
			}
			n := node.MustNew(fmt.Sprintf("node-%d", i), reg, node.WithClock(clock))
			for _, name := range names {
				if _, err := n.CreatePod(appPod(name, "web:v1", "")); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := n.Settle(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
