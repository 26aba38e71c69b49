package node

import (
	"errors"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// memoImage is an image of its own for the memo tests, so that the
// shared reference cache's entry is theirs.
func memoImage(name string) registry.Image {
	return registry.Image{Config: name, Layers: []registry.Layer{{Content: name, Size: 1 << 20}}}
}

// imageIDOf is the image ID a node stores img under.
func imageIDOf(t *testing.T, img registry.Image) digest.Digest {
	t.Helper()
	stored, err := MustNew("scratch", registry.New()).LoadImage("scratch:1", img)
	if err != nil {
		t.Fatal(err)
	}
	return stored.ID
}

// memoHolds reports whether the image manager's present memo answers for
// image now: the next cache hit on it skips the lookups.
func memoHolds(n *Node, image string) bool {
	ref, err := n.cfg.refs.Parse(image)
	if err != nil {
		return false
	}
	h := &n.manager.hit
	return h.ref == ref && h.cache == n.images.cache && h.cacheGen == n.images.cache.Generation() && h.recordsGen == n.records.gen
}

// TestPresentMemo holds imageManager's memo of the last cache hit to the
// answer EnsureImage gives without it: each scenario fills the memo, then
// changes what the answer reads (the image is removed by GC, retagged, a
// new build is pulled under the same tag, KEP-2535 records name a secret),
// and the next call must see the change. A call whose KEP-2535 check read
// the pod's credentials leaves no memo, since another pod's answer
// differs.
func TestPresentMemo(t *testing.T) {
	const (
		web     = "web:v1"
		private = "registry.example.com/team/web:v1"
	)
	v1, v2 := memoImage("memo web v1"), memoImage("memo web v2")
	id1, id2 := imageIDOf(t, v1), imageIDOf(t, v2)
	cred := registry.Credential{Username: "team", Password: "team-secret"}
	pod := func(name, image string, policy pullpolicy.PullPolicy, secrets ...string) Pod {
		return Pod{Name: name, Spec: PodSpec{
			Containers:       []Container{{Name: "app", Image: image, ImagePullPolicy: policy}},
			ImagePullSecrets: secrets,
		}}
	}
	type step struct {
		desc     string
		act      func(t *testing.T, reg *registry.Registry, n *Node) // before EnsureImage; nil: nothing
		pod      string                                              // whose container "app" EnsureImage runs for
		image    string                                              // the pod's image, whose memo is checked
		wantID   digest.Digest                                       // the image ref EnsureImage returns
		wantErr  error                                               // nil, or the error it wraps
		wantMemo bool                                                // a memo for image holds afterwards
	}
	create := func(p Pod) func(*testing.T, *registry.Registry, *Node) {
		return func(t *testing.T, _ *registry.Registry, n *Node) {
			if _, err := n.CreatePod(p); err != nil {
				t.Fatal(err)
			}
			if _, err := n.Settle(); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, sc := range []struct {
		name  string
		setup func(t *testing.T, reg *registry.Registry, n *Node)
		steps []step
	}{{
		name: "removed by GC",
		setup: func(t *testing.T, _ *registry.Registry, n *Node) {
			if _, err := n.LoadImage(web, v1); err != nil {
				t.Fatal(err)
			}
		},
		steps: []step{
			{desc: "Never, present", act: create(pod("a", web, pullpolicy.PullNever)), pod: "a", image: web, wantID: id1, wantMemo: true},
			{desc: "a is deleted, its image collected; Never, absent", act: func(t *testing.T, _ *registry.Registry, n *Node) {
				if err := n.DeletePod("default", "a"); err != nil {
					t.Fatal(err)
				}
				if err := n.Advance(10 * time.Minute); err != nil {
					t.Fatal(err)
				}
				n.DeleteUnusedImages()
				if _, ok := n.images.cache.ID("docker.io/library/" + web); ok {
					t.Fatal("the image was not collected")
				}
				create(pod("b", web, pullpolicy.PullNever))(t, nil, n)
			}, pod: "b", image: web, wantErr: pullpolicy.ErrImageNeverPull},
		},
	}, {
		name: "retagged",
		setup: func(t *testing.T, _ *registry.Registry, n *Node) {
			if _, err := n.LoadImage(web, v1); err != nil {
				t.Fatal(err)
			}
		},
		steps: []step{
			{desc: "IfNotPresent, present", act: create(pod("a", web, pullpolicy.PullIfNotPresent)), pod: "a", image: web, wantID: id1, wantMemo: true},
			{desc: "again: the memo answers", pod: "a", image: web, wantID: id1, wantMemo: true},
			{desc: "the tag is loaded with another build", act: func(t *testing.T, _ *registry.Registry, n *Node) {
				if _, err := n.LoadImage(web, v2); err != nil {
					t.Fatal(err)
				}
			}, pod: "a", image: web, wantID: id2, wantMemo: true},
		},
	}, {
		name: "a new build pulled under the same tag",
		setup: func(t *testing.T, reg *registry.Registry, _ *Node) {
			reg.MustPush(web, v1)
		},
		steps: []step{
			{desc: "IfNotPresent, pulled", act: create(pod("a", web, pullpolicy.PullIfNotPresent)), pod: "a", image: web, wantID: id1, wantMemo: true},
			{desc: "v2 pushed and pulled by an Always pod", act: func(t *testing.T, reg *registry.Registry, n *Node) {
				reg.MustPush(web, v2)
				create(pod("always", web, pullpolicy.PullAlways))(t, reg, n)
			}, pod: "a", image: web, wantID: id2, wantMemo: true},
		},
	}, {
		name: "KEP-2535 records name a secret",
		setup: func(t *testing.T, reg *registry.Registry, n *Node) {
			reg.MustPush(private, v1)
			if err := reg.SetPrivate(private, cred); err != nil {
				t.Fatal(err)
			}
			if _, err := n.Cluster().CreateSecret(DockerConfigSecret("default", "regcred", map[string]registry.Credential{"registry.example.com": cred})); err != nil {
				t.Fatal(err)
			}
			if _, err := n.LoadImage(private, v1); err != nil {
				t.Fatal(err)
			}
		},
		steps: []step{
			{desc: "preloaded: any pod may use it", act: create(pod("a", private, pullpolicy.PullIfNotPresent)), pod: "a", image: private, wantID: id1, wantMemo: true},
			{desc: "pulled with regcred: a pod without it must pull, and cannot", act: create(pod("secret", private, pullpolicy.PullAlways, "regcred")),
				pod: "a", image: private, wantErr: pullpolicy.ErrImagePull},
			{desc: "a pod with regcred proves access: no memo", act: create(pod("s", private, pullpolicy.PullIfNotPresent, "regcred")),
				pod: "s", image: private, wantID: id1},
			{desc: "a new pod without it must still pull (its sync's pull failed: backoff)", act: create(pod("c", private, pullpolicy.PullIfNotPresent)),
				pod: "c", image: private, wantErr: pullpolicy.ErrImagePullBackOff},
		},
	}} {
		t.Run(sc.name, func(t *testing.T) {
			reg := registry.New()
			reg.SetDefaultLink(registry.InstantLink)
			n := MustNew("node-1", reg, WithCluster(NewCluster()), WithRefCache(new(pullpolicy.RefCache)), WithRegistryPullQPS(0, 0))
			sc.setup(t, reg, n)
			for i, s := range sc.steps {
				if s.act != nil {
					s.act(t, reg, n)
				}
				id, _, err := n.EnsureImage("default", s.pod, "app")
				if digest.Digest(id) != s.wantID || !errors.Is(err, s.wantErr) || (err == nil) != (s.wantErr == nil) {
					t.Errorf("step %d (%s): EnsureImage = %q, %v; want %q, %v", i, s.desc, id, err, s.wantID, s.wantErr)
				}
				if got := memoHolds(n, s.image); got != s.wantMemo {
					t.Errorf("step %d (%s): memo holds = %v, want %v", i, s.desc, got, s.wantMemo)
				}
			}
		})
	}
}

// TestLookupFound holds podWorkers.lookup's memo of the pod it found last
// to the pods map: a deleted pod is found while it terminates, is
// forgotten when it is removed (so the memo keeps no removed pod alive),
// and a new pod of the same name is found in its place.
func TestLookupFound(t *testing.T) {
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	n := MustNew("node-1", reg, WithRefCache(new(pullpolicy.RefCache)))
	v1, v2 := memoImage("lookup v1"), memoImage("lookup v2")
	v1.Run.StopAfter = 10 * time.Second // a deleted pod of v1 terminates for 10s
	for _, l := range []struct {
		name string
		img  registry.Image
	}{{"web:v1", v1}, {"web:v2", v2}} {
		if _, err := n.LoadImage(l.name, l.img); err != nil {
			t.Fatal(err)
		}
	}
	create := func(image string) {
		t.Helper()
		if _, err := n.CreatePod(Pod{Name: "a", Spec: PodSpec{Containers: []Container{{Name: "app", Image: image}}}}); err != nil {
			t.Fatal(err)
		}
	}
	create("web:v1")
	for i, s := range []struct {
		act     func()        // before the lookup
		ns      string        // the namespace asked for
		want    digest.Digest // the ID EnsureImage gives; "" for ErrNotFound
		wantErr error
		found   bool // the memo holds a pod afterwards
	}{
		{ns: "", want: imageIDOf(t, v1), found: true},
		{ns: "default", want: imageIDOf(t, v1), found: true},
		{ns: "other", wantErr: ErrNotFound, found: true},
		{act: func() {
			if err := n.DeletePod("", "a"); err != nil {
				t.Fatal(err)
			}
		}, ns: "default", want: imageIDOf(t, v1), found: true}, // terminating
		{act: func() {
			if err := n.Advance(time.Minute); err != nil {
				t.Fatal(err)
			}
		}, ns: "default", wantErr: ErrNotFound, found: false}, // removed
		{act: func() { create("web:v2") }, ns: "default", want: imageIDOf(t, v2), found: true},
	} {
		if s.act != nil {
			s.act()
		}
		id, _, err := n.EnsureImage(s.ns, "a", "app")
		if digest.Digest(id) != s.want || !errors.Is(err, s.wantErr) || (err == nil) != (s.wantErr == nil) {
			t.Errorf("step %d: EnsureImage(%q, a, app) = %q, %v; want %q, %v", i, s.ns, id, err, s.want, s.wantErr)
		}
		if got := n.workers.found != nil; got != s.found {
			t.Errorf("step %d: a pod found = %v, want %v", i, got, s.found)
		}
		if f := n.workers.found; f != nil && (f.removed || n.workers.pods[podID(f.namespace(), f.name())] != f) {
			t.Errorf("step %d: the found pod is not the one its name maps to", i)
		}
	}
}
