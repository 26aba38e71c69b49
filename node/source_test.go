package node_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// mirror is a user-supplied registry.Source: it forwards to a Registry,
// unless told to fail a kind of request with an error of its own, which it
// returns without forwarding. It has no Link method, so it is not
// registry.Timed.
type mirror struct {
	reg                              *registry.Registry
	resolveErr, manifestErr, blobErr error
	blobsOK                          int // blobs served before blobErr applies
}

func (m *mirror) Resolve(ref *pullpolicy.ImageRef, cred registry.Credential) (registry.Descriptor, error) {
	if m.resolveErr != nil {
		return registry.Descriptor{}, m.resolveErr
	}
	return m.reg.Resolve(ref, cred)
}

func (m *mirror) FetchManifest(ref *pullpolicy.ImageRef, dgst digest.Digest, cred registry.Credential) (registry.Manifest, error) {
	if m.manifestErr != nil {
		return registry.Manifest{}, m.manifestErr
	}
	return m.reg.FetchManifest(ref, dgst, cred)
}

func (m *mirror) FetchBlob(ref *pullpolicy.ImageRef, dgst digest.Digest, cred registry.Credential) (registry.Blob, error) {
	if m.blobErr != nil {
		if m.blobsOK == 0 {
			return registry.Blob{}, m.blobErr
		}
		m.blobsOK--
	}
	return m.reg.FetchBlob(ref, dgst, cred)
}

// slowLink is what the registry behind the mirror would charge a node that
// pulled from it directly.
var slowLink = registry.Link{Latency: 100 * time.Millisecond, Bandwidth: 10_000_000, Timeout: 30 * time.Second}

// mirrorWorld is a world whose node-1 pulls through a mirror of the world's
// registry, which has a slow link.
func mirrorWorld(t *testing.T) (*world, *mirror) {
	t.Helper()
	w := newWorld(t)
	if err := w.reg.SetDefaultLink(slowLink); err != nil {
		t.Fatal(err)
	}
	src := &mirror{reg: w.reg}
	var s registry.Source = src
	if _, ok := s.(registry.Timed); ok {
		t.Fatal("the mirror is registry.Timed; the test needs a Source without links")
	}
	w.nodes["node-1"] = node.MustNew("node-1", src, node.WithClock(w.clock))
	return w, src
}

// A node pulls through any Source. One that does not implement
// registry.Timed is instant (node.link falls back to registry.InstantLink):
// the pull finishes at the moment it starts, whatever link the registry
// behind it has, and the Pulled event says 0s.
func TestCustomSourcePull(t *testing.T) {
	w, _ := mirrorWorld(t)
	w.run([]step{
		{action: push("nginx:1.28", "nginx 1.28.0")},
		{at: time.Second, action: create("a", "nginx:1.28", ""), runs: "nginx 1.28.0", resolves: 1, blobs: 3,
			events: []string{pulling("nginx:1.28"), pulled("nginx:1.28", size("nginx 1.28.0"))}},
		{at: 2 * time.Second, action: create("b", "nginx:1.28", ""), runs: "nginx 1.28.0",
			events: []string{present("nginx:1.28")}},
		{at: 3 * time.Second, action: push("nginx:1.28", "nginx 1.28.1")},
		{at: 3 * time.Second, action: create("c", "nginx:1.28", pullpolicy.PullAlways), runs: "nginx 1.28.1", resolves: 1, blobs: 2,
			events: []string{pulling("nginx:1.28"), pulled("nginx:1.28", size("nginx 1.28.1"))}},
	})
	n := w.node("")
	if got, want := w.clock.Now(), at(3*time.Second); !got.Equal(want) {
		t.Errorf("clock = %v, want %v: an untimed pull must not move it", got.Sub(node.Epoch), want.Sub(node.Epoch))
	}
	pulls := n.Pulls()
	if len(pulls) != 2 {
		t.Fatalf("pulls = %+v, want 2", pulls)
	}
	for i, p := range pulls {
		want := at(time.Duration(2*i+1) * time.Second) // a at 1s, c at 3s
		if !p.Requested.Equal(want) || !p.Started.Equal(want) || !p.Finished.Equal(want) {
			t.Errorf("pull %d (%s): requested %v, started %v, finished %v; want all %v",
				i, p.Pod, p.Requested.Sub(node.Epoch), p.Started.Sub(node.Epoch), p.Finished.Sub(node.Epoch), want.Sub(node.Epoch))
		}
	}
	if pulls[0].Requests != 5 || pulls[1].Requests != 4 {
		t.Errorf("pull requests = %d, %d; want 5 (resolve, manifest, 3 blobs) and 4 (the base layer is shared)", pulls[0].Requests, pulls[1].Requests)
	}

	// The contrast: the same registry, as a node's Source itself, is Timed
	// and charges its link.
	direct := node.MustNew("direct", w.reg, node.WithClock(node.NewManualClock(node.Epoch)))
	direct.MustCreatePod(appPod("a", "nginx:1.28", ""))
	if _, err := direct.Settle(); err != nil {
		t.Fatal(err)
	}
	p := direct.Pulls()[0]
	if want := slowLink.Transfer(p.Requests, p.Bytes); p.Duration() != want || want == 0 {
		t.Errorf("direct pull took %v, want %v", p.Duration(), want)
	}
}

// Errors of a custom Source that are not *registry.Error reach the runtime's
// texts as containerd would wrap an unknown cause: a failed resolve after
// "failed to resolve reference", a failed manifest or blob fetch after
// "failed to copy: httpReadSeeker: failed open" (runtime.go, resolveError
// and fetchError, default cases). The text is the Failed event's and the
// waiting message; nothing enters the cache, and the pull works once the
// source does.
func TestCustomSourceErrors(t *testing.T) {
	const full = "docker.io/library/nginx:1.28"
	resolvePrefix := fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: ", full, full)
	copyPrefix := fmt.Sprintf("failed to pull and unpack image %q: failed to copy: httpReadSeeker: failed open: ", full)
	m, _, _ := registry.Build(build("nginx 1.28.0"))
	for i, tc := range []struct {
		name   string
		fail   func(m *mirror, err error)
		err    error  // what the source returns
		text   string // wanted runtime error text
		counts registry.Counters
	}{
		{"resolve", func(m *mirror, err error) { m.resolveErr = err }, errors.New("mirror: upstream closed the connection"),
			resolvePrefix + "mirror: upstream closed the connection", registry.Counters{}},
		{"manifest", func(m *mirror, err error) { m.manifestErr = err }, errors.New("mirror: connection reset by peer"),
			copyPrefix + "mirror: connection reset by peer", registry.Counters{Resolves: 1}},
		// The config and the base layer arrive; the third blob fails.
		{"blob", func(m *mirror, err error) { m.blobErr, m.blobsOK = err, 2 }, errors.New("mirror: short read"),
			copyPrefix + "mirror: short read", registry.Counters{Resolves: 1, Manifests: 1, Blobs: 2, BlobBytes: m.Config.Size + m.Layers[0].Size}},
		// A registry sentinel wrapped by the source, not in a *registry.Error:
		// the runtime still names the request it made.
		{"manifest 500", func(m *mirror, err error) { m.manifestErr = err }, fmt.Errorf("mirror: %w", registry.ErrServerError),
			copyPrefix + "unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/" + m.Digest.String() + ": 500 Internal Server Error", registry.Counters{Resolves: 1}},
		{"blob 500", func(m *mirror, err error) { m.blobErr, m.blobsOK = err, 1 }, fmt.Errorf("mirror: %w", registry.ErrServerError),
			copyPrefix + "unexpected status code https://registry-1.docker.io/v2/library/nginx/blobs/" + m.Layers[0].Digest.String() + ": 500 Internal Server Error", registry.Counters{Resolves: 1, Manifests: 1, Blobs: 1, BlobBytes: m.Config.Size}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, src := mirrorWorld(t)
			n := w.node("")
			tc.fail(src, tc.err)
			w.run([]step{
				{action: push("nginx:1.28", "nginx 1.28.0")},
				{action: create("p", "nginx:1.28", ""), reason: "ErrImagePull", resolves: tc.counts.Resolves, blobs: tc.counts.Blobs,
					events: []string{pulling("nginx:1.28"), failedPull("nginx:1.28", tc.text), startFailed("ErrImagePull")}},
			})
			if got := w.reg.Counters(); got != tc.counts {
				t.Errorf("case %d: registry counters = %+v, want %+v", i, got, tc.counts)
			}
			p, _ := n.Pod("", "p")
			if got := p.Status.ContainerStatuses[0].State.Waiting.Message; got != tc.text {
				t.Errorf("case %d: waiting message = %q, want %q", i, got, tc.text)
			}
			if pulls := n.Pulls(); len(pulls) != 1 || pulls[0].Err != tc.text {
				t.Errorf("case %d: pulls = %+v, want one failing with %q", i, pulls, tc.text)
			}
			if c := n.Cache(); c.Len() != 0 || c.Usage() != 0 || c.HasBlob(m.Config.Digest) {
				t.Errorf("case %d: cache after the failure: %d images, %d bytes; want none", i, c.Len(), c.Usage())
			}

			// Inside the backoff window the message carries the error; after
			// it, with the source fixed, the pull works.
			tc.fail(src, nil)
			w.run([]step{
				{at: 5 * time.Second, action: syncPod("p"), reason: "ImagePullBackOff",
					events: []string{`Normal BackOff Back-off pulling image "nginx:1.28"`, startFailed("ImagePullBackOff")}},
				{at: 10 * time.Second, action: syncPod("p"), runs: "nginx 1.28.0", resolves: 1, blobs: 3,
					events: []string{pulling("nginx:1.28"), pulled("nginx:1.28", size("nginx 1.28.0"))}},
			})
		})
	}
}

// resolveLog is a Source that records the order of resolves across the
// nodes sharing it, and fails them all while down.
type resolveLog struct {
	reg  *registry.Registry
	down bool
	log  []string
}

func (r *resolveLog) Resolve(ref *pullpolicy.ImageRef, cred registry.Credential) (registry.Descriptor, error) {
	r.log = append(r.log, ref.Requested())
	if r.down {
		return registry.Descriptor{}, errors.New("down")
	}
	return r.reg.Resolve(ref, cred)
}
func (r *resolveLog) FetchManifest(ref *pullpolicy.ImageRef, d digest.Digest, c registry.Credential) (registry.Manifest, error) {
	return r.reg.FetchManifest(ref, d, c)
}
func (r *resolveLog) FetchBlob(ref *pullpolicy.ImageRef, d digest.Digest, c registry.Credential) (registry.Blob, error) {
	return r.reg.FetchBlob(ref, d, c)
}

// Run drives nodes in time order and, at equal times, in the order they
// are listed, then pods by age; a node listed twice runs once.
func TestRunOrderAcrossNodes(t *testing.T) {
	for i, tc := range []struct {
		order []int  // indices of the nodes, as passed to Run
		want  string // resolves during the retry at 10s
	}{
		{[]int{0, 1}, "a:1 a:2 b:1"},
		{[]int{1, 0}, "b:1 a:1 a:2"},
		{[]int{1, 0, 1}, "b:1 a:1 a:2"},
	} {
		reg := registry.New()
		for _, img := range []string{"a:1", "a:2", "b:1"} {
			reg.MustPush(img, build(img))
		}
		src := &resolveLog{reg: reg, down: true}
		clock := node.NewManualClock(node.Epoch)
		nodes := []*node.Node{
			node.MustNew("node-a", src, node.WithClock(clock)),
			node.MustNew("node-b", src, node.WithClock(clock)),
		}
		nodes[0].MustCreatePod(appPod("a1", "a:1", ""))
		nodes[1].MustCreatePod(appPod("b1", "b:1", ""))
		nodes[0].MustCreatePod(appPod("a2", "a:2", ""))
		src.down, src.log = false, nil
		var list []*node.Node
		for _, j := range tc.order {
			list = append(list, nodes[j])
		}
		// The failed pulls back off for 10s; the resync at 10s pulls again.
		if err := node.Run(node.Epoch.Add(10*time.Second), list...); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(src.log); got != "["+tc.want+"]" {
			t.Errorf("case %d: resolves in order %s, want [%s]", i, got, tc.want)
		}
	}
}

// Content addressed with SHA-512 (the distribution API accepts it) pulls
// as SHA-256 content does: the runtime verifies each blob and the manifest
// with their own digest's algorithm, and the image is named by it.
func TestSHA512Content(t *testing.T) {
	reg := registry.New()
	s512 := func(b []byte) digest.Digest { return digest.SHA512.FromBytes(b) }
	cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	layer := []byte("a layer")
	for _, b := range [][]byte{cfg, layer} {
		if _, err := reg.PutBlob("docker.io/team/app", s512(b), b); err != nil {
			t.Fatal(err)
		}
	}
	raw := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":%q,"size":%d}]}`,
		registry.MediaTypeManifest, s512(cfg), len(cfg), s512(layer), len(layer)))
	if _, err := reg.PutManifest("docker.io/team/app@"+s512(raw).String(), registry.MediaTypeManifest, raw); err != nil {
		t.Fatal(err)
	}
	if err := reg.Tag("docker.io/team/app:1", s512(raw)); err != nil {
		t.Fatal(err)
	}
	n := node.MustNew("node-1", reg)
	n.MustCreatePod(appPod("p", "team/app:1", pullpolicy.PullAlways))
	if _, err := n.Settle(); err != nil {
		t.Fatal(err)
	}
	p, _ := n.Pod("default", "p")
	cs := p.Status.ContainerStatuses[0]
	if cs.State.Running == nil || cs.ImageID != "docker.io/team/app@"+s512(raw).String() {
		t.Errorf("state %+v, imageID %q, want running docker.io/team/app@%s", cs.State, cs.ImageID, s512(raw))
	}
}
