package imagecache_test

import (
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/imagecache"
)

// short abbreviates a digest for printing.
func short(d digest.Digest) string { return d.Encoded()[:4] }

// containerd's semantics: pulling nginx:latest again after the tag moved
// moves the name to the new image; the old image stays, reachable by its
// digest name and its ID, until it is removed.
func ExampleCache_tagMove() {
	sha := func(c string) digest.Digest { return digest.Digest("sha256:" + strings.Repeat(c, 64)) }
	c := imagecache.New()
	oldID, oldManifest := sha("a"), sha("1")
	newID, newManifest := sha("b"), sha("2")
	_, _ = c.Add(imagecache.Entry{ID: oldID, Manifest: oldManifest, Blobs: []imagecache.Blob{{Digest: oldManifest, Size: 10}, {Digest: oldID, Size: 5}},
		Names: []string{"docker.io/library/nginx:latest", "docker.io/library/nginx@" + oldManifest.String()}})
	_, _ = c.Add(imagecache.Entry{ID: newID, Manifest: newManifest, Blobs: []imagecache.Blob{{Digest: newManifest, Size: 10}, {Digest: newID, Size: 5}},
		Names: []string{"docker.io/library/nginx:latest", "docker.io/library/nginx@" + newManifest.String()}})

	id, _ := c.ID("docker.io/library/nginx:latest")
	fmt.Println("nginx:latest is", short(id))
	for _, img := range c.List() {
		fmt.Printf("%s tags=%d digests=%d\n", short(img.ID), len(img.RepoTags), len(img.RepoDigests))
	}
	id, _ = c.ID("docker.io/library/nginx@" + oldManifest.String())
	fmt.Println("old by digest is", short(id))
	// Output:
	// nginx:latest is bbbb
	// aaaa tags=0 digests=1
	// bbbb tags=1 digests=1
	// old by digest is aaaa
}

// Images share layers; the content store holds each once, and Usage falls
// only when the last image using a layer is removed.
func ExampleCache_Usage() {
	sha := func(c string) digest.Digest { return digest.Digest("sha256:" + strings.Repeat(c, 64)) }
	base := imagecache.Blob{Digest: sha("0"), Size: 1000}
	c := imagecache.New()
	a, _ := c.Add(imagecache.Entry{ID: sha("a"), Blobs: []imagecache.Blob{base, {Digest: sha("a"), Size: 10}}, Names: []string{"docker.io/library/app:a"}})
	b, _ := c.Add(imagecache.Entry{ID: sha("b"), Blobs: []imagecache.Blob{base, {Digest: sha("b"), Size: 20}}, Names: []string{"docker.io/library/app:b"}})
	fmt.Println("sizes:", a.Size, b.Size, "usage:", c.Usage())
	_ = c.Remove("docker.io/library/app:a")
	fmt.Println("after removing a:", c.Usage(), c.HasBlob(base.Digest))
	_ = c.Remove("docker.io/library/app:b")
	fmt.Println("after removing b:", c.Usage(), c.HasBlob(base.Digest))
	// Output:
	// sizes: 1010 1020 usage: 1030
	// after removing a: 1020 true
	// after removing b: 0 false
}
