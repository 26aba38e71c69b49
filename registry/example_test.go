package registry_test

import (
	"fmt"

	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// Pushing a new build under a tag moves the tag; the earlier build stays
// reachable by digest, and History lists every target, oldest first.
func ExampleRegistry_Push() {
	r := registry.New()
	base := registry.Layer{Content: "debian bookworm", Size: 28_000_000}
	old := r.MustPush("nginx:1.28", registry.Image{Config: "nginx 1.28.0", Layers: []registry.Layer{base, {Content: "nginx 1.28.0", Size: 40_000_000}}})
	cur := r.MustPush("nginx:1.28", registry.Image{Config: "nginx 1.28.1", Layers: []registry.Layer{base, {Content: "nginx 1.28.1", Size: 40_000_000}}})

	now, _ := r.Lookup("docker.io/library/nginx:1.28")
	fmt.Println("tag moved:", now == cur && cur != old)
	byDigest, _ := r.Lookup("nginx@" + old.String())
	fmt.Println("old build by digest:", byDigest == old)
	h := r.History("nginx:1.28")
	fmt.Println("history:", len(h), h[0] == old, h[1] == cur)
	fmt.Println("tags:", r.Tags("nginx"))
	// Output:
	// tag moved: true
	// old build by digest: true
	// history: 2 true true
	// tags: [1.28]
}

// Counters count what nodes ask through the Source methods; inspecting
// with Lookup does not count. "nginx" and docker.io/library/nginx are the
// same repository.
func ExampleRegistry_Counters() {
	r := registry.New()
	r.MustPush("nginx:1.28", registry.Image{Config: "nginx 1.28.0", Layers: []registry.Layer{{Content: "nginx", Size: 1000}}})
	_, _ = r.Lookup("nginx:1.28")

	ref, _ := pullpolicy.ParseImageRef("nginx:1.28")
	d, _ := r.Resolve(ref, registry.Credential{})
	m, _ := r.FetchManifest(ref, d.Digest, registry.Credential{})
	for _, l := range m.Layers {
		_, _ = r.FetchBlob(ref, l.Digest, registry.Credential{})
	}
	c := r.CountersFor("docker.io/library/nginx")
	fmt.Printf("resolves=%d manifests=%d blobs=%d bytes=%d requests=%d\n", c.Resolves, c.Manifests, c.Blobs, c.BlobBytes, c.Requests())
	r.ResetCounters()
	fmt.Printf("after reset: %+v\n", r.Counters())
	// Output:
	// resolves=1 manifests=1 blobs=1 bytes=1000 requests=3
	// after reset: {Resolves:0 Manifests:0 Blobs:0 BlobBytes:0}
}

// The same content always has the same digests: an image is addressed by
// what it is, not by when or where it was built.
func ExampleBuild() {
	img := registry.Image{Config: "app v1", Layers: []registry.Layer{{Content: "base", Size: 1000}}}
	m1, _, _ := registry.Build(img)
	m2, _, _ := registry.Build(registry.Image{Config: "app v1", Layers: []registry.Layer{{Content: "base", Size: 1000}}})
	m3, _, _ := registry.Build(registry.Image{Config: "app v2", Layers: []registry.Layer{{Content: "base", Size: 1000}}})
	fmt.Println("same content, same digest:", m1.Digest == m2.Digest, m1.Config.Digest == m2.Config.Digest)
	fmt.Println("new config, new digest:", m1.Digest != m3.Digest, m1.Config.Digest != m3.Config.Digest)
	fmt.Println("shared layer:", m1.Layers[0].Digest == m3.Layers[0].Digest)
	fmt.Println("algorithm:", m1.Digest.Algorithm(), len(m1.Digest.Encoded()))
	// Output:
	// same content, same digest: true true
	// new config, new digest: true true
	// shared layer: true
	// algorithm: sha256 64
}
