package pullpolicy

import "errors"

// The kubelet's image errors (pkg/kubelet/images/types.go and
// k8s.io/cri-api/pkg/errors). Each error's text is the reason a container's
// state.waiting.reason shows; pullsim wraps them with %w so that errors.Is
// works and the detail travels in the message.
var (
	// ErrImagePullBackOff: a pull failed recently and the backoff window for
	// this pod and image has not passed.
	ErrImagePullBackOff = errors.New("ImagePullBackOff")
	// ErrImageInspect: the runtime could not say whether the image is present.
	ErrImageInspect = errors.New("ImageInspectError")
	// ErrImagePull: a pull failed for any reason not classified below.
	ErrImagePull = errors.New("ErrImagePull")
	// ErrImageNeverPull: policy Never and the image is not usable on the node.
	ErrImageNeverPull = errors.New("ErrImageNeverPull")
	// ErrInvalidImageName: the image string does not parse.
	ErrInvalidImageName = errors.New("InvalidImageName")
	// ErrRegistryUnavailable: the runtime's error text began with
	// "RegistryUnavailable".
	ErrRegistryUnavailable = errors.New("RegistryUnavailable")
	// ErrSignatureValidationFailed: the runtime's error text began with
	// "SignatureValidationFailed".
	ErrSignatureValidationFailed = errors.New("SignatureValidationFailed")
)

// Event reasons the kubelet records around image pulls
// (pkg/kubelet/events/event.go). Note that event reasons differ from waiting
// reasons: InspectFailed vs ImageInspectError, Failed vs ErrImagePull,
// BackOff vs ImagePullBackOff.
const (
	EventPulling                         = "Pulling"                         // Normal: a pull starts
	EventPulled                          = "Pulled"                          // Normal: pulled, or already present
	EventFailed                          = "Failed"                          // Warning: a pull failed, or "Error: <reason>" from startContainer
	EventInspectFailed                   = "InspectFailed"                   // Warning: bad image name, or the presence check failed
	EventErrImageNeverPull               = "ErrImageNeverPull"               // Warning: policy Never and not present
	EventBackOff                         = "BackOff"                         // Normal: in the image pull backoff window
	EventFailedToRetrieveImagePullSecret = "FailedToRetrieveImagePullSecret" // Warning: a named pull secret is missing
)

// Event types, as in core/v1.
const (
	EventTypeNormal  = "Normal"
	EventTypeWarning = "Warning"
)
