package pullpolicy

import (
	_ "crypto/sha256" // registers SHA-256 for digest validation
	"fmt"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// ParseImageName splits an image reference the way the kubelet's
// pkg/util/parsers.ParseImageName does: repo is the fully normalised name
// (docker.io/library/ added for Docker Hub short names), tag and digest are
// what the reference carries, and when it carries neither the tag is
// "latest". The error reads
//
//	couldn't parse image name "NGINX": invalid reference format: repository name (library/NGINX) must be lowercase
func ParseImageName(image string) (repo, tag string, dgst digest.Digest, err error) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", "", "", fmt.Errorf("couldn't parse image name %q: %w", image, err)
	}
	repo = named.Name()
	if t, ok := named.(reference.Tagged); ok {
		tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		dgst = d.Digest()
	}
	if tag == "" && dgst == "" {
		tag = "latest"
	}
	return repo, tag, dgst, nil
}

// ImageRef is an image reference parsed once, carrying every spelling the
// kubelet and the runtime derive from it. Obtain one with [ParseImageRef] or
// a [RefCache]; it is immutable and safe to share. A nil *ImageRef answers
// every method with the empty string.
type ImageRef struct {
	requested string        // container.image as written
	specImage string        // after applyDefaultImageTag: ImageSpec.Image
	repo      string        // fully normalised repository, docker.io/library/nginx
	domain    string        // registry host, docker.io
	path      string        // repository path on the host, library/nginx
	tag       string        // as ParseImageName returns it ("latest" if neither)
	digest    digest.Digest // "" when the reference has none
	name      string        // the runtime's name: repo:tag, or repo@digest when digested
	untagged  string        // as written without tag and digest, not normalised
	id        digest.Digest // the image ID, when written as one (sha256:<hex>)
}

// ParseImageRef parses image with [ParseImageName]. The error is the
// kubelet's: couldn't parse image name "<image>": <detail>.
func ParseImageRef(image string) (*ImageRef, error) {
	repo, tag, dgst, err := ParseImageName(image)
	if err != nil {
		return nil, err
	}
	domain, path, _ := strings.Cut(repo, "/")
	r := &ImageRef{
		requested: image,
		specImage: ApplyDefaultTag(image, tag, dgst),
		repo:      repo,
		domain:    domain,
		path:      path,
		tag:       tag,
		digest:    dgst,
		untagged:  trimTagDigest(image),
	}
	if dgst != "" {
		r.name = repo + "@" + dgst.String()
	} else {
		r.name = repo + ":" + tag
	}
	if id, err := digest.Parse(image); err == nil {
		r.id = id
	}
	return r, nil
}

// ApplyDefaultTag is the kubelet's applyDefaultImageTag given the results of
// ParseImageName: with no digest and a tag the string does not already end
// in, ":<tag>" is appended. In practice only names with neither tag nor
// digest change ("nginx" becomes "nginx:latest"); the host is never added.
func ApplyDefaultTag(image, tag string, dgst digest.Digest) string {
	if dgst == "" && tag != "" && !strings.HasSuffix(image, ":"+tag) {
		return image + ":" + tag
	}
	return image
}

// Requested returns the image exactly as the container spec wrote it. The
// kubelet uses it in every message, in the backoff key and in status.
func (r *ImageRef) Requested() string {
	if r == nil {
		return ""
	}
	return r.requested
}

// String returns the image as written, like [ImageRef.Requested].
func (r *ImageRef) String() string {
	if r == nil {
		return ""
	}
	return r.requested
}

// SpecImage returns the string the kubelet hands the runtime (CRI
// ImageSpec.Image): the image as written with ":latest" appended when it had
// neither tag nor digest.
func (r *ImageRef) SpecImage() string {
	if r == nil {
		return ""
	}
	return r.specImage
}

// Repository returns the fully normalised repository name, e.g.
// docker.io/library/nginx. The kubelet looks up credentials under it
// (makeLookupPullCredentialsFunc) and the runtime pulls from it.
func (r *ImageRef) Repository() string {
	if r == nil {
		return ""
	}
	return r.repo
}

// Untagged returns the image as written without its tag and digest, not
// normalised: "nginx:1" gives "nginx", "docker.io/library/nginx:1" gives
// "docker.io/library/nginx", "localhost:5000/app:v1" keeps its port. KEP-2535
// pull records keep credentials under it (trimImageTagDigest in
// pkg/kubelet/images/pullmanager), so those two spellings of one image are
// different keys, and the preloaded-images allowlist of
// NeverVerifyAllowlistedImages compares its entries with it, literally.
func (r *ImageRef) Untagged() string {
	if r == nil {
		return ""
	}
	return r.untagged
}

// trimTagDigest drops the digest and the tag of an image as written: a
// colon is a tag separator only after the last slash, so a port survives.
func trimTagDigest(image string) string {
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndexByte(image, ':'); i > strings.LastIndexByte(image, '/') {
		image = image[:i]
	}
	return image
}

// Domain returns the registry host, e.g. docker.io or localhost:5000.
func (r *ImageRef) Domain() string {
	if r == nil {
		return ""
	}
	return r.domain
}

// Path returns the repository path on its host, e.g. library/nginx.
func (r *ImageRef) Path() string {
	if r == nil {
		return ""
	}
	return r.path
}

// Tag returns the tag as ParseImageName reports it: the written tag, or
// "latest" when the reference has neither tag nor digest, or "" for a
// digest-only reference.
func (r *ImageRef) Tag() string {
	if r == nil {
		return ""
	}
	return r.tag
}

// Digest returns the reference's digest, or "" when it has none.
func (r *ImageRef) Digest() digest.Digest {
	if r == nil {
		return ""
	}
	return r.digest
}

// Name returns the fully qualified name the runtime files the image under
// and looks it up by: repo:tag, or repo@digest for a digested reference
// (containerd drops the tag of repo:tag@digest). "nginx", "nginx:latest" and
// "docker.io/library/nginx:latest" all have the name
// docker.io/library/nginx:latest.
func (r *ImageRef) Name() string {
	if r == nil {
		return ""
	}
	return r.name
}

// ImageID returns the image ID the reference is written as, such as
// sha256:<64 hex> (the digest of an image's config), and "" for any other
// reference, nginx@sha256:<hex> included. The kubelet parses such a string
// as the image "sha256" with a tag, but the runtime (containerd's
// LocalResolve) looks a bare digest up as an image ID, not as a name: a pod
// may run a present image by its ID.
func (r *ImageRef) ImageID() digest.Digest {
	if r == nil {
		return ""
	}
	return r.id
}

// RefCache memoises [ParseImageRef]: each distinct image string is parsed
// once, failures included (callers racing on a first use may each parse, but
// all of them get the one result the cache keeps). It is safe for concurrent use and its zero value
// is ready to use. Nodes share [SharedRefs] unless given their own.
type RefCache struct {
	mu     sync.RWMutex
	m      map[string]refEntry
	parses int
}

type refEntry struct {
	ref *ImageRef
	err error
}

// Parses returns how many times the cache has parsed: once per distinct
// image string, plus any racing first uses.
func (c *RefCache) Parses() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.parses
}

// SharedRefs is the RefCache nodes use by default, so that a fleet of nodes
// parses each image string once per process.
var SharedRefs = new(RefCache)

// Parse returns the parsed reference for image, parsing it on first use.
// A lookup of an image seen before does not allocate.
func (c *RefCache) Parse(image string) (*ImageRef, error) {
	c.mu.RLock()
	e, ok := c.m[image]
	c.mu.RUnlock()
	if ok {
		return e.ref, e.err
	}
	ref, err := ParseImageRef(image)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.parses++
	if e, ok := c.m[image]; ok {
		// Another caller stored it first; everyone shares that one.
		return e.ref, e.err
	}
	if c.m == nil {
		c.m = make(map[string]refEntry)
	}
	c.m[image] = refEntry{ref, err}
	return ref, err
}
