package pullpolicy

// Decision is what the kubelet does about a container's image once it knows
// the policy and, where the policy asks, whether the image is on the node.
type Decision int

const (
	// UseCached starts the container with the image already on the node.
	UseCached Decision = iota + 1
	// Pull asks the runtime to pull; the runtime contacts the registry and
	// downloads only what the node lacks.
	Pull
	// NeverPull fails the start with ErrImageNeverPull, without contacting
	// any registry.
	NeverPull
)

// String returns the decision's name.
func (d Decision) String() string {
	switch d {
	case UseCached:
		return "UseCached"
	case Pull:
		return "Pull"
	case NeverPull:
		return "NeverPull"
	default:
		return "Decision(?)"
	}
}

// NeedsPresenceCheck reports whether the kubelet asks the runtime if the
// image is present before deciding: only for IfNotPresent and Never. For
// Always (and any value validation would have rejected) the answer would
// not change anything, so the kubelet goes straight to the pull.
func NeedsPresenceCheck(p PullPolicy) bool { return p == PullIfNotPresent || p == PullNever }

// Decide is the lesson's flowchart in code, as the kubelet runs it
// (imagePullPrecheck and EnsureImageExists in pkg/kubelet/images):
//
//	policy         image on node?   decision
//	Always         (not asked)      Pull
//	IfNotPresent   yes              UseCached
//	IfNotPresent   no               Pull
//	Never          yes              UseCached
//	Never          no               NeverPull
//
// present is ignored for Always. An invalid policy pulls, as the kubelet's
// imagePullPrecheck does: its switch asks about presence only for
// IfNotPresent and Never, so anything else finds no image and pulls.
// Validation rejects such policies before they reach a node.
//
// On a v1.35+ node, "UseCached" is further subject to the KEP-2535
// credential check (gate KubeletEnsureSecretPulledImages): an image pulled
// with another pod's credentials may need a pull after all, and under Never
// that is ErrImageNeverPull. The node package runs that check.
func Decide(policy PullPolicy, present bool) Decision {
	switch {
	case !NeedsPresenceCheck(policy):
		return Pull
	case present:
		return UseCached
	case policy == PullNever:
		return NeverPull
	default:
		return Pull
	}
}
