package node

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// sharedImageScenario drives a node whose pulls share images within a pod
// (two containers and an image volume of one image, and a second image
// volume) through serialized, throttled pulls on a slow link: EnsureImage
// joining one container's pull while the other's queues, a kubelet
// restart with pulls in flight, a deletion mid-pull and the name taken
// again, a crash-looping container, and gaps of more than the 9 hours a
// packed event's millisecond delta holds, from start in the clock's
// Location loc. With plain set, every optimisation that has a test switch
// is off (reused jobs, packed pulls, the present and cached-content
// memos). It returns everything the node did, as JSON.
func sharedImageScenario(t *testing.T, plain bool, start time.Time, loc *time.Location) string {
	t.Helper()
	reuseJobs, compactPulls, presentMemos, cachedMemos = !plain, !plain, !plain, !plain
	t.Cleanup(func() { reuseJobs, compactPulls, presentMemos, cachedMemos = true, true, true, true })
	reg := registry.New()
	web := memoImage("review shared web")
	web.Run.ExitAfter, web.Run.ExitCode = 3*time.Hour, 2
	reg.MustPush("web:v1", web)
	reg.MustPush("data:v1", memoImage("review shared data"))
	if err := reg.SetDefaultLink(registry.Link{Latency: 2 * time.Second, Bandwidth: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	clock := &zoneClock{NewManualClock(start), loc}
	n := MustNew("node-1", reg, WithClock(clock), WithRefCache(new(pullpolicy.RefCache)),
		WithSerializeImagePulls(true), WithRegistryPullQPS(0.01, 3), WithEventTTL(30*24*time.Hour))
	shared := Pod{Name: "shared", Spec: PodSpec{
		Containers: []Container{
			{Name: "app", Image: "web:v1", ImagePullPolicy: pullpolicy.PullAlways, VolumeMounts: []VolumeMount{{Name: "data", MountPath: "/data"}, {Name: "self", MountPath: "/self"}}},
			{Name: "side", Image: "web:v1", ImagePullPolicy: pullpolicy.PullAlways},
		},
		Volumes: []Volume{
			{Name: "data", Image: &ImageVolumeSource{Reference: "data:v1", PullPolicy: pullpolicy.PullAlways}},
			{Name: "self", Image: &ImageVolumeSource{Reference: "web:v1", PullPolicy: pullpolicy.PullIfNotPresent}},
		},
	}}
	var log []string
	ensure := func(pod, c string) func() error {
		return func() error {
			ref, msg, err := n.EnsureImage("default", pod, c)
			log = append(log, fmt.Sprintf("%s/%s: %s %q %v", pod, c, ref, msg, err))
			return nil
		}
	}
	steps := []func() error{
		func() error { _, err := n.CreatePod(shared); return err },
		ensure("shared", "side"), // app's pull is queued or running
		ensure("shared", "app"),
		func() error { return n.Advance(10 * time.Hour) },
		func() error {
			_, err := n.CreatePod(Pod{Name: "single", Spec: PodSpec{Containers: []Container{{Name: "app", Image: "web:v1", ImagePullPolicy: pullpolicy.PullAlways}}}})
			return err
		},
		func() error { n.RestartKubelet(); return nil },
		ensure("single", "app"),
		func() error { return n.DeletePod("default", "shared") }, // its containers' pulls may run
		func() error { return n.Advance(time.Second) },
		func() error { return n.Advance(9*time.Hour + 17*time.Millisecond) },
		func() error { _, err := n.CreatePod(shared); return err },
		ensure("shared", "app"),
		func() error { return n.Advance(26 * time.Hour) },
		func() error { return n.RestartContainer("default", "single", "app") },
		func() error { return n.Advance(11 * time.Hour) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if !plain {
			checkSpares(t, i, n)
		}
	}
	if !plain && (len(n.puller.odd) > 0 || len(n.events.odd) > 0 || n.puller.pulls.Len() < 4) {
		// The run is to test the packed forms, not the odd ones.
		t.Fatalf("%d pulls, %d kept whole; %d events kept whole: want every one packed", n.puller.pulls.Len(), len(n.puller.odd), len(n.events.odd))
	}
	return snapshot(t, n, log)
}

// snapshot is everything a node shows, after log (what a scenario's steps
// saw), as indented JSON: two runs that must agree compare their snapshots.
func snapshot(t *testing.T, n *Node, log []string) string {
	t.Helper()
	var out struct {
		Log      []string
		Events   []Event
		Pulls    []Pull
		Counters Counters
		Pods     []Pod
		Images   []ContainerImage
	}
	out.Log, out.Events, out.Pulls, out.Counters, out.Pods, out.Images = log, n.Events(), n.Pulls(), n.Counters(), n.Pods(), n.StatusImages()
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSharedImagePullsMatchPlain holds the node with its optimisations on
// to the node with them off, in sharedImageScenario, from 2026 in UTC and
// in another Location, and from a month before the end of virtual time
// (year 9999), and before 1970.
func TestSharedImagePullsMatchPlain(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	for _, tc := range []struct {
		name  string
		start time.Time
		loc   *time.Location
	}{
		{"2026 UTC", Epoch, time.UTC},
		{"2026 EST", Epoch, est},
		{"9999", time.Date(9999, time.November, 30, 0, 0, 0, 0, time.UTC), time.UTC},
		{"1960 EST", time.Date(1960, time.June, 1, 0, 0, 0, 500, time.UTC), est}, // before 1970: negative Unix times
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := sharedImageScenario(t, true, tc.start, tc.loc)
			for _, s := range []string{"pull QPS exceeded", "shared/side: sha256:", "Killing", "Back-off restarting failed container", `"Container": "self"`, `"Container": "data"`} {
				if !strings.Contains(want, s) {
					t.Fatalf("the run never shows %q", s)
				}
			}
			if got := sharedImageScenario(t, false, tc.start, tc.loc); got != want {
				t.Errorf("with the optimisations, the run differs:\n%s", firstDiff(got, want))
			}
		})
	}
}
