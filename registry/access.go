package registry

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pullsim/pullsim/pullpolicy"
)

// Errors of a private repository. Both wrap ErrUnauthorized, so
// errors.Is(err, ErrUnauthorized) holds for either.
var (
	// ErrAuthRequired: an anonymous request to a private repository.
	ErrAuthRequired = fmt.Errorf("authentication required: %w", ErrUnauthorized)
	// ErrBadCredentials: credentials the repository does not accept.
	ErrBadCredentials = fmt.Errorf("invalid username/password: %w", ErrUnauthorized)
)

// SetPrivate makes the repository ref names (tag and digest ignored) private:
// only requests presenting one of creds are answered. Calling it again
// replaces the accepted credentials. The repository need not exist yet.
func (r *Registry) SetPrivate(ref string, creds ...Credential) error {
	p, err := r.parse("set private", ref)
	if err != nil {
		return err
	}
	if len(creds) == 0 {
		return fmt.Errorf("registry: set private %s: at least one credential is required", ref)
	}
	for i, c := range creds {
		if c.Anonymous() {
			return fmt.Errorf("registry: set private %s: credential %d is empty", ref, i)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.private == nil {
		r.private = make(map[string][]Credential)
	}
	r.private[p.Repository()] = slices.Clone(creds)
	return nil
}

// SetPublic makes the repository ref names public again; it reports
// whether it was private.
func (r *Registry) SetPublic(ref string) bool {
	p, err := r.parse("set public", ref)
	if err != nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.private[p.Repository()]
	delete(r.private, p.Repository())
	return ok
}

// authorize checks cred against ref's repository. Callers hold r.mu.
func (r *Registry) authorize(ref *pullpolicy.ImageRef, cred Credential) error {
	accepted, ok := r.private[ref.Repository()]
	switch {
	case !ok:
		return nil
	case cred.Anonymous():
		return ErrAuthRequired
	case slices.Contains(accepted, cred):
		return nil
	default:
		return ErrBadCredentials
	}
}

// AcceptsCredential reports whether a private repository of host accepts
// cred: whether cred is one of the host's accounts, as a token server
// checks a login that names no repository. A host without private
// repositories has no accounts, and accepts no credentials.
func (r *Registry) AcceptsCredential(host string, cred Credential) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, accepted := range r.private {
		if strings.HasPrefix(name, host+"/") && slices.Contains(accepted, cred) {
			return true
		}
	}
	return false
}
