package node

import (
	"errors"
	"time"

	"github.com/pullsim/pullsim/pullpolicy"
)

// Pod is a pod as the simulated API server and kubelet see it. Fill in Name,
// Namespace (default "default") and Spec to create one; UID and Status are
// the node's to set.
type Pod struct {
	Name      string
	Namespace string
	UID       string
	Spec      PodSpec
	Status    PodStatus
}

// PodSpec is the part of a pod's spec that matters for images.
type PodSpec struct {
	InitContainers []Container
	Containers     []Container
	// EphemeralContainers cannot be set at creation, as with the API server;
	// the field exists for admission functions that look at whole pods.
	EphemeralContainers []Container
	ImagePullSecrets    []string // names of secrets in the pod's namespace
	// ServiceAccountName defaults to "default", which every namespace has.
	ServiceAccountName string
	// NodeName binds the pod to a node; a node refuses pods bound to another.
	NodeName string
	// Volumes are the pod's volumes. pullsim models image volumes (the
	// ImageVolume feature, GA and locked on since v1.36); volumes of other
	// types are kept by name so that containers can mount them.
	Volumes []Volume
}

// Volume is a pod volume. Image is set for an image volume and nil for a
// volume of a type pullsim does not model (emptyDir, configMap, ...).
type Volume struct {
	Name  string
	Image *ImageVolumeSource
}

// ImageVolumeSource mounts the content of an OCI image as a volume. The
// kubelet pulls it with the same decision as a container image: its own
// pull policy, defaulted by the same rule, and backoff keyed by the pod's
// UID and the reference.
type ImageVolumeSource struct {
	Reference  string
	PullPolicy pullpolicy.PullPolicy
}

// VolumeMount mounts a pod volume into a container.
type VolumeMount struct {
	Name      string
	MountPath string
	ReadOnly  bool
}

// Container is one container of a pod spec.
type Container struct {
	Name  string
	Image string // as written in the manifest
	// ImagePullPolicy may be empty at creation; the node then defaults it as
	// the API server does and stores the result, which is what kubectl
	// describe shows as "Image pull policy".
	ImagePullPolicy pullpolicy.PullPolicy
	// VolumeMounts name pod volumes. A container that mounts an image
	// volume whose pull failed fails to start with the volume's error.
	VolumeMounts []VolumeMount
}

// PodPhase is the pod's lifecycle phase.
type PodPhase string

const (
	// PodPending: some container has never started.
	PodPending PodPhase = "Pending"
	// PodRunning: every container has started.
	PodRunning PodPhase = "Running"
)

// PodStatus is the observed state of a pod.
type PodStatus struct {
	Phase                 PodPhase
	InitContainerStatuses []ContainerStatus
	ContainerStatuses     []ContainerStatus
}

// ContainerStatus is the observed state of one container.
type ContainerStatus struct {
	Name string
	// Image is the image as written while the container waits, and the
	// runtime's fully qualified name once it runs.
	Image string
	// ImageID is the image the container runs, as repo@digest (e.g.
	// docker.io/library/nginx@sha256:…); empty until it first starts.
	ImageID      string
	State        ContainerState
	Ready        bool
	RestartCount int
}

// ContainerState holds exactly one of its fields.
type ContainerState struct {
	Waiting    *ContainerStateWaiting
	Running    *ContainerStateRunning
	Terminated *ContainerStateTerminated
}

// ContainerStateWaiting: the container is not running. Reason is
// ContainerCreating or PodInitializing before the first attempt, and then
// the image error's reason: ErrImagePull, ImagePullBackOff,
// ErrImageNeverPull, InvalidImageName, ImageInspectError, ...
type ContainerStateWaiting struct {
	Reason  string
	Message string
}

// ContainerStateRunning: the container runs since StartedAt.
type ContainerStateRunning struct {
	StartedAt time.Time
}

// ContainerStateTerminated: the container ran and exited. Init containers
// end here with reason Completed.
type ContainerStateTerminated struct {
	Reason     string
	ExitCode   int
	StartedAt  time.Time
	FinishedAt time.Time
}

// Waiting reasons a container shows before its first start attempt.
const (
	ReasonContainerCreating = "ContainerCreating"
	ReasonPodInitializing   = "PodInitializing"
	ReasonCompleted         = "Completed"
)

// API errors. Their texts are the Kubernetes status reasons; the wrapping
// error reads like the API server's message.
var (
	ErrInvalid       = errors.New("Invalid")
	ErrForbidden     = errors.New("Forbidden")
	ErrAlreadyExists = errors.New("AlreadyExists")
	ErrNotFound      = errors.New("NotFound")
)

type apiError struct {
	reason error
	msg    string
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.reason }
