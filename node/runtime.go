package node

import (
	"errors"
	"fmt"
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
// image. Errors are formatted the way containerd's CRI plugin formats them,
// since the kubelet passes runtime error texts through verbatim.

type pullResult struct {
	id          digest.Digest
	size        int64
	pull, total time.Duration
	err         error
}

// runtimePull is CRI PullImage followed by the kubelet's best-effort size
// lookup. On failure the cache is left exactly as it was.
func (n *Node) runtimePull(ref *pullpolicy.ImageRef, cred registry.Credential) pullResult {
	n.counts.Pulls++
	res := n.fetch(ref, cred)
	if res.err != nil {
		n.counts.PullErrors++
	}
	return res
}

func (n *Node) fetch(ref *pullpolicy.ImageRef, cred registry.Credential) pullResult {
	desc, err := n.source.Resolve(ref, cred)
	if err != nil {
		return pullResult{err: resolveError(ref, err)}
	}
	names := n.pullNames(ref, desc.Digest)
	if id, ok := n.cache.ByManifest(desc.Digest); ok {
		// Content already here: only names move. One round trip, no bytes.
		if !n.cache.HasName(id, names[0]) || (len(names) > 1 && !n.cache.HasName(id, names[1])) {
			if _, err := n.cache.Add(imagecache.Entry{ID: id, Manifest: desc.Digest, Names: names}); err != nil {
				return pullResult{err: fmt.Errorf("failed to pull and unpack image %q: %v", ref.Name(), err)}
			}
		}
		img, _ := n.cache.Get(string(id))
		return pullResult{id: id, size: img.Size}
	}
	m, err := n.source.FetchManifest(ref, desc.Digest, cred)
	if err != nil {
		return pullResult{err: fetchError(ref, err)}
	}
	if got := digest.FromBytes(m.Raw); got != desc.Digest {
		return pullResult{err: fmt.Errorf("failed to pull and unpack image %q: failed commit on ref \"manifest-%s\": unexpected commit digest %s, expected %s: failed precondition", ref.Name(), desc.Digest, got, desc.Digest)}
	}
	var bytes int64
	for _, d := range append([]registry.Descriptor{m.Config}, m.Layers...) {
		if n.cache.HasBlob(d.Digest) {
			continue
		}
		b, err := n.source.FetchBlob(ref, d.Digest, cred)
		if err != nil {
			return pullResult{err: fetchError(ref, err)}
		}
		if got := digest.FromBytes(b.Data); got != d.Digest {
			kind := "layer"
			if d.Digest == m.Config.Digest {
				kind = "config"
			}
			return pullResult{err: fmt.Errorf("failed to pull and unpack image %q: failed to copy: failed commit on ref \"%s-%s\": unexpected commit digest %s, expected %s: failed precondition", ref.Name(), kind, d.Digest, got, d.Digest)}
		}
		bytes += b.Size
	}
	entry := cacheEntry(m)
	entry.Names = names
	img, err := n.cache.Add(entry)
	if err != nil {
		return pullResult{err: fmt.Errorf("failed to pull and unpack image %q: %v", ref.Name(), err)}
	}
	n.counts.BytesPulled += bytes
	return pullResult{id: img.ID, size: img.Size}
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
func (n *Node) statusImage(requested string, id digest.Digest) (image, imageID string) {
	img, ok := n.cache.Get(string(id))
	if !ok {
		return requested, string(id)
	}
	image, imageID = requested, string(id)
	if ref, err := n.cfg.refs.Parse(requested); err == nil {
		image = ref.Name()
		prefix := ref.Repository() + "@"
		for _, d := range img.RepoDigests {
			if strings.HasPrefix(d, prefix) {
				return image, d
			}
		}
	}
	if len(img.RepoDigests) > 0 {
		imageID = img.RepoDigests[0]
	}
	return image, imageID
}

func digestOf(imageRef string) digest.Digest { return digest.Digest(imageRef) }

// registryHost is the host a client actually dials for a registry name.
func registryHost(domain string) string {
	if domain == "docker.io" {
		return "registry-1.docker.io"
	}
	return domain
}

// requestURL is the URL of a registry request for ref: kind is "manifests"
// or "blobs", reference a tag or digest.
func requestURL(ref *pullpolicy.ImageRef, kind, reference string) string {
	return "https://" + registryHost(ref.Domain()) + "/v2/" + ref.Path() + "/" + kind + "/" + reference
}

// resolveError formats a failed resolution as the runtime reports it.
func resolveError(ref *pullpolicy.ImageRef, err error) error {
	name := ref.Name()
	reference := ref.Tag()
	if ref.Digest() != "" {
		reference = ref.Digest().String()
	}
	host := registryHost(ref.Domain())
	url := requestURL(ref, "manifests", reference)
	if text, ok := classifiedError(host, err); ok {
		return errors.New(text)
	}
	prefix := fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: ", name, name)
	switch {
	case errors.Is(err, registry.ErrHostUnknown):
		return fmt.Errorf("%sfailed to do request: Head %q: dial tcp: lookup %s: no such host", prefix, url, host)
	case errors.Is(err, registry.ErrTimeout):
		return fmt.Errorf("%sfailed to do request: Head %q: dial tcp %s:443: i/o timeout", prefix, url, host)
	case ref.Domain() == "docker.io" && (errors.Is(err, registry.ErrNameUnknown) || errors.Is(err, registry.ErrUnauthorized)):
		// Docker Hub answers 401 insufficient_scope for repositories that do
		// not exist and for private ones alike.
		return fmt.Errorf("%spull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed", prefix)
	case errors.Is(err, registry.ErrNameUnknown), errors.Is(err, registry.ErrManifestUnknown):
		return fmt.Errorf("rpc error: code = NotFound desc = %s%s: not found", prefix, name)
	case errors.Is(err, registry.ErrUnauthorized):
		return fmt.Errorf("%spulling from host %s failed with status code [manifests %s]: 401 Unauthorized", prefix, host, reference)
	case errors.Is(err, registry.ErrTooManyRequests):
		return fmt.Errorf("%sunexpected status from HEAD request to %s: 429 Too Many Requests", prefix, url)
	case errors.Is(err, registry.ErrServerError):
		return fmt.Errorf("%sunexpected status from HEAD request to %s: 500 Internal Server Error", prefix, url)
	default:
		return fmt.Errorf("%s%v", prefix, err)
	}
}

// classifiedError returns the texts runtimes that classify errors for the
// kubelet (CRI-O) produce: a "RegistryUnavailable" or
// "SignatureValidationFailed" prefix.
func classifiedError(host string, err error) (string, bool) {
	switch {
	case errors.Is(err, registry.ErrUnavailable):
		return fmt.Sprintf("%v: pinging container registry %s: Get \"https://%s/v2/\": dial tcp %s:443: connect: connection refused", pullpolicy.ErrRegistryUnavailable, host, host, host), true
	case errors.Is(err, registry.ErrSignatureInvalid):
		return fmt.Sprintf("%v: Source image rejected: A signature was required, but no signature exists", pullpolicy.ErrSignatureValidationFailed), true
	}
	return "", false
}

// fetchError formats a failed manifest or blob fetch.
func fetchError(ref *pullpolicy.ImageRef, err error) error {
	var rerr *registry.Error
	errors.As(err, &rerr)
	kind, reference := "blobs", ""
	if rerr != nil {
		reference = rerr.Reference
		if rerr.Op == "manifest" {
			kind = "manifests"
		}
	}
	url := requestURL(ref, kind, reference)
	if text, ok := classifiedError(registryHost(ref.Domain()), err); ok {
		return errors.New(text)
	}
	prefix := fmt.Sprintf("failed to pull and unpack image %q: failed to copy: ", ref.Name())
	switch {
	case errors.Is(err, registry.ErrBlobUnknown), errors.Is(err, registry.ErrManifestUnknown), errors.Is(err, registry.ErrNameUnknown):
		return fmt.Errorf("%shttpReadSeeker: failed open: content at %s not found: not found", prefix, url)
	case errors.Is(err, registry.ErrTimeout):
		return fmt.Errorf("%shttpReadSeeker: failed open: failed to do request: Get %q: dial tcp %s:443: i/o timeout", prefix, url, registryHost(ref.Domain()))
	case errors.Is(err, registry.ErrUnauthorized):
		return fmt.Errorf("%shttpReadSeeker: failed open: unexpected status code %s: 401 Unauthorized", prefix, url)
	case errors.Is(err, registry.ErrTooManyRequests):
		return fmt.Errorf("%shttpReadSeeker: failed open: unexpected status code %s: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit", prefix, url)
	case errors.Is(err, registry.ErrServerError):
		return fmt.Errorf("%shttpReadSeeker: failed open: unexpected status code %s: 500 Internal Server Error", prefix, url)
	default:
		return fmt.Errorf("%s%v", prefix, err)
	}
}
