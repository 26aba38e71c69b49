package pullsim

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// Explanation answers the lesson's question for one manifest: what
// imagePullPolicy each container ends up with, and whether starting it pulls,
// uses the node's copy or fails with ErrImageNeverPull, and why. The answer
// is the simulator's: the pod is created on a simulated node holding the
// images it was told of, and what the kubelet did is read back.
type Explanation struct {
	// KubeletVersion is the kubelet minor that answered (the default,
	// node.DefaultKubeletVersion).
	KubeletVersion string           `json:"kubeletVersion"`
	Pods           []PodExplanation `json:"pods"`
}

// PodExplanation is one pod of the manifest.
type PodExplanation struct {
	Namespace  string                 `json:"namespace"`
	Name       string                 `json:"name"`
	Containers []ContainerExplanation `json:"containers"`
	// Volumes are the pod's image volumes, which the kubelet ensures, by
	// their own pull policy, before it starts a container.
	Volumes []VolumeExplanation `json:"volumes,omitempty"`
	// Events are the pod's events that are about no one container or
	// image volume (a pull secret the kubelet could not retrieve, ...), as
	// "<type> <reason> <message>".
	Events []string `json:"events,omitempty"`
}

// VolumeExplanation is one image volume's answer: what the kubelet did
// about its reference when the pod's containers first started. Its
// Written and Policy are the volume's pullPolicy, defaulted by the
// containers' rule; its events name the pod, and the image by its
// reference.
type VolumeExplanation struct {
	Name      string `json:"name"`
	Reference string `json:"reference"`
	ImageDecision
}

// Verdict is what the kubelet did about a container's image at its start.
type Verdict string

// Verdicts an Explanation reports.
const (
	// VerdictPull: the kubelet asked the runtime to pull.
	VerdictPull Verdict = "pull"
	// VerdictCacheHit: the kubelet used the image on the node.
	VerdictCacheHit Verdict = "cache hit"
	// VerdictNeverPull: policy Never and the image is not on the node.
	VerdictNeverPull Verdict = "ErrImageNeverPull"
)

// ContainerExplanation is one container's answer.
type ContainerExplanation struct {
	Name  string `json:"name"`
	Image string `json:"image"`
	ImageDecision
}

// ImageDecision is what the kubelet decided about a container's or an
// image volume's image, and why.
type ImageDecision struct {
	// Written is the pull policy as the manifest writes it; "" when it is
	// left out.
	Written pullpolicy.PullPolicy `json:"written,omitempty"`
	// Policy is the policy after the API server's defaulting: what kubectl
	// describe shows and what the kubelet acts on.
	Policy pullpolicy.PullPolicy `json:"policy"`
	// Defaulting says why Policy is what it is.
	Defaulting string `json:"defaulting"`
	// OnNode reports whether the node had the image before the start.
	OnNode bool `json:"onNode"`
	// Decision is what the kubelet did; "" when it did not get to the image
	// (an invalid image name, a failed presence check).
	Decision Verdict `json:"decision"`
	// Why explains the decision.
	Why string `json:"why"`
	// Events are the kubelet's events for the first start, as
	// "<type> <reason> <message>".
	Events []string `json:"events"`
}

// newDecision starts the decision about image, its policy as written and
// as defaulted.
func newDecision(image string, written, policy pullpolicy.PullPolicy, onNode bool) ImageDecision {
	return ImageDecision{Written: written, Policy: policy, Defaulting: defaulting(image, written, policy), OnNode: onNode}
}

// add takes the next event about the image, and reports false, taking
// nothing, for the decision of a later start.
func (d *ImageDecision) add(e node.Event) bool {
	decision := verdict(e)
	if decision != "" && d.Decision != "" {
		return false
	}
	if decision != "" {
		d.Decision = decision
	}
	d.Events = append(d.Events, e.String())
	return true
}

// Explain creates each pod of a manifest (a Pod or any workload) on a
// fresh simulated node running the default kubelet that holds only the
// images nodeHas names (side-loaded, as tags: "nginx:1.28"), so that no pod
// sees what another pulled, with a registry that has every image the pods
// and their image volumes name, and reports what the kubelet decided for
// each container's and image volume's first start. The manifest's Secret
// and ServiceAccount documents exist for the pods after them, as kubectl
// apply creates them in document order.
func Explain(manifest []byte, nodeHas ...string) (*Explanation, error) {
	res, err := decodeManifests(manifest)
	if err != nil {
		return nil, err
	}
	pods := res.Pods
	objects := objectsOf(res)
	if len(pods) == 0 {
		return nil, errors.New("the manifest holds no pod")
	}
	reg := registry.New()
	var images []string
	for _, p := range pods {
		for _, c := range slices.Concat(p.Spec.InitContainers, p.Spec.Containers) {
			images = append(images, c.Image)
		}
		for _, v := range p.Spec.Volumes {
			if v.Image != nil {
				images = append(images, v.Image.Reference)
			}
		}
	}
	for _, image := range images {
		if ref, err := pullpolicy.ParseImageRef(image); err == nil && ref.Digest() == "" {
			// The registry's build: a pull succeeds. (A digest cannot be
			// pushed under an arbitrary content; pulling it fails, after the
			// decision this explains.)
			if _, err := reg.Push(image, registry.Image{Config: image + " (registry)"}); err != nil {
				return nil, err
			}
		}
	}
	cluster := node.NewCluster()
	// newNode returns a node that has exactly the nodeHas images.
	newNode := func() (*node.Node, error) {
		n, err := node.New("node-1", reg, node.WithCluster(cluster))
		if err != nil {
			return nil, err
		}
		for _, image := range nodeHas {
			if _, err := n.LoadImage(image, registry.Image{Config: image + " (on the node)"}); err != nil {
				return nil, fmt.Errorf("--node-has %s: %w", image, err)
			}
		}
		return n, nil
	}
	out := &Explanation{KubeletVersion: node.DefaultKubeletVersion}
	for j, p := range pods {
		// The secrets and service accounts of the documents before the
		// pod exist.
		if errs := objects.create(cluster, j); len(errs) > 0 {
			return nil, errs[0]
		}
		n, err := newNode()
		if err != nil {
			return nil, err
		}
		out.KubeletVersion = n.KubeletVersion()
		pe, err := explainPod(n, p)
		if err != nil {
			return nil, err
		}
		out.Pods = append(out.Pods, pe)
	}
	return out, nil
}

// explainPod creates p on n, lets its containers start, and reads back what
// the kubelet did.
func explainPod(n *node.Node, p node.Pod) (PodExplanation, error) {
	p.Spec.NodeName = ""
	has := func(image string) bool {
		name := image
		if ref, err := pullpolicy.ParseImageRef(image); err == nil {
			name = ref.Name()
		}
		_, ok := n.Cache().Get(name)
		return ok
	}
	onNode := map[string]bool{}
	written := map[string]pullpolicy.PullPolicy{}
	for _, c := range slices.Concat(p.Spec.InitContainers, p.Spec.Containers) {
		onNode[c.Name], written[c.Name] = has(c.Image), c.ImagePullPolicy
	}
	volOnNode := map[string]bool{}
	volWritten := map[string]pullpolicy.PullPolicy{}
	for _, v := range p.Spec.Volumes {
		if v.Image != nil {
			volOnNode[v.Name], volWritten[v.Name] = has(v.Image.Reference), v.Image.PullPolicy
		}
	}
	created, err := n.CreatePod(p)
	if err != nil {
		return PodExplanation{}, err
	}
	if _, err := n.Settle(); err != nil {
		return PodExplanation{}, err
	}
	if len(p.Spec.InitContainers) > 0 {
		n.Sync() // the init containers are done: the app containers start
		if _, err := n.Settle(); err != nil {
			return PodExplanation{}, err
		}
	}
	pe := PodExplanation{Namespace: created.Namespace, Name: created.Name}
	events := n.PodEvents(created.Namespace, created.Name)
	// Events about the pod itself: an image volume's name its image;
	// the rest are the pod's.
	claimed := make([]bool, len(events))
	for _, v := range created.Spec.Volumes {
		if v.Image == nil {
			continue
		}
		ve := VolumeExplanation{Name: v.Name, Reference: v.Image.Reference,
			ImageDecision: newDecision(v.Image.Reference, volWritten[v.Name], v.Image.PullPolicy, volOnNode[v.Name])}
		quoted := strconv.Quote(ve.Reference)
		for i, e := range events {
			if e.Object.FieldPath != "" || !strings.Contains(e.Message, quoted) {
				continue
			}
			claimed[i] = true
			if !ve.add(e) {
				break
			}
		}
		ve.Why = why(ve.Policy, ve.Decision, ve.OnNode, "the containers that mount it wait")
		pe.Volumes = append(pe.Volumes, ve)
	}
	for i, e := range events {
		if e.Object.FieldPath == "" && !claimed[i] {
			pe.Events = append(pe.Events, e.String())
		}
	}
	for _, c := range slices.Concat(created.Spec.InitContainers, created.Spec.Containers) {
		ce := ContainerExplanation{Name: c.Name, Image: c.Image,
			ImageDecision: newDecision(c.Image, written[c.Name], c.ImagePullPolicy, onNode[c.Name])}
		for _, e := range events {
			if strings.HasSuffix(e.Object.FieldPath, "{"+c.Name+"}") && !ce.add(e) {
				break
			}
		}
		ce.Why = why(ce.Policy, ce.Decision, ce.OnNode, "the container waits")
		if ce.Decision == "" {
			for _, m := range c.VolumeMounts {
				if slices.ContainsFunc(pe.Volumes, func(v VolumeExplanation) bool { return v.Name == m.Name && v.failed() }) {
					ce.Why = fmt.Sprintf("the kubelet did not get to the image decision: the container mounts image volume %s, which is not ready (see the volume)", m.Name)
					break
				}
			}
		}
		pe.Containers = append(pe.Containers, ce)
	}
	return pe, nil
}

// failed reports whether the kubelet warned about the volume's image: the
// containers that mount it do not start.
func (v VolumeExplanation) failed() bool {
	return slices.ContainsFunc(v.Events, func(e string) bool { return strings.HasPrefix(e, pullpolicy.EventTypeWarning+" ") })
}

// verdict reads the kubelet's decision from an event; "" for an event that
// is not one.
func verdict(e node.Event) Verdict {
	switch {
	case e.Reason == pullpolicy.EventPulling:
		return VerdictPull
	case e.Reason == pullpolicy.EventPulled && strings.Contains(e.Message, "already present"):
		return VerdictCacheHit
	case e.Reason == pullpolicy.EventErrImageNeverPull:
		return VerdictNeverPull
	}
	return ""
}

// defaulting explains the policy a container ended up with.
func defaulting(image string, written, policy pullpolicy.PullPolicy) string {
	if written != "" {
		return "set in the manifest"
	}
	_, tag, dgst, err := pullpolicy.ParseImageName(image)
	var because string
	switch {
	case err != nil:
		because = "the image does not parse, and only a latest tag means Always"
	case policy == pullpolicy.PullAlways && tag == "latest" && !strings.Contains(image, ":latest"):
		because = "an image without a tag means :latest"
	case policy == pullpolicy.PullAlways && dgst != "":
		// The kubernetes.io Images page and SetDefaults_Container
		// (pkg/apis/core/v1/defaults.go) disagree: say which rule is in force.
		because = "the tag is latest: the API server looks only at the tag, although the kubernetes.io Images page says a digest means IfNotPresent (the rule KEP-6083's DigestAwareImagePullPolicyDefaulting proposes)"
	case policy == pullpolicy.PullAlways:
		because = "the tag is latest"
	case tag == "" && dgst != "":
		because = "the image names a digest and no tag"
	default:
		because = fmt.Sprintf("the tag %q is not latest", tag)
	}
	return fmt.Sprintf("left out; the API server defaulted it to %s because %s", policy, because)
}

// why explains a decision of the kubelet's EnsureImageExists; waits says
// who waits in ErrImageNeverPull.
func why(policy pullpolicy.PullPolicy, decision Verdict, onNode bool, waits string) string {
	switch {
	case decision == VerdictPull && policy == pullpolicy.PullAlways && onNode:
		return "Always contacts the registry on every container start, even though the node has the image; only the layers the node lacks are downloaded"
	case decision == VerdictPull && policy == pullpolicy.PullAlways:
		return "Always contacts the registry on every container start"
	case decision == VerdictPull && onNode:
		return "the node has the image, but this pod may not use it (KEP-2535: it was pulled with credentials the pod does not have), so the kubelet pulls"
	case decision == VerdictPull:
		return "IfNotPresent pulls because the node does not have the image"
	case decision == VerdictCacheHit:
		return fmt.Sprintf("%s uses the copy on the node without contacting the registry, even if the tag has moved there since", policy)
	case decision == VerdictNeverPull:
		return "Never does not pull, and the node does not have the image: " + waits + " in ErrImageNeverPull, retried on every sync until the image appears on the node"
	}
	return "the kubelet did not get to the image decision (see the events)"
}
