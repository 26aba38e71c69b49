package node_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
)

func TestHumanDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-2 * time.Second, "<invalid>"}, {-time.Second, "0s"}, {0, "0s"}, {119 * time.Second, "119s"},
		{2 * time.Minute, "2m"}, {123 * time.Second, "2m3s"}, {9*time.Minute + 59*time.Second, "9m59s"},
		{10 * time.Minute, "10m"}, {179 * time.Minute, "179m"}, {3 * time.Hour, "3h"}, {5*time.Hour + 3*time.Minute, "5h3m"},
		{8 * time.Hour, "8h"}, {47 * time.Hour, "47h"}, {48 * time.Hour, "2d"}, {76 * time.Hour, "3d4h"},
		{8 * 24 * time.Hour, "8d"}, {400 * 24 * time.Hour, "400d"}, {(2*365 + 5) * 24 * time.Hour, "2y5d"},
		{3 * 365 * 24 * time.Hour, "3y"}, {9 * 365 * 24 * time.Hour, "9y"},
	} {
		if got := node.HumanDuration(tc.d); got != tc.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// kubectl get pods: Init:<reason> while an init container's image fails,
// Init:N/M while init containers run, then the app containers' reason.
func TestGetPodsStatus(t *testing.T) {
	w := newWorld(t)
	w.reg.MustPush("busybox:1.36", build("busybox"))
	n := w.node("")
	n.MustCreatePod(node.Pod{Name: "init-fails", Spec: node.PodSpec{
		InitContainers: []node.Container{{Name: "migrate", Image: "migrate:v1"}},
		Containers:     []node.Container{{Name: "app", Image: "busybox:1.36"}}}})
	n.MustCreatePod(node.Pod{Name: "two", Spec: node.PodSpec{Containers: []node.Container{
		{Name: "a", Image: "busybox:1.36"}, {Name: "b", Image: "nope:v1", ImagePullPolicy: "Never"}}}})
	n.MustCreatePod(appPod("ok", "busybox:1.36", ""))
	w.clock.Step(90 * time.Second)
	n.RestartContainer("default", "ok", "app")
	w.clock.Step(30 * time.Second)
	var b strings.Builder
	if err := n.GetPods(&b, ""); err != nil {
		t.Fatal(err)
	}
	want := `NAMESPACE   NAME         READY   STATUS              RESTARTS      AGE
default     init-fails   0/1     Init:ErrImagePull   0             2m
default     two          1/2     ErrImageNeverPull   0             2m
default     ok           1/1     Running             1 (30s ago)   2m
`
	if b.String() != want {
		t.Errorf("GetPods =\n%s\nwant\n%s", b.String(), want)
	}
	if err := n.Describe(&b, "default", "gone"); err == nil {
		t.Error("Describe of a missing pod: nil error")
	}
}

// kubectl describe pod with a completed init container: it is listed under
// "Init Containers:", before the app containers, in the Terminated state
// with reason Completed and exit code 0, and the whole output is aligned by
// one tabwriter as kubectl's is.
func TestDescribeInitContainer(t *testing.T) {
	w := newWorld(t)
	w.reg.MustPush("busybox:1.36", build("busybox"))
	w.reg.MustPush("nginx:1.28", build("nginx"))
	n := w.node("")
	w.clock.Step(time.Minute)
	n.MustCreatePod(node.Pod{Name: "web", Spec: node.PodSpec{
		InitContainers: []node.Container{{Name: "init", Image: "busybox:1.36"}},
		Containers:     []node.Container{{Name: "app", Image: "nginx:1.28"}}}})
	w.clock.Step(90 * time.Second)
	var b strings.Builder
	if err := n.Describe(&b, "default", "web"); err != nil {
		t.Fatal(err)
	}
	// A completed init container is Ready: the kubelet reports True for an
	// init container that exited 0.
	want := `Name:             web
Namespace:        default
Service Account:  default
Node:             node-1
Start Time:       Thu, 01 Jan 2026 00:01:00 +0000
Status:           Running
Init Containers:
  init:
    Container ID:       containerd://49ca8771bec9086024eb0f5a183f0125d0adb22fc3a63f338d29e3be064ba03f
    Image:              busybox:1.36
    Image ID:           docker.io/library/busybox@sha256:e671d818b321c50a8fc1a504d645093335a89da1124f0012872492ddeae26bc2
    Image pull policy:  IfNotPresent (pullsim)
    State:              Terminated
      Reason:           Completed
      Exit Code:        0
      Started:          Thu, 01 Jan 2026 00:01:00 +0000
      Finished:         Thu, 01 Jan 2026 00:01:00 +0000
    Ready:              True
    Restart Count:      0
Containers:
  app:
    Container ID:       containerd://cdf6b4392ab8d4db76d90c66e55f2769cb22ed0f23a43456c62b9ef9a61cb935
    Image:              nginx:1.28
    Image ID:           docker.io/library/nginx@sha256:c14a20e805fe410b18f321b9aa7eb31e5a7f7592fcdae4a134e5db716a62570e
    Image pull policy:  IfNotPresent (pullsim)
    State:              Running
      Started:          Thu, 01 Jan 2026 00:01:00 +0000
    Ready:              True
    Restart Count:      0
Events:
  Type    Reason     Age   From               Message
  ----    ------     ----  ----               -------
  Normal  Scheduled  90s   default-scheduler  Successfully assigned default/web to node-1
  Normal  Pulling    90s   kubelet            Pulling image "busybox:1.36"
  Normal  Pulled     90s   kubelet            Successfully pulled image "busybox:1.36" in 0s (0s including waiting). Image size: 36701016 bytes.
  Normal  Created    90s   kubelet            Container created
  Normal  Started    90s   kubelet            Container started
  Normal  Pulling    90s   kubelet            Pulling image "nginx:1.28"
  Normal  Pulled     90s   kubelet            Successfully pulled image "nginx:1.28" in 0s (0s including waiting). Image size: 36701014 bytes.
  Normal  Created    90s   kubelet            Container created
  Normal  Started    90s   kubelet            Container started
`
	if got := b.String(); got != want {
		t.Errorf("Describe =\n%s\nwant\n%s", got, want)
	}
}

// kubectl describe pod lists the scheduler's Scheduled event first, except
// for a pod created with spec.nodeName set: no scheduler placed it.
func TestDescribeScheduled(t *testing.T) {
	w := newWorld(t)
	w.reg.MustPush("busybox:1.36", build("busybox"))
	n := w.node("")
	n.MustCreatePod(appPod("scheduled", "busybox:1.36", ""))
	bound := appPod("bound", "busybox:1.36", "")
	bound.Spec.NodeName = "node-1"
	n.MustCreatePod(bound)
	for i, tc := range []struct {
		pod  string
		want bool
	}{{"scheduled", true}, {"bound", false}} {
		var b strings.Builder
		if err := n.Describe(&b, "default", tc.pod); err != nil {
			t.Fatal(err)
		}
		line := "default-scheduler  Successfully assigned default/" + tc.pod + " to node-1"
		if got := strings.Contains(b.String(), line); got != tc.want {
			t.Errorf("case %d: describe %s has %q: %v, want %v\n%s", i, tc.pod, line, got, tc.want, b.String())
		}
		if !strings.Contains(b.String(), "Container started") {
			t.Errorf("case %d: describe %s lists no kubelet event:\n%s", i, tc.pod, b.String())
		}
	}
}
