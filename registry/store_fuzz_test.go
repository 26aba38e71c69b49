package registry_test

import (
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/pullsim/pullsim/registry"
)

// FuzzParseManifest: any bytes under any media type either parse into a
// manifest whose digest is the bytes' digest, or fail without panicking.
func FuzzParseManifest(f *testing.F) {
	f.Add(registry.MediaTypeManifest, []byte(`{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`))
	f.Add(registry.MediaTypeIndex, []byte(`{"schemaVersion":2,"manifests":[{"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"platform":{"os":"linux","architecture":"amd64"}}]}`))
	f.Add("application/vnd.example+json", []byte(`{"subject":{"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":1}}`))
	f.Add("", []byte(`{"mediaType":"application/vnd.docker.distribution.manifest.v1+json"}`))
	f.Fuzz(func(t *testing.T, mediaType string, raw []byte) {
		m, err := registry.ParseManifest(mediaType, raw, digest.SHA512)
		if err != nil {
			return
		}
		if m.Digest != digest.SHA512.FromBytes(raw) || m.Size != int64(len(raw)) {
			t.Fatalf("ParseManifest gave %s (%d bytes) for %d bytes", m.Digest, m.Size, len(raw))
		}
	})
}
