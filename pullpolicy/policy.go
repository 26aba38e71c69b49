package pullpolicy

import (
	"errors"
	"fmt"
)

// PullPolicy is a container's imagePullPolicy. The zero value, the empty
// string, means "not set": the API server fills it in with [DefaultPullPolicy]
// before anything else sees the container.
type PullPolicy string

// The three values the API server accepts, spelled exactly as in core/v1.
const (
	// PullAlways makes the kubelet call the runtime's PullImage on every
	// container start. The runtime still downloads only what it lacks.
	PullAlways PullPolicy = "Always"
	// PullIfNotPresent uses an image already on the node and pulls only when
	// it is absent.
	PullIfNotPresent PullPolicy = "IfNotPresent"
	// PullNever never contacts a registry; an absent image is
	// ErrImageNeverPull.
	PullNever PullPolicy = "Never"
)

// Field-error types of the API server's validation (field.ErrorType strings).
var (
	// ErrRequired is returned by [ParsePullPolicy] for the empty string.
	ErrRequired = errors.New("Required value")
	// ErrUnsupportedValue is returned by [ParsePullPolicy] for any spelling
	// other than the three supported values.
	ErrUnsupportedValue = errors.New("Unsupported value")
)

// String returns the policy as written in a manifest.
func (p PullPolicy) String() string { return string(p) }

// Valid reports whether p is one of the three values the API server accepts.
func (p PullPolicy) Valid() bool {
	return p == PullAlways || p == PullIfNotPresent || p == PullNever
}

// ParsePullPolicy validates a policy the way the API server does
// (validatePullPolicy): only the exact, case-sensitive spellings Always,
// IfNotPresent and Never are accepted. The error text follows the API
// server's field errors:
//
//	Unsupported value: "always": supported values: "Always", "IfNotPresent", "Never"
//
// Validation runs after defaulting, so callers holding a possibly empty
// policy apply [DefaultPullPolicy] first.
func ParsePullPolicy(s string) (PullPolicy, error) {
	switch p := PullPolicy(s); {
	case p.Valid():
		return p, nil
	case s == "":
		return "", ErrRequired
	default:
		return "", fmt.Errorf("%w: %q: supported values: %q, %q, %q", ErrUnsupportedValue, s, PullAlways, PullIfNotPresent, PullNever)
	}
}
