package node_test

import (
	"testing"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/registry"
)

// BenchmarkPods exports every pod of a node of 110 running pods of one
// container, as Pods does after a rollout: ns/pod is the cost of one
// exported pod (its spec, status, state and container ID).
func BenchmarkPods(b *testing.B) {
	n := fleetNode(b)
	b.ReportAllocs()
	for b.Loop() {
		if got := len(n.Pods()); got != fleetPods {
			b.Fatalf("%d pods, want %d", got, fleetPods)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*fleetPods), "ns/pod")
}

// fleetNode is a node of the fleet benchmarks once its rollout has
// settled: 110 running pods of one container on web:v1, created one
// every 200ms.
func fleetNode(tb testing.TB) *node.Node {
	tb.Helper()
	reg := registry.New()
	reg.MustPush("web:v1", build("web v1"))
	n := node.MustNew("node-1", reg)
	for _, name := range fleetNames {
		n.MustCreatePod(appPod(name, "web:v1", ""))
		if err := n.Advance(fleetPace); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := n.Settle(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestPodsAllocs holds an exported pod of one running container to one
// allocation: its spec's container, its status, its running state and its
// container ID together. Pods allocates the slice besides.
func TestPodsAllocs(t *testing.T) {
	n := fleetNode(t)
	allocs := testing.AllocsPerRun(20, func() {
		pods := n.Pods()
		if len(pods) != fleetPods {
			t.Fatalf("%d pods, want %d", len(pods), fleetPods)
		}
		for _, p := range pods {
			s := p.Status.ContainerStatuses[0]
			if s.State.Running == nil || len(s.ContainerID) != len("containerd://")+64 {
				t.Fatalf("pod %s: running=%v container ID %q, want a running container's ID", p.Name, s.State.Running != nil, s.ContainerID)
			}
		}
	})
	if want := float64(fleetPods + 1); allocs > want {
		t.Errorf("Pods of %d running pods: %.0f allocations, want at most %.0f", fleetPods, allocs, want)
	}
}
