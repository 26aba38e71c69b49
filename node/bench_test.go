package node_test

import (
	"errors"
	"fmt"
	"runtime"
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
func benchNode(b testing.TB, image string, policy pullpolicy.PullPolicy) *node.Node {
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
	events := n.EventCount()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := n.EnsureImage("default", "web", "app"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if got := n.EventCount() - events; got != b.N {
		b.Fatalf("events recorded = %d, want %d (one Pulled per call)", got, b.N)
	}
}

// TestEnsureImageCacheHitAllocs holds BenchmarkEnsureImageCacheHit's path
// to the target: no allocation per cache-hit EnsureImage, events
// included (the event list's chunk of 64 events, now and then, rounds
// down to 0 per call).
func TestEnsureImageCacheHitAllocs(t *testing.T) {
	n := benchNode(t, "nginx:1.28", pullpolicy.PullIfNotPresent)
	before, events := n.Counters(), n.EventCount()
	const runs = 100
	allocs := testing.AllocsPerRun(runs, func() {
		if _, _, err := n.EnsureImage("default", "web", "app"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Errorf("cache-hit EnsureImage: %.1f allocations per call, want 0", allocs)
	}
	// It measured the intended path: AllocsPerRun makes one warm-up call,
	// and every call is a cache hit that records its Pulled event.
	after := n.Counters()
	if got := after.CacheHits - before.CacheHits; got != runs+1 {
		t.Errorf("cache hits = %d, want %d", got, runs+1)
	}
	if after.Pulls != before.Pulls {
		t.Errorf("pulls = %d, want %d: a cache hit does not pull", after.Pulls, before.Pulls)
	}
	if got := n.EventCount() - events; got != runs+1 {
		t.Errorf("events recorded = %d, want %d (one Pulled per call)", got, runs+1)
	}
	if e := n.Events()[n.EventCount()-1]; e.String() != present("nginx:1.28") {
		t.Errorf("last event = %q, want %q", e, present("nginx:1.28"))
	}
}

// BenchmarkEnsureImageCacheHitAlternating is BenchmarkEnsureImageCacheHit
// on two pods of two images in turn, so that no call finds the answer of
// the call before it: the cache hit without the node's memos of the last
// pod and the last cache hit. Most of its cost is the recorder's: an event
// about another pod than the event before it stores arguments of its own.
func BenchmarkEnsureImageCacheHitAlternating(b *testing.B) {
	reg := registry.New()
	reg.MustPush("nginx:1.28", build("nginx 1.28.0"))
	reg.MustPush("redis:8.2", build("redis 8.2.0"))
	n := node.MustNew("node-1", reg, node.WithRegistryPullQPS(0, 0))
	n.MustCreatePod(appPod("web", "nginx:1.28", pullpolicy.PullIfNotPresent))
	n.MustCreatePod(appPod("cache", "redis:8.2", pullpolicy.PullIfNotPresent))
	if _, err := n.Settle(); err != nil {
		b.Fatal(err)
	}
	before := n.Counters()
	pods := [2]string{"web", "cache"}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := n.EnsureImage("default", pods[i&1], "app"); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()
	if got := n.Counters().CacheHits - before.CacheHits; got != b.N {
		b.Fatalf("cache hits = %d, want %d", got, b.N)
	}
}

// BenchmarkManualClockNow is a node's read of a shared clock, by every
// core at once.
func BenchmarkManualClockNow(b *testing.B) {
	c := node.NewManualClock(node.Epoch)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if c.Now().Before(node.Epoch) {
				b.Error("the clock went back")
			}
		}
	})
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

// BenchmarkEnsureImageNeverAbsent is Never on an image the node lacks:
// ErrImageNeverPull and its event, with no registry contact.
func BenchmarkEnsureImageNeverAbsent(b *testing.B) {
	reg := registry.New()
	n := node.MustNew("node-1", reg)
	n.MustCreatePod(appPod("web", "nginx:1.28", pullpolicy.PullNever))
	events := n.EventCount()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := n.EnsureImage("default", "web", "app"); !errors.Is(err, pullpolicy.ErrImageNeverPull) {
			b.Fatalf("EnsureImage: %v, want ErrImageNeverPull", err)
		}
	}
	b.StopTimer()
	if got := n.EventCount() - events; got != b.N {
		b.Fatalf("events recorded = %d, want %d (one ErrImageNeverPull per call)", got, b.N)
	}
	if got := reg.Counters().Requests(); got != 0 {
		b.Fatalf("registry requests = %d, want 0", got)
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

// fleetSizes are the fleets the rollout benchmarks run, so one run shows how
// the cost per start scales: 100, 1,000 and 5,000 nodes of 110 pods (the
// kubelet's default maxPods).
var fleetSizes = []int{100, 1000, 5000}

const (
	fleetPods = 110                    // pods per node, the default maxPods
	fleetPace = 200 * time.Millisecond // one pod per node every 200ms
)

// fleetNames are the pods' names on every node of a fleet benchmark.
var fleetNames = func() []string {
	names := make([]string, fleetPods)
	for i := range names {
		names[i] = fmt.Sprintf("web-%d", i)
	}
	return names
}()

// checkFleet fails b unless every pod of every node runs, with the image
// ID of want(i) on node i.
func checkFleet(b *testing.B, fleet []*node.Node, want func(i int) string) {
	b.Helper()
	for i, n := range fleet {
		pods := n.Pods()
		if len(pods) != fleetPods {
			b.Fatalf("%s: %d pods, want %d", n.Name(), len(pods), fleetPods)
		}
		for _, p := range pods {
			if s := p.Status.ContainerStatuses[0]; s.State.Running == nil || !strings.HasSuffix(s.ImageID, want(i)) {
				b.Fatalf("%s: pod %s: running=%v image ID %s, want %s", n.Name(), p.Name, s.State.Running != nil, s.ImageID, want(i))
			}
		}
	}
}

// liveHeap returns the bytes the heap holds after full collections: two,
// so that what earlier tests left behind (objects with finalizers go only
// on a second collection) is gone too.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkFleetRollout rolls 110 pods onto each node of a fleet (100,
// 1,000 and 5,000 nodes) that shares one registry and one clock, with the
// kubelet's default settings; the tag moves after the first half of the
// fleet. A node's pods arrive one every 200ms, the pace the default
// registryPullQPS of 5 sustains, so every pull is admitted: the first
// downloads the image and the pods created while it runs cost a round trip
// each (the kubelet does not de-duplicate). Every pod must be running at
// the end, the first half of the fleet on the old build and the second on
// the new. ns/start is the time per pod start, cpu-ns/start the process's
// CPU time per pod start (every thread, the garbage collector's included),
// faults/start the page faults it took per start (minorFaults: the cost of
// the heap's growth), peak-heap-MiB the largest HeapInuse sampled every
// 100 nodes.
func BenchmarkFleetRollout(b *testing.B) {
	for _, nodes := range fleetSizes {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			var fleet []*node.Node
			var v1, v2 string
			var mem memPeak
			b.ReportAllocs()
			cpu, faults := cpuTime(), minorFaults()
			for b.Loop() {
				fleet = nil // let the last run's fleet go before this one grows
				reg := registry.New()
				v1 = reg.MustPush("web:v1", build("web v1")).String()
				clock := node.NewManualClock(node.Epoch)
				fleet = make([]*node.Node, nodes)
				for i := range fleet {
					if i == nodes/2 {
						v2 = reg.MustPush("web:v1", build("web v2")).String()
					}
					n := node.MustNew(fmt.Sprintf("node-%d", i), reg, node.WithClock(clock))
					for _, name := range fleetNames {
						if _, err := n.CreatePod(appPod(name, "web:v1", "")); err != nil {
							b.Fatal(err)
						}
						if err := n.Advance(fleetPace); err != nil {
							b.Fatal(err)
						}
					}
					if _, err := n.Settle(); err != nil {
						b.Fatal(err)
					}
					fleet[i] = n
					if i%100 == 99 {
						mem.sample()
					}
				}
				mem.sample()
			}
			b.StopTimer()
			cpu, faults = cpuTime()-cpu, minorFaults()-faults
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*nodes*fleetPods), "ns/start")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*nodes*fleetPods), "cpu-ns/start")
			b.ReportMetric(float64(faults)/float64(b.N*nodes*fleetPods), "faults/start")
			b.ReportMetric(float64(mem.heap)/(1<<20), "peak-heap-MiB")
			checkFleet(b, fleet, func(i int) string {
				if i >= nodes/2 {
					return v2
				}
				return v1
			})
		})
	}
}

// BenchmarkFleetReplaceAll replaces every pod of a running fleet (100,
// 1,000 and 5,000 nodes of 110 pods on web:v1, default settings): each pod
// is deleted and created again on web:v2, one every 200ms. Every node has
// a clock of its own, so that all of them replace their pods in the same
// 22 virtual seconds, as a fleet does: with one clock driven node by node,
// node i would first catch up on 22s×i of the kubelet's periodic work
// (image GC every 5 minutes), and the cost per start would grow with the
// fleet for that reason alone. Only the replacement is timed; ns/start is
// its cost per pod replaced (the delete, the create and the start),
// cpu-ns/start the process's CPU time for it and faults/start its page
// faults. At b.N 1, as the largest fleet runs, the replacement touches
// memory for the first time, which the smaller fleets' later iterations
// reuse: compare sizes at one -benchtime, such as 3x.
// live-B/pod is the heap after the rollout per live pod, the deleted pods'
// events still within the event TTL; live-B/pod-1h is the same an event
// TTL later, when those events have expired: what the live pods need.
func BenchmarkFleetReplaceAll(b *testing.B) {
	for _, nodes := range fleetSizes {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			var fleet []*node.Node
			var v2 string
			var cpu time.Duration // of the replacement alone
			var faults int64
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				fleet = nil
				reg := registry.New()
				reg.MustPush("web:v1", build("web v1"))
				fleet = make([]*node.Node, nodes)
				for i := range fleet {
					n := node.MustNew(fmt.Sprintf("node-%d", i), reg)
					for _, name := range fleetNames {
						n.MustCreatePod(appPod(name, "web:v1", ""))
					}
					if _, err := n.Settle(); err != nil {
						b.Fatal(err)
					}
					fleet[i] = n
				}
				v2 = reg.MustPush("web:v2", build("web v2")).String()
				runtime.GC() // the setup's garbage is not the rollout's
				b.StartTimer()
				start, startFaults := cpuTime(), minorFaults()
				for _, n := range fleet {
					for _, name := range fleetNames {
						if err := n.DeletePod("default", name); err != nil {
							b.Fatal(err)
						}
						if _, err := n.CreatePod(appPod(name, "web:v2", "")); err != nil {
							b.Fatal(err)
						}
						if err := n.Advance(fleetPace); err != nil {
							b.Fatal(err)
						}
					}
					if _, err := n.Settle(); err != nil {
						b.Fatal(err)
					}
				}
				cpu += cpuTime() - start
				faults += minorFaults() - startFaults
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*nodes*fleetPods), "ns/start")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*nodes*fleetPods), "cpu-ns/start")
			b.ReportMetric(float64(faults)/float64(b.N*nodes*fleetPods), "faults/start")
			checkFleet(b, fleet, func(int) string { return v2 })
			b.ReportMetric(float64(liveHeap())/float64(nodes*fleetPods), "live-B/pod")
			for _, n := range fleet {
				if err := n.Advance(node.DefaultEventTTL + time.Second); err != nil {
					b.Fatal(err)
				}
				n.EventCount() // catch up: the rollout's events expire
			}
			b.ReportMetric(float64(liveHeap())/float64(nodes*fleetPods), "live-B/pod-1h")
			runtime.KeepAlive(fleet)
		})
	}
}

// BenchmarkRun drives a fleet through a registry outage with node.Run: 50
// nodes sharing one clock and registry, 20 pods each, created while
// docker.io answers every request with 500 Internal Server Error. For 10
// virtual minutes every pod cycles through ErrImagePull and
// ImagePullBackOff (backoff doubling to its 300s cap);
// then the registry comes back and, 6 virtual minutes later (a full
// backoff window and a resync), every pod must be running. The pull QPS
// throttle is off, as in benchNode, so every failure is the outage's.
// (FaultUnavailable would give the waiting reason RegistryUnavailable
// instead of ErrImagePull.) Run's cost grows with the fleet, not with its
// square: BenchmarkRunScaling runs this outage on 25 to 200 nodes.
func BenchmarkRun(b *testing.B) {
	const nodes, pods = 50, 20
	const outage, recovery = 10 * time.Minute, 6 * time.Minute
	images := []string{"web:v1", "api:v1"}
	var fleet []*node.Node
	b.ReportAllocs()
	for b.Loop() {
		reg := registry.New()
		for _, img := range images {
			reg.MustPush(img, build(img))
		}
		if err := reg.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultServerError}); err != nil {
			b.Fatal(err)
		}
		clock := node.NewManualClock(node.Epoch)
		fleet = make([]*node.Node, nodes)
		for i := range fleet {
			n := node.MustNew(fmt.Sprintf("node-%d", i), reg, node.WithClock(clock), node.WithRegistryPullQPS(0, 0))
			for j := range pods {
				if _, err := n.CreatePod(appPod(fmt.Sprintf("p-%d", j), images[j%len(images)], "")); err != nil {
					b.Fatal(err)
				}
			}
			fleet[i] = n
		}
		if err := node.Run(node.Epoch.Add(outage), fleet...); err != nil {
			b.Fatal(err)
		}
		if !reg.ClearFault("docker.io") {
			b.Fatal("the outage fault was not set")
		}
		if err := node.Run(node.Epoch.Add(outage+recovery), fleet...); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	failed := func(image string) string {
		return fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: pulling from host registry-1.docker.io failed with status code [manifests v1]: 500 Internal Server Error", "docker.io/library/"+image, "docker.io/library/"+image)
	}
	for _, n := range fleet {
		for _, p := range n.Pods() {
			s := p.Status.ContainerStatuses[0]
			if s.State.Running == nil {
				b.Fatalf("%s: pod %s not running after the outage: %+v", n.Name(), p.Name, s.State)
			}
			if started := s.State.Running.StartedAt; started.Before(node.Epoch.Add(outage)) {
				b.Fatalf("%s: pod %s started at %v, during the outage", n.Name(), p.Name, started.Sub(node.Epoch))
			}
			var pullErrs, backOffs int
			for _, a := range n.Attempts(p.Namespace, p.Name) {
				switch {
				case a.Reason == "ErrImagePull" && a.Message == failed(p.Spec.Containers[0].Image):
					pullErrs++
				case a.Reason == "ImagePullBackOff":
					backOffs++
				case a.Reason == "":
				default:
					b.Fatalf("%s: pod %s: attempt %+v, want only the outage's failures", n.Name(), p.Name, a)
				}
			}
			if pullErrs == 0 || backOffs == 0 {
				b.Fatalf("%s: pod %s: %d ErrImagePull and %d ImagePullBackOff attempts, want both", n.Name(), p.Name, pullErrs, backOffs)
			}
		}
	}
}

// TestEnsureImageAlwaysCachedAllocs holds BenchmarkEnsureImageAlwaysCached's
// path to the target: at most 2 allocations per Always start on a
// cached image (one registry round trip, no download), the Pulled event
// included. The pull jobs, the puller's queue and the pulled image's names
// are reused from one pull to the next.
func TestEnsureImageAlwaysCachedAllocs(t *testing.T) {
	reg := registry.New()
	reg.MustPush("nginx:1.28", build("nginx 1.28.0"))
	n := node.MustNew("node-1", reg, node.WithRegistryPullQPS(0, 0)) // as benchNode
	n.MustCreatePod(appPod("web", "nginx:1.28", pullpolicy.PullAlways))
	if _, err := n.Settle(); err != nil {
		t.Fatal(err)
	}
	before, resolves, pulls := n.Counters(), reg.Counters().Resolves, len(n.Pulls())
	const runs = 100
	allocs := testing.AllocsPerRun(runs, func() {
		if _, _, err := n.EnsureImage("default", "web", "app"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Errorf("Always on a cached image: %.1f allocations per call, want at most 2", allocs)
	}
	// It measured the intended path: AllocsPerRun makes one warm-up call,
	// and every call is one resolve and one pull that downloads nothing.
	after := n.Counters()
	if got := after.Pulls - before.Pulls; got != runs+1 {
		t.Errorf("pulls = %d, want %d", got, runs+1)
	}
	if got := reg.Counters().Resolves - resolves; got != runs+1 {
		t.Errorf("registry resolves = %d, want %d", got, runs+1)
	}
	if after.BytesPulled != before.BytesPulled {
		t.Errorf("bytes pulled = %d, want %d: the image is cached", after.BytesPulled, before.BytesPulled)
	}
	all := n.Pulls()
	if got := len(all) - pulls; got != runs+1 {
		t.Fatalf("Pulls() grew by %d, want %d: every pull is listed", got, runs+1)
	}
	for i, p := range all[pulls:] {
		if p.Pod != "web" || p.Container != "app" || p.Image != "nginx:1.28" || p.Requests != 1 || p.Bytes != 0 || p.Err != "" {
			t.Fatalf("pull %d: %+v, want one request for web/app's nginx:1.28, no bytes, no error", i, p)
		}
	}
}

// returnedPod is what CreatePod allocates for the Pod it returns when the
// pod's one container runs: the spec's container, its status, the running
// state and the container ID, in one block.
type returnedPod struct {
	ctr     [1]node.Container
	status  [1]node.ContainerStatus
	running node.ContainerStateRunning
	id      [len("containerd://") + 64]byte
}

var (
	floorSink  *returnedPod
	floorInput node.Pod
)

// BenchmarkFleetMemoryFloor measures the machine, not pullsim: what a
// fleet rollout costs before any of a kubelet's work, the floor under
// BenchmarkFleetRollout at 5,000 nodes. Each of its 550,000 starts does
// what the rollout's loop does besides pullsim (it builds the Pod it
// creates) and what any implementation of CreatePod must: it allocates the
// Pod returned (garbage at once), writes its container ID's 64 hex digits
// (from the start's number: no hash) and keeps live bytes (0, 50, 100 or
// 800) written, as a node writes a new pod's state, plus the 24 bytes that
// hold them. 100 bytes is about the least a pod of one container and its
// events can be kept in; 800 about what a node keeps now. Compare
// cpu-ns/start with the rollout's at -benchtime 1x and each in a process
// of its own (-bench 'MemoryFloor/live=100$'), as the 5,000-node rollout
// runs: later iterations and runs reuse memory the first touched. On a
// virtual machine whose page faults cost microseconds, the bytes kept per
// pod cost more than everything else a start does.
func BenchmarkFleetMemoryFloor(b *testing.B) {
	const starts = 5000 * fleetPods
	for _, live := range []int{0, 50, 100, 800} {
		b.Run(fmt.Sprintf("live=%d", live), func(b *testing.B) {
			var keep [][]byte
			cpu, faults := cpuTime(), minorFaults()
			for b.Loop() {
				keep = make([][]byte, 0, starts)
				for i := range starts {
					floorInput = appPod(fleetNames[i%fleetPods], "web:v1", "")
					r := new(returnedPod)
					id := r.id[len("containerd://"):]
					for j := range id {
						id[j] = "0123456789abcdef"[uint(i)>>(j%16*4)&15]
					}
					floorSink = r
					state := make([]byte, live)
					for i := range state {
						state[i] = 1
					}
					keep = append(keep, state)
				}
			}
			cpu, faults = cpuTime()-cpu, minorFaults()-faults
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*starts), "cpu-ns/start")
			b.ReportMetric(float64(faults)/float64(b.N*starts), "faults/start")
			if len(keep) != starts {
				b.Fatalf("kept %d states, want %d", len(keep), starts)
			}
		})
	}
}
