package registry_test

import (
	"fmt"

	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// What a client of the distribution API pushes (blobs of real bytes, then
// a manifest by tag) moves the tag as Push does, and is what a node
// resolves and fetches.
func ExampleRegistry_PutManifest() {
	r := registry.New()
	cfg, _ := r.PutBlob("docker.io/team/app", "", []byte(`{"architecture":"amd64","os":"linux"}`))
	layer, _ := r.PutBlob("docker.io/team/app", "", []byte("layer bytes"))
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[{"mediaType":%q,"digest":%q,"size":%d}]}`,
		registry.MediaTypeManifest, registry.MediaTypeConfig, cfg.Digest, cfg.Size, registry.MediaTypeLayer, layer.Digest, layer.Size)
	d, err := r.PutManifest("docker.io/team/app:1.0", registry.MediaTypeManifest, []byte(manifest))
	fmt.Println(err, len(r.History("team/app:1.0")))

	ref, _ := pullpolicy.ParseImageRef("team/app:1.0")
	desc, _ := r.Resolve(ref, registry.Credential{})
	m, _ := r.FetchManifest(ref, desc.Digest, registry.Credential{})
	b, _ := r.FetchBlob(ref, m.Layers[0].Digest, registry.Credential{})
	fmt.Println(desc.Digest == d, string(b.Data))

	_, err = r.PutManifest("docker.io/team/app:1.1", registry.MediaTypeManifest, []byte(`{"schemaVersion":2`))
	fmt.Println(err)
	// Output:
	// <nil> 1
	// true layer bytes
	// registry: put manifest docker.io/team/app:1.1: manifest invalid: unexpected end of JSON input
}
