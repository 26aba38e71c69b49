package kube_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pullsim/pullsim/internal/golden"
	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/node/kube"
	"github.com/pullsim/pullsim/registry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

func ptr[T any](v T) *T { return &v }

// informerPod is testdata/informer-pod.json as an informer hands it out:
// decoded by encoding/json into the real type, managedFields and all.
func informerPod(t *testing.T) *corev1.Pod {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "informer-pod.json"))
	require.NoError(t, err)
	var p corev1.Pod
	require.NoError(t, json.Unmarshal(data, &p))
	return &p
}

func TestPodFromCoreInformerObject(t *testing.T) {
	in := informerPod(t)
	got, err := kube.PodFromCore(in)
	require.NoError(t, err)
	created := time.Date(2026, 3, 2, 9, 14, 7, 0, time.UTC)
	want := node.Pod{
		Name: "api-7d9c6b5f4-x8k2p", GenerateName: "api-7d9c6b5f4-", Namespace: "prod", UID: "6a1c2e3f-4b5d-4e6f-8a9b-0c1d2e3f4a5b",
		Labels:            map[string]string{"app": "api", "pod-template-hash": "7d9c6b5f4"},
		Annotations:       map[string]string{"kubectl.kubernetes.io/restartedAt": "2026-03-01T17:00:00Z"},
		CreationTimestamp: created,
		Spec: node.PodSpec{
			Containers: []node.Container{{Name: "api", Image: "quay.io/acme/api:v3.8.0", ImagePullPolicy: "IfNotPresent",
				VolumeMounts: []node.VolumeMount{{Name: "kube-api-access-7xq2m", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}}}},
			EphemeralContainers:           []node.Container{{Name: "debugger-q4z7v", Image: "busybox:1.36", ImagePullPolicy: "IfNotPresent"}},
			ServiceAccountName:            "api",
			NodeName:                      "node-2",
			Volumes:                       []node.Volume{{Name: "kube-api-access-7xq2m"}},
			RestartPolicy:                 node.RestartPolicyAlways,
			TerminationGracePeriodSeconds: ptr(int64(30)),
		},
		Status: node.PodStatus{Phase: node.PodRunning, ContainerStatuses: []node.ContainerStatus{{
			Name: "api", Image: "quay.io/acme/api:v3.8.0",
			ImageID:     "quay.io/acme/api@sha256:1e2d3c4b5a69788776655443322110ffeeddccbbaa99887766554433221100ff",
			ContainerID: "containerd://9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c1b3d5f7e9a1c3b5d7f9e1a3c5b7d9f1e",
			State:       node.ContainerState{Running: &node.ContainerStateRunning{StartedAt: time.Date(2026, 3, 2, 9, 40, 1, 0, time.UTC)}},
			LastState: node.ContainerState{Terminated: &node.ContainerStateTerminated{
				ContainerID: "containerd://0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9", Reason: "OOMKilled", ExitCode: 137,
				StartedAt: time.Date(2026, 3, 2, 9, 14, 11, 0, time.UTC), FinishedAt: time.Date(2026, 3, 2, 9, 40, 0, 0, time.UTC)}},
			Ready: true, RestartCount: 1,
		}}},
	}
	assert.Equal(t, want, got)

	// PodFromCore copies: changing the source afterwards changes nothing.
	in.Labels["app"] = "changed"
	in.Spec.TerminationGracePeriodSeconds = ptr(int64(1))
	assert.Equal(t, "api", got.Labels["app"])
	assert.Equal(t, int64(30), *got.Spec.TerminationGracePeriodSeconds)
}

func TestPodFromCoreErrors(t *testing.T) {
	_, err := kube.PodFromCore(nil)
	assert.EqualError(t, err, "PodFromCore: nil pod")
	p := &corev1.Pod{Status: corev1.PodStatus{InitContainerStatuses: []corev1.ContainerStatus{{Name: "a", State: corev1.ContainerState{
		Waiting: &corev1.ContainerStateWaiting{}, Running: &corev1.ContainerStateRunning{},
	}}}}}
	_, err = kube.PodFromCore(p)
	assert.EqualError(t, err, "status.initContainerStatuses[0].state: may not specify more than 1 of waiting, running and terminated")
}

// A core/v1 Pod converted in and out again keeps every field pullsim
// models; the API's defaults for the others appear.
func TestRoundTripFromCore(t *testing.T) {
	in := informerPod(t)
	p, err := kube.PodFromCore(in)
	require.NoError(t, err)
	out := kube.PodToCore(p)

	assert.Equal(t, in.TypeMeta, out.TypeMeta)
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"name", out.Name, in.Name},
		{"generateName", out.GenerateName, in.GenerateName},
		{"namespace", out.Namespace, in.Namespace},
		{"uid", out.UID, in.UID},
		{"labels", out.Labels, in.Labels},
		{"annotations", out.Annotations, in.Annotations},
		{"creationTimestamp", out.CreationTimestamp, in.CreationTimestamp},
		{"containers", out.Spec.Containers[0].Name + " " + out.Spec.Containers[0].Image + " " + string(out.Spec.Containers[0].ImagePullPolicy), "api quay.io/acme/api:v3.8.0 IfNotPresent"},
		{"volumeMounts", out.Spec.Containers[0].VolumeMounts, in.Spec.Containers[0].VolumeMounts},
		{"ephemeralContainers", out.Spec.EphemeralContainers[0].Name + " " + out.Spec.EphemeralContainers[0].Image, "debugger-q4z7v busybox:1.36"},
		{"serviceAccountName", out.Spec.ServiceAccountName, in.Spec.ServiceAccountName},
		{"serviceAccount", out.Spec.DeprecatedServiceAccount, in.Spec.DeprecatedServiceAccount},
		{"nodeName", out.Spec.NodeName, in.Spec.NodeName},
		{"restartPolicy", out.Spec.RestartPolicy, in.Spec.RestartPolicy},
		{"terminationGracePeriodSeconds", out.Spec.TerminationGracePeriodSeconds, in.Spec.TerminationGracePeriodSeconds},
		{"phase", out.Status.Phase, in.Status.Phase},
		{"containerStatuses", out.Status.ContainerStatuses, in.Status.ContainerStatuses},
		{"startTime", out.Status.StartTime, in.Status.StartTime},
	} {
		// Compared as the API shows them: times in any zone are equal.
		want, err := json.Marshal(f.want)
		require.NoError(t, err)
		got, err := json.Marshal(f.got)
		require.NoError(t, err)
		assert.JSONEq(t, string(want), string(got), f.name)
	}
	// And in again: nothing pullsim models changed on the way.
	back, err := kube.PodFromCore(out)
	require.NoError(t, err)
	assert.Equal(t, p, back)
}

// A pod as a node stores it converts out and back unchanged, for pods in
// every state: waiting, running, completed init containers, sidecars,
// image volumes, restarts.
func TestRoundTripFromNode(t *testing.T) {
	reg := registry.New()
	reg.MustPush("nginx:1.28", registry.Image{Config: "nginx"})
	reg.MustPush("busybox:1.36", registry.Image{Config: "busybox"})
	reg.MustPush("models:v1", registry.Image{Config: "models"})
	n := node.MustNew("node-1", reg)
	n.Cluster().CreateServiceAccount(node.ServiceAccount{Namespace: "web", Name: "builder"})
	grace := int64(5)
	n.MustCreatePod(node.Pod{Name: "full", Namespace: "web", Labels: map[string]string{"app": "web"}, Annotations: map[string]string{"a": "b"},
		Spec: node.PodSpec{
			InitContainers: []node.Container{{Name: "init", Image: "busybox:1.36"}, {Name: "side", Image: "busybox:1.36", RestartPolicy: node.ContainerRestartPolicyAlways}},
			Containers: []node.Container{
				{Name: "app", Image: "nginx:1.28", VolumeMounts: []node.VolumeMount{{Name: "models", MountPath: "/m", ReadOnly: true}, {Name: "tmp", MountPath: "/tmp"}}},
				{Name: "missing", Image: "missing:1", ImagePullPolicy: "Never"},
			},
			ImagePullSecrets:              []string{"regcred"},
			ServiceAccountName:            "builder",
			Volumes:                       []node.Volume{{Name: "models", Image: &node.ImageVolumeSource{Reference: "models:v1"}}, {Name: "tmp"}},
			RestartPolicy:                 node.RestartPolicyOnFailure,
			TerminationGracePeriodSeconds: &grace,
		}})
	n.MustCreatePod(node.Pod{Name: "restarted", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "nginx:1.28"}}}})
	n.Advance(time.Minute)
	require.NoError(t, n.RestartContainer("default", "restarted", "app"))
	n.Advance(time.Minute)
	for _, p := range n.Pods() {
		back, err := kube.PodFromCore(kube.PodToCore(p))
		require.NoError(t, err)
		if p.Spec.RestartPolicy == "" {
			p.Spec.RestartPolicy = node.RestartPolicyAlways // shown defaulted
		}
		if p.Spec.TerminationGracePeriodSeconds == nil {
			p.Spec.TerminationGracePeriodSeconds = ptr(int64(30))
		}
		assert.Equal(t, p, back, p.Name)
	}
}

// A corev1 Pod built in Go, as a controller would build one, converts in
// and is created on a node.
func TestControllerPod(t *testing.T) {
	reg := registry.New()
	reg.MustPush("nginx:1.28", registry.Image{Config: "nginx"})
	n := node.MustNew("node-1", reg)
	in := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "default", UID: types.UID("ignored-by-the-node")},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "proxy", Image: "nginx:1.28", RestartPolicy: ptr(corev1.ContainerRestartPolicyAlways)}},
			Containers:     []corev1.Container{{Name: "app", Image: "nginx:1.28"}},
		},
	}
	p, err := kube.PodFromCore(in)
	require.NoError(t, err)
	created, err := n.CreatePod(p)
	require.NoError(t, err)
	out := kube.PodToCore(created)
	assert.Equal(t, corev1.PullIfNotPresent, out.Spec.Containers[0].ImagePullPolicy, "the node's defaulting shows")
	assert.Equal(t, corev1.ContainerRestartPolicyAlways, *out.Spec.InitContainers[0].RestartPolicy)
	assert.Equal(t, "node-1", out.Spec.NodeName)
	assert.NotEqual(t, in.UID, out.UID)
}

func TestStatusToCoreConditions(t *testing.T) {
	t0 := node.Epoch
	running := func(name string, at time.Duration) node.ContainerStatus {
		return node.ContainerStatus{Name: name, Ready: true, State: node.ContainerState{Running: &node.ContainerStateRunning{StartedAt: t0.Add(at)}}}
	}
	waiting := func(name, reason string) node.ContainerStatus {
		return node.ContainerStatus{Name: name, State: node.ContainerState{Waiting: &node.ContainerStateWaiting{Reason: reason}}}
	}
	done := node.ContainerStatus{Name: "init", Ready: true, State: node.ContainerState{Terminated: &node.ContainerStateTerminated{Reason: "Completed", StartedAt: t0, FinishedAt: t0.Add(2 * time.Second)}}}
	sidecarSpec := node.PodSpec{InitContainers: []node.Container{{Name: "side", RestartPolicy: node.ContainerRestartPolicyAlways}}}
	initSpec := node.PodSpec{InitContainers: []node.Container{{Name: "init"}}}
	for i, tc := range []struct {
		spec node.PodSpec
		st   node.PodStatus
		// want: "<type>=<status>[/<reason>: <message>]@<seconds after creation>" per condition
		want []string
	}{
		{st: node.PodStatus{Phase: node.PodPending, ContainerStatuses: []node.ContainerStatus{waiting("app", "ContainerCreating")}},
			want: []string{"PodReadyToStartContainers=True@0", "Initialized=True@0", "Ready=False/ContainersNotReady: containers with unready status: [app]@0", "ContainersReady=False/ContainersNotReady: containers with unready status: [app]@0", "PodScheduled=True@0"}},
		{st: node.PodStatus{Phase: node.PodRunning, ContainerStatuses: []node.ContainerStatus{running("a", 3*time.Second), running("b", 5*time.Second)}},
			want: []string{"PodReadyToStartContainers=True@0", "Initialized=True@0", "Ready=True@5", "ContainersReady=True@5", "PodScheduled=True@0"}},
		{spec: initSpec, st: node.PodStatus{Phase: node.PodPending, InitContainerStatuses: []node.ContainerStatus{waiting("init", "ImagePullBackOff")}, ContainerStatuses: []node.ContainerStatus{waiting("app", "PodInitializing")}},
			want: []string{"PodReadyToStartContainers=True@0", "Initialized=False/ContainersNotInitialized: containers with incomplete status: [init]@0", "Ready=False/ContainersNotReady: containers with unready status: [app]@0", "ContainersReady=False/ContainersNotReady: containers with unready status: [app]@0", "PodScheduled=True@0"}},
		{spec: initSpec, st: node.PodStatus{Phase: node.PodRunning, InitContainerStatuses: []node.ContainerStatus{done}, ContainerStatuses: []node.ContainerStatus{running("app", 4*time.Second)}},
			want: []string{"PodReadyToStartContainers=True@0", "Initialized=True@2", "Ready=True@4", "ContainersReady=True@4", "PodScheduled=True@0"}},
		{spec: sidecarSpec, st: node.PodStatus{Phase: node.PodPending, InitContainerStatuses: []node.ContainerStatus{running("side", time.Second)}, ContainerStatuses: []node.ContainerStatus{waiting("app", "ErrImagePull")}},
			want: []string{"PodReadyToStartContainers=True@0", "Initialized=True@1", "Ready=False/ContainersNotReady: containers with unready status: [app]@0", "ContainersReady=False/ContainersNotReady: containers with unready status: [app]@0", "PodScheduled=True@0"}},
		{spec: sidecarSpec, st: node.PodStatus{Phase: node.PodPending, InitContainerStatuses: []node.ContainerStatus{waiting("side", "ErrImagePull")}, ContainerStatuses: []node.ContainerStatus{waiting("app", "PodInitializing")}},
			want: []string{"PodReadyToStartContainers=True@0", "Initialized=False/ContainersNotInitialized: containers with incomplete status: [side]@0", "Ready=False/ContainersNotReady: containers with unready status: [side app]@0", "ContainersReady=False/ContainersNotReady: containers with unready status: [side app]@0", "PodScheduled=True@0"}},
		// A container without a status is unknown.
		{spec: node.PodSpec{InitContainers: []node.Container{{Name: "init"}}, Containers: []node.Container{{Name: "a"}, {Name: "b"}}}, st: node.PodStatus{Phase: node.PodPending, ContainerStatuses: []node.ContainerStatus{waiting("a", "PodInitializing")}},
			want: []string{"PodReadyToStartContainers=True@0", "Initialized=False/ContainersNotInitialized: containers with unknown status: [init]@0", "Ready=False/ContainersNotReady: containers with unknown status: [b], containers with unready status: [a]@0", "ContainersReady=False/ContainersNotReady: containers with unknown status: [b], containers with unready status: [a]@0", "PodScheduled=True@0"}},
		// Terminal phases.
		{spec: initSpec, st: node.PodStatus{Phase: "Succeeded", InitContainerStatuses: []node.ContainerStatus{done}, ContainerStatuses: []node.ContainerStatus{{Name: "app", State: node.ContainerState{Terminated: &node.ContainerStateTerminated{Reason: "Completed"}}}}},
			want: []string{"PodReadyToStartContainers=True@0", "Initialized=True/PodCompleted: @2", "Ready=False/PodCompleted: @0", "ContainersReady=False/PodCompleted: @0", "PodScheduled=True@0"}},
		{st: node.PodStatus{Phase: "Failed", ContainerStatuses: []node.ContainerStatus{{Name: "app", State: node.ContainerState{Terminated: &node.ContainerStateTerminated{Reason: "Error", ExitCode: 1}}}}},
			want: []string{"PodReadyToStartContainers=True@0", "Initialized=True@0", "Ready=False/PodFailed: @0", "ContainersReady=False/PodFailed: @0", "PodScheduled=True@0"}},
	} {
		if tc.spec.Containers == nil { // the spec's app containers are those with a status
			for _, cs := range tc.st.ContainerStatuses {
				tc.spec.Containers = append(tc.spec.Containers, node.Container{Name: cs.Name})
			}
		}
		st := kube.StatusToCore(node.Pod{Name: "p", CreationTimestamp: t0, Spec: tc.spec, Status: tc.st})
		var got []string
		for _, c := range st.Conditions {
			s := string(c.Type) + "=" + string(c.Status)
			if c.Reason != "" {
				s += "/" + c.Reason + ": " + c.Message
			}
			s += "@" + formatSeconds(c.LastTransitionTime.Sub(t0))
			got = append(got, s)
		}
		assert.Equal(t, tc.want, got, "step %d", i)
		if assert.NotNil(t, st.StartTime, "step %d", i) {
			assert.Equal(t, t0, st.StartTime.Time, "step %d", i)
		}
	}
	// A pod no node has created has a phase and nothing else.
	assert.Equal(t, corev1.PodStatus{Phase: corev1.PodPending}, kube.StatusToCore(node.Pod{Name: "p"}))
}

func formatSeconds(d time.Duration) string { return json.Number(itoa(int(d / time.Second))).String() }

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestStatusToCoreContainers(t *testing.T) {
	t0 := node.Epoch
	p := node.Pod{Name: "p", Status: node.PodStatus{Phase: node.PodRunning, ContainerStatuses: []node.ContainerStatus{{
		Name: "app", Image: "docker.io/library/nginx:1.28", ImageID: "docker.io/library/nginx@sha256:aa", ContainerID: "containerd://bb",
		State:     node.ContainerState{Running: &node.ContainerStateRunning{StartedAt: t0}},
		LastState: node.ContainerState{Terminated: &node.ContainerStateTerminated{Reason: "Error", ExitCode: 1, StartedAt: t0.Add(-time.Minute), FinishedAt: t0}},
		Ready:     true, RestartCount: 2,
	}}}}
	got := kube.StatusToCore(p).ContainerStatuses[0]
	want := corev1.ContainerStatus{
		Name: "app", Image: "docker.io/library/nginx:1.28", ImageID: "docker.io/library/nginx@sha256:aa", ContainerID: "containerd://bb",
		State:                corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(t0)}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 1, StartedAt: metav1.NewTime(t0.Add(-time.Minute)), FinishedAt: metav1.NewTime(t0)}},
		Ready:                true, RestartCount: 2, Started: ptr(true),
	}
	assert.Equal(t, want, got)
}

func TestEventToCore(t *testing.T) {
	at := node.Epoch.Add(1500 * time.Millisecond)
	e := node.Event{At: at, Type: "Normal", Reason: "Pulling", Message: `Pulling image "nginx:1.28"`,
		Object: node.ObjectReference{Kind: "Pod", Namespace: "web", Name: "app", UID: "u-1", FieldPath: "spec.containers{app}"}}
	got := kube.EventToCore(e, "node-1")
	want := corev1.Event{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Event"},
		ObjectMeta: metav1.ObjectMeta{Name: "app.1886725247622f00", Namespace: "web"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "web", Name: "app", UID: "u-1", APIVersion: "v1",
			FieldPath: "spec.containers{app}"},
		Reason: "Pulling", Message: `Pulling image "nginx:1.28"`, Type: "Normal", Count: 1,
		FirstTimestamp: metav1.NewTime(at), LastTimestamp: metav1.NewTime(at),
		Source:              corev1.EventSource{Component: "kubelet", Host: "node-1"},
		ReportingController: "kubelet", ReportingInstance: "node-1",
	}
	assert.Equal(t, want, got)

	// A node event lands in the default namespace.
	nodeEvent := kube.EventToCore(node.Event{At: at, Type: "Warning", Reason: "FreeDiskSpaceFailed", Object: node.ObjectReference{Kind: "Node", Name: "node-1", UID: "node-1"}}, "node-1")
	assert.Equal(t, "default", nodeEvent.Namespace)
	assert.Equal(t, "", nodeEvent.InvolvedObject.Namespace)

	// Every event of a real run converts, and its YAML reads back.
	reg := registry.New()
	n := node.MustNew("node-1", reg)
	n.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{Containers: []node.Container{{Name: "a", Image: "missing:1"}}}})
	n.Advance(30 * time.Second)
	for _, e := range n.Events() {
		ce := kube.EventToCore(e, n.Name())
		b, err := yaml.Marshal(ce)
		require.NoError(t, err)
		var back corev1.Event
		require.NoError(t, yaml.UnmarshalStrict(b, &back))
		assert.Equal(t, e.Message, back.Message)
		assert.Equal(t, "p", back.InvolvedObject.Name)
	}
}

// TestPodYAMLGolden is `kubectl get pod -o yaml` (and -o json) of pods in
// the states a node gives them; go test -update accepts a change.
func TestPodYAMLGolden(t *testing.T) {
	reg := registry.New()
	reg.MustPush("nginx:1.28", registry.Image{Config: "nginx 1.28.0"})
	reg.MustPush("nginx:latest", registry.Image{Config: "nginx 1.29.3"})
	reg.MustPush("busybox:1.36", registry.Image{Config: "busybox"})
	n := node.MustNew("node-1", reg)
	n.MustCreatePod(node.Pod{Name: "web", Labels: map[string]string{"app": "web"}, Spec: node.PodSpec{
		InitContainers: []node.Container{{Name: "init", Image: "busybox:1.36"}},
		Containers:     []node.Container{{Name: "app", Image: "nginx:1.28"}, {Name: "edge", Image: "nginx"}},
	}})
	n.MustCreatePod(node.Pod{Name: "broken", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "nginx:1.99", ImagePullPolicy: "IfNotPresent"}}}})
	n.Advance(time.Minute)
	for _, tc := range []struct {
		pod, file string
		print     func(node.Pod) ([]byte, error)
	}{
		{"web", "web.yaml.golden", kube.PodYAML},
		{"broken", "broken.yaml.golden", kube.PodYAML},
		{"web", "web.json.golden", kube.PodJSON},
	} {
		p, ok := n.Pod("default", tc.pod)
		require.True(t, ok)
		b, err := tc.print(p)
		require.NoError(t, err)
		golden.Check(t, filepath.Join("testdata", tc.file), b)
		// What kubectl prints is a valid Pod the strict decoder reads back.
		res, err := kube.Decode(b)
		require.NoError(t, err, tc.file)
		require.Len(t, res.Pods, 1)
		assert.Equal(t, p.Spec.Containers, res.Pods[0].Spec.Containers, tc.file)
	}
}

func BenchmarkPodToCore(b *testing.B) {
	reg := registry.New()
	reg.MustPush("nginx:1.28", registry.Image{Config: "nginx"})
	n := node.MustNew("node-1", reg)
	n.MustCreatePod(node.Pod{Name: "web", Labels: map[string]string{"app": "web"}, Spec: node.PodSpec{
		InitContainers: []node.Container{{Name: "init", Image: "nginx:1.28"}, {Name: "side", Image: "nginx:1.28", RestartPolicy: node.ContainerRestartPolicyAlways}},
		Containers:     []node.Container{{Name: "app", Image: "nginx:1.28"}},
	}})
	n.Advance(time.Minute)
	p, _ := n.Pod("default", "web")
	b.ReportAllocs()
	for b.Loop() {
		if out := kube.PodToCore(p); len(out.Status.Conditions) != 5 {
			b.Fatal(out.Status.Conditions)
		}
	}
}
