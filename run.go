package pullsim

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/registry"
)

// Result is what a scenario run did: step by step, what each step caused and
// how its expectations fared, and per pod the history a timeline draws.
// Times are virtual; time 0 of the scenario is Start.
type Result struct {
	Name        string       `json:"name"`
	File        string       `json:"file"`
	Description string       `json:"description,omitempty"`
	Start       time.Time    `json:"start"`
	End         time.Time    `json:"end"`
	Steps       []StepResult `json:"steps"`
	// Pods are the pods the scenario created, in creation order; a pod
	// deleted and created again appears twice.
	Pods []PodHistory `json:"pods"`
	// Marks are the moments that change the world outside pods: pushes and
	// tag moves, faults, side-loads, kubelet restarts, garbage collections.
	Marks []Mark `json:"marks"`
	// Nodes are the kubelets that answered: their minor and the feature
	// gates in force.
	Nodes []NodeInfo `json:"nodes"`
}

// NodeInfo is which kubelet a node ran.
type NodeInfo struct {
	Name             string          `json:"name"`
	KubeletVersion   string          `json:"kubeletVersion"`
	ContainerRuntime string          `json:"containerRuntime"`
	FeatureGates     map[string]bool `json:"featureGates"`
}

// StepResult is one step: what it did and caused, and its expectations.
type StepResult struct {
	Index  int             `json:"index"`
	Line   int             `json:"line"`
	Name   string          `json:"name,omitempty"`
	At     metav1.Duration `json:"at"`
	Action string          `json:"action"`
	// Before is what happened between the previous step and this one
	// (retries, pulls finishing); it is not counted against the step.
	Before *Record `json:"before,omitempty"`
	// Record is what the action and the advance caused.
	Record
	// GC is what a garbageCollect step removed.
	GC           *GCRun    `json:"gc,omitempty"`
	Expectations []Outcome `json:"expectations,omitempty"`
}

// GCRun is one image garbage collection (node.GCResult).
type GCRun struct {
	Node        string         `json:"node"`
	Removed     []RemovedImage `json:"removed"`
	UsageBefore int64          `json:"usageBefore"`
	UsageAfter  int64          `json:"usageAfter"`
	Error       string         `json:"error,omitempty"`
}

// RemovedImage is an image GC removed, and why: "age" or "space".
type RemovedImage struct {
	Names  []string `json:"names"`
	Size   int64    `json:"size"`
	Reason string   `json:"reason"`
}

// Outcome is one checked expectation.
type Outcome struct {
	Step  int    `json:"step"`
	Line  int    `json:"line"`
	Field string `json:"field"`
	// What names what was checked, for people: `pod default/app on node-1,
	// container app: build`.
	What string `json:"what"`
	Want string `json:"want"`
	Got  string `json:"got"`
	OK   bool   `json:"ok"`
}

// String reads "ok <what> = <got>" or "FAIL <what>: want <want>, got <got>".
func (o Outcome) String() string {
	if o.OK {
		return fmt.Sprintf("ok    %s = %s", o.What, o.Got)
	}
	return fmt.Sprintf("FAIL  %s: want %s, got %s", o.What, o.Want, o.Got)
}

// PodHistory is one pod's life on a node.
type PodHistory struct {
	Node      string     `json:"node"`
	Namespace string     `json:"namespace"`
	Name      string     `json:"name"`
	UID       string     `json:"uid"`
	Created   time.Time  `json:"created"`
	Deleted   *time.Time `json:"deleted,omitempty"`
	Attempts  []Attempt  `json:"attempts"`
	Pulls     []Pull     `json:"pulls"`
}

// Attempt is one start attempt of a container (node.Attempt).
type Attempt struct {
	At        time.Time `json:"at"`
	Container string    `json:"container"`
	Reason    string    `json:"reason,omitempty"` // "" when the container started
	Message   string    `json:"message,omitempty"`
	Pulled    bool      `json:"pulled"`
}

// Mark is a moment that changed the world outside pods.
type Mark struct {
	At    time.Time `json:"at"`
	Step  int       `json:"step"`
	Kind  MarkKind  `json:"kind"`
	Node  string    `json:"node,omitempty"` // for node-level marks
	Label string    `json:"label"`
}

// MarkKind says what a Mark is; its values are the step actions' names.
type MarkKind string

// Kinds of marks.
const (
	MarkPush           MarkKind = "push" // a tag pushed, or moved
	MarkFault          MarkKind = "fault"
	MarkClearFault     MarkKind = "clearFault"
	MarkLoadImage      MarkKind = "loadImage"
	MarkRestartKubelet MarkKind = "restartKubelet"
	MarkGarbageCollect MarkKind = "garbageCollect"
)

// Passed reports whether every expectation held.
func (r *Result) Passed() bool { return len(r.Failures()) == 0 }

// Failures returns the expectations that did not hold, in step order.
func (r *Result) Failures() []Outcome {
	var out []Outcome
	for _, st := range r.Steps {
		for _, o := range st.Expectations {
			if !o.OK {
				out = append(out, o)
			}
		}
	}
	return out
}

// RunOption configures Run.
type RunOption func(*runConfig)

type runConfig struct {
	transcript io.Writer
}

// WithTranscript makes Run write, step by step, what a person reading the
// cluster would see: the events, `kubectl get pods`, `kubectl describe pod`
// of the pods the step's expectations name, and each expectation's outcome.
// The text is presentation, not a stable format.
func WithTranscript(w io.Writer) RunOption {
	return func(c *runConfig) { c.transcript = w }
}

// world is a running scenario.
type world struct {
	s       *Scenario
	reg     *registry.Registry
	cluster *node.Cluster // the API server's side, shared by the nodes
	clock   *node.ManualClock
	nodes   []*node.Node
	builds  map[string]registry.Image
	names   map[digest.Digest]string // manifest digest -> build name
	rec     *Recorder
	pods    []*PodHistory
	live    map[podKey]*PodHistory
	marks   []Mark
}

// Run runs the scenario on a fresh simulated cluster and returns what
// happened. Failed expectations are in the result, not an error; the error
// is for a step that could not be carried out (a pod the API server
// refuses, for instance), as an *Error naming the step. Each call starts
// afresh, so a Scenario may be run many times with the same result.
func (s *Scenario) Run(opts ...RunOption) (*Result, error) {
	var cfg runConfig
	for _, o := range opts {
		o(&cfg)
	}
	if s == nil || s.plan == nil || len(s.plan) != len(s.Spec.Steps) {
		return nil, errors.New("pullsim: run a scenario that Load or Parse returned")
	}
	w, err := s.newWorld()
	if err != nil {
		return nil, err
	}
	res := &Result{Name: s.Metadata.Name, File: s.file, Description: s.Spec.Description, Start: node.Epoch,
		Steps: []StepResult{}, Pods: []PodHistory{}, Marks: []Mark{}}
	for i, n := range w.nodes {
		ni := NodeInfo{Name: n.Name(), KubeletVersion: n.KubeletVersion(), ContainerRuntime: s.Spec.Nodes[i].ContainerRuntime, FeatureGates: map[string]bool{}}
		if ni.ContainerRuntime == "" {
			ni.ContainerRuntime = string(node.Containerd)
		}
		for _, g := range n.FeatureGates() {
			ni.FeatureGates[g.Name] = g.Enabled
		}
		res.Nodes = append(res.Nodes, ni)
	}
	t := newTranscript(cfg.transcript, w)
	t.header(res)
	for i := range s.Spec.Steps {
		sr, err := w.step(i, t)
		if err != nil {
			return nil, err
		}
		res.Steps = append(res.Steps, sr)
	}
	res.End = w.clock.Now()
	for _, h := range w.pods {
		w.finish(h, res.End)
		res.Pods = append(res.Pods, *h)
	}
	res.Marks = append(res.Marks, w.marks...)
	t.footer(res)
	return res, t.err
}

func (s *Scenario) newWorld() (*world, error) {
	w := &world{s: s, reg: registry.New(), clock: node.NewManualClock(node.Epoch),
		builds: map[string]registry.Image{}, names: map[digest.Digest]string{}, live: map[podKey]*PodHistory{}}
	for _, b := range s.Spec.Builds {
		img := registry.Image{Config: b.Name}
		if r := b.Run; r != nil {
			img.Run = registry.Run{ExitAfter: r.ExitAfter.Duration, ExitCode: r.ExitCode, Reason: r.Reason, StopAfter: r.StopAfter.Duration}
		}
		for _, l := range b.Layers {
			img.Layers = append(img.Layers, registry.Layer{Content: l.Content, Size: l.Size.Value()})
		}
		m, _, err := registry.Build(img)
		if err != nil {
			return nil, err
		}
		w.builds[b.Name] = img
		w.names[m.Digest] = b.Name
	}
	for i, r := range s.Spec.Registries {
		p := fmt.Sprintf("spec.registries[%d]", i)
		if r.Link != nil {
			l := registry.DefaultLink
			if r.Link.Latency != nil {
				l.Latency = r.Link.Latency.Duration
			}
			if r.Link.Bandwidth != nil {
				l.Bandwidth = r.Link.Bandwidth.Value()
			}
			if r.Link.Timeout != nil {
				l.Timeout = r.Link.Timeout.Duration
			}
			if err := w.reg.SetLink(r.Host, l); err != nil {
				return nil, s.errorf(p+".link", "%v", err)
			}
		}
		for j, im := range r.Images {
			if _, err := w.reg.Push(im.Ref, w.builds[im.Build]); err != nil {
				return nil, s.errorf(fmt.Sprintf("%s.images[%d]", p, j), "%v", err)
			}
		}
		for j, pr := range r.Private {
			creds := make([]registry.Credential, len(pr.Credentials))
			for k, c := range pr.Credentials {
				creds[k] = registry.Credential(c)
			}
			if err := w.reg.SetPrivate(pr.Repository, creds...); err != nil {
				return nil, s.errorf(fmt.Sprintf("%s.private[%d]", p, j), "%v", err)
			}
		}
	}
	cluster, err := s.newCluster()
	if err != nil {
		return nil, err
	}
	w.cluster = cluster
	for i, ns := range s.Spec.Nodes {
		p := fmt.Sprintf("spec.nodes[%d]", i)
		opts, err := ns.options()
		if err != nil {
			return nil, s.errorf(p+".kubelet", "%v", err)
		}
		n, err := node.New(ns.Name, w.reg, append(opts, node.WithClock(w.clock), node.WithCluster(cluster))...)
		if err != nil {
			return nil, s.errorf(p+".kubelet", "%v", err)
		}
		for j, im := range ns.Images {
			if _, err := n.LoadImage(im.Ref, w.builds[im.Build]); err != nil {
				return nil, s.errorf(fmt.Sprintf("%s.images[%d]", p, j), "%v", err)
			}
		}
		w.nodes = append(w.nodes, n)
	}
	w.rec = NewRecorder(w.reg, w.nodes...)
	return w, nil
}

// newCluster returns the API server's side of the scenario as it stands
// before the first step: spec.cluster's admission plugin, secrets and
// service accounts. Every object it cannot create is reported.
func (s *Scenario) newCluster() (*node.Cluster, error) {
	cluster := node.NewCluster()
	cluster.SetAlwaysPullImages(s.Spec.Cluster.AlwaysPullImages)
	var errs []error
	for i, sec := range s.Spec.Cluster.Secrets {
		if _, err := cluster.CreateSecret(clusterSecret(sec)); err != nil {
			errs = append(errs, s.errorf(fmt.Sprintf("spec.cluster.secrets[%d]", i), "%v", err))
		}
	}
	for i, sa := range s.Spec.Cluster.ServiceAccounts {
		if _, err := cluster.CreateServiceAccount(node.ServiceAccount{Namespace: sa.Namespace, Name: sa.Name, ImagePullSecrets: sa.ImagePullSecrets}); err != nil {
			errs = append(errs, s.errorf(fmt.Sprintf("spec.cluster.serviceAccounts[%d]", i), "%v", err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cluster, nil
}

// clusterSecret is the secret spec.cluster.secrets declares.
func clusterSecret(sec SecretSpec) node.Secret {
	auths := make(map[string]registry.Credential, len(sec.Auths))
	for loc, c := range sec.Auths {
		auths[loc] = registry.Credential(c)
	}
	return node.DockerConfigSecret(sec.Namespace, sec.Name, auths)
}

// runTo lets virtual time run to t on every node.
func (w *world) runTo(t time.Time) error {
	if !t.After(w.clock.Now()) {
		return nil
	}
	return node.Run(t, w.nodes...)
}

func (w *world) step(i int, t *transcript) (StepResult, error) {
	s := w.s
	st, pl := &s.Spec.Steps[i], &s.plan[i]
	path := fmt.Sprintf("spec.steps[%d]", i)
	sr := StepResult{Index: i, Line: s.line(path), Name: st.Name, At: st.At, Action: w.describe(st, pl)}
	before, err := w.rec.Record(func() error { return w.runTo(node.Epoch.Add(pl.at)) })
	if err != nil {
		return sr, s.errorf(path+".at", "%v", err)
	}
	if len(before.Events)+len(before.Pulls)+before.Requests.Total > 0 {
		sr.Before = &before
	}
	failed := ""
	sr.Record, err = w.rec.Record(func() error {
		var err error
		failed, err = w.act(i, st, pl, &sr)
		if err != nil {
			return err
		}
		if st.Advance != nil {
			failed = ".advance"
			return w.runTo(node.Epoch.Add(pl.end))
		}
		return nil
	})
	if err != nil {
		return sr, s.errorf(path+failed, "%w", err)
	}
	if st.Expect != nil {
		sr.Expectations = w.check(i, path+".expect", st.Expect, pl, sr.Record)
	}
	t.step(st, pl, &sr)
	return sr, nil
}

func (w *world) mark(i int, kind MarkKind, nodeName, label string) {
	w.marks = append(w.marks, Mark{At: w.clock.Now(), Step: i, Kind: kind, Node: nodeName, Label: label})
}

// act carries out a step's action; on failure it returns the field suffix
// to blame.
func (w *world) act(i int, st *Step, pl *plannedStep, sr *StepResult) (string, error) {
	var n *node.Node
	if pl.node >= 0 {
		n = w.nodes[pl.node]
	}
	switch {
	case st.Push != nil:
		old, _ := w.reg.Lookup(st.Push.Ref)
		d, err := w.reg.Push(st.Push.Ref, w.builds[st.Push.Build])
		if err != nil {
			return ".push", err
		}
		label := fmt.Sprintf("push %s: %s", st.Push.Ref, st.Push.Build)
		if old != "" && old != d {
			label = fmt.Sprintf("%s moved: %s", st.Push.Ref, st.Push.Build)
		}
		w.mark(i, MarkPush, "", label)
	case st.Apply != nil:
		// In document order: each secret and service account before the
		// pods of the documents after it.
		objects := pl.objects()
		for j, np := range pl.pods {
			if errs := objects.create(w.cluster, j); len(errs) > 0 {
				return ".apply", errs[0]
			}
			n := w.nodes[np.node]
			p, err := n.CreatePod(np.pod)
			if err != nil {
				return ".apply", withServiceAccountHint(err)
			}
			h := &PodHistory{Node: n.Name(), Namespace: p.Namespace, Name: p.Name, UID: p.UID, Created: w.clock.Now()}
			w.pods = append(w.pods, h)
			w.live[podKey{np.node, p.Namespace, p.Name}] = h
		}
		if errs := objects.create(w.cluster, len(pl.pods)); len(errs) > 0 {
			return ".apply", errs[0]
		}
		// A rollout's old pods go once the new ones are created.
		for _, k := range pl.deletes {
			if err := w.deletePod(k); err != nil {
				return ".apply", err
			}
		}
	case st.Delete != nil:
		if err := w.deletePod(podKey{pl.node, namespaceOr(st.Delete.Namespace), st.Delete.Name}); err != nil {
			return ".delete", err
		}
	case st.LoadImage != nil:
		if _, err := n.LoadImage(st.LoadImage.Ref, w.builds[st.LoadImage.Build]); err != nil {
			return ".loadImage", err
		}
		w.mark(i, MarkLoadImage, n.Name(), fmt.Sprintf("load %s: %s", st.LoadImage.Ref, st.LoadImage.Build))
	case st.Fault != nil:
		k, _ := faultKind(st.Fault.Kind)
		if err := w.reg.SetFault(registry.Fault{Scope: st.Fault.Scope, Kind: k, Requests: st.Fault.Requests, Op: registry.Op(st.Fault.Op), Message: st.Fault.Message}); err != nil {
			return ".fault", err
		}
		w.mark(i, MarkFault, "", fmt.Sprintf("fault %s: %s", st.Fault.Scope, st.Fault.Kind))
	case st.ClearFault != nil:
		w.reg.ClearFault(st.ClearFault.Scope)
		w.mark(i, MarkClearFault, "", fmt.Sprintf("fault %s cleared", st.ClearFault.Scope))
	case st.Exit != nil:
		if err := n.ExitContainer(st.Exit.Namespace, st.Exit.Pod, st.Exit.Container, st.Exit.ExitCode); err != nil {
			return ".exit", err
		}
	case st.RestartKubelet:
		n.RestartKubelet()
		w.mark(i, MarkRestartKubelet, n.Name(), "kubelet restart")
	case st.GarbageCollect:
		// A failed GC is reported as the kubelet does, with an event, and in
		// the step's result; the scenario goes on.
		r := n.GarbageCollect()
		w.mark(i, MarkGarbageCollect, n.Name(), fmt.Sprintf("image GC: %d removed", len(r.Removed)))
		sr.GC = &GCRun{Node: n.Name(), UsageBefore: r.UsageBefore, UsageAfter: r.UsageAfter, Removed: []RemovedImage{}}
		if r.Err != nil {
			sr.GC.Error = r.Err.Error()
		}
		for _, im := range r.Removed {
			sr.GC.Removed = append(sr.GC.Removed, RemovedImage{Names: im.Names, Size: im.Size, Reason: im.Reason})
		}
	}
	return "", nil
}

// deletePod deletes a pod from its node (node.DeletePod: it terminates
// with its grace period) and closes its history.
func (w *world) deletePod(k podKey) error {
	if h := w.live[k]; h != nil {
		now := w.clock.Now()
		w.finish(h, now)
		h.Deleted = &now
		delete(w.live, k)
	}
	return w.nodes[k.node].DeletePod(k.namespace, k.name)
}

// finish fills in a pod's attempts and pulls as they stand at t.
func (w *world) finish(h *PodHistory, t time.Time) {
	if h.Deleted != nil {
		return
	}
	var n *node.Node
	for _, m := range w.nodes {
		if m.Name() == h.Node {
			n = m
		}
	}
	h.Attempts = []Attempt{}
	for _, a := range n.Attempts(h.Namespace, h.Name) {
		h.Attempts = append(h.Attempts, Attempt{At: a.At, Container: a.Container, Reason: a.Reason, Message: a.Message, Pulled: a.Pulled})
	}
	h.Pulls = []Pull{}
	for _, p := range n.Pulls() {
		if p.Namespace == h.Namespace && p.Pod == h.Name && !p.Requested.Before(h.Created) && !p.Requested.After(t) {
			h.Pulls = append(h.Pulls, pullOf(n.Name(), p))
		}
	}
}

// describe says what a step does, in one line.
func (w *world) describe(st *Step, pl *plannedStep) string {
	var parts []string
	on := ""
	if pl.node >= 0 && len(w.nodes) > 1 {
		on = " on " + w.nodes[pl.node].Name()
	}
	switch {
	case st.Push != nil:
		parts = append(parts, fmt.Sprintf("push %s (%q)", st.Push.Ref, st.Push.Build))
	case st.Apply != nil:
		var pods []string
		objects, updates := pl.objects(), pl.updates
		for j, np := range pl.pods {
			pods = append(pods, objects.said(j, &updates)...)
			pods = append(pods, fmt.Sprintf("pod/%s on %s", np.pod.Name, w.nodes[np.node].Name()))
		}
		pods = append(pods, objects.said(len(pl.pods), &updates)...)
		for _, k := range pl.deletes {
			pods = append(pods, fmt.Sprintf("pod/%s on %s deleted", k.name, w.nodes[k.node].Name()))
		}
		pods = append(pods, pl.skipped...)
		src := "inline manifest"
		if st.Apply.Path != "" {
			src = st.Apply.Path
		}
		parts = append(parts, fmt.Sprintf("kubectl apply -f %s (%s)", src, strings.Join(pods, ", ")))
	case st.Delete != nil:
		parts = append(parts, fmt.Sprintf("kubectl delete pod %s%s", st.Delete.Name, nsFlag(st.Delete.Namespace))+on)
	case st.LoadImage != nil:
		parts = append(parts, fmt.Sprintf("side-load %s (%q)", st.LoadImage.Ref, st.LoadImage.Build)+on)
	case st.Fault != nil:
		f := fmt.Sprintf("fault %s on %s", st.Fault.Kind, st.Fault.Scope)
		if st.Fault.Requests > 0 {
			f += fmt.Sprintf(" for %d requests", st.Fault.Requests)
		}
		parts = append(parts, f)
	case st.ClearFault != nil:
		parts = append(parts, "clear the fault on "+st.ClearFault.Scope)
	case st.Exit != nil:
		parts = append(parts, fmt.Sprintf("container %s of pod %s exits with code %d", st.Exit.Container, st.Exit.Pod, st.Exit.ExitCode)+on)
	case st.RestartKubelet:
		parts = append(parts, "restart the kubelet"+on)
	case st.GarbageCollect:
		parts = append(parts, "run image GC"+on)
	}
	if st.Advance != nil {
		parts = append(parts, "advance "+st.Advance.Duration.String())
	}
	if len(parts) == 0 {
		return "check"
	}
	return strings.Join(parts, "; ")
}

// withServiceAccountHint adds to the API server's refusal of a pod whose
// service account does not exist where a scenario declares one.
func withServiceAccountHint(err error) error {
	if errors.Is(err, node.ErrForbidden) && strings.Contains(err.Error(), "error looking up service account") {
		return fmt.Errorf("%w (declare it in spec.cluster.serviceAccounts, or apply a ServiceAccount document before the pod)", err)
	}
	return err
}

func nsFlag(ns string) string {
	if ns == "" || ns == "default" {
		return ""
	}
	return " -n " + ns
}

// nodesOf returns the indexes of the nodes a step touched, in order.
func (w *world) nodesOf(st *Step, pl *plannedStep) []int {
	var out []int
	add := func(i int) {
		if i >= 0 && !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	if st.Apply != nil || st.Delete != nil || st.LoadImage != nil || st.Exit != nil || st.RestartKubelet || st.GarbageCollect {
		add(pl.node)
	}
	for _, np := range pl.pods {
		add(np.node)
	}
	if st.Expect != nil {
		for _, pe := range st.Expect.Pods {
			add(w.nodeIndex(pe.Node, pl))
		}
	}
	if st.Advance != nil && len(out) == 0 {
		for i, n := range w.nodes {
			if len(n.Pods()) > 0 {
				add(i)
			}
		}
	}
	slices.Sort(out)
	return out
}

// nodeIndex resolves a node name of an expectation (validated).
func (w *world) nodeIndex(name string, pl *plannedStep) int {
	if name == "" {
		if pl.node >= 0 {
			return pl.node
		}
		return 0
	}
	for i, n := range w.nodes {
		if n.Name() == name {
			return i
		}
	}
	return -1
}
