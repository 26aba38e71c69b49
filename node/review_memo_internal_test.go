package node

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// memoScenario drives a node through what the node's memos must see:
// the image manager's present memo, the image service's memo of what the
// cache has for a manifest, and the pod lookup's last-found pod. Every
// step changes something an EnsureImage answer reads (status errors,
// pinning, a tag loaded with another build, a removed image, a kubelet
// restart, KEP-2535 records written by pods with and without a secret, a
// tag that moves in the registry, a digest reference, a pod deleted and
// recreated under its name, a secret deleted, AlwaysPullImages switched on)
// and is followed by an EnsureImage of every container of every pod. With
// plain set, the node's memos are off (presentMemos, cachedMemos) and the
// lookup's is cleared before every call. It returns everything the node
// did, as JSON.
func memoScenario(t *testing.T, plain bool, opts ...Option) string {
	t.Helper()
	presentMemos, cachedMemos = !plain, !plain
	t.Cleanup(func() { presentMemos, cachedMemos = true, true })
	const (
		web     = "web:v1"
		private = "registry.example.com/team/web:v1"
	)
	v1, v2 := memoImage("review memo v1"), memoImage("review memo v2")
	cred := registry.Credential{Username: "team", Password: "team-secret"}
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	reg.MustPush(web, v1)
	reg.MustPush(private, v1)
	if err := reg.SetPrivate(private, cred); err != nil {
		t.Fatal(err)
	}
	cluster := NewCluster()
	if _, err := cluster.CreateSecret(DockerConfigSecret("default", "regcred", map[string]registry.Credential{"registry.example.com": cred})); err != nil {
		t.Fatal(err)
	}
	opts = append([]Option{WithCluster(cluster), WithRefCache(new(pullpolicy.RefCache)), WithRegistryPullQPS(0, 0)}, opts...)
	n := MustNew("node-1", reg, opts...)
	pod := func(name, image string, policy pullpolicy.PullPolicy, secrets ...string) Pod {
		return Pod{Name: name, Spec: PodSpec{
			Containers:       []Container{{Name: "app", Image: image, ImagePullPolicy: policy}},
			ImagePullSecrets: secrets,
		}}
	}
	var log []string
	note := func(format string, args ...any) { log = append(log, fmt.Sprintf(format, args...)) }
	create := func(p Pod) func() error {
		return func() error {
			_, err := n.CreatePod(p)
			note("create %s: %v", p.Name, err)
			return nil
		}
	}
	var digestRef string
	steps := []func() error{
		func() error { _, err := n.LoadImage(web, v1); return err },
		create(pod("never", web, pullpolicy.PullNever)), // before a, which pulls what it lacks
		create(pod("a", web, pullpolicy.PullIfNotPresent)),
		create(pod("other", "docker.io/library/"+web, pullpolicy.PullIfNotPresent)),
		create(pod("p", private, pullpolicy.PullIfNotPresent)), // preloaded? not on the node: pulls, and cannot
		create(pod("s", private, pullpolicy.PullAlways, "regcred")),
		func() error { return n.Advance(time.Minute) },
		create(pod("s2", private, pullpolicy.PullIfNotPresent, "regcred")),
		create(pod("p2", private, pullpolicy.PullNever)),
		func() error { n.SetImageStatusError(errors.New("rpc error: code = Unavailable")); return nil },
		func() error { n.SetImageStatusError(nil); return nil },
		func() error { return n.PinImage(web, true) },
		func() error { _, err := n.LoadImage(web, v2); return err }, // the tag moves on the node
		func() error { return n.Cache().Remove("docker.io/library/" + web) },
		func() error { return n.Advance(time.Minute) },
		func() error { n.RestartKubelet(); return nil },
		func() error { reg.MustPush(web, v2); return nil }, // the tag moves in the registry
		create(pod("always", web, pullpolicy.PullAlways)),
		func() error { return n.Advance(time.Minute) },
		func() error {
			img, ok := n.Cache().Get("docker.io/library/" + web)
			if !ok || len(img.RepoDigests) == 0 {
				return fmt.Errorf("%s is not on the node with a digest: %+v", web, img)
			}
			digestRef = img.RepoDigests[0]
			return nil
		},
		func() error { return create(pod("digest", digestRef, pullpolicy.PullIfNotPresent))() },
		func() error { _, err := n.LoadImage("web:latest", v1); return err }, // another tag, the old build
		create(pod("latest", "web:latest", pullpolicy.PullIfNotPresent)),
		func() error { return n.DeletePod("default", "a") },
		func() error { return n.Advance(time.Minute) },
		create(pod("a", web, pullpolicy.PullNever)), // a again, another pod
		func() error { return cluster.DeleteSecret("default", "regcred") },
		create(pod("s3", private, pullpolicy.PullIfNotPresent, "regcred")),
		func() error { cluster.SetAlwaysPullImages(true); return nil },
		create(pod("forced", web, pullpolicy.PullIfNotPresent)),
		func() error { return n.Advance(10 * time.Minute) },
		func() error { n.DeleteUnusedImages(); return nil },
	}
	for i, step := range steps {
		if plain {
			n.workers.found = nil
		}
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		for _, p := range n.Pods() {
			if plain {
				n.workers.found = nil
			}
			ref, msg, err := n.EnsureImage(p.Namespace, p.Name, "app")
			note("step %d: ensure %s: %s %q %v", i, p.Name, ref, msg, err)
		}
	}
	return snapshot(t, n, log)
}

// TestMemosMatchPlain holds the node's memos (the image manager's cache
// hit, the image service's cached content, the pod lookup's last-found
// pod) to a node without them: the same EnsureImage answers, events,
// pulls, counters, statuses and images, under each KEP-2535 setting.
func TestMemosMatchPlain(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
		// shows are texts the plain run must contain, so that it
		// exercises what could tell a memo apart.
		shows []string
	}{
		{"KEP-2535 off", []Option{WithEnsureSecretPulledImages(false)},
			[]string{"already present on machine\"", "Failed to inspect image", "is not present with pull policy of Never", "@sha256:"}},
		{"NeverVerifyPreloadedImages", nil,
			[]string{"and can be accessed by the pod", "Failed to inspect image", "ErrImageNeverPull", "ErrImagePull"}},
		{"AlwaysVerify", []Option{WithImagePullCredentialsVerificationPolicy(AlwaysVerify)},
			[]string{"and can be accessed by the pod", "ErrImageNeverPull", "ErrImagePull"}},
		{"NeverVerifyAllowlistedImages", []Option{WithImagePullCredentialsVerificationPolicy(NeverVerifyAllowlistedImages),
			WithPreloadedImagesVerificationAllowlist("docker.io/library/*")},
			[]string{"and can be accessed by the pod", "ErrImageNeverPull"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := memoScenario(t, true, tc.opts...)
			for _, s := range tc.shows {
				if !strings.Contains(want, s) {
					t.Fatalf("the run never shows %q", s)
				}
			}
			if got := memoScenario(t, false, tc.opts...); got != want {
				t.Errorf("with memos, the run differs:\n%s", firstDiff(got, want))
			}
		})
	}
}

// TestPresentMemoPullInFlight holds the present memo to the pull records
// alone changing: a preloaded image, which any pod may use under
// NeverVerifyPreloadedImages, has a pull intent while an Always pod's pull
// of it runs, and the kubelet then counts it as pulled by itself: a pod
// without a record must pull. Nothing in the image cache changes until the
// pull finishes, so only the records' generation tells the memo.
func TestPresentMemoPullInFlight(t *testing.T) {
	t.Cleanup(func() { presentMemos = true })
	run := func(memo bool) []string {
		presentMemos = memo
		img := memoImage("review in flight")
		reg := registry.New()
		reg.MustPush("fresh:v1", img)
		if err := reg.SetDefaultLink(registry.Link{Latency: 10 * time.Second}); err != nil {
			t.Fatal(err)
		}
		n := MustNew("node-1", reg, WithRefCache(new(pullpolicy.RefCache)), WithRegistryPullQPS(0, 0))
		if _, err := n.LoadImage("fresh:v1", img); err != nil {
			t.Fatal(err)
		}
		var got []string
		ensure := func(pod string) {
			ref, msg, err := n.EnsureImage("default", pod, "app")
			got = append(got, fmt.Sprintf("%s: %s %q %v", pod, ref, msg, err))
		}
		for _, p := range []struct {
			name   string
			policy pullpolicy.PullPolicy
		}{{"a", pullpolicy.PullIfNotPresent}, {"b", pullpolicy.PullAlways}} {
			if _, err := n.CreatePod(Pod{Name: p.name, Spec: PodSpec{Containers: []Container{{Name: "app", Image: "fresh:v1", ImagePullPolicy: p.policy}}}}); err != nil {
				t.Fatal(err)
			}
		}
		ensure("a") // b's pull is in flight
		for _, e := range n.Events() {
			got = append(got, e.Object.Name+": "+e.String())
		}
		return got
	}
	want := run(false)
	if !slices.ContainsFunc(want, func(s string) bool { return strings.HasPrefix(s, "a: Normal Pulling") }) {
		t.Fatalf("a did not pull while b's pull ran:\n%s", strings.Join(want, "\n"))
	}
	got := run(true)
	if !slices.Equal(got, want) {
		t.Errorf("with the present memo:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
