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
