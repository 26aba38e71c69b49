package node_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
	"github.com/stretchr/testify/require"
)

// richPod is a pod with something in every list a node stores: init and
// app containers with mounts, an image volume, pull secrets, labels,
// annotations and a grace period.
func richPod(name string) node.Pod {
	grace := int64(5)
	return node.Pod{
		Name:        name,
		Labels:      map[string]string{"app": "web"},
		Annotations: map[string]string{"note": "x"},
		Spec: node.PodSpec{
			InitContainers:                []node.Container{{Name: "setup", Image: "web:v1", VolumeMounts: []node.VolumeMount{{Name: "data", MountPath: "/data"}}}},
			Containers:                    []node.Container{{Name: "app", Image: "web:v1", VolumeMounts: []node.VolumeMount{{Name: "data", MountPath: "/data"}}}},
			Volumes:                       []node.Volume{{Name: "data", Image: &node.ImageVolumeSource{Reference: "web:v1"}}},
			ImagePullSecrets:              []string{"regcred"},
			TerminationGracePeriodSeconds: &grace,
		},
	}
}

// scribble changes everything a caller could change through p.
func scribble(p node.Pod) {
	for _, cs := range [][]node.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range cs {
			cs[i].Image, cs[i].ImagePullPolicy = "evil:1", pullpolicy.PullNever
			for j := range cs[i].VolumeMounts {
				cs[i].VolumeMounts[j].MountPath = "/evil"
			}
		}
	}
	for _, v := range p.Spec.Volumes {
		if v.Image != nil {
			v.Image.Reference, v.Image.PullPolicy = "evil:1", pullpolicy.PullNever
		}
	}
	for i := range p.Spec.ImagePullSecrets {
		p.Spec.ImagePullSecrets[i] = "evil"
	}
	if g := p.Spec.TerminationGracePeriodSeconds; g != nil {
		*g = 999
	}
	p.Labels["app"], p.Annotations["note"] = "evil", "evil"
}

// A node shares nothing with its callers: a caller's later edit of the pod
// it created, or of a pod the node returned, changes neither the node's
// pod nor the other pods of the same spec, which the node stores once.
func TestPodStorageIsolated(t *testing.T) {
	n := node.MustNew("node-1", registry.New())
	in := richPod("a")
	created := n.MustCreatePod(in)
	n.MustCreatePod(richPod("b")) // same spec: shared in the node
	// The pods as stored, in JSON: a snapshot no pointer can reach.
	snapshot := func(name string) string {
		p, ok := n.Pod("default", name)
		require.True(t, ok, name)
		b, err := json.Marshal(p)
		require.NoError(t, err)
		return string(b)
	}
	want, wantB := snapshot("a"), snapshot("b")
	b, err := json.Marshal(created)
	require.NoError(t, err)
	require.JSONEq(t, want, string(b), "CreatePod returns the pod as stored")
	require.Contains(t, want, `"imagePullPolicy":"IfNotPresent"`, "the stored pod is defaulted")
	require.Contains(t, want, `"pullPolicy":"IfNotPresent"`, "the stored volume is defaulted")
	require.Contains(t, want, `"terminationGracePeriodSeconds":5`)

	got, _ := n.Pod("default", "a")
	for step, p := range []node.Pod{in, created, got, n.Pods()[0], n.Pods()[1]} {
		scribble(p)
		require.JSONEq(t, want, snapshot("a"), "step %d: pod a changed through a caller's copy", step)
		require.JSONEq(t, wantB, snapshot("b"), "step %d: pod b changed through a caller's copy", step)
	}
	// The caller's pod kept its edits and its empty pull policies were
	// never written by defaulting.
	require.Equal(t, "evil:1", in.Spec.Containers[0].Image)
	fresh := richPod("c")
	n.MustCreatePod(fresh)
	require.Empty(t, fresh.Spec.Containers[0].ImagePullPolicy, "CreatePod defaulted the caller's container")
	require.Empty(t, fresh.Spec.Volumes[0].Image.PullPolicy, "CreatePod defaulted the caller's volume")
}

// Pods whose specs differ only in what a clone must keep apart (nil and
// empty lists, a grace period's value) are stored as they were given.
func TestPodStorageKeepsDifferences(t *testing.T) {
	n := node.MustNew("node-1", registry.New())
	grace1, grace2 := int64(1), int64(2)
	pods := []node.Pod{
		{Name: "nil", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "web:v1"}}}},
		{Name: "empty", Spec: node.PodSpec{InitContainers: []node.Container{}, Containers: []node.Container{{Name: "app", Image: "web:v1", VolumeMounts: []node.VolumeMount{}}}, ImagePullSecrets: []string{}}},
		{Name: "grace-1", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "web:v1"}}, TerminationGracePeriodSeconds: &grace1}},
		{Name: "grace-2", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "web:v1"}}, TerminationGracePeriodSeconds: &grace2}},
		{Name: "labels", Labels: map[string]string{}, Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "web:v1"}}}},
		{Name: "nil-labels", Annotations: map[string]string{"a": "b"}, Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "web:v1"}}}},
		{Name: "empty-labels", Labels: map[string]string{}, Annotations: map[string]string{"a": "b"}, Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "web:v1"}}}},
	}
	for _, p := range pods {
		n.MustCreatePod(p)
	}
	for step, p := range pods {
		got, _ := n.Pod("default", p.Name)
		if (got.Spec.InitContainers == nil) != (p.Spec.InitContainers == nil) ||
			(got.Spec.ImagePullSecrets == nil) != (p.Spec.ImagePullSecrets == nil) ||
			(got.Spec.Containers[0].VolumeMounts == nil) != (p.Spec.Containers[0].VolumeMounts == nil) ||
			(got.Labels == nil) != (p.Labels == nil) {
			t.Errorf("step %d: pod %s stored as %+v, want the nil and empty lists of %+v", step, p.Name, got, p)
		}
		if g := p.Spec.TerminationGracePeriodSeconds; g != nil && *got.Spec.TerminationGracePeriodSeconds != *g {
			t.Errorf("step %d: pod %s: grace %d, want %d", step, p.Name, *got.Spec.TerminationGracePeriodSeconds, *g)
		}
	}
}

// A container's last state carries the exited instance's ID: the current
// ID while that instance waits to be replaced, the one before once a new
// instance runs.
func TestLastStateContainerID(t *testing.T) {
	n := benchNode(t, "nginx:1.28", pullpolicy.PullIfNotPresent)
	status := func() node.ContainerStatus {
		p, _ := n.Pod("default", "web")
		return p.Status.ContainerStatuses[0]
	}
	var ids []string // the ID of each instance, by restart count
	steps := []struct {
		do       func() error
		restarts int
		lastID   int // the instance the last state is, -1 for none
	}{
		{func() error { return nil }, 0, -1},
		{func() error { return n.RestartContainer("default", "web", "app") }, 1, 0},
		{func() error { return n.RestartContainer("default", "web", "app") }, 2, 1},
		{func() error { return n.ExitContainer("default", "web", "app", 1) }, 3, 2}, // restarted at once
		{func() error { return n.ExitContainer("default", "web", "app", 1) }, 3, 3}, // waits in CrashLoopBackOff
	}
	for i, st := range steps {
		require.NoError(t, st.do(), "step %d", i)
		s := status()
		require.Equal(t, st.restarts, s.RestartCount, "step %d", i)
		require.Regexp(t, `^containerd://[0-9a-f]{64}$`, s.ContainerID, "step %d", i)
		if len(ids) == s.RestartCount {
			ids = append(ids, s.ContainerID)
		}
		require.Equal(t, ids[s.RestartCount], s.ContainerID, "step %d: the ID changed within an instance", i)
		if st.lastID < 0 {
			require.Nil(t, s.LastState.Terminated, "step %d", i)
			continue
		}
		require.NotNil(t, s.LastState.Terminated, "step %d", i)
		if got, want := s.LastState.Terminated.ContainerID, ids[st.lastID]; got != want {
			t.Errorf("step %d: last state's container ID = %s, want instance %d's %s", i, got, st.lastID, want)
		}
	}
	require.Len(t, ids, 4)
	require.NotNil(t, status().State.Waiting, "the last step's instance waits to be replaced")
	require.NotEqual(t, ids[0], ids[1])
}

// BenchmarkReplacePod is one start of a replace-all rollout on a node of
// 110 running pods: a pod is deleted and created again on another build,
// starts from the cached image, and the node moves on 200ms.
func BenchmarkReplacePod(b *testing.B) {
	reg := registry.New()
	reg.MustPush("web:v1", build("web v1"))
	reg.MustPush("web:v2", build("web v2"))
	n := node.MustNew("node-1", reg)
	for _, name := range fleetNames {
		n.MustCreatePod(appPod(name, "web:v1", ""))
	}
	if _, err := n.Settle(); err != nil {
		b.Fatal(err)
	}
	images := [2]string{"web:v2", "web:v1"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		name := fleetNames[i%fleetPods]
		if err := n.DeletePod("default", name); err != nil {
			b.Fatal(err)
		}
		if _, err := n.CreatePod(appPod(name, images[i/fleetPods%2], "")); err != nil {
			b.Fatal(err)
		}
		if err := n.Advance(fleetPace); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()
	if got := len(n.Pods()); got != fleetPods {
		b.Fatalf("%d pods, want %d", got, fleetPods)
	}
}

// After a rollout that replaced every pod, and an event TTL later, a
// node's memory is what its live pods need: the deleted pods' state and
// their expired events are gone. The figure is the whole node's heap per
// live pod (pod workers, image store, pull records, events, the node
// itself) on 20 nodes of 110 pods of one container.
func TestMemoryPerLivePod(t *testing.T) {
	const nodes, maxBytes = 20, 1000
	settled := func() int64 { return int64(liveHeap()) } // signed: garbage from earlier tests may go meanwhile
	before := settled()
	reg := registry.New()
	reg.MustPush("web:v1", build("web v1"))
	reg.MustPush("web:v2", build("web v2"))
	fleet := make([]*node.Node, nodes)
	for i := range fleet {
		n := node.MustNew(fmt.Sprintf("node-%d", i), reg)
		for _, name := range fleetNames {
			n.MustCreatePod(appPod(name, "web:v1", ""))
		}
		for _, name := range fleetNames {
			require.NoError(t, n.DeletePod("default", name))
			n.MustCreatePod(appPod(name, "web:v2", ""))
			require.NoError(t, n.Advance(fleetPace))
		}
		require.NoError(t, n.Advance(node.DefaultEventTTL+time.Second))
		require.Len(t, n.Pods(), fleetPods)
		require.Empty(t, n.Events(), "the rollout's events expired")
		fleet[i] = n
	}
	perPod := float64(settled()-before) / float64(nodes*fleetPods)
	runtime.KeepAlive(fleet)
	t.Logf("heap per live pod after a replace-all rollout: %.0f bytes", perPod)
	if perPod > maxBytes {
		t.Errorf("heap per live pod after a replace-all rollout: %.0f bytes, want at most %d", perPod, maxBytes)
	}
}

// A pod whose spec the node already stores is validated as any other: the
// same errors, in the same words, as on a node that stores nothing.
func TestStoredSpecValidation(t *testing.T) {
	used := node.MustNew("node-1", registry.New())
	used.MustCreatePod(appPod("web", "web:v1", ""))
	for step, p := range []node.Pod{
		appPod("Bad_Name", "web:v1", ""),
		appPod("", "web:v1", ""),
		{Name: "web-2", Namespace: "Bad/NS", Spec: appPod("", "web:v1", "").Spec},
		appPod("web", "web:v1", ""), // exists
		appPod("web-3", " web:v1", ""),
	} {
		fresh := node.MustNew("node-1", registry.New())
		if step == 3 {
			fresh.MustCreatePod(appPod("web", "web:v2", ""))
		}
		_, want := fresh.CreatePod(p)
		_, got := used.CreatePod(p)
		require.Error(t, want, "step %d", step)
		require.Error(t, got, "step %d", step)
		if got.Error() != want.Error() {
			t.Errorf("step %d: CreatePod(%s) = %q on a node storing its spec, want %q", step, p.Name, got, want)
		}
	}
}

// TestReplacePodAllocs holds BenchmarkReplacePod's path to its allocations:
// deleting a running pod of one container and creating it again, started
// from the cached image, costs the new pod's state (one allocation with its
// container's), its events' object reference with its UID (one more), and
// the returned pod (its spec, status, state and container ID in one
// allocation); the node's event list grows a chunk now and then.
func TestReplacePodAllocs(t *testing.T) {
	n := benchNode(t, "nginx:1.28", pullpolicy.PullIfNotPresent)
	pods := [2]node.Pod{appPod("web", "nginx:1.28", ""), appPod("web", "nginx:1.28", pullpolicy.PullIfNotPresent)}
	before := n.Counters()
	runs := 0
	allocs := testing.AllocsPerRun(200, func() {
		if err := n.DeletePod("default", "web"); err != nil {
			t.Fatal(err)
		}
		p, err := n.CreatePod(pods[runs%2])
		if err != nil || p.Status.ContainerStatuses[0].State.Running == nil {
			t.Fatalf("CreatePod: %v, status %+v; want it running", err, p.Status)
		}
		runs++
	})
	t.Logf("%.2f allocations per delete and create", allocs)
	if allocs > 3.5 {
		t.Errorf("delete and create a pod: %.1f allocations, want at most 3.5", allocs)
	}
	if got := n.Counters(); got.Pulls != before.Pulls || got.CacheHits-before.CacheHits != runs {
		t.Errorf("counters %+v after %+v: want %d cache hits and no pull", got, before, runs)
	}
}
