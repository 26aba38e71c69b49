// Package kube converts between pullsim's pods and Kubernetes' own API
// objects (k8s.io/api v0.37.2): it reads manifests of every workload kind
// into [node.Pod] values, converts a *corev1.Pod in, and gives a node's pods,
// statuses and events back as corev1 objects and as `kubectl get pod -o
// yaml` prints them. It is the only package of pullsim, with the root
// package and the command, that imports k8s.io.
//
// # Reading manifests
//
// [Decode] reads what `kubectl apply -f` reads: one or more YAML documents
// separated by "---", or a stream of JSON objects, each an object of a kind
// the API server knows, or a v1 List of them, or a typed list (PodList,
// DeploymentList, ...) as `kubectl get -o yaml` prints one. Each document
// is decoded by
// apimachinery's strict serializer into the real k8s.io/api type, so the
// API server's rules hold: an unknown or duplicate field is refused with its
// field path, and every valid field is accepted.
//
// Kinds that carry pods yield the pods their controllers would create, with
// the names the controllers give them:
//
//	kind                    pods                            names
//	Pod                     itself                          metadata.name, or generateName + 5 characters
//	Deployment              spec.replicas (default 1)       <name>-<pod-template-hash>-<5 characters>
//	ReplicaSet              spec.replicas (default 1)       <name>-<5 characters>
//	ReplicationController   spec.replicas (default 1)       <name>-<5 characters>
//	StatefulSet             spec.replicas (default 1)       <name>-0, <name>-1, ...
//	DaemonSet               one per node (WithNodes), or 1  <name>-<5 characters>; Result.Nodes names each one's node
//	Job                     min(parallelism, completions)   <name>-<5 characters>; Indexed: <name>-<index>-<5 characters>
//	CronJob                 its Job's pods                  the Job is <name>-<minutes since 1970 of node.Epoch>
//
// Jobs default parallelism and completions to 1; a suspended Job or CronJob
// and a workload with zero replicas yield no pods, and are listed in
// [Result.Idle] with the field that says so. The generated characters
// come from the controllers' alphabet (bcdfghjklmnpqrstvwxz2456789), like
// the pod-template-hash, but are derived from the content instead of drawn at
// random: the same input gives the same names on every run. Pods get their
// workload's namespace ("default" when unset), their template's labels and
// annotations, and the labels the controller adds (pod-template-hash,
// statefulset.kubernetes.io/pod-name, job-name, ...).
//
// Every object that carries pods is also listed in [Result.Workloads]
// under its kind, namespace and name, with its pod template as written and
// its range of pods: what a later apply of the same object updates.
// [Workload.PodsFrom] makes the pods of the template the API server stores
// after such an update, with the names the controller would give them (a
// Deployment's new pod-template-hash).
//
// A workload makes at most [MaxPodsPerWorkload] pods. A Pod document makes
// a new pod: its uid, creationTimestamp and status (as an informer's object
// carries them) are dropped, for the node to set.
//
// ServiceAccount documents are read into [Result.ServiceAccounts] (name,
// namespace defaulted to "default", imagePullSecrets), each with its place
// among the pods: kubectl apply creates a file's objects in document order,
// and a pod that names a service account is refused unless it exists.
// Secret documents are read into [Result.Secrets] the same way, as the API
// server stores them (type defaulted to Opaque, stringData merged into
// data); an image pull secret (kubernetes.io/dockerconfigjson or
// kubernetes.io/dockercfg) without its key, or whose key is not JSON, is
// refused with ValidateSecret's text.
//
// Documents of other kinds (Service, ConfigMap, Ingress, custom resources,
// ...) are no error: they are listed in [Result.Skipped], with their index
// and, inside a v1 List, their item. A kind that an API group pullsim reads
// (core/v1, apps/v1, batch/v1) does not have, such as "kind: pod" or
// "kind: Deploymnet", is refused as the API server refuses it: no matches
// for kind "pod" in version "v1". Empty documents (only comments) are
// ignored and not counted.
//
// # What pullsim reads from a pod
//
// From a pod or a pod template pullsim takes: metadata name, generateName,
// namespace, uid, labels and annotations; spec initContainers, containers and
// ephemeralContainers (name, image, imagePullPolicy, volumeMounts' name,
// mountPath and readOnly, and an init container's restartPolicy, which makes
// it a native sidecar), imagePullSecrets, serviceAccountName (or the
// deprecated serviceAccount), nodeName, volumes (by name; an image volume's
// reference and pullPolicy), restartPolicy and terminationGracePeriodSeconds;
// and status phase and container statuses. Every other field (resources,
// probes, env, affinity, tolerations, securityContext, ...) is accepted and
// ignored: none of them changes whether a node pulls an image.
//
// An empty imagePullPolicy stays empty in the decoded pod: the node defaults
// it when the pod is created, as the API server does, and [PodToCore] and
// [PodYAML] show the stored result.
//
// # Bad input
//
// A manifest with any bad document yields an error and no pods. The error
// names the document's index (counted from 0), kind, name and the field:
//
//	document 1 (Deployment web): strict decoding error: unknown field "spec.template.spec.containers[0].imagePulPolicy"
//	document 0 (Job migrate): spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"
//
// Metadata is checked as the API server checks it at create, with
// apimachinery's ValidateObjectMeta and its texts: names (and generateName
// prefixes) are DNS subdomains, a StatefulSet's a DNS label, namespaces DNS
// labels; labels and annotations are well-formed. Container names are DNS
// labels. A pod template may not hold ephemeral containers ("ephemeral
// containers not allowed in pod template"); a Pod document's are kept, as
// an informer's object carries them, and the node refuses them at create
// ("cannot be set on create").
package kube
