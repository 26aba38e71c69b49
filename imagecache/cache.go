package imagecache

import (
	_ "crypto/sha256" // registers SHA-256 for digest validation
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// Blob is a piece of content in the node's content store: a manifest, a
// config or a layer, by digest and size. Images share blobs; a blob is
// stored once however many images use it.
type Blob struct {
	Digest digest.Digest
	Size   int64
}

// Image is one image as the runtime reports it (CRI Image): its ID, every
// name that points at it, its size and whether it is pinned.
type Image struct {
	// ID is the image ID: the digest of the image config (containerd's
	// convention). It is what PullImage returns to the kubelet.
	ID digest.Digest
	// Manifest is the digest of the manifest the image was pulled or loaded by.
	Manifest digest.Digest
	// RepoTags are the fully qualified repo:tag names, sorted.
	RepoTags []string
	// RepoDigests are the fully qualified repo@digest names, sorted.
	RepoDigests []string
	// Size is the sum of the image's blobs, counting each once.
	Size int64
	// Pinned images are never garbage-collected.
	Pinned bool
	// Blobs are the manifest, config and layers, in manifest order.
	Blobs []Blob
}

// Entry is what [Cache.Add] stores: an image's identity and content, and the
// names to point at it.
type Entry struct {
	ID       digest.Digest // config digest
	Manifest digest.Digest // manifest digest
	Blobs    []Blob        // every blob the image needs, manifest and config included
	Names    []string      // fully qualified repo:tag and repo@digest names
	Pinned   bool
}

// ErrNotFound is returned when no image has the name asked for.
var ErrNotFound = errors.New("image not found")

// Cache is one node's image store with containerd's semantics: images are
// keyed by ID and found by any of their names. Adding an image under a tag
// that names another image moves the tag; the other image stays, reachable
// by its digest name, until it is removed. An image left with no name at all
// is dropped, as containerd's garbage collector would.
//
// Names are fully qualified ("docker.io/library/nginx:latest"); the node
// turns "nginx" into that before asking. The zero value is not usable; call
// [New]. A Cache is not safe for concurrent use: it belongs to one node.
type Cache struct {
	images map[digest.Digest]*image
	names  map[string]digest.Digest        // name -> image ID
	byMan  map[digest.Digest]digest.Digest // manifest digest -> image ID
	blobs  map[digest.Digest]*stored
	usage  int64
	gen    uint64 // changes with every Add and removal (Generation)
}

type image struct {
	id       digest.Digest
	manifest digest.Digest
	names    map[string]struct{}
	blobs    []Blob
	size     int64
	pinned   bool
}

type stored struct {
	size int64
	refs int // images using the blob
}

// New returns an empty cache.
func New() *Cache {
	return &Cache{
		images: make(map[digest.Digest]*image),
		names:  make(map[string]digest.Digest),
		byMan:  make(map[digest.Digest]digest.Digest),
		blobs:  make(map[digest.Digest]*stored),
	}
}

// ID returns the ID of the image name refers to. name is a fully qualified
// repo:tag or repo@digest name, or an image ID. It does not allocate: it is
// the presence check the kubelet makes on every start.
func (c *Cache) ID(name string) (digest.Digest, bool) {
	if id, ok := c.names[name]; ok {
		return id, true
	}
	if _, ok := c.images[digest.Digest(name)]; ok {
		return digest.Digest(name), true
	}
	return "", false
}

// Get returns the image name refers to (a name or an ID).
func (c *Cache) Get(name string) (Image, bool) {
	id, ok := c.ID(name)
	if !ok {
		return Image{}, false
	}
	return c.images[id].export(), true
}

// Summary returns the manifest digest and size of the image id, without
// copying its names and blobs as Get does.
func (c *Cache) Summary(id digest.Digest) (manifest digest.Digest, size int64, ok bool) {
	img := c.images[id]
	if img == nil {
		return "", 0, false
	}
	return img.manifest, img.size, true
}

// Pinned reports whether the image id is pinned, without copying it as Get
// does; false when there is no such image.
func (c *Cache) Pinned(id digest.Digest) bool {
	img := c.images[id]
	return img != nil && img.pinned
}

// ByManifest returns the ID of the image whose manifest has digest dgst: how
// a runtime that resolved a tag to a digest finds it has the content already.
func (c *Cache) ByManifest(dgst digest.Digest) (digest.Digest, bool) {
	id, ok := c.byMan[dgst]
	return id, ok
}

// HasName reports whether name points at the image id.
func (c *Cache) HasName(id digest.Digest, name string) bool {
	return c.names[name] == id && id != ""
}

// Generation returns a number that changes whenever the images, their
// names or their sizes may have: at every Add and every removal (pins
// aside). A caller that memoises what it read from the cache keeps the
// generation it read at; while Generation returns the same, the memo holds.
func (c *Cache) Generation() uint64 { return c.gen }

// HasBlob reports whether the content store holds dgst.
func (c *Cache) HasBlob(dgst digest.Digest) bool {
	_, ok := c.blobs[dgst]
	return ok
}

// Len returns the number of images.
func (c *Cache) Len() int { return len(c.images) }

// Usage returns the bytes the content store holds, each blob counted once
// however many images share it.
func (c *Cache) Usage() int64 { return c.usage }

// List returns every image, sorted by ID.
func (c *Cache) List() []Image {
	out := make([]Image, 0, len(c.images))
	for _, img := range c.images {
		out = append(out, img.export())
	}
	slices.SortFunc(out, func(a, b Image) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out
}

// checkSizes refuses a new image whose size, or the usage it brings the
// cache to, overflows an int64.
func (c *Cache) checkSizes(e Entry) error {
	size, usage := int64(0), c.usage
	seen := make(map[digest.Digest]bool, len(e.Blobs))
	for _, b := range e.Blobs {
		if seen[b.Digest] {
			continue
		}
		seen[b.Digest] = true
		if b.Size > math.MaxInt64-size {
			return fmt.Errorf("imagecache: image %s: blob %s: the image's size overflows", e.ID, b.Digest)
		}
		size += b.Size
		if c.blobs[b.Digest] == nil {
			if b.Size > math.MaxInt64-usage {
				return fmt.Errorf("imagecache: image %s: blob %s: the cache's usage overflows", e.ID, b.Digest)
			}
			usage += b.Size
		}
	}
	return nil
}

// Add stores e's blobs and points each of e.Names at e.ID, moving names that
// pointed at other images. Adding content that is already there only adds
// names. It returns the stored image. On error the cache is unchanged.
func (c *Cache) Add(e Entry) (Image, error) {
	// A digest the cache already holds was validated when it came in; a
	// node that stores one image again (every pull of a running pod's
	// image commits it) skips the regular expression.
	if _, ok := c.images[e.ID]; !ok {
		if err := e.ID.Validate(); err != nil {
			return Image{}, fmt.Errorf("imagecache: image ID %q: %w", e.ID, err)
		}
	}
	if len(e.Names) == 0 {
		return Image{}, fmt.Errorf("imagecache: image %s: at least one name is required", e.ID)
	}
	for _, n := range e.Names {
		if c.names[n] == e.ID {
			continue
		}
		if err := checkName(n); err != nil {
			return Image{}, err
		}
	}
	for i, b := range e.Blobs {
		if _, held := c.blobs[b.Digest]; !held {
			if err := b.Digest.Validate(); err != nil {
				return Image{}, fmt.Errorf("imagecache: image %s: blob %d: %w", e.ID, i, err)
			}
		}
		if b.Size < 0 {
			return Image{}, fmt.Errorf("imagecache: image %s: blob %s: negative size %d", e.ID, b.Digest, b.Size)
		}
	}

	img := c.images[e.ID]
	if img == nil {
		if err := c.checkSizes(e); err != nil {
			return Image{}, err
		}
		img = &image{id: e.ID, manifest: e.Manifest, names: make(map[string]struct{}, len(e.Names)), blobs: slices.Clone(e.Blobs)}
		seen := make(map[digest.Digest]bool, len(e.Blobs))
		for _, b := range e.Blobs {
			if seen[b.Digest] {
				continue
			}
			seen[b.Digest] = true
			img.size += b.Size
			s := c.blobs[b.Digest]
			if s == nil {
				s = &stored{size: b.Size}
				c.blobs[b.Digest] = s
				c.usage += b.Size
			}
			s.refs++
		}
		c.images[e.ID] = img
		if e.Manifest != "" {
			c.byMan[e.Manifest] = e.ID
		}
	}
	img.pinned = img.pinned || e.Pinned
	c.gen++
	for _, n := range e.Names {
		c.point(n, img)
	}
	return img.export(), nil
}

// point makes name refer to img, taking it from any other image.
func (c *Cache) point(name string, img *image) {
	if old, ok := c.names[name]; ok {
		if old == img.id {
			return
		}
		prev := c.images[old]
		delete(prev.names, name)
		if len(prev.names) == 0 {
			c.drop(prev)
		}
	}
	c.names[name] = img.id
	img.names[name] = struct{}{}
}

// Remove deletes the image name refers to, with every one of its names, and
// releases blobs no other image uses. It is CRI RemoveImage.
func (c *Cache) Remove(name string) error {
	id, ok := c.ID(name)
	if !ok {
		return fmt.Errorf("imagecache: remove %q: %w", name, ErrNotFound)
	}
	c.drop(c.images[id])
	return nil
}

// SetPinned pins or unpins the image name refers to. Pinned images are never
// garbage-collected (CRI Image.pinned).
func (c *Cache) SetPinned(name string, pinned bool) error {
	id, ok := c.ID(name)
	if !ok {
		return fmt.Errorf("imagecache: pin %q: %w", name, ErrNotFound)
	}
	c.images[id].pinned = pinned
	return nil
}

func (c *Cache) drop(img *image) {
	c.gen++
	for n := range img.names {
		delete(c.names, n)
	}
	seen := make(map[digest.Digest]bool, len(img.blobs))
	for _, b := range img.blobs {
		if seen[b.Digest] {
			continue
		}
		seen[b.Digest] = true
		if s := c.blobs[b.Digest]; s != nil {
			if s.refs--; s.refs == 0 {
				delete(c.blobs, b.Digest)
				c.usage -= s.size
			}
		}
	}
	delete(c.images, img.id)
	if c.byMan[img.manifest] == img.id {
		delete(c.byMan, img.manifest)
	}
}

func (img *image) export() Image {
	out := Image{ID: img.id, Manifest: img.manifest, Size: img.size, Pinned: img.pinned, Blobs: slices.Clone(img.blobs)}
	for n := range img.names {
		if strings.Contains(n, "@") {
			out.RepoDigests = append(out.RepoDigests, n)
		} else {
			out.RepoTags = append(out.RepoTags, n)
		}
	}
	slices.Sort(out.RepoTags)
	slices.Sort(out.RepoDigests)
	return out
}

// checkedNames memoises the names checkName accepted, for every cache in
// the process: a fleet's nodes add the same few names over and over, and a
// reference parse costs microseconds. Only valid names are kept.
var checkedNames sync.Map // string -> struct{}

// checkName accepts fully qualified repo:tag and repo@digest names only.
func checkName(name string) error {
	if _, ok := checkedNames.Load(name); ok {
		return nil
	}
	ref, err := reference.ParseNamed(name)
	if err != nil {
		return fmt.Errorf("imagecache: name %q: want a fully qualified repo:tag or repo@digest: %w", name, err)
	}
	_, tagged := ref.(reference.Tagged)
	_, digested := ref.(reference.Digested)
	if tagged == digested {
		return fmt.Errorf("imagecache: name %q: want exactly one of a tag or a digest", name)
	}
	checkedNames.Store(name, struct{}{})
	return nil
}
