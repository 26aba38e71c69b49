package kube

// The pods a workload's controller creates, named as the controllers in
// pkg/controller name them: the deployment controller's ReplicaSet
// (<deployment>-<pod-template-hash>, controller.ComputeHash), the
// ReplicaSet, ReplicationController, Job and DaemonSet controllers' pods
// (generateName "<owner>-", completed by the API server with five
// characters), the StatefulSet controller's ordinals (getPodName), and the
// CronJob controller's Jobs (getJobName: minutes since 1970 of the
// scheduled time).

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"strconv"
	"time"

	"github.com/pullsim/pullsim/node"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Labels the controllers put on the pods they create.
const (
	labelPodTemplateHash = "pod-template-hash"                  // appsv1.DefaultDeploymentUniqueLabelKey
	labelStatefulPodName = "statefulset.kubernetes.io/pod-name" // appsv1.StatefulSetPodNameLabel
	labelStatefulIndex   = "apps.kubernetes.io/pod-index"       // appsv1.PodIndexLabel
	labelJobName         = "batch.kubernetes.io/job-name"       // batchv1.JobNameLabel
	labelJobNameLegacy   = "job-name"                           // batchv1.LegacyJobNameLabel
	labelJobIndex        = "batch.kubernetes.io/job-completion-index"
)

// maxGeneratedNameLength is how much of a generateName prefix the API server
// keeps: names are at most 63 characters, 5 of them random.
const maxGeneratedNameLength = 63 - 5

// expand returns the pods a decoded object makes; at is the object's place
// in the manifest, which a Pod's generated name derives from with its
// content, so that two equal documents make two pods. nodes are the nodes
// a DaemonSet makes a pod on (see WithNodes); placed, when not nil, holds
// the node of each pod (see Result.Nodes). rev, when not 0, changes the
// generated characters of a controller's pods (see Workload.PodsFrom).
func expand(obj runtime.Object, at string, nodes []string, rev int) (pods []node.Pod, placed []string, err error) {
	if o, ok := obj.(*appsv1.DaemonSet); ok && len(nodes) > 0 {
		w, err := newWorkload(o.ObjectMeta, o.Spec.Selector, &o.Spec.Template, always, apivalidation.NameIsDNSSubdomain)
		if err != nil {
			return nil, nil, err
		}
		w.rev = rev
		// One pod per node, pinned to it by node affinity, which the
		// pod's spec.nodeName does not show: the scheduler binds it. Each
		// name derives from the node's.
		pods, err := w.pods(len(nodes), func(i int) (string, map[string]string) {
			return generateName(w.name+"-", append(w.seed(0), "/"+nodes[i%len(nodes)]+"/"+strconv.Itoa(i/len(nodes))...)), nil
		})
		return pods, nodes[:len(pods)], err
	}
	pods, err = expandObject(obj, at, rev)
	return pods, nil, err
}

// expandObject returns the pods a decoded object makes, a DaemonSet's one
// pod when no nodes are given.
func expandObject(obj runtime.Object, at string, rev int) ([]node.Pod, error) {
	switch o := obj.(type) {
	case *corev1.Pod:
		// Ephemeral containers, which an informer's object may carry, are
		// kept: the node refuses them at create, as the API server does.
		if o.Name == "" && o.GenerateName != "" {
			o.Name = generateName(o.GenerateName, seed(o, at))
		}
		errs := validateMeta(o.ObjectMeta, apivalidation.NameIsDNSSubdomain)
		errs = append(errs, validatePodSpec("spec", &o.Spec, nil)...)
		if len(errs) > 0 {
			return nil, joinFieldErrors(errs)
		}
		p, err := PodFromCore(o)
		if err != nil {
			return nil, err
		}
		p.Namespace = namespaceOf(o.ObjectMeta)
		// Applying a manifest creates a new object: the node gives it a
		// UID, a creation time and a status.
		p.UID, p.CreationTimestamp, p.Status = "", time.Time{}, node.PodStatus{}
		return []node.Pod{p}, nil
	case *appsv1.Deployment:
		w, err := newWorkload(o.ObjectMeta, o.Spec.Selector, &o.Spec.Template, always, apivalidation.NameIsDNSSubdomain)
		if err != nil {
			return nil, err
		}
		w.rev = rev
		hash := podTemplateHash(&o.Spec.Template, o.Status.CollisionCount)
		rs := w.name + "-" + hash
		n, err := replicas(o.Spec.Replicas)
		if err != nil {
			return nil, err
		}
		return w.pods(n, func(i int) (string, map[string]string) {
			return generateName(rs+"-", w.seed(i)), map[string]string{labelPodTemplateHash: hash}
		})
	case *appsv1.ReplicaSet:
		w, err := newWorkload(o.ObjectMeta, o.Spec.Selector, &o.Spec.Template, always, apivalidation.NameIsDNSSubdomain)
		if err != nil {
			return nil, err
		}
		w.rev = rev
		n, err := replicas(o.Spec.Replicas)
		if err != nil {
			return nil, err
		}
		return w.pods(n, w.generated)
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return nil, fmt.Errorf("spec.template: Required value")
		}
		var sel *metav1.LabelSelector // defaults to the template's labels
		if o.Spec.Selector != nil {
			sel = &metav1.LabelSelector{MatchLabels: o.Spec.Selector}
		}
		w, err := newWorkloadAt(o.ObjectMeta, sel, o.Spec.Template, always, apivalidation.NameIsDNSSubdomain, "spec.")
		if err != nil {
			return nil, err
		}
		w.rev = rev
		n, err := replicas(o.Spec.Replicas)
		if err != nil {
			return nil, err
		}
		return w.pods(n, w.generated)
	case *appsv1.DaemonSet:
		w, err := newWorkload(o.ObjectMeta, o.Spec.Selector, &o.Spec.Template, always, apivalidation.NameIsDNSSubdomain)
		if err != nil {
			return nil, err
		}
		w.rev = rev
		return w.pods(1, w.generated)
	case *appsv1.StatefulSet:
		// The controller gives each pod a volume per claim template.
		t := o.Spec.Template.DeepCopy()
		for _, claim := range o.Spec.VolumeClaimTemplates {
			t.Spec.Volumes = append(t.Spec.Volumes, corev1.Volume{Name: claim.Name, VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim.Name + "-" + o.Name},
			}})
		}
		w, err := newWorkload(o.ObjectMeta, o.Spec.Selector, t, always, apivalidation.NameIsDNSLabel)
		if err != nil {
			return nil, err
		}
		w.rev = rev
		n, err := replicas(o.Spec.Replicas)
		if err != nil {
			return nil, err
		}
		return w.pods(n, func(i int) (string, map[string]string) {
			name := w.name + "-" + strconv.Itoa(i)
			return name, map[string]string{labelStatefulPodName: name, labelStatefulIndex: strconv.Itoa(i)}
		})
	case *batchv1.Job:
		return jobPods(o.ObjectMeta, &o.Spec, "spec.", rev)
	case *batchv1.CronJob:
		if errs := validateMeta(o.ObjectMeta, apivalidation.NameIsDNSSubdomain); len(errs) > 0 {
			return nil, joinFieldErrors(errs)
		}
		if o.Spec.Suspend != nil && *o.Spec.Suspend {
			return nil, nil
		}
		job := metav1.ObjectMeta{
			Name:      workloadName(o.ObjectMeta) + "-" + strconv.FormatInt(node.Epoch.Unix()/60, 10),
			Namespace: o.Namespace,
		}
		return jobPods(job, &o.Spec.JobTemplate.Spec, "spec.jobTemplate.spec.", rev)
	}
	return nil, fmt.Errorf("%T carries no pods", obj) // unreachable: Decode lists the kinds
}

// idle returns why a valid workload that expand gave no pods makes none:
// the field, as written, that its controller reads as "no pods"; "" when
// it makes some.
func idle(obj runtime.Object) string {
	zero := func(r *int32) bool { return r != nil && *r == 0 }
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return when(zero(o.Spec.Replicas), "replicas: 0")
	case *appsv1.ReplicaSet:
		return when(zero(o.Spec.Replicas), "replicas: 0")
	case *appsv1.StatefulSet:
		return when(zero(o.Spec.Replicas), "replicas: 0")
	case *corev1.ReplicationController:
		return when(zero(o.Spec.Replicas), "replicas: 0")
	case *batchv1.Job:
		return idleJob(&o.Spec, "")
	case *batchv1.CronJob:
		if o.Spec.Suspend != nil && *o.Spec.Suspend {
			return "suspend: true"
		}
		return idleJob(&o.Spec.JobTemplate.Spec, "jobTemplate.spec.")
	}
	return ""
}

// idleJob is idle for a Job's spec at path (with its trailing dot).
func idleJob(spec *batchv1.JobSpec, path string) string {
	switch {
	case spec.Suspend != nil && *spec.Suspend:
		return path + "suspend: true"
	case spec.Parallelism != nil && *spec.Parallelism == 0:
		return path + "parallelism: 0"
	case spec.Completions != nil && *spec.Completions == 0:
		return path + "completions: 0"
	}
	return ""
}

// when returns s if cond holds, else "".
func when(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}

// The restart policies a workload's template may have.
var (
	always    = []corev1.RestartPolicy{corev1.RestartPolicyAlways}
	jobPolicy = []corev1.RestartPolicy{corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}
)

// workload is a controller with a pod template, validated.
type workload struct {
	name, namespace string
	template        *corev1.PodTemplateSpec
	tmplHash        string
	rev             int // see Workload.PodsFrom
}

// newWorkload validates an apps/v1 workload, whose selector is required.
func newWorkload(meta metav1.ObjectMeta, selector *metav1.LabelSelector, t *corev1.PodTemplateSpec, policies []corev1.RestartPolicy, nameFn apivalidation.ValidateNameFunc) (*workload, error) {
	if selector == nil {
		return nil, fmt.Errorf("spec.selector: Required value")
	}
	return newWorkloadAt(meta, selector, t, policies, nameFn, "spec.")
}

// newWorkloadAt validates a workload whose spec is at the path spec (with
// its trailing dot); a nil selector is not checked. nameFn is how the API
// server checks the kind's names: a DNS subdomain, except a StatefulSet's,
// a DNS label (ValidateStatefulSetName), since its pods' names are
// hostnames.
func newWorkloadAt(meta metav1.ObjectMeta, selector *metav1.LabelSelector, t *corev1.PodTemplateSpec, policies []corev1.RestartPolicy, nameFn apivalidation.ValidateNameFunc, spec string) (*workload, error) {
	errs := validateMeta(meta, nameFn)
	// ValidatePodTemplateSpec: the template's labels and annotations, its
	// spec, and no ephemeral containers.
	tp := field.NewPath(spec + "template")
	errs = append(errs, fieldErrors(metav1validation.ValidateLabels(t.Labels, tp.Child("labels")))...)
	errs = append(errs, fieldErrors(apivalidation.ValidateAnnotations(t.Annotations, tp.Child("annotations")))...)
	errs = append(errs, validatePodSpec(spec+"template.spec", &t.Spec, policies)...)
	if len(t.Spec.EphemeralContainers) > 0 {
		errs = append(errs, field.Forbidden(tp.Child("spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template").Error())
	}
	if selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(selector)
		switch {
		case err != nil:
			errs = append(errs, fmt.Sprintf("%sselector: Invalid value: %v", spec, err))
		case sel.Empty():
			errs = append(errs, spec+"selector: Invalid value: {}: empty selector is invalid")
		case !sel.Matches(labels.Set(t.Labels)):
			errs = append(errs, fmt.Sprintf("%stemplate.metadata.labels: Invalid value: %#v: `selector` does not match template `labels`", spec, t.Labels))
		}
	}
	if len(errs) > 0 {
		return nil, joinFieldErrors(errs)
	}
	if _, err := PodFromCore(&corev1.Pod{ObjectMeta: t.ObjectMeta, Spec: t.Spec}); err != nil {
		return nil, err
	}
	w := &workload{name: workloadName(meta), namespace: namespaceOf(meta), template: t}
	w.tmplHash = podTemplateHash(t, nil)
	return w, nil
}

// MaxPodsPerWorkload bounds the pods one workload may make (replicas, a
// Job's parallelism): a simulation of more pods than this on one node is a
// mistake in the manifest, not a scenario.
const MaxPodsPerWorkload = 10_000

// pods makes n pods, asking name for each one's name and extra labels.
func (w *workload) pods(n int, name func(i int) (string, map[string]string)) ([]node.Pod, error) {
	if n > MaxPodsPerWorkload {
		return nil, fmt.Errorf("%d pods: pullsim makes at most %d pods per workload", n, MaxPodsPerWorkload)
	}
	out := make([]node.Pod, 0, n)
	seen := make(map[string]bool, n)
	for i := range n {
		p, _ := PodFromCore(&corev1.Pod{ObjectMeta: w.template.ObjectMeta, Spec: w.template.Spec}) // checked in newWorkloadAt
		var extra map[string]string
		p.Name, extra = name(i)
		for salt := 1; seen[p.Name]; salt++ {
			p.Name, extra = name(i + salt*n) // a suffix collision: derive another
		}
		seen[p.Name] = true
		p.Namespace = w.namespace
		p.GenerateName = ""
		p.UID = ""
		if len(extra) > 0 && p.Labels == nil {
			p.Labels = make(map[string]string, len(extra))
		}
		maps.Copy(p.Labels, extra)
		out = append(out, p)
	}
	return out, nil
}

// generated names pod i "<workload>-<5 characters>".
func (w *workload) generated(i int) (string, map[string]string) {
	return generateName(w.name+"-", w.seed(i)), nil
}

// seed is what pod i's generated characters derive from: the workload, its
// template, the pod's position and, after a rollout, the revision.
func (w *workload) seed(i int) []byte {
	s := w.namespace + "/" + w.name + "/" + w.tmplHash + "/" + strconv.Itoa(i)
	if w.rev != 0 {
		s += "/r" + strconv.Itoa(w.rev)
	}
	return []byte(s)
}

// jobPods returns the pods of a Job (or a CronJob's Job template at path).
func jobPods(meta metav1.ObjectMeta, spec *batchv1.JobSpec, path string, rev int) ([]node.Pod, error) {
	w, err := newWorkloadAt(meta, nil, &spec.Template, jobPolicy, apivalidation.NameIsDNSSubdomain, path)
	if err != nil {
		return nil, err
	}
	w.rev = rev
	if spec.Suspend != nil && *spec.Suspend {
		return nil, nil
	}
	// batch/v1 defaulting: parallelism 1; completions 1 when neither is
	// set; a Job with completions runs at most that many pods at once.
	n := 1
	if spec.Parallelism != nil {
		n = int(*spec.Parallelism)
	}
	if spec.Completions != nil && int(*spec.Completions) < n {
		n = int(*spec.Completions)
	}
	if n < 0 {
		return nil, fmt.Errorf("%sparallelism: Invalid value: %d: must be greater than or equal to 0", path, n)
	}
	indexed := spec.CompletionMode != nil && *spec.CompletionMode == batchv1.IndexedCompletion
	return w.pods(n, func(i int) (string, map[string]string) {
		extra := map[string]string{labelJobName: w.name, labelJobNameLegacy: w.name}
		if indexed {
			idx := strconv.Itoa(i % n)
			extra[labelJobIndex] = idx
			return generateName(w.name+"-"+idx+"-", w.seed(i)), extra
		}
		return generateName(w.name+"-", w.seed(i)), extra
	})
}

// replicas is spec.replicas with apps/v1's default of 1; a negative count
// is refused with the API server's validation error
// (ValidateNonnegativeField).
func replicas(r *int32) (int, error) {
	if r == nil {
		return 1, nil
	}
	if *r < 0 {
		return 0, fmt.Errorf("spec.replicas: Invalid value: %d: must be greater than or equal to 0", *r)
	}
	return int(*r), nil
}

// workloadName is the object's name, or its generateName completed.
func workloadName(meta metav1.ObjectMeta) string {
	if meta.Name != "" {
		return meta.Name
	}
	return generateName(meta.GenerateName, []byte(meta.Namespace+"/"+meta.GenerateName))
}

func namespaceOf(meta metav1.ObjectMeta) string {
	if meta.Namespace == "" {
		return "default"
	}
	return meta.Namespace
}

// generateName completes a generateName prefix as the API server's
// SimpleNameGenerator does, with five characters of the controllers'
// alphabet derived from seed instead of drawn at random.
func generateName(prefix string, seed []byte) string {
	if len(prefix) > maxGeneratedNameLength {
		prefix = prefix[:maxGeneratedNameLength]
	}
	sum := sha256.Sum256(seed)
	var b [5]byte
	for i := range b {
		b[i] = sum[i] & 0x7f // ASCII, so SafeEncodeString maps one byte to one character
	}
	return prefix + utilrand.SafeEncodeString(string(b[:]))
}

// seed returns the bytes a pod's generated name derives from: its content
// and its place in the manifest.
func seed(p *corev1.Pod, at string) []byte {
	b, _ := json.Marshal(p)
	return append(b, at...)
}

// podTemplateHash is the deployment controller's pod-template-hash: an FNV-32a
// hash of the template (and the collision count), written in decimal and
// encoded with the controllers' alphabet. The controller hashes a dump of the
// Go value; pullsim hashes the template's JSON, which is as deterministic.
func podTemplateHash(t *corev1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	b, _ := json.Marshal(t)
	h.Write(b)
	if collisionCount != nil {
		var c [4]byte
		binary.LittleEndian.PutUint32(c[:], uint32(*collisionCount))
		h.Write(c[:])
	}
	return utilrand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}
