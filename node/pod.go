package node

import (
	"errors"
	"fmt"
	"time"

	"github.com/pullsim/pullsim/pullpolicy"
)

// Pod is a pod as the simulated API server and kubelet see it. Fill in Name,
// Namespace (default "default") and Spec to create one; UID,
// CreationTimestamp and Status are the node's to set. The JSON names are the
// API's (metadata fields sit at the top level); package node/kube converts
// to and from the real core/v1 Pod.
type Pod struct {
	Name string `json:"name"`
	// GenerateName is the prefix the API server completes into a name when
	// Name is empty; node/kube's decoding does that. A node needs Name.
	GenerateName string `json:"generateName,omitempty"`
	Namespace    string `json:"namespace,omitempty"`
	UID          string `json:"uid,omitempty"`
	// Labels and Annotations are carried, not interpreted.
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// CreationTimestamp is when the node admitted the pod.
	CreationTimestamp time.Time `json:"creationTimestamp,omitzero"`
	// DeletionTimestamp is set while a deleted pod terminates: when its
	// grace period ends.
	DeletionTimestamp time.Time `json:"deletionTimestamp,omitzero"`
	Spec              PodSpec   `json:"spec"`
	Status            PodStatus `json:"status,omitzero"`
}

// RestartPolicy is a pod's spec.restartPolicy: what the kubelet does when
// a container exits. The API server defaults it to Always.
type RestartPolicy string

// The pod restart policies.
const (
	RestartPolicyAlways    RestartPolicy = "Always"
	RestartPolicyOnFailure RestartPolicy = "OnFailure"
	RestartPolicyNever     RestartPolicy = "Never"
)

// ContainerRestartPolicy is a container's restartPolicy. Only init
// containers may set it, and only to Always.
type ContainerRestartPolicy string

// ContainerRestartPolicyAlways on an init container makes it a native
// sidecar: started in init order, kept running beside the app containers.
const ContainerRestartPolicyAlways ContainerRestartPolicy = "Always"

// PodSpec is the part of a pod's spec that matters for images.
type PodSpec struct {
	InitContainers []Container `json:"initContainers,omitempty"`
	Containers     []Container `json:"containers"`
	// EphemeralContainers cannot be set at creation, as with the API server;
	// the field exists for admission functions that look at whole pods.
	EphemeralContainers []Container `json:"ephemeralContainers,omitempty"`
	// ImagePullSecrets are names of secrets in the pod's namespace (the
	// API's list of {name: ...} references, flattened).
	ImagePullSecrets []string `json:"imagePullSecrets,omitempty"`
	// ServiceAccountName defaults to "default", which every namespace has.
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// NodeName binds the pod to a node; a node refuses pods bound to another.
	NodeName string `json:"nodeName,omitempty"`
	// Volumes are the pod's volumes. pullsim models image volumes (the
	// ImageVolume feature, GA and locked on since v1.36); volumes of other
	// types are kept by name so that containers can mount them.
	Volumes []Volume `json:"volumes,omitempty"`
	// RestartPolicy is Always when empty, as the API server defaults it.
	RestartPolicy RestartPolicy `json:"restartPolicy,omitempty"`
	// TerminationGracePeriodSeconds is carried; nil means the API's 30.
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`
}

// Volume is a pod volume. Image is set for an image volume and nil for a
// volume of a type pullsim does not model (emptyDir, configMap, ...).
type Volume struct {
	Name  string             `json:"name"`
	Image *ImageVolumeSource `json:"image,omitempty"`
}

// ImageVolumeSource mounts the content of an OCI image as a volume. The
// kubelet pulls it with the same decision as a container image: its own
// pull policy, defaulted by the same rule, and backoff keyed by the pod's
// UID and the reference.
type ImageVolumeSource struct {
	Reference  string                `json:"reference"`
	PullPolicy pullpolicy.PullPolicy `json:"pullPolicy,omitempty"`
}

// VolumeMount mounts a pod volume into a container.
type VolumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
}

// Container is one container of a pod spec.
type Container struct {
	Name  string `json:"name"`
	Image string `json:"image"` // as written in the manifest
	// ImagePullPolicy may be empty at creation; the node then defaults it as
	// the API server does and stores the result, which is what kubectl
	// describe shows as "Image pull policy".
	ImagePullPolicy pullpolicy.PullPolicy `json:"imagePullPolicy,omitempty"`
	// VolumeMounts name pod volumes. A container that mounts an image
	// volume whose pull failed fails to start with the volume's error.
	VolumeMounts []VolumeMount `json:"volumeMounts,omitempty"`
	// RestartPolicy set to Always on an init container makes it a native
	// sidecar. Empty otherwise; app containers may not set it.
	RestartPolicy ContainerRestartPolicy `json:"restartPolicy,omitempty"`
}

// PodPhase is the pod's lifecycle phase.
type PodPhase string

const (
	// PodPending: some container has never started.
	PodPending PodPhase = "Pending"
	// PodRunning: every container has started, and some run or will be
	// restarted.
	PodRunning PodPhase = "Running"
	// PodSucceeded: every app container exited 0 and none restarts.
	PodSucceeded PodPhase = "Succeeded"
	// PodFailed: every app container exited and none restarts, at least
	// one with a failure; or an init container failed under
	// restartPolicy Never.
	PodFailed PodPhase = "Failed"
)

// PodStatus is the observed state of a pod.
type PodStatus struct {
	Phase                 PodPhase          `json:"phase,omitempty"`
	InitContainerStatuses []ContainerStatus `json:"initContainerStatuses,omitempty"`
	ContainerStatuses     []ContainerStatus `json:"containerStatuses,omitempty"`
}

// ContainerStatus is the observed state of one container.
type ContainerStatus struct {
	Name string `json:"name"`
	// Image is the image as written while the container waits, and the
	// runtime's fully qualified name once it runs.
	Image string `json:"image"`
	// ImageID is the image the container runs, as repo@digest (e.g.
	// docker.io/library/nginx@sha256:…); empty until it first starts.
	ImageID string `json:"imageID"`
	// ContainerID is the runtime's ID of the current instance,
	// "containerd://<64 hex>"; empty until the container first starts.
	ContainerID string         `json:"containerID,omitempty"`
	State       ContainerState `json:"state"`
	// LastState is the previous instance's state, once a container has
	// been restarted; zero otherwise.
	LastState    ContainerState `json:"lastState,omitzero"`
	Ready        bool           `json:"ready"`
	RestartCount int            `json:"restartCount"`
}

// ContainerState holds exactly one of its fields.
type ContainerState struct {
	Waiting    *ContainerStateWaiting    `json:"waiting,omitempty"`
	Running    *ContainerStateRunning    `json:"running,omitempty"`
	Terminated *ContainerStateTerminated `json:"terminated,omitempty"`
}

// ContainerStateWaiting: the container is not running. Reason is
// ContainerCreating or PodInitializing before the first attempt, and then
// the image error's reason: ErrImagePull, ImagePullBackOff,
// ErrImageNeverPull, InvalidImageName, ImageInspectError, ...
type ContainerStateWaiting struct {
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// ContainerStateRunning: the container runs since StartedAt.
type ContainerStateRunning struct {
	StartedAt time.Time `json:"startedAt,omitzero"`
}

// ContainerStateTerminated: the container ran and exited. Init containers
// end here with reason Completed.
type ContainerStateTerminated struct {
	// ContainerID is the exited instance's ID, when it differs from the
	// status's (a last state's); empty otherwise.
	ContainerID string    `json:"containerID,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	ExitCode    int       `json:"exitCode"`
	StartedAt   time.Time `json:"startedAt,omitzero"`
	FinishedAt  time.Time `json:"finishedAt,omitzero"`
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
	ErrBadRequest    = errors.New("BadRequest")
)

type apiError struct {
	reason error
	msg    string
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.reason }

// validateRestartPolicies returns the API server's errors for the pod's
// restart policies (pkg/apis/core/validation: validateRestartPolicy,
// validateInitContainerRestartPolicy): the pod's must be one of the three,
// and only init containers may set theirs, to Always.
func validateRestartPolicies(s *PodSpec) []string {
	var errs []string
	if g := s.TerminationGracePeriodSeconds; g != nil && *g < 0 {
		errs = append(errs, fmt.Sprintf("spec.terminationGracePeriodSeconds: Invalid value: %d: must be greater than or equal to 0", *g))
	}
	switch s.RestartPolicy {
	case "", RestartPolicyAlways, RestartPolicyOnFailure, RestartPolicyNever:
	default:
		errs = append(errs, fmt.Sprintf("spec.restartPolicy: Unsupported value: %q: supported values: %q, %q, %q",
			s.RestartPolicy, RestartPolicyAlways, RestartPolicyOnFailure, RestartPolicyNever))
	}
	for i, c := range s.InitContainers {
		if c.RestartPolicy != "" && c.RestartPolicy != ContainerRestartPolicyAlways {
			errs = append(errs, fmt.Sprintf("spec.initContainers[%d].restartPolicy: Unsupported value: %q: supported values: %q", i, c.RestartPolicy, ContainerRestartPolicyAlways))
		}
	}
	for i, c := range s.Containers {
		if c.RestartPolicy != "" {
			errs = append(errs, fmt.Sprintf("spec.containers[%d].restartPolicy: Forbidden: may not be set for non-init containers", i))
		}
	}
	return errs
}
