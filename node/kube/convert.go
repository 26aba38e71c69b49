package kube

// Conversions between core/v1 Pods and node.Pod.

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// PodFromCore converts a core/v1 Pod into the pod pullsim models: the fields
// the package documentation lists, spec and status. It copies what it
// takes, so p may change afterwards. Nothing is defaulted: an empty
// namespace or imagePullPolicy stays empty (the node fills both at
// CreatePod). It fails on a nil pod and on a container state that holds
// more than one of waiting, running and terminated.
func PodFromCore(p *corev1.Pod) (node.Pod, error) {
	if p == nil {
		return node.Pod{}, errors.New("PodFromCore: nil pod")
	}
	out := node.Pod{
		Name:              p.Name,
		GenerateName:      p.GenerateName,
		Namespace:         p.Namespace,
		UID:               string(p.UID),
		Labels:            maps.Clone(p.Labels),
		Annotations:       maps.Clone(p.Annotations),
		CreationTimestamp: timeOf(p.CreationTimestamp),
	}
	s := &p.Spec
	out.Spec = node.PodSpec{
		InitContainers:     containersFromCore(s.InitContainers),
		Containers:         containersFromCore(s.Containers),
		ServiceAccountName: s.ServiceAccountName,
		NodeName:           s.NodeName,
		RestartPolicy:      node.RestartPolicy(s.RestartPolicy),
	}
	if out.Spec.ServiceAccountName == "" {
		out.Spec.ServiceAccountName = s.DeprecatedServiceAccount
	}
	if s.TerminationGracePeriodSeconds != nil {
		v := *s.TerminationGracePeriodSeconds
		out.Spec.TerminationGracePeriodSeconds = &v
	}
	for _, e := range s.EphemeralContainers {
		out.Spec.EphemeralContainers = append(out.Spec.EphemeralContainers, containerFromCore(corev1.Container{
			Name: e.Name, Image: e.Image, ImagePullPolicy: e.ImagePullPolicy, VolumeMounts: e.VolumeMounts,
		}))
	}
	for _, r := range s.ImagePullSecrets {
		out.Spec.ImagePullSecrets = append(out.Spec.ImagePullSecrets, r.Name)
	}
	for _, v := range s.Volumes {
		vol := node.Volume{Name: v.Name}
		if v.Image != nil {
			vol.Image = &node.ImageVolumeSource{Reference: v.Image.Reference, PullPolicy: pullpolicy.PullPolicy(v.Image.PullPolicy)}
		}
		out.Spec.Volumes = append(out.Spec.Volumes, vol)
	}
	out.Status.Phase = node.PodPhase(p.Status.Phase)
	var err error
	if out.Status.InitContainerStatuses, err = statusesFromCore("status.initContainerStatuses", p.Status.InitContainerStatuses); err != nil {
		return node.Pod{}, err
	}
	if out.Status.ContainerStatuses, err = statusesFromCore("status.containerStatuses", p.Status.ContainerStatuses); err != nil {
		return node.Pod{}, err
	}
	return out, nil
}

func containersFromCore(cs []corev1.Container) []node.Container { return mapAll(cs, containerFromCore) }

// mapAll converts each element of in with f; nil for an empty slice.
func mapAll[A, B any](in []A, f func(A) B) []B {
	if len(in) == 0 {
		return nil
	}
	out := make([]B, len(in))
	for i, a := range in {
		out[i] = f(a)
	}
	return out
}

func containerFromCore(c corev1.Container) node.Container {
	out := node.Container{Name: c.Name, Image: c.Image, ImagePullPolicy: pullpolicy.PullPolicy(c.ImagePullPolicy)}
	if c.RestartPolicy != nil {
		out.RestartPolicy = node.ContainerRestartPolicy(*c.RestartPolicy)
	}
	for _, m := range c.VolumeMounts {
		out.VolumeMounts = append(out.VolumeMounts, node.VolumeMount{Name: m.Name, MountPath: m.MountPath, ReadOnly: m.ReadOnly})
	}
	return out
}

func statusesFromCore(path string, ss []corev1.ContainerStatus) ([]node.ContainerStatus, error) {
	if len(ss) == 0 {
		return nil, nil
	}
	out := make([]node.ContainerStatus, len(ss))
	for i, s := range ss {
		st, err := stateFromCore(s.State, s.ContainerID)
		if err != nil {
			return nil, fmt.Errorf("%s[%d].state: %w", path, i, err)
		}
		last, err := stateFromCore(s.LastTerminationState, "")
		if err != nil {
			return nil, fmt.Errorf("%s[%d].lastState: %w", path, i, err)
		}
		out[i] = node.ContainerStatus{
			Name: s.Name, Image: s.Image, ImageID: s.ImageID, ContainerID: s.ContainerID,
			State: st, LastState: last, Ready: s.Ready, RestartCount: int(s.RestartCount),
		}
	}
	return out, nil
}

// stateFromCore converts a container state; a terminated state's container
// ID is kept only when it is not the status's own (id).
func stateFromCore(s corev1.ContainerState, id string) (node.ContainerState, error) {
	var out node.ContainerState
	n := 0
	if w := s.Waiting; w != nil {
		n++
		out.Waiting = &node.ContainerStateWaiting{Reason: w.Reason, Message: w.Message}
	}
	if r := s.Running; r != nil {
		n++
		out.Running = &node.ContainerStateRunning{StartedAt: timeOf(r.StartedAt)}
	}
	if t := s.Terminated; t != nil {
		n++
		out.Terminated = &node.ContainerStateTerminated{Reason: t.Reason, ExitCode: int(t.ExitCode), StartedAt: timeOf(t.StartedAt), FinishedAt: timeOf(t.FinishedAt)}
		if t.ContainerID != id {
			out.Terminated.ContainerID = t.ContainerID
		}
	}
	if n > 1 {
		return node.ContainerState{}, errors.New("may not specify more than 1 of waiting, running and terminated")
	}
	return out, nil
}

// validateMeta returns the API server's errors for the metadata of an
// object being created (k8s.io/apimachinery/pkg/api/validation:
// ValidateObjectMeta): name or generateName as nameFn wants them, the
// namespace a DNS label, labels, annotations, owner references and
// finalizers. As the API server does before it validates, the namespace
// defaults to "default" and a generateName is completed.
func validateMeta(m metav1.ObjectMeta, nameFn apivalidation.ValidateNameFunc) []string {
	if m.Namespace == "" {
		m.Namespace = "default"
	}
	if m.Name == "" && m.GenerateName != "" {
		m.Name = workloadName(m)
	}
	return fieldErrors(apivalidation.ValidateObjectMeta(&m, true, nameFn, field.NewPath("metadata")))
}

// fieldErrors returns the texts of field errors.
func fieldErrors(errs field.ErrorList) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}

// validatePodSpec returns the API server's field errors for the parts of a
// pod spec pullsim reads (pkg/apis/core/validation: ValidatePodSpec), at
// path. policies, when set, are the restart policies the pod's owner
// allows.
func validatePodSpec(path string, s *corev1.PodSpec, policies []corev1.RestartPolicy) []string {
	var errs []string
	if len(s.Containers) == 0 {
		errs = append(errs, path+".containers: Required value")
	}
	volumes := make(map[string]bool, len(s.Volumes))
	for i, v := range s.Volumes {
		p := path + ".volumes[" + strconv.Itoa(i) + "]"
		switch {
		case v.Name == "":
			errs = append(errs, p+".name: Required value")
		case volumes[v.Name]:
			errs = append(errs, fmt.Sprintf("%s.name: Duplicate value: %q", p, v.Name))
		}
		volumes[v.Name] = true
		errs = append(errs, validateOneVolumeType(p, v.VolumeSource)...)
		if v.Image != nil {
			if v.Image.Reference == "" {
				errs = append(errs, p+".image.reference: Required value")
			}
			errs = append(errs, validatePullPolicy(p+".image.pullPolicy", v.Image.PullPolicy)...)
		}
	}
	names := map[string]bool{}
	check := func(list string, cs []corev1.Container, init bool) {
		for i, c := range cs {
			p := path + "." + list + "[" + strconv.Itoa(i) + "]"
			switch {
			case c.Name == "":
				errs = append(errs, p+".name: Required value")
			case names[c.Name]:
				errs = append(errs, fmt.Sprintf("%s.name: Duplicate value: %q", p, c.Name))
			default:
				for _, msg := range validation.IsDNS1123Label(c.Name) {
					errs = append(errs, field.Invalid(field.NewPath(p+".name"), c.Name, msg).Error())
				}
			}
			names[c.Name] = true
			switch {
			case c.Image == "":
				errs = append(errs, p+".image: Required value")
			case strings.TrimSpace(c.Image) != c.Image:
				errs = append(errs, fmt.Sprintf("%s.image: Invalid value: %q: must not have leading or trailing whitespace", p, c.Image))
			}
			errs = append(errs, validatePullPolicy(p+".imagePullPolicy", c.ImagePullPolicy)...)
			if r := c.RestartPolicy; r != nil {
				switch {
				case !init:
					errs = append(errs, p+".restartPolicy: Forbidden: may not be set for non-init containers")
				case *r != corev1.ContainerRestartPolicyAlways:
					errs = append(errs, fmt.Sprintf("%s.restartPolicy: Unsupported value: %q: supported values: %q", p, *r, corev1.ContainerRestartPolicyAlways))
				}
			}
			for j, m := range c.VolumeMounts {
				mp := p + ".volumeMounts[" + strconv.Itoa(j) + "]"
				switch {
				case m.Name == "":
					errs = append(errs, mp+".name: Required value")
				case !volumes[m.Name]:
					errs = append(errs, fmt.Sprintf("%s.name: Not found: %q", mp, m.Name))
				}
				if m.MountPath == "" {
					errs = append(errs, mp+".mountPath: Required value")
				}
			}
		}
	}
	check("initContainers", s.InitContainers, true)
	check("containers", s.Containers, false)
	restart := s.RestartPolicy
	if restart == "" {
		restart = corev1.RestartPolicyAlways // SetDefaults_PodSpec
	}
	all := []corev1.RestartPolicy{corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}
	if policies == nil {
		policies = all
	}
	if !slices.Contains(policies, restart) {
		errs = append(errs, fmt.Sprintf("%s.restartPolicy: Unsupported value: %q: supported values: %s", path, restart, quoteAll(policies)))
	}
	return errs
}

func validatePullPolicy(path string, p corev1.PullPolicy) []string {
	if p == "" {
		return nil
	}
	if _, err := pullpolicy.ParsePullPolicy(string(p)); err != nil {
		return []string{path + ": " + err.Error()}
	}
	return nil
}

func quoteAll(ps []corev1.RestartPolicy) string {
	q := make([]string, len(ps))
	for i, p := range ps {
		q[i] = strconv.Quote(string(p))
	}
	return strings.Join(q, ", ")
}

// joinFieldErrors is the API server's aggregate of field errors: one, or
// "[e1, e2]".
func joinFieldErrors(errs []string) error {
	if len(errs) == 1 {
		return errors.New(errs[0])
	}
	return errors.New("[" + strings.Join(errs, ", ") + "]")
}

// timeOf returns an API time in UTC, as a node's clock gives times.
func timeOf(t metav1.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// validateOneVolumeType refuses a volume with more than one source, as the
// API server's validateVolumeSource does: each source after the first, in
// the order VolumeSource declares them, is Forbidden at its own field.
func validateOneVolumeType(path string, vs corev1.VolumeSource) []string {
	var errs []string
	v := reflect.ValueOf(vs)
	seen := false
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() != reflect.Pointer || f.IsNil() {
			continue
		}
		if seen {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			errs = append(errs, path+"."+name+": Forbidden: may not specify more than 1 volume type")
		}
		seen = true
	}
	return errs
}
