package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/imagecache"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// imageService is the container runtime's CRI image service (containerd's
// CRI plugin, or CRI-O): PullImage, ImageStatus and the content store
// behind them. A pull resolves the reference at the registry, fetches the
// manifest and the blobs the content store lacks, verifies each against its
// digest, then names the image. How the runtime words its errors is in
// runtime_errors.go. The kubelet reaches it through the puller; the image
// GC manager lists and removes its images.
type imageService struct {
	source    registry.Source
	timed     registry.Timed // the source's links, if it knows them
	cache     *imagecache.Cache
	runtime   ContainerRuntime
	inflight  map[digest.Digest]time.Time    // blobs being downloaded, until when
	statusErr error                          // when set, ImageStatus fails with it
	runs      map[digest.Digest]registry.Run // what images' containers do, by image ID; zero Runs omitted
	// repoDigests memoises repo@manifest-digest names by repository and
	// manifest digest, of which the name is a function.
	repoDigests map[repoImage]string
	// names memoises pullNames by reference and manifest digest, once
	// there is one, with what a pull of content the cache has found.
	names map[refManifest]*pullNamesMemo
}

// verified holds, for every node of the process, the manifests that
// matched their digests and passed checkManifest: their bytes and the
// fields their source gave beside them, by digest. Both checks are pure
// functions of what is compared, so a fetch of the same bytes and fields
// skips hashing and decoding them again; a fleet's nodes verify one
// manifest once. It keeps at most maxVerified manifests.
var verified struct {
	sync.Mutex
	m map[digest.Digest]*verifiedManifest
}

const maxVerified = 1024

// verifiedManifest is a manifest that matched its digest and passed
// checkManifest: a copy of its bytes and its fields.
type verifiedManifest struct {
	raw    []byte
	config registry.Descriptor
	layers []registry.Descriptor
}

// isVerified reports whether m, fetched by digest d, is a verified
// manifest: the same digest, bytes and fields, so that hashing and
// checking it would find what they found before.
func isVerified(d digest.Digest, m registry.Manifest) bool {
	if !cachedMemos {
		return false
	}
	verified.Lock()
	v := verified.m[d]
	verified.Unlock()
	return v != nil && bytes.Equal(m.Raw, v.raw) && m.Config == v.config && slices.Equal(m.Layers, v.layers)
}

// setVerified records m, fetched by digest d, as verified, unless the
// memo is full.
func setVerified(d digest.Digest, m registry.Manifest) {
	v := &verifiedManifest{raw: bytes.Clone(m.Raw), config: m.Config, layers: slices.Clone(m.Layers)}
	verified.Lock()
	defer verified.Unlock()
	if verified.m == nil {
		verified.m = make(map[digest.Digest]*verifiedManifest)
	}
	if len(verified.m) < maxVerified || verified.m[d] != nil {
		verified.m[d] = v
	}
}

// pullNamesMemo is the memo of one reference and manifest: the pull names,
// shared by every caller (who must not change them), and what fetchWith
// found in the cache at generation gen, when checked.
type pullNamesMemo struct {
	names   []string
	checked bool
	gen     uint64        // the cache's generation when checked
	id      digest.Digest // the image of the manifest; "" when the cache lacks it
	size    int64
	rename  bool // some name does not point at id
}

// refManifest is a reference's fully qualified name and the manifest
// digest it resolved to, the key of the node's memo of pull names.
type refManifest struct {
	name     string
	manifest digest.Digest
}

// newImageService returns the runtime's image service over src.
func newImageService(src registry.Source, runtime ContainerRuntime) imageService {
	timed, _ := src.(registry.Timed)
	return imageService{
		source:      src,
		timed:       timed,
		cache:       imagecache.New(),
		runtime:     runtime,
		inflight:    make(map[digest.Digest]time.Time),
		repoDigests: make(map[repoImage]string),
	}
}

// link returns the network link to host.
func (s *imageService) link(host string) registry.Link {
	if s.timed == nil {
		return registry.InstantLink
	}
	return s.timed.Link(host)
}

// run returns what the containers of image id do.
func (s *imageService) run(id digest.Digest) registry.Run { return s.runs[id] }

// noteRun remembers what the containers of image id do, as read from its
// config.
func (s *imageService) noteRun(id digest.Digest, r registry.Run) {
	if r == (registry.Run{}) {
		return // the zero Run needs no entry
	}
	if s.runs == nil {
		s.runs = make(map[digest.Digest]registry.Run)
	}
	s.runs[id] = r
}

// load side-loads the image m describes under the tag ref, as `ctr images
// import` does; its containers do r.
func (s *imageService) load(ref *pullpolicy.ImageRef, m registry.Manifest, r registry.Run) (imagecache.Image, error) {
	entry := cacheEntry(m)
	entry.Names = s.pullNames(ref, m.Digest)
	added, err := s.cache.Add(entry)
	if err == nil {
		s.noteRun(m.Config.Digest, r)
	}
	return added, err
}

// cacheEntry is the cache entry for the image manifest m describes: the
// manifest, its config and its layers.
func cacheEntry(m registry.Manifest) imagecache.Entry {
	blobs := make([]imagecache.Blob, 0, len(m.Layers)+2)
	blobs = append(blobs, imagecache.Blob{Digest: m.Digest, Size: m.Size}, imagecache.Blob{Digest: m.Config.Digest, Size: m.Config.Size})
	for _, l := range m.Layers {
		blobs = append(blobs, imagecache.Blob{Digest: l.Digest, Size: l.Size})
	}
	return imagecache.Entry{ID: m.Config.Digest, Manifest: m.Digest, Blobs: blobs}
}

// fetch makes job's registry requests at time at and fills job.res with
// what to commit at finish. Nothing enters the cache here. It returns the
// time until which job must wait for blobs another running pull is
// downloading.
//
// With credentials, the runtime tries each in order and the first that
// works wins; when all fail the error is their aggregate, "[e1, e2]". With
// none, it pulls anonymously.
func (s *imageService) fetch(job *pullJob, at time.Time) (waitUntil time.Time) {
	if len(job.creds) == 0 {
		return s.fetchWith(job, registry.Credential{})
	}
	var errs []string
	for i := range job.creds {
		job.res.err = nil
		w := s.fetchWith(job, job.creds[i].cred)
		if job.res.err == nil {
			job.res.used = &job.creds[i]
			return w
		}
		errs = append(errs, job.res.err.Error())
	}
	job.res.err = aggregate(errs)
	return time.Time{}
}

// cachedMemos lets the image service answer from its memo of what the
// cache has for a manifest; tests turn it off to compare with every
// answer looked up.
var cachedMemos = true

// fetchWith is one runtime PullImage with one credential.
func (s *imageService) fetchWith(job *pullJob, cred registry.Credential) (waitUntil time.Time) {
	ref, res := job.ref, &job.res
	res.requests++
	desc, err := s.source.Resolve(ref, cred)
	if err != nil {
		res.fail(s.runtime.resolveError(ref, err, cred.Anonymous()), err)
		return
	}
	memo := s.pullNamesMemo(ref, desc.Digest)
	names := memo.names
	if gen := s.cache.Generation(); !cachedMemos || !memo.checked || memo.gen != gen {
		// What the cache has for the manifest, memoised until it changes:
		// under Always, every start asks again.
		*memo = pullNamesMemo{names: names, checked: true, gen: gen}
		if id, ok := s.cache.ByManifest(desc.Digest); ok {
			_, memo.size, _ = s.cache.Summary(id)
			memo.id = id
			for _, name := range names {
				if !s.cache.HasName(id, name) {
					memo.rename = true
					break
				}
			}
		}
	}
	if memo.id != "" {
		// Content already here: at most names move. One round trip, no bytes.
		res.id, res.size = memo.id, memo.size
		if memo.rename {
			res.entry, res.commit = imagecache.Entry{ID: memo.id, Manifest: desc.Digest, Names: names}, true
		}
		return
	}
	// The manifest, and for an index or manifest list the manifest of the
	// node's platform in it (linux/amd64), each fetched and verified.
	var indexes []registry.Descriptor
	var m registry.Manifest
	for want := desc.Digest; ; {
		res.requests++
		var err error
		if m, err = s.source.FetchManifest(ref, want, cred); err != nil {
			res.fail(s.runtime.fetchError(ref, "manifests", want, err), err)
			return
		}
		if res.err = s.verifyManifest(ref, want, m); res.err != nil {
			return
		}
		if !m.IsIndex() {
			break
		}
		child, ok := m.PlatformManifest(nodeOS, nodeArch)
		if !ok || len(indexes) == maxIndexDepth {
			res.err = s.runtime.platformError(ref, m)
			return
		}
		indexes = append(indexes, m.Descriptor)
		want = child
	}
	for i := -1; i < len(m.Layers); i++ {
		d, kind := m.Config, "config"
		if i >= 0 {
			d, kind = m.Layers[i], "layer"
		}
		if s.cache.HasBlob(d.Digest) || containsDigest(job.fetched, d.Digest) {
			continue
		}
		if until, ok := s.inflight[d.Digest]; ok {
			// Another pull is downloading it; containerd waits for that
			// ingest instead of fetching the blob twice.
			if until.After(waitUntil) {
				waitUntil = until
			}
			continue
		}
		res.requests++
		b, err := s.source.FetchBlob(ref, d.Digest, cred)
		if err != nil {
			res.fail(s.runtime.fetchError(ref, "blobs", d.Digest, err), err)
			return
		}
		if b.Size != d.Size {
			res.err = s.runtime.commitSizeError(ref, kind, d.Digest, b.Size, d.Size)
			return
		}
		res.bytes += b.Size
		if got, err := registry.DigestOf(d.Digest.Algorithm(), b.Data); err != nil {
			res.err = fmt.Errorf("failed to pull and unpack image %q: %s %s: %w", ref.Name(), kind, d.Digest, err)
			return
		} else if got != d.Digest {
			res.err = s.runtime.commitError(ref, kind, d.Digest, got)
			return
		}
		if kind == "config" {
			// What the image's containers do is in its config.
			s.noteRun(d.Digest, registry.RunOf(b.Data))
		}
		job.fetched = append(job.fetched, d.Digest)
	}
	entry := cacheEntry(m)
	res.size = m.ImageSize()
	if len(indexes) > 0 {
		// The image is named by the index it was pulled by, and holds it.
		entry.Manifest = desc.Digest
		for _, d := range indexes {
			entry.Blobs = append(entry.Blobs, imagecache.Blob{Digest: d.Digest, Size: d.Size})
			res.size += d.Size
		}
	}
	entry.Names = names
	res.entry, res.commit = entry, true
	return
}

// The platform of the simulated nodes, whose manifest a pull picks from an
// index; maxIndexDepth bounds indexes nested in indexes.
const (
	nodeOS, nodeArch = "linux", "amd64"
	maxIndexDepth    = 8
)

// verifyManifest checks a manifest fetched by digest want as the runtime
// does before it uses it: its bytes must hash to want, and an image
// manifest's fields must be those of its bytes. A manifest verified once
// is remembered (see isVerified).
func (s *imageService) verifyManifest(ref *pullpolicy.ImageRef, want digest.Digest, m registry.Manifest) error {
	if isVerified(want, m) {
		return nil
	}
	if got, err := registry.DigestOf(want.Algorithm(), m.Raw); err != nil {
		return fmt.Errorf("failed to pull and unpack image %q: manifest %s: %w", ref.Name(), want, err)
	} else if got != want {
		return s.runtime.commitError(ref, "manifest", want, got)
	}
	if !m.IsIndex() {
		if err := checkManifest(m); err != nil {
			return fmt.Errorf("failed to pull and unpack image %q: manifest %s: %w", ref.Name(), want, err)
		}
	}
	setVerified(want, m)
	return nil
}

// checkManifest refuses a manifest whose fields disagree with its own
// bytes: a runtime reads the config and layers from the bytes it verified,
// so a Source whose Manifest.Layers say otherwise must not get them into
// the cache. Sizes must be non-negative.
func checkManifest(m registry.Manifest) error {
	var doc struct {
		Config registry.Descriptor   `json:"config"`
		Layers []registry.Descriptor `json:"layers"`
	}
	if err := json.Unmarshal(m.Raw, &doc); err != nil {
		return fmt.Errorf("unable to parse the manifest: %w", err)
	}
	if doc.Config != m.Config {
		return fmt.Errorf("the config %s (%d bytes) disagrees with the manifest's bytes, which name %s (%d bytes)", m.Config.Digest, m.Config.Size, doc.Config.Digest, doc.Config.Size)
	}
	if !slices.Equal(doc.Layers, m.Layers) {
		return fmt.Errorf("the %d layers disagree with the %d the manifest's bytes name", len(m.Layers), len(doc.Layers))
	}
	for _, d := range append([]registry.Descriptor{m.Config}, m.Layers...) {
		if err := d.Digest.Validate(); err != nil {
			return fmt.Errorf("blob %q: %w", d.Digest, err)
		}
		if d.Size < 0 {
			return fmt.Errorf("blob %s: negative size %d", d.Digest, d.Size)
		}
	}
	return nil
}

// fail records a failed request: text is what the runtime reports, cause
// what the registry answered. A request that timed out takes the link's
// timeout instead of one latency.
func (res *pullResult) fail(text, cause error) {
	res.err = text
	if errors.Is(cause, registry.ErrTimeout) {
		res.timeouts++
	}
}

func containsDigest(ds []digest.Digest, d digest.Digest) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

// pullNames are the names containerd's CRI plugin gives a pulled image: the
// reference as resolved (repo:tag, or repo@digest for a digested reference),
// and repo@<manifest digest>. They are built once per reference and
// manifest on the node; the slice is shared and must not be changed.
func (s *imageService) pullNames(ref *pullpolicy.ImageRef, manifest digest.Digest) []string {
	return s.pullNamesMemo(ref, manifest).names
}

// pullNamesMemo returns the memo of ref and manifest, made on first use.
func (s *imageService) pullNamesMemo(ref *pullpolicy.ImageRef, manifest digest.Digest) *pullNamesMemo {
	key := refManifest{ref.Name(), manifest}
	if memo, ok := s.names[key]; ok {
		return memo
	}
	names := []string{ref.Name()}
	if ref.Digest() == "" {
		names = append(names, ref.Repository()+"@"+manifest.String())
	}
	if s.names == nil {
		s.names = make(map[refManifest]*pullNamesMemo)
	}
	memo := &pullNamesMemo{names: names}
	s.names[key] = memo
	return memo
}

// imageStatus is the runtime's ImageStatus lookup: the ID of the image ref
// names, found by its name, or by its ID when ref is written as one
// (containerd's LocalResolve).
func (s *imageService) imageStatus(ref *pullpolicy.ImageRef) (digest.Digest, bool) {
	if id := ref.ImageID(); id != "" {
		return s.cache.ID(string(id))
	}
	return s.cache.ID(ref.Name())
}

// statusImage returns what a running container's status shows: the image
// name the runtime knows it by and the repo@digest image ID. A container
// started from an image named by its ID shows the image's first repo:tag
// name, as containerd does, or the ID when it has none.
func (s *imageService) statusImage(ref *pullpolicy.ImageRef, id digest.Digest) (image, imageID string) {
	manifest, _, ok := s.cache.Summary(id)
	if !ok {
		return ref.Requested(), string(id)
	}
	if ref.ImageID() != "" {
		img, _ := s.cache.Get(string(id))
		image, imageID = ref.Requested(), string(id)
		if len(img.RepoTags) > 0 {
			image = img.RepoTags[0]
		}
		if len(img.RepoDigests) > 0 {
			imageID = img.RepoDigests[0]
		}
		return image, imageID
	}
	image, imageID = ref.Name(), string(id)
	key := repoImage{ref.Repository(), manifest}
	name, ok := s.repoDigests[key]
	if !ok {
		name = ref.Repository() + "@" + manifest.String()
		s.repoDigests[key] = name
	}
	if s.cache.HasName(id, name) {
		return image, name
	}
	img, _ := s.cache.Get(string(id))
	if len(img.RepoDigests) > 0 {
		imageID = img.RepoDigests[0]
	}
	return image, imageID
}

// repoImage is a repository and a manifest digest, the key of the node's memo of
// repo@digest names.
type repoImage struct {
	repo     string
	manifest digest.Digest
}
