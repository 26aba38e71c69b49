package registry

// The push face of the registry: what a client of the OCI distribution API
// stores (blobs of real bytes, manifests of any kind, tags) and deletes.
// Content stored here is what nodes pull through [Source], and content a
// test stores with Push is what these methods and the HTTP face serve.

import (
	_ "crypto/sha512" // registers SHA-512: the distribution API accepts sha512 digests
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/pullpolicy"
)

// Errors of pushes and deletes, named after the distribution API's error
// codes, as [ErrManifestUnknown] and its kin are; a repository name that
// does not follow the grammar is [ErrNameInvalid].
var (
	// ErrTagInvalid: the tag does not follow the grammar (MANIFEST_INVALID
	// over HTTP, as distribution answers a malformed tag).
	ErrTagInvalid = errors.New("invalid tag")
	// ErrDigestInvalid: the digest is malformed, uses an unknown algorithm,
	// or does not match the content (DIGEST_INVALID).
	ErrDigestInvalid = errors.New("provided digest did not match uploaded content")
	// ErrManifestInvalid: the manifest is not valid JSON, lacks a media
	// type, or its fields contradict it (MANIFEST_INVALID).
	ErrManifestInvalid = errors.New("manifest invalid")
	// ErrManifestBlobUnknown: an image manifest names a config or layer
	// that is not in the repository (MANIFEST_BLOB_UNKNOWN).
	ErrManifestBlobUnknown = errors.New("blob unknown to registry")
)

// Media types of manifests the registry understands beyond its own
// [MediaTypeManifest]. Manifests of other types are stored and served as
// pushed, but nodes cannot pull them.
const (
	MediaTypeIndex              = "application/vnd.oci.image.index.v1+json"
	MediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	// MediaTypeDockerSchema1 is refused: Docker's schema 1 manifests are
	// signed JWS documents that containerd 2 and distribution 3 no longer
	// accept.
	MediaTypeDockerSchema1       = "application/vnd.docker.distribution.manifest.v1+json"
	MediaTypeDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
)

// Referrer is one entry of the referrers API: a manifest whose subject is
// the digest asked about.
type Referrer struct {
	Descriptor
	// ArtifactType is the manifest's artifactType or, for an image manifest
	// without one, its config's media type.
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

// indexEntry is one manifest of an index, with its platform.
type indexEntry struct {
	digest digest.Digest
	os     string
	arch   string
}

// manifestDoc is the union of the fields of image manifests and indexes
// (OCI and Docker) that the registry reads; the bytes stay as pushed.
type manifestDoc struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        *docDescriptor    `json:"config"`
	Layers        []docDescriptor   `json:"layers"`
	Manifests     []docDescriptor   `json:"manifests"`
	Subject       *docDescriptor    `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
}

type docDescriptor struct {
	MediaType string        `json:"mediaType"`
	Digest    digest.Digest `json:"digest"`
	Size      int64         `json:"size"`
	URLs      []string      `json:"urls"`
	Platform  *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	} `json:"platform"`
}

func (d docDescriptor) descriptor() Descriptor {
	return Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}
}

// foreign reports whether a layer is not expected in the registry:
// non-distributable layers and layers fetched from their URLs.
func (d docDescriptor) foreign() bool {
	return len(d.URLs) > 0 ||
		strings.Contains(d.MediaType, ".nondistributable.") ||
		strings.HasPrefix(d.MediaType, "application/vnd.docker.image.rootfs.foreign.")
}

// ParseManifest reads raw as a manifest of mediaType, the Content-Type it
// was pushed with, and returns it with its digest computed by alg (SHA-256
// when alg is empty). OCI and Docker image manifests must carry schema
// version 2 and a config; indexes and manifest lists a list of manifests; a
// mediaType field, where present, must agree with mediaType. A manifest of
// any other media type must be a JSON object; it is kept as pushed. Errors
// wrap [ErrManifestInvalid] or [ErrDigestInvalid].
func ParseManifest(mediaType string, raw []byte, alg digest.Algorithm) (Manifest, error) {
	if alg == "" {
		alg = digest.Canonical
	}
	if !alg.Available() {
		return Manifest{}, fmt.Errorf("digest algorithm %q: %w", alg, ErrDigestInvalid)
	}
	var doc manifestDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return Manifest{}, fmt.Errorf("%w: %v", ErrManifestInvalid, err)
	}
	if mediaType == "" {
		mediaType = doc.MediaType
	}
	base, _, err := mime.ParseMediaType(mediaType)
	if err != nil {
		return Manifest{}, fmt.Errorf("%w: media type %q: %v", ErrManifestInvalid, mediaType, err)
	}
	if doc.MediaType != "" && doc.MediaType != base {
		return Manifest{}, fmt.Errorf("%w: mediaType field %q does not match the content type %q", ErrManifestInvalid, doc.MediaType, base)
	}
	m := Manifest{
		Descriptor: Descriptor{MediaType: mediaType, Digest: alg.FromBytes(raw), Size: int64(len(raw))},
		Raw:        raw,
	}
	switch base {
	case MediaTypeDockerSchema1, MediaTypeDockerSchema1Signed:
		return Manifest{}, fmt.Errorf("%w: Docker schema 1 manifests are not supported", ErrManifestInvalid)
	case MediaTypeManifest, MediaTypeDockerManifest:
		if doc.SchemaVersion != 2 {
			return Manifest{}, fmt.Errorf("%w: schemaVersion %d, want 2", ErrManifestInvalid, doc.SchemaVersion)
		}
		if doc.Config == nil {
			return Manifest{}, fmt.Errorf("%w: no config", ErrManifestInvalid)
		}
		if err := validDescriptor("config", *doc.Config); err != nil {
			return Manifest{}, err
		}
		m.Config = doc.Config.descriptor()
		m.Layers = make([]Descriptor, len(doc.Layers))
		for i, l := range doc.Layers {
			if err := validDescriptor(fmt.Sprintf("layer %d", i), l); err != nil {
				return Manifest{}, err
			}
			m.Layers[i] = l.descriptor()
			if l.foreign() {
				m.foreign = append(m.foreign, l.Digest)
			}
		}
		m.image = true
	case MediaTypeIndex, MediaTypeDockerManifestList:
		if doc.SchemaVersion != 2 {
			return Manifest{}, fmt.Errorf("%w: schemaVersion %d, want 2", ErrManifestInvalid, doc.SchemaVersion)
		}
		if doc.Manifests == nil {
			return Manifest{}, fmt.Errorf("%w: no manifests", ErrManifestInvalid)
		}
		for i, c := range doc.Manifests {
			if err := validDescriptor(fmt.Sprintf("manifest %d", i), c); err != nil {
				return Manifest{}, err
			}
			e := indexEntry{digest: c.Digest}
			if c.Platform != nil {
				e.os, e.arch = c.Platform.OS, c.Platform.Architecture
			}
			m.children = append(m.children, e)
		}
		m.index = true
	default:
		if len(raw) == 0 || raw[0] != '{' {
			return Manifest{}, fmt.Errorf("%w: a manifest must be a JSON object", ErrManifestInvalid)
		}
	}
	if doc.Subject != nil {
		if err := validDescriptor("subject", *doc.Subject); err != nil {
			return Manifest{}, err
		}
		m.subject = doc.Subject.Digest
		m.artifactType = doc.ArtifactType
		if m.artifactType == "" && m.image {
			m.artifactType = m.Config.MediaType
		}
		m.annotations = doc.Annotations
	}
	return m, nil
}

func validDescriptor(what string, d docDescriptor) error {
	if err := d.Digest.Validate(); err != nil {
		return fmt.Errorf("%w: %s digest %q: %v", ErrManifestInvalid, what, d.Digest, err)
	}
	if d.Size < 0 {
		return fmt.Errorf("%w: %s has negative size %d", ErrManifestInvalid, what, d.Size)
	}
	return nil
}

// parseRepo parses a repository name with its host ("docker.io/library/nginx",
// "localhost:5000/app"); it must carry neither tag nor digest.
func parseRepo(op, repo string) (*pullpolicy.ImageRef, error) {
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return nil, &Error{Op: op, Repository: repo, Err: fmt.Errorf("%w: %v", ErrNameInvalid, err)}
	}
	if !reference.IsNameOnly(named) {
		return nil, &Error{Op: op, Repository: repo, Err: fmt.Errorf("%w: name a repository without tag or digest", ErrNameInvalid)}
	}
	p, err := pullpolicy.SharedRefs.Parse(named.Name())
	if err != nil {
		return nil, &Error{Op: op, Repository: repo, Err: fmt.Errorf("%w: %v", ErrNameInvalid, err)}
	}
	return p, nil
}

// ParseRepository checks repo, a repository name with its host, and
// returns it fully qualified ("nginx" becomes "docker.io/library/nginx").
// The error wraps [ErrNameInvalid].
func ParseRepository(repo string) (string, error) {
	p, err := parseRepo("parse", repo)
	if err != nil {
		return "", err
	}
	return p.Repository(), nil
}

// PutBlob stores data as a blob of repo (a repository name with its host)
// and returns its descriptor. With a dgst, the data must hash to it under
// dgst's algorithm (sha256 or sha512), or the error wraps
// [ErrDigestInvalid] and nothing is stored; without one, its SHA-256 is
// its digest. Storing a blob the host already has links it to repo.
func (r *Registry) PutBlob(repo string, dgst digest.Digest, data []byte) (Descriptor, error) {
	p, err := parseRepo("put blob", repo)
	if err != nil {
		return Descriptor{}, err
	}
	if dgst == "" {
		dgst = digest.FromBytes(data)
	} else if err := dgst.Validate(); err != nil {
		return Descriptor{}, &Error{Op: "put blob", Repository: p.Repository(), Reference: dgst.String(), Err: fmt.Errorf("%w: %v", ErrDigestInvalid, err)}
	} else if got := dgst.Algorithm().FromBytes(data); got != dgst {
		return Descriptor{}, &Error{Op: "put blob", Repository: p.Repository(), Reference: dgst.String(), Err: fmt.Errorf("%w: content has digest %s", ErrDigestInvalid, got)}
	}
	d := Descriptor{MediaType: "application/octet-stream", Digest: dgst, Size: int64(len(data))}
	r.mu.Lock()
	defer r.mu.Unlock()
	h, rp := r.repo(p, true)
	if _, ok := h.blobs[dgst]; !ok {
		h.blobs[dgst] = Blob{Descriptor: d, Data: slices.Clone(data)}
	}
	rp.blobs[dgst] = true
	return h.blobs[dgst].Descriptor, nil
}

// MountBlob links the blob dgst of repository from into repository to on
// the same host, as a cross-repository mount does, and returns its
// descriptor. cred must be allowed to read from. With from empty, any
// repository of to's host that holds the blob and that cred may read
// serves. It fails with [ErrBlobUnknown] when no such repository has it.
func (r *Registry) MountBlob(from, to string, dgst digest.Digest, cred Credential) (Descriptor, error) {
	pt, err := parseRepo("mount blob", to)
	if err != nil {
		return Descriptor{}, err
	}
	var pf *pullpolicy.ImageRef
	if from != "" {
		if pf, err = parseRepo("mount blob", from); err != nil {
			return Descriptor{}, err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	unknown := &Error{Op: "mount blob", Repository: pt.Repository(), Reference: dgst.String(), Err: ErrBlobUnknown}
	h := r.hosts[pt.Domain()]
	if h == nil {
		return Descriptor{}, unknown
	}
	b, ok := h.blobs[dgst]
	if !ok {
		return Descriptor{}, unknown
	}
	found := false
	if pf != nil {
		if pf.Domain() != pt.Domain() {
			return Descriptor{}, unknown
		}
		_, rf := r.repo(pf, false)
		found = rf != nil && rf.blobs[dgst] && r.authorize(pf, cred) == nil
	} else {
		for _, path := range sortedKeys(h.repos) {
			if !h.repos[path].blobs[dgst] {
				continue
			}
			if q, err := pullpolicy.SharedRefs.Parse(pt.Domain() + "/" + path); err == nil && r.authorize(q, cred) == nil {
				found = true
				break
			}
		}
	}
	if !found {
		return Descriptor{}, unknown
	}
	_, rt := r.repo(pt, true)
	rt.blobs[dgst] = true
	return b.Descriptor, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// DeleteBlob unlinks the blob dgst from repo; the host forgets its bytes
// once no repository links it. Manifests naming it stay (a registry does
// not check), so a later pull of them fails with BLOB_UNKNOWN.
func (r *Registry) DeleteBlob(repo string, dgst digest.Digest) error {
	p, err := parseRepo("delete blob", repo)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	h, rp := r.repo(p, false)
	if rp == nil || !rp.blobs[dgst] {
		return &Error{Op: "delete blob", Repository: p.Repository(), Reference: dgst.String(), Err: ErrBlobUnknown}
	}
	delete(rp.blobs, dgst)
	for _, other := range h.repos {
		if other.blobs[dgst] {
			return nil
		}
	}
	delete(h.blobs, dgst)
	return nil
}

// splitReference parses "host/path:tag" or "host/path@digest": a
// repository and either a tag or a digest, never both. The digest may use
// any available algorithm.
func splitReference(op, ref string) (p *pullpolicy.ImageRef, tag string, dgst digest.Digest, err error) {
	name, rest, isDigest := strings.Cut(ref, "@")
	if isDigest {
		dgst = digest.Digest(rest)
		if err := dgst.Validate(); err != nil {
			return nil, "", "", &Error{Op: op, Repository: name, Reference: rest, Err: fmt.Errorf("%w: %v", ErrDigestInvalid, err)}
		}
	} else if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		name, tag = ref[:i], ref[i+1:]
		if !anchoredTag(tag) {
			return nil, "", "", &Error{Op: op, Repository: name, Reference: tag, Err: ErrTagInvalid}
		}
	} else {
		return nil, "", "", &Error{Op: op, Repository: ref, Err: fmt.Errorf("%w: the reference names neither a tag nor a digest", ErrManifestInvalid)}
	}
	p, err = parseRepo(op, name)
	return p, tag, dgst, err
}

func anchoredTag(tag string) bool {
	loc := reference.TagRegexp.FindStringIndex(tag)
	return loc != nil && loc[0] == 0 && loc[1] == len(tag)
}

// PutManifest stores raw, pushed with the Content-Type mediaType, in the
// repository of ref ("host/path:tag" or "host/path@digest") and returns its
// digest. Under a tag, the manifest's digest is its SHA-256 and the tag
// moves to it, recorded in [Registry.History] exactly as Push records it.
// Under a digest, raw must hash to it with the digest's algorithm. An image
// manifest's config and layers must be blobs of the repository
// ([ErrManifestBlobUnknown]), except non-distributable layers; indexes may
// name manifests not pushed yet, and a subject need not exist. See
// [ParseManifest] for what else is checked. On error nothing is stored.
func (r *Registry) PutManifest(ref, mediaType string, raw []byte) (digest.Digest, error) {
	p, tag, dgst, err := splitReference("put manifest", ref)
	if err != nil {
		return "", err
	}
	fail := func(err error) (digest.Digest, error) {
		return "", &Error{Op: "put manifest", Repository: p.Repository(), Reference: tag + dgst.String(), Err: err}
	}
	alg := digest.Canonical
	if dgst != "" {
		alg = dgst.Algorithm()
	}
	m, err := ParseManifest(mediaType, raw, alg)
	if err != nil {
		return fail(err)
	}
	if dgst != "" && m.Digest != dgst {
		return fail(fmt.Errorf("%w: content has digest %s", ErrDigestInvalid, m.Digest))
	}
	m.Raw = slices.Clone(raw)
	r.mu.Lock()
	defer r.mu.Unlock()
	_, rp := r.repo(p, false)
	if m.image {
		for _, d := range append([]Descriptor{m.Config}, m.Layers...) {
			if (rp == nil || !rp.blobs[d.Digest]) && !slices.Contains(m.foreign, d.Digest) {
				return fail(fmt.Errorf("%w: %s", ErrManifestBlobUnknown, d.Digest))
			}
		}
	}
	_, rp = r.repo(p, true)
	if _, ok := rp.manifests[m.Digest]; !ok {
		rp.manifests[m.Digest] = m
	}
	if tag != "" {
		rp.setTag(tag, m.Digest)
	}
	return m.Digest, nil
}

// DeleteManifest deletes what ref names: under a tag, the tag (as
// [Registry.DeleteTag]); under a digest, the manifest and every tag that
// points at it. History keeps the past either way.
func (r *Registry) DeleteManifest(ref string) error {
	p, tag, dgst, err := splitReference("delete manifest", ref)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, rp := r.repo(p, false)
	if rp == nil {
		return &Error{Op: "delete manifest", Repository: p.Repository(), Reference: tag + dgst.String(), Err: ErrNameUnknown}
	}
	if tag != "" {
		if _, ok := rp.tags[tag]; !ok {
			return &Error{Op: "delete manifest", Repository: p.Repository(), Reference: tag, Err: ErrManifestUnknown}
		}
		delete(rp.tags, tag)
		return nil
	}
	if _, ok := rp.manifests[dgst]; !ok {
		return &Error{Op: "delete manifest", Repository: p.Repository(), Reference: dgst.String(), Err: ErrManifestUnknown}
	}
	delete(rp.manifests, dgst)
	for t, d := range rp.tags {
		if d == dgst {
			delete(rp.tags, t)
		}
	}
	return nil
}

// Referrers returns the manifests of repo whose subject is subject, sorted
// by digest; with artifactType set, only those of that artifact type. An
// unknown repository has none.
func (r *Registry) Referrers(repo string, subject digest.Digest, artifactType string) ([]Referrer, error) {
	p, err := parseRepo("referrers", repo)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []Referrer{}
	_, rp := r.repo(p, false)
	if rp == nil {
		return out, nil
	}
	for _, m := range rp.manifests {
		if m.subject != subject || (artifactType != "" && m.artifactType != artifactType) {
			continue
		}
		d := m.Descriptor
		if base, _, err := mime.ParseMediaType(d.MediaType); err == nil {
			d.MediaType = base
		}
		out = append(out, Referrer{Descriptor: d, ArtifactType: m.artifactType, Annotations: m.annotations})
	}
	slices.SortFunc(out, func(a, b Referrer) int { return strings.Compare(string(a.Digest), string(b.Digest)) })
	return out, nil
}

// TagsPage returns up to n tags of repo in lexical order, those after last
// when last is set (the distribution API's n and last). A negative n means
// all. more reports whether tags remain after the page. An unknown
// repository fails with [ErrNameUnknown].
func (r *Registry) TagsPage(repo, last string, n int) (tags []string, more bool, err error) {
	p, err := parseRepo("tags", repo)
	if err != nil {
		return nil, false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, rp := r.repo(p, false)
	if rp == nil {
		return nil, false, &Error{Op: "tags", Repository: p.Repository(), Err: ErrNameUnknown}
	}
	all := sortedKeys(rp.tags)
	if last != "" {
		i, _ := slices.BinarySearch(all, last)
		if i < len(all) && all[i] == last {
			i++
		}
		all = all[i:]
	}
	if n >= 0 && n < len(all) {
		return all[:n], true, nil
	}
	return all, false, nil
}

// Authorize reports whether cred may read and write repo: nil for a public
// repository or accepted credentials, else an error wrapping
// [ErrAuthRequired] or [ErrBadCredentials]. It counts no request.
func (r *Registry) Authorize(repo string, cred Credential) error {
	p, err := parseRepo("authorize", repo)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.authorize(p, cred); err != nil {
		return &Error{Op: "authorize", Repository: p.Repository(), Err: err}
	}
	return nil
}

// HeadManifest answers a HEAD of a manifest of ref's repository by tag or
// digest: the descriptor of what is stored, an index as an index. It counts
// one resolve and meets the faults a resolve meets, as [Registry.Resolve]
// does, but does not choose a platform.
func (r *Registry) HeadManifest(ref *pullpolicy.ImageRef, cred Credential) (Descriptor, error) {
	if ref == nil {
		return Descriptor{}, &Error{Op: "resolve", Err: ErrNameInvalid}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count(ref, Counters{Resolves: 1})
	m, err := r.manifestRequest("resolve", ref, cred)
	return m.Descriptor, err
}

// GetManifest answers a GET of a manifest of ref's repository by tag or
// digest: the manifest as pushed. It counts one manifest fetch. By tag it
// meets the faults of a resolve and, if none, those of a manifest fetch
// (a rate limit); by digest those of a manifest fetch.
func (r *Registry) GetManifest(ref *pullpolicy.ImageRef, cred Credential) (Manifest, error) {
	if ref == nil {
		return Manifest{}, &Error{Op: "manifest", Err: ErrNameInvalid}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count(ref, Counters{Manifests: 1})
	m, err := r.manifestRequest("manifest", ref, cred)
	if err != nil {
		return Manifest{}, err
	}
	m.Layers, m.Raw = slices.Clone(m.Layers), slices.Clone(m.Raw)
	return m, nil
}

// manifestRequest applies faults and access rules, then finds the manifest
// ref names. Callers hold r.mu.
func (r *Registry) manifestRequest(op string, ref *pullpolicy.ImageRef, cred Credential) (Manifest, error) {
	reference := refString(ref)
	var ferr error
	if op == "resolve" || ref.Digest() == "" {
		ferr = r.faultFor(ref, OpResolve)
	}
	if ferr == nil && op == "manifest" {
		ferr = r.faultFor(ref, OpManifest)
	}
	if ferr != nil {
		return Manifest{}, &Error{Op: op, Repository: ref.Repository(), Reference: reference, Err: ferr}
	}
	if err := r.authorize(ref, cred); err != nil {
		return Manifest{}, &Error{Op: op, Repository: ref.Repository(), Reference: reference, Err: err}
	}
	d, err := r.resolveLocked(op, ref)
	if err != nil {
		return Manifest{}, err
	}
	_, rp := r.repo(ref, false)
	return rp.manifests[d.Digest], nil
}

// StatBlob answers a HEAD of a blob: its descriptor, Size being the bytes
// a GET serves. It counts one blob request without bytes and meets the
// faults of a blob fetch, except that a corrupt blob's HEAD is fine and a
// HEAD is not rate-limited (nor uses up a counted rate limit).
func (r *Registry) StatBlob(ref *pullpolicy.ImageRef, dgst digest.Digest, cred Credential) (Descriptor, error) {
	if ref == nil {
		return Descriptor{}, &Error{Op: "blob", Reference: dgst.String(), Err: ErrNameInvalid}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count(ref, Counters{Blobs: 1})
	b, err := r.blobLocked(ref, dgst, cred, true)
	if err != nil {
		return Descriptor{}, err
	}
	d := b.Descriptor
	d.Size = int64(len(b.Data))
	return d, nil
}

// Subject returns the digest of the manifest's subject (the referrers
// API's link), or "" when it has none.
func (m Manifest) Subject() digest.Digest { return m.subject }

// Hosts returns the hosts the registry holds content for, sorted; Docker
// Hub is always among them.
func (r *Registry) Hosts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	hosts := sortedKeys(r.hosts)
	if _, ok := r.hosts[dockerHub]; !ok {
		i, _ := slices.BinarySearch(hosts, dockerHub)
		hosts = slices.Insert(hosts, i, dockerHub)
	}
	return hosts
}

// HasHost reports whether host is one of [Registry.Hosts].
func (r *Registry) HasHost(host string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.hosts[host]
	return ok || host == dockerHub
}

// LookupBlob returns the blob dgst of repo without counting a request or
// meeting a fault: the inspection twin of FetchBlob.
func (r *Registry) LookupBlob(repo string, dgst digest.Digest) (Blob, bool) {
	p, err := parseRepo("lookup blob", repo)
	if err != nil {
		return Blob{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	h, rp := r.repo(p, false)
	if rp == nil || !rp.blobs[dgst] {
		return Blob{}, false
	}
	b, ok := h.blobs[dgst]
	b.Data = slices.Clone(b.Data)
	return b, ok
}

// HasPrivate reports whether any repository of host is private.
func (r *Registry) HasPrivate(host string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name := range r.private {
		if strings.HasPrefix(name, host+"/") {
			return true
		}
	}
	return false
}
