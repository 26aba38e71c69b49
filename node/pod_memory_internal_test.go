package node

import (
	"fmt"
	"runtime"
	"testing"
	"time"
	"unsafe"
	"weak"

	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// The pod workers' state per pod is small: a pod of one container, with
// its container's state and first start attempt, fits a 352-byte size
// class (see podOfOne). A field added to podState or containerState must
// find its room, or go behind the rare pointers (podRare, containerExtra).
func TestPodStateSize(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want uintptr
	}{
		{"podState", unsafe.Sizeof(podState{}), 184},
		{"containerState", unsafe.Sizeof(containerState{}), 88},
		{"podOfOne", unsafe.Sizeof(podOfOne{}), 352},
	} {
		t.Logf("unsafe.Sizeof(%s) = %d", tc.name, tc.got)
		if tc.got > tc.want {
			t.Errorf("unsafe.Sizeof(%s) = %d, want at most %d", tc.name, tc.got, tc.want)
		}
	}
}

// Pods of one template share one stored spec and one copy of their
// metadata; a pod whose spec or labels differ gets its own.
func TestPodsShareSpec(t *testing.T) {
	n := MustNew("node-1", registry.New())
	mk := func(name, image string, labels map[string]string) *podState {
		t.Helper()
		p := Pod{Name: name, Labels: labels, Spec: PodSpec{Containers: []Container{{Name: "app", Image: image}}}}
		if _, err := n.CreatePod(p); err != nil {
			t.Fatal(err)
		}
		return n.workers.pods[podID("", name)]
	}
	app := map[string]string{"app": "web"}
	a, b := mk("a", "web:v1", app), mk("b", "web:v1", map[string]string{"app": "web"})
	c, d := mk("c", "web:v2", app), mk("d", "web:v1", map[string]string{"app": "api"})
	for i, st := range []struct {
		x, y                 *podState
		sameSpec, sameLabels bool
	}{
		{a, b, true, true},
		{a, c, false, true},
		{a, d, true, false},
	} {
		if got := st.x.spec == st.y.spec; got != st.sameSpec {
			t.Errorf("step %d: pods %s and %s share a spec: %v, want %v", i, st.x.name(), st.y.name(), got, st.sameSpec)
		}
		if got := st.x.meta == st.y.meta; got != st.sameLabels {
			t.Errorf("step %d: pods %s and %s share metadata: %v, want %v", i, st.x.name(), st.y.name(), got, st.sameLabels)
		}
	}
	if a.ctrs[0].ref == nil || a.ctrs[0].ref != b.ctrs[0].ref || a.ctrs[0].obj.FieldPath != "spec.containers{app}" {
		t.Errorf("pods a and b: image refs %p, %p and field path %q, want one parsed ref and spec.containers{app}", a.ctrs[0].ref, b.ctrs[0].ref, a.ctrs[0].obj.FieldPath)
	}
}

// Removing pods keeps the others in creation order, whichever goes.
func TestPodOrderAfterRemoval(t *testing.T) {
	n := MustNew("node-1", registry.New())
	for i := range 5 {
		n.MustCreatePod(Pod{Name: fmt.Sprintf("p%d", i), Spec: PodSpec{Containers: []Container{{Name: "app", Image: "web:v1"}}}})
	}
	for i, st := range []struct {
		remove string
		want   string
	}{
		{"p2", "p0 p1 p3 p4"}, // in the middle
		{"p0", "p1 p3 p4"},    // the first
		{"p4", "p1 p3"},       // the last
		{"p1", "p3"},
		{"p3", ""},
	} {
		if err := n.DeletePod("", st.remove); err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, p := range n.Pods() {
			got += " " + p.Name
		}
		if len(got) > 0 {
			got = got[1:]
		}
		if got != st.want || n.workers.live != len(n.Pods()) {
			t.Errorf("step %d: after deleting %s: pods %q (%d live), want %q", i, st.remove, got, n.workers.live, st.want)
		}
	}
	// A pod created after removals goes last.
	n.MustCreatePod(Pod{Name: "p9", Spec: PodSpec{Containers: []Container{{Name: "app", Image: "web:v1"}}}})
	if ps := n.Pods(); len(ps) != 1 || ps[0].Name != "p9" {
		t.Errorf("after creating p9: %v, want p9 alone", ps)
	}
}

// Nothing of a deleted pod stays in memory once its events have expired:
// neither its state nor the object references its events name, whether it
// went at once, after its containers' stop time, while its first pull
// ran, or with its container's exit due long after.
func TestDeletedPodFreed(t *testing.T) {
	reg := registry.New()
	reg.MustPush("web:v1", registry.Image{Config: "web v1"})
	reg.MustPush("slow:v1", registry.Image{Config: "slow v1", Run: registry.Run{StopAfter: 5 * time.Second}})
	reg.MustPush("big:v1", registry.Image{Config: "big v1", Layers: []registry.Layer{{Size: 1 << 30}}})
	reg.MustPush("job:v1", registry.Image{Config: "job v1", Run: registry.Run{ExitAfter: 48 * time.Hour}})
	for i, tc := range []struct {
		name, image string
		settle      bool // let the pod start before deleting it
	}{
		{"at-once", "web:v1", true},
		{"stop-time", "slow:v1", true},
		{"pulling", "big:v1", false},
		{"exit-due-later", "job:v1", true}, // its exit timer outlives it
	} {
		n := MustNew("node-1", reg)
		if _, err := n.CreatePod(Pod{Name: tc.name, Spec: PodSpec{Containers: []Container{{Name: "app", Image: tc.image, ImagePullPolicy: pullpolicy.PullIfNotPresent}}}}); err != nil {
			t.Fatal(err)
		}
		if tc.settle {
			if _, err := n.Settle(); err != nil {
				t.Fatal(err)
			}
		}
		ps := n.workers.pods[podID("", tc.name)]
		pod, obj := weak.Make(ps), weak.Make(ps.ctrs[0].obj)
		ps = nil
		if err := n.DeletePod("", tc.name); err != nil {
			t.Fatal(err)
		}
		if err := n.Advance(DefaultEventTTL + time.Hour); err != nil {
			t.Fatal(err)
		}
		if got := n.EventCount(); got == 0 || len(n.Events()) != 0 {
			t.Fatalf("step %d: %d events recorded, %d not expired; want some, all expired", i, got, len(n.Events()))
		}
		runtime.GC()
		if pod.Value() != nil {
			t.Errorf("step %d: pod %s deleted and its events expired: its state is still in memory", i, tc.name)
		}
		if obj.Value() != nil {
			t.Errorf("step %d: pod %s deleted and its events expired: its events' object reference is still in memory", i, tc.name)
		}
		runtime.KeepAlive(n)
	}
}
