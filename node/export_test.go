package node_test

import (
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/registry"
	"github.com/stretchr/testify/require"
)

// BenchmarkPods exports every pod of a node of 110 running pods of one
// container, as Pods does after a rollout: ns/pod is the cost of one
// exported pod (its spec, status, state and container ID).
func BenchmarkPods(b *testing.B) {
	n := fleetNode(b)
	b.ReportAllocs()
	for b.Loop() {
		if got := len(n.Pods()); got != fleetPods {
			b.Fatalf("%d pods, want %d", got, fleetPods)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*fleetPods), "ns/pod")
}

// fleetNode is a node of the fleet benchmarks once its rollout has
// settled: 110 running pods of one container on web:v1, created one
// every 200ms.
func fleetNode(tb testing.TB) *node.Node {
	tb.Helper()
	reg := registry.New()
	reg.MustPush("web:v1", build("web v1"))
	n := node.MustNew("node-1", reg)
	for _, name := range fleetNames {
		n.MustCreatePod(appPod(name, "web:v1", ""))
		if err := n.Advance(fleetPace); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := n.Settle(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestPodsAllocs holds an exported pod of one running container to one
// allocation: its spec's container, its status, its running state and its
// container ID together. Pods allocates the slice besides.
func TestPodsAllocs(t *testing.T) {
	n := fleetNode(t)
	allocs := testing.AllocsPerRun(20, func() {
		pods := n.Pods()
		if len(pods) != fleetPods {
			t.Fatalf("%d pods, want %d", len(pods), fleetPods)
		}
		for _, p := range pods {
			s := p.Status.ContainerStatuses[0]
			if s.State.Running == nil || len(s.ContainerID) != len("containerd://")+64 {
				t.Fatalf("pod %s: running=%v container ID %q, want a running container's ID", p.Name, s.State.Running != nil, s.ContainerID)
			}
		}
	})
	if want := float64(fleetPods + 1); allocs > want {
		t.Errorf("Pods of %d running pods: %.0f allocations, want at most %.0f", fleetPods, allocs, want)
	}
}

// A pod keeps its times as durations since its creation; the times it
// shows are the clock's, location included, to the nanosecond: creation,
// start attempts, the running state and an exited instance's.
func TestPodTimesKeepLocation(t *testing.T) {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	start := time.Date(2026, time.March, 1, 9, 0, 0, 7, zone)
	reg := registry.New()
	reg.MustPush("web:v1", build("web v1"))
	clock := node.NewManualClock(start)
	n := node.MustNew("node-1", reg, node.WithClock(clock))
	n.MustCreatePod(appPod("web", "web:v1", ""))
	if _, err := n.Settle(); err != nil {
		t.Fatal(err)
	}
	p, _ := n.Pod("default", "web")
	running := p.Status.ContainerStatuses[0].State.Running
	require.NotNil(t, running, "the pod runs")
	atts := n.Attempts("default", "web")
	require.NotEmpty(t, atts)
	last := atts[len(atts)-1]
	exitAt := clock.Now().Add(90*time.Second + 3)
	clock.Set(exitAt)
	require.NoError(t, n.ExitContainer("default", "web", "app", 1))
	q, _ := n.Pod("default", "web")
	s := q.Status.ContainerStatuses[0]
	term := s.State.Terminated
	if term == nil {
		term = s.LastState.Terminated
	}
	require.NotNil(t, term, "the exited instance shows")
	for i, tc := range []struct {
		name      string
		got, want time.Time
	}{
		{"creation", p.CreationTimestamp, start},
		{"running since", running.StartedAt, last.At},
		{"terminated: started", term.StartedAt, running.StartedAt},
		{"terminated: finished", term.FinishedAt, exitAt},
	} {
		if tc.got != tc.want || tc.got.Location() != zone {
			t.Errorf("step %d: %s: got %v (%v), want %v (%v)", i, tc.name, tc.got, tc.got.Location(), tc.want, zone)
		}
	}
	if !last.At.After(start) || last.At.Location() != zone || last.Container != "app" || last.Reason != "" {
		t.Errorf("last attempt %+v: want app's start after %v, in %v", last, start, zone)
	}
}
