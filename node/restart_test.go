package node_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
)

func eventsSince(n *node.Node, i int) string {
	var out []string
	for _, e := range n.EventsSince(i) {
		out = append(out, e.String())
	}
	return strings.Join(out, "\n")
}

// A pull intent left behind by a kubelet restart becomes a pulled record
// without credentials for an image that is now present, so the image does
// not count as preloaded after the restart either: under
// NeverVerifyPreloadedImages a pod must prove its credentials, and under
// Never that reads "not present". (Without the record, the restart would
// forget the intent and the image would pass as preloaded.)
func TestRestartTurnsIntentsIntoRecords(t *testing.T) {
	reg, _, n := slowWorld(t)
	reg.MustPush("nginx:1.28", build("nginx"))
	n.MustCreatePod(appPod("a", "nginx:1.28", pullpolicy.PullIfNotPresent)) // its pull is in flight
	if _, err := n.LoadImage("nginx:1.28", build("nginx")); err != nil {    // the same image arrives another way
		t.Fatal(err)
	}
	// While the pull is in flight its intent shows the kubelet pulls the
	// image: it is not preloaded, and no record says who may use it.
	before := n.EventCount()
	n.MustCreatePod(appPod("during", "nginx:1.28", pullpolicy.PullNever))
	if got, want := eventsSince(n, before), neverPull("nginx:1.28")+"\n"+startFailed("ErrImageNeverPull"); got != want {
		t.Errorf("during the pull: events %q, want %q", got, want)
	}

	n.RestartKubelet()
	before = n.EventCount()
	n.MustCreatePod(appPod("after", "nginx:1.28", pullpolicy.PullNever))
	if got, want := eventsSince(n, before), neverPull("nginx:1.28")+"\n"+startFailed("ErrImageNeverPull"); got != want {
		t.Errorf("after the restart: events %q, want %q (the intent became a record)", got, want)
	}

	// The pull in flight finishes anonymously: the image is open to every pod.
	if _, err := n.Settle(); err != nil {
		t.Fatal(err)
	}
	before = n.EventCount()
	if err := n.SyncPod("", "after"); err != nil {
		t.Fatal(err)
	}
	if got, want := eventsSince(n, before), present("nginx:1.28")+"\n"+created+"\n"+started; got != want {
		t.Errorf("after the anonymous pull: events %q, want %q", got, want)
	}
}

// A sync while the pod's last sync waits for a pull does nothing: the
// kubelet's pod worker is busy with that pod.
func TestSyncWhileBlocked(t *testing.T) {
	reg, _, n := slowWorld(t)
	reg.MustPush("nginx:1.28", build("nginx"))
	n.MustCreatePod(appPod("a", "nginx:1.28", ""))
	before, counts := n.EventCount(), n.Counters()
	if err := n.SyncPod("", "a"); err != nil {
		t.Fatal(err)
	}
	if n.EventCount() != before || n.Counters() != counts {
		t.Errorf("SyncPod during the pull: events %q, counters %+v -> %+v; want nothing", eventsSince(n, before), counts, n.Counters())
	}
	if _, err := n.Settle(); err != nil {
		t.Fatal(err)
	}
	if p, _ := n.Pod("", "a"); p.Status.ContainerStatuses[0].State.Running == nil {
		t.Errorf("after the pull: %+v, want running", p.Status.ContainerStatuses[0].State)
	}
}

// An init container whose pull takes time and then fails stops the sync
// when the pull answers: the next init container and the app wait.
func TestInitContainerFailsAfterBlockedPull(t *testing.T) {
	reg, _, n := slowWorld(t)
	reg.MustPush("busybox:1.36", build("busybox"))
	n.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{
		InitContainers: []node.Container{{Name: "migrate", Image: "migrate:v1"}, {Name: "wait", Image: "busybox:1.36"}},
		Containers:     []node.Container{{Name: "app", Image: "busybox:1.36"}},
	}})
	if _, err := n.Settle(); err != nil {
		t.Fatal(err)
	}
	p, _ := n.Pod("", "p")
	var got []string
	for _, s := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
		got = append(got, s.Name+"="+s.State.Waiting.Reason)
	}
	if want := "migrate=ErrImagePull wait=PodInitializing app=PodInitializing"; strings.Join(got, " ") != want {
		t.Errorf("states %q, want %q", got, want)
	}
	if pulls := n.Pulls(); len(pulls) != 1 || pulls[0].Container != "migrate" || pulls[0].Finished.Sub(node.Epoch) != 100*time.Millisecond {
		t.Errorf("pulls %+v, want migrate's only, failing after one round trip", pulls)
	}
}
