package node_test

import (
	"testing"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

func benchNode(b *testing.B, image string, policy pullpolicy.PullPolicy) *node.Node {
	reg := registry.New()
	reg.MustPush("nginx:1.28", build("nginx 1.28.0"))
	n := node.MustNew("node-1", reg)
	n.MustCreatePod(appPod("web", image, policy))
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
}
