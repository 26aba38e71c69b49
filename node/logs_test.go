package node_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
)

// kubectl logs asks the kubelet which instance's logs to read: the current
// one, the one before it with --previous, or the kubelet's reason why
// there is none (validateContainerLogStatus).
func TestLogContainer(t *testing.T) {
	_, _, n := lifeWorld(t)
	id := func(pod string, last bool) string {
		p, _ := n.Pod("", pod)
		cs := p.Status.ContainerStatuses[0]
		if last {
			return cs.LastState.Terminated.ContainerID
		}
		return cs.ContainerID
	}
	create := func(name, image string, policy pullpolicy.PullPolicy) func() {
		return func() { n.MustCreatePod(appPod(name, image, policy)) }
	}
	waiting := func(pod, why string) string {
		return fmt.Sprintf("container %q in pod %q is waiting to start: %s", "app", pod, why)
	}
	for i, s := range []struct {
		at        time.Duration
		do        func()
		pod, ctr  string
		previous  bool
		want      func() string // the container ID wanted, when no error is
		wantError string
		state     string // the container's state then, when set: running, waiting or terminated
	}{
		{do: create("good", "app:good", ""), pod: "good", ctr: "app", want: func() string { return id("good", false) }},
		{pod: "good", ctr: "app", previous: true, wantError: `previous terminated container "app" in pod "good" not found`},
		{pod: "good", ctr: "sidecar", wantError: `container "sidecar" in pod "good" is not available`},
		{pod: "nope", ctr: "app", wantError: `pods "nope" not found`},
		{do: create("missing", "app:v9", ""), pod: "missing", ctr: "app", wantError: waiting("missing", "image can't be pulled")},
		{do: create("never", "app:v9", pullpolicy.PullNever), pod: "never", ctr: "app", wantError: waiting("never", "ErrImageNeverPull")},
		{do: create("crash", "app:crash", ""), pod: "crash", ctr: "app", want: func() string { return id("crash", false) }},
		{at: 20 * time.Second, pod: "missing", ctr: "app", wantError: waiting("missing", "trying and failing to pull image")},
		// The crashing container exits at 30s (restarted at once) and 60s
		// (CrashLoopBackOff for 10s): waiting, the exited instance's logs.
		{at: 61 * time.Second, pod: "crash", ctr: "app", want: func() string { return id("crash", true) }, state: "waiting"},
		{at: 61 * time.Second, pod: "crash", ctr: "app", previous: true, want: func() string { return id("crash", true) }},
		// Restarted at 70s: the current instance, and the one before it.
		{at: 70 * time.Second, pod: "crash", ctr: "app", want: func() string { return id("crash", false) }, state: "running"},
		{at: 70 * time.Second, pod: "crash", ctr: "app", previous: true, want: func() string { return id("crash", true) }},
		// A job that completed under restartPolicy Never: its one instance.
		{at: 70 * time.Second, do: func() {
			p := appPod("done", "job:ok", "")
			p.Spec.RestartPolicy = node.RestartPolicyNever
			n.MustCreatePod(p)
		}, pod: "done", ctr: "app", want: func() string { return id("done", false) }},
		{at: 95 * time.Second, pod: "done", ctr: "app", want: func() string { return id("done", false) }, state: "terminated"},
		{at: 95 * time.Second, pod: "done", ctr: "app", previous: true, wantError: `previous terminated container "app" in pod "done" not found`},
	} {
		if err := n.RunUntil(node.Epoch.Add(s.at)); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if s.do != nil {
			s.do()
		}
		if s.state != "" {
			p, _ := n.Pod("", s.pod)
			st, state := p.Status.ContainerStatuses[0].State, "running"
			if st.Waiting != nil {
				state = "waiting"
			} else if st.Terminated != nil {
				state = "terminated"
			}
			if state != s.state {
				t.Errorf("step %d: %s is %s, want %s", i, s.pod, state, s.state)
			}
		}
		got, err := n.LogContainer("", s.pod, s.ctr, s.previous)
		switch {
		case s.wantError != "":
			if err == nil || err.Error() != s.wantError {
				t.Errorf("step %d: LogContainer(%s, %s, previous=%v) = %q, %v, want error %q", i, s.pod, s.ctr, s.previous, got, err, s.wantError)
			}
			// The API server's NotFound for a pod it lacks; the kubelet's
			// BadRequest for the rest.
			want := node.ErrBadRequest
			if s.pod == "nope" {
				want = node.ErrNotFound
			}
			if err != nil && !errors.Is(err, want) {
				t.Errorf("step %d: error %v does not wrap %v", i, err, want)
			}
		case err != nil:
			t.Errorf("step %d: LogContainer(%s, %s, previous=%v) error = %v", i, s.pod, s.ctr, s.previous, err)
		default:
			if want := s.want(); got != want || !strings.HasPrefix(got, "containerd://") {
				t.Errorf("step %d: LogContainer(%s, %s, previous=%v) = %q, want %q", i, s.pod, s.ctr, s.previous, got, want)
			}
		}
	}
}

// A terminated container with no instance, which the kubelet reports
// after a pod ended before the container started, has no logs.
func TestLogContainerStates(t *testing.T) {
	pod := func(cs node.ContainerStatus) node.Pod {
		cs.Name = "app"
		return node.Pod{Name: "p", Status: node.PodStatus{ContainerStatuses: []node.ContainerStatus{cs}}}
	}
	const old = "containerd://" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for i, tc := range []struct {
		cs      node.ContainerStatus
		want    string
		wantErr string
	}{
		{cs: node.ContainerStatus{State: node.ContainerState{Terminated: &node.ContainerStateTerminated{Reason: "Error"}}}, wantErr: `container "app" in pod "p" is terminated`},
		{cs: node.ContainerStatus{State: node.ContainerState{Terminated: &node.ContainerStateTerminated{}}, LastState: node.ContainerState{Terminated: &node.ContainerStateTerminated{ContainerID: old}}}, want: old},
		{cs: node.ContainerStatus{State: node.ContainerState{Waiting: &node.ContainerStateWaiting{Reason: "ContainerCreating"}}}, wantErr: `container "app" in pod "p" is waiting to start: ContainerCreating`},
		{cs: node.ContainerStatus{}, wantErr: `container "app" in pod "p" is waiting to start - no logs yet`},
		{cs: node.ContainerStatus{LastState: node.ContainerState{Terminated: &node.ContainerStateTerminated{}}}, wantErr: `container "app" in pod "p" is terminated`},
	} {
		got, err := node.LogContainer(pod(tc.cs), "app", false)
		if got != tc.want || (err == nil) != (tc.wantErr == "") || (err != nil && err.Error() != tc.wantErr) {
			t.Errorf("case %d: LogContainer = %q, %v, want %q, %q", i, got, err, tc.want, tc.wantErr)
		}
	}
}
