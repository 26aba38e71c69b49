package node_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// lifeWorld is a node with an instant registry holding builds that behave:
// app:good runs forever, app:crash exits 1 after 30s, job:ok exits 0 after
// 20s, init:5s and init:10s complete after 5 and 10 seconds.
func lifeWorld(t *testing.T, opts ...node.Option) (*registry.Registry, *node.ManualClock, *node.Node) {
	t.Helper()
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	for ref, run := range map[string]registry.Run{
		"app:good":  {},
		"app:crash": {ExitAfter: 30 * time.Second, ExitCode: 1},
		"job:ok":    {ExitAfter: 20 * time.Second},
		"job:fail":  {ExitAfter: 20 * time.Second, ExitCode: 2},
		"init:5s":   {ExitAfter: 5 * time.Second},
		"init:10s":  {ExitAfter: 10 * time.Second},
		"init:bad":  {ExitAfter: 5 * time.Second, ExitCode: 1},
		"side:good": {},
		"slow:stop": {StopAfter: time.Minute},
	} {
		reg.MustPush(ref, registry.Image{Config: ref, Layers: []registry.Layer{{Content: ref, Size: 1000}}, Run: run})
	}
	clock := node.NewManualClock(node.Epoch)
	return reg, clock, node.MustNew("node-1", reg, append([]node.Option{node.WithClock(clock)}, opts...)...)
}

// lifeStep is one row of a lifecycle table: run the node to at, optionally
// do something, then check the app container and the events since the
// previous row.
type lifeStep struct {
	at       time.Duration
	do       func(n *node.Node) error // nil: only time passes
	phase    node.PodPhase            // wanted pod phase
	state    string                   // wanted state of the checked container: "running", a waiting reason, or "terminated:<reason>:<code>"
	restarts int                      // wanted restart count
	events   []string                 // wanted events since the previous row
}

func runLife(t *testing.T, n *node.Node, pod, container string, steps []lifeStep) {
	t.Helper()
	seen := n.EventCount()
	for i, s := range steps {
		if err := n.RunUntil(node.Epoch.Add(s.at)); err != nil {
			t.Fatalf("step %d: RunUntil(%v): %v", i, s.at, err)
		}
		if s.do != nil {
			if err := s.do(n); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		var got []string
		for _, e := range n.EventsSince(seen) {
			got = append(got, e.String())
		}
		seen = n.EventCount()
		p, ok := n.Pod("", pod)
		if !ok {
			t.Fatalf("step %d: pod %s gone", i, pod)
		}
		uid := p.UID
		want := make([]string, len(s.events))
		for j, e := range s.events {
			want[j] = strings.ReplaceAll(e, "<uid>", uid)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("step %d (at %v): events =\n\t%s\nwant\n\t%s", i, s.at, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
		}
		if p.Status.Phase != s.phase {
			t.Errorf("step %d (at %v): phase %s, want %s", i, s.at, p.Status.Phase, s.phase)
		}
		cs := p.ContainerStatus(container)
		if cs == nil {
			for _, c := range p.Status.InitContainerStatuses {
				if c.Name == container {
					cs = &c
				}
			}
		}
		var state string
		switch {
		case cs.State.Running != nil:
			state = "running"
		case cs.State.Terminated != nil:
			state = fmt.Sprintf("terminated:%s:%d", cs.State.Terminated.Reason, cs.State.Terminated.ExitCode)
		default:
			state = cs.State.Waiting.Reason
		}
		if state != s.state || cs.RestartCount != s.restarts {
			t.Errorf("step %d (at %v): %s is %s with %d restarts, want %s with %d", i, s.at, container, state, cs.RestartCount, s.state, s.restarts)
		}
	}
}

func create1(name, image string, policy pullpolicy.PullPolicy, restart node.RestartPolicy) func(*node.Node) error {
	return func(n *node.Node) error {
		p := appPod(name, image, policy)
		p.Spec.RestartPolicy = restart
		_, err := n.CreatePod(p)
		return err
	}
}

func backOffEvent(c string) string {
	return "Warning BackOff Back-off restarting failed container " + c + " in pod p_default(<uid>)"
}

// CrashLoopBackOff as the kubelet's: the first crash restarts at once; then
// the window (10s, 20s, 40s, ...) is measured from the exit, each sync in
// it records the Warning BackOff and ensures no image; the next start
// runs EnsureImage again.
func TestCrashLoopBackOff(t *testing.T) {
	_, _, n := lifeWorld(t)
	present := present("app:crash")
	runLife(t, n, "p", "app", []lifeStep{
		{at: 0, do: create1("p", "app:crash", "", ""), phase: node.PodRunning, state: "running",
			events: []string{pulling("app:crash"), pulled("app:crash", 1000+imageDocs("app:crash", registry.Run{ExitAfter: 30 * time.Second, ExitCode: 1})), created, started}},
		// Crash 1 at 30s: no backoff entry yet, so it restarts at once.
		{at: 30 * time.Second, phase: node.PodRunning, state: "running", restarts: 1, events: []string{present, created, started}},
		// Crash 2 at 60s: inside the 10s window from the exit.
		{at: 60 * time.Second, phase: node.PodRunning, state: "CrashLoopBackOff", restarts: 1, events: []string{backOffEvent("app")}},
		// The resync 10s later is out of the window: the next start.
		{at: 70 * time.Second, phase: node.PodRunning, state: "running", restarts: 2, events: []string{present, created, started}},
		// Crash 3 at 100s: a 20s window, two syncs in it.
		{at: 100 * time.Second, phase: node.PodRunning, state: "CrashLoopBackOff", restarts: 2, events: []string{backOffEvent("app")}},
		{at: 110 * time.Second, phase: node.PodRunning, state: "CrashLoopBackOff", restarts: 2, events: []string{backOffEvent("app")}},
		{at: 120 * time.Second, phase: node.PodRunning, state: "running", restarts: 3, events: []string{present, created, started}},
	})
	p, _ := n.Pod("", "p")
	s := p.ContainerStatus("app")
	if lt := s.LastState.Terminated; lt == nil || lt.ExitCode != 1 || lt.Reason != "Error" || !lt.FinishedAt.Equal(node.Epoch.Add(100*time.Second)) || !lt.StartedAt.Equal(node.Epoch.Add(70*time.Second)) {
		t.Errorf("lastState = %+v, want the crash at 1m40s of the instance started at 1m10s", s.LastState)
	}
	if err := n.RunUntil(node.Epoch.Add(150 * time.Second)); err != nil {
		t.Fatal(err)
	}
	p, _ = n.Pod("", "p")
	want := "back-off 40s restarting failed container=app pod=p_default(" + p.UID + ")"
	if w := p.ContainerStatus("app").State.Waiting; w == nil || w.Reason != "CrashLoopBackOff" || w.Message != want {
		t.Errorf("waiting = %+v, want CrashLoopBackOff %q", w, want)
	}
	var buf bytes.Buffer
	if err := n.GetPods(&buf, "default"); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); !strings.Contains(got, "p      0/1     CrashLoopBackOff   3 (0s ago)   2m30s") {
		t.Errorf("get pods =\n%s", got)
	}
}

// imageDocs is the size a build's manifest and config add to its layers.
func imageDocs(ref string, run registry.Run) int64 {
	m, _, _ := registry.Build(registry.Image{Config: ref, Layers: []registry.Layer{{Content: ref, Size: 1000}}, Run: run})
	return m.ImageSize() - 1000
}

// Under Always every restart pulls: a crash-looping pod contacts the
// registry on each start, and an outage turns its next restart into
// ImagePullBackOff although the image is cached.
func TestCrashLoopAlwaysPulls(t *testing.T) {
	reg, _, n := lifeWorld(t)
	runLife(t, n, "p", "app", []lifeStep{
		{at: 0, do: create1("p", "app:crash", pullpolicy.PullAlways, ""), phase: node.PodRunning, state: "running",
			events: []string{pulling("app:crash"), pulled("app:crash", 1000+imageDocs("app:crash", registry.Run{ExitAfter: 30 * time.Second, ExitCode: 1})), created, started}},
		{at: 30 * time.Second, phase: node.PodRunning, state: "running", restarts: 1,
			events: []string{pulling("app:crash"), pulled("app:crash", 1000+imageDocs("app:crash", registry.Run{ExitAfter: 30 * time.Second, ExitCode: 1})), created, started}},
		{at: 40 * time.Second, do: func(*node.Node) error {
			return reg.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultUnavailable})
		}, phase: node.PodRunning, state: "running", restarts: 1},
		// Crash at 60s: in the window, no registry contact.
		{at: 60 * time.Second, phase: node.PodRunning, state: "CrashLoopBackOff", restarts: 1, events: []string{backOffEvent("app")}},
		// At 70s the restart must pull, and the registry is down.
		{at: 70 * time.Second, phase: node.PodRunning, state: "ErrImagePull", restarts: 1,
			events: []string{pulling("app:crash"), failedPull("app:crash", `failed to pull and unpack image "docker.io/library/app:crash": failed to resolve reference "docker.io/library/app:crash": failed to do request: Head "https://registry-1.docker.io/v2/library/app/manifests/crash": dial tcp registry-1.docker.io:443: connect: connection refused`), startFailed("ErrImagePull")}},
		// Both backoffs run at once. The crash loop's window (now 20s) is
		// measured from the exit at 60s, the image's (10s) from the failed
		// pull at 70s: at 80s both are over, and the kubelet pulls again.
		{at: 80 * time.Second, phase: node.PodRunning, state: "ErrImagePull", restarts: 1,
			events: []string{pulling("app:crash"), failedPull("app:crash", `failed to pull and unpack image "docker.io/library/app:crash": failed to resolve reference "docker.io/library/app:crash": failed to do request: Head "https://registry-1.docker.io/v2/library/app/manifests/crash": dial tcp registry-1.docker.io:443: connect: connection refused`), startFailed("ErrImagePull")}},
		// Each start that passes the crash-loop check doubles its window
		// (40s from the exit at 60s): at 90s the crash loop holds it back.
		{at: 90 * time.Second, phase: node.PodRunning, state: "CrashLoopBackOff", restarts: 1, events: []string{backOffEvent("app")}},
		// At 100s the crash loop lets it try; the image backoff (20s from
		// 80s) is over too: another real pull.
		{at: 100 * time.Second, phase: node.PodRunning, state: "ErrImagePull", restarts: 1,
			events: []string{pulling("app:crash"), failedPull("app:crash", `failed to pull and unpack image "docker.io/library/app:crash": failed to resolve reference "docker.io/library/app:crash": failed to do request: Head "https://registry-1.docker.io/v2/library/app/manifests/crash": dial tcp registry-1.docker.io:443: connect: connection refused`), startFailed("ErrImagePull")}},
	})
	if got := reg.Counters().Resolves; got != 5 {
		t.Errorf("registry resolves = %d, want 5: one per start that reached the image step", got)
	}
}

// Init containers run one at a time, each in its own sync after the one
// before exited; the app containers start once all have completed.
func TestInitContainersRunUntilTheyExit(t *testing.T) {
	_, _, n := lifeWorld(t)
	create := func(n *node.Node) error {
		_, err := n.CreatePod(node.Pod{Name: "p", Spec: node.PodSpec{
			InitContainers: []node.Container{{Name: "migrate", Image: "init:5s"}, {Name: "warm", Image: "init:10s"}},
			Containers:     []node.Container{{Name: "app", Image: "app:good"}},
		}})
		return err
	}
	size := func(ref string, run registry.Run) int64 { return 1000 + imageDocs(ref, run) }
	runLife(t, n, "p", "app", []lifeStep{
		{at: 0, do: create, phase: node.PodPending, state: "PodInitializing",
			events: []string{pulling("init:5s"), pulled("init:5s", size("init:5s", registry.Run{ExitAfter: 5 * time.Second})), created, started}},
		{at: 5 * time.Second, phase: node.PodPending, state: "PodInitializing",
			events: []string{pulling("init:10s"), pulled("init:10s", size("init:10s", registry.Run{ExitAfter: 10 * time.Second})), created, started}},
		{at: 14 * time.Second, phase: node.PodPending, state: "PodInitializing"},
		{at: 15 * time.Second, phase: node.PodRunning, state: "running",
			events: []string{pulling("app:good"), pulled("app:good", size("app:good", registry.Run{})), created, started}},
	})
	p, _ := n.Pod("", "p")
	if s := p.Status.InitContainerStatuses[1]; s.State.Terminated == nil || s.State.Terminated.Reason != "Completed" ||
		!s.State.Terminated.FinishedAt.Equal(node.Epoch.Add(15*time.Second)) || !s.Ready {
		t.Errorf("warm: %+v, want Completed at 15s and ready", s)
	}
}

// A failing init container is restarted with crash-loop backoff, or fails
// the pod under restartPolicy Never; the app containers never start.
func TestInitContainerFails(t *testing.T) {
	for _, tc := range []struct {
		policy node.RestartPolicy
		steps  []lifeStep
	}{
		{node.RestartPolicyNever, []lifeStep{
			{at: 5 * time.Second, phase: node.PodFailed, state: "terminated:Error:1"},
			{at: 10 * time.Minute, phase: node.PodFailed, state: "terminated:Error:1"},
		}},
		{node.RestartPolicyAlways, []lifeStep{
			{at: 5 * time.Second, phase: node.PodPending, state: "running", restarts: 1, events: []string{present("init:bad"), created, started}},
			{at: 10 * time.Second, phase: node.PodPending, state: "CrashLoopBackOff", restarts: 1, events: []string{backOffEvent("init")}},
		}},
	} {
		t.Run(string(tc.policy), func(t *testing.T) {
			_, _, n := lifeWorld(t)
			if _, err := n.CreatePod(node.Pod{Name: "p", Spec: node.PodSpec{RestartPolicy: tc.policy,
				InitContainers: []node.Container{{Name: "init", Image: "init:bad"}},
				Containers:     []node.Container{{Name: "app", Image: "app:good"}}}}); err != nil {
				t.Fatal(err)
			}
			runLife(t, n, "p", "init", append([]lifeStep{{at: 0, phase: node.PodPending, state: "running"}}, tc.steps...))
			p, _ := n.Pod("", "p")
			if s := p.ContainerStatus("app"); s.State.Waiting == nil || s.State.Waiting.Reason != "PodInitializing" {
				t.Errorf("app: %+v, want PodInitializing", s.State)
			}
		})
	}
}

// Restart policies of app containers, and the phase a Job's pod ends in.
func TestRestartPolicies(t *testing.T) {
	for _, tc := range []struct {
		image    string
		policy   node.RestartPolicy
		phase    node.PodPhase
		state    string
		restarts int
	}{
		{"job:ok", node.RestartPolicyNever, node.PodSucceeded, "terminated:Completed:0", 0},
		{"job:fail", node.RestartPolicyNever, node.PodFailed, "terminated:Error:2", 0},
		{"job:ok", node.RestartPolicyOnFailure, node.PodSucceeded, "terminated:Completed:0", 0},
		{"job:fail", node.RestartPolicyOnFailure, node.PodRunning, "CrashLoopBackOff", 1},
		{"job:ok", node.RestartPolicyAlways, node.PodRunning, "CrashLoopBackOff", 1},
	} {
		_, _, n := lifeWorld(t)
		p := appPod("p", tc.image, "")
		p.Spec.RestartPolicy = tc.policy
		n.MustCreatePod(p)
		if err := n.RunUntil(node.Epoch.Add(45 * time.Second)); err != nil {
			t.Fatal(err)
		}
		got, _ := n.Pod("", "p")
		s := got.ContainerStatus("app")
		state := s.Reason()
		if t := s.State.Terminated; t != nil {
			state = fmt.Sprintf("terminated:%s:%d", t.Reason, t.ExitCode)
		}
		if got.Status.Phase != tc.phase || state != tc.state || s.RestartCount != tc.restarts {
			t.Errorf("%s under %s: phase %s, %s, %d restarts; want %s, %s, %d", tc.image, tc.policy, got.Status.Phase, state, s.RestartCount, tc.phase, tc.state, tc.restarts)
		}
	}
}

// A crash-loop window resets once the container ran for more than 10
// minutes (2×300s since the backoff's last update).
func TestCrashLoopResetsAfterLongRun(t *testing.T) {
	_, _, n := lifeWorld(t)
	n.MustCreatePod(appPod("p", "app:good", ""))
	exit := func(n *node.Node) error { return n.ExitContainer("", "p", "app", 1) }
	runLife(t, n, "p", "app", []lifeStep{
		{at: 0, do: exit, phase: node.PodRunning, state: "running", restarts: 1, events: []string{present("app:good"), created, started}},
		{at: 5 * time.Second, do: exit, phase: node.PodRunning, state: "CrashLoopBackOff", restarts: 1, events: []string{backOffEvent("app")}},
		{at: 15 * time.Second, phase: node.PodRunning, state: "running", restarts: 2, events: []string{present("app:good"), created, started}},
		// Ran 11 minutes: the entry expired, the restart is at once again.
		{at: 11*time.Minute + 15*time.Second, do: exit, phase: node.PodRunning, state: "running", restarts: 3, events: []string{present("app:good"), created, started}},
	})
}

// Native sidecars: started in init order, the app containers in the next
// sync; they count in READY, and a crashing sidecar is restarted.
func TestNativeSidecars(t *testing.T) {
	_, _, n := lifeWorld(t)
	n.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{
		InitContainers: []node.Container{{Name: "proxy", Image: "side:good", RestartPolicy: node.ContainerRestartPolicyAlways}, {Name: "migrate", Image: "init:5s"}},
		Containers:     []node.Container{{Name: "app", Image: "app:good"}},
	}})
	var order []string
	for _, e := range n.Events() {
		if e.Reason == node.EventStarted {
			order = append(order, strings.TrimSuffix(strings.TrimPrefix(e.Object.FieldPath, "spec."), "}"))
		}
	}
	if got := strings.Join(order, " "); got != "initContainers{proxy initContainers{migrate" {
		t.Errorf("started at 0s: %s, want the sidecar, then in the next sync migrate", got)
	}
	if err := n.RunUntil(node.Epoch.Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n.GetPods(&buf, "default")
	if got := buf.String(); !strings.Contains(got, "p      2/2     Running   0          5s") {
		t.Errorf("get pods =\n%s", got)
	}
	if err := n.ExitContainer("", "p", "proxy", 1); err != nil {
		t.Fatal(err)
	}
	p, _ := n.Pod("", "p")
	if s := p.Status.InitContainerStatuses[0]; s.State.Running == nil || s.RestartCount != 1 {
		t.Errorf("proxy after a crash: %+v, want restarted at once", s)
	}
}

// Deleting a pod stops app containers first, then sidecars in reverse
// order; a container that ignores SIGTERM is killed when the grace period
// ends, and only then does the pod go and its image stop being in use.
func TestPodTermination(t *testing.T) {
	_, _, n := lifeWorld(t)
	grace := int64(20)
	n.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{TerminationGracePeriodSeconds: &grace,
		InitContainers: []node.Container{{Name: "a-side", Image: "side:good", RestartPolicy: node.ContainerRestartPolicyAlways}, {Name: "b-side", Image: "side:good", RestartPolicy: node.ContainerRestartPolicyAlways}},
		Containers:     []node.Container{{Name: "app", Image: "slow:stop"}, {Name: "web", Image: "app:good"}},
	}})
	seen := n.EventCount()
	if err := n.DeletePod("", "p"); err != nil {
		t.Fatal(err)
	}
	got := func() string {
		var out []string
		for _, e := range n.EventsSince(seen) {
			out = append(out, fmt.Sprintf("%v %s", e.At.Sub(node.Epoch), e.Message))
		}
		seen = n.EventCount()
		return strings.Join(out, "; ")
	}
	if g := got(); g != "0s Stopping container app; 0s Stopping container web" {
		t.Errorf("at deletion: %s", g)
	}
	var buf bytes.Buffer
	n.GetPods(&buf, "default")
	if !strings.Contains(buf.String(), "Terminating") {
		t.Errorf("get pods during termination =\n%s", buf.String())
	}
	if _, err := n.CreatePod(appPod("p", "app:good", "")); err == nil {
		t.Error("a pod of the same name was created while p terminates")
	}
	if err := n.RunUntil(node.Epoch.Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if g := got(); g != "20s Stopping container b-side; 20s Stopping container a-side" {
		t.Errorf("at the grace period's end: %s", g)
	}
	if _, ok := n.Pod("", "p"); ok {
		t.Error("p is still there after its containers stopped")
	}
	if err := n.DeletePod("", "missing"); err == nil {
		t.Error("deleting a missing pod succeeded")
	}
}

func TestExitContainerErrors(t *testing.T) {
	_, _, n := lifeWorld(t)
	p := appPod("p", "job:ok", "")
	p.Spec.RestartPolicy = node.RestartPolicyNever
	n.MustCreatePod(p)
	for i, tc := range []struct {
		container string
		code      int
		want      string
	}{
		{"app", 256, "node node-1: exit default/p app: exit code 256 out of range 0-255"},
		{"app", -1, "node node-1: exit default/p app: exit code -1 out of range 0-255"},
		{"nope", 0, `container "nope" not found in pod "p"`},
	} {
		if err := n.ExitContainer("", "p", tc.container, tc.code); err == nil || err.Error() != tc.want {
			t.Errorf("case %d: ExitContainer = %v, want %q", i, err, tc.want)
		}
	}
	n.RunUntil(node.Epoch.Add(time.Minute))
	if err := n.ExitContainer("", "p", "app", 0); err == nil || !strings.Contains(err.Error(), "is not running") {
		t.Errorf("exit of an exited container: %v", err)
	}
	neg := int64(-1)
	bad := appPod("q", "app:good", "")
	bad.Spec.TerminationGracePeriodSeconds = &neg
	if _, err := n.CreatePod(bad); err == nil || !strings.Contains(err.Error(), "spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0") {
		t.Errorf("a negative grace period: %v", err)
	}
	for i, r := range []registry.Run{{ExitAfter: -time.Second}, {ExitAfter: time.Second, ExitCode: 300}, {ExitCode: 1}, {StopAfter: -1}} {
		if _, err := registry.New().Push(fmt.Sprintf("x:%d", i), registry.Image{Config: "x", Run: r}); err == nil {
			t.Errorf("run %d (%+v): Push succeeded", i, r)
		}
	}
}

// StartupLatency ends when the app containers start, not while an init
// container runs.
func TestStartupLatencyWaitsForInitContainers(t *testing.T) {
	_, _, n := lifeWorld(t)
	n.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{
		InitContainers: []node.Container{{Name: "migrate", Image: "init:5s"}},
		Containers:     []node.Container{{Name: "app", Image: "app:good"}},
	}})
	if d, ok := n.StartupLatency("", "p"); ok {
		t.Errorf("StartupLatency while migrate runs = %v, want none yet", d)
	}
	n.RunUntil(node.Epoch.Add(time.Minute))
	if d, ok := n.StartupLatency("", "p"); !ok || d != 5*time.Second {
		t.Errorf("StartupLatency = %v, %v; want 5s", d, ok)
	}
}

// Review findings, each with the kubelet's answer.
func TestLifecycleReviewFindings(t *testing.T) {
	// A crash-looping sidecar does not hold back an app container's
	// restart once the pod is initialized.
	t.Run("sidecar in backoff", func(t *testing.T) {
		_, _, n := lifeWorld(t)
		n.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{
			InitContainers: []node.Container{{Name: "proxy", Image: "side:good", RestartPolicy: node.ContainerRestartPolicyAlways}},
			Containers:     []node.Container{{Name: "app", Image: "app:good"}},
		}})
		n.ExitContainer("", "p", "proxy", 1) // restarted at once
		n.RunUntil(node.Epoch.Add(2 * time.Second))
		n.ExitContainer("", "p", "proxy", 1) // now in its crash-loop window
		n.ExitContainer("", "p", "app", 1)   // the app's first crash: restarted at once
		p, _ := n.Pod("", "p")
		if s := p.ContainerStatus("app"); s.State.Running == nil || s.RestartCount != 1 {
			t.Errorf("app: %+v, want restarted beside the crash-looping sidecar", s)
		}
		if s := p.Status.InitContainerStatuses[0]; s.Reason() != "CrashLoopBackOff" {
			t.Errorf("proxy: %+v, want CrashLoopBackOff", s.State)
		}
	})
	// RestartContainer on a Never pod's app container leaves the sidecars
	// running.
	t.Run("restart under Never", func(t *testing.T) {
		_, _, n := lifeWorld(t)
		n.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{RestartPolicy: node.RestartPolicyNever,
			InitContainers: []node.Container{{Name: "proxy", Image: "side:good", RestartPolicy: node.ContainerRestartPolicyAlways}},
			Containers:     []node.Container{{Name: "app", Image: "app:good"}},
		}})
		if err := n.RestartContainer("", "p", "app"); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		n.GetPods(&buf, "")
		if !strings.Contains(buf.String(), "2/2     Running") {
			t.Errorf("get pods =\n%s", buf.String())
		}
	})
	// The crash loop forgets an entry after 600s whatever its maximum:
	// under ReduceDefaultCrashLoopBackOffDecay (max 60s) a container that
	// ran 200s still backs off.
	t.Run("crash-loop expiry", func(t *testing.T) {
		_, _, n := lifeWorld(t, node.WithFeatureGate(node.GateReduceDefaultCrashLoopBackOffDecay, true))
		n.MustCreatePod(appPod("p", "app:good", ""))
		n.ExitContainer("", "p", "app", 1)
		n.RunUntil(node.Epoch.Add(200 * time.Second))
		n.ExitContainer("", "p", "app", 1)
		p, _ := n.Pod("", "p")
		if got := p.ContainerStatus("app").Reason(); got != "CrashLoopBackOff" {
			t.Errorf("after 200s of running: %q, want CrashLoopBackOff", got)
		}
	})
	// kubectl: once initialized, init containers' restarts do not count
	// and their state does not make the STATUS; a completed container
	// beside a running one reads NotReady.
	t.Run("get pods", func(t *testing.T) {
		_, _, n := lifeWorld(t)
		n.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{RestartPolicy: node.RestartPolicyOnFailure,
			InitContainers: []node.Container{{Name: "migrate", Image: "init:bad"}},
			Containers:     []node.Container{{Name: "job", Image: "job:ok"}, {Name: "web", Image: "app:good"}},
		}})
		n.RunUntil(node.Epoch.Add(5 * time.Second))  // migrate fails, restarts at once
		n.RunUntil(node.Epoch.Add(10 * time.Second)) // fails again: backoff
		var buf bytes.Buffer
		n.GetPods(&buf, "")
		if !strings.Contains(buf.String(), "Init:CrashLoopBackOff   1 (0s ago)") {
			t.Errorf("while initializing: get pods =\n%s", buf.String())
		}
	})
	t.Run("completed beside running", func(t *testing.T) {
		_, _, n := lifeWorld(t)
		n.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{RestartPolicy: node.RestartPolicyOnFailure,
			Containers: []node.Container{{Name: "job", Image: "job:ok"}, {Name: "web", Image: "app:good"}},
		}})
		n.RunUntil(node.Epoch.Add(time.Minute))
		var buf bytes.Buffer
		n.GetPods(&buf, "")
		if !strings.Contains(buf.String(), "1/2     NotReady") {
			t.Errorf("get pods =\n%s", buf.String())
		}
	})
}
