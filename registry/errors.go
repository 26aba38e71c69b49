package registry

import (
	"errors"
	"fmt"
)

// Errors a registry answers with, named after the distribution API's error
// codes. Registry methods wrap them in an [*Error] naming the request; match
// them with errors.Is. Turning them into the runtime's error texts is the
// node's business, as it is containerd's on a real node.
var (
	// ErrHostUnknown: no registry answers at this host (a DNS failure).
	ErrHostUnknown = errors.New("no such host")
	// ErrNameUnknown: the repository does not exist (NAME_UNKNOWN).
	ErrNameUnknown = errors.New("repository name not known to registry")
	// ErrManifestUnknown: no manifest under this tag or digest (MANIFEST_UNKNOWN).
	ErrManifestUnknown = errors.New("manifest unknown")
	// ErrBlobUnknown: no blob under this digest (BLOB_UNKNOWN).
	ErrBlobUnknown = errors.New("blob unknown to registry")
	// ErrNameInvalid: the request names no valid repository
	// (NAME_INVALID), such as a nil reference.
	ErrNameInvalid = errors.New("invalid repository name")
)

// Error is a failed registry request: which operation, on which
// repository and reference, and why.
type Error struct {
	Op         string // "resolve", "manifest", "blob", "push", "tag", ...
	Repository string // fully qualified: docker.io/library/nginx
	Reference  string // tag or digest
	Err        error  // one of the sentinels above, possibly wrapped
}

// Error reads "registry: <op> <repository>:<reference>: <cause>".
func (e *Error) Error() string {
	sep := ":"
	if len(e.Reference) > 7 && e.Reference[:7] == "sha256:" {
		sep = "@"
	}
	if e.Reference == "" {
		sep = ""
	}
	if e.Repository == "" && e.Reference == "" {
		return fmt.Sprintf("registry: %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("registry: %s %s%s%s: %v", e.Op, e.Repository, sep, e.Reference, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }
