package node

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// parallelFleet drives a fleet that exercises what nodes share: one
// registry with an outage, a moved tag and a crash-looping build, one
// cluster with a pull secret, one clock; per-node settings differ. It
// returns everything the run left, as JSON: every node's events, pulls,
// counters, pods and attempts, and the registry's counters.
func parallelFleet(t *testing.T) string {
	t.Helper()
	layers := func(name string) []registry.Layer {
		return []registry.Layer{{Content: "base", Size: 30 << 20}, {Content: name, Size: 5 << 20}}
	}
	reg := registry.New()
	reg.MustPush("web:v1", registry.Image{Config: "web v1", Layers: layers("web v1")})
	reg.MustPush("api:v1", registry.Image{Config: "api v1", Layers: layers("api v1")})
	reg.MustPush("job:v1", registry.Image{Config: "job v1", Layers: layers("job v1"), Run: registry.Run{ExitAfter: 20 * time.Second, ExitCode: 1}})
	if err := reg.SetFault(registry.Fault{Scope: "api", Kind: registry.FaultServerError}); err != nil {
		t.Fatal(err)
	}
	cluster := NewCluster()
	clock := NewManualClock(Epoch)
	var fleet []*Node
	for i := range 12 {
		opts := []Option{WithClock(clock), WithCluster(cluster)}
		switch i % 4 {
		case 1:
			opts = append(opts, WithSerializeImagePulls(false), WithImageFSCapacity(100<<20))
		case 2:
			opts = append(opts, WithKubeletVersion(KubeletV134))
		case 3:
			opts = append(opts, WithRegistryPullQPS(0, 0), WithImageBackOff(5*time.Second, time.Minute))
		}
		n, err := New(fmt.Sprintf("node-%d", i), reg, opts...)
		if err != nil {
			t.Fatal(err)
		}
		for j := range 6 + i%3 {
			image, policy := []string{"web:v1", "api:v1", "job:v1"}[j%3], pullpolicy.PullIfNotPresent
			if (i+j)%4 == 0 {
				policy = pullpolicy.PullAlways
			}
			p := Pod{Name: fmt.Sprintf("p-%d", j), Spec: PodSpec{Containers: []Container{{Name: "app", Image: image, ImagePullPolicy: policy}}}}
			if _, err := n.CreatePod(p); err != nil {
				t.Fatal(err)
			}
		}
		fleet = append(fleet, n)
	}
	if parallelRun && len(independent(fleet)) != len(fleet) {
		t.Fatal("the fleet would not run in parallel")
	}
	type nodeResult struct {
		Events     []Event
		EventCount int
		Pulls      []Pull
		Counters   Counters
		Pods       []Pod
		Attempts   map[string][]Attempt
		BackOffs   map[string]string
		Latencies  map[string]time.Duration
		Images     []string
		ImageFS    [2]int64
		GCRuns     []GCResult
		Seen       time.Time
	}
	type stepResult struct {
		Nodes    []nodeResult
		Registry registry.Counters
		Clock    time.Time
	}
	var out []stepResult
	// snapshot notes what every node shows after a step: events expire
	// within the hour, so the last step alone would not show them all.
	snapshot := func() {
		var sr stepResult
		for _, n := range fleet {
			r := nodeResult{Events: n.Events(), EventCount: n.EventCount(), Pulls: n.Pulls(), Counters: n.Counters(), Pods: n.Pods(),
				Attempts: map[string][]Attempt{}, BackOffs: map[string]string{}, Latencies: map[string]time.Duration{}, GCRuns: n.GCRuns(), Seen: n.seen}
			for _, p := range r.Pods {
				r.Attempts[p.Name] = n.Attempts(p.Namespace, p.Name)
				for _, c := range p.Spec.Containers {
					window, until := n.ImageBackOff(p.Namespace, p.Name, c.Image)
					r.BackOffs[p.Name+"/"+c.Name] = fmt.Sprint(window, until)
				}
				if d, ok := n.StartupLatency(p.Namespace, p.Name); ok {
					r.Latencies[p.Name] = d
				}
			}
			for _, img := range n.Cache().List() {
				r.Images = append(r.Images, fmt.Sprint(img.ID, img.RepoTags, img.RepoDigests, img.Pinned))
			}
			r.ImageFS[0], r.ImageFS[1] = n.ImageFS()
			sr.Nodes = append(sr.Nodes, r)
		}
		sr.Registry, sr.Clock = reg.Counters(), clock.Now()
		out = append(out, sr)
	}
	// Run is given the fleet with a node listed twice, and in an order
	// that is not the fleet's: the result must not depend on either.
	listed := append([]*Node{fleet[5]}, fleet...)
	step := func(at time.Duration) {
		t.Helper()
		if err := Run(Epoch.Add(at), listed...); err != nil {
			t.Fatal(err)
		}
		snapshot()
	}
	step(3 * time.Minute)
	reg.ClearFault("api")
	reg.MustPush("web:v1", registry.Image{Config: "web v2", Layers: layers("web v2")})
	step(4 * time.Minute)
	for _, n := range fleet[:6] {
		if err := n.DeletePod("default", "p-0"); err != nil {
			t.Fatal(err)
		}
		if err := n.RestartContainer("default", "p-3", "app"); err != nil {
			t.Fatal(err)
		}
	}
	step(20 * time.Minute)
	// A long stride: collections every 5 minutes, most of them idle and
	// skipped, the crash loop still going.
	for _, n := range fleet[6:] {
		if err := n.DeletePod("default", "p-1"); err != nil {
			t.Fatal(err)
		}
	}
	step(80 * time.Minute)

	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRunParallel holds Run's parallel path to the time-ordered run: the
// same events, pulls, counters, statuses and registry requests, whatever
// GOMAXPROCS is.
func TestRunParallel(t *testing.T) {
	parallelRun = false
	want := parallelFleet(t)
	// The fleet does what could tell the runs apart.
	for _, s := range []string{"ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff", "Killing", "Successfully pulled", "already present", "Back-off restarting failed container"} {
		if !strings.Contains(want, s) {
			t.Fatalf("the fleet's run never shows %q", s)
		}
	}
	parallelRun = true
	t.Cleanup(func() { parallelRun = true })
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for i, procs := range []int{1, 2, 4, 8} {
		runtime.GOMAXPROCS(procs)
		if got := parallelFleet(t); got != want {
			t.Errorf("step %d: GOMAXPROCS=%d: the parallel run differs from the time-ordered run:\n%s", i, procs, firstDiff(got, want))
		}
	}
}

// firstDiff shows where two texts first differ.
func firstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-200)
	return fmt.Sprintf("got  ...%s\nwant ...%s", got[from:min(len(got), i+200)], want[from:min(len(want), i+200)])
}

// TestRunIndependent checks when Run may go parallel: several nodes on
// registries without counted faults and without credential providers.
func TestRunIndependent(t *testing.T) {
	reg, counted := registry.New(), registry.New()
	if err := counted.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultServerError, Requests: 2}); err != nil {
		t.Fatal(err)
	}
	a, b := MustNew("a", reg), MustNew("b", reg)
	c := MustNew("c", counted)
	p := MustNew("p", reg, WithCredentialProvider(CredentialProvider{MatchImages: []string{"docker.io"}, Credentials: func(string, string) (registry.Credential, bool) { return registry.Credential{}, false }}))
	for i, s := range []struct {
		nodes []*Node
		want  int // nodes run in parallel; 0: the time-ordered run
	}{
		{[]*Node{a, b}, 2},
		{[]*Node{a, a}, 0}, // one node
		{[]*Node{a}, 0},
		{[]*Node{a, b, a}, 2},
		{[]*Node{a, c}, 0}, // a counted fault: who meets it depends on the order
		{[]*Node{a, p}, 0}, // a credential provider is the caller's code
	} {
		if got := len(independent(s.nodes)); got != s.want {
			t.Errorf("step %d: independent = %d nodes, want %d", i, got, s.want)
		}
	}
}

// TestRunAllocs: what Run itself allocates does not grow with the fleet: a
// Run of idle nodes (nothing due but the expiry of events) costs a few
// allocations for the whole fleet, none per node, in both modes.
// (AllocsPerRun measures with GOMAXPROCS 1: one goroutine runs the nodes.)
func TestRunAllocs(t *testing.T) {
	defer func() { parallelRun = true }()
	reg, clock := registry.New(), NewManualClock(Epoch)
	for i, s := range []struct {
		parallel bool
		nodes    int
	}{
		{true, 16}, {true, 256}, {false, 16}, {false, 256},
	} {
		parallelRun = s.parallel
		fleet := make([]*Node, s.nodes)
		for j := range fleet {
			fleet[j] = MustNew(fmt.Sprintf("node-%d", j), reg, WithClock(clock))
		}
		at := clock.Now()
		allocs := testing.AllocsPerRun(20, func() {
			at = at.Add(time.Second)
			if err := Run(at, fleet...); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 24 {
			t.Errorf("step %d: Run over %d idle nodes (parallel %v): %.0f allocations, want at most 24 whatever the fleet's size", i, s.nodes, s.parallel, allocs)
		}
	}
}
