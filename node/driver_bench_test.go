package node_test

import (
	"errors"
	"flag"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/registry"
)

// largeFleets are fleet sizes a benchmark runs only when -bench names them,
// as in -bench 'FleetRun/nodes=65000$': 65,000 nodes is the largest
// clusters run today, and takes minutes and gigabytes; 10,000 is a step
// towards it.
var largeFleets = []int{10000, 65000}

// skipLarge skips b, a fleet of nodes nodes, when that is a large fleet
// that the -bench pattern does not name.
func skipLarge(b *testing.B, nodes int) {
	f := flag.Lookup("test.bench")
	if slices.Contains(largeFleets, nodes) && (f == nil || !strings.Contains(f.Value.String(), fmt.Sprintf("=%d", nodes))) {
		b.Skipf("%d nodes run only when -bench names them (nodes=%d)", nodes, nodes)
	}
}

// eachNode calls f on every node of fleet, on up to GOMAXPROCS goroutines,
// each node in one goroutine: a Node is not safe for concurrent use, but
// nodes may be driven side by side (the Registry and Cluster they share
// are). It returns the first error in the fleet's order.
func eachNode(fleet []*node.Node, f func(*node.Node) error) error {
	errs := make([]error, len(fleet))
	const batch = 64
	var next atomic.Int64
	work := func() {
		for lo := int(next.Add(batch)) - batch; lo < len(fleet); lo = int(next.Add(batch)) - batch {
			for i := lo; i < min(lo+batch, len(fleet)); i++ {
				errs[i] = f(fleet[i])
			}
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), (len(fleet)+batch-1)/batch) - 1 {
		wg.Go(work) // and the calling goroutine works too
	}
	work()
	wg.Wait()
	return errors.Join(errs...)
}

// memPeak samples the heap: the largest HeapInuse seen, and the memory
// obtained from the operating system at the last sample.
type memPeak struct{ heap, sys uint64 }

func (p *memPeak) sample() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	p.heap, p.sys = max(p.heap, m.HeapInuse), m.Sys
}

// BenchmarkFleetRun rolls 110 pods onto every node of a fleet (100 and
// 1,000 nodes; 10,000 and 65,000 when -bench names them) that shares one
// registry and one clock, with the kubelet's default settings, driven the
// way a scenario drives a fleet: every 200ms each node gets its next pod
// (the nodes in parallel, as independent kubelets), then node.Run moves the
// whole fleet to the next step; a last Run lets the pulls still running
// finish. The first pod of a node pulls web:v1; the pods created while
// that pull runs pull too (a round trip each), the others find the image
// present. Everything is timed, building the fleet included; ns/start is
// the time per pod started, cpu-ns/start the CPU time per pod started (on
// every thread: what a loaded machine does not distort), peak-heap-MiB the largest HeapInuse sampled
// every tenth step and at the end, sys-MiB the memory the Go runtime holds
// at the end, and live-B/pod the heap after a full collection at the end
// per pod (the events still within their TTL).
func BenchmarkFleetRun(b *testing.B) {
	for _, nodes := range append([]int{100, 1000}, largeFleets...) {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			skipLarge(b, nodes)
			var fleet []*node.Node
			var v1 string
			var mem memPeak
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				fleet = nil // let the last run's fleet go before this one grows
				reg := registry.New()
				v1 = reg.MustPush("web:v1", build("web v1")).String()
				clock := node.NewManualClock(node.Epoch)
				fleet = make([]*node.Node, nodes)
				for i := range fleet {
					fleet[i] = node.MustNew(fmt.Sprintf("node-%d", i), reg, node.WithClock(clock))
				}
				for k, name := range fleetNames {
					if err := eachNode(fleet, func(n *node.Node) error {
						_, err := n.CreatePod(appPod(name, "web:v1", ""))
						return err
					}); err != nil {
						b.Fatal(err)
					}
					if err := node.Run(node.Epoch.Add(time.Duration(k+1)*fleetPace), fleet...); err != nil {
						b.Fatal(err)
					}
					if k%10 == 9 {
						mem.sample()
					}
				}
				if err := node.Run(node.Epoch.Add(fleetPods*fleetPace+time.Minute), fleet...); err != nil {
					b.Fatal(err)
				}
				mem.sample()
			}
			b.StopTimer()
			cpu = cpuTime() - cpu
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*nodes*fleetPods), "ns/start")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*nodes*fleetPods), "cpu-ns/start")
			b.ReportMetric(float64(mem.heap)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(mem.sys)/(1<<20), "sys-MiB")
			b.ReportMetric(float64(liveHeap())/float64(nodes*fleetPods), "live-B/pod")
			checkFleet(b, fleet, func(int) string { return v1 })
		})
	}
}

// gcNode is a node running 110 pods over 10 images, all started, with the
// kubelet's default GC settings (the disk far below the threshold).
func gcNode(b *testing.B) *node.Node {
	reg := registry.New()
	n := node.MustNew("node-1", reg)
	for i, name := range fleetNames {
		image := fmt.Sprintf("app-%d:v1", i%10)
		if i < 10 {
			reg.MustPush(image, build(image))
		}
		n.MustCreatePod(appPod(name, image, ""))
	}
	if _, err := n.Settle(); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkPeriodicGC is the housekeeping every node of a fleet does every
// 5 minutes: an Advance of one ImageGCPeriod on a node of 110 running pods
// and 10 images runs one image detection and collection that finds nothing
// to free.
func BenchmarkPeriodicGC(b *testing.B) {
	n := gcNode(b)
	runs := len(n.GCRuns())
	b.ReportAllocs()
	for b.Loop() {
		if err := n.Advance(node.ImageGCPeriod); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if got := len(n.GCRuns()); got < min(node.MaxGCRuns, runs+b.N) {
		b.Fatalf("GC runs = %d, want one per Advance", got)
	}
}

// BenchmarkIdleAdvance is an hour of virtual time on that node with nothing
// to do: the driver runs only the last of the 12 collections, after
// checking that the others would find nothing to do.
func BenchmarkIdleAdvance(b *testing.B) {
	n := gcNode(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := n.Advance(time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
