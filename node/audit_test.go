package node_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// Options the kubelet's configuration validation (or pullsim's, where the
// kubelet's config cannot hold the value) refuses.
func TestOptionValidation(t *testing.T) {
	creds := func(string, string) (registry.Credential, bool) { return registry.Credential{}, false }
	for i, tc := range []struct {
		opts []node.Option
		want string // "" for a valid configuration
	}{
		{[]node.Option{node.WithCredentialProvider(node.CredentialProvider{Credentials: creds})},
			"node n: providers.matchImages: Required value: at least 1 item in matchImages is required"},
		{[]node.Option{node.WithCredentialProvider(node.CredentialProvider{MatchImages: []string{"*.example.com"}, Credentials: creds})}, ""},
		{[]node.Option{node.WithDefaulting(7)}, "node n: unknown defaulting rule Defaulting(7); want TagLatest or DigestAware"},
		{[]node.Option{node.WithDefaulting(pullpolicy.DigestAwareDefaulting)}, ""},
		{[]node.Option{node.WithImageBackOff(time.Second, math.MaxInt64)},
			"node n: image backoff max 2562047h47m16.854775807s is too large: twice it must fit in a time.Duration (at most 1281023h53m38.427387903s)"},
		{[]node.Option{node.WithImageBackOff(time.Second, math.MaxInt64/2)}, ""},
	} {
		_, err := node.New("n", registry.New(), tc.opts...)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("case %d: New = %q, want nil", i, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("case %d: New = %v, want %q", i, err, tc.want)
		}
	}
}

// The provider's MatchImages are the node's own copy: changing the
// caller's slice later changes nothing.
func TestCredentialProviderMatchImagesCopied(t *testing.T) {
	match := []string{"registry.example.com"}
	credA := registry.Credential{Username: "a", Password: "a"}
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	reg.MustPush("registry.example.com/app:v1", registry.Image{Config: "app"})
	if err := reg.SetPrivate("registry.example.com/app", credA); err != nil {
		t.Fatal(err)
	}
	n := node.MustNew("n", reg, node.WithCredentialProvider(node.CredentialProvider{MatchImages: match,
		Credentials: func(string, string) (registry.Credential, bool) { return credA, true }}))
	match[0] = "other.example.com"
	n.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "registry.example.com/app:v1"}}}})
	p, _ := n.Pod("", "p")
	if s := p.Status.ContainerStatuses[0]; s.State.Running == nil {
		t.Errorf("container state = %+v, want running: the provider must still match registry.example.com", s.State)
	}
}

// EnsureImage on a container whose pull is in flight joins that pull: one
// runtime pull, one Pulling and one Pulled, and the pod starts.
func TestEnsureImageJoinsPullInFlight(t *testing.T) {
	reg := registry.New() // the default link: the pull takes virtual time
	reg.MustPush("app:v1", registry.Image{Config: "app", Layers: []registry.Layer{{Content: "app", Size: 50_000_000}}})
	n := node.MustNew("n", reg)
	p := n.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "app:v1"}}}})
	if w := p.Status.ContainerStatuses[0].State.Waiting; w == nil || w.Reason != "ContainerCreating" {
		t.Fatalf("after CreatePod: waiting %+v, want ContainerCreating while the pull runs", w)
	}
	ref, msg, err := n.EnsureImage("", "p", "app")
	if err != nil || ref == "" || msg != "" {
		t.Fatalf("EnsureImage = %q, %q, %v; want the pulled image", ref, msg, err)
	}
	if got := len(n.Pulls()); got != 1 {
		t.Errorf("runtime pulls = %d, want 1", got)
	}
	var got []string
	for _, e := range n.Events() {
		got = append(got, e.Reason)
	}
	if want := "[Pulling Pulled Created Started]"; fmt.Sprint(got) != want {
		t.Errorf("events = %v, want %s", got, want)
	}
	p, _ = n.Pod("", "p")
	if s := p.Status.ContainerStatuses[0]; s.State.Running == nil {
		t.Errorf("container state = %+v, want running", s.State)
	}
}

// Names the API server refuses: object names must be DNS-1123 subdomains,
// namespaces and container and volume names DNS-1123 labels. Without the
// check "team/x" and "x/pull" would collide, and a pod in namespace
// "team/x" would pull with namespace team's secret.
func TestNamesTheAPIServerRefuses(t *testing.T) {
	const (
		sub   = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
		label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
	)
	long := strings.Repeat("a", 254)
	app := []node.Container{{Name: "app", Image: "nginx:1.28"}}
	for i, tc := range []struct {
		pod  node.Pod
		want string
	}{
		{node.Pod{Name: "x/pull", Spec: node.PodSpec{Containers: app}},
			`Pod "x/pull" is invalid: metadata.name: Invalid value: "x/pull": ` + sub},
		{node.Pod{Name: "p", Namespace: "team/x", Spec: node.PodSpec{Containers: app}},
			`Pod "p" is invalid: metadata.namespace: Invalid value: "team/x": ` + label},
		{node.Pod{Name: "P", Spec: node.PodSpec{Containers: app}},
			`Pod "P" is invalid: metadata.name: Invalid value: "P": ` + sub},
		{node.Pod{Name: long, Spec: node.PodSpec{Containers: app}},
			`Pod "` + long + `" is invalid: metadata.name: Invalid value: "` + long + `": must be no more than 253 characters`},
		{node.Pod{Name: "p", Spec: node.PodSpec{Containers: []node.Container{{Name: "App", Image: "nginx"}}}},
			`Pod "p" is invalid: spec.containers[0].name: Invalid value: "App": ` + label},
		{node.Pod{Name: "p", Spec: node.PodSpec{Containers: []node.Container{{Name: strings.Repeat("c", 64), Image: "nginx"}}}},
			`Pod "p" is invalid: spec.containers[0].name: Invalid value: "` + strings.Repeat("c", 64) + `": must be no more than 63 characters`},
		{node.Pod{Name: "p", Spec: node.PodSpec{Containers: app, Volumes: []node.Volume{{Name: "v_1", Image: &node.ImageVolumeSource{Reference: "x:1"}}}}},
			`Pod "p" is invalid: spec.volumes[0].name: Invalid value: "v_1": ` + label},
	} {
		n := node.MustNew("n", registry.New())
		_, err := n.CreatePod(tc.pod)
		if err == nil || err.Error() != tc.want {
			t.Errorf("case %d: CreatePod = %v\nwant %q", i, err, tc.want)
		}
		if len(n.Pods()) != 0 {
			t.Errorf("case %d: a refused pod was stored", i)
		}
	}

	cl := node.NewCluster()
	for i, tc := range []struct {
		namespace, name string
		want            string
	}{
		{"default", "x/pull", `Secret "x/pull" is invalid: metadata.name: Invalid value: "x/pull": ` + sub},
		{"team/x", "pull", `Secret "pull" is invalid: metadata.namespace: Invalid value: "team/x": ` + label},
		{"Team", "pull", `Secret "pull" is invalid: metadata.namespace: Invalid value: "Team": ` + label},
	} {
		_, err := cl.CreateSecret(node.Secret{Namespace: tc.namespace, Name: tc.name})
		if err == nil || err.Error() != tc.want {
			t.Errorf("secret case %d: CreateSecret = %v\nwant %q", i, err, tc.want)
		}
		_, err = cl.CreateServiceAccount(node.ServiceAccount{Namespace: tc.namespace, Name: tc.name})
		if want := strings.Replace(tc.want, "Secret", "ServiceAccount", 1); err == nil || err.Error() != want {
			t.Errorf("service account case %d: CreateServiceAccount = %v\nwant %q", i, err, want)
		}
	}
	if _, ok := cl.Secret("team", "x/pull"); ok {
		t.Error("a refused secret was stored")
	}
}

// liar is a Source that misreports content: its manifests' Layers field
// disagrees with their bytes, or its blobs' sizes with the manifest's.
type liar struct {
	*registry.Registry
	layers, sizes bool
}

func (l liar) FetchManifest(ref *pullpolicy.ImageRef, dgst digest.Digest, cred registry.Credential) (registry.Manifest, error) {
	m, err := l.Registry.FetchManifest(ref, dgst, cred)
	if err == nil && l.layers {
		m.Layers = m.Layers[:len(m.Layers)-1]
	}
	return m, err
}

func (l liar) FetchBlob(ref *pullpolicy.ImageRef, dgst digest.Digest, cred registry.Credential) (registry.Blob, error) {
	b, err := l.Registry.FetchBlob(ref, dgst, cred)
	if err == nil && l.sizes {
		b.Size++
	}
	return b, err
}

// A Source whose manifest's layers disagree with the blobs it serves, or
// with the manifest's own bytes, is refused: ErrImagePull, nothing cached.
func TestLyingSourceIsRefused(t *testing.T) {
	for i, tc := range []struct {
		src  liar
		want string // the start of the waiting message
	}{
		{liar{layers: true}, `failed to pull and unpack image "docker.io/library/app:v1": manifest sha256:`},
		{liar{sizes: true}, `rpc error: code = FailedPrecondition desc = failed to pull and unpack image "docker.io/library/app:v1": failed commit on ref "`},
	} {
		reg := registry.New()
		reg.SetDefaultLink(registry.InstantLink)
		reg.MustPush("app:v1", registry.Image{Config: "app", Layers: []registry.Layer{{Content: "base", Size: 100}, {Content: "app", Size: 200}}})
		tc.src.Registry = reg
		n := node.MustNew("n", tc.src)
		p := n.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "app:v1"}}}})
		w := p.Status.ContainerStatuses[0].State.Waiting
		if w == nil || w.Reason != "ErrImagePull" || !strings.HasPrefix(w.Message, tc.want) {
			t.Errorf("case %d: waiting %+v, want ErrImagePull starting %q", i, w, tc.want)
		}
		if n.Cache().Len() != 0 {
			t.Errorf("case %d: the cache holds %d images, want none", i, n.Cache().Len())
		}
	}
}

// Sizes that overflow: a build whose layers sum past an int64, other
// usage at the largest int64, a capacity whose percentages overflow.
func TestSizeOverflows(t *testing.T) {
	_, _, err := registry.Build(registry.Image{Config: "x", Layers: []registry.Layer{{Content: "a", Size: math.MaxInt64 / 2}, {Content: "b", Size: math.MaxInt64 / 2}}})
	if err == nil || !strings.Contains(err.Error(), "overflows") {
		t.Errorf("Build of overflowing layers = %v, want an overflow error", err)
	}
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	reg.MustPush("app:v1", registry.Image{Config: "app", Layers: []registry.Layer{{Content: "app", Size: 1 << 30}}})
	n := node.MustNew("n", reg, node.WithImageFSCapacity(math.MaxInt64))
	n.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "app:v1"}}}})
	if err := n.SetImageFSOtherUsage(math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	if _, used := n.ImageFS(); used != math.MaxInt64 {
		t.Errorf("ImageFS used = %d, want it to saturate at %d", used, int64(math.MaxInt64))
	}
	res := n.GarbageCollect()
	if res.Err == nil || !strings.Contains(res.Err.Error(), "(100% of ") {
		t.Errorf("GC = %v, want a full disk it cannot free", res.Err)
	}
}

// turncoat serves its registry's manifests honestly until lie is set, and
// then with the Layers field cut short, or with bytes that no longer hash
// to the digest asked for.
type turncoat struct {
	*registry.Registry
	lie *int // 0: honest; 1: layers; 2: bytes
}

func (s turncoat) FetchManifest(ref *pullpolicy.ImageRef, dgst digest.Digest, cred registry.Credential) (registry.Manifest, error) {
	m, err := s.Registry.FetchManifest(ref, dgst, cred)
	if err != nil {
		return m, err
	}
	switch *s.lie {
	case 1:
		m.Layers = m.Layers[:len(m.Layers)-1]
	case 2:
		m.Raw = append(slices.Clone(m.Raw), ' ')
	}
	return m, err
}

// A manifest verified once (nodes remember it) is checked again when it
// comes back different: a pod created while the first pull downloads
// (pulls in parallel), whose fetch of the same digest gets other fields
// or other bytes, fails as it would have on the first fetch; the honest
// pod's pull completes.
func TestLyingSourceIsRefusedAfterAnHonestFetch(t *testing.T) {
	for i, tc := range []struct {
		lie  int
		want string // the start of the second pod's waiting message
	}{
		{1, `failed to pull and unpack image "docker.io/library/app:v1": manifest sha256:`},
		{2, `rpc error: code = FailedPrecondition desc = failed to pull and unpack image "docker.io/library/app:v1": failed commit on ref "manifest-sha256:`},
	} {
		reg := registry.New()
		reg.MustPush("app:v1", registry.Image{Config: "app", Layers: []registry.Layer{{Content: "base", Size: 100 << 20}, {Content: "app", Size: 200 << 20}}})
		lie := 0
		n := node.MustNew("n", turncoat{reg, &lie}, node.WithSerializeImagePulls(false))
		spec := node.PodSpec{Containers: []node.Container{{Name: "app", Image: "app:v1"}}}
		n.MustCreatePod(node.Pod{Name: "honest", Spec: spec})
		if err := n.Advance(time.Second); err != nil {
			t.Fatal(err)
		}
		lie = tc.lie
		p := n.MustCreatePod(node.Pod{Name: "lied-to", Spec: spec})
		if err := n.Advance(time.Second); err != nil {
			t.Fatal(err)
		}
		p, _ = n.Pod("default", "lied-to")
		w := p.Status.ContainerStatuses[0].State.Waiting
		if w == nil || w.Reason != "ErrImagePull" || !strings.HasPrefix(w.Message, tc.want) {
			t.Errorf("case %d: waiting %+v, want ErrImagePull starting %q", i, w, tc.want)
		}
		if _, err := n.Settle(); err != nil {
			t.Fatal(err)
		}
		if p, _ := n.Pod("default", "honest"); p.Status.ContainerStatuses[0].State.Running == nil {
			t.Errorf("case %d: the honest pod is not running: %+v", i, p.Status.ContainerStatuses[0].State)
		}
	}
}
