package pullsim

// The scenario file format. A scenario is a Kubernetes-style object, read
// without a manual:
//
//	apiVersion: pullsim.dev/v1alpha1
//	kind: Scenario
//	metadata:
//	  name: quiz1
//	spec:
//	  builds:      [{name, layers: [{content, size}]}]
//	  registries:  [{host, link, images: [{ref, build}], private: [{repository, credentials}]}]
//	  cluster:     {alwaysPullImages, secrets, serviceAccounts}
//	  nodes:       [{name, kubelet: <KubeletConfiguration fields>, imageFSCapacity, credentials, images}]
//	  steps:       [{at, <one action>, advance, expect}]
//
// Field names follow Kubernetes spelling (KubeletConfiguration's for kubelet
// settings); durations are Go durations ("30s", "1h"), sizes are Kubernetes
// quantities ("30Mi", "200M", 1024).

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// APIVersion and Kind are what a scenario file declares itself as.
const (
	APIVersion = "pullsim.dev/v1alpha1"
	Kind       = "Scenario"
)

// ObjectMeta names a scenario.
type ObjectMeta struct {
	Name string `json:"name"`
	// Annotations are kept and ignored, as in Kubernetes objects.
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ScenarioSpec is the situation and what happens in it.
type ScenarioSpec struct {
	// Description says what the scenario shows; the transcript prints it.
	Description string `json:"description,omitempty"`
	// Builds are the images the scenario pushes or side-loads, by name.
	Builds []BuildSpec `json:"builds,omitempty"`
	// Registries are the hosts nodes pull from and what they hold at time 0.
	Registries []RegistrySpec `json:"registries,omitempty"`
	// Cluster is the API server's side: secrets, service accounts and the
	// AlwaysPullImages admission plugin.
	Cluster ClusterSpec `json:"cluster,omitempty"`
	// Nodes are the kubelets, at least one.
	Nodes []NodeSpec `json:"nodes"`
	// Steps happen at virtual times, in order.
	Steps []Step `json:"steps"`
}

// BuildSpec is a build of an image: its name is the registry Image's Config,
// which is what `build:` expectations compare with.
type BuildSpec struct {
	Name   string      `json:"name"`
	Layers []LayerSpec `json:"layers,omitempty"`
	// Run is what the build's containers do (registry.Run); unset, they
	// run until stopped.
	Run *RunSpec `json:"run,omitempty"`
}

// RunSpec is what a build's containers do once started.
type RunSpec struct {
	// ExitAfter is how long a container runs before it exits.
	ExitAfter metav1.Duration `json:"exitAfter,omitempty"`
	// ExitCode is its exit status then (0-255).
	ExitCode int32 `json:"exitCode,omitempty"`
	// Reason is the terminated reason; empty is Completed for 0, Error
	// otherwise (OOMKilled for a process killed for memory).
	Reason string `json:"reason,omitempty"`
	// StopAfter is how long it takes to exit once asked to stop.
	StopAfter metav1.Duration `json:"stopAfter,omitempty"`
}

// LayerSpec is one layer of a build. Layers equal in content and size are
// one blob, downloaded once per node.
type LayerSpec struct {
	Content string            `json:"content"`
	Size    resource.Quantity `json:"size"`
}

// RegistrySpec is one registry host.
type RegistrySpec struct {
	// Host is where the registry answers: docker.io (what short names such as
	// nginx mean), localhost:5000, registry.example.com.
	Host string `json:"host"`
	// Link is the network path from nodes to the host; unset fields keep
	// registry.DefaultLink's values.
	Link *LinkSpec `json:"link,omitempty"`
	// Images are pushed, in order, before the first step.
	Images []ImageSpec `json:"images,omitempty"`
	// Private repositories answer only requests with one of their credentials.
	Private []PrivateRepositorySpec `json:"private,omitempty"`
}

// LinkSpec sets a host's latency, bandwidth and timeout.
type LinkSpec struct {
	Latency *metav1.Duration `json:"latency,omitempty"`
	// Bandwidth is in bytes per second ("50M"); 0 is unlimited.
	Bandwidth *resource.Quantity `json:"bandwidth,omitempty"`
	Timeout   *metav1.Duration   `json:"timeout,omitempty"`
}

// ImageSpec names a build under an image reference, as a pod writes it
// (nginx:1.28, localhost:5000/app:v1).
type ImageSpec struct {
	Ref   string `json:"ref"`
	Build string `json:"build"`
}

// PrivateRepositorySpec makes a repository private.
type PrivateRepositorySpec struct {
	Repository  string           `json:"repository"`
	Credentials []CredentialSpec `json:"credentials"`
}

// CredentialSpec is a user name and password (or token).
type CredentialSpec struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// ClusterSpec is the API server's part.
type ClusterSpec struct {
	// AlwaysPullImages enables the admission plugin of that name.
	AlwaysPullImages bool                 `json:"alwaysPullImages,omitempty"`
	Secrets          []SecretSpec         `json:"secrets,omitempty"`
	ServiceAccounts  []ServiceAccountSpec `json:"serviceAccounts,omitempty"`
}

// SecretSpec is a kubernetes.io/dockerconfigjson secret, as `kubectl create
// secret docker-registry` makes it.
type SecretSpec struct {
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Auths maps a registry location (registry.example.com,
	// localhost:5000/team) to a credential.
	Auths map[string]CredentialSpec `json:"auths"`
}

// ServiceAccountSpec is a service account whose imagePullSecrets are copied
// into pods that name it.
type ServiceAccountSpec struct {
	Namespace        string   `json:"namespace,omitempty"`
	Name             string   `json:"name"`
	ImagePullSecrets []string `json:"imagePullSecrets,omitempty"`
}

// NodeSpec is one node.
type NodeSpec struct {
	Name string `json:"name"`
	// KubeletVersion is the kubelet minor: 1.34, 1.35, 1.36 or 1.37 (the
	// default).
	KubeletVersion string `json:"kubeletVersion,omitempty"`
	// ContainerRuntime is containerd (the default) or cri-o: it decides how
	// pull errors are worded, and so their waiting reason.
	ContainerRuntime string        `json:"containerRuntime,omitempty"`
	Kubelet          KubeletConfig `json:"kubelet,omitempty"`
	// ImageFSCapacity is the image filesystem's size (default 100G).
	ImageFSCapacity *resource.Quantity `json:"imageFSCapacity,omitempty"`
	// Credentials is the node's own docker config
	// (/var/lib/kubelet/config.json), by registry location.
	Credentials map[string]CredentialSpec `json:"credentials,omitempty"`
	// Images are side-loaded before the first step, as an air-gapped
	// pre-load does.
	Images []ImageSpec `json:"images,omitempty"`
}

// KubeletConfig holds the image settings of a KubeletConfiguration
// (kubelet.config.k8s.io/v1beta1), spelled as it spells them. Unset fields
// keep the kubelet's defaults.
type KubeletConfig struct {
	SerializeImagePulls                    *bool            `json:"serializeImagePulls,omitempty"`
	MaxParallelImagePulls                  *int32           `json:"maxParallelImagePulls,omitempty"`
	RegistryPullQPS                        *int32           `json:"registryPullQPS,omitempty"`
	RegistryBurst                          *int32           `json:"registryBurst,omitempty"`
	ImageGCHighThresholdPercent            *int32           `json:"imageGCHighThresholdPercent,omitempty"`
	ImageGCLowThresholdPercent             *int32           `json:"imageGCLowThresholdPercent,omitempty"`
	ImageMinimumGCAge                      *metav1.Duration `json:"imageMinimumGCAge,omitempty"`
	ImageMaximumGCAge                      *metav1.Duration `json:"imageMaximumGCAge,omitempty"`
	ImagePullCredentialsVerificationPolicy string           `json:"imagePullCredentialsVerificationPolicy,omitempty"`
	PreloadedImagesVerificationAllowlist   []string         `json:"preloadedImagesVerificationAllowlist,omitempty"`
	NodeStatusMaxImages                    *int32           `json:"nodeStatusMaxImages,omitempty"`
	// FeatureGates are set on top of the kubelet minor's defaults
	// (node.WithFeatureGate): a gate the minor does not have is refused.
	FeatureGates map[string]bool `json:"featureGates,omitempty"`
}

// Step is one moment of the scenario: at a virtual time (from the start),
// at most one action, then an optional advance of time, then expectations
// about what the step caused and how things stand.
type Step struct {
	// At is the virtual time of the step. Steps are in time order: a step
	// may not start before the previous one's At plus its Advance.
	At   metav1.Duration `json:"at"`
	Name string          `json:"name,omitempty"`
	// Node is the node the action is for; it may be left out when the
	// scenario has one node. Pods with spec.nodeName go to that node.
	Node string `json:"node,omitempty"`

	// Push pushes a build under a tag; pushing under a tag that names
	// another build moves the tag.
	Push *ImageSpec `json:"push,omitempty"`
	// Apply creates the pods of manifests, as kubectl apply -f does.
	Apply *ApplySpec `json:"apply,omitempty"`
	// Delete deletes a pod.
	Delete *PodRef `json:"delete,omitempty"`
	// LoadImage side-loads a build onto the node (kind load, ctr import).
	LoadImage *ImageSpec `json:"loadImage,omitempty"`
	// Fault switches a registry fault on.
	Fault *FaultSpec `json:"fault,omitempty"`
	// ClearFault switches the fault of a scope off.
	ClearFault *FaultSpec `json:"clearFault,omitempty"`
	// RestartKubelet restarts the node's kubelet.
	RestartKubelet bool `json:"restartKubelet,omitempty"`
	// GarbageCollect runs one image garbage collection on the node.
	GarbageCollect bool `json:"garbageCollect,omitempty"`
	// Exit ends a running container with an exit code, as if its process
	// had exited; the kubelet restarts it by the pod's restartPolicy.
	Exit *ExitSpec `json:"exit,omitempty"`

	// Advance lets virtual time run after the action: pulls finish, failing
	// pods are retried at the kubelet's cadence.
	Advance *metav1.Duration `json:"advance,omitempty"`
	// Expect is checked after the action and the advance.
	Expect *Expect `json:"expect,omitempty"`
}

// ApplySpec names manifests: a file or a directory (relative to the
// scenario file; a directory's .yaml, .yml and .json files in name order,
// as kubectl apply -f reads one) or an inline object (a Pod, a workload, a
// v1 List) or a string of YAML documents. Exactly one of Path and
// Manifest. Workloads yield the pods their controllers would create
// (node/kube); a ServiceAccount or a Secret (such as an image pull secret)
// creates that object in the cluster, in document order, so that the pods
// after it may name it (one the cluster has already, with the same
// imagePullSecrets or data, is left unchanged; with others, refused);
// documents of other kinds are skipped. A workload that makes no pods
// (replicas: 0, suspend: true) is named in the step's action with why;
// manifests that would create nothing at all are refused.
//
// An object an earlier step applied (same kind, namespace and name; a Pod
// also on the same node) is updated as kubectl apply updates it. Its pull
// policies follow the three-way rule: a field the new manifest sets takes
// that value; one the previous manifest set and the new one leaves out is
// defaulted again from the new image; one neither sets keeps the value the
// API server stored at create, so web:2.4 changed to web:latest stays
// IfNotPresent. Applied with the same template it is "unchanged". A changed
// template is "configured": a Deployment or DaemonSet rolls out, its new
// pods (a Deployment's named by the new pod-template-hash) created first,
// placed as on a create, then its old pods deleted (they terminate with
// their grace period), all at the step's time, where a RollingUpdate
// (maxSurge and maxUnavailable 25%) replaces them a few at a time as the
// new ones become available; a ReplicaSet, ReplicationController or
// CronJob keeps its pods, as its controller does. Refused: a Pod's changed
// image (kubectl would patch it in place, which pullsim does not model;
// delete the pod first), any other change to a Pod or a Job's template
// (the API server refuses it), a StatefulSet's rollout, and a change of
// replicas alone, and a DaemonSet applied to another set of nodes than
// before.
type ApplySpec struct {
	Path     string          `json:"path,omitempty"`
	Manifest json.RawMessage `json:"manifest,omitempty"`
	// Nodes places the pods without spec.nodeName on these nodes in turn,
	// as a scheduler spreading a workload would; unset, they go to the
	// step's node. A DaemonSet makes one pod on each of these nodes, as its
	// controller makes one per node; unset, on the step's node, or on every
	// node of the scenario when the step names none.
	Nodes []string `json:"nodes,omitempty"`
}

// ExitSpec names a running container and the code it exits with.
type ExitSpec struct {
	Namespace string `json:"namespace,omitempty"`
	Pod       string `json:"pod"`
	Container string `json:"container"`
	ExitCode  int    `json:"exitCode,omitempty"`
}

// PodRef names a pod; the namespace defaults to "default".
type PodRef struct {
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// FaultSpec is a registry fault.
type FaultSpec struct {
	// Scope is a host (docker.io) or a repository (nginx,
	// localhost:5000/app).
	Scope string `json:"scope"`
	// Kind is Unavailable, Timeout, NotFound, Unauthorized, TooManyRequests,
	// ServerError, Signature or CorruptBlob (not for clearFault).
	Kind string `json:"kind,omitempty"`
	// Requests is how many requests the fault affects; 0 is until cleared.
	Requests int `json:"requests,omitempty"`
	// Op limits the fault to resolve, manifest or blob requests.
	Op string `json:"op,omitempty"`
	// Message is the runtime's error text of a Message fault, reported
	// byte for byte.
	Message string `json:"message,omitempty"`
}

// Expect is what a step expects. Counts (pulls, registryRequests, bytes,
// events) are of what the step caused: its action and its advance.
type Expect struct {
	Pods   []PodExpect   `json:"pods,omitempty"`
	Events []EventExpect `json:"events,omitempty"`
	// Pulls is how many runtime pulls finished.
	Pulls *int `json:"pulls,omitempty"`
	// RegistryRequests is how many requests registries answered.
	RegistryRequests *int `json:"registryRequests,omitempty"`
	// Bytes is how many blob bytes registries served.
	Bytes *int64 `json:"bytes,omitempty"`
}

// PodExpect is how a pod stands after the step.
type PodExpect struct {
	Node      string `json:"node,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Phase is Pending, Running, Succeeded or Failed.
	Phase      string            `json:"phase,omitempty"`
	Containers []ContainerExpect `json:"containers,omitempty"`
}

// ContainerExpect is how one container of a pod stands. Unset fields are not
// checked.
type ContainerExpect struct {
	Name string `json:"name"`
	// ImagePullPolicy is the policy after defaulting.
	ImagePullPolicy string `json:"imagePullPolicy,omitempty"`
	Running         *bool  `json:"running,omitempty"`
	// Reason is the waiting reason; "" expects a container that does not
	// wait.
	Reason *string `json:"reason,omitempty"`
	// Message is a substring of the waiting message.
	Message *string `json:"message,omitempty"`
	// Build is the name of the build the container runs.
	Build *string `json:"build,omitempty"`
	// Digest is the manifest digest of the image the container runs.
	Digest       *string `json:"digest,omitempty"`
	RestartCount *int    `json:"restartCount,omitempty"`
}

// EventExpect matches events the step caused. Count, when set, is the exact
// number of matching events; unset, at least one must match.
type EventExpect struct {
	Node string `json:"node,omitempty"`
	// Pod is the name of the pod the event is about.
	Pod     string `json:"pod,omitempty"`
	Type    string `json:"type,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"` // a substring
	Count   *int   `json:"count,omitempty"`
}
