package registry_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// build is the image a test pushes for a build name: a shared base layer
// and a layer of its own.
func build(name string) registry.Image {
	return registry.Image{Config: name, Layers: []registry.Layer{
		{Content: "debian bookworm", Size: 28_000_000},
		{Content: name + " files", Size: 1_000},
	}}
}

// dig returns the manifest digest of build(name).
func dig(name string) digest.Digest {
	m, _, err := registry.Build(build(name))
	if err != nil {
		panic(err)
	}
	return m.Digest
}

// mustRef parses ref for the Source methods.
func mustRef(t testing.TB, ref string) *pullpolicy.ImageRef {
	t.Helper()
	p, err := pullpolicy.ParseImageRef(ref)
	if err != nil {
		t.Fatalf("ParseImageRef(%q): %v", ref, err)
	}
	return p
}

// names turns digests back into build names for readable failures.
func names(ds []digest.Digest, known []string) []string {
	var out []string
	for _, d := range ds {
		n := d.String()
		for _, k := range known {
			if dig(k) == d {
				n = k
			}
		}
		out = append(out, n)
	}
	return out
}

// TestRegistry plays pushes, tag moves and lookups on three hosts.
func TestRegistry(t *testing.T) {
	known := []string{"nginx 1.28.0", "nginx 1.28.1", "app v1", "app v2", "team v1", "never pushed"}
	type step struct {
		op      string   // "push", "tag", "delete" (DeleteTag) or "lookup"
		ref     string   // the reference the operation takes
		build   string   // push: the build pushed; tag: the build whose digest the tag gets
		want    string   // the build the operation returns (push, lookup); "" for none
		err     error    // the sentinel the error wraps; nil for success
		history []string // builds History(ref) lists after the step, oldest first
	}
	steps := []step{
		// Three hosts: Docker Hub by short name, a local registry with a port, a registry with an explicit port 443.
		{op: "push", ref: "nginx:1.28", build: "nginx 1.28.0", want: "nginx 1.28.0", history: []string{"nginx 1.28.0"}},
		{op: "push", ref: "localhost:5000/app:v1", build: "app v1", want: "app v1", history: []string{"app v1"}},
		{op: "push", ref: "registry.example.com:443/team/app:v1", build: "team v1", want: "team v1", history: []string{"team v1"}},
		{op: "lookup", ref: "nginx:1.28", want: "nginx 1.28.0", history: []string{"nginx 1.28.0"}},
		{op: "lookup", ref: "docker.io/library/nginx:1.28", want: "nginx 1.28.0", history: []string{"nginx 1.28.0"}},
		{op: "lookup", ref: "registry.example.com:443/team/app:v1", want: "team v1", history: []string{"team v1"}},
		{op: "lookup", ref: "registry.example.com:443/team/app@" + dig("team v1").String(), want: "team v1"},
		// The same content under the same tag changes nothing.
		{op: "push", ref: "docker.io/library/nginx:1.28", build: "nginx 1.28.0", want: "nginx 1.28.0", history: []string{"nginx 1.28.0"}},
		// A new build moves the tag; the old one stays reachable by digest.
		{op: "push", ref: "nginx:1.28", build: "nginx 1.28.1", want: "nginx 1.28.1", history: []string{"nginx 1.28.0", "nginx 1.28.1"}},
		{op: "lookup", ref: "nginx:1.28", want: "nginx 1.28.1", history: []string{"nginx 1.28.0", "nginx 1.28.1"}},
		{op: "lookup", ref: "nginx@" + dig("nginx 1.28.0").String(), want: "nginx 1.28.0"},
		// Tag moves the tag back to an earlier build.
		{op: "tag", ref: "nginx:1.28", build: "nginx 1.28.0", history: []string{"nginx 1.28.0", "nginx 1.28.1", "nginx 1.28.0"}},
		{op: "lookup", ref: "nginx:1.28", want: "nginx 1.28.0", history: []string{"nginx 1.28.0", "nginx 1.28.1", "nginx 1.28.0"}},
		// Tagging the current target again is not a move.
		{op: "tag", ref: "nginx:1.28", build: "nginx 1.28.0", history: []string{"nginx 1.28.0", "nginx 1.28.1", "nginx 1.28.0"}},
		// A second tag on existing content.
		{op: "tag", ref: "nginx:stable", build: "nginx 1.28.1", history: []string{"nginx 1.28.1"}},
		{op: "lookup", ref: "nginx:stable", want: "nginx 1.28.1", history: []string{"nginx 1.28.1"}},
		// Tag needs a manifest of the same repository.
		{op: "tag", ref: "nginx:1.28", build: "never pushed", err: registry.ErrManifestUnknown, history: []string{"nginx 1.28.0", "nginx 1.28.1", "nginx 1.28.0"}},
		{op: "tag", ref: "localhost:5000/app:v1", build: "nginx 1.28.0", err: registry.ErrManifestUnknown, history: []string{"app v1"}},
		{op: "tag", ref: "localhost:5000/nope:v1", build: "app v1", err: registry.ErrNameUnknown},
		{op: "lookup", ref: "localhost:5000/app:v1", want: "app v1", history: []string{"app v1"}},
		// DeleteTag: the tag is gone, the content is reachable by digest.
		{op: "delete", ref: "localhost:5000/app:v1", history: []string{"app v1"}},
		{op: "lookup", ref: "localhost:5000/app:v1", err: registry.ErrManifestUnknown, history: []string{"app v1"}},
		{op: "lookup", ref: "localhost:5000/app@" + dig("app v1").String(), want: "app v1"},
		{op: "delete", ref: "localhost:5000/app:v1", err: registry.ErrManifestUnknown, history: []string{"app v1"}},
		{op: "delete", ref: "localhost:5000/nope:v1", err: registry.ErrNameUnknown},
		{op: "delete", ref: "nginx:9.9", err: registry.ErrManifestUnknown},
		// Pushing the tag again recreates it.
		{op: "push", ref: "localhost:5000/app:v1", build: "app v2", want: "app v2", history: []string{"app v1", "app v2"}},
		// Lookup failures.
		{op: "lookup", ref: "localhost:5001/app:v1", err: registry.ErrHostUnknown},
		{op: "lookup", ref: "registry.example.com:443/team/other:v1", err: registry.ErrNameUnknown},
		{op: "lookup", ref: "registry.example.com/team/app:v1", err: registry.ErrHostUnknown}, // the host is "registry.example.com:443"
		{op: "lookup", ref: "busybox:1.36", err: registry.ErrNameUnknown},                     // Docker Hub always answers
		{op: "lookup", ref: "nginx:9.9", err: registry.ErrManifestUnknown},
		{op: "lookup", ref: "nginx", err: registry.ErrManifestUnknown}, // nginx:latest was never pushed
		{op: "lookup", ref: "nginx@" + dig("app v1").String(), err: registry.ErrManifestUnknown},
		{op: "lookup", ref: "nginx@" + dig("never pushed").String(), err: registry.ErrManifestUnknown},
	}

	r := registry.New()
	for i, s := range steps {
		var (
			got digest.Digest
			err error
		)
		switch s.op {
		case "push":
			got, err = r.Push(s.ref, build(s.build))
		case "tag":
			err = r.Tag(s.ref, dig(s.build))
		case "delete":
			err = r.DeleteTag(s.ref)
		case "lookup":
			got, err = r.Lookup(s.ref)
		default:
			t.Fatalf("step %d: unknown op %q", i, s.op)
		}
		var want digest.Digest
		if s.want != "" {
			want = dig(s.want)
		}
		if got != want {
			t.Errorf("step %d: %s(%q) = %v, want %v (%s)", i, s.op, s.ref, names([]digest.Digest{got}, known), want, s.want)
		}
		switch {
		case s.err == nil && err != nil:
			t.Errorf("step %d: %s(%q) error = %v, want nil", i, s.op, s.ref, err)
		case s.err != nil && !errors.Is(err, s.err):
			t.Errorf("step %d: %s(%q) error = %v, want one wrapping %q", i, s.op, s.ref, err, s.err)
		case s.err != nil:
			var re *registry.Error
			if !errors.As(err, &re) {
				t.Errorf("step %d: %s(%q) error = %v (%T), want a *registry.Error", i, s.op, s.ref, err, err)
			}
		}
		if h := r.History(s.ref); !slices.Equal(names(h, known), s.history) {
			t.Errorf("step %d: after %s(%q): History(%q) = %v, want %v", i, s.op, s.ref, s.ref, names(h, known), s.history)
		}
	}
}

// Push with a digest reference stores the content without tagging it, and
// refuses content whose digest is not the one named.
func TestPushDigestReference(t *testing.T) {
	r := registry.New()
	d := dig("app v1")
	got, err := r.Push("localhost:5000/app@"+d.String(), build("app v1"))
	if got != d || err != nil {
		t.Errorf("Push(matching digest) = (%s, %v), want (%s, nil)", got, err, d)
	}
	if tags := r.Tags("localhost:5000/app"); len(tags) != 0 {
		t.Errorf("Tags after a digest push = %q, want none", tags)
	}
	if got, err := r.Lookup("localhost:5000/app@" + d.String()); got != d || err != nil {
		t.Errorf("Lookup(by digest) = (%s, %v), want (%s, nil)", got, err, d)
	}

	// Tag and digest: the tag is set to the named content.
	if got, err := r.Push("localhost:5000/app:v1@"+d.String(), build("app v1")); got != d || err != nil {
		t.Errorf("Push(tag@matching digest) = (%s, %v), want (%s, nil)", got, err, d)
	}
	if got, err := r.Lookup("localhost:5000/app:v1"); got != d || err != nil {
		t.Errorf("Lookup(tag pushed with digest) = (%s, %v), want (%s, nil)", got, err, d)
	}

	wrong := dig("app v2")
	ref := "localhost:5000/app@" + wrong.String()
	got, err = r.Push(ref, build("app v1"))
	want := fmt.Sprintf("registry: push %s: content has digest %s, not the one the reference names", ref, d)
	if got != "" || err == nil || err.Error() != want {
		t.Errorf("Push(mismatching digest) = (%q, %v), want (\"\", %q)", got, err, want)
	}
	if _, err := r.Lookup(ref); !errors.Is(err, registry.ErrManifestUnknown) {
		t.Errorf("Lookup(refused digest) error = %v, want manifest unknown", err)
	}
}

// Every method that takes a reference string says which one it could not
// parse; the inspection methods return nothing for it.
func TestBadReference(t *testing.T) {
	const bad = "NGINX:1"
	parse := `couldn't parse image name "NGINX:1": invalid reference format: repository name (library/NGINX) must be lowercase`
	r := registry.New()
	r.MustPush("nginx:1", build("nginx 1"))

	if _, err := r.Push(bad, build("x")); err == nil || err.Error() != "registry: push: "+parse {
		t.Errorf("Push(%q) error = %v, want %q", bad, err, "registry: push: "+parse)
	}
	if err := r.Tag(bad, dig("nginx 1")); err == nil || err.Error() != "registry: tag: "+parse {
		t.Errorf("Tag(%q) error = %v, want %q", bad, err, "registry: tag: "+parse)
	}
	if err := r.DeleteTag(bad); err == nil || err.Error() != "registry: delete tag: "+parse {
		t.Errorf("DeleteTag(%q) error = %v, want %q", bad, err, "registry: delete tag: "+parse)
	}
	if d, err := r.Lookup(bad); d != "" || err == nil || err.Error() != "registry: lookup: "+parse {
		t.Errorf("Lookup(%q) = (%q, %v), want (\"\", %q)", bad, d, err, "registry: lookup: "+parse)
	}
	if h := r.History(bad); h != nil {
		t.Errorf("History(%q) = %v, want nil", bad, h)
	}
	if tags := r.Tags(bad); tags != nil {
		t.Errorf("Tags(%q) = %v, want nil", bad, tags)
	}
	if c := r.CountersFor(bad); c != (registry.Counters{}) {
		t.Errorf("CountersFor(%q) = %+v, want zero", bad, c)
	}

	// Tag refuses a digest reference.
	ref := "nginx@" + dig("nginx 1").String()
	want := "registry: tag " + ref + ": reference must name a tag, not a digest"
	if err := r.Tag(ref, dig("nginx 1")); err == nil || err.Error() != want {
		t.Errorf("Tag(%q) error = %v, want %q", ref, err, want)
	}

	// A build that cannot be built names the reference and the layer.
	img := registry.Image{Layers: []registry.Layer{{Content: "bad", Size: -5}}}
	if _, err := r.Push("nginx:2", img); err == nil || !strings.HasPrefix(err.Error(), "registry: push nginx:2: ") || !strings.HasSuffix(err.Error(), `layer 0 ("bad") has negative size -5`) {
		t.Errorf("Push(negative size) error = %v, want it to name nginx:2 and the layer", err)
	}
	if tags := r.Tags("nginx"); !slices.Equal(tags, []string{"1"}) {
		t.Errorf("Tags after failed pushes = %q, want [1]", tags)
	}
}

func TestMustPushPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("MustPush(bad reference) did not panic")
		}
	}()
	registry.New().MustPush("NGINX", build("x"))
}

func TestTagsSorted(t *testing.T) {
	r := registry.New()
	for _, tag := range []string{"v2", "latest", "v10", "1.28", "v1", "alpine"} {
		r.MustPush("localhost:5000/app:"+tag, build("app "+tag))
	}
	r.MustPush("localhost:5000/other:zzz", build("other"))
	want := []string{"1.28", "alpine", "latest", "v1", "v10", "v2"}
	for _, ref := range []string{"localhost:5000/app", "localhost:5000/app:v1", "localhost:5000/app@" + dig("app v1").String()} {
		if got := r.Tags(ref); !slices.Equal(got, want) {
			t.Errorf("Tags(%q) = %q, want %q", ref, got, want)
		}
	}
	if err := r.DeleteTag("localhost:5000/app:latest"); err != nil {
		t.Fatal(err)
	}
	if got, want := r.Tags("localhost:5000/app"), []string{"1.28", "alpine", "v1", "v10", "v2"}; !slices.Equal(got, want) {
		t.Errorf("Tags after DeleteTag = %q, want %q", got, want)
	}
	if got := r.Tags("localhost:5000/nope"); got != nil {
		t.Errorf("Tags(unknown repository) = %q, want nil", got)
	}
	if got := r.Tags("nginx"); got != nil {
		t.Errorf("Tags(unknown Docker Hub repository) = %q, want nil", got)
	}
}

// History returns a copy: changing it does not change the registry.
func TestHistoryIsACopy(t *testing.T) {
	r := registry.New()
	r.MustPush("nginx:1", build("a"))
	r.MustPush("nginx:1", build("b"))
	h := r.History("nginx:1")
	h[0] = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	if got := r.History("nginx:1"); !slices.Equal(got, []digest.Digest{dig("a"), dig("b")}) {
		t.Errorf("History after changing a returned copy = %v, want [a b]", got)
	}
	if got := r.History("nginx:2"); got != nil {
		t.Errorf("History(unknown tag) = %v, want nil", got)
	}
}

// TestCounters: only the Source methods count, failed requests included;
// blob bytes count for served blobs only.
func TestCounters(t *testing.T) {
	r := registry.New()
	m, blobs := mustBuild(t, build("nginx 1.28.0"))
	r.MustPush("nginx:1.28", build("nginx 1.28.0"))
	r.MustPush("localhost:5000/app:v1", build("app v1"))
	layer, config := blobs[0], blobs[2]
	missing := digest.FromString("missing")

	type step struct {
		op    string             // "resolve", "manifest", "blob", "lookup", "history", "tags", "reset"
		ref   string             // the reference, parsed with pullpolicy.ParseImageRef for the Source methods
		dgst  digest.Digest      // manifest or blob digest for "manifest" and "blob"
		ok    bool               // whether the request succeeds
		total registry.Counters  // r.Counters() after the step
		nginx registry.Counters  // r.CountersFor("nginx") after the step
		other *registry.Counters // r.CountersFor("localhost:5000/app") after the step; nil means zero
	}
	steps := []step{
		{op: "lookup", ref: "nginx:1.28", ok: true},
		{op: "history", ref: "nginx:1.28", ok: true},
		{op: "tags", ref: "nginx", ok: true},
		{op: "resolve", ref: "nginx:1.28", ok: true,
			total: registry.Counters{Resolves: 1}, nginx: registry.Counters{Resolves: 1}},
		{op: "resolve", ref: "docker.io/library/nginx:9.9", ok: false, // a failed resolve counts
			total: registry.Counters{Resolves: 2}, nginx: registry.Counters{Resolves: 2}},
		{op: "manifest", ref: "nginx:1.28", dgst: m.Digest, ok: true,
			total: registry.Counters{Resolves: 2, Manifests: 1}, nginx: registry.Counters{Resolves: 2, Manifests: 1}},
		{op: "manifest", ref: "nginx:1.28", dgst: missing, ok: false,
			total: registry.Counters{Resolves: 2, Manifests: 2}, nginx: registry.Counters{Resolves: 2, Manifests: 2}},
		{op: "blob", ref: "nginx:1.28", dgst: layer.Digest, ok: true,
			total: registry.Counters{Resolves: 2, Manifests: 2, Blobs: 1, BlobBytes: 28_000_000}, nginx: registry.Counters{Resolves: 2, Manifests: 2, Blobs: 1, BlobBytes: 28_000_000}},
		{op: "blob", ref: "nginx@" + m.Digest.String(), dgst: config.Digest, ok: true,
			total: registry.Counters{Resolves: 2, Manifests: 2, Blobs: 2, BlobBytes: 28_000_000 + config.Size}, nginx: registry.Counters{Resolves: 2, Manifests: 2, Blobs: 2, BlobBytes: 28_000_000 + config.Size}},
		{op: "blob", ref: "nginx:1.28", dgst: missing, ok: false, // counts a request, no bytes
			total: registry.Counters{Resolves: 2, Manifests: 2, Blobs: 3, BlobBytes: 28_000_000 + config.Size}, nginx: registry.Counters{Resolves: 2, Manifests: 2, Blobs: 3, BlobBytes: 28_000_000 + config.Size}},
		// Another repository counts in the total and under its own name only.
		{op: "resolve", ref: "localhost:5000/app:v1", ok: true,
			total: registry.Counters{Resolves: 3, Manifests: 2, Blobs: 3, BlobBytes: 28_000_000 + config.Size}, nginx: registry.Counters{Resolves: 2, Manifests: 2, Blobs: 3, BlobBytes: 28_000_000 + config.Size},
			other: &registry.Counters{Resolves: 1}},
		// Unknown repositories and hosts count in the total only.
		{op: "resolve", ref: "busybox", ok: false,
			total: registry.Counters{Resolves: 4, Manifests: 2, Blobs: 3, BlobBytes: 28_000_000 + config.Size}, nginx: registry.Counters{Resolves: 2, Manifests: 2, Blobs: 3, BlobBytes: 28_000_000 + config.Size},
			other: &registry.Counters{Resolves: 1}},
		{op: "resolve", ref: "localhost:5001/app:v1", ok: false,
			total: registry.Counters{Resolves: 5, Manifests: 2, Blobs: 3, BlobBytes: 28_000_000 + config.Size}, nginx: registry.Counters{Resolves: 2, Manifests: 2, Blobs: 3, BlobBytes: 28_000_000 + config.Size},
			other: &registry.Counters{Resolves: 1}},
		{op: "manifest", ref: "localhost:5001/app:v1", dgst: m.Digest, ok: false,
			total: registry.Counters{Resolves: 5, Manifests: 3, Blobs: 3, BlobBytes: 28_000_000 + config.Size}, nginx: registry.Counters{Resolves: 2, Manifests: 2, Blobs: 3, BlobBytes: 28_000_000 + config.Size},
			other: &registry.Counters{Resolves: 1}},
		{op: "blob", ref: "localhost:5001/app:v1", dgst: layer.Digest, ok: false,
			total: registry.Counters{Resolves: 5, Manifests: 3, Blobs: 4, BlobBytes: 28_000_000 + config.Size}, nginx: registry.Counters{Resolves: 2, Manifests: 2, Blobs: 3, BlobBytes: 28_000_000 + config.Size},
			other: &registry.Counters{Resolves: 1}},
		{op: "lookup", ref: "nginx:9.9", ok: false,
			total: registry.Counters{Resolves: 5, Manifests: 3, Blobs: 4, BlobBytes: 28_000_000 + config.Size}, nginx: registry.Counters{Resolves: 2, Manifests: 2, Blobs: 3, BlobBytes: 28_000_000 + config.Size},
			other: &registry.Counters{Resolves: 1}},
		{op: "reset", ok: true},
		{op: "resolve", ref: "nginx", ok: false,
			total: registry.Counters{Resolves: 1}, nginx: registry.Counters{Resolves: 1}},
	}
	for i, s := range steps {
		var err error
		switch s.op {
		case "resolve":
			var d registry.Descriptor
			d, err = r.Resolve(mustRef(t, s.ref), registry.Credential{})
			if err == nil && d != m.Descriptor && s.ref == "nginx:1.28" {
				t.Errorf("step %d: Resolve(%q) = %+v, want %+v", i, s.ref, d, m.Descriptor)
			}
		case "manifest":
			var got registry.Manifest
			got, err = r.FetchManifest(mustRef(t, s.ref), s.dgst, registry.Credential{Username: "u", Password: "p"})
			if err == nil && !reflect.DeepEqual(got, m) {
				t.Errorf("step %d: FetchManifest(%q, %s) = %+v, want %+v", i, s.ref, s.dgst, got, m)
			}
		case "blob":
			var got registry.Blob
			got, err = r.FetchBlob(mustRef(t, s.ref), s.dgst, registry.Credential{Username: "oauth2accesstoken", Password: "t"})
			if err == nil {
				want := layer
				if s.dgst == config.Digest {
					want = config
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("step %d: FetchBlob(%q, %s) = %+v, want %+v", i, s.ref, s.dgst, got.Descriptor, want.Descriptor)
				}
			}
		case "lookup":
			_, err = r.Lookup(s.ref)
		case "history":
			if len(r.History(s.ref)) == 0 {
				err = errors.New("empty history")
			}
		case "tags":
			if len(r.Tags(s.ref)) == 0 {
				err = errors.New("no tags")
			}
		case "reset":
			r.ResetCounters()
		default:
			t.Fatalf("step %d: unknown op %q", i, s.op)
		}
		if (err == nil) != s.ok {
			t.Errorf("step %d: %s(%q, %s) error = %v, want success %v", i, s.op, s.ref, s.dgst, err, s.ok)
		}
		if got := r.Counters(); got != s.total {
			t.Errorf("step %d: after %s(%q): Counters() = %+v, want %+v", i, s.op, s.ref, got, s.total)
		}
		for _, ref := range []string{"nginx", "docker.io/library/nginx:other", "nginx@" + missing.String()} {
			if got := r.CountersFor(ref); got != s.nginx {
				t.Errorf("step %d: after %s(%q): CountersFor(%q) = %+v, want %+v", i, s.op, s.ref, ref, got, s.nginx)
			}
		}
		var other registry.Counters
		if s.other != nil {
			other = *s.other
		}
		if got := r.CountersFor("localhost:5000/app"); got != other {
			t.Errorf("step %d: after %s(%q): CountersFor(localhost:5000/app) = %+v, want %+v", i, s.op, s.ref, got, other)
		}
	}
	if got := r.CountersFor("localhost:5001/app"); got != (registry.Counters{}) {
		t.Errorf("CountersFor(unknown host) = %+v, want zero", got)
	}
}

func TestCountersArithmetic(t *testing.T) {
	a := registry.Counters{Resolves: 1, Manifests: 2, Blobs: 3, BlobBytes: 400}
	b := registry.Counters{Resolves: 10, Manifests: 20, Blobs: 30, BlobBytes: 4000}
	if got, want := a.Add(b), (registry.Counters{Resolves: 11, Manifests: 22, Blobs: 33, BlobBytes: 4400}); got != want {
		t.Errorf("%+v.Add(%+v) = %+v, want %+v", a, b, got, want)
	}
	if got := a.Requests(); got != 6 {
		t.Errorf("%+v.Requests() = %d, want 6", a, got)
	}
	if !(registry.Credential{}).Anonymous() {
		t.Errorf("Credential{}.Anonymous() = false, want true")
	}
	for _, c := range []registry.Credential{{Username: "u"}, {Password: "p"}} {
		if c.Anonymous() {
			t.Errorf("%+v.Anonymous() = true, want false", c)
		}
	}
}

// TestSourceErrors: the Source methods wrap the distribution error codes in
// a *registry.Error naming the operation, repository and reference.
func TestSourceErrors(t *testing.T) {
	r := registry.New()
	r.MustPush("localhost:5000/app:v1", build("app v1"))
	missing := digest.FromString("missing")
	tests := []struct {
		op   string        // "resolve", "manifest" or "blob"
		ref  string        // the reference
		dgst digest.Digest // manifest or blob digest
		err  error         // the sentinel wanted
		text string        // the wanted error text
	}{
		{"resolve", "localhost:5000/app:v2", "", registry.ErrManifestUnknown, "registry: resolve localhost:5000/app:v2: manifest unknown"},
		{"resolve", "localhost:5000/app@" + missing.String(), "", registry.ErrManifestUnknown, "registry: resolve localhost:5000/app@" + missing.String() + ": manifest unknown"},
		{"resolve", "localhost:5000/nope:v1", "", registry.ErrNameUnknown, "registry: resolve localhost:5000/nope:v1: repository name not known to registry"},
		{"resolve", "localhost:5001/app", "", registry.ErrHostUnknown, "registry: resolve localhost:5001/app:latest: lookup localhost:5001: no such host"},
		{"resolve", "nginx", "", registry.ErrNameUnknown, "registry: resolve docker.io/library/nginx:latest: repository name not known to registry"},
		{"manifest", "localhost:5000/app:v1", missing, registry.ErrManifestUnknown, "registry: manifest localhost:5000/app@" + missing.String() + ": manifest unknown"},
		{"manifest", "localhost:5000/nope:v1", dig("app v1"), registry.ErrNameUnknown, "registry: manifest localhost:5000/nope@" + dig("app v1").String() + ": repository name not known to registry"},
		{"blob", "localhost:5000/app:v1", missing, registry.ErrBlobUnknown, "registry: blob localhost:5000/app@" + missing.String() + ": blob unknown to registry"},
	}
	for i, tt := range tests {
		ref := mustRef(t, tt.ref)
		var err error
		switch tt.op {
		case "resolve":
			_, err = r.Resolve(ref, registry.Credential{})
		case "manifest":
			_, err = r.FetchManifest(ref, tt.dgst, registry.Credential{})
		case "blob":
			_, err = r.FetchBlob(ref, tt.dgst, registry.Credential{})
		}
		var re *registry.Error
		if !errors.Is(err, tt.err) || !errors.As(err, &re) || err.Error() != tt.text {
			t.Errorf("step %d: %s(%q, %s) error = %v, want %q wrapping %q", i, tt.op, tt.ref, tt.dgst, err, tt.text, tt.err)
		}
	}
	// The manifest is also served as a blob, under its own digest.
	d := dig("app v1")
	b, err := r.FetchBlob(mustRef(t, "localhost:5000/app:v1"), d, registry.Credential{})
	if err != nil || b.Digest != d || b.MediaType != registry.MediaTypeManifest || b.Verify() != nil {
		t.Errorf("FetchBlob(manifest digest) = (%+v, %v), want the manifest bytes", b.Descriptor, err)
	}
}

// Content under a digest never changes: what a client does with the bytes
// it fetched must not reach the registry's copy.
func TestFetchedContentIsImmutable(t *testing.T) {
	r := registry.New()
	d := r.MustPush("localhost:5000/app:v1", build("app v1"))
	ref := mustRef(t, "localhost:5000/app:v1")

	m, err := r.FetchManifest(ref, d, registry.Credential{})
	if err != nil {
		t.Fatal(err)
	}
	layer := m.Layers[0]
	b, err := r.FetchBlob(ref, layer.Digest, registry.Credential{})
	if err != nil {
		t.Fatal(err)
	}
	// The client tampers with what it received.
	b.Data[0] ^= 1
	m.Layers[0].Size = 1
	m.Raw[0] = 'X'

	b2, err := r.FetchBlob(ref, layer.Digest, registry.Credential{})
	if err != nil || b2.Verify() != nil {
		t.Errorf("FetchBlob after a client changed its copy: Verify() = %v (fetch error %v), want nil", b2.Verify(), err)
	}
	m2, err := r.FetchManifest(ref, d, registry.Credential{})
	if err != nil || m2.Layers[0] != layer || digest.FromBytes(m2.Raw) != d {
		t.Errorf("FetchManifest after a client changed its copy: layer 0 = %+v, digest of Raw = %s; want %+v and %s", m2.Layers[0], digest.FromBytes(m2.Raw), layer, d)
	}
	mb, err := r.FetchBlob(ref, d, registry.Credential{})
	if err != nil || mb.Verify() != nil {
		t.Errorf("FetchBlob(manifest) after a client changed its manifest copy: Verify() = %v (fetch error %v), want nil", mb.Verify(), err)
	}
}

// FetchBlob serves the blobs of ref's repository: a repository that does
// not exist has none, even when another repository on the host has the blob.
func TestFetchBlobScopedToRepository(t *testing.T) {
	r := registry.New()
	r.MustPush("localhost:5000/app:v1", build("app v1"))
	r.MustPush("localhost:5000/other:v1", registry.Image{Config: "other", Layers: []registry.Layer{{Content: "other", Size: 5}}})
	m, _ := mustBuild(t, build("app v1"))
	own := m.Layers[1] // "app v1 files": only in localhost:5000/app

	if _, err := r.FetchBlob(mustRef(t, "localhost:5000/app:v1"), own.Digest, registry.Credential{}); err != nil {
		t.Fatalf("FetchBlob(own repository) error = %v", err)
	}
	if b, err := r.FetchBlob(mustRef(t, "localhost:5000/nope:v1"), own.Digest, registry.Credential{}); !errors.Is(err, registry.ErrNameUnknown) {
		t.Errorf("FetchBlob(localhost:5000/nope, %s) = (%+v, %v), want an error wrapping %q", own.Digest, b.Descriptor, err, registry.ErrNameUnknown)
	}
	if b, err := r.FetchBlob(mustRef(t, "localhost:5000/other:v1"), own.Digest, registry.Credential{}); !errors.Is(err, registry.ErrBlobUnknown) {
		t.Errorf("FetchBlob(localhost:5000/other, %s) = (%+v, %v), want an error wrapping %q", own.Digest, b.Descriptor, err, registry.ErrBlobUnknown)
	}
}

// Parallel pushes and resolves, under -race: every request is counted and
// every tag ends on one of the builds pushed to it.
func TestConcurrentPushResolve(t *testing.T) {
	const workers, rounds = 8, 50
	r := registry.New()
	r.MustPush("nginx:1.28", build("nginx 0"))
	ref := mustRef(t, "nginx:1.28")
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*4)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				if _, err := r.Push(fmt.Sprintf("localhost:5000/app%d:v%d", w, i%3), build(fmt.Sprintf("app %d %d", w, i))); err != nil {
					errs <- err
				}
				if _, err := r.Push("nginx:1.28", build(fmt.Sprintf("nginx %d", i%2))); err != nil {
					errs <- err
				}
				d, err := r.Resolve(ref, registry.Credential{})
				if err != nil {
					errs <- err
					continue
				}
				if d.Digest != dig("nginx 0") && d.Digest != dig("nginx 1") {
					errs <- fmt.Errorf("Resolve(nginx:1.28) = %s, not a build pushed to it", d.Digest)
				}
				if _, err := r.FetchManifest(ref, d.Digest, registry.Credential{}); err != nil {
					errs <- err
				}
				_ = r.Counters()
				_ = r.History("nginx:1.28")
				_ = r.Tags(fmt.Sprintf("localhost:5000/app%d", w))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, want := r.Counters(), (registry.Counters{Resolves: workers * rounds, Manifests: workers * rounds}); got != want {
		t.Errorf("Counters() = %+v, want %+v", got, want)
	}
	for w := range workers {
		if got := r.Tags(fmt.Sprintf("localhost:5000/app%d", w)); !slices.Equal(got, []string{"v0", "v1", "v2"}) {
			t.Errorf("Tags(app%d) = %q, want [v0 v1 v2]", w, got)
		}
		// Each worker pushed its own repository in order: the last push to v%d wins.
		for tag := range 3 {
			last := rounds - 1 - (rounds-1-tag)%3
			ref := fmt.Sprintf("localhost:5000/app%d:v%d", w, tag)
			if got, err := r.Lookup(ref); err != nil || got != dig(fmt.Sprintf("app %d %d", w, last)) {
				t.Errorf("Lookup(%q) = (%s, %v), want build %q", ref, got, err, fmt.Sprintf("app %d %d", w, last))
			}
		}
	}
}

// TestResolveAllocs pins Resolve, every pull's round trip, to no
// allocation when it succeeds, and its counting to one resolve per call.
func TestResolveAllocs(t *testing.T) {
	r := registry.New()
	r.MustPush("nginx:1.28", build("nginx 1.28.0"))
	ref := mustRef(t, "nginx:1.28")
	const runs = 100
	allocs := testing.AllocsPerRun(runs, func() {
		if _, err := r.Resolve(ref, registry.Credential{}); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per Resolve, want 0", allocs)
	}
	// AllocsPerRun makes one warm-up call.
	if got := r.CountersFor("nginx").Resolves; got != runs+1 {
		t.Errorf("resolves counted for nginx = %d, want %d", got, runs+1)
	}
	if got := r.Counters().Resolves; got != runs+1 {
		t.Errorf("resolves counted = %d, want %d", got, runs+1)
	}
}

// BenchmarkResolve is a tag's resolve, the one round trip of every pull
// under Always.
func BenchmarkResolve(b *testing.B) {
	r := registry.New()
	r.MustPush("nginx:1.28", build("nginx 1.28.0"))
	ref := mustRef(b, "nginx:1.28")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Resolve(ref, registry.Credential{}); err != nil {
			b.Fatal(err)
		}
	}
}
