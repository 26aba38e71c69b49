package node_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// volumePod is a pod whose container "app" mounts the image volume
// "models" (reference ref, policy as given) and whose container "side"
// mounts nothing.
func volumePod(name, ref string, policy pullpolicy.PullPolicy) node.Pod {
	return node.Pod{Name: name, Spec: node.PodSpec{
		Volumes: []node.Volume{{Name: "models", Image: &node.ImageVolumeSource{Reference: ref, PullPolicy: policy}}},
		Containers: []node.Container{
			{Name: "app", Image: "nginx:1.28", VolumeMounts: []node.VolumeMount{{Name: "models", MountPath: "/models"}}},
			{Name: "side", Image: "busybox:1.36"},
		},
	}}
}

// Image volumes are ensured once per sync, before the first container it
// starts, with the pod as the object of their events; a container that
// mounts a volume whose pull failed fails with the volume's error and
// message, and the others start.
func TestImageVolumes(t *testing.T) {
	const vol = "registry.example.com/ml/models:v1"
	notFoundVol := `rpc error: code = NotFound desc = failed to pull and unpack image "` + vol + `": failed to resolve reference "` + vol + `": ` + vol + `: not found`
	backOff := `Back-off pulling image "` + vol + `": ErrImagePull: ` + notFoundVol
	w := newWorld(t)
	w.run([]step{
		{action: push("nginx:1.28", "nginx")},
		{action: push("busybox:1.36", "busybox")},
		{action: push("registry.example.com/ml/other:v1", "other")},
		{action: createPod(volumePod("p", vol, "")), reason: "ErrImagePull", resolves: 2, blobs: 3,
			events: []string{
				pulling(vol), failedPull(vol, notFoundVol), // the volume, on the pod
				startFailed("ErrImagePull"), // app: the volume's error; its own image is not looked at
				pulling("busybox:1.36"), pulled("busybox:1.36", size("busybox")),
			}},
		{at: 5 * time.Second, action: syncPod("p"), reason: "ImagePullBackOff",
			events: []string{`Normal BackOff Back-off pulling image "` + vol + `"`, startFailed("ImagePullBackOff")}},
		{at: 10 * time.Second, action: push(vol, "models v1")},
		{at: 10 * time.Second, action: syncPod("p"), runs: "nginx", resolves: 2, blobs: 4, // the base layer is there
			events: []string{pulling(vol), pulled(vol, size("models v1")), pulling("nginx:1.28"), pulled("nginx:1.28", size("nginx"))}},
		// Nothing to start: the volumes are not ensured.
		{at: 20 * time.Second, action: syncPod("p"), runs: "nginx"},
		// A restart starts a container: the volume is ensured again first.
		{at: 30 * time.Second, action: restart("p"), runs: "nginx",
			events: []string{present(vol), present("nginx:1.28")}},
	})
	n := w.node("")
	p, _ := n.Pod("", "p")
	if got := p.Spec.Volumes[0].Image.PullPolicy; got != pullpolicy.PullIfNotPresent {
		t.Errorf("volume pull policy = %q, want IfNotPresent (defaulted from the tag)", got)
	}
	if a := n.Attempts("", "p"); a[0].Container != "app" || a[0].Message != notFoundVol || a[2].Message != backOff {
		t.Errorf("app's attempts = %+v, want the volume's messages", a)
	}
	for _, e := range n.Events() {
		if strings.Contains(e.Message, vol) && (e.Object.Kind != "Pod" || e.Object.FieldPath != "") {
			t.Errorf("volume event %q on %+v, want the pod", e, e.Object)
		}
	}
	if pulls := n.Pulls(); pulls[0].Container != "models" || pulls[0].Image != vol {
		t.Errorf("first pull %+v, want the volume's", pulls[0])
	}
}

// A volume whose image may not be pulled under Never, and two failed
// volumes mounted by one container: one "Error:" event per failed mount,
// the last one's error wins.
func TestImageVolumeNeverAndSeveralFailures(t *testing.T) {
	w := newWorld(t)
	w.reg.MustPush("nginx:1.28", build("nginx"))
	w.reg.MustPush("busybox:1.36", build("busybox"))
	p := volumePod("p", "models:v1", pullpolicy.PullNever)
	p.Spec.Volumes = append(p.Spec.Volumes, node.Volume{Name: "data", Image: &node.ImageVolumeSource{Reference: "data:v1", PullPolicy: pullpolicy.PullIfNotPresent}})
	p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, node.VolumeMount{Name: "data", MountPath: "/data"})
	w.run([]step{
		{action: createPod(p), reason: "ErrImagePull", resolves: 2, blobs: 3,
			events: []string{
				neverPull("models:v1"),
				pulling("data:v1"), failedPull("data:v1", `failed to pull and unpack image "docker.io/library/data:v1": failed to resolve reference "docker.io/library/data:v1": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`),
				startFailed("ErrImageNeverPull"), startFailed("ErrImagePull"),
				pulling("busybox:1.36"), pulled("busybox:1.36", size("busybox")),
			}},
	})
}

// Pull policies of image volumes are defaulted and validated as
// containers' are; mounts must name a volume; AlwaysPullImages covers
// image volumes too.
func TestImageVolumeAdmission(t *testing.T) {
	reg := registry.New()
	n := node.MustNew("node-1", reg)
	for i, tc := range []struct {
		pod  node.Pod
		want string
	}{
		{node.Pod{Name: "a", Spec: node.PodSpec{
			Volumes:    []node.Volume{{Name: "v", Image: &node.ImageVolumeSource{}}, {Name: "v"}, {Image: &node.ImageVolumeSource{Reference: "x:1", PullPolicy: "always"}}},
			Containers: []node.Container{{Name: "c", Image: "nginx", VolumeMounts: []node.VolumeMount{{Name: "w", MountPath: "/w"}, {Name: "v"}}}},
		}}, `Pod "a" is invalid: [spec.volumes[0].image.reference: Required value, spec.volumes[1].name: Duplicate value: "v", spec.volumes[2].name: Required value, spec.volumes[2].image.pullPolicy: Unsupported value: "always": supported values: "Always", "IfNotPresent", "Never", spec.containers[0].volumeMounts[0].name: Not found: "w", spec.containers[0].volumeMounts[1].mountPath: Required value]`},
	} {
		if _, err := n.CreatePod(tc.pod); err == nil || err.Error() != tc.want || !errors.Is(err, node.ErrInvalid) {
			t.Errorf("case %d: CreatePod error =\n\t%v\nwant\n\t%s", i, err, tc.want)
		}
	}

	// The latest rule, as for containers.
	p := n.MustCreatePod(volumePod("d", "models", ""))
	if got := p.Spec.Volumes[0].Image.PullPolicy; got != pullpolicy.PullAlways {
		t.Errorf("defaulted volume policy for an untagged reference = %q, want Always", got)
	}

	// AlwaysPullImages: mutated on create; a pod that escaped the mutation
	// is refused by the validating half.
	cluster := node.NewCluster()
	cluster.SetAlwaysPullImages(true)
	m := node.MustNew("node-2", reg, node.WithCluster(cluster))
	p = m.MustCreatePod(volumePod("e", "models:v1", pullpolicy.PullNever))
	if got := p.Spec.Volumes[0].Image.PullPolicy; got != pullpolicy.PullAlways {
		t.Errorf("volume policy under AlwaysPullImages = %q, want Always", got)
	}
	err := node.ValidateAlwaysPullImages(volumePod("f", "models:v1", pullpolicy.PullIfNotPresent))
	want := `[pods "f" is forbidden: spec.containers[0].imagePullPolicy: Unsupported value: "": supported values: "Always", pods "f" is forbidden: spec.containers[1].imagePullPolicy: Unsupported value: "": supported values: "Always", pods "f" is forbidden: spec.volumes[0].image.pullPolicy: Unsupported value: "IfNotPresent": supported values: "Always"]`
	if err == nil || err.Error() != want {
		t.Errorf("ValidateAlwaysPullImages =\n\t%v\nwant\n\t%s", err, want)
	}
	// The caller's pod is not changed by admission.
	orig := volumePod("g", "models:v1", "")
	m.MustCreatePod(orig)
	if orig.Spec.Volumes[0].Image.PullPolicy != "" {
		t.Errorf("CreatePod changed the caller's volume: %+v", orig.Spec.Volumes[0].Image)
	}
}

// Images mounted as image volumes are in use: GC keeps them.
func TestImageVolumeInUse(t *testing.T) {
	reg, clock, n := gcWorld(t)
	reg.MustPush("nginx:1.28", gcImage("nginx", 10))
	reg.MustPush("busybox:1.36", gcImage("busybox", 10))
	reg.MustPush("models:v1", gcImage("models", 10))
	n.MustCreatePod(volumePod("p", "models:v1", ""))
	mustLoad(n, "other:1", gcImage("other", 10))
	clock.Step(time.Minute)
	n.DeleteUnusedImages() // detects
	clock.Step(5 * time.Minute)
	if got, want := removed(n.DeleteUnusedImages()), "other:1/eviction"; got != want {
		t.Errorf("eviction removed %q, want %q (models:v1 is mounted)", got, want)
	}
}

// Describe lists a container's mounts and the pod's image volumes as
// kubectl does.
func TestDescribeImageVolumes(t *testing.T) {
	w := newWorld(t)
	w.reg.MustPush("nginx:1.28", build("nginx"))
	w.reg.MustPush("busybox:1.36", build("busybox"))
	w.reg.MustPush("models:v1", build("models"))
	p := volumePod("p", "models:v1", "")
	p.Spec.Volumes = append(p.Spec.Volumes, node.Volume{Name: "scratch"})
	p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, node.VolumeMount{Name: "scratch", MountPath: "/a", ReadOnly: true})
	n := w.node("")
	n.MustCreatePod(p)
	var b strings.Builder
	if err := n.Describe(&b, "", "p"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"    Restart Count:      0\n    Mounts:\n      /a from scratch (ro)\n      /models from models (rw)\n  side:\n",
		"Volumes:\n  models:\n    Type:        Image (a container image or OCI artifact)\n    Reference:   models:v1\n    PullPolicy:  IfNotPresent\nEvents:\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks\n%s\nin\n%s", want, out)
		}
	}
}

// A pod bound to another node is refused.
func TestNodeNameBinding(t *testing.T) {
	w := newWorld(t)
	_, err := w.node("").CreatePod(node.Pod{Name: "p", Spec: node.PodSpec{NodeName: "node-2", Containers: []node.Container{{Name: "a", Image: "x"}}}})
	if want := `node node-1: pod default/p is bound to node "node-2"`; err == nil || err.Error() != want {
		t.Errorf("CreatePod = %v, want %q", err, want)
	}
}

// The API server's rules for restart policies: the pod's is one of three,
// only init containers set theirs (to Always, a native sidecar).
func TestRestartPolicyValidation(t *testing.T) {
	w := newWorld(t)
	n := w.node("")
	for i, tc := range []struct {
		spec node.PodSpec
		want string // the error; "" for none
	}{
		{spec: node.PodSpec{RestartPolicy: node.RestartPolicyNever, InitContainers: []node.Container{{Name: "s", Image: "x", RestartPolicy: node.ContainerRestartPolicyAlways}}, Containers: []node.Container{{Name: "a", Image: "x"}}}},
		{spec: node.PodSpec{RestartPolicy: "Sometimes", Containers: []node.Container{{Name: "a", Image: "x"}}},
			want: `Pod "p1" is invalid: spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`},
		{spec: node.PodSpec{InitContainers: []node.Container{{Name: "s", Image: "x", RestartPolicy: "Never"}}, Containers: []node.Container{{Name: "a", Image: "x", RestartPolicy: node.ContainerRestartPolicyAlways}}},
			want: `Pod "p2" is invalid: [spec.initContainers[0].restartPolicy: Unsupported value: "Never": supported values: "Always", spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers]`},
	} {
		_, err := n.CreatePod(node.Pod{Name: fmt.Sprintf("p%d", i), Spec: tc.spec})
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("step %d: got %q, want %q", i, got, tc.want)
		}
	}
}
