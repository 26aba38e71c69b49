package node

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// This file renders pods the way kubectl does: `kubectl describe pod` and
// `kubectl get pods`. The output is presentation: golden-tested, but not a
// stable API. It uses kubectl's layout for the fields pullsim models and
// leaves out those it does not (IPs, conditions, volumes, QoS, ...). One
// line is pullsim's addition, as the lesson expects it: "Image pull policy"
// in each container, marked "(pullsim)". kubectl shows the policy only in
// `kubectl get pod -o yaml` (node/kube's PodYAML).

// Describe writes `kubectl describe pod` for a pod, with ages measured from
// the node's clock. Repeated events are aggregated as kubectl shows them:
// "21s (x3 over 61s)". Init containers, when the pod has any, come first
// under "Init Containers:", as kubectl lists them. The "Image pull policy:"
// line of each container is pullsim's addition to kubectl's layout, marked
// "(pullsim)": kubectl describe does not print the policy (only `kubectl get
// pod -o yaml` shows it).
// A container's mounts and the pod's image volumes appear as kubectl shows
// them; volumes of other types, whose sources pullsim does not model, are
// left out of the Volumes section.
func (n *Node) Describe(w io.Writer, namespace, name string) error {
	if w == nil {
		return fmt.Errorf("node %s: describe: the io.Writer is nil", n.name)
	}
	n.catchUp()
	ps := n.workers.pods[podID(namespace, name)]
	if ps == nil {
		return n.notFound(name)
	}
	now := n.now()
	p := ps.export()
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\n", p.Name)
	fmt.Fprintf(tw, "Namespace:\t%s\n", p.Namespace)
	fmt.Fprintf(tw, "Service Account:\t%s\n", p.Spec.ServiceAccountName)
	fmt.Fprintf(tw, "Node:\t%s\n", n.name)
	fmt.Fprintf(tw, "Start Time:\t%s\n", ps.createdAt.Format(time.RFC1123Z))
	if ps.terminating {
		// kubectl: "Terminating (lasts <how long ago deletion began>)".
		fmt.Fprintf(tw, "Status:\tTerminating (lasts %s)\n", HumanDuration(now.Sub(ps.deletedAt())))
		fmt.Fprintf(tw, "Termination Grace Period:\t%ds\n", int64(ps.spec.terminationGrace()/time.Second))
	} else {
		fmt.Fprintf(tw, "Status:\t%s\n", p.Status.Phase)
	}
	if len(ps.inits()) > 0 {
		fmt.Fprintf(tw, "Init Containers:\n")
		for _, c := range ps.inits() {
			n.describeContainer(tw, ps, c)
		}
	}
	fmt.Fprintf(tw, "Containers:\n")
	for _, c := range ps.apps() {
		n.describeContainer(tw, ps, c)
	}
	describeVolumes(tw, p.Spec.Volumes)
	n.describeEvents(tw, ps, now)
	return tw.Flush()
}

func (n *Node) describeContainer(w io.Writer, ps *podState, c *containerState) {
	s := c.status(ps.createdAt)
	fmt.Fprintf(w, "  %s:\n", c.spec.Name)
	fmt.Fprintf(w, "    Container ID:\t%s\n", s.ContainerID)
	fmt.Fprintf(w, "    Image:\t%s\n", c.spec.Image)
	fmt.Fprintf(w, "    Image ID:\t%s\n", s.ImageID)
	fmt.Fprintf(w, "    Image pull policy:\t%s (pullsim)\n", c.spec.ImagePullPolicy)
	if c.sidecar {
		fmt.Fprintf(w, "    Restart Policy:\t%s\n", c.spec.RestartPolicy)
	}
	describeState(w, "State", s.State)
	if s.LastState.Terminated != nil {
		describeState(w, "Last State", s.LastState)
	}
	fmt.Fprintf(w, "    Ready:\t%s\n", titleBool(s.Ready))
	fmt.Fprintf(w, "    Restart Count:\t%d\n", s.RestartCount)
	if len(c.spec.VolumeMounts) > 0 {
		fmt.Fprintf(w, "    Mounts:\n")
		mounts := slices.SortedFunc(slices.Values(c.spec.VolumeMounts), func(a, b VolumeMount) int { return strings.Compare(a.MountPath, b.MountPath) })
		for _, m := range mounts {
			mode := "rw"
			if m.ReadOnly {
				mode = "ro"
			}
			fmt.Fprintf(w, "      %s from %s (%s)\n", m.MountPath, m.Name, mode)
		}
	}
}

// describeState prints a container state as kubectl's describe does.
func describeState(w io.Writer, label string, st ContainerState) {
	switch {
	case st.Running != nil:
		fmt.Fprintf(w, "    %s:\tRunning\n", label)
		fmt.Fprintf(w, "      Started:\t%s\n", st.Running.StartedAt.Format(time.RFC1123Z))
	case st.Terminated != nil:
		t := st.Terminated
		fmt.Fprintf(w, "    %s:\tTerminated\n", label)
		fmt.Fprintf(w, "      Reason:\t%s\n", t.Reason)
		fmt.Fprintf(w, "      Exit Code:\t%d\n", t.ExitCode)
		fmt.Fprintf(w, "      Started:\t%s\n", t.StartedAt.Format(time.RFC1123Z))
		fmt.Fprintf(w, "      Finished:\t%s\n", t.FinishedAt.Format(time.RFC1123Z))
	default:
		fmt.Fprintf(w, "    %s:\tWaiting\n", label)
		fmt.Fprintf(w, "      Reason:\t%s\n", st.Waiting.Reason)
	}
}

// describeVolumes is kubectl's Volumes section, for the image volumes: the
// sources of other volume types are not modelled.
func describeVolumes(w io.Writer, vols []Volume) {
	if !slices.ContainsFunc(vols, func(v Volume) bool { return v.Image != nil }) {
		return
	}
	fmt.Fprintf(w, "Volumes:\n")
	for _, v := range vols {
		if v.Image == nil {
			continue
		}
		fmt.Fprintf(w, "  %s:\n", v.Name)
		fmt.Fprintf(w, "    Type:\tImage (a container image or OCI artifact)\n")
		fmt.Fprintf(w, "    Reference:\t%s\n", v.Image.Reference)
		fmt.Fprintf(w, "    PullPolicy:\t%s\n", v.Image.PullPolicy)
	}
}

func titleBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// aggregatedEvent is what the API holds after client-go's event correlator
// has merged repeats: identical events about one object count up.
type aggregatedEvent struct {
	Event
	count       int
	first, last time.Time
}

func (n *Node) describeEvents(w io.Writer, ps *podState, now time.Time) {
	var agg []*aggregatedEvent
	index := map[string]*aggregatedEvent{}
	n.events.about(ps.uid(), func(e Event) {
		key := e.Object.FieldPath + "\x00" + e.Type + "\x00" + e.Reason + "\x00" + e.Message
		if a := index[key]; a != nil {
			a.count++
			a.last = e.At
			return
		}
		a := &aggregatedEvent{Event: e, count: 1, first: e.At, last: e.At}
		index[key] = a
		agg = append(agg, a)
	})
	slices.SortStableFunc(agg, func(a, b *aggregatedEvent) int { return a.last.Compare(b.last) })
	fmt.Fprintf(w, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
	fmt.Fprintf(w, "  ----\t------\t----\t----\t-------\n")
	if !ps.bound {
		// A pod created with spec.nodeName set was never scheduled.
		fmt.Fprintf(w, "  Normal\tScheduled\t%s\tdefault-scheduler\tSuccessfully assigned %s/%s to %s\n",
			HumanDuration(now.Sub(ps.createdAt)), ps.namespace(), ps.name(), n.name)
	}
	for _, a := range agg {
		age := HumanDuration(now.Sub(a.first))
		if a.count > 1 {
			age = fmt.Sprintf("%s (x%d over %s)", HumanDuration(now.Sub(a.last)), a.count, age)
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\tkubelet\t%s\n", a.Type, a.Reason, age, strings.TrimSpace(a.Message))
	}
}

// GetPods writes `kubectl get pods` for the node's pods in a namespace, or
// for every namespace with a NAMESPACE column (`-A`) when namespace is
// empty. STATUS is derived as kubectl derives it: the waiting reason of a
// container (ErrImagePull, ImagePullBackOff, ErrImageNeverPull, ...),
// "Init:<reason>" or "Init:N/M" while init containers run, else the phase.
func (n *Node) GetPods(w io.Writer, namespace string) error {
	if w == nil {
		return fmt.Errorf("node %s: get pods: the io.Writer is nil", n.name)
	}
	n.catchUp()
	now := n.now()
	tw := tabwriter.NewWriter(w, 6, 4, 3, ' ', 0)
	if namespace == "" {
		fmt.Fprintf(tw, "NAMESPACE\t")
	}
	fmt.Fprintf(tw, "NAME\tREADY\tSTATUS\tRESTARTS\tAGE\n")
	for ps := n.workers.first; ps != nil; ps = ps.next {
		if namespace != "" && ps.namespace() != namespace {
			continue
		}
		if namespace == "" {
			fmt.Fprintf(tw, "%s\t", ps.namespace())
		}
		// kubectl's printPod: READY counts app containers and native
		// sidecars; RESTARTS adds up init and app containers'.
		ready, total, restarts := 0, len(ps.apps()), 0
		var lastRestart time.Time
		initialized := ps.initialized()
		for _, c := range ps.ctrs {
			if c.sidecar {
				total++
			}
			if c.running && (c.sidecar || !c.init) {
				ready++
			}
			if c.init && !c.sidecar && initialized {
				continue // once initialized, kubectl counts sidecars' and app containers' restarts
			}
			restarts += int(c.restarts)
			// kubectl dates the last restart by the end of the last
			// terminated instance (lastState.terminated.finishedAt).
			if t := c.lastExit(); c.restarts > 0 && t.After(lastRestart) {
				lastRestart = t
			}
		}
		rs := strconv.Itoa(restarts)
		if restarts > 0 {
			rs = fmt.Sprintf("%d (%s ago)", restarts, HumanDuration(now.Sub(lastRestart)))
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%s\t%s\n", ps.name(), ready, total, podStatus(ps), rs, HumanDuration(now.Sub(ps.createdAt)))
	}
	return tw.Flush()
}

// podStatus is kubectl's printPod STATUS column.
func podStatus(ps *podState) string {
	p := ps.export()
	reason := string(p.Status.Phase)
	for i, c := range p.Status.InitContainerStatuses {
		if ps.initialized() {
			break // kubectl reads init statuses only while the pod initializes
		}
		switch {
		case c.State.Terminated != nil && c.State.Terminated.ExitCode == 0:
			continue
		case ps.inits()[i].sidecar && c.State.Running != nil:
			continue // a started sidecar counts as initialized
		case c.State.Terminated != nil && c.State.Terminated.Reason != "":
			reason = "Init:" + c.State.Terminated.Reason
		case c.State.Waiting != nil && c.State.Waiting.Reason != "" && c.State.Waiting.Reason != ReasonPodInitializing:
			reason = "Init:" + c.State.Waiting.Reason
		default:
			reason = fmt.Sprintf("Init:%d/%d", i, len(p.Status.InitContainerStatuses))
		}
		if ps.terminating {
			return "Terminating"
		}
		return reason
	}
	hasRunning := false
	for i := len(p.Status.ContainerStatuses) - 1; i >= 0; i-- {
		st := p.Status.ContainerStatuses[i].State
		switch {
		case st.Waiting != nil && st.Waiting.Reason != "":
			reason = st.Waiting.Reason
		case st.Terminated != nil && st.Terminated.Reason != "":
			reason = st.Terminated.Reason
		case st.Running != nil:
			hasRunning = true
		}
	}
	if reason == ReasonCompleted && hasRunning {
		// kubectl: a completed container beside a running one reads
		// Running if the pod is ready, and it is not: the completed
		// container is not ready.
		reason = "NotReady"
	}
	if ps.terminating {
		return "Terminating"
	}
	return reason
}

// HumanDuration formats an age as kubectl does
// (k8s.io/apimachinery/pkg/util/duration.HumanDuration): "119s", "2m3s",
// "45m", "5h3m", "3d4h", "400d", "2y5d".
func HumanDuration(d time.Duration) string {
	if s := int(d.Seconds()); s < -1 {
		return "<invalid>"
	} else if s < 0 {
		return "0s"
	} else if s < 60*2 {
		return fmt.Sprintf("%ds", s)
	}
	minutes := int(d / time.Minute)
	if minutes < 10 {
		if s := int(d/time.Second) % 60; s != 0 {
			return fmt.Sprintf("%dm%ds", minutes, s)
		}
		return fmt.Sprintf("%dm", minutes)
	} else if minutes < 60*3 {
		return fmt.Sprintf("%dm", minutes)
	}
	hours := int(d / time.Hour)
	if hours < 8 {
		if m := minutes % 60; m != 0 {
			return fmt.Sprintf("%dh%dm", hours, m)
		}
		return fmt.Sprintf("%dh", hours)
	} else if hours < 48 {
		return fmt.Sprintf("%dh", hours)
	} else if hours < 24*8 {
		if h := hours % 24; h != 0 {
			return fmt.Sprintf("%dd%dh", hours/24, h)
		}
		return fmt.Sprintf("%dd", hours/24)
	} else if hours < 24*365*2 {
		return fmt.Sprintf("%dd", hours/24)
	} else if hours < 24*365*8 {
		if dy := (hours / 24) % 365; dy != 0 {
			return fmt.Sprintf("%dy%dd", hours/24/365, dy)
		}
		return fmt.Sprintf("%dy", hours/24/365)
	}
	return fmt.Sprintf("%dy", hours/24/365)
}
