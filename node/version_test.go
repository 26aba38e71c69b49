package node_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// Each difference between kubelet minors, the same scenario run under two
// of them.
func TestKubeletVersions(t *testing.T) {
	credA := registry.Credential{Username: "team-a", Password: "a-secret"}
	const private = "registry.example.com/team-a/app:v1"
	// tenant: A pulls a private image with its secret; B, with none, runs
	// it under IfNotPresent. The answer is B's events.
	tenant := func(t *testing.T, version string) string {
		w, _ := newCredWorld(t, node.WithKubeletVersion(version))
		w.reg.MustPush(private, build("app v1"))
		w.reg.SetPrivate(private, credA)
		n := w.node("")
		n.Cluster().CreateSecret(node.DockerConfigSecret("", "a", map[string]registry.Credential{"registry.example.com": credA}))
		n.MustCreatePod(podWith("a", private, "", "a"))
		seen := n.EventCount()
		n.MustCreatePod(podWith("b", private, ""))
		var out []string
		for _, e := range n.EventsSince(seen) {
			out = append(out, e.String())
		}
		return strings.Join(out, "\n")
	}
	// allowlist: under NeverVerifyAllowlistedImages with the entry
	// registry.k8s.io/pause, a Never pod of registry.k8s.io/pause:3.10
	// pulled by the kubelet with a secret.
	allowlist := func(t *testing.T, version string) string {
		const pause = "registry.k8s.io/pause:3.10"
		w, _ := newCredWorld(t, node.WithKubeletVersion(version), node.WithFeatureGate(node.GateKubeletEnsureSecretPulledImages, true),
			node.WithImagePullCredentialsVerificationPolicy(node.NeverVerifyAllowlistedImages),
			node.WithPreloadedImagesVerificationAllowlist("registry.k8s.io/pause"))
		w.reg.MustPush(pause, build("pause"))
		w.reg.SetPrivate(pause, credA)
		n := w.node("")
		n.Cluster().CreateSecret(node.DockerConfigSecret("", "a", map[string]registry.Credential{"registry.k8s.io": credA}))
		n.MustCreatePod(podWith("a", pause, "", "a"))
		p := n.MustCreatePod(podWith("b", pause, pullpolicy.PullNever))
		return p.Status.ContainerStatuses[0].Reason()
	}
	lifecycle := func(t *testing.T, version string) string {
		w := newWorld(t, node.WithKubeletVersion(version))
		w.reg.MustPush("nginx:1.28", build("nginx"))
		n := w.node("")
		n.MustCreatePod(appPod("p", "nginx:1.28", ""))
		evs := n.Events()
		return evs[len(evs)-2].String() + "\n" + evs[len(evs)-1].String()
	}
	gcFailure := func(t *testing.T, version string) string {
		w := newWorld(t, node.WithKubeletVersion(version), node.WithImageFSCapacity(100<<20))
		w.reg.MustPush("nginx:1.28", build("nginx"))
		n := w.node("")
		n.MustCreatePod(appPod("p", "nginx:1.28", ""))
		n.SetImageFSOtherUsage(60 << 20)
		return n.GarbageCollect().Err.Error()
	}
	presentText := `Normal Pulled Container image "` + private + `" already present on machine`
	for _, tc := range []struct {
		name     string
		scenario func(*testing.T, string) string
		want     map[string]string // by minor
	}{
		{"KEP-2535 off in v1.34", tenant, map[string]string{
			node.KubeletV134: presentText + "\nNormal Created Created container: app\nNormal Started Started container app",
			node.KubeletV135: strings.Join([]string{pulling(private), failedPull(private, private401), startFailed("ErrImagePull")}, "\n"),
		}},
		{"allowlist compared with the tag until v1.36", allowlist, map[string]string{
			node.KubeletV135: "ErrImageNeverPull",
			node.KubeletV136: "",
		}},
		{"allowlist in v1.34 with the gate on behaves as v1.35", allowlist, map[string]string{
			node.KubeletV134: "ErrImageNeverPull",
			node.KubeletV137: "",
		}},
		{"lifecycle event texts changed in v1.35", lifecycle, map[string]string{
			node.KubeletV134: "Normal Created Created container: app\nNormal Started Started container app",
			node.KubeletV135: created + "\n" + started,
		}},
		{"GC failure text changed in v1.35", gcFailure, map[string]string{
			node.KubeletV134: "Failed to garbage collect required amount of images. Attempted to free 15729494 bytes, but only found 0 bytes eligible to free.",
			node.KubeletV137: "Insufficient free disk space on the node's image filesystem (96% of 100.0 MiB used). Failed to free sufficient space by deleting unused images (freed 0 bytes). Investigate disk usage, as it could be used by active images, logs, volumes, or other data.",
		}},
	} {
		for version, want := range tc.want {
			t.Run(tc.name+"/"+version, func(t *testing.T) {
				if got := tc.scenario(t, version); got != want {
					t.Errorf("v%s:\n%s\nwant\n%s", version, got, want)
				}
			})
		}
	}
}

func TestKubeletVersionOptions(t *testing.T) {
	reg := registry.New()
	for i, tc := range []struct {
		opts []node.Option
		want string
	}{
		{[]node.Option{node.WithKubeletVersion("1.33")}, "node n: unsupported kubelet version \"1.33\"; supported: 1.34, 1.35, 1.36, 1.37"},
		{[]node.Option{node.WithKubeletVersion("v1.37.2")}, "node n: unsupported kubelet version \"v1.37.2\"; supported: 1.34, 1.35, 1.36, 1.37"},
		{[]node.Option{node.WithKubeletVersion("latest")}, "node n: unsupported kubelet version \"latest\"; supported: 1.34, 1.35, 1.36, 1.37"},
		{[]node.Option{node.WithFeatureGate("DigestAwareImagePullPolicyDefaulting", true)}, "node n: unrecognized feature gate: DigestAwareImagePullPolicyDefaulting"},
		{[]node.Option{node.WithFeatureGate(node.GateImageMaximumGCAge, false)}, "node n: cannot set feature gate ImageMaximumGCAge to false, feature is locked to true"},
		{[]node.Option{node.WithKubeletVersion("1.34"), node.WithFeatureGate(node.GateImageMaximumGCAge, false)}, ""},
		{[]node.Option{node.WithKubeletVersion("1.34"), node.WithFeatureGate(node.GateImageMaximumGCAge, false), node.WithImageMaximumGCAge(time.Hour)},
			"node n: invalid configuration: ImageMaximumGCAge feature gate is required for Kubelet configuration option imageMaximumGCAge"},
		// Gates apply whatever the order of the options.
		{[]node.Option{node.WithEnsureSecretPulledImages(true), node.WithKubeletVersion("1.34")}, ""},
	} {
		_, err := node.New("n", reg, tc.opts...)
		if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("case %d: New = %v, want %q", i, err, tc.want)
		}
	}
	n := node.MustNew("n", reg, node.WithEnsureSecretPulledImages(true), node.WithKubeletVersion("1.34"))
	if got := fmt.Sprint(n.FeatureGates()); got != "[{ImageMaximumGCAge true} {KubeletCrashLoopBackOffMax false} {KubeletEnsureSecretPulledImages true} {ReduceDefaultCrashLoopBackOffDecay false} {RuntimeClassInImageCriAPI false}]" {
		t.Errorf("FeatureGates = %s", got)
	}
	if n.KubeletVersion() != "1.34" || node.MustNew("d", reg).KubeletVersion() != node.DefaultKubeletVersion {
		t.Error("KubeletVersion does not report the minor chosen")
	}
}

// ReduceDefaultCrashLoopBackOffDecay makes the crash loop 1s doubling to
// 60s.
func TestReducedCrashLoopDecay(t *testing.T) {
	_, _, n := lifeWorld(t, node.WithFeatureGate(node.GateReduceDefaultCrashLoopBackOffDecay, true))
	n.MustCreatePod(appPod("p", "app:good", ""))
	n.ExitContainer("", "p", "app", 1)
	n.RunUntil(node.Epoch.Add(time.Second))
	n.ExitContainer("", "p", "app", 1)
	p, _ := n.Pod("", "p")
	if w := p.ContainerStatus("app").Message(); !strings.HasPrefix(w, "back-off 1s restarting failed container=app") {
		t.Errorf("waiting message %q, want a 1s window", w)
	}
}
