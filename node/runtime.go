package node

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/imagecache"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// This file is the node's container runtime, containerd's part of a pull:
// resolve the reference at the registry, fetch the manifest and the blobs
// the content store lacks, verify each against its digest, then name the
// image. Errors are formatted the way containerd 1.7's CRI plugin formats
// them (and CRI-O for the two classified prefixes), after the kubelet's CRI
// client has stripped the "rpc error: code = Unknown desc = " wrapper;
// errors with other gRPC codes keep theirs. The kubelet passes these texts
// through verbatim.

// fetch makes job's registry requests at time at and fills job.res with
// what to commit at finish. Nothing enters the cache here. It returns the
// time until which job must wait for blobs another running pull is
// downloading.
//
// With credentials, the runtime tries each in order and the first that
// works wins; when all fail the error is their aggregate, "[e1, e2]". With
// none, it pulls anonymously.
func (n *Node) fetch(job *pullJob, at time.Time) (waitUntil time.Time) {
	if len(job.creds) == 0 {
		return n.fetchWith(job, registry.Credential{})
	}
	var errs []string
	for i := range job.creds {
		job.res.err = nil
		w := n.fetchWith(job, job.creds[i].cred)
		if job.res.err == nil {
			job.res.used = &job.creds[i]
			return w
		}
		errs = append(errs, job.res.err.Error())
	}
	job.res.err = aggregate(errs)
	return time.Time{}
}

// fetchWith is one runtime PullImage with one credential.
func (n *Node) fetchWith(job *pullJob, cred registry.Credential) (waitUntil time.Time) {
	ref, res := job.ref, &job.res
	res.requests++
	desc, err := n.source.Resolve(ref, cred)
	if err != nil {
		res.fail(resolveError(ref, err, cred.Anonymous()), err)
		return
	}
	names := n.pullNames(ref, desc.Digest)
	if id, ok := n.cache.ByManifest(desc.Digest); ok {
		// Content already here: at most names move. One round trip, no bytes.
		_, size, _ := n.cache.Summary(id)
		res.id, res.size = id, size
		for _, name := range names {
			if !n.cache.HasName(id, name) {
				res.entry, res.commit = imagecache.Entry{ID: id, Manifest: desc.Digest, Names: names}, true
				break
			}
		}
		return
	}
	res.requests++
	m, err := n.source.FetchManifest(ref, desc.Digest, cred)
	if err != nil {
		res.fail(fetchError(ref, "manifests", desc.Digest, err), err)
		return
	}
	if got := digest.FromBytes(m.Raw); got != desc.Digest {
		res.err = commitError(ref, "manifest", desc.Digest, got)
		return
	}
	for i := -1; i < len(m.Layers); i++ {
		d, kind := m.Config, "config"
		if i >= 0 {
			d, kind = m.Layers[i], "layer"
		}
		if n.cache.HasBlob(d.Digest) || containsDigest(job.fetched, d.Digest) {
			continue
		}
		if until, ok := n.inflight[d.Digest]; ok {
			// Another pull is downloading it; containerd waits for that
			// ingest instead of fetching the blob twice.
			if until.After(waitUntil) {
				waitUntil = until
			}
			continue
		}
		res.requests++
		b, err := n.source.FetchBlob(ref, d.Digest, cred)
		if err != nil {
			res.fail(fetchError(ref, "blobs", d.Digest, err), err)
			return
		}
		res.bytes += b.Size
		if got := digest.FromBytes(b.Data); got != d.Digest {
			res.err = commitError(ref, kind, d.Digest, got)
			return
		}
		job.fetched = append(job.fetched, d.Digest)
	}
	entry := cacheEntry(m)
	entry.Names = names
	res.entry, res.commit = entry, true
	res.size = m.ImageSize()
	return
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
// and repo@<manifest digest>.
func (n *Node) pullNames(ref *pullpolicy.ImageRef, manifest digest.Digest) []string {
	if ref.Digest() != "" {
		return []string{ref.Name()}
	}
	return []string{ref.Name(), ref.Repository() + "@" + manifest.String()}
}

// statusImage returns what a running container's status shows: the image
// name the runtime knows it by and the repo@digest image ID.
func (n *Node) statusImage(ref *pullpolicy.ImageRef, id digest.Digest) (image, imageID string) {
	manifest, _, ok := n.cache.Summary(id)
	if !ok {
		return ref.Requested(), string(id)
	}
	image, imageID = ref.Name(), string(id)
	key := repoImage{ref.Repository(), id}
	name, ok := n.repoDigests[key]
	if !ok {
		name = ref.Repository() + "@" + manifest.String()
		n.repoDigests[key] = name
	}
	if n.cache.HasName(id, name) {
		return image, name
	}
	img, _ := n.cache.Get(string(id))
	if len(img.RepoDigests) > 0 {
		imageID = img.RepoDigests[0]
	}
	return image, imageID
}

// repoImage is a repository and an image ID, the key of the node's memo of
// repo@digest names.
type repoImage struct {
	repo string
	id   digest.Digest
}

func quote(s string) string { return strconv.Quote(s) }

// registryHost is the host a client actually dials for a registry name.
func registryHost(domain string) string {
	if domain == "docker.io" {
		return "registry-1.docker.io"
	}
	return domain
}

// familiar is the short form of a fully qualified name, as CRI-O prints
// sources: docker.io/library/nginx:1.28 becomes nginx:1.28.
func familiar(name string) string {
	if rest, ok := strings.CutPrefix(name, "docker.io/library/"); ok && !strings.Contains(rest, "/") {
		return rest
	}
	return strings.TrimPrefix(name, "docker.io/")
}

// requestURL is the URL of a registry request for ref: kind is "manifests"
// or "blobs", reference a tag or digest.
func requestURL(ref *pullpolicy.ImageRef, kind, reference string) string {
	return "https://" + registryHost(ref.Domain()) + "/v2/" + ref.Path() + "/" + kind + "/" + reference
}

func refReference(ref *pullpolicy.ImageRef) string {
	if ref.Digest() != "" {
		return ref.Digest().String()
	}
	return ref.Tag()
}

// resolveError formats a failed resolution as the runtime reports it;
// anonymous says whether the request carried no credentials.
func resolveError(ref *pullpolicy.ImageRef, err error, anonymous bool) error {
	name, reference := ref.Name(), refReference(ref)
	host := registryHost(ref.Domain())
	if text, ok := classifiedError(ref, err); ok {
		return errors.New(text)
	}
	prefix := fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: ", name, name)
	head := fmt.Sprintf("failed to do request: Head %q: ", requestURL(ref, "manifests", reference))
	status := func(s string) error {
		return fmt.Errorf("%spulling from host %s failed with status code [manifests %s]: %s", prefix, host, reference, s)
	}
	switch {
	case errors.Is(err, registry.ErrHostUnknown):
		return fmt.Errorf("%s%sdial tcp: lookup %s: no such host", prefix, head, host)
	case errors.Is(err, registry.ErrTimeout):
		return fmt.Errorf("rpc error: code = DeadlineExceeded desc = %s%sdial tcp %s:443: i/o timeout", prefix, head, host)
	case ref.Domain() == "docker.io" && errors.Is(err, registry.ErrUnauthorized) && !anonymous:
		// Docker Hub refuses the token exchange for credentials it rejects.
		return fmt.Errorf("%sfailed to authorize: failed to fetch oauth token: unexpected status from GET request to https://auth.docker.io/token?scope=repository%%3A%s%%3Apull&service=registry.docker.io: 401 Unauthorized",
			prefix, url.QueryEscape(ref.Path()))
	case ref.Domain() == "docker.io" && (errors.Is(err, registry.ErrNameUnknown) || errors.Is(err, registry.ErrUnauthorized)):
		// Docker Hub answers 401 insufficient_scope for repositories that do
		// not exist and for private ones alike.
		return fmt.Errorf("%spull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed", prefix)
	case errors.Is(err, registry.ErrNameUnknown), errors.Is(err, registry.ErrManifestUnknown):
		return fmt.Errorf("rpc error: code = NotFound desc = %s%s: not found", prefix, name)
	case errors.Is(err, registry.ErrUnauthorized):
		return status("401 Unauthorized")
	case errors.Is(err, registry.ErrTooManyRequests):
		return status("429 Too Many Requests")
	case errors.Is(err, registry.ErrServerError):
		return status("500 Internal Server Error")
	default:
		return fmt.Errorf("%s%v", prefix, err)
	}
}

// classifiedError returns the texts of runtimes that classify errors for
// the kubelet (CRI-O): a "RegistryUnavailable" or
// "SignatureValidationFailed" prefix.
func classifiedError(ref *pullpolicy.ImageRef, err error) (string, bool) {
	host := registryHost(ref.Domain())
	switch {
	case errors.Is(err, registry.ErrUnavailable):
		return fmt.Sprintf("%v: initializing source docker://%s: pinging container registry %s: Get \"https://%s/v2/\": dial tcp %s:443: connect: connection refused",
			pullpolicy.ErrRegistryUnavailable, familiar(ref.Name()), host, host, host), true
	case errors.Is(err, registry.ErrSignatureInvalid):
		return fmt.Sprintf("%v: Source image rejected: A signature was required, but no signature exists", pullpolicy.ErrSignatureValidationFailed), true
	}
	return "", false
}

// fetchError formats a failed GET of a manifest or blob (kind "manifests"
// or "blobs") by digest.
func fetchError(ref *pullpolicy.ImageRef, kind string, dgst digest.Digest, err error) error {
	reference := dgst.String()
	if text, ok := classifiedError(ref, err); ok {
		return errors.New(text)
	}
	url := requestURL(ref, kind, reference)
	prefix := fmt.Sprintf("failed to pull and unpack image %q: failed to copy: httpReadSeeker: failed open: ", ref.Name())
	switch {
	case errors.Is(err, registry.ErrBlobUnknown), errors.Is(err, registry.ErrManifestUnknown), errors.Is(err, registry.ErrNameUnknown):
		return fmt.Errorf("rpc error: code = NotFound desc = %scontent at %s not found: not found", prefix, url)
	case errors.Is(err, registry.ErrTimeout):
		return fmt.Errorf("rpc error: code = DeadlineExceeded desc = %sfailed to do request: Get %q: dial tcp %s:443: i/o timeout", prefix, url, registryHost(ref.Domain()))
	case errors.Is(err, registry.ErrUnauthorized):
		return fmt.Errorf("%sunexpected status code %s: 401 Unauthorized", prefix, url)
	case errors.Is(err, registry.ErrTooManyRequests) && ref.Domain() == "docker.io":
		return fmt.Errorf("%sunexpected status code %s: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit", prefix, url)
	case errors.Is(err, registry.ErrTooManyRequests):
		return fmt.Errorf("%sunexpected status code %s: 429 Too Many Requests", prefix, url)
	case errors.Is(err, registry.ErrServerError):
		return fmt.Errorf("%sunexpected status code %s: 500 Internal Server Error", prefix, url)
	default:
		return fmt.Errorf("%s%v", prefix, err)
	}
}

// commitError is containerd's digest verification failure.
func commitError(ref *pullpolicy.ImageRef, kind string, want, got digest.Digest) error {
	return fmt.Errorf("rpc error: code = FailedPrecondition desc = failed to pull and unpack image %q: failed commit on ref \"%s-%s\": unexpected commit digest %s, expected %s: failed precondition",
		ref.Name(), kind, want, got, want)
}
