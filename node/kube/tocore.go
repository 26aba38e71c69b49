package kube

// node.Pod out as the API shows it: the v1 defaults of
// pkg/apis/core/v1/defaults.go (SetDefaults_Pod, SetDefaults_PodSpec,
// SetDefaults_Container), the DefaultTolerationSeconds admission plugin's
// tolerations, and the status the kubelet writes
// (pkg/kubelet/kubelet_pods.go generateAPIPodStatus,
// pkg/kubelet/status/generate.go).

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// API defaults a created pod shows.
const (
	defaultTerminationGracePeriod = int64(30)
	defaultTolerationSeconds      = int64(300)
	defaultServiceAccount         = "default"
	defaultSchedulerName          = "default-scheduler"
	terminationMessagePath        = "/dev/termination-log"
)

// PodToCore converts a pod into the core/v1 Pod the API shows for it: the
// fields pullsim models, the defaults the API server fills in for fields it
// does not (dnsPolicy, schedulerName, terminationMessagePath, the
// not-ready and unreachable tolerations, ...), and the status of
// [StatusToCore]. Empty fields pullsim models are shown defaulted as well:
// namespace "default", restartPolicy Always, serviceAccountName "default",
// terminationGracePeriodSeconds 30, and imagePullPolicy by the API server's
// rule (a node stores the policy it defaulted at CreatePod, possibly with
// another rule; that stored value is what is shown). The service account
// token volume is not shown.
func PodToCore(p node.Pod) *corev1.Pod {
	out := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:         p.Name,
			GenerateName: p.GenerateName,
			Namespace:    p.Namespace,
			UID:          types.UID(p.UID),
			Labels:       maps.Clone(p.Labels),
			Annotations:  maps.Clone(p.Annotations),
		},
	}
	if out.Namespace == "" {
		out.Namespace = metav1.NamespaceDefault
	}
	if !p.CreationTimestamp.IsZero() {
		out.CreationTimestamp = metav1.NewTime(p.CreationTimestamp)
	}
	if !p.DeletionTimestamp.IsZero() {
		t := metav1.NewTime(p.DeletionTimestamp)
		out.DeletionTimestamp = &t
	}
	s := &out.Spec
	s.InitContainers = containersToCore(p.Spec.InitContainers)
	s.Containers = containersToCore(p.Spec.Containers)
	for _, e := range p.Spec.EphemeralContainers {
		c := containerToCore(e)
		s.EphemeralContainers = append(s.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: c.Name, Image: c.Image, ImagePullPolicy: c.ImagePullPolicy, VolumeMounts: c.VolumeMounts,
			TerminationMessagePath: c.TerminationMessagePath, TerminationMessagePolicy: c.TerminationMessagePolicy,
		}})
	}
	for _, name := range p.Spec.ImagePullSecrets {
		s.ImagePullSecrets = append(s.ImagePullSecrets, corev1.LocalObjectReference{Name: name})
	}
	for _, v := range p.Spec.Volumes {
		vol := corev1.Volume{Name: v.Name}
		if v.Image != nil {
			policy := v.Image.PullPolicy
			if policy == "" {
				policy = pullpolicy.DefaultPullPolicy(v.Image.Reference)
			}
			vol.Image = &corev1.ImageVolumeSource{Reference: v.Image.Reference, PullPolicy: corev1.PullPolicy(policy)}
		} else {
			// The volume's source is not modelled; an emptyDir stands
			// in so that the object stays valid.
			vol.EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
		s.Volumes = append(s.Volumes, vol)
	}
	s.ServiceAccountName = p.Spec.ServiceAccountName
	if s.ServiceAccountName == "" {
		s.ServiceAccountName = defaultServiceAccount
	}
	s.DeprecatedServiceAccount = s.ServiceAccountName
	s.NodeName = p.Spec.NodeName
	s.RestartPolicy = corev1.RestartPolicy(p.Spec.RestartPolicy)
	if s.RestartPolicy == "" {
		s.RestartPolicy = corev1.RestartPolicyAlways
	}
	grace := defaultTerminationGracePeriod
	if p.Spec.TerminationGracePeriodSeconds != nil {
		grace = *p.Spec.TerminationGracePeriodSeconds
	}
	s.TerminationGracePeriodSeconds = &grace
	s.DNSPolicy = corev1.DNSClusterFirst
	s.SchedulerName = defaultSchedulerName
	s.SecurityContext = &corev1.PodSecurityContext{}
	enableLinks, priority, preempt := true, int32(0), corev1.PreemptLowerPriority
	s.EnableServiceLinks, s.Priority, s.PreemptionPolicy = &enableLinks, &priority, &preempt
	for _, key := range []string{"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"} {
		secs := defaultTolerationSeconds
		s.Tolerations = append(s.Tolerations, corev1.Toleration{
			Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &secs,
		})
	}
	out.Status = StatusToCore(p)
	return out
}

func containersToCore(cs []node.Container) []corev1.Container { return mapAll(cs, containerToCore) }

func containerToCore(c node.Container) corev1.Container {
	policy := c.ImagePullPolicy
	if policy == "" {
		policy = pullpolicy.DefaultPullPolicy(c.Image)
	}
	out := corev1.Container{
		Name: c.Name, Image: c.Image, ImagePullPolicy: corev1.PullPolicy(policy),
		TerminationMessagePath:   terminationMessagePath,
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
	}
	if c.RestartPolicy != "" {
		r := corev1.ContainerRestartPolicy(c.RestartPolicy)
		out.RestartPolicy = &r
	}
	for _, m := range c.VolumeMounts {
		out.VolumeMounts = append(out.VolumeMounts, corev1.VolumeMount{Name: m.Name, MountPath: m.MountPath, ReadOnly: m.ReadOnly})
	}
	return out
}

// Condition reasons the kubelet sets (pkg/kubelet/status/generate.go).
const (
	reasonContainersNotInitialized = "ContainersNotInitialized"
	reasonContainersNotReady       = "ContainersNotReady"
	reasonPodCompleted             = "PodCompleted"
	reasonPodFailed                = "PodFailed"
)

// StatusToCore converts a pod's status into core/v1's, as the kubelet
// writes it: the phase; for a pod on a node (one with a creation time),
// the conditions PodReadyToStartContainers, Initialized, Ready,
// ContainersReady and PodScheduled, in the order the API shows them, with
// the kubelet's reasons and messages while false, and startTime; and the
// init and app container statuses with state, lastState, ready, started,
// restartCount, image, imageID and containerID.
//
// The conditions follow the kubelet's rules (pkg/kubelet/status/generate.go):
// Initialized once every init container completed and every native
// sidecar started, or once an app container started; ContainersReady and
// Ready once every app container and native sidecar is ready; a container
// without a status is "unknown". Readiness gates are not modelled.
//
// A condition's lastTransitionTime is when the pod reached it as far as its
// statuses tell: the creation time for scheduling, the sandbox and anything
// still false, the last init container's finish for Initialized, the last
// container start for ContainersReady and Ready. A pod that has not been
// created (no creation time) is Pending with no conditions.
func StatusToCore(p node.Pod) corev1.PodStatus {
	st := corev1.PodStatus{Phase: corev1.PodPhase(p.Status.Phase)}
	if st.Phase == "" {
		st.Phase = corev1.PodPending
	}
	for _, cs := range p.Status.InitContainerStatuses {
		st.InitContainerStatuses = append(st.InitContainerStatuses, statusToCore(cs))
	}
	for _, cs := range p.Status.ContainerStatuses {
		st.ContainerStatuses = append(st.ContainerStatuses, statusToCore(cs))
	}
	if p.CreationTimestamp.IsZero() {
		return st
	}
	created := metav1.NewTime(p.CreationTimestamp)
	st.StartTime = &created

	initialized, containersReady := podConditions(p, st.Phase, created.Time)
	podReady := containersReady // no readiness gates: Ready follows ContainersReady
	podReady.Type = corev1.PodReady
	st.Conditions = []corev1.PodCondition{
		{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue, LastTransitionTime: created},
		initialized,
		podReady,
		containersReady,
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: created},
	}
	return st
}

// podConditions returns the Initialized and ContainersReady conditions as
// the kubelet generates them (GeneratePodInitializedCondition,
// GenerateContainersReadyCondition), walking the spec's containers and
// looking up their statuses by name.
func podConditions(p node.Pod, phase corev1.PodPhase, created time.Time) (initialized, containersReady corev1.PodCondition) {
	statusOf := func(list []node.ContainerStatus, name string) (node.ContainerStatus, bool) {
		for _, cs := range list {
			if cs.Name == name {
				return cs, true
			}
		}
		return node.ContainerStatus{}, false
	}
	notReady := func(t corev1.PodConditionType, reason, what string, unknown, bad []string) corev1.PodCondition {
		var msgs []string
		if len(unknown) > 0 {
			msgs = append(msgs, fmt.Sprintf("containers with unknown status: %s", unknown))
		}
		if len(bad) > 0 {
			msgs = append(msgs, fmt.Sprintf("containers with %s status: %s", what, bad))
		}
		return corev1.PodCondition{Type: t, Status: corev1.ConditionFalse, LastTransitionTime: metav1.NewTime(created),
			Reason: reason, Message: strings.Join(msgs, ", ")}
	}
	trueAt := func(t corev1.PodConditionType, at time.Time) corev1.PodCondition {
		return corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(at)}
	}

	// Initialized: every init container ready (completed), every native
	// sidecar started; or any app container already started.
	var unknown, incomplete []string
	initAt := created
	for _, c := range p.Spec.InitContainers {
		cs, ok := statusOf(p.Status.InitContainerStatuses, c.Name)
		switch {
		case !ok:
			unknown = append(unknown, c.Name)
		case c.RestartPolicy == node.ContainerRestartPolicyAlways && cs.State.Running != nil:
			initAt = later(initAt, cs.State.Running.StartedAt)
		case c.RestartPolicy != node.ContainerRestartPolicyAlways && cs.Ready:
			if t := cs.State.Terminated; t != nil {
				initAt = later(initAt, t.FinishedAt)
			}
		default:
			incomplete = append(incomplete, c.Name)
		}
	}
	appStarted := false
	for _, cs := range p.Status.ContainerStatuses {
		appStarted = appStarted || cs.State.Running != nil || cs.State.Terminated != nil
	}
	switch {
	case phase == corev1.PodSucceeded && len(unknown) == 0:
		initialized = trueAt(corev1.PodInitialized, initAt)
		initialized.Reason = reasonPodCompleted
	case appStarted || len(unknown)+len(incomplete) == 0:
		initialized = trueAt(corev1.PodInitialized, initAt)
	default:
		initialized = notReady(corev1.PodInitialized, reasonContainersNotInitialized, "incomplete", unknown, incomplete)
	}

	// ContainersReady: every native sidecar and app container ready.
	unknown = nil
	var unready []string
	readyAt := created
	check := func(list []node.ContainerStatus, c node.Container) {
		switch cs, ok := statusOf(list, c.Name); {
		case !ok:
			unknown = append(unknown, c.Name)
		case !cs.Ready:
			unready = append(unready, c.Name)
		case cs.State.Running != nil:
			readyAt = later(readyAt, cs.State.Running.StartedAt)
		}
	}
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy == node.ContainerRestartPolicyAlways {
			check(p.Status.InitContainerStatuses, c)
		}
	}
	for _, c := range p.Spec.Containers {
		check(p.Status.ContainerStatuses, c)
	}
	switch {
	case phase == corev1.PodSucceeded && len(unknown) == 0:
		containersReady = corev1.PodCondition{Type: corev1.ContainersReady, Status: corev1.ConditionFalse, LastTransitionTime: metav1.NewTime(readyAt), Reason: reasonPodCompleted}
	case phase == corev1.PodFailed:
		containersReady = corev1.PodCondition{Type: corev1.ContainersReady, Status: corev1.ConditionFalse, LastTransitionTime: metav1.NewTime(readyAt), Reason: reasonPodFailed}
	case len(unknown)+len(unready) > 0:
		containersReady = notReady(corev1.ContainersReady, reasonContainersNotReady, "unready", unknown, unready)
	default:
		containersReady = trueAt(corev1.ContainersReady, readyAt)
	}
	return initialized, containersReady
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func statusToCore(cs node.ContainerStatus) corev1.ContainerStatus {
	started := cs.State.Running != nil
	return corev1.ContainerStatus{
		Name:                 cs.Name,
		State:                stateToCore(cs.State, cs.ContainerID),
		LastTerminationState: stateToCore(cs.LastState, ""),
		Ready:                cs.Ready,
		RestartCount:         int32(cs.RestartCount),
		Image:                cs.Image,
		ImageID:              cs.ImageID,
		ContainerID:          cs.ContainerID,
		Started:              &started,
	}
}

func stateToCore(s node.ContainerState, containerID string) corev1.ContainerState {
	var out corev1.ContainerState
	if w := s.Waiting; w != nil {
		out.Waiting = &corev1.ContainerStateWaiting{Reason: w.Reason, Message: w.Message}
	}
	if r := s.Running; r != nil {
		out.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(r.StartedAt)}
	}
	if t := s.Terminated; t != nil {
		if t.ContainerID != "" {
			containerID = t.ContainerID
		}
		out.Terminated = &corev1.ContainerStateTerminated{
			Reason: t.Reason, ExitCode: int32(t.ExitCode), ContainerID: containerID,
			StartedAt: metav1.NewTime(t.StartedAt), FinishedAt: metav1.NewTime(t.FinishedAt),
		}
	}
	return out
}

// EventToCore converts an event the kubelet on nodeName recorded into the
// core/v1 Event the API server stores: named "<object>.<hex nanoseconds>" as
// client-go's recorder names it, in the object's namespace ("default" for
// node events), with involvedObject (apiVersion v1, kind, namespace, name,
// uid, fieldPath), reason, type, message, count 1 (pullsim records every
// emission; it does not aggregate), first and last timestamp, source
// {component: kubelet, host: nodeName} and reportingComponent and
// reportingInstance.
func EventToCore(e node.Event, nodeName string) corev1.Event {
	ns := e.Object.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	at := metav1.NewTime(e.At)
	return corev1.Event{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Event"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      fmt.Sprintf("%s.%x", e.Object.Name, e.At.UnixNano()),
			Namespace: ns,
		},
		InvolvedObject: corev1.ObjectReference{
			Kind: e.Object.Kind, Namespace: e.Object.Namespace, Name: e.Object.Name,
			UID: types.UID(e.Object.UID), APIVersion: "v1", FieldPath: e.Object.FieldPath,
		},
		Reason:              e.Reason,
		Message:             e.Message,
		Type:                e.Type,
		Count:               1,
		FirstTimestamp:      at,
		LastTimestamp:       at,
		Source:              corev1.EventSource{Component: "kubelet", Host: nodeName},
		ReportingController: "kubelet",
		ReportingInstance:   nodeName,
	}
}
