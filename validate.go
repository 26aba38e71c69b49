package pullsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/node/kube"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// plannedStep is what validation resolved for one step.
type plannedStep struct {
	node     int // the node the action is for; -1 when it needs none
	pods     []nodePod
	accounts []plannedAccount // service accounts an apply step creates
	secrets  []plannedSecret  // secrets an apply step creates
	skipped  []string         // documents of an apply step that make no pods, and why: "service/web skipped"
	updates  []plannedUpdate  // objects an apply step applies again
	deletes  []podKey         // pods an apply step's rollouts delete, after it creates pods
	at, end  time.Duration    // start, and start plus advance
}

// plannedAccount is a ServiceAccount document of an apply step.
type plannedAccount struct {
	kube.ServiceAccount
	// unchanged is set when the cluster has this service account already,
	// with the same imagePullSecrets: kubectl apply leaves it as it is.
	unchanged bool
}

// plannedSecret is a Secret document of an apply step.
type plannedSecret struct {
	kube.Secret
	// unchanged is set when the cluster has this secret already, with the
	// same type and data: kubectl apply leaves it as it is.
	unchanged bool
}

// plannedUpdate is an object an apply step applies again:
// "deployment.apps/web configured" or "deployment.apps/web unchanged",
// said before the pods it
// creates, pods[Pods:].
type plannedUpdate struct {
	Pods  int
	order int // the object's place among the step's objects (kube's Order)
	label string
}

func (a plannedAccount) before() int { return a.Pods }
func (s plannedSecret) before() int  { return s.Pods }
func (u plannedUpdate) before() int  { return u.Pods }

// due returns the entries of *list that come before the step's pod at
// index pod (their documents come first) and drops them from *list:
// pod = len(pods) takes the rest.
func due[T interface{ before() int }](list *[]T, pod int) []T {
	n := 0
	for n < len(*list) && (*list)[n].before() <= pod {
		n++
	}
	out := (*list)[:n]
	*list = (*list)[n:]
	return out
}

// stepObjects are an apply step's secrets and service accounts not
// created yet.
type stepObjects struct {
	secrets  []plannedSecret
	accounts []plannedAccount
}

func (pl *plannedStep) objects() stepObjects { return stepObjects{pl.secrets, pl.accounts} }

// objectsOf returns the secrets and service accounts of a decoded manifest,
// all to be created.
func objectsOf(res kube.Result) stepObjects {
	var o stepObjects
	for _, s := range res.Secrets {
		o.secrets = append(o.secrets, plannedSecret{Secret: s})
	}
	for _, a := range res.ServiceAccounts {
		o.accounts = append(o.accounts, plannedAccount{ServiceAccount: a})
	}
	return o
}

// each calls f on the secrets and service accounts of the documents
// before the step's pod at index pod that are left, in document order
// (their Order), one of s and a set, and drops them.
func (o *stepObjects) each(pod int, f func(s *plannedSecret, a *plannedAccount)) {
	secrets, accounts := due(&o.secrets, pod), due(&o.accounts, pod)
	for len(secrets) > 0 || len(accounts) > 0 {
		if len(accounts) == 0 || (len(secrets) > 0 && secrets[0].Order < accounts[0].Order) {
			f(&secrets[0], nil)
			secrets = secrets[1:]
		} else {
			f(nil, &accounts[0])
			accounts = accounts[1:]
		}
	}
}

// create creates the secrets and service accounts of the documents before
// the step's pod at index pod that the cluster does not have yet, as
// kubectl apply creates a file's objects in document order, and returns
// the cluster's refusals.
func (o *stepObjects) create(cluster *node.Cluster, pod int) []error {
	var errs []error
	o.each(pod, func(s *plannedSecret, a *plannedAccount) {
		var err error
		switch {
		case s != nil && !s.unchanged:
			if _, err = cluster.CreateSecret(s.Secret.Secret); err != nil {
				err = fmt.Errorf("%s: %w", s.Secret, err)
			}
		case a != nil && !a.unchanged:
			if _, err = cluster.CreateServiceAccount(a.Account); err != nil {
				err = fmt.Errorf("%s: %w", a.ServiceAccount, err)
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	})
	return errs
}

// said returns what kubectl apply says of the objects before the step's
// pod at index pod, updates (the step's, which said drops) included, in
// document order: "secret/regcred created", "serviceaccount/ci
// unchanged", "deployment.apps/web configured".
func (o *stepObjects) said(pod int, updates *[]plannedUpdate) []string {
	type said struct {
		order int
		text  string
	}
	var out []said
	o.each(pod, func(s *plannedSecret, a *plannedAccount) {
		what, order, unchanged := "", 0, false
		if s != nil {
			what, order, unchanged = s.Secret.String(), s.Order, s.unchanged
		} else {
			what, order, unchanged = a.ServiceAccount.String(), a.Order, a.unchanged
		}
		if unchanged {
			out = append(out, said{order, what + " unchanged"})
		} else {
			out = append(out, said{order, what + " created"})
		}
	})
	for _, u := range due(updates, pod) {
		out = append(out, said{u.order, u.label})
	}
	slices.SortStableFunc(out, func(a, b said) int { return a.order - b.order })
	texts := make([]string, len(out))
	for i, x := range out {
		texts[i] = x.text
	}
	return texts
}

// nodePod is a pod bound to a node of the scenario.
type nodePod struct {
	node int
	pod  node.Pod
}

type podKey struct {
	node            int
	namespace, name string
}

func namespaceOr(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

// faultKind parses a fault kind by the name registry.FaultKind.String gives.
func faultKind(s string) (registry.FaultKind, bool) {
	for k := registry.FaultUnavailable; k <= registry.FaultMessage; k++ {
		if k.String() == s {
			return k, true
		}
	}
	return 0, false
}

func faultKindNames() string {
	var out []string
	for k := registry.FaultUnavailable; k <= registry.FaultMessage; k++ {
		out = append(out, k.String())
	}
	return fmt.Sprint(out)
}

// scopeHost returns the host of a fault scope: the scope itself when it
// names a host (no slash, a dot, a port or "localhost", as registry.SetFault
// reads it), else the host of the repository.
func scopeHost(scope string) string {
	name, _, _ := strings.Cut(scope, ":")
	if !strings.Contains(scope, "/") && (strings.Contains(name, ".") || name == "localhost" || strings.Contains(scope, ":")) {
		return scope
	}
	if ref, err := pullpolicy.ParseImageRef(scope); err == nil {
		return ref.Domain()
	}
	return scope
}

// validate checks what strict decoding cannot: versions, names, references,
// time order, manifests, and that every expectation can be checked.
func (s *Scenario) validate() error {
	var errs []error
	bad := func(path, format string, args ...any) { errs = append(errs, s.errorf(path, format, args...)) }

	if s.APIVersion != APIVersion {
		bad("apiVersion", "got %q, want %q", s.APIVersion, APIVersion)
	}
	if s.Kind != Kind {
		bad("kind", "got %q, want %q", s.Kind, Kind)
	}
	if s.Metadata.Name == "" {
		bad("metadata.name", "required")
	}
	sp := &s.Spec

	builds := map[string]bool{}
	for i, b := range sp.Builds {
		p := fmt.Sprintf("spec.builds[%d]", i)
		if b.Name == "" {
			bad(p+".name", "required")
		} else if builds[b.Name] {
			bad(p+".name", "build %q is declared twice", b.Name)
		}
		builds[b.Name] = true
		for j, l := range b.Layers {
			if _, err := bytesOf(l.Size); err != nil {
				bad(fmt.Sprintf("%s.layers[%d].size", p, j), "%v", err)
			}
		}
	}
	checkImage := func(p string, im ImageSpec) *pullpolicy.ImageRef {
		if im.Build == "" {
			bad(p+".build", "required")
		} else if !builds[im.Build] {
			bad(p+".build", "no build named %q in spec.builds", im.Build)
		}
		if im.Ref == "" {
			bad(p+".ref", "required")
			return nil
		}
		ref, err := pullpolicy.ParseImageRef(im.Ref)
		if err != nil {
			bad(p+".ref", "%v", err)
			return nil
		}
		if ref.Digest() != "" {
			bad(p+".ref", "name a tag, not a digest: the digest follows from the build")
			return nil
		}
		return ref
	}

	hosts := map[string]bool{}
	for i, r := range sp.Registries {
		p := fmt.Sprintf("spec.registries[%d]", i)
		if r.Host == "" {
			bad(p+".host", "required")
		} else if hosts[r.Host] {
			bad(p+".host", "registry %q is declared twice", r.Host)
		}
		hosts[r.Host] = true
		if r.Link != nil {
			if r.Link.Latency != nil && r.Link.Latency.Duration < 0 {
				bad(p+".link.latency", "must not be negative")
			}
			if r.Link.Timeout != nil && r.Link.Timeout.Duration < 0 {
				bad(p+".link.timeout", "must not be negative")
			}
			if r.Link.Bandwidth != nil {
				if _, err := bytesOf(*r.Link.Bandwidth); err != nil {
					bad(p+".link.bandwidth", "%v", err)
				}
			}
		}
		for j, im := range r.Images {
			ip := fmt.Sprintf("%s.images[%d]", p, j)
			if ref := checkImage(ip, im); ref != nil && ref.Domain() != r.Host {
				bad(ip+".ref", "%q is on host %s, not %s", im.Ref, ref.Domain(), r.Host)
			}
		}
		for j, pr := range r.Private {
			pp := fmt.Sprintf("%s.private[%d]", p, j)
			ref, err := pullpolicy.ParseImageRef(pr.Repository)
			if err != nil {
				bad(pp+".repository", "%v", err)
			} else if ref.Domain() != r.Host {
				bad(pp+".repository", "%q is on host %s, not %s", pr.Repository, ref.Domain(), r.Host)
			}
			if len(pr.Credentials) == 0 {
				bad(pp+".credentials", "a private repository needs at least one credential")
			}
		}
	}

	named := true
	// The secrets the cluster holds as the steps go: those of
	// spec.cluster, then those apply steps create.
	secrets := map[string]node.Secret{} // namespace/name -> the secret
	for i, sec := range sp.Cluster.Secrets {
		if sec.Name == "" {
			bad(fmt.Sprintf("spec.cluster.secrets[%d].name", i), "required")
			named = false
		}
		stored := clusterSecret(sec)
		secrets[namespaceOr(stored.Namespace)+"/"+stored.Name] = stored
	}
	// The service accounts the cluster holds as the steps go: those of
	// spec.cluster, then those apply steps create.
	accounts := map[string][]string{} // namespace/name -> imagePullSecrets
	for i, sa := range sp.Cluster.ServiceAccounts {
		if sa.Name == "" {
			bad(fmt.Sprintf("spec.cluster.serviceAccounts[%d].name", i), "required")
			named = false
		}
		accounts[namespaceOr(sa.Namespace)+"/"+sa.Name] = sa.ImagePullSecrets
	}
	// dry is the API server's side as the run will have it, step by step:
	// apply steps create their service accounts and pods in it, on
	// throwaway nodes with the scenario's settings (see dryApply).
	var dry *node.Cluster
	if named {
		var err error
		if dry, err = s.newCluster(); err != nil {
			errs = append(errs, err)
		}
	}
	dryOpts := make([][]node.Option, len(sp.Nodes)) // nil for a node that cannot be made
	// The defaulting rule of each node's API server side, which fills in
	// pull policies at create.
	defaulting := make([]pullpolicy.Defaulting, len(sp.Nodes))

	nodes := map[string]int{}
	if len(sp.Nodes) == 0 {
		bad("spec.nodes", "a scenario needs at least one node")
	}
	for i, n := range sp.Nodes {
		p := fmt.Sprintf("spec.nodes[%d]", i)
		if n.Name == "" {
			bad(p+".name", "required")
		} else if _, dup := nodes[n.Name]; dup {
			bad(p+".name", "node %q is declared twice", n.Name)
		}
		nodes[n.Name] = i
		opts, err := n.options()
		var made *node.Node
		if err == nil {
			made, err = node.New(n.Name, registry.New(), opts...)
		}
		if err == nil {
			dryOpts[i] = append([]node.Option{}, opts...) // not nil, even for the defaults
			defaulting[i] = made.Defaulting()
		}
		if err != nil {
			var fe *fieldError
			switch {
			case errors.As(err, &fe):
				bad(p+"."+fe.field, "%v", fe.err)
			case strings.Contains(err.Error(), "unsupported kubelet version"):
				bad(p+".kubeletVersion", "%v", err)
			case strings.Contains(err.Error(), "unknown container runtime"):
				bad(p+".containerRuntime", "%v", err)
			default:
				bad(p+".kubelet", "%v", err)
			}
		}
		for j, im := range n.Images {
			checkImage(fmt.Sprintf("%s.images[%d]", p, j), im)
		}
	}

	// Steps, in order, with the pods they create.
	s.plan = make([]plannedStep, len(sp.Steps))
	s.known = map[podKey]nodePod{}
	live := map[podKey]bool{}
	// The objects apply steps created, as the API server stores them.
	applied := map[workloadKey]*appliedWorkload{}
	var prevEnd time.Duration
	for i := range sp.Steps {
		st := &sp.Steps[i]
		p := fmt.Sprintf("spec.steps[%d]", i)
		pl := &s.plan[i]
		pl.node = -1
		pl.at = st.At.Duration
		if _, set := s.lines[p+".at"]; !set {
			bad(p+".at", "required: the step's virtual time from the start, such as 0s or 30s")
		} else if pl.at < 0 {
			bad(p+".at", "must not be negative")
		} else if pl.at < prevEnd {
			bad(p+".at", "step out of time order: %v is before %v, where the previous step ends", pl.at, prevEnd)
		}
		pl.end = pl.at
		if st.Advance != nil {
			if st.Advance.Duration <= 0 {
				bad(p+".advance", "must be positive")
			} else {
				pl.end += st.Advance.Duration
			}
		}
		prevEnd = max(prevEnd, pl.end)

		var actions []string
		for name, set := range map[string]bool{
			"push": st.Push != nil, "apply": st.Apply != nil, "delete": st.Delete != nil,
			"loadImage": st.LoadImage != nil, "fault": st.Fault != nil, "clearFault": st.ClearFault != nil,
			"restartKubelet": st.RestartKubelet, "garbageCollect": st.GarbageCollect, "exit": st.Exit != nil,
		} {
			if set {
				actions = append(actions, name)
			}
		}
		slices.Sort(actions)
		if len(actions) > 1 {
			bad(p, "a step has at most one action, this one has %d: %v", len(actions), actions)
		}
		if len(actions) == 0 && st.Advance == nil && st.Expect == nil {
			bad(p, "empty step: give it an action, an advance or an expect block")
		}
		// The node the action is for.
		needsNode := st.Delete != nil || st.LoadImage != nil || st.Exit != nil || st.RestartKubelet || st.GarbageCollect
		switch {
		case st.Node != "":
			j, ok := nodes[st.Node]
			if !ok {
				bad(p+".node", "no node named %q in spec.nodes", st.Node)
			} else {
				pl.node = j
			}
		case len(sp.Nodes) == 1:
			pl.node = 0
		case needsNode:
			bad(p+".node", "required: the scenario has %d nodes", len(sp.Nodes))
		}
		switch {
		case st.Push != nil:
			if ref := checkImage(p+".push", *st.Push); ref != nil && !hosts[ref.Domain()] {
				bad(p+".push.ref", "no registry with host %q in spec.registries", ref.Domain())
			}
		case st.LoadImage != nil:
			checkImage(p+".loadImage", *st.LoadImage)
		case st.Fault != nil, st.ClearFault != nil:
			f, fp := st.Fault, p+".fault"
			if f == nil {
				f, fp = st.ClearFault, p+".clearFault"
			}
			if f.Scope == "" {
				bad(fp+".scope", "required: a host or a repository")
			} else if err := registry.New().SetFault(registry.Fault{Scope: f.Scope, Kind: registry.FaultUnavailable}); err != nil {
				bad(fp+".scope", "%v", err)
			} else if host := scopeHost(f.Scope); !hosts[host] {
				bad(fp+".scope", "no registry with host %q in spec.registries", host)
			}
			if st.Fault != nil {
				if k, ok := faultKind(f.Kind); !ok {
					bad(fp+".kind", "unknown fault kind %q, want one of %s", f.Kind, faultKindNames())
				} else if err := registry.New().SetFault(registry.Fault{Scope: "docker.io", Kind: k, Op: registry.Op(f.Op), Message: f.Message}); err != nil {
					_, detail, _ := strings.Cut(err.Error(), `"docker.io": `)
					bad(fp, "%s", detail)
				}
				if f.Requests < 0 {
					bad(fp+".requests", "must not be negative")
				}
			} else if f.Kind != "" || f.Requests != 0 || f.Op != "" || f.Message != "" {
				bad(fp, "clearFault takes only a scope")
			}
		case st.Exit != nil:
			switch {
			case st.Exit.Pod == "":
				bad(p+".exit.pod", "required")
			case st.Exit.Container == "":
				bad(p+".exit.container", "required")
			case st.Exit.ExitCode < 0 || st.Exit.ExitCode > 255:
				bad(p+".exit.exitCode", "%d is out of range 0-255", st.Exit.ExitCode)
			case pl.node >= 0 && !live[podKey{pl.node, namespaceOr(st.Exit.Namespace), st.Exit.Pod}]:
				bad(p+".exit", "no earlier step creates pod %s/%s on %s", namespaceOr(st.Exit.Namespace), st.Exit.Pod, sp.Nodes[pl.node].Name)
			}
		case st.Delete != nil:
			if st.Delete.Name == "" {
				bad(p+".delete.name", "required")
			} else if pl.node >= 0 && !live[podKey{pl.node, namespaceOr(st.Delete.Namespace), st.Delete.Name}] {
				bad(p+".delete", "no earlier step creates pod %s/%s on %s", namespaceOr(st.Delete.Namespace), st.Delete.Name, sp.Nodes[pl.node].Name)
			} else {
				k := podKey{pl.node, namespaceOr(st.Delete.Namespace), st.Delete.Name}
				delete(live, k)
				forgetPod(applied, k)
			}
		case st.Apply != nil:
			// The nodes a DaemonSet covers: apply.nodes, else the step's
			// node, else every node of the scenario.
			var covered []string
			for _, name := range st.Apply.Nodes {
				if _, ok := nodes[name]; ok && !slices.Contains(covered, name) {
					covered = append(covered, name)
				}
			}
			switch {
			case len(st.Apply.Nodes) > 0:
			case pl.node >= 0:
				covered = []string{sp.Nodes[pl.node].Name}
			default:
				for _, n := range sp.Nodes {
					covered = append(covered, n.Name)
				}
			}
			res, err := s.applyPods(*st.Apply, kube.WithNodes(covered...))
			if err != nil {
				bad(p+".apply", "%v", err)
				break
			}
			// The step's node's defaulting rule, else the first node's (the
			// API server's rule when the scenario has none, already refused).
			var d pullpolicy.Defaulting
			if len(defaulting) > 0 {
				d = defaulting[max(pl.node, 0)]
			}
			stepNode := ""
			if pl.node >= 0 {
				stepNode = sp.Nodes[pl.node].Name
			}
			pods, boundTo, owners := planUpdates(res, pl, stepNode, applied, d, func(err error) { bad(p+".apply", "%v", err) })
			for _, sk := range res.Skipped {
				pl.skipped = append(pl.skipped, strings.ToLower(sk.String())+" skipped")
			}
			for _, w := range res.Idle {
				pl.skipped = append(pl.skipped, w.String())
			}
			for _, sec := range res.Secrets {
				key := sec.Secret.Namespace + "/" + sec.Secret.Name
				held, exists := secrets[key]
				if exists && (held.Type != sec.Secret.Type || !maps.EqualFunc(held.Data, sec.Secret.Data, bytes.Equal)) {
					bad(p+".apply", "%s: secret %s exists already with other data: pullsim does not change a secret, give it its data where it is first declared", sec, key)
					continue
				}
				secrets[key] = sec.Secret
				pl.secrets = append(pl.secrets, plannedSecret{Secret: sec, unchanged: exists})
			}
			for _, sa := range res.ServiceAccounts {
				key := sa.Account.Namespace + "/" + sa.Account.Name
				pullSecrets, exists := accounts[key]
				if exists && !slices.Equal(pullSecrets, sa.Account.ImagePullSecrets) {
					bad(p+".apply", "%s: service account %s exists already with imagePullSecrets %q: pullsim does not change a service account, give it its secrets where it is first declared", sa, key, pullSecrets)
					continue
				}
				accounts[key] = sa.Account.ImagePullSecrets
				pl.accounts = append(pl.accounts, plannedAccount{ServiceAccount: sa, unchanged: exists})
			}
			spread := make([]int, 0, len(st.Apply.Nodes))
			for j, name := range st.Apply.Nodes {
				k, ok := nodes[name]
				if !ok {
					bad(fmt.Sprintf("%s.apply.nodes[%d]", p, j), "no node named %q in spec.nodes", name)
				}
				spread = append(spread, k)
			}
			unbound := 0
			for i, pod := range pods {
				np := nodePod{node: pl.node, pod: pod}
				// A DaemonSet's pod goes to its node (res.Nodes), a pod
				// bound in spec.nodeName to that node, any other to the
				// step's node or the next of apply.nodes.
				bound := boundTo[i]
				if bound == "" {
					bound = pod.Spec.NodeName
				}
				if bound == "" && len(spread) > 0 {
					np.node = spread[unbound%len(spread)]
					unbound++
				}
				if bound != "" {
					j, ok := nodes[bound]
					if !ok {
						bad(p+".apply", "pod %s is bound to node %q, which is not in spec.nodes", pod.Name, bound)
						continue
					}
					np.node = j
				}
				if np.node < 0 {
					bad(p+".node", "required: pod %s has no spec.nodeName and the scenario has %d nodes", pod.Name, len(sp.Nodes))
					continue
				}
				k := podKey{np.node, namespaceOr(pod.Namespace), pod.Name}
				if live[k] {
					bad(p+".apply", "pod %s/%s already exists on %s at this step", k.namespace, k.name, sp.Nodes[k.node].Name)
					continue
				}
				live[k] = true
				s.known[k] = np
				pl.pods = append(pl.pods, np)
				if owners[i] != nil {
					owners[i].pods = append(owners[i].pods, k)
				}
			}
			for _, k := range pl.deletes {
				delete(live, k)
			}
			if dry != nil {
				for _, err := range s.dryApply(pl, dry, dryOpts) {
					bad(p+".apply", "%w", err)
				}
			}
		}
		if st.Expect != nil {
			s.validateExpect(p+".expect", st.Expect, pl, live, nodes, builds, bad)
		}
	}
	return errors.Join(errs...)
}

func (s *Scenario) validateExpect(p string, e *Expect, pl *plannedStep, live map[podKey]bool, nodes map[string]int, builds map[string]bool, bad func(string, string, ...any)) {
	nodeOf := func(fp, name string) (int, bool) {
		if name == "" {
			if pl.node >= 0 {
				return pl.node, true
			}
			if len(s.Spec.Nodes) == 1 {
				return 0, true
			}
			bad(fp, "required: the scenario has %d nodes", len(s.Spec.Nodes))
			return 0, false
		}
		j, ok := nodes[name]
		if !ok {
			bad(fp, "no node named %q in spec.nodes", name)
		}
		return j, ok
	}
	if len(e.Pods) == 0 && len(e.Events) == 0 && e.Pulls == nil && e.RegistryRequests == nil && e.Bytes == nil {
		bad(p, "the expect block checks nothing")
	}
	for i, pe := range e.Pods {
		pp := fmt.Sprintf("%s.pods[%d]", p, i)
		if pe.Phase == "" && len(pe.Containers) == 0 {
			bad(pp, "the expectation checks nothing: give a phase or containers")
		}
		j, ok := nodeOf(pp+".node", pe.Node)
		if !ok {
			continue
		}
		if pe.Name == "" {
			bad(pp+".name", "required")
			continue
		}
		k := podKey{j, namespaceOr(pe.Namespace), pe.Name}
		np, ok := s.known[k]
		switch {
		case !ok || !s.createdBy(np, pl):
			bad(pp+".name", "pod %s/%s is not created on %s by this or an earlier step: the expectation could never be checked", k.namespace, k.name, s.Spec.Nodes[j].Name)
			continue
		case !live[k]:
			bad(pp+".name", "pod %s/%s is deleted from %s by an earlier step: the expectation could never be checked", k.namespace, k.name, s.Spec.Nodes[j].Name)
			continue
		}
		if pe.Phase != "" && pe.Phase != string(node.PodPending) && pe.Phase != string(node.PodRunning) {
			bad(pp+".phase", "got %q, want Pending or Running", pe.Phase)
		}
		for k, ce := range pe.Containers {
			cp := fmt.Sprintf("%s.containers[%d]", pp, k)
			if ce.ImagePullPolicy == "" && ce.Running == nil && ce.Reason == nil && ce.Message == nil && ce.Build == nil && ce.Digest == nil && ce.RestartCount == nil {
				bad(cp, "the expectation checks nothing")
			}
			if !hasContainer(np.pod, ce.Name) {
				bad(cp+".name", "pod %s has no container %q", pe.Name, ce.Name)
			}
			if ce.ImagePullPolicy != "" {
				if _, err := pullpolicy.ParsePullPolicy(ce.ImagePullPolicy); err != nil {
					bad(cp+".imagePullPolicy", "%v", err)
				}
			}
			if ce.Build != nil && !builds[*ce.Build] {
				bad(cp+".build", "no build named %q in spec.builds", *ce.Build)
			}
			if ce.Digest != nil {
				if err := digest.Digest(*ce.Digest).Validate(); err != nil {
					bad(cp+".digest", "%v", err)
				}
			}
		}
	}
	for i, ee := range e.Events {
		ep := fmt.Sprintf("%s.events[%d]", p, i)
		if ee.Node != "" {
			nodeOf(ep+".node", ee.Node)
		}
		if ee.Type != "" && ee.Type != pullpolicy.EventTypeNormal && ee.Type != pullpolicy.EventTypeWarning {
			bad(ep+".type", "got %q, want Normal or Warning", ee.Type)
		}
		if ee.Count != nil && *ee.Count < 0 {
			bad(ep+".count", "must not be negative")
		}
		if ee.Pod != "" && !s.anyPodNamed(ee.Pod, pl) {
			bad(ep+".pod", "no step up to this one creates a pod named %q: the expectation could never be checked", ee.Pod)
		}
	}
	for _, c := range []struct {
		name string
		v    *int
	}{{"pulls", e.Pulls}, {"registryRequests", e.RegistryRequests}} {
		if c.v != nil && *c.v < 0 {
			bad(p+"."+c.name, "must not be negative")
		}
	}
	if e.Bytes != nil && *e.Bytes < 0 {
		bad(p+".bytes", "must not be negative")
	}
}

// dryApply does what Run's apply does with an apply step's service
// accounts and pods, in the same order and through the same calls
// (Cluster.CreateServiceAccount, Node.CreatePod: defaulting, admission,
// validation), on cluster and on a throwaway node per node the pods go to,
// made with opts, the options of each scenario node. It returns every
// refusal, as Run words it: what the API server refuses at create is
// refused before anything runs, and validate and run cannot disagree.
// Pods of a node whose options are nil are not tried.
func (s *Scenario) dryApply(pl *plannedStep, cluster *node.Cluster, opts [][]node.Option) []error {
	var errs []error
	nodes := map[int]*node.Node{}
	objects := pl.objects()
	for j, np := range pl.pods {
		errs = append(errs, objects.create(cluster, j)...)
		if opts[np.node] == nil {
			continue
		}
		n := nodes[np.node]
		if n == nil {
			var err error
			n, err = node.New(s.Spec.Nodes[np.node].Name, registry.New(), append(slices.Clip(opts[np.node]), node.WithCluster(cluster))...)
			if err != nil {
				errs = append(errs, err) // unreachable: validate made this node
				continue
			}
			nodes[np.node] = n
		}
		if _, err := n.CreatePod(np.pod); err != nil {
			errs = append(errs, withServiceAccountHint(err))
		}
	}
	return append(errs, objects.create(cluster, len(pl.pods))...)
}

// createdBy reports whether np is created by a step up to and including pl.
func (s *Scenario) createdBy(np nodePod, pl *plannedStep) bool {
	for i := range s.plan {
		for _, q := range s.plan[i].pods {
			if q.node == np.node && q.pod.Name == np.pod.Name && namespaceOr(q.pod.Namespace) == namespaceOr(np.pod.Namespace) {
				return true
			}
		}
		if &s.plan[i] == pl {
			break
		}
	}
	return false
}

func (s *Scenario) anyPodNamed(name string, pl *plannedStep) bool {
	for i := range s.plan {
		for _, q := range s.plan[i].pods {
			if q.pod.Name == name {
				return true
			}
		}
		if &s.plan[i] == pl {
			break
		}
	}
	return false
}

func hasContainer(p node.Pod, name string) bool {
	for _, list := range [][]node.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for _, c := range list {
			if c.Name == name {
				return true
			}
		}
	}
	return false
}

// applyPods reads the manifests of an apply step.
func (s *Scenario) applyPods(a ApplySpec, opts ...kube.Option) (kube.Result, error) {
	var (
		data []byte
		res  kube.Result
		err  error
	)
	switch {
	case a.Path != "" && len(a.Manifest) > 0:
		return kube.Result{}, errors.New("give path or manifest, not both")
	case a.Path != "":
		path := a.Path
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(s.file), path)
		}
		if info, err := os.Stat(path); err == nil && info.IsDir() {
			// A directory's manifests, as kubectl apply -f DIR reads them;
			// each file's errors name it, as written under the directory
			// the step names.
			if res, err = kube.DecodeFile(path, opts...); err != nil {
				return kube.Result{}, errors.New(strings.ReplaceAll(err.Error(), path+string(filepath.Separator), filepath.Join(a.Path, "")+string(filepath.Separator)))
			}
			break
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return kube.Result{}, err
		}
		data = b
	case len(a.Manifest) > 0:
		data = a.Manifest
		if data[0] == '"' { // a string of YAML documents
			var text string
			if err := json.Unmarshal(data, &text); err != nil {
				return kube.Result{}, err
			}
			data = []byte(text)
		}
	default:
		return kube.Result{}, errors.New("give path or manifest")
	}
	if data != nil {
		res, err = decodeManifests(data, opts...)
		if err != nil && a.Path != "" {
			return kube.Result{}, fmt.Errorf("%s: %w", a.Path, err) // as kube.DecodeFile names the file
		}
		if err != nil {
			return kube.Result{}, err
		}
	}
	if len(res.Pods) == 0 && len(res.ServiceAccounts) == 0 && len(res.Secrets) == 0 {
		if len(res.Idle) > 0 {
			idle := make([]string, len(res.Idle))
			for i, w := range res.Idle {
				idle[i] = w.String()
			}
			return kube.Result{}, fmt.Errorf("%s: the step would create nothing", strings.Join(idle, ", "))
		}
		return kube.Result{}, errors.New("the manifests hold no pod, workload, service account or secret")
	}
	return res, nil
}
