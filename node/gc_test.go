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

// gcImage is an image of one layer of mb megabytes (plus a few hundred
// bytes of manifest and config).
func gcImage(name string, mb int64) registry.Image {
	return registry.Image{Config: name, Layers: []registry.Layer{{Content: name, Size: mb * 1_000_000}}}
}

// sharedImage is an image of a baseMB-megabyte layer every sharedImage
// shares plus an ownMB-megabyte layer of its own.
func sharedImage(name string, baseMB, ownMB int64) registry.Image {
	return registry.Image{Config: name, Layers: []registry.Layer{
		{Content: "shared base", Size: baseMB * 1_000_000},
		{Content: name, Size: ownMB * 1_000_000},
	}}
}

// gcWorld is a node with a 1 GB image filesystem on an instant link.
func gcWorld(t *testing.T, opts ...node.Option) (*registry.Registry, *node.ManualClock, *node.Node) {
	t.Helper()
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	clock := node.NewManualClock(node.Epoch)
	n, err := node.New("node-1", reg, append([]node.Option{node.WithClock(clock), node.WithImageFSCapacity(1_000_000_000)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return reg, clock, n
}

// imgSize is the size the runtime reports for gcImage(name, mb).
func imgSize(name string, mb int64) int64 {
	m, _, _ := registry.Build(gcImage(name, mb))
	return m.ImageSize()
}

// failed is the FreeDiskSpaceFailed text for a 1 GB image filesystem.
func failed(usage int, freed int64) string {
	return fmt.Sprintf("Insufficient free disk space on the node's image filesystem (%d%% of 953.7 MiB used). Failed to free sufficient space by deleting unused images (freed %d bytes). Investigate disk usage, as it could be used by active images, logs, volumes, or other data.", usage, freed)
}

// removed returns the first name of each removed image, with the reason.
func removed(r node.GCResult) string {
	var out []string
	for _, x := range r.Removed {
		out = append(out, strings.TrimPrefix(x.Names[0], "docker.io/library/")+"/"+x.Reason)
	}
	return strings.Join(out, " ")
}

func mustLoad(n *node.Node, name string, img registry.Image) {
	if _, err := n.LoadImage(name, img); err != nil {
		panic(err)
	}
}

func TestGCSteps(t *testing.T) {
	type step struct {
		at   time.Duration                        // virtual time of the step
		do   func(*registry.Registry, *node.Node) // setup before the GC, may be nil
		gc   bool                                 // run GarbageCollect at this step
		want string                               // wanted removals "name:tag/reason ...", when gc
		err  string                               // wanted GC error, when gc
	}
	load := func(name string, mb int64) func(*registry.Registry, *node.Node) {
		return func(_ *registry.Registry, n *node.Node) {
			if _, err := n.LoadImage(name, gcImage(name, mb)); err != nil {
				panic(err)
			}
		}
	}
	run := func(pod, image string) func(*registry.Registry, *node.Node) {
		return func(reg *registry.Registry, n *node.Node) {
			reg.MustPush(image, gcImage(image, 100))
			n.MustCreatePod(appPod(pod, image, pullpolicy.PullIfNotPresent))
		}
	}
	del := func(pod string) func(*registry.Registry, *node.Node) {
		return func(_ *registry.Registry, n *node.Node) { n.DeletePod("default", pod) }
	}
	for _, tc := range []struct {
		name  string
		opts  []node.Option
		steps []step
	}{
		{"below the high threshold nothing goes", nil, []step{
			{at: 0, do: load("a:1", 400)},
			{at: 0, do: load("b:1", 400)},
			{at: 10 * time.Minute, gc: true, want: ""}, // 80% < 85%
		}},
		{"at the high threshold, free down to the low one, oldest first", nil, []step{
			{at: 0, do: load("a:1", 300)},
			{at: time.Minute, do: load("b:1", 300)},
			{at: 2 * time.Minute, do: load("c:1", 300)},
			{at: 2 * time.Minute, gc: true, err: failed(91, 0)}, // every image is new: detected now
			{at: 3 * time.Minute, gc: true, err: failed(91, 0)}, // detected 1m ago: younger than imageMinimumGCAge
			{at: 4 * time.Minute, gc: true, want: "a:1/space"},  // never used: ties by first detection, then ID
		}},
		{"at the high threshold with 0 bytes to free, the first candidate still goes", []node.Option{node.WithImageFSCapacity(1_000_000_001), node.WithImageGCThresholds(85, 84)}, []step{
			// The kubelet's freeSpace removes an image before it compares
			// the bytes freed with the bytes to free. 160,000,000 bytes
			// available is 85% used (rounded down to 15% free), and
			// 1,000,000,001×16/100 − 160,000,000 is 0 bytes to free.
			{at: 0, do: load("a:1", 1)},
			{at: time.Minute, do: load("b:1", 1)},
			{at: time.Minute, gc: true, want: ""}, // detects them
			{at: 10 * time.Minute, do: func(_ *registry.Registry, n *node.Node) {
				_, used := n.ImageFS()
				if err := n.SetImageFSOtherUsage(1_000_000_001 - 160_000_000 - used); err != nil {
					panic(err)
				}
			}},
			{at: 10 * time.Minute, gc: true, want: "a:1/space"},
		}},
		{"never-used images go first, then least recently used", nil, []step{
			{at: 0, do: run("p", "used:1")},
			{at: 0, do: load("never:1", 300)},
			{at: time.Minute, do: load("other:1", 500)},
			{at: time.Minute, gc: true, err: failed(91, 0)}, // detects: used:1 in use at 1m
			{at: 2 * time.Minute, do: del("p")},
			{at: 10 * time.Minute, gc: true, want: "never:1/space"}, // 90% -> free 100 MB; never used goes first
		}},
		{"images in use, running or exited, and pinned images stay", nil, []step{
			{at: 0, do: run("p", "run:1")},
			{at: 0, do: func(_ *registry.Registry, n *node.Node) {
				load("pinned:1", 500)(nil, n)
				if err := n.PinImage("pinned:1", true); err != nil {
					panic(err)
				}
			}},
			{at: 0, do: load("free:1", 300)},
			{at: 0, gc: true, err: failed(91, 0)},                  // first detection: all new
			{at: time.Minute, do: del("p")},                        // exited and gone: run:1 was seen in use at 0s
			{at: 10 * time.Minute, gc: true, want: "free:1/space"}, // never used goes before run:1
			{at: 11 * time.Minute, do: run("q", "again:1")},
			{at: 11 * time.Minute, do: load("more:1", 250)},
			// 95% and a little (usage rounds up to 96): free 150 MB. more:1 is new; run:1 (last used at 0s) is
			// not enough; again:1 is in use and pinned:1 pinned.
			{at: 15 * time.Minute, gc: true, want: "run:1/space", err: failed(96, imgSize("run:1", 100))},
			{at: 20 * time.Minute, gc: true, want: "more:1/space"},
		}},
		{"freed bytes count each image's full size, shared layers included", nil, []step{
			// x and y share a 400 MB layer: 400+10+10+450 MB is 87% of 1 GB, so
			// about 70 MB must go. The kubelet counts x as 410 MB freed and
			// stops, although only its own 10 MB left the disk.
			{at: 0, do: func(_ *registry.Registry, n *node.Node) { mustLoad(n, "x:1", sharedImage("x:1", 400, 10)) }},
			{at: 30 * time.Second, do: func(_ *registry.Registry, n *node.Node) { mustLoad(n, "y:1", sharedImage("y:1", 400, 10)) }},
			{at: time.Minute, do: load("z:1", 450)},
			{at: time.Minute, gc: true, err: failed(88, 0)}, // detects them
			{at: 10 * time.Minute, gc: true, want: "x:1/space"},
			{at: 15 * time.Minute, gc: true, want: "y:1/space"}, // still 86%: y frees the shared layer
		}},
		{"a longer imageMinimumGCAge protects new images longer", []node.Option{node.WithImageMinimumGCAge(10 * time.Minute)}, []step{
			{at: 0, do: load("a:1", 900)},
			{at: 0, gc: true, err: failed(91, 0)},
			{at: 9 * time.Minute, gc: true, err: failed(91, 0)},
			{at: 10 * time.Minute, gc: true, want: "a:1/space"},
		}},
		{"other data on the image filesystem counts, but GC cannot free it", nil, []step{
			{at: 0, do: func(_ *registry.Registry, n *node.Node) {
				if err := n.SetImageFSOtherUsage(900_000_000); err != nil {
					panic(err)
				}
			}},
			{at: 0, do: load("a:1", 10)},
			{at: 0, gc: true, err: failed(92, 0)}, // detects a:1
			{at: 10 * time.Minute, gc: true, want: "a:1/space", err: failed(92, imgSize("a:1", 10))},
		}},
		{"the age pass keeps what was used within the maximum age", []node.Option{node.WithImageMaximumGCAge(10 * time.Minute)}, []step{
			{at: 0, do: load("old:1", 100)},
			{at: 0, do: run("p", "used:1")},
			{at: 5 * time.Minute, gc: true, want: ""}, // used:1 is seen in use at 5m
			{at: 6 * time.Minute, do: del("p")},
			{at: 11 * time.Minute, gc: true, want: "old:1/age"},  // used:1 was used 6m ago
			{at: 16 * time.Minute, gc: true, want: "used:1/age"}, // 11m ago now
		}},
		{"the age pass needs no disk pressure and skips the minimum age", []node.Option{node.WithImageMaximumGCAge(10 * time.Minute)}, []step{
			{at: 0, do: load("old:1", 100)},
			{at: 9 * time.Minute, gc: true, want: ""}, // the kubelet has not been up longer than MaxAge
			{at: 10*time.Minute + time.Second, do: load("new:1", 100)},
			{at: 11 * time.Minute, gc: true, want: "old:1/age new:1/age"}, // never used: infinitely old, even 1m after detection
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg, clock, n := gcWorld(t, tc.opts...)
			for i, s := range tc.steps {
				clock.Set(node.Epoch.Add(s.at))
				if s.do != nil {
					s.do(reg, n)
				}
				if !s.gc {
					continue
				}
				before := n.EventCount()
				r := n.GarbageCollect()
				var events []string
				for _, e := range n.EventsSince(before) {
					events = append(events, e.String())
				}
				var wantEvents []string
				if s.err != "" {
					wantEvents = []string{"Warning FreeDiskSpaceFailed " + s.err}
				}
				if strings.Join(events, "\n") != strings.Join(wantEvents, "\n") {
					t.Errorf("step %d (%v): events %q, want %q", i, s.at, events, wantEvents)
				}
				if got := removed(r); got != s.want {
					t.Errorf("step %d (%v): GarbageCollect removed %q, want %q", i, s.at, got, s.want)
				}
				got := ""
				if r.Err != nil {
					got = r.Err.Error()
				}
				if got != s.err {
					t.Errorf("step %d (%v): GarbageCollect error = %q, want %q", i, s.at, got, s.err)
				}
			}
		})
	}
}

// The periodic GC runs every 5 minutes of driven time; a failure repeated
// twice is an ImageGCFailed event; a zero capacity is InvalidDiskCapacity.
func TestPeriodicGCAndEvents(t *testing.T) {
	_, _, n := gcWorld(t, node.WithImageFSCapacity(0))
	if err := n.Advance(11 * time.Minute); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range n.Events() {
		got = append(got, fmt.Sprintf("%v %s %s %s %s", e.At.Sub(node.Epoch), e.Object.Kind, e.Type, e.Reason, e.Message))
	}
	want := []string{
		"0s Node Warning InvalidDiskCapacity invalid capacity 0 on image filesystem",
		"5m0s Node Warning InvalidDiskCapacity invalid capacity 0 on image filesystem",
		"5m0s Node Warning ImageGCFailed invalid capacity 0 on image filesystem",
		"10m0s Node Warning InvalidDiskCapacity invalid capacity 0 on image filesystem",
		"10m0s Node Warning ImageGCFailed invalid capacity 0 on image filesystem",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	if runs := len(n.GCRuns()); runs != 3 {
		t.Errorf("GC runs = %d, want 3 (0s, 5m, 10m)", runs)
	}
	// Disabled: high threshold 100 and no maximum age.
	_, _, off := gcWorld(t, node.WithImageFSCapacity(0), node.WithImageGCThresholds(100, 80))
	off.Advance(time.Hour)
	if runs := len(off.GCRuns()); runs != 0 {
		t.Errorf("GC with high=100 and no max age ran %d times, want 0", runs)
	}
}

// The kubelet remembers a failed GC in memory only: after a restart the
// first failure is not "multiple times in a row".
func TestGCFailureForgottenOnRestart(t *testing.T) {
	_, _, n := gcWorld(t, node.WithImageFSCapacity(0))
	if err := n.Advance(6 * time.Minute); err != nil { // GC fails at 0s and 5m
		t.Fatal(err)
	}
	n.RestartKubelet()
	before := n.EventCount()
	if err := n.Advance(time.Minute); err != nil { // GC runs at the restart, 6m
		t.Fatal(err)
	}
	var got []string
	for _, e := range n.EventsSince(before) {
		got = append(got, e.String())
	}
	if want := []string{"Warning InvalidDiskCapacity invalid capacity 0 on image filesystem"}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events after the restart = %q, want %q", got, want)
	}
}

// After GC an IfNotPresent pod re-pulls; a Never pod whose image went waits
// in ErrImageNeverPull; after a kubelet restart every image is new again.
func TestGCConsequences(t *testing.T) {
	reg, clock, n := gcWorld(t)
	reg.MustPush("app:1", gcImage("app:1", 450))
	mustLoad(n, "tools:1", gcImage("tools:1", 450))
	n.MustCreatePod(appPod("app", "app:1", pullpolicy.PullIfNotPresent))
	n.DeletePod("default", "app")
	clock.Step(10 * time.Minute)
	n.RestartKubelet()
	if r := n.DeleteUnusedImages(); len(r.Removed) != 0 {
		t.Errorf("eviction right after a kubelet restart removed %s; every image is new for 2m", removed(r))
	}
	clock.Step(3 * time.Minute)
	// Both were detected at the restart and never seen in use since: ties
	// go by image ID.
	if got, want := removed(n.DeleteUnusedImages()), "tools:1/eviction app:1/eviction"; got != want {
		t.Fatalf("eviction removed %q, want %q", got, want)
	}
	pulls := n.Counters().Pulls
	before := n.EventCount()
	pApp := n.MustCreatePod(appPod("app", "app:1", pullpolicy.PullIfNotPresent))
	pTools := n.MustCreatePod(appPod("tools", "tools:1", pullpolicy.PullNever))
	if s := pApp.Status.ContainerStatuses[0]; s.State.Running == nil {
		t.Errorf("app after GC: not running (%+v)", s.State)
	}
	if got := n.Counters().Pulls - pulls; got != 1 {
		t.Errorf("pulls after GC = %d, want 1: app re-pulls, tools never pulls", got)
	}
	w := pTools.Status.ContainerStatuses[0].State.Waiting
	if w == nil || w.Reason != "ErrImageNeverPull" || w.Message != `Container image "tools:1" is not present with pull policy of Never` {
		t.Errorf("tools after GC: waiting %+v, want ErrImageNeverPull", w)
	}
	var got []string
	for _, e := range n.EventsSince(before) {
		got = append(got, e.String())
	}
	want := []string{pulling("app:1"), pulled("app:1", imgSize("app:1", 450)), created, started, neverPull("tools:1"), startFailed("ErrImageNeverPull")}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events after GC =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// With image GC disabled the image manager still detects images every 5
// minutes, so the eviction manager knows how old they are.
func TestDetectionWithoutGC(t *testing.T) {
	_, _, n := gcWorld(t, node.WithImageGCThresholds(100, 80))
	mustLoad(n, "a:1", gcImage("a:1", 10))
	if err := n.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	if runs := len(n.GCRuns()); runs != 0 {
		t.Errorf("GC ran %d times with high=100 and no max age, want 0", runs)
	}
	if got, want := removed(n.DeleteUnusedImages()), "a:1/eviction"; got != want {
		t.Errorf("eviction after an hour removed %q, want %q: a:1 was detected at 0s", got, want)
	}
}

// A restarted container's previous instance stays, exited, until the next
// restart replaces it; the image it ran is in use until then.
func TestPreviousInstanceKeepsItsImage(t *testing.T) {
	reg, _, n := gcWorld(t)
	reg.MustPush("web:1", gcImage("web A", 10))
	p := n.MustCreatePod(appPod("web", "web:1", pullpolicy.PullAlways))
	first := p.Status.ContainerStatuses[0].ImageID
	step := func(i int, d time.Duration, restart bool, want string) {
		t.Helper()
		if err := n.Advance(d); err != nil {
			t.Fatal(err)
		}
		if restart {
			if err := n.RestartContainer("default", "web", "app"); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		for _, r := range n.DeleteUnusedImages().Removed {
			got = append(got, r.Names...)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("step %d: eviction removed %q, want %q", i, got, want)
		}
	}
	step(0, time.Minute, false, "")
	reg.MustPush("web:1", gcImage("web B", 10)) // the tag moves; the next start pulls B
	step(1, time.Minute, true, "")              // A ran the exited instance
	step(2, 10*time.Minute, false, "")          // detected long ago, still in use
	step(3, time.Minute, true, first)           // B replaces A as the exited instance: A goes
	step(4, time.Minute, false, "")             // B runs, and B is the exited instance
}

func TestDeleteUnusedImages(t *testing.T) {
	reg, clock, n := gcWorld(t)
	reg.MustPush("keep:1", gcImage("keep:1", 10))
	n.MustCreatePod(appPod("keep", "keep:1", ""))
	n.LoadImage("a:1", gcImage("a:1", 10))
	n.LoadImage("pin:1", gcImage("pin:1", 10))
	if err := n.PinImage("pin:1", true); err != nil {
		t.Fatal(err)
	}
	clock.Step(time.Minute)
	if r := n.DeleteUnusedImages(); len(r.Removed) != 0 {
		t.Errorf("first eviction removed %s: images are new", removed(r))
	}
	clock.Step(2 * time.Minute)
	r := n.DeleteUnusedImages()
	if got := removed(r); got != "a:1/eviction" {
		t.Errorf("eviction removed %q, want a:1 only (keep:1 in use, pin:1 pinned)", got)
	}
	if _, used := n.ImageFS(); used != r.UsageAfter || r.UsageAfter >= r.UsageBefore {
		t.Errorf("usage %d -> %d, ImageFS used %d", r.UsageBefore, r.UsageAfter, used)
	}
}

func TestGCValidation(t *testing.T) {
	reg := registry.New()
	for i, tc := range []struct {
		opts []node.Option
		want string
	}{
		{[]node.Option{node.WithImageGCThresholds(101, 80)}, "node n: invalid configuration: imageGCHighThresholdPercent (--image-gc-high-threshold) 101 must be between 0 and 100, inclusive"},
		{[]node.Option{node.WithImageGCThresholds(85, -1)}, "node n: invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) -1 must be between 0 and 100, inclusive"},
		{[]node.Option{node.WithImageGCThresholds(80, 80)}, "node n: invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) 80 must be less than imageGCHighThresholdPercent (--image-gc-high-threshold) 80"},
		{[]node.Option{node.WithImageMinimumGCAge(-time.Second)}, "node n: invalid configuration: imageMinimumGCAge -1s must not be negative"},
		{[]node.Option{node.WithImageMaximumGCAge(-time.Second)}, "node n: invalid configuration: imageMaximumGCAge -1s must not be negative"},
		{[]node.Option{node.WithImageMaximumGCAge(time.Minute)}, "node n: invalid configuration: imageMaximumGCAge 1m0s must be greater than imageMinimumGCAge 2m0s"},
		{[]node.Option{node.WithNodeStatusMaxImages(-2)}, "node n: invalid configuration: nodeStatusMaxImages (--node-status-max-images) -2 must be -1 or greater"},
		{[]node.Option{node.WithImageFSCapacity(-1)}, "node n: image filesystem capacity -1 must not be negative"},
		// Several errors come in the kubelet's order (ValidateKubeletConfiguration).
		{[]node.Option{node.WithRegistryPullQPS(-1, 10), node.WithImageGCThresholds(101, 80), node.WithMaxParallelImagePulls(0), node.WithNodeStatusMaxImages(-2)},
			"node n: [invalid configuration: imageGCHighThresholdPercent (--image-gc-high-threshold) 101 must be between 0 and 100, inclusive, " +
				"invalid configuration: nodeStatusMaxImages (--node-status-max-images) -2 must be -1 or greater, " +
				"invalid configuration: registryPullQPS (--registry-qps) -1 must not be a negative number, " +
				"invalid configuration: maxParallelImagePulls 0 must be a positive number]"},
		{[]node.Option{node.WithImageMaximumGCAge(-time.Second), node.WithFeatureGate(node.GateImageMaximumGCAge, false), node.WithKubeletVersion(node.KubeletV134)},
			"node n: [invalid configuration: ImageMaximumGCAge feature gate is required for Kubelet configuration option imageMaximumGCAge, " +
				"invalid configuration: imageMaximumGCAge -1s must not be negative]"},
		// A feature gate the kubelet cannot set is its only error.
		{[]node.Option{node.WithFeatureGate("NoSuchGate", true), node.WithImageGCThresholds(101, 80)}, "node n: unrecognized feature gate: NoSuchGate"},
	} {
		if _, err := node.New("n", reg, tc.opts...); err == nil || err.Error() != tc.want {
			t.Errorf("case %d: error = %v, want %q", i, err, tc.want)
		}
	}
}

// status.images: largest first, at most nodeStatusMaxImages, at most 5
// names each, digests before tags.
func TestStatusImages(t *testing.T) {
	_, _, n := gcWorld(t, node.WithNodeStatusMaxImages(2))
	n.LoadImage("small:1", gcImage("small", 1))
	n.LoadImage("big:1", gcImage("big", 30))
	for _, tag := range []string{"a", "b", "c", "d", "e"} {
		n.LoadImage("mid:"+tag, gcImage("mid", 20)) // one image, five tags
	}
	got := n.StatusImages()
	if len(got) != 2 || !strings.HasPrefix(got[0].Names[0], "docker.io/library/big@sha256:") || got[0].Names[1] != "docker.io/library/big:1" {
		t.Fatalf("StatusImages = %+v", got)
	}
	mid := got[1].Names
	if len(mid) != 5 || !strings.HasPrefix(mid[0], "docker.io/library/mid@sha256:") || mid[4] != "docker.io/library/mid:d" {
		t.Errorf("mid names = %q, want the digest then four tags", mid)
	}
	_, _, all := gcWorld(t, node.WithNodeStatusMaxImages(-1))
	for i := 0; i < 60; i++ {
		all.LoadImage(fmt.Sprintf("img:%d", i), gcImage(fmt.Sprintf("img %d", i), 1))
	}
	if got := len(all.StatusImages()); got != 60 {
		t.Errorf("nodeStatusMaxImages -1: %d images, want 60", got)
	}
}

// GC results are copies: a caller that changes what GarbageCollect or
// GCRuns returned, the removed images' names included, does not change the
// node's history of runs.
func TestGCResultsAreCopies(t *testing.T) {
	_, clock, n := gcWorld(t)
	mustLoad(n, "old:1", gcImage("old:1", 500))
	mustLoad(n, "old:2", gcImage("old:2", 450))
	n.GarbageCollect() // detects them
	clock.Step(10 * time.Minute)
	res := n.GarbageCollect()
	if len(res.Removed) == 0 {
		t.Fatal("GarbageCollect removed nothing: the test needs a removal")
	}
	want := removed(res)
	res.Removed[0].Names[0] = "changed by the caller"
	res.Removed[0] = node.RemovedImage{Names: []string{"changed too"}}
	runs := n.GCRuns()
	last := func() node.GCResult { r := n.GCRuns(); return r[len(r)-1] }
	if got := removed(last()); got != want {
		t.Fatalf("after changing GarbageCollect's result: GCRuns' last run removed %q, want %q", got, want)
	}
	runs[len(runs)-1].Removed[0].Names[0] = "changed through GCRuns"
	if got := removed(last()); got != want {
		t.Errorf("after changing GCRuns' result: the last run removed %q, want %q", got, want)
	}
}
