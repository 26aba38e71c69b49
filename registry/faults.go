package registry

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pullsim/pullsim/pullpolicy"
)

// Errors a faulty registry answers with. Each is what a client sees, not
// yet the runtime's text: the node formats them as containerd (or, for
// RegistryUnavailable and SignatureValidationFailed, as CRI-O) would.
var (
	// ErrUnavailable: the registry cannot be reached. Runtimes that classify
	// this report it with the prefix "RegistryUnavailable".
	ErrUnavailable = errors.New("registry unavailable")
	// ErrTimeout: connecting to the registry timed out (dial tcp: i/o timeout).
	ErrTimeout = errors.New("i/o timeout")
	// ErrUnauthorized: 401, credentials missing or rejected.
	ErrUnauthorized = errors.New("401 Unauthorized")
	// ErrTooManyRequests: 429, the registry's rate limit.
	ErrTooManyRequests = errors.New("429 Too Many Requests")
	// ErrServerError: 500 from the registry.
	ErrServerError = errors.New("500 Internal Server Error")
	// ErrSignatureInvalid: the image's signature does not satisfy the
	// node's policy. Runtimes report it with the prefix
	// "SignatureValidationFailed".
	ErrSignatureInvalid = errors.New("signature validation failed")
	// ErrDigestMismatch is not returned: a corrupt blob is served as if it
	// were fine, and the client's verification catches it.
)

// FaultKind selects how a faulty registry misbehaves.
type FaultKind int

const (
	// FaultUnavailable: every request fails with ErrUnavailable.
	FaultUnavailable FaultKind = iota + 1
	// FaultTimeout: every request fails with ErrTimeout.
	FaultTimeout
	// FaultNotFound: resolving fails with ErrManifestUnknown, as if the tag
	// or digest did not exist.
	FaultNotFound
	// FaultUnauthorized: every request fails with ErrUnauthorized.
	FaultUnauthorized
	// FaultTooManyRequests: manifest and blob fetches fail with
	// ErrTooManyRequests. Resolving a tag is not limited: registries meter
	// GETs, and Docker Hub says outright that a HEAD request does not count
	// against its pull rate limit. So a pull that finds the resolved digest
	// on the node (Always on an unchanged image) still succeeds.
	FaultTooManyRequests
	// FaultServerError: every request fails with ErrServerError.
	FaultServerError
	// FaultSignature: resolving fails with ErrSignatureInvalid.
	FaultSignature
	// FaultCorruptBlob: blobs are served with data that does not match
	// their digest; clients that verify reject them.
	FaultCorruptBlob
	// FaultMessage: every request fails with a *MessageError carrying
	// Fault.Message, which a node reports byte for byte as its runtime's
	// error. Use it to replay the exact text a production node showed:
	// a bare "RegistryUnavailable", "SignatureValidationFailed: no valid
	// signature found", any text. The kubelet classifies it as it
	// classifies every runtime error, by its prefix.
	FaultMessage
)

// Op names a kind of registry request a fault can be limited to.
type Op string

// The requests of one pull, in the order a runtime makes them.
const (
	// OpResolve: the HEAD that resolves a tag or digest to a manifest.
	OpResolve Op = "resolve"
	// OpManifest: the GET of a manifest by digest.
	OpManifest Op = "manifest"
	// OpBlob: the GET of a blob (the config or a layer).
	OpBlob Op = "blob"

	// opOther: any other request of the distribution API, which no fault
	// names (see RequestFault).
	opOther Op = "other"
)

// MessageError is what a request meets under [FaultMessage]: its Error is
// the fault's text, exactly.
type MessageError struct {
	Text string
}

// Error returns the text as given.
func (e *MessageError) Error() string { return e.Text }

var faultNames = map[FaultKind]string{
	FaultUnavailable:     "Unavailable",
	FaultTimeout:         "Timeout",
	FaultNotFound:        "NotFound",
	FaultUnauthorized:    "Unauthorized",
	FaultTooManyRequests: "TooManyRequests",
	FaultServerError:     "ServerError",
	FaultSignature:       "Signature",
	FaultCorruptBlob:     "CorruptBlob",
	FaultMessage:         "Message",
}

// String names the fault kind.
func (k FaultKind) String() string {
	if s, ok := faultNames[k]; ok {
		return s
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault describes a fault switched on with [Registry.SetFault].
type Fault struct {
	// Scope is a host ("docker.io", "localhost:5000") for a fault of the
	// whole host, or a repository ("nginx", "localhost:5000/app") for one
	// repository. A repository fault wins over its host's.
	Scope string
	Kind  FaultKind
	// Requests is how many requests the fault affects before it switches
	// itself off; 0 means until ClearFault.
	Requests int
	// Op limits the fault to one kind of request: OpBlob makes a pull
	// resolve its tag and then fail while downloading. Empty means the
	// kind's own requests: every request for most kinds, the resolve for
	// FaultNotFound and FaultSignature, manifest and blob GETs for
	// FaultTooManyRequests, blobs for FaultCorruptBlob.
	Op Op
	// Message is the runtime error text of FaultMessage; it must be
	// empty for every other kind.
	Message string
}

type fault struct {
	kind      FaultKind
	op        Op
	message   string
	remaining int // 0: until cleared
}

// SetFault switches a fault on, replacing any fault of the same scope. It
// fails for an unknown kind, a negative request count or a scope that is
// neither a host nor a repository.
func (r *Registry) SetFault(f Fault) error {
	if _, ok := faultNames[f.Kind]; !ok {
		return fmt.Errorf("registry: set fault on %q: unknown fault kind %d", f.Scope, int(f.Kind))
	}
	if f.Requests < 0 {
		return fmt.Errorf("registry: set fault on %q: negative request count %d", f.Scope, f.Requests)
	}
	switch f.Op {
	case "", OpResolve, OpManifest, OpBlob:
	default:
		return fmt.Errorf("registry: set fault on %q: unknown op %q; want %q, %q or %q", f.Scope, f.Op, OpResolve, OpManifest, OpBlob)
	}
	if f.Kind == FaultCorruptBlob && f.Op != "" && f.Op != OpBlob {
		return fmt.Errorf("registry: set fault on %q: a %v fault corrupts blobs; it cannot be limited to %q requests", f.Scope, f.Kind, f.Op)
	}
	if f.Kind == FaultMessage && f.Message == "" {
		return fmt.Errorf("registry: set fault on %q: a %v fault needs the runtime error text in Message", f.Scope, f.Kind)
	}
	if f.Kind != FaultMessage && f.Message != "" {
		return fmt.Errorf("registry: set fault on %q: Message is only for %v faults, not %v", f.Scope, FaultMessage, f.Kind)
	}
	key, err := faultKey(f.Scope)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.faults == nil {
		r.faults = make(map[string]*fault)
	}
	r.faults[key] = &fault{kind: f.Kind, op: f.Op, message: f.Message, remaining: f.Requests}
	return nil
}

// ClearFault switches off the fault of a scope; it reports whether there
// was one.
func (r *Registry) ClearFault(scope string) bool {
	key, err := faultKey(scope)
	if err != nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.faults[key]
	delete(r.faults, key)
	return ok
}

// Faults returns the faults switched on, sorted by scope.
func (r *Registry) Faults() []Fault {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Fault, 0, len(r.faults))
	for k, f := range r.faults {
		out = append(out, Fault{Scope: k, Kind: f.kind, Requests: f.remaining, Op: f.op, Message: f.message})
	}
	slices.SortFunc(out, func(a, b Fault) int { return strings.Compare(a.Scope, b.Scope) })
	return out
}

// faultKey normalises a scope: a host stays as it is ("localhost:5000",
// "docker.io"), a repository becomes its full name ("nginx" becomes
// "docker.io/library/nginx").
func faultKey(scope string) (string, error) {
	if scope == "" {
		return "", fmt.Errorf("registry: fault scope is empty; name a host or a repository")
	}
	if isHost(scope) {
		return scope, nil
	}
	ref, err := pullpolicy.SharedRefs.Parse(scope)
	if err != nil {
		return "", fmt.Errorf("registry: fault scope %q: %w", scope, err)
	}
	if ref.Digest() != "" || strings.Contains(scope[strings.LastIndexByte(scope, '/')+1:], ":") {
		return "", fmt.Errorf("registry: fault scope %q: name a host or a repository, without tag or digest", scope)
	}
	return ref.Repository(), nil
}

// isHost reports whether scope names a registry host: no slash, a name with
// a dot or "localhost", and an optional numeric port.
func isHost(scope string) bool {
	if strings.Contains(scope, "/") {
		return false
	}
	name, port, hasPort := strings.Cut(scope, ":")
	if hasPort && (port == "" || strings.Trim(port, "0123456789") != "") {
		return false
	}
	return name == "localhost" || strings.Contains(name, ".")
}

// faultFor returns the error an op request for ref meets, consuming one
// request of a counted fault, or nil. A fault counts only the requests it
// affects: a corrupt-blob fault for one request corrupts the next blob,
// whatever resolves come first. Callers hold r.mu.
func (r *Registry) faultFor(ref *pullpolicy.ImageRef, op Op) error {
	key, f := r.peekFault(ref, op)
	if f == nil {
		return nil
	}
	r.consume(key, f)
	return f.err(op)
}

// RequestFault returns the error a request of scope (a host, or a
// repository with its host) that is none of a pull's meets, consuming one
// request of a counted fault, or nil: a ping, a tag list, a referrers
// query, an upload, a manifest push, a delete. The faults that fail every
// request (Unavailable, Timeout, Unauthorized, ServerError, Message) fail
// these as well, unless limited to an Op; the others concern a pull's own
// requests (a rate limit its manifest and blob GETs). It counts no request
// in [Counters].
func (r *Registry) RequestFault(scope string) error {
	key, err := faultKey(scope)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var f *fault
	if isHost(key) {
		if f = r.faults[key]; f != nil && !f.affects(opOther) {
			f = nil
		}
	} else {
		// A repository's fault wins over its host's, as for a pull.
		p, err := pullpolicy.SharedRefs.Parse(key)
		if err != nil {
			return &Error{Op: "request", Repository: key, Err: fmt.Errorf("%w: %v", ErrNameInvalid, err)}
		}
		key, f = r.peekFault(p, opOther)
	}
	if f == nil {
		return nil
	}
	r.consume(key, f)
	return &Error{Op: "request", Repository: scope, Err: f.err(opOther)}
}

// peekFault returns the fault that would apply, without consuming it.
func (r *Registry) peekFault(ref *pullpolicy.ImageRef, op Op) (string, *fault) {
	if len(r.faults) == 0 {
		return "", nil
	}
	key := ref.Repository()
	f := r.faults[key]
	if f == nil {
		key = ref.Domain()
		f = r.faults[key]
	}
	if f == nil || !f.affects(op) {
		return "", nil
	}
	return key, f
}

// consume uses one request of a counted fault.
func (r *Registry) consume(key string, f *fault) {
	if f.remaining > 0 {
		if f.remaining--; f.remaining == 0 {
			delete(r.faults, key)
		}
	}
}

// affects reports whether f touches op requests.
func (f *fault) affects(op Op) bool {
	if f.op != "" {
		return f.op == op
	}
	switch f.kind {
	case FaultNotFound, FaultSignature:
		return op == OpResolve
	case FaultCorruptBlob:
		return op == OpBlob
	case FaultTooManyRequests:
		return op == OpManifest || op == OpBlob
	default:
		return true
	}
}

// err is the error an op request meets under f. A corrupt-blob fault lets
// the request through (its data is spoiled instead): nil.
func (f *fault) err(op Op) error {
	switch f.kind {
	case FaultMessage:
		return &MessageError{Text: f.message}
	case FaultNotFound:
		switch op {
		case OpResolve, OpManifest:
			return ErrManifestUnknown
		case OpBlob:
			return ErrBlobUnknown
		}
	case FaultSignature:
		return ErrSignatureInvalid
	}
	return faultErr(f.kind)
}

// faultErr is the error a request meets under a fault of kind k that fails
// every request it affects in the same way, or nil.
func faultErr(k FaultKind) error {
	switch k {
	case FaultUnavailable:
		return ErrUnavailable
	case FaultTimeout:
		return ErrTimeout
	case FaultUnauthorized:
		return ErrUnauthorized
	case FaultTooManyRequests:
		return ErrTooManyRequests
	case FaultServerError:
		return ErrServerError
	}
	return nil
}
