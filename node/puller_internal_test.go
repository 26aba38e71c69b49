package node

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/pullsim/pullsim/imagecache"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// checkSpares fails t unless every spare job of n is unreachable and
// empty: no container waits on it, it is neither queued nor in flight,
// nobody holds it, and it keeps no pod alive.
func checkSpares(t *testing.T, step int, n *Node) {
	t.Helper()
	if len(n.puller.spare) > maxSpareJobs {
		t.Fatalf("step %d: %d spare jobs, want at most %d", step, len(n.puller.spare), maxSpareJobs)
	}
	spare := make(map[*pullJob]bool, len(n.puller.spare))
	for _, j := range n.puller.spare {
		if spare[j] {
			t.Fatalf("step %d: a job is a spare twice", step)
		}
		spare[j] = true
		if j.holds != 0 || j.ps != nil || j.c != nil || j.ref != nil || j.done || j.blocked || j.creds != nil || len(j.fetched) != 0 {
			t.Fatalf("step %d: spare job not cleared: %+v", step, j)
		}
	}
	live := func(what string, j *pullJob) {
		t.Helper()
		if j != nil && spare[j] {
			t.Fatalf("step %d: a spare job is still %s", step, what)
		}
	}
	for _, j := range n.puller.queue {
		live("queued", j)
	}
	for i := range n.puller.jobs.Len() {
		j := n.puller.jobs.At(i)
		live("in flight", j)
	}
	for _, ps := range n.workers.pods {
		for _, c := range ps.ctrs {
			live("a container's pull", c.pulling)
		}
		if ps.volumes() != nil {
			for _, v := range ps.volumes().list {
				live("an image volume's pull", v.state.pulling)
			}
		}
	}
}

// jobScenario drives one node through what a reused pull job must survive:
// serialized pulls that queue, the QPS throttle refusing pulls, EnsureImage
// joining a pull a sync started, a pod deleted while its pull runs, a sync
// blocked on an image volume's pull, a kubelet restart with pulls in flight
// and pulls that fail. After every step it checks the puller's spares. It
// returns everything the node did, as JSON.
func jobScenario(t *testing.T) string {
	t.Helper()
	reg := registry.New()
	for _, img := range []string{"web:v1", "api:v1", "data:v1"} {
		reg.MustPush(img, registry.Image{Config: img, Layers: []registry.Layer{{Content: img, Size: 20 << 20}}})
	}
	if err := reg.SetFault(registry.Fault{Scope: "api", Kind: registry.FaultServerError, Requests: 3}); err != nil {
		t.Fatal(err)
	}
	n := MustNew("node-1", reg, WithRegistryPullQPS(5, 4))
	pod := func(name, image string, policy pullpolicy.PullPolicy) Pod {
		return Pod{Name: name, Spec: PodSpec{Containers: []Container{{Name: "app", Image: image, ImagePullPolicy: policy}}}}
	}
	withVolume := pod("vol", "web:v1", pullpolicy.PullAlways)
	withVolume.Spec.Volumes = []Volume{{Name: "data", Image: &ImageVolumeSource{Reference: "data:v1", PullPolicy: pullpolicy.PullAlways}}}
	withVolume.Spec.Containers[0].VolumeMounts = []VolumeMount{{Name: "data", MountPath: "/data"}}

	var ensured []string
	steps := []func() error{
		func() error { _, err := n.CreatePod(pod("a", "web:v1", pullpolicy.PullAlways)); return err },
		func() error { _, err := n.CreatePod(pod("b", "api:v1", pullpolicy.PullAlways)); return err },
		func() error { _, err := n.CreatePod(withVolume); return err },
		func() error { _, err := n.CreatePod(pod("c", "web:v1", pullpolicy.PullAlways)); return err },
		func() error { _, err := n.CreatePod(pod("d", "web:v1", pullpolicy.PullAlways)); return err },
		func() error { return n.DeletePod("default", "a") }, // its pull is in flight
		func() error {
			// Joins the pull d's sync queued.
			ref, msg, err := n.EnsureImage("default", "d", "app")
			ensured = append(ensured, fmt.Sprintf("d: %s %q %v", ref, msg, err))
			return nil
		},
		func() error { return n.Advance(2 * time.Second) },
		func() error { _, err := n.CreatePod(pod("e", "web:v1", pullpolicy.PullAlways)); return err },
		func() error { n.RestartKubelet(); return nil },
		func() error {
			for range 6 { // back to back: the throttle refuses some
				ref, msg, err := n.EnsureImage("default", "c", "app")
				ensured = append(ensured, fmt.Sprintf("c: %s %q %v", ref, msg, err))
			}
			return nil
		},
		func() error { return n.DeletePod("default", "vol") },
		func() error { _, err := n.CreatePod(withVolume); return err },
		func() error { return n.Advance(time.Minute) },
		func() error { return n.RestartContainer("default", "d", "app") },
		func() error { return n.Advance(10 * time.Minute) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		checkSpares(t, i, n)
	}
	var out struct {
		Ensured  []string
		Events   []Event
		Pulls    []Pull
		Counters Counters
		Pods     []Pod
	}
	out.Ensured, out.Events, out.Pulls, out.Counters, out.Pods = ensured, n.Events(), n.Pulls(), n.Counters(), n.Pods()
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPullJobReuse holds the reuse of pull jobs to a run in which every
// pull has a job of its own: the same events, pulls, counters, statuses
// and EnsureImage answers, in a scenario and in the parallel fleet.
func TestPullJobReuse(t *testing.T) {
	t.Cleanup(func() { reuseJobs = true })
	for _, tc := range []struct {
		name string
		run  func(*testing.T) string
		// shows are texts the run must contain, so that it exercises what
		// could tell reuse apart.
		shows []string
	}{
		{"scenario", jobScenario, []string{"pull QPS exceeded", "Killing", "500 Internal Server Error", "Successfully pulled", "d: sha256:", "c: sha256:"}},
		{"fleet", parallelFleet, []string{"ErrImagePull", "Successfully pulled"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reuseJobs = false
			want := tc.run(t)
			for _, s := range tc.shows {
				if !strings.Contains(want, s) {
					t.Fatalf("the run never shows %q", s)
				}
			}
			reuseJobs = true
			if got := tc.run(t); got != want {
				t.Errorf("with jobs reused, the run differs:\n%s", firstDiff(got, want))
			}
		})
	}
}

// TestPullEntrySize pins the size of a kept pull, and that it holds no
// pointer for the garbage collector to scan.
func TestPullEntrySize(t *testing.T) {
	if got := unsafe.Sizeof(pullEntry{}); got != 56 {
		t.Errorf("pullEntry is %d bytes, want 56", got)
	}
	typ := reflect.TypeFor[pullEntry]()
	for i := range typ.NumField() {
		switch f := typ.Field(i); f.Type.Kind() {
		case reflect.Int, reflect.Int32, reflect.Int64:
		default:
			t.Errorf("pullEntry.%s is a %s, want an integer", f.Name, f.Type)
		}
	}
}

// zoneClock is a ManualClock read in a Location of its own, which it can
// change as it goes.
type zoneClock struct {
	*ManualClock
	loc *time.Location
}

func (c *zoneClock) Now() time.Time { return c.ManualClock.Now().In(c.loc) }

// TestPullsExact holds the kept pulls to the pulls as they happened: the
// same fields, times identical (==: instant, Location and all), whatever
// Location the node's clock reads in and when it changes, failed pulls
// and their texts included.
func TestPullsExact(t *testing.T) {
	t.Cleanup(func() { compactPulls = true })
	ny := time.FixedZone("EST", -5*3600)
	run := func(t *testing.T, loc *time.Location, switchTo *time.Location) []Pull {
		t.Helper()
		reg := registry.New()
		reg.MustPush("web:v1", registry.Image{Config: "web v1", Layers: []registry.Layer{{Content: "web", Size: 10 << 20}}})
		if err := reg.SetFault(registry.Fault{Scope: "api", Kind: registry.FaultServerError, Requests: 2}); err != nil {
			t.Fatal(err)
		}
		clock := &zoneClock{NewManualClock(Epoch), loc}
		n := MustNew("node-1", reg, WithClock(clock), WithRegistryPullQPS(0, 0))
		for i, image := range []string{"web:v1", "api:v1", "web:v1", "web:v1"} {
			if i == 2 && switchTo != nil {
				clock.loc = switchTo
			}
			p := Pod{Name: fmt.Sprintf("p-%d", i), Spec: PodSpec{Containers: []Container{{Name: "app", Image: image, ImagePullPolicy: pullpolicy.PullAlways}}}}
			if _, err := n.CreatePod(p); err != nil {
				t.Fatal(err)
			}
			if err := n.Advance(1500 * time.Millisecond); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.Advance(time.Minute); err != nil {
			t.Fatal(err)
		}
		return n.Pulls()
	}
	for i, tc := range []struct {
		loc, switchTo *time.Location
	}{
		{time.UTC, nil},
		{ny, nil},
		{time.UTC, ny}, // the later pulls are odd
		{ny, time.UTC},
	} {
		compactPulls = false
		want := run(t, tc.loc, tc.switchTo)
		compactPulls = true
		got := run(t, tc.loc, tc.switchTo)
		var failed bool
		for _, p := range want {
			failed = failed || p.Err != ""
		}
		if len(want) < 4 || !failed {
			t.Fatalf("step %d: %d pulls, failed ones %v: want at least 4, some failed", i, len(want), failed)
		}
		if len(got) != len(want) {
			t.Fatalf("step %d: %d pulls, want %d", i, len(got), len(want))
		}
		for j := range want {
			if got[j] != want[j] {
				t.Errorf("step %d: pull %d:\n got %+v\nwant %+v", i, j, got[j], want[j])
			}
		}
		// Both Locations show: the switch made odd pulls.
		for _, loc := range []*time.Location{tc.loc, tc.switchTo} {
			if loc != nil && !slices.ContainsFunc(got, func(p Pull) bool { return p.Requested.Location() == loc }) {
				t.Errorf("step %d: no pull requested in %v", i, loc)
			}
		}
	}
}

// TestPullIntentsEnded holds the pull manager's intents, whose keys stay
// at a count of 0 once their pulls end, to what a kubelet restart makes of
// them: only a pull still in flight leaves an intent that becomes a
// pulled record; ended ones leave nothing.
func TestPullIntentsEnded(t *testing.T) {
	n := alwaysOnLoadedImage(t)
	id, ok := n.images.cache.ID("docker.io/library/web:v1")
	if !ok {
		t.Fatal("web:v1 was not pulled")
	}
	for i, step := range []struct {
		inFlight   bool // a pull of web:v1 is in flight at the restart
		wantRecord bool // the restart leaves a pulled record of web:v1
	}{
		{inFlight: false, wantRecord: false},
		{inFlight: true, wantRecord: true},
		{inFlight: false, wantRecord: false},
	} {
		if step.inFlight {
			if err := n.RestartContainer("default", "a", "app"); err != nil {
				t.Fatal(err)
			}
			if n.puller.jobs.Len() == 0 {
				t.Fatalf("step %d: no pull in flight", i)
			}
		} else if _, err := n.Settle(); err != nil {
			t.Fatal(err)
		}
		delete(n.records.pulled, id) // as if pruned
		n.RestartKubelet()
		if got := n.records.pulled[id] != nil; got != step.wantRecord {
			t.Errorf("step %d: pulled record after the restart = %v, want %v", i, got, step.wantRecord)
		}
	}
}

// TestAlwaysCachedMemo holds the image service's memo of what the cache
// has for a resolved manifest to the cache as it is: under Always, a
// pull after the image was removed downloads it again, and one after the
// image lost a name gives it back, as without the memo.
func TestAlwaysCachedMemo(t *testing.T) {
	n := alwaysOnLoadedImage(t)
	const tag = "docker.io/library/web:v1"
	img, ok := n.Cache().Get(tag)
	if !ok || len(img.RepoDigests) != 1 {
		t.Fatalf("web:v1 not pulled with its digest name: %+v", img)
	}
	digestName := img.RepoDigests[0]
	for i, step := range []struct {
		before    func() error
		wantBytes bool // the pull downloads
	}{
		{nil, false},
		{nil, false}, // the memo is warm
		{func() error { return n.Cache().Remove(tag) }, true},
		{nil, false},
		{func() error {
			// Only the tag is left: the digest name goes with the image,
			// which comes back under the tag alone.
			img, _ := n.Cache().Get(tag)
			if err := n.Cache().Remove(tag); err != nil {
				return err
			}
			_, err := n.Cache().Add(imagecache.Entry{ID: img.ID, Manifest: img.Manifest, Blobs: img.Blobs, Names: []string{tag}})
			return err
		}, false},
		{nil, false},
	} {
		if step.before != nil {
			if err := step.before(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		pulls := len(n.Pulls())
		if _, _, err := n.EnsureImage("default", "a", "app"); err != nil {
			t.Fatalf("step %d: EnsureImage: %v", i, err)
		}
		all := n.Pulls()
		if len(all) != pulls+1 {
			t.Fatalf("step %d: %d pulls, want 1", i, len(all)-pulls)
		}
		if got := all[pulls].Bytes > 0; got != step.wantBytes {
			t.Errorf("step %d: downloaded = %v, want %v", i, got, step.wantBytes)
		}
		if img, ok := n.Cache().Get(tag); !ok || !slices.Equal(img.RepoDigests, []string{digestName}) {
			t.Errorf("step %d: after the pull, web:v1 = %+v, %v; want it with its digest name %s", i, img, ok, digestName)
		}
	}
}

// alwaysOnLoadedImage returns a node with web:v1 side-loaded and pod a
// running it under Always: the image was there for the first pull, so the
// image service's memo was made with the content present.
func alwaysOnLoadedImage(t *testing.T) *Node {
	t.Helper()
	reg := registry.New()
	web := registry.Image{Config: "web v1", Layers: []registry.Layer{{Content: "web", Size: 10 << 20}}}
	reg.MustPush("web:v1", web)
	n := MustNew("node-1", reg, WithRegistryPullQPS(0, 0))
	if _, err := n.LoadImage("web:v1", web); err != nil {
		t.Fatal(err)
	}
	if _, err := n.CreatePod(Pod{Name: "a", Spec: PodSpec{Containers: []Container{{Name: "app", Image: "web:v1", ImagePullPolicy: pullpolicy.PullAlways}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Settle(); err != nil {
		t.Fatal(err)
	}
	return n
}
