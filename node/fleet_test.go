package node_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// fleet runs pods on nodes sharing one registry, clock and RefCache, and
// returns the nodes.
func fleet(t testing.TB, refs *pullpolicy.RefCache, nodes, pods int, images []string) []*node.Node {
	reg := registry.New()
	for _, img := range images {
		reg.MustPush(img, build(img))
	}
	clock := node.NewManualClock(node.Epoch)
	out := make([]*node.Node, nodes)
	for i := range out {
		n := node.MustNew(fmt.Sprintf("node-%d", i), reg, node.WithClock(clock), node.WithRefCache(refs))
		for j := 0; j < pods; j++ {
			n.MustCreatePod(appPod(fmt.Sprintf("p-%d", j), images[j%len(images)], ""))
		}
		if _, err := n.Settle(); err != nil {
			t.Fatal(err)
		}
		out[i] = n
	}
	return out
}

// Each distinct image string is parsed once per simulation, however many
// nodes and pods use it.
func TestParseOncePerImage(t *testing.T) {
	refs := new(pullpolicy.RefCache)
	images := []string{"web:v1", "docker.io/library/web:v1", "api:v2"}
	fleet(t, refs, 20, 30, images)
	if got := refs.Parses(); got != len(images) {
		t.Errorf("RefCache parsed %d times for %d distinct image strings, want %d", got, len(images), len(images))
	}
}

// A node's memory is proportional to its own pods and images: adding nodes
// to the fleet does not make each node bigger.
func TestMemoryPerNode(t *testing.T) {
	settled := func() int64 { return int64(liveHeap()) } // signed: garbage from earlier tests may go meanwhile
	perNode := func(nodes int) float64 {
		before := settled()
		ns := fleet(t, new(pullpolicy.RefCache), nodes, 20, []string{"web:v1", "api:v2"})
		after := settled()
		runtime.KeepAlive(ns)
		if after <= before {
			t.Fatalf("fleet of %d: heap %d bytes before, %d after: the baseline held garbage", nodes, before, after)
		}
		return float64(after-before) / float64(nodes)
	}
	small, large := perNode(20), perNode(200)
	if large > 1.5*small || large < small/1.5 {
		t.Errorf("heap per node: %.0f bytes in a fleet of 20, %.0f in a fleet of 200; want about the same", small, large)
	}
	t.Logf("heap per node (20 pods, 2 images): %.0f / %.0f bytes", small, large)
}
