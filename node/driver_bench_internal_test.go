package node

import (
	"fmt"
	"testing"
	"time"

	"github.com/pullsim/pullsim/registry"
)

// BenchmarkRunScaling is BenchmarkRun's outage (20 pods a node cycling
// through ErrImagePull and ImagePullBackOff for 10 virtual minutes, then 6
// minutes to recover) on fleets of 25 to 200 nodes, in both of Run's modes:
// parallel (nodes advance side by side, each on its own timeline) and
// ordered (one goroutine, every event of the fleet in time order through
// one heap: the mode for fleets with counted faults or credential
// providers). ns/node is the cost per node: flat when Run's cost grows with
// the fleet, not with its square.
func BenchmarkRunScaling(b *testing.B) {
	for _, mode := range []string{"parallel", "ordered"} {
		for _, nodes := range []int{25, 50, 100, 200} {
			b.Run(fmt.Sprintf("mode=%s/nodes=%d", mode, nodes), func(b *testing.B) {
				parallelRun = mode == "parallel"
				defer func() { parallelRun = true }()
				b.ReportAllocs()
				for b.Loop() {
					runOutage(b, nodes)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*nodes), "ns/node")
			})
		}
	}
}

// runOutage drives nodes nodes of 20 pods through a 10-minute registry
// outage and 6 minutes of recovery with Run, and fails b unless every pod
// runs at the end.
func runOutage(b *testing.B, nodes int) {
	const pods = 20
	images := []string{"web:v1", "api:v1"}
	reg := registry.New()
	for _, img := range images {
		reg.MustPush(img, registry.Image{Config: img, Layers: []registry.Layer{{Content: "base", Size: 30 << 20}, {Content: img, Size: 5 << 20}}})
	}
	if err := reg.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultServerError}); err != nil {
		b.Fatal(err)
	}
	clock := NewManualClock(Epoch)
	fleet := make([]*Node, nodes)
	for i := range fleet {
		n := MustNew(fmt.Sprintf("node-%d", i), reg, WithClock(clock), WithRegistryPullQPS(0, 0))
		for j := range pods {
			if _, err := n.CreatePod(Pod{Name: fmt.Sprintf("p-%d", j), Spec: PodSpec{Containers: []Container{{Name: "app", Image: images[j%len(images)]}}}}); err != nil {
				b.Fatal(err)
			}
		}
		fleet[i] = n
	}
	if err := Run(Epoch.Add(10*time.Minute), fleet...); err != nil {
		b.Fatal(err)
	}
	reg.ClearFault("docker.io")
	if err := Run(Epoch.Add(16*time.Minute), fleet...); err != nil {
		b.Fatal(err)
	}
	for _, n := range fleet {
		for ps := n.workers.first; ps != nil; ps = ps.next {
			if c := ps.apps()[0]; !c.running {
				b.Fatalf("%s: pod %s not running after the outage", n.name, ps.name())
			}
		}
	}
}
