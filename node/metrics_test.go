package node_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/internal/golden"
	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// The image metrics count each EnsureImageExists by what the kubelet had
// determined when it returned, each successful pull by its time and size,
// and each image GC removed by its reason; the exposition is the kubelet's.
func TestWriteMetrics(t *testing.T) {
	reg := registry.New()
	reg.MustPush("nginx:1.28", build("nginx"))
	clock := node.NewManualClock(node.Epoch)
	n := node.MustNew("node-1", reg, node.WithClock(clock), node.WithImageFSCapacity(100<<20))
	ensures := func() string {
		var b bytes.Buffer
		if err := n.WriteMetrics(&b); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range strings.Split(b.String(), "\n") {
			if strings.HasPrefix(l, "kubelet_image_manager_ensure_image_requests_total{") {
				out = append(out, strings.TrimPrefix(l, "kubelet_image_manager_ensure_image_requests_total"))
			}
		}
		return strings.Join(out, " ")
	}
	if got := ensures(); got != "" {
		t.Fatalf("a new node's metrics: %q, want none", got)
	}
	for i, s := range []struct {
		pod   string
		image string
		p     pullpolicy.PullPolicy
		want  string // the series added, when the pod's first sync returns
	}{
		{"absent", "nginx:1.28", "", `{present_locally="false",pull_policy="ifnotpresent",pull_required="true"} 1`},
		{"present", "nginx:1.28", "", `{present_locally="true",pull_policy="ifnotpresent",pull_required="false"} 1`},
		{"always", "nginx:1.28", pullpolicy.PullAlways, `{present_locally="unknown",pull_policy="always",pull_required="true"} 1`},
		{"never", "redis:7", pullpolicy.PullNever, `{present_locally="false",pull_policy="never",pull_required="unknown"} 1`},
		{"invalid", "NGINX:1", pullpolicy.PullIfNotPresent, `{present_locally="unknown",pull_policy="ifnotpresent",pull_required="unknown"} 1`},
		{"missing", "redis:7", pullpolicy.PullIfNotPresent, `{present_locally="false",pull_policy="ifnotpresent",pull_required="true"} 2`},
	} {
		before := ensures()
		n.MustCreatePod(appPod(s.pod, s.image, s.p))
		if err := n.Advance(time.Second); err != nil {
			t.Fatal(err)
		}
		after := ensures()
		if !strings.Contains(after, s.want) || after == before {
			t.Errorf("step %d (%s): metrics %s\nwant a series %s", i, s.pod, after, s.want)
		}
		n.DeletePod("default", s.pod)
	}
	// A pull whose size ImageStatus cannot tell goes in the "N/A" series.
	n.SetImageStatusError(errors.New("rpc error: code = Unavailable desc = connection error"))
	n.MustCreatePod(appPod("unsized", "nginx:1.28", pullpolicy.PullAlways))
	if err := n.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	n.DeletePod("default", "unsized")
	n.SetImageStatusError(nil)
	n.GarbageCollect() // detects the image
	clock.Step(10 * time.Minute)
	n.SetImageFSOtherUsage(90 << 20)
	if r := n.GarbageCollect(); len(r.Removed) != 1 {
		t.Fatalf("GC removed %v, want nginx", r.Removed)
	}
	golden.CheckRun(t, "metrics", n.WriteMetrics)
}

// A nil writer is an error, not a panic.
func TestWriteMetricsNilWriter(t *testing.T) {
	n := node.MustNew("node-1", registry.New())
	if err := n.WriteMetrics(nil); err == nil || err.Error() != "node node-1: write metrics: the io.Writer is nil" {
		t.Errorf("WriteMetrics(nil) = %v, want the nil writer named", err)
	}
}

// A v1.34 kubelet has no ensure-image counter.
func TestWriteMetricsV134(t *testing.T) {
	reg := registry.New()
	reg.MustPush("nginx:1.28", build("nginx"))
	n := node.MustNew("node-1", reg, node.WithKubeletVersion(node.KubeletV134))
	n.MustCreatePod(appPod("a", "nginx:1.28", ""))
	n.Settle()
	var b bytes.Buffer
	if err := n.WriteMetrics(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "ensure_image_requests_total") || !strings.Contains(b.String(), "kubelet_image_pull_duration_seconds_count") {
		t.Errorf("v1.34 metrics:\n%s", b.String())
	}
}

// A kubelet's metrics live in its process: a restart starts them at zero.
func TestWriteMetricsAfterRestart(t *testing.T) {
	reg := registry.New()
	reg.MustPush("nginx:1.28", build("nginx"))
	clock := node.NewManualClock(node.Epoch)
	n := node.MustNew("node-1", reg, node.WithClock(clock), node.WithImageFSCapacity(100<<20))
	n.MustCreatePod(appPod("a", "nginx:1.28", ""))
	n.Settle()
	n.DeletePod("default", "a")
	n.GarbageCollect()
	clock.Step(10 * time.Minute)
	n.SetImageFSOtherUsage(90 << 20)
	n.GarbageCollect()
	var before, after bytes.Buffer
	if err := n.WriteMetrics(&before); err != nil {
		t.Fatal(err)
	}
	n.RestartKubelet()
	if err := n.WriteMetrics(&after); err != nil {
		t.Fatal(err)
	}
	for _, family := range []string{"ensure_image_requests_total", "image_pull_duration_seconds", "image_garbage_collected_total"} {
		if !strings.Contains(before.String(), family) || strings.Contains(after.String(), family) {
			t.Errorf("%s: before the restart %v, after %v; want before only", family, strings.Contains(before.String(), family), strings.Contains(after.String(), family))
		}
	}
}
