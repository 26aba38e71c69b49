package registry

import (
	"fmt"
	"slices"
	"sync"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/pullpolicy"
)

// Source is what a node pulls through: resolve a reference to a manifest
// digest, fetch a manifest, fetch a blob. [*Registry] implements it; put your
// own behind a node to simulate anything else. Implementations must be safe
// for concurrent use if nodes are driven from several goroutines.
type Source interface {
	// Resolve returns the descriptor of the manifest ref names now: its tag's
	// current target, or the manifest under its digest. One round trip.
	Resolve(ref *pullpolicy.ImageRef, cred Credential) (Descriptor, error)
	// FetchManifest returns the manifest stored under dgst in ref's repository.
	FetchManifest(ref *pullpolicy.ImageRef, dgst digest.Digest, cred Credential) (Manifest, error)
	// FetchBlob returns the blob stored under dgst for ref's repository.
	FetchBlob(ref *pullpolicy.ImageRef, dgst digest.Digest, cred Credential) (Blob, error)
}

// Credential is what a client presents to a registry. The zero value is an
// anonymous request. Token-based registries take the token as the password
// with a conventional user name (oauth2accesstoken, AWS, <token>), which is
// how a kubelet's docker config carries them.
type Credential struct {
	Username string
	Password string
}

// Anonymous reports whether c carries no credentials.
func (c Credential) Anonymous() bool { return c == Credential{} }

// Counters count the requests a registry has answered, failed ones included.
type Counters struct {
	Resolves  int   // tag or digest resolutions (HEAD manifest)
	Manifests int   // manifest fetches
	Blobs     int   // blob fetches
	BlobBytes int64 // bytes of blobs served
}

// Add returns the sum of c and o.
func (c Counters) Add(o Counters) Counters {
	return Counters{c.Resolves + o.Resolves, c.Manifests + o.Manifests, c.Blobs + o.Blobs, c.BlobBytes + o.BlobBytes}
}

// Requests returns the number of requests of every kind.
func (c Counters) Requests() int { return c.Resolves + c.Manifests + c.Blobs }

// Registry is an in-memory set of registries, keyed by host (docker.io,
// localhost:5000, registry.example.com:443), as the nodes of one simulated
// cluster see them. It is a test tool: content lives in memory, nothing
// touches the network, and every request is counted.
//
// Pushing content stores its manifest and blobs and points a tag at it;
// content under a digest never changes, tags move. Lookup, History and
// Counters inspect without counting; Resolve, FetchManifest and FetchBlob
// are the [Source] methods nodes use, and they count.
//
// The zero value is not usable; call [New]. A Registry is safe for
// concurrent use.
type Registry struct {
	mu     sync.Mutex
	hosts  map[string]*host
	total  Counters
	faults map[string]*fault // by host or full repository name

	defaultLink Link
	links       map[string]Link
	private     map[string][]Credential // full repository name -> accepted credentials
}

type host struct {
	repos map[string]*repository
	blobs map[digest.Digest]Blob
}

type repository struct {
	manifests map[digest.Digest]Manifest
	blobs     map[digest.Digest]bool // blobs linked to the repository
	tags      map[string]digest.Digest
	history   map[string][]digest.Digest
	counters  Counters
}

// dockerHub is the registry short names resolve to. It exists in every
// Registry, even before anything is pushed to it; any other host exists once
// something is pushed to it.
const dockerHub = "docker.io"

// New returns an empty Registry. Every host's link is [DefaultLink] until
// [Registry.SetDefaultLink] or [Registry.SetLink] says otherwise.
func New() *Registry {
	return &Registry{hosts: make(map[string]*host), defaultLink: DefaultLink}
}

func (r *Registry) parse(op, ref string) (*pullpolicy.ImageRef, error) {
	p, err := pullpolicy.SharedRefs.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("registry: %s: %w", op, err)
	}
	return p, nil
}

// repo returns the repository of ref, creating host and repository when
// create is set.
func (r *Registry) repo(ref *pullpolicy.ImageRef, create bool) (*host, *repository) {
	h := r.hosts[ref.Domain()]
	if h == nil {
		if !create {
			return nil, nil
		}
		h = &host{repos: make(map[string]*repository), blobs: make(map[digest.Digest]Blob)}
		r.hosts[ref.Domain()] = h
	}
	rp := h.repos[ref.Path()]
	if rp == nil && create {
		rp = &repository{
			manifests: make(map[digest.Digest]Manifest),
			blobs:     make(map[digest.Digest]bool),
			tags:      make(map[string]digest.Digest),
			history:   make(map[string][]digest.Digest),
		}
		h.repos[ref.Path()] = rp
	}
	return h, rp
}

// Push stores img in the repository of ref and, when ref has a tag (or
// neither tag nor digest, meaning "latest"), points the tag at it, moving
// the tag if it named other content. A digest in ref must be img's manifest
// digest. Push returns the manifest digest. Pushing the same content again
// changes nothing but the tag.
func (r *Registry) Push(ref string, img Image) (digest.Digest, error) {
	p, err := r.parse("push", ref)
	if err != nil {
		return "", err
	}
	m, blobs, err := build(img)
	if err != nil {
		return "", fmt.Errorf("registry: push %s: %w", ref, err)
	}
	if p.Digest() != "" && p.Digest() != m.Digest {
		return "", fmt.Errorf("registry: push %s: content has digest %s, not the one the reference names", ref, m.Digest)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	h, rp := r.repo(p, true)
	for _, b := range blobs {
		h.blobs[b.Digest] = b
		rp.blobs[b.Digest] = true
	}
	h.blobs[m.Digest] = Blob{Descriptor: m.Descriptor, Data: m.Raw}
	rp.blobs[m.Digest] = true
	rp.manifests[m.Digest] = m
	if p.Tag() != "" {
		rp.setTag(p.Tag(), m.Digest)
	}
	return m.Digest, nil
}

// MustPush is Push for test and example setup: it panics on error.
func (r *Registry) MustPush(ref string, img Image) digest.Digest {
	d, err := r.Push(ref, img)
	if err != nil {
		panic(err)
	}
	return d
}

func (rp *repository) setTag(tag string, d digest.Digest) {
	if cur, ok := rp.tags[tag]; ok && cur == d {
		return
	}
	rp.tags[tag] = d
	rp.history[tag] = append(rp.history[tag], d)
}

// Tag points the tag of ref at the manifest dgst, which must already be in
// ref's repository. It is how a tag is moved back to an earlier build.
func (r *Registry) Tag(ref string, dgst digest.Digest) error {
	p, err := r.parse("tag", ref)
	if err != nil {
		return err
	}
	if p.Digest() != "" {
		return fmt.Errorf("registry: tag %s: reference must name a tag, not a digest", ref)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, rp := r.repo(p, false)
	if rp == nil {
		return &Error{Op: "tag", Repository: p.Repository(), Reference: p.Tag(), Err: ErrNameUnknown}
	}
	if _, ok := rp.manifests[dgst]; !ok {
		return &Error{Op: "tag", Repository: p.Repository(), Reference: dgst.String(), Err: ErrManifestUnknown}
	}
	rp.setTag(p.Tag(), dgst)
	return nil
}

// DeleteTag removes the tag of ref. The content stays, reachable by digest.
func (r *Registry) DeleteTag(ref string) error {
	p, err := r.parse("delete tag", ref)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, rp := r.repo(p, false)
	if rp == nil {
		return &Error{Op: "delete tag", Repository: p.Repository(), Reference: p.Tag(), Err: ErrNameUnknown}
	}
	if _, ok := rp.tags[p.Tag()]; !ok || p.Digest() != "" {
		return &Error{Op: "delete tag", Repository: p.Repository(), Reference: p.Tag(), Err: ErrManifestUnknown}
	}
	delete(rp.tags, p.Tag())
	return nil
}

// Lookup returns the manifest digest ref names now, without counting a
// request. It is the inspection twin of Resolve.
func (r *Registry) Lookup(ref string) (digest.Digest, error) {
	p, err := r.parse("lookup", ref)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	d, err := r.resolveLocked("lookup", p)
	return d.Digest, err
}

// History returns the digests the tag of ref has pointed at, oldest first,
// one entry per move. It is empty for an unknown tag.
func (r *Registry) History(ref string) []digest.Digest {
	p, err := r.parse("history", ref)
	if err != nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, rp := r.repo(p, false)
	if rp == nil {
		return nil
	}
	return slices.Clone(rp.history[p.Tag()])
}

// Tags returns the tags of the repository ref names, sorted.
func (r *Registry) Tags(ref string) []string {
	p, err := r.parse("tags", ref)
	if err != nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, rp := r.repo(p, false)
	if rp == nil {
		return nil
	}
	tags := make([]string, 0, len(rp.tags))
	for t := range rp.tags {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	return tags
}

// Counters returns the requests answered so far across all hosts.
func (r *Registry) Counters() Counters {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

// CountersFor returns the requests answered for the repository ref names
// (tag and digest are ignored): "nginx" and "docker.io/library/nginx:1.28"
// count together.
func (r *Registry) CountersFor(ref string) Counters {
	p, err := r.parse("counters", ref)
	if err != nil {
		return Counters{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, rp := r.repo(p, false)
	if rp == nil {
		return Counters{}
	}
	return rp.counters
}

// ResetCounters sets every counter to zero.
func (r *Registry) ResetCounters() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total = Counters{}
	for _, h := range r.hosts {
		for _, rp := range h.repos {
			rp.counters = Counters{}
		}
	}
}

// locate finds ref's repository, or the error a client meets: an unknown
// host (Docker Hub always exists), an unknown repository.
func (r *Registry) locate(op string, p *pullpolicy.ImageRef, reference string) (*host, *repository, error) {
	h, rp := r.repo(p, false)
	if err := located(h, rp, op, p, reference); err != nil {
		return nil, nil, err
	}
	return h, rp, nil
}

// located is locate's error for the host and repository r.repo found for
// p: nil when both are there.
func located(h *host, rp *repository, op string, p *pullpolicy.ImageRef, reference string) error {
	switch {
	case h == nil && p.Domain() != dockerHub:
		return &Error{Op: op, Repository: p.Repository(), Reference: reference, Err: fmt.Errorf("lookup %s: %w", p.Domain(), ErrHostUnknown)}
	case rp == nil:
		return &Error{Op: op, Repository: p.Repository(), Reference: reference, Err: ErrNameUnknown}
	}
	return nil
}

func (r *Registry) resolveLocked(op string, p *pullpolicy.ImageRef) (Descriptor, error) {
	h, rp := r.repo(p, false)
	m, err := resolveIn(h, rp, op, p)
	return m.Descriptor, err
}

// resolveIn resolves p in the host and repository r.repo found for it, to
// the manifest its tag or digest names.
func resolveIn(h *host, rp *repository, op string, p *pullpolicy.ImageRef) (Manifest, error) {
	if err := located(h, rp, op, p, refString(p)); err != nil {
		return Manifest{}, err
	}
	d := p.Digest()
	if d == "" {
		var ok bool
		if d, ok = rp.tags[p.Tag()]; !ok {
			return Manifest{}, &Error{Op: op, Repository: p.Repository(), Reference: refString(p), Err: ErrManifestUnknown}
		}
	}
	m, ok := rp.manifests[d]
	if !ok {
		return Manifest{}, &Error{Op: op, Repository: p.Repository(), Reference: refString(p), Err: ErrManifestUnknown}
	}
	return m, nil
}

// refString is the tag or digest a reference asks for.
func refString(p *pullpolicy.ImageRef) string {
	if p.Digest() != "" {
		return p.Digest().String()
	}
	return p.Tag()
}

// count adds delta to the totals and, when the repository exists, to its
// counters.
func (r *Registry) count(p *pullpolicy.ImageRef, delta Counters) {
	r.total = r.total.Add(delta)
	if _, rp := r.repo(p, false); rp != nil {
		rp.counters = rp.counters.Add(delta)
	}
}

// Resolve implements [Source]. It counts one resolve, failed or not. A
// reference to an index or manifest list resolves to the index, as a
// registry answers a HEAD: the client fetches it and picks its platform's
// manifest (see [Manifest.PlatformManifest]).
func (r *Registry) Resolve(ref *pullpolicy.ImageRef, cred Credential) (Descriptor, error) {
	if ref == nil {
		return Descriptor{}, &Error{Op: "resolve", Err: ErrNameInvalid}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// The repository is looked up once: neither faults nor access rules
	// add or remove one. This is every pull's round trip.
	h, rp := r.repo(ref, false)
	r.total.Resolves++
	if rp != nil {
		rp.counters.Resolves++
	}
	if err := r.faultFor(ref, OpResolve); err != nil {
		return Descriptor{}, &Error{Op: "resolve", Repository: ref.Repository(), Reference: refString(ref), Err: err}
	}
	if err := r.authorize(ref, cred); err != nil {
		return Descriptor{}, &Error{Op: "resolve", Repository: ref.Repository(), Reference: refString(ref), Err: err}
	}
	m, err := resolveIn(h, rp, "resolve", ref)
	if err != nil {
		return Descriptor{}, err
	}
	return m.Descriptor, nil
}

// FetchManifest implements [Source]. It counts one manifest fetch.
func (r *Registry) FetchManifest(ref *pullpolicy.ImageRef, dgst digest.Digest, cred Credential) (Manifest, error) {
	if ref == nil {
		return Manifest{}, &Error{Op: "manifest", Reference: dgst.String(), Err: ErrNameInvalid}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count(ref, Counters{Manifests: 1})
	if err := r.faultFor(ref, OpManifest); err != nil {
		return Manifest{}, &Error{Op: "manifest", Repository: ref.Repository(), Reference: dgst.String(), Err: err}
	}
	if err := r.authorize(ref, cred); err != nil {
		return Manifest{}, &Error{Op: "manifest", Repository: ref.Repository(), Reference: dgst.String(), Err: err}
	}
	_, rp, err := r.locate("manifest", ref, dgst.String())
	if err != nil {
		return Manifest{}, err
	}
	m, ok := rp.manifests[dgst]
	if !ok {
		return Manifest{}, &Error{Op: "manifest", Repository: ref.Repository(), Reference: dgst.String(), Err: ErrManifestUnknown}
	}
	// The caller gets its own copy: content under a digest never changes.
	m.Layers, m.Raw = slices.Clone(m.Layers), slices.Clone(m.Raw)
	return m, nil
}

// blobLocked is what every blob request does: meet the faults of a blob
// request (a corrupt-blob fault excepted: it spoils what is served, which
// is the caller's business), check the credentials, and find the blob
// linked to ref's repository. A blob of another repository on the same
// host is not served through this one, as distribution's registry checks
// links. Callers hold r.mu and count the request.
func (r *Registry) blobLocked(ref *pullpolicy.ImageRef, dgst digest.Digest, cred Credential, head bool) (Blob, error) {
	if key, f := r.peekFault(ref, OpBlob); f != nil && f.kind != FaultCorruptBlob && !(head && f.kind == FaultTooManyRequests) {
		r.consume(key, f)
		return Blob{}, &Error{Op: "blob", Repository: ref.Repository(), Reference: dgst.String(), Err: f.err(OpBlob)}
	}
	if err := r.authorize(ref, cred); err != nil {
		return Blob{}, &Error{Op: "blob", Repository: ref.Repository(), Reference: dgst.String(), Err: err}
	}
	h, rp, err := r.locate("blob", ref, dgst.String())
	if err != nil {
		return Blob{}, err
	}
	b, ok := h.blobs[dgst]
	if !ok || !rp.blobs[dgst] {
		return Blob{}, &Error{Op: "blob", Repository: ref.Repository(), Reference: dgst.String(), Err: ErrBlobUnknown}
	}
	return b, nil
}

// FetchBlob implements [Source]. It counts one blob fetch and, on success,
// the blob's size in bytes.
func (r *Registry) FetchBlob(ref *pullpolicy.ImageRef, dgst digest.Digest, cred Credential) (Blob, error) {
	if ref == nil {
		return Blob{}, &Error{Op: "blob", Reference: dgst.String(), Err: ErrNameInvalid}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fkey, f := r.peekFault(ref, OpBlob)
	corrupt := f != nil && f.kind == FaultCorruptBlob
	b, err := r.blobLocked(ref, dgst, cred, false)
	if err != nil {
		r.count(ref, Counters{Blobs: 1})
		return Blob{}, err
	}
	r.count(ref, Counters{Blobs: 1, BlobBytes: b.Size})
	if corrupt {
		// Only a blob actually served uses up a counted corrupt-blob fault.
		r.consume(fkey, f)
		b.Data = append([]byte("corrupted "), b.Data...)
	} else {
		b.Data = slices.Clone(b.Data) // the caller's own copy
	}
	return b, nil
}
