package ociserver_test

import (
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
	"github.com/pullsim/pullsim/registry/ociserver"
)

// serve starts the handler over reg on loopback and returns the server's
// host:port; the server stops when the test ends.
func serve(t testing.TB, reg *registry.Registry, opts ...ociserver.Option) string {
	t.Helper()
	srv := httptest.NewServer(ociserver.MustNew(reg, opts...))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// ref parses a reference on the test server, plain HTTP.
func ref(t testing.TB, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s, name.Insecure)
	require.NoError(t, err)
	return r
}

// build is a small OCI image whose one layer and config label carry text:
// different text, different digests.
func build(t testing.TB, text string) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, static.NewLayer([]byte("layer of "+text), types.OCILayer))
	require.NoError(t, err)
	cfg, err := img.ConfigFile()
	require.NoError(t, err)
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config.Labels = map[string]string{"org.opencontainers.image.version": text}
	img, err = mutate.ConfigFile(img, cfg)
	require.NoError(t, err)
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	return mutate.ConfigMediaType(img, types.OCIConfigJSON)
}

func imageDigest(t testing.TB, img v1.Image) digest.Digest {
	t.Helper()
	h, err := img.Digest()
	require.NoError(t, err)
	return digest.Digest(h.String())
}

func appPod(name, image string, policy pullpolicy.PullPolicy) node.Pod {
	return node.Pod{Name: name, Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: image, ImagePullPolicy: policy}}}}
}

// TestCranePushNodePulls: go-containerregistry pushes a build, then a
// second build under the same tag; a node sharing the registry runs the
// new build under Always and keeps the old one under IfNotPresent, and the
// tag's history records both pushes.
func TestCranePushNodePulls(t *testing.T) {
	reg := registry.New()
	host := serve(t, reg)
	tag := ref(t, host+"/team/app:1.0")
	n := node.MustNew("node-1", reg)

	old, cur := build(t, "build 1"), build(t, "build 2")
	oldDigest, curDigest := imageDigest(t, old), imageDigest(t, cur)

	steps := []struct {
		do      func()
		pod     string                // pod created after do
		policy  pullpolicy.PullPolicy //
		wantID  digest.Digest         // the manifest the pod's container runs
		history []digest.Digest       // the tag's history at this step
	}{
		{func() { require.NoError(t, remote.Write(tag, old)) }, "first", pullpolicy.PullIfNotPresent, oldDigest, []digest.Digest{oldDigest}},
		{func() { require.NoError(t, remote.Write(tag, cur)) }, "stale", pullpolicy.PullIfNotPresent, oldDigest, []digest.Digest{oldDigest, curDigest}},
		{func() {}, "fresh", pullpolicy.PullAlways, curDigest, []digest.Digest{oldDigest, curDigest}},
	}
	for i, s := range steps {
		s.do()
		n.MustCreatePod(appPod(s.pod, "team/app:1.0", s.policy))
		_, err := n.Settle()
		require.NoError(t, err)
		p, _ := n.Pod("default", s.pod)
		st := p.Status.ContainerStatuses[0]
		if want := "docker.io/team/app@" + s.wantID.String(); st.ImageID != want {
			t.Errorf("step %d: pod %s runs %q, want %q (state %+v)", i, s.pod, st.ImageID, want, st.State)
		}
		if got := reg.History("docker.io/team/app:1.0"); !equalDigests(got, s.history) {
			t.Errorf("step %d: history %v, want %v", i, got, s.history)
		}
	}
}

func equalDigests(a, b []digest.Digest) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestGoPushCranePulls: what a test pushes in Go is what crane gets: the
// same digest, the config, the tag list, the stand-in layer bytes.
func TestGoPushCranePulls(t *testing.T) {
	reg := registry.New()
	want := reg.MustPush("localhost:5000/tools:1", registry.Image{Config: "tools 1", Layers: []registry.Layer{{Content: "rootfs", Size: 10}}})
	host := serve(t, reg, ociserver.WithDefaultHost("localhost:5000"))

	img, err := remote.Image(ref(t, host+"/tools:1"))
	require.NoError(t, err)
	require.Equal(t, want, imageDigest(t, img))
	cfg, err := img.ConfigFile()
	require.NoError(t, err)
	require.Equal(t, "tools 1", cfg.Config.Labels["org.opencontainers.image.version"])
	tags, err := remote.List(ref(t, host+"/tools").Context())
	require.NoError(t, err)
	require.Equal(t, []string{"1"}, tags)

	m, _, err := registry.Build(registry.Image{Config: "tools 1", Layers: []registry.Layer{{Content: "rootfs", Size: 10}}})
	require.NoError(t, err)
	l, err := remote.Layer(ref(t, host+"/tools@"+m.Layers[0].Digest.String()).(name.Digest))
	require.NoError(t, err)
	rc, err := l.Compressed()
	require.NoError(t, err)
	defer rc.Close()
	data, err := io.ReadAll(rc)
	require.NoError(t, err, "the stand-in bytes hash to the layer's digest")
	require.Contains(t, string(data), "rootfs")
}

// TestIndexResolvesForNodes: an index pushed by a client resolves to the
// index; a node fetches it, then its linux/amd64 manifest, and names the
// image by the index's digest, as containerd does: the pod's imageID is
// repo@<index digest>. An index without linux/amd64 fails the pull as
// containerd and CRI-O fail it.
func TestIndexResolvesForNodes(t *testing.T) {
	reg := registry.New()
	host := serve(t, reg)
	amd, arm := build(t, "amd64 build"), build(t, "arm64 build")
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
	)
	r := ref(t, host+"/multi:1")
	require.NoError(t, remote.WriteIndex(r, idx))
	idxDigest, err := idx.Digest()
	require.NoError(t, err)

	desc, err := remote.Head(r)
	require.NoError(t, err)
	require.Equal(t, idxDigest, desc.Digest, "HEAD names the index")
	require.Equal(t, types.OCIImageIndex, desc.MediaType)

	p, err := pullpolicy.ParseImageRef("multi:1")
	require.NoError(t, err)
	got, err := reg.Resolve(p, registry.Credential{})
	require.NoError(t, err)
	require.Equal(t, idxDigest.String(), got.Digest.String(), "a node resolves the index")

	n := node.MustNew("node-1", reg)
	before := reg.Counters()
	n.MustCreatePod(appPod("multi", "multi:1", pullpolicy.PullAlways))
	_, err = n.Settle()
	require.NoError(t, err)
	pod, _ := n.Pod("default", "multi")
	require.Equal(t, "docker.io/library/multi@"+idxDigest.String(), pod.Status.ContainerStatuses[0].ImageID)
	after := reg.Counters()
	require.Equal(t, 1, after.Resolves-before.Resolves)
	require.Equal(t, 2, after.Manifests-before.Manifests, "the index, then the linux/amd64 manifest")
	amdConfig, err := amd.ConfigName()
	require.NoError(t, err)
	img, ok := n.Cache().Get("docker.io/library/multi:1")
	require.True(t, ok)
	require.Equal(t, amdConfig.String(), img.ID.String(), "the image is the linux/amd64 build")

	// Pulled again under Always: one round trip, the content is there.
	before = reg.Counters()
	n.MustCreatePod(appPod("again", "multi:1", pullpolicy.PullAlways))
	_, err = n.Settle()
	require.NoError(t, err)
	require.Equal(t, 1, reg.Counters().Requests()-before.Requests())

	// An index with no linux/amd64 manifest.
	armOnly := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
	)
	require.NoError(t, remote.WriteIndex(ref(t, host+"/arm:1"), armOnly))
	for _, tc := range []struct {
		runtime node.ContainerRuntime
		want    string
	}{
		{node.Containerd, `rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/arm:1": no match for platform in manifest: not found`},
		{node.CRIO, `choosing image instance: no image found in image index for architecture "amd64", variant "", OS "linux"`},
	} {
		n := node.MustNew("node-1", reg, node.WithContainerRuntime(tc.runtime))
		n.MustCreatePod(appPod("arm", "arm:1", pullpolicy.PullAlways))
		_, _ = n.Settle()
		pod, _ := n.Pod("default", "arm")
		w := pod.Status.ContainerStatuses[0].State.Waiting
		require.NotNil(t, w, tc.runtime)
		require.Equal(t, "ErrImagePull", w.Reason, tc.runtime)
		require.Equal(t, tc.want, w.Message, tc.runtime)
	}
}

// TestConcurrentClients: clients push and pull different tags of one
// repository at once while a node pulls; run with -race.
func TestConcurrentClients(t *testing.T) {
	reg := registry.New()
	host := serve(t, reg)
	const clients = 8
	errs := make(chan error, clients)
	for i := range clients {
		img := build(t, "build "+strconv.Itoa(i)) // require only on the test goroutine
		r := ref(t, host+"/team/app:"+strconv.Itoa(i))
		go func() {
			if err := remote.Write(r, img); err != nil {
				errs <- err
				return
			}
			got, err := remote.Image(r)
			if err == nil {
				_, err = got.RawManifest()
			}
			errs <- err
		}()
	}
	for range clients {
		require.NoError(t, <-errs)
	}
	require.Len(t, reg.Tags("team/app"), clients)
	n := node.MustNew("node-1", reg)
	n.MustCreatePod(appPod("p", "team/app:3", pullpolicy.PullAlways))
	_, err := n.Settle()
	require.NoError(t, err)
	p, _ := n.Pod("default", "p")
	require.Equal(t, "docker.io/team/app@"+imageDigest(t, build(t, "build 3")).String(), p.Status.ContainerStatuses[0].ImageID)
}

// TestDockerMediaTypes: a Docker schema 2 manifest list of Docker
// manifests, pushed by go-containerregistry, is served with its media
// types as pushed, and a node pulls its linux/amd64 image.
func TestDockerMediaTypes(t *testing.T) {
	reg := registry.New()
	host := serve(t, reg)
	docker := func(text string) v1.Image {
		img := build(t, text)
		img = mutate.MediaType(img, types.DockerManifestSchema2)
		return mutate.ConfigMediaType(img, types.DockerConfigJSON)
	}
	amd, arm := docker("docker amd64"), docker("docker arm64")
	list := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.DockerManifestList),
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
	)
	r := ref(t, host+"/team/docker:1")
	require.NoError(t, remote.WriteIndex(r, list))

	steps := []struct {
		ref  string
		want types.MediaType
	}{
		{host + "/team/docker:1", types.DockerManifestList},
		{host + "/team/docker@" + imageDigest(t, amd).String(), types.DockerManifestSchema2},
	}
	for i, s := range steps {
		desc, err := remote.Get(ref(t, s.ref))
		require.NoError(t, err)
		if desc.MediaType != s.want {
			t.Errorf("step %d: %s served as %s, want %s", i, s.ref, desc.MediaType, s.want)
		}
	}

	n := node.MustNew("node-1", reg)
	n.MustCreatePod(appPod("d", "team/docker:1", pullpolicy.PullIfNotPresent))
	_, err := n.Settle()
	require.NoError(t, err)
	p, _ := n.Pod("default", "d")
	listDigest, err := list.Digest()
	require.NoError(t, err)
	require.Equal(t, "docker.io/team/docker@"+listDigest.String(), p.Status.ContainerStatuses[0].ImageID, "named by the manifest list")
}

// TestReferrersThroughClient: an artifact pushed with a subject is listed
// by go-containerregistry's referrers client, filtered by artifact type.
func TestReferrersThroughClient(t *testing.T) {
	reg := registry.New()
	host := serve(t, reg)
	subject := build(t, "signed build")
	r := ref(t, host+"/team/app:1")
	require.NoError(t, remote.Write(r, subject))
	subjectDigest, err := subject.Digest()
	require.NoError(t, err)
	desc, err := remote.Head(r)
	require.NoError(t, err)

	sig := mutate.Subject(mutate.ConfigMediaType(build(t, "signature"), "application/vnd.example.signature.v1+json"), *desc).(v1.Image)
	sigDigest, err := sig.Digest()
	require.NoError(t, err)
	require.NoError(t, remote.Write(ref(t, host+"/team/app@"+sigDigest.String()), sig))

	steps := []struct {
		filter string
		want   int
	}{
		{"", 1},
		{"application/vnd.example.signature.v1+json", 1},
		{"application/vnd.example.other", 0},
	}
	for i, s := range steps {
		var opts []remote.Option
		if s.filter != "" {
			opts = append(opts, remote.WithFilter("artifactType", s.filter))
		}
		idx, err := remote.Referrers(ref(t, host+"/team/app@"+subjectDigest.String()).(name.Digest), opts...)
		require.NoError(t, err)
		m, err := idx.IndexManifest()
		require.NoError(t, err)
		if len(m.Manifests) != s.want || (s.want == 1 && m.Manifests[0].Digest != sigDigest) {
			t.Errorf("step %d: referrers %+v, want %d (%s)", i, m.Manifests, s.want, sigDigest)
		}
	}
}
