package node

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// specPod is a pod that uses every list and pointer of a pod: labels,
// annotations, an init container, volumes with an image volume whose
// policy is defaulted, mounts, pull secrets and a grace period.
func specPod(name string) Pod {
	grace := int64(5)
	return Pod{
		Name:        name,
		Labels:      map[string]string{"app": "web"},
		Annotations: map[string]string{"note": "first"},
		Spec: PodSpec{
			InitContainers: []Container{{Name: "init", Image: "web:v1", ImagePullPolicy: pullpolicy.PullIfNotPresent}},
			Containers: []Container{{Name: "app", Image: "web:v1", ImagePullPolicy: pullpolicy.PullIfNotPresent,
				VolumeMounts: []VolumeMount{{Name: "data", MountPath: "/data"}}}},
			ImagePullSecrets:              []string{"regcred"},
			Volumes:                       []Volume{{Name: "data", Image: &ImageVolumeSource{Reference: "data:v1"}}, {Name: "scratch"}},
			TerminationGracePeriodSeconds: &grace,
		},
	}
}

// scribble changes everything p holds that a caller could share with the
// node: map entries, list elements, what pointers point to.
func scribble(p *Pod) {
	if p.Labels != nil {
		p.Labels["app"] = "changed"
	}
	if p.Annotations != nil {
		p.Annotations["note"] = "changed"
	}
	for _, cs := range [][]Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range cs {
			cs[i].Image, cs[i].ImagePullPolicy = "changed:v9", pullpolicy.PullNever
			for j := range cs[i].VolumeMounts {
				cs[i].VolumeMounts[j].MountPath = "/changed"
			}
		}
	}
	for i := range p.Spec.ImagePullSecrets {
		p.Spec.ImagePullSecrets[i] = "changed"
	}
	for i := range p.Spec.Volumes {
		p.Spec.Volumes[i].Name = "changed"
		if src := p.Spec.Volumes[i].Image; src != nil {
			src.Reference, src.PullPolicy = "changed:v9", pullpolicy.PullNever
		}
	}
	if g := p.Spec.TerminationGracePeriodSeconds; g != nil {
		*g = 999
	}
	for _, ss := range [][]ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for i := range ss {
			ss[i].Image = "changed"
			if w := ss[i].State.Waiting; w != nil {
				w.Reason = "changed"
			}
			if r := ss[i].State.Running; r != nil {
				r.StartedAt = time.Time{}
			}
			if tm := ss[i].State.Terminated; tm != nil {
				tm.Reason = "changed"
			}
		}
	}
}

// TestSpecsShareNothingWithCallers holds the node's interned specs and
// shared metadata to the API's promise: what a caller passed to CreatePod,
// and every pod CreatePod, Pod and Pods returned, can be changed without
// changing the node's pods, including other pods of the same spec; and
// pods of equal specs admitted differently (AlwaysPullImages switched on,
// a service account given pull secrets, another namespace) each keep
// what their own admission made.
func TestSpecsShareNothingWithCallers(t *testing.T) {
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	reg.MustPush("web:v1", memoImage("review spec web"))
	reg.MustPush("data:v1", memoImage("review spec data"))
	cluster := NewCluster()
	n := MustNew("node-1", reg, WithCluster(cluster), WithRefCache(new(pullpolicy.RefCache)))
	snapshot := func() string {
		b, err := json.Marshal(n.Pods())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	mustCreate := func(p Pod) Pod {
		t.Helper()
		out, err := n.CreatePod(p)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	in := specPod("a")
	out := mustCreate(in)
	want := snapshot()
	for i, change := range []func(){
		func() { scribble(&in) },
		func() { scribble(&out) },
		func() { p, _ := n.Pod("default", "a"); scribble(&p) },
		func() {
			for _, p := range n.Pods() {
				scribble(&p)
			}
		},
	} {
		change()
		if got := snapshot(); got != want {
			t.Fatalf("step %d: the node's pods changed:\n got %s\nwant %s", i, got, want)
		}
	}
	// b has a's spec as created; a's stays a's whatever b's callers do.
	b := mustCreate(specPod("b"))
	want = snapshot()
	scribble(&b)
	if got := snapshot(); got != want {
		t.Fatalf("b's pod changed: the node's pods changed:\n got %s\nwant %s", got, want)
	}

	// Equal specs, other admissions.
	cluster.SetAlwaysPullImages(true)
	forced := mustCreate(specPod("forced"))
	cluster.SetAlwaysPullImages(false)
	if _, err := cluster.CreateServiceAccount(ServiceAccount{Namespace: "default", Name: "default", ImagePullSecrets: []string{"sa-secret"}}); err != nil {
		t.Fatal(err)
	}
	noSecrets := specPod("sa")
	noSecrets.Spec.ImagePullSecrets = nil
	withSA := mustCreate(noSecrets)
	plain := specPod("other")
	plain.Namespace = "other"
	other := mustCreate(plain)
	for i, s := range []struct {
		name, namespace string
		policy          pullpolicy.PullPolicy
		secrets         []string
	}{
		{"a", "default", pullpolicy.PullIfNotPresent, []string{"regcred"}},
		{"b", "default", pullpolicy.PullIfNotPresent, []string{"regcred"}},
		{"forced", "default", pullpolicy.PullAlways, []string{"regcred"}},
		{"sa", "default", pullpolicy.PullIfNotPresent, []string{"sa-secret"}},
		{"other", "other", pullpolicy.PullIfNotPresent, []string{"regcred"}},
	} {
		p, ok := n.Pod(s.namespace, s.name)
		if !ok {
			t.Fatalf("step %d: pod %s/%s not found", i, s.namespace, s.name)
		}
		c, v := p.Spec.Containers[0], p.Spec.Volumes[0]
		if c.ImagePullPolicy != s.policy || p.Spec.InitContainers[0].ImagePullPolicy != s.policy || v.Image.PullPolicy != s.policy && s.policy == pullpolicy.PullAlways {
			t.Errorf("step %d: %s: policies %s, %s, volume %s; want %s", i, s.name, p.Spec.InitContainers[0].ImagePullPolicy, c.ImagePullPolicy, v.Image.PullPolicy, s.policy)
		}
		if len(p.Spec.ImagePullSecrets) != len(s.secrets) || p.Spec.ImagePullSecrets[0] != s.secrets[0] {
			t.Errorf("step %d: %s: pull secrets %q, want %q", i, s.name, p.Spec.ImagePullSecrets, s.secrets)
		}
		if g := p.Spec.TerminationGracePeriodSeconds; g == nil || *g != 5 {
			t.Errorf("step %d: %s: grace period %v, want 5", i, s.name, g)
		}
		if p.Labels["app"] != "web" || p.Annotations["note"] != "first" {
			t.Errorf("step %d: %s: labels %v, annotations %v", i, s.name, p.Labels, p.Annotations)
		}
	}
	if forced.Spec.Containers[0].ImagePullPolicy != pullpolicy.PullAlways || withSA.Spec.ImagePullSecrets[0] != "sa-secret" || other.Namespace != "other" {
		t.Errorf("CreatePod returned %v, %v, %v", forced.Spec.Containers[0].ImagePullPolicy, withSA.Spec.ImagePullSecrets, other.Namespace)
	}
}

// TestExportedStringsStay holds the strings exports build with
// unsafe.String (pod UIDs, container IDs) to strings: once handed out,
// they never change, whatever the node does next (restarts, exits,
// deletions, new pods that take the freed memory, exports of the same
// pod) and whatever the caller does to the rest of the export.
func TestExportedStringsStay(t *testing.T) {
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	img := memoImage("review export")
	img.Run.ExitAfter, img.Run.ExitCode = time.Minute, 1
	reg.MustPush("web:v1", img)
	n := MustNew("node-1", reg, WithRefCache(new(pullpolicy.RefCache)))
	one := func(name string) Pod {
		return Pod{Name: name, Spec: PodSpec{Containers: []Container{{Name: "app", Image: "web:v1"}}}}
	}
	two := Pod{Name: "two", Spec: PodSpec{Containers: []Container{{Name: "app", Image: "web:v1"}, {Name: "side", Image: "web:v1"}}}}
	type kept struct{ got, want string }
	var all []kept
	keep := func(ps ...Pod) {
		for _, p := range ps {
			all = append(all, kept{p.UID, strings.Clone(p.UID)})
			for _, s := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
				all = append(all, kept{s.ContainerID, strings.Clone(s.ContainerID)})
				if tm := s.LastState.Terminated; tm != nil {
					all = append(all, kept{tm.ContainerID, strings.Clone(tm.ContainerID)})
				}
			}
		}
		for _, e := range n.Events() {
			all = append(all, kept{e.Object.UID, strings.Clone(e.Object.UID)})
		}
	}
	keep(n.MustCreatePod(one("a")), n.MustCreatePod(two))
	for i, step := range []func() error{
		func() error { return n.Advance(30 * time.Second) },
		func() error { return n.Advance(2 * time.Minute) }, // exits, restarts: LastState
		func() error { return n.RestartContainer("default", "a", "app") },
		func() error { return n.DeletePod("default", "a") },
		func() error { return n.Advance(10 * time.Minute) },
		func() error { _, err := n.CreatePod(one("a")); return err },
		func() error { _, err := n.CreatePod(one("b")); return err },
	} {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		keep(n.Pods()...)
		for _, p := range n.Pods() {
			scribble(&p)
		}
		runtime.GC()
		for j, k := range all {
			if k.got != k.want {
				t.Fatalf("step %d: string %d handed out as %q now reads %q", i, j, k.want, k.got)
			}
		}
	}
	var ids, lasts int
	for _, p := range n.Pods() {
		for _, s := range p.Status.ContainerStatuses {
			if s.ContainerID != "" {
				ids++
			}
			if s.LastState.Terminated != nil {
				lasts++
			}
		}
	}
	if ids == 0 || lasts == 0 {
		t.Fatalf("the run shows %d container IDs and %d last states: want some of each", ids, lasts)
	}
}

// TestSpecEqualSeesEveryField holds PodSpec.equal, which decides whether a
// pod shares a stored spec (and skips the spec's validation), to every
// field of a spec and of what it holds: a spec that differs from another
// in any one field, however deep, is not equal to it, and a clone is. A
// field added to PodSpec, Container, Volume, VolumeMount or
// ImageVolumeSource without equal comparing it fails here.
func TestSpecEqualSeesEveryField(t *testing.T) {
	base := specPod("a").Spec
	base.EphemeralContainers = []Container{{Name: "debug", Image: "busybox", VolumeMounts: []VolumeMount{{Name: "data", MountPath: "/d"}}}}
	base.ServiceAccountName, base.NodeName, base.RestartPolicy = "sa", "node-1", RestartPolicyOnFailure
	if c := base.clone(); !base.equal(&c) {
		t.Fatal("a spec is not equal to its clone")
	}
	// change sets one scalar (string, bool, integer) reached from v to
	// another value; it returns the fields' path, or "" when the n-th
	// scalar is past the last.
	var change func(v reflect.Value, path string, n *int) string
	change = func(v reflect.Value, path string, n *int) string {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				if p := change(v.Field(i), path+"."+v.Type().Field(i).Name, n); p != "" {
					return p
				}
			}
		case reflect.Slice:
			for i := range v.Len() {
				if p := change(v.Index(i), fmt.Sprintf("%s[%d]", path, i), n); p != "" {
					return p
				}
			}
		case reflect.Pointer:
			if !v.IsNil() {
				return change(v.Elem(), path, n)
			}
		case reflect.String, reflect.Bool, reflect.Int64:
			if *n--; *n >= 0 {
				return ""
			}
			switch v.Kind() {
			case reflect.String:
				v.SetString(v.String() + "x")
			case reflect.Bool:
				v.SetBool(!v.Bool())
			default:
				v.SetInt(v.Int() + 1)
			}
			return path
		default:
			t.Fatalf("%s: a %s: the test does not know how to change it", path, v.Kind())
		}
		return ""
	}
	want := specJSON(t, base)
	fields := 0
	for i := 0; ; i++ {
		c := base.clone()
		n := i
		path := change(reflect.ValueOf(&c).Elem(), "spec", &n)
		if path == "" {
			break
		}
		fields++
		if base.equal(&c) || c.equal(&base) {
			t.Errorf("step %d: specs that differ in %s are equal", i, path)
		}
		if got := specJSON(t, base); got != want {
			t.Fatalf("step %d: changing a clone in %s changed the spec it was cloned from:\n got %s\nwant %s", i, path, got, want)
		}
	}
	if fields < 25 {
		t.Fatalf("changed %d fields: the spec is missing some", fields)
	}
	// Nil and empty lists differ too: the API shows them differently.
	for i, set := range []func(*PodSpec){
		func(s *PodSpec) { s.ImagePullSecrets = []string{} },
		func(s *PodSpec) { s.Volumes = []Volume{} },
		func(s *PodSpec) { s.InitContainers = []Container{} },
		func(s *PodSpec) { s.Containers[0].VolumeMounts = nil },
		func(s *PodSpec) { s.TerminationGracePeriodSeconds = nil },
	} {
		c := base.clone()
		set(&c)
		if base.equal(&c) {
			t.Errorf("step %d: a spec with a nil or empty list is equal to one without", i)
		}
	}
}

func specJSON(t *testing.T, s PodSpec) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
