package pullsim

import (
	"errors"
	"fmt"
	"slices"
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
	// Written is the imagePullPolicy as the manifest writes it; "" when it
	// is left out.
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
	// Events are the kubelet's events for the container's start, as
	// "<type> <reason> <message>".
	Events []string `json:"events"`
}

// Explain creates the pods of a manifest (a Pod or any workload) on a
// fresh simulated node running the default kubelet that holds the images
// nodeHas names (side-loaded, as tags: "nginx:1.28"), with a registry that
// has every image the pods name, and reports what the kubelet decided for
// each container's first start.
func Explain(manifest []byte, nodeHas ...string) (*Explanation, error) {
	res, err := decodeManifests(manifest)
	if err != nil {
		return nil, err
	}
	pods, accounts := res.Pods, res.ServiceAccounts
	if len(pods) == 0 {
		return nil, errors.New("explain: the manifest holds no pod")
	}
	reg := registry.New()
	var images []string
	for _, p := range pods {
		for _, c := range slices.Concat(p.Spec.InitContainers, p.Spec.Containers) {
			images = append(images, c.Image)
		}
	}
	for _, image := range images {
		if ref, err := pullpolicy.ParseImageRef(image); err == nil && ref.Digest() == "" {
			// The registry's build: a pull succeeds. (A digest cannot be
			// pushed under an arbitrary content; pulling it fails, after the
			// decision this explains.)
			if _, err := reg.Push(image, registry.Image{Config: image + " (registry)"}); err != nil {
				return nil, fmt.Errorf("explain: %w", err)
			}
		}
	}
	n, err := node.New("node-1", reg)
	if err != nil {
		return nil, err
	}
	for _, image := range nodeHas {
		if _, err := n.LoadImage(image, registry.Image{Config: image + " (on the node)"}); err != nil {
			return nil, fmt.Errorf("explain: --node-has %s: %w", image, err)
		}
	}
	out := &Explanation{KubeletVersion: n.KubeletVersion()}
	for j, p := range pods {
		// The service accounts of the documents before the pod exist.
		for ; len(accounts) > 0 && accounts[0].Pods <= j; accounts = accounts[1:] {
			if _, err := n.Cluster().CreateServiceAccount(accounts[0].Account); err != nil {
				return nil, fmt.Errorf("explain: %s: %w", accounts[0], err)
			}
		}
		p.Spec.NodeName = ""
		onNode := map[string]bool{}
		for _, c := range slices.Concat(p.Spec.InitContainers, p.Spec.Containers) {
			name := c.Image
			if ref, err := pullpolicy.ParseImageRef(c.Image); err == nil {
				name = ref.Name()
			}
			_, ok := n.Cache().Get(name)
			onNode[c.Name] = ok
		}
		created, err := n.CreatePod(p)
		if err != nil {
			return nil, fmt.Errorf("explain: %w", err)
		}
		if _, err := n.Settle(); err != nil {
			return nil, err
		}
		if len(p.Spec.InitContainers) > 0 {
			n.Sync() // the init containers are done: the app containers start
			if _, err := n.Settle(); err != nil {
				return nil, err
			}
		}
		pe := PodExplanation{Namespace: created.Namespace, Name: created.Name}
		written := map[string]pullpolicy.PullPolicy{}
		for _, c := range slices.Concat(p.Spec.InitContainers, p.Spec.Containers) {
			written[c.Name] = c.ImagePullPolicy
		}
		events := n.PodEvents(created.Namespace, created.Name)
		for _, c := range slices.Concat(created.Spec.InitContainers, created.Spec.Containers) {
			ce := ContainerExplanation{Name: c.Name, Image: c.Image, Written: written[c.Name], Policy: c.ImagePullPolicy, OnNode: onNode[c.Name]}
			ce.Defaulting = defaulting(c.Image, ce.Written, ce.Policy)
			for _, e := range events {
				if !strings.HasSuffix(e.Object.FieldPath, "{"+c.Name+"}") {
					continue
				}
				var decision Verdict
				switch {
				case e.Reason == pullpolicy.EventPulling:
					decision = VerdictPull
				case e.Reason == pullpolicy.EventPulled && strings.Contains(e.Message, "already present"):
					decision = VerdictCacheHit
				case e.Reason == pullpolicy.EventErrImageNeverPull:
					decision = VerdictNeverPull
				}
				if decision != "" && ce.Decision != "" {
					break // a later start
				}
				if decision != "" {
					ce.Decision = decision
				}
				ce.Events = append(ce.Events, e.String())
			}
			ce.Why = why(ce.Policy, ce.Decision, ce.OnNode)
			pe.Containers = append(pe.Containers, ce)
		}
		out.Pods = append(out.Pods, pe)
		if err := n.DeletePod(created.Namespace, created.Name); err != nil {
			return nil, err
		}
	}
	return out, nil
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
	case policy == pullpolicy.PullAlways:
		because = "the tag is latest"
	case tag == "" && dgst != "":
		because = "the image names a digest and no tag"
	default:
		because = fmt.Sprintf("the tag %q is not latest", tag)
	}
	return fmt.Sprintf("left out; the API server defaulted it to %s because %s", policy, because)
}

// why explains a decision of the kubelet's EnsureImageExists.
func why(policy pullpolicy.PullPolicy, decision Verdict, onNode bool) string {
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
		return "Never does not pull, and the node does not have the image: the container waits in ErrImageNeverPull, retried on every sync until the image appears on the node"
	}
	return "the kubelet did not get to the image decision (see the events)"
}
