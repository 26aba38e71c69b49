package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/imagecache"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// gcDay drives one node through a day of image GC in long strides, so that
// the driver may skip idle collections: pods come and go, images are
// loaded, pinned, unpinned and removed behind the kubelet's back, the tag
// moves, the disk fills and empties, the kubelet restarts. After every
// stride it notes what the node shows: events (with the count of every
// emission), images, pods, the GC's records, the images GC removed, and at
// the end what DeleteUnusedImages removes. It returns the notes as JSON and
// how many collections ran.
func gcDay(t *testing.T, opts ...Option) (string, int) {
	t.Helper()
	img := func(name string, mb int64) registry.Image {
		return registry.Image{Config: name, Layers: []registry.Layer{{Content: "base", Size: 50 << 20}, {Content: name, Size: mb << 20}}}
	}
	reg := registry.New()
	reg.MustPush("web:v1", img("web v1", 100))
	reg.MustPush("api:v1", img("api v1", 200))
	reg.MustPush("job:v1", img("job v1", 50))
	n, err := New("node-1", reg, append([]Option{WithImageFSCapacity(1 << 30)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	pod := func(name, image string, policy pullpolicy.PullPolicy) {
		t.Helper()
		if _, err := n.CreatePod(Pod{Name: name, Spec: PodSpec{Containers: []Container{{Name: "app", Image: image, ImagePullPolicy: policy}}}}); err != nil {
			t.Fatal(err)
		}
	}
	// pin pins or unpins an image unless GC has removed it.
	pin := func(name string, on bool) {
		t.Helper()
		if err := n.PinImage(name, on); err != nil && !errors.Is(err, imagecache.ErrNotFound) {
			t.Fatal(err)
		}
	}
	type record struct {
		ID                      string
		FirstDetected, LastUsed time.Time
		Size                    int64
		Pinned                  bool
	}
	type note struct {
		At        time.Time
		Events    []string
		Emitted   int
		Images    []string
		Pods      []Pod
		Records   []record
		Removed   []string
		Evictions []string `json:",omitempty"`
	}
	var notes []note
	runs, lastRun := 0, time.Time{}
	stride := func(d time.Duration) {
		t.Helper()
		if err := n.Advance(d); err != nil {
			t.Fatal(err)
		}
		nt := note{At: n.now(), Emitted: n.EventCount(), Pods: n.Pods()}
		for _, e := range n.Events() {
			nt.Events = append(nt.Events, e.At.Format(time.RFC3339)+" "+e.String())
		}
		for _, im := range n.Cache().List() {
			nt.Images = append(nt.Images, fmt.Sprintf("%s %v pinned=%v", im.ID, im.RepoTags, im.Pinned))
		}
		for id, r := range n.gc.detected {
			nt.Records = append(nt.Records, record{string(id), r.firstDetected, r.lastUsed, r.size, r.pinned})
		}
		slices.SortFunc(nt.Records, func(a, b record) int { return strings.Compare(a.ID, b.ID) })
		for _, r := range n.GCRuns() {
			if !r.At.After(lastRun) {
				continue
			}
			runs, lastRun = runs+1, r.At
			for _, x := range r.Removed {
				nt.Removed = append(nt.Removed, fmt.Sprintf("%s %s %s last used %s", r.At.Format(time.RFC3339), x.ID, x.Reason, x.LastUsed.Format(time.RFC3339)))
			}
		}
		notes = append(notes, nt)
	}
	pod("a", "web:v1", pullpolicy.PullIfNotPresent)
	pod("b", "api:v1", pullpolicy.PullIfNotPresent)
	pod("c", "job:v1", pullpolicy.PullAlways)
	if _, err := n.LoadImage("tools:1", img("tools 1", 10)); err != nil {
		t.Fatal(err)
	}
	pin("tools:1", true)
	stride(time.Hour + 17*time.Second)
	if err := n.DeletePod("default", "b"); err != nil { // api:v1 is unused from now on
		t.Fatal(err)
	}
	stride(2 * time.Hour)
	pin("tools:1", false)
	pin("api:v1", true)
	stride(37 * time.Minute)
	reg.MustPush("web:v1", img("web v2", 120)) // the tag moves
	pod("d", "web:v1", pullpolicy.PullAlways)
	stride(6 * time.Hour)
	if err := n.SetImageFSOtherUsage(900 << 20); err != nil { // the disk fills
		t.Fatal(err)
	}
	stride(time.Hour)
	if err := n.SetImageFSOtherUsage(0); err != nil {
		t.Fatal(err)
	}
	pin("api:v1", false)
	if err := n.DeletePod("default", "a"); err != nil {
		t.Fatal(err)
	}
	stride(3*time.Hour + time.Minute)
	n.RestartKubelet()
	stride(2 * time.Hour)
	if err := n.Cache().Remove("docker.io/library/job:v1"); err != nil { // behind the kubelet's back
		t.Fatal(err)
	}
	if _, err := n.LoadImage("tools:2", img("tools 2", 10)); err != nil {
		t.Fatal(err)
	}
	stride(4*time.Hour + 3*time.Second)
	for _, x := range n.DeleteUnusedImages().Removed {
		notes[len(notes)-1].Evictions = append(notes[len(notes)-1].Evictions, string(x.ID)+" "+x.Reason)
	}
	b, err := json.MarshalIndent(notes, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b), runs
}

// TestIdleGCSkipIsExact holds the driver's skip of idle collections to the
// run that collects every ImageGCPeriod: the same events, images, pods, GC
// records and removals, under every GC setting that changes what idle
// means. Only the number of collections differs, and it must: the skip
// has to happen for the test to test it.
func TestIdleGCSkipIsExact(t *testing.T) {
	defer func() { skipIdleGC = true }()
	for i, s := range []struct {
		name    string
		opts    []Option
		skips   bool // some collection is skipped (GCRuns lists collections only when GC is on)
		removes bool // GC removes some image during the day
	}{
		{"defaults", nil, true, true},
		{"maximum age", []Option{WithImageMaximumGCAge(20 * time.Minute)}, true, true},
		{"maximum age, no minimum", []Option{WithImageMaximumGCAge(time.Hour), WithImageMinimumGCAge(0)}, true, true},
		{"disk nearly full", []Option{WithImageFSCapacity(450 << 20)}, true, true},
		{"GC off", []Option{WithImageGCThresholds(100, 80)}, false, false},
		{"no capacity", []Option{WithImageFSCapacity(0)}, false, false}, // every collection fails
		{"always above the threshold", []Option{WithImageGCThresholds(1, 0)}, false, true},
	} {
		skipIdleGC = false
		want, every := gcDay(t, s.opts...)
		skipIdleGC = true
		got, ran := gcDay(t, s.opts...)
		if got != want {
			t.Errorf("step %d (%s): the run that skips idle collections differs from the one that runs them all:\n%s", i, s.name, firstDiff(got, want))
		}
		if skipped := ran < every; skipped != s.skips {
			t.Errorf("step %d (%s): %d collections with the skip, %d without; want skipped=%v", i, s.name, ran, every, s.skips)
		}
		if removes := strings.Contains(want, `"Removed": [`); removes != s.removes {
			t.Errorf("step %d (%s): GC removed images: %v, want %v", i, s.name, removes, s.removes)
		}
	}
}

// referenceDetect is detectImages as the kubelet's detectImages reads:
// list the runtime's images; each is detected now if new, used now if in
// use, and its size and pin refreshed; records of images not listed go.
func referenceDetect(records map[string]imageRecord, images []imagecache.Image, used map[digest.Digest]bool, now time.Time) {
	current := map[string]bool{}
	for _, img := range images {
		current[string(img.ID)] = true
		r, ok := records[string(img.ID)]
		if !ok {
			r = imageRecord{firstDetected: now}
		}
		if used[img.ID] {
			r.lastUsed = now
		}
		r.size, r.pinned = img.Size, img.Pinned
		records[string(img.ID)] = r
	}
	for id := range records {
		if !current[id] {
			delete(records, id)
		}
	}
}

// TestDetectImages holds the GC manager's detection, which walks its
// records and lists the cache only when it holds new images, to the
// reference that lists the cache every time, step by step; and checks that
// a detection that finds nothing new, and the idle check, allocate nothing.
func TestDetectImages(t *testing.T) {
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	for _, name := range []string{"web:v1", "api:v1"} {
		reg.MustPush(name, registry.Image{Config: name, Layers: []registry.Layer{{Content: name, Size: 1 << 20}}})
	}
	n := MustNew("node-1", reg, WithImageFSCapacity(1<<30), WithImageMaximumGCAge(time.Hour))
	g, want := &n.gc, map[string]imageRecord{}
	load := func(name string) error {
		_, err := n.LoadImage(name, registry.Image{Config: name, Layers: []registry.Layer{{Content: name, Size: 3 << 20}}})
		return err
	}
	pod := func(name, image string) error {
		_, err := n.CreatePod(Pod{Name: name, Spec: PodSpec{Containers: []Container{{Name: "app", Image: image}}}})
		return err
	}
	for i, s := range []struct {
		desc string
		do   func() error
	}{
		{"nothing yet", func() error { return nil }},
		{"a pod pulls web:v1", func() error { return pod("a", "web:v1") }},
		{"tools:1 is loaded", func() error { return load("tools:1") }},
		{"nothing changes", func() error { return nil }},
		{"tools:1 is pinned behind the kubelet's back", func() error { return n.Cache().SetPinned("docker.io/library/tools:1", true) }},
		{"a pod pulls api:v1", func() error { return pod("b", "api:v1") }},
		{"tools:1 is unpinned", func() error { return n.PinImage("tools:1", false) }},
		{"pod a goes", func() error { return n.DeletePod("default", "a") }},
		{"web:v1 is removed behind the kubelet's back", func() error { return n.Cache().Remove("docker.io/library/web:v1") }},
		{"two images are loaded, one removed", func() error {
			if err := load("tools:2"); err != nil {
				return err
			}
			if err := load("tools:3"); err != nil {
				return err
			}
			return n.Cache().Remove("docker.io/library/tools:1")
		}},
		{"web:v1 comes back", func() error { return pod("c", "web:v1") }},
	} {
		if err := n.Advance(time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := s.do(); err != nil {
			t.Fatalf("step %d (%s): %v", i, s.desc, err)
		}
		now := n.now()
		used := map[digest.Digest]bool{}
		n.workers.imagesInUse(used)
		referenceDetect(want, n.Cache().List(), used, now)
		g.detectImages(now)
		got := map[string]imageRecord{}
		for id, r := range g.detected {
			got[string(id)] = *r
		}
		if !maps.Equal(got, want) {
			t.Errorf("step %d (%s): records\n\t%+v\nwant\n\t%+v", i, s.desc, got, want)
		}
		allocs := testing.AllocsPerRun(10, func() {
			g.detectImages(now)
			g.idle()
		})
		if allocs != 0 {
			t.Errorf("step %d (%s): detectImages and idle: %.0f allocations, want 0", i, s.desc, allocs)
		}
	}
}
