package node

import (
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/imagecache"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// statusImage's memo of repo@digest names is keyed by the manifest the
// cache has for the image, not by the image ID: an image removed and
// stored again under another manifest (one config, two manifests, as a
// registry may serve) shows the repo@digest of the manifest it has now,
// as without the memo.
func TestStatusImageFollowsTheManifest(t *testing.T) {
	s := newImageService(registry.New(), Containerd)
	ref, err := pullpolicy.ParseImageRef("web:v1")
	if err != nil {
		t.Fatal(err)
	}
	id := digest.FromString("config")
	blob := imagecache.Blob{Digest: id, Size: 10}
	for i, m := range []digest.Digest{digest.FromString("manifest 1"), digest.FromString("manifest 2")} {
		want := ref.Repository() + "@" + m.String()
		// Both names stay on the image the second time: the stale one
		// must not be taken for the current one.
		names := []string{ref.Name(), want, ref.Repository() + "@" + digest.FromString("manifest 1").String()}
		if _, err := s.cache.Add(imagecache.Entry{ID: id, Manifest: m, Names: names, Blobs: []imagecache.Blob{blob}}); err != nil {
			t.Fatal(err)
		}
		if _, got := s.statusImage(ref, id); got != want {
			t.Errorf("step %d: image ID %q, want %q", i, got, want)
		}
		if err := s.cache.Remove(string(id)); err != nil {
			t.Fatal(err)
		}
	}
}
