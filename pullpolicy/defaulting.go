package pullpolicy

import "fmt"

// Defaulting names a rule for filling in an empty imagePullPolicy.
// The zero value is [TagLatestDefaulting], the rule Kubernetes runs today.
type Defaulting int

const (
	// TagLatestDefaulting is the API server's rule (SetDefaults_Container in
	// pkg/apis/core/v1/defaults.go): parse the image with ParseImageName,
	// ignore any error, and choose Always when the tag is exactly "latest"
	// (an image with neither tag nor digest counts as "latest"), else
	// IfNotPresent. A digest does not matter: nginx:latest@sha256:… is
	// Always. It never defaults to Never.
	TagLatestDefaulting Defaulting = iota
	// DigestAwareDefaulting is the rule the kubernetes.io Images page
	// describes and KEP-6083 (gate DigestAwareImagePullPolicyDefaulting)
	// proposes: any reference with a digest defaults to IfNotPresent;
	// otherwise the tag-latest rule applies. Kubernetes v1.36/v1.37 do not
	// run it; pullsim offers it so the two can be compared.
	DigestAwareDefaulting
)

// String names the rule.
func (d Defaulting) String() string {
	switch d {
	case TagLatestDefaulting:
		return "TagLatest"
	case DigestAwareDefaulting:
		return "DigestAware"
	default:
		return fmt.Sprintf("Defaulting(%d)", int(d))
	}
}

// Validate reports whether d is one of the rules above.
func (d Defaulting) Validate() error {
	switch d {
	case TagLatestDefaulting, DigestAwareDefaulting:
		return nil
	}
	return fmt.Errorf("unknown defaulting rule %v; want %v or %v", d, TagLatestDefaulting, DigestAwareDefaulting)
}

// Default returns the policy rule d gives an empty imagePullPolicy for image.
func (d Defaulting) Default(image string) PullPolicy {
	ref, err := ParseImageRef(image)
	if err != nil {
		return d.DefaultFor(nil)
	}
	return d.DefaultFor(ref)
}

// DefaultFor is [Defaulting.Default] for an image already parsed. A nil ref
// stands for an image that did not parse, which defaults to IfNotPresent:
// the API server ignores the parse error.
func (d Defaulting) DefaultFor(ref *ImageRef) PullPolicy {
	if ref == nil {
		return PullIfNotPresent
	}
	if d == DigestAwareDefaulting && ref.Digest() != "" {
		return PullIfNotPresent
	}
	if ref.Tag() == "latest" {
		return PullAlways
	}
	return PullIfNotPresent
}

// DefaultPullPolicy is the API server's defaulting of an empty
// imagePullPolicy ([TagLatestDefaulting]): Always for a "latest" or missing
// tag, IfNotPresent for anything else, including names that do not parse and
// case variants such as "nginx:LATEST".
func DefaultPullPolicy(image string) PullPolicy {
	return TagLatestDefaulting.Default(image)
}

// ResolvePullPolicy returns policy unchanged when it is set, or the policy
// rule d gives image when policy is empty. It is what the API server stores on
// a container at creation; it is not re-run when the image changes later.
func (d Defaulting) ResolvePullPolicy(image string, policy PullPolicy) PullPolicy {
	if policy != "" {
		return policy
	}
	return d.Default(image)
}
