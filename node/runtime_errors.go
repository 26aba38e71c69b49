package node

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// This file is how the container runtime words a failed pull. The kubelet
// passes the runtime's text through verbatim and classifies it only by its
// prefix (evalCRIPullErr in pkg/kubelet/images/image_manager.go): a text
// that starts with "RegistryUnavailable" or "SignatureValidationFailed"
// gets that waiting reason, every other text is ErrImagePull. So the
// runtime's wording decides the waiting reason, and the node words every
// fault as the runtime it models does. The texts are those left after the
// kubelet's CRI client has stripped the "rpc error: code = Unknown desc = "
// wrapper (staging/src/k8s.io/cri-client/pkg/remote_image.go); errors with
// other gRPC codes keep theirs.

// ContainerRuntime names the container runtime behind the kubelet. It
// decides how pull errors are worded, and so their waiting reason.
//
// Which fault gives which waiting reason:
//
//	registry answer              containerd     CRI-O
//	unreachable (Unavailable)    ErrImagePull   RegistryUnavailable
//	no such host, timeout        ErrImagePull   ErrImagePull
//	401, 404, 429, 500           ErrImagePull   ErrImagePull
//	signature refused            ErrImagePull   SignatureValidationFailed
//	corrupt blob                 ErrImagePull   ErrImagePull
//	registry.FaultMessage        by the text's prefix, under both
type ContainerRuntime string

const (
	// Containerd words errors as containerd's CRI plugin (1.7 and 2.x):
	// "failed to pull and unpack image ...". It never uses the
	// RegistryUnavailable or SignatureValidationFailed prefixes, so every
	// registry failure, an unreachable host included, is ErrImagePull. It
	// is the default: most kubelets run on containerd.
	Containerd ContainerRuntime = "containerd"
	// CRIO words errors as CRI-O with containers/image: a registry that
	// refuses connections is "RegistryUnavailable: ..." and a refused signature
	// "SignatureValidationFailed: ...", which the kubelet turns into those
	// waiting reasons.
	CRIO ContainerRuntime = "cri-o"
)

// WithContainerRuntime selects the runtime whose error texts the node
// reports ([Containerd] by default).
func WithContainerRuntime(r ContainerRuntime) Option { return func(o *config) { o.runtime = r } }

func (r ContainerRuntime) validate() error {
	switch r {
	case Containerd, CRIO:
		return nil
	}
	return fmt.Errorf("unknown container runtime %q; want %q or %q", string(r), Containerd, CRIO)
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

// messageText returns the text of a registry.FaultMessage: the runtime
// reports it exactly as given.
func messageText(err error) (string, bool) {
	var me *registry.MessageError
	if errors.As(err, &me) {
		return me.Text, true
	}
	return "", false
}

// resolveError formats a failed resolution as the runtime reports it;
// anonymous says whether the request carried no credentials.
func (r ContainerRuntime) resolveError(ref *pullpolicy.ImageRef, err error, anonymous bool) error {
	if text, ok := messageText(err); ok {
		return errors.New(text)
	}
	if r == CRIO {
		return crioError(ref, "manifest", err, anonymous)
	}
	name, reference := ref.Name(), refReference(ref)
	host := registryHost(ref.Domain())
	prefix := fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: ", name, name)
	head := fmt.Sprintf("failed to do request: Head %q: ", requestURL(ref, "manifests", reference))
	status := func(s string) error {
		return fmt.Errorf("%spulling from host %s failed with status code [manifests %s]: %s", prefix, host, reference, s)
	}
	switch {
	case errors.Is(err, registry.ErrHostUnknown):
		return fmt.Errorf("%s%sdial tcp: lookup %s: no such host", prefix, head, host)
	case errors.Is(err, registry.ErrUnavailable):
		return fmt.Errorf("%s%sdial tcp %s:443: connect: connection refused", prefix, head, host)
	case errors.Is(err, registry.ErrTimeout):
		return fmt.Errorf("rpc error: code = DeadlineExceeded desc = %s%sdial tcp %s:443: i/o timeout", prefix, head, host)
	case errors.Is(err, registry.ErrSignatureInvalid):
		// containerd 2.x's image verifier plugins refuse a pull after the
		// resolve; the bindir verifier is the one containerd ships.
		return fmt.Errorf("failed to pull and unpack image %q: image verifier bindir blocked pull of %s for reason: no valid signature found", name, name)
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

// fetchError formats a failed GET of a manifest or blob (kind "manifests"
// or "blobs") by digest.
func (r ContainerRuntime) fetchError(ref *pullpolicy.ImageRef, kind string, dgst digest.Digest, err error) error {
	if text, ok := messageText(err); ok {
		return errors.New(text)
	}
	if r == CRIO {
		if kind == "blobs" {
			// CRI-O classifies the whole error: a refused connection puts
			// RegistryUnavailable in front of it.
			head := fmt.Sprintf("reading blob %s: fetching blob: ", dgst)
			get := fmt.Sprintf("Get %q: ", requestURL(ref, "blobs", dgst.String()))
			host := registryHost(ref.Domain())
			switch {
			case errors.Is(err, registry.ErrUnavailable):
				return fmt.Errorf("%v: %s%sdial tcp %s:443: connect: connection refused", pullpolicy.ErrRegistryUnavailable, head, get, host)
			case errors.Is(err, registry.ErrHostUnknown):
				return fmt.Errorf("%s%sdial tcp: lookup %s: no such host", head, get, host)
			case errors.Is(err, registry.ErrTimeout):
				return fmt.Errorf("%s%sdial tcp %s:443: i/o timeout", head, get, host)
			}
			return fmt.Errorf("%s%v", head, crioError(ref, "blob", err, false))
		}
		return crioError(ref, "manifest", err, false)
	}
	reference := dgst.String()
	url := requestURL(ref, kind, reference)
	host := registryHost(ref.Domain())
	prefix := fmt.Sprintf("failed to pull and unpack image %q: failed to copy: httpReadSeeker: failed open: ", ref.Name())
	switch {
	case errors.Is(err, registry.ErrBlobUnknown), errors.Is(err, registry.ErrManifestUnknown), errors.Is(err, registry.ErrNameUnknown):
		return fmt.Errorf("rpc error: code = NotFound desc = %scontent at %s not found: not found", prefix, url)
	case errors.Is(err, registry.ErrHostUnknown):
		return fmt.Errorf("%sfailed to do request: Get %q: dial tcp: lookup %s: no such host", prefix, url, host)
	case errors.Is(err, registry.ErrUnavailable):
		return fmt.Errorf("%sfailed to do request: Get %q: dial tcp %s:443: connect: connection refused", prefix, url, host)
	case errors.Is(err, registry.ErrTimeout):
		return fmt.Errorf("rpc error: code = DeadlineExceeded desc = %sfailed to do request: Get %q: dial tcp %s:443: i/o timeout", prefix, url, host)
	case errors.Is(err, registry.ErrSignatureInvalid):
		return fmt.Errorf("failed to pull and unpack image %q: image verifier bindir blocked pull of %s for reason: no valid signature found", ref.Name(), ref.Name())
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

// platformError is the runtime's failure to find the node's platform
// (linux/amd64) in an index or manifest list.
func (r ContainerRuntime) platformError(ref *pullpolicy.ImageRef, index registry.Manifest) error {
	if r == CRIO {
		kind := "image index"
		if index.MediaType == registry.MediaTypeDockerManifestList {
			kind = "manifest list"
		}
		return fmt.Errorf("choosing image instance: no image found in %s for architecture %q, variant \"\", OS %q", kind, nodeArch, nodeOS)
	}
	return fmt.Errorf("rpc error: code = NotFound desc = failed to pull and unpack image %q: no match for platform in manifest: not found", ref.Name())
}

// commitError is the runtime's digest verification failure.
func (r ContainerRuntime) commitError(ref *pullpolicy.ImageRef, kind string, want, got digest.Digest) error {
	if r == CRIO {
		return fmt.Errorf("writing blob: happened during read: Digest did not match, expected %s, got %s", want, got)
	}
	return fmt.Errorf("rpc error: code = FailedPrecondition desc = failed to pull and unpack image %q: failed commit on ref \"%s-%s\": unexpected commit digest %s, expected %s: failed precondition",
		ref.Name(), kind, want, got, want)
}

// commitSizeError is the runtime's size verification failure: the blob
// served is not the size the manifest says.
func (r ContainerRuntime) commitSizeError(ref *pullpolicy.ImageRef, kind string, dgst digest.Digest, got, want int64) error {
	if r == CRIO {
		return fmt.Errorf("writing blob: happened during read: Digest did not match, expected %s, got a blob of %d bytes instead of %d", dgst, got, want)
	}
	return fmt.Errorf("rpc error: code = FailedPrecondition desc = failed to pull and unpack image %q: failed commit on ref \"%s-%s\": commit failed: unexpected commit size %d, expected %d: failed precondition",
		ref.Name(), kind, dgst, got, want)
}

// crioError words a registry failure as CRI-O (containers/image) does. It
// GETs the manifest directly, so a resolve and a manifest fetch fail alike
// ("reading manifest <tag> in <repository>"). CRI-O prefixes only a refused
// connection (ECONNREFUSED) with RegistryUnavailable and a refused
// signature with SignatureValidationFailed, the two the kubelet
// classifies; a timeout or an unknown host stays a plain error.
func crioError(ref *pullpolicy.ImageRef, what string, err error, anonymous bool) error {
	host := registryHost(ref.Domain())
	source := "initializing source docker://" + familiar(ref.Name()) + ": "
	ping := fmt.Sprintf("pinging container registry %s: Get \"https://%s/v2/\": ", host, host)
	reading := fmt.Sprintf("reading manifest %s in %s: ", refReference(ref), ref.Repository())
	if what == "blob" {
		source, reading = "", ""
	}
	switch {
	case errors.Is(err, registry.ErrUnavailable):
		return fmt.Errorf("%v: %s%sdial tcp %s:443: connect: connection refused", pullpolicy.ErrRegistryUnavailable, source, ping, host)
	case errors.Is(err, registry.ErrHostUnknown):
		return fmt.Errorf("%s%sdial tcp: lookup %s: no such host", source, ping, host)
	case errors.Is(err, registry.ErrTimeout):
		return fmt.Errorf("%s%sdial tcp %s:443: i/o timeout", source, ping, host)
	case errors.Is(err, registry.ErrSignatureInvalid):
		return fmt.Errorf("%v: Source image rejected: A signature was required, but no signature exists", pullpolicy.ErrSignatureValidationFailed)
	case ref.Domain() == "docker.io" && (errors.Is(err, registry.ErrNameUnknown) || errors.Is(err, registry.ErrUnauthorized)):
		return fmt.Errorf("%s%srequested access to the resource is denied", source, reading)
	case errors.Is(err, registry.ErrUnauthorized):
		return fmt.Errorf("%s%sunauthorized: authentication required", source, reading)
	case errors.Is(err, registry.ErrNameUnknown):
		return fmt.Errorf("%s%sname unknown: repository name not known to registry", source, reading)
	case errors.Is(err, registry.ErrManifestUnknown):
		return fmt.Errorf("%s%smanifest unknown", source, reading)
	case errors.Is(err, registry.ErrBlobUnknown):
		return fmt.Errorf("%s%sblob unknown: blob unknown to registry", source, reading)
	case errors.Is(err, registry.ErrTooManyRequests):
		return fmt.Errorf("%s%stoomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit", source, reading)
	case errors.Is(err, registry.ErrServerError):
		return fmt.Errorf("%s%sreceived unexpected HTTP status: 500 Internal Server Error", source, reading)
	default:
		return fmt.Errorf("%s%s%v", source, reading, err)
	}
}
