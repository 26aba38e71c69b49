// Command tenants answers the most asked image question of multi-tenant
// clusters: tenant A pulled a private image onto a shared node with its pull
// secret; can tenant B, with no credentials, run it? It shows the answer of
// a v1.34 node (no check) and a v1.35+ node under every KEP-2535 setting and
// with AlwaysPullImages, then where the hole of the shared node remains on
// v1.35+: image GC prunes the pull record of an image in use.
//
//	go run ./examples/tenants
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tenants:", err)
		os.Exit(1)
	}
}

const image = "registry.example.com/team-a/payroll:v3"

var teamA = registry.Credential{Username: "team-a-robot", Password: "s3cr3t"}

type setting struct {
	label   string
	explain string
	opts    []node.Option
	always  bool // AlwaysPullImages admission
}

func run(w io.Writer) error {
	fmt.Fprintf(w, "Tenant A (namespace team-a) pulls its private image\n  %s\n", image)
	fmt.Fprintln(w, "onto a shared node with its pull secret. Tenant B (namespace team-b) then starts a pod on")
	fmt.Fprintln(w, "the same node with the same image, imagePullPolicy IfNotPresent, and no credentials.")
	for _, s := range []setting{
		{"kubelet v1.34: KubeletEnsureSecretPulledImages alpha, off", "the old hole: a present image is anyone's",
			[]node.Option{node.WithKubeletVersion(node.KubeletV134)}, false},
		{"kubelet v1.35 and later: NeverVerifyPreloadedImages (the default)", "the kubelet pulled it with a secret, so B must prove access by pulling",
			[]node.Option{node.WithKubeletVersion(node.KubeletV135)}, false},
		{"imagePullCredentialsVerificationPolicy: NeverVerify", "trusts every image on the node, like the gate off",
			[]node.Option{node.WithImagePullCredentialsVerificationPolicy(node.NeverVerify)}, false},
		{"imagePullCredentialsVerificationPolicy: NeverVerifyAllowlistedImages", "allowlisted images are trusted, whoever pulled them",
			[]node.Option{node.WithImagePullCredentialsVerificationPolicy(node.NeverVerifyAllowlistedImages),
				node.WithPreloadedImagesVerificationAllowlist("registry.example.com/team-a/*")}, false},
		{"imagePullCredentialsVerificationPolicy: AlwaysVerify", "every present image is checked", []node.Option{node.WithImagePullCredentialsVerificationPolicy(node.AlwaysVerify)}, false},
		{"AlwaysPullImages admission, KEP-2535 gate off", "every pod pulls with its own credentials: the fix before KEP-2535",
			[]node.Option{node.WithEnsureSecretPulledImages(false)}, true},
	} {
		if err := scenario(w, s); err != nil {
			return fmt.Errorf("%s: %w", s.label, err)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "A pod with tenant A's credential, under any secret name, starts from the cache: the kubelet")
	fmt.Fprintln(w, "matches the credential's hash and records the new secret (KEP-2535). An image pulled with")
	fmt.Fprintln(w, "no credentials, or with the node's own, is open to every pod on the node.")
	return gcHole(w)
}

// gcHole is the scene of the GC pruning hole: a size-based image GC prunes
// the pull record of the image tenant A is running, and from then on the
// image counts as preloaded.
func gcHole(w io.Writer) error {
	fmt.Fprintln(w, "\nThe hole that remains on v1.35, v1.36 and v1.37: image GC (default policy, NeverVerifyPreloadedImages)")
	fmt.Fprintln(w, "  The node's image filesystem (1 GiB) fills up to 90% with logs while tenant A's pod runs.")
	fmt.Fprintln(w, "  The periodic image GC cannot free anything (the image is in use), but after its size pass")
	fmt.Fprintln(w, "  the kubelet prunes every pull record except those of the images that pass kept as")
	fmt.Fprintln(w, "  candidates, and an image in use is never a candidate: tenant A's record is gone.")
	n, err := sharedNode(false, node.WithImageFSCapacity(1<<30))
	if err != nil {
		return err
	}
	if err := n.SetImageFSOtherUsage(850 << 20); err != nil {
		return err
	}
	seen := n.EventCount()
	n.Advance(node.ImageGCPeriod)
	for _, e := range n.EventsSince(seen) {
		fmt.Fprintf(w, "    %-7s  %-20s at %v\n", e.Type, e.Reason, e.At.Sub(node.Epoch))
	}
	seen = n.EventCount()
	p, err := n.CreatePod(pod("team-b", "curious", ""))
	if err != nil {
		return err
	}
	result := "Running, tenant A's private image"
	if c := p.Status.ContainerStatuses[0]; c.State.Waiting != nil {
		result = "not started: " + c.State.Waiting.Reason
	}
	fmt.Fprintf(w, "  tenant B's pod after that GC: %s\n", result)
	for _, e := range n.EventsSince(seen) {
		fmt.Fprintf(w, "    %-7s  %-7s  %s\n", e.Type, e.Reason, shorten(e.Message))
	}
	fmt.Fprintln(w, "  Below the high threshold (85%) nothing is pruned. AlwaysVerify closes the hole: B must pull,")
	fmt.Fprintln(w, "  and fails; A's next start pulls again (no bytes) and writes a new record.")
	return nil
}

// sharedNode is the shared node after tenant A's pod pulled its private
// image with its pull secret.
func sharedNode(alwaysPull bool, opts ...node.Option) (*node.Node, error) {
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	reg.MustPush(image, registry.Image{Config: "payroll v3", Layers: []registry.Layer{{Content: "payroll", Size: 80 << 20}}})
	if err := reg.SetPrivate(image, teamA); err != nil {
		return nil, err
	}
	cl := node.NewCluster()
	if _, err := cl.CreateSecret(node.DockerConfigSecret("team-a", "payroll-pull", map[string]registry.Credential{"registry.example.com": teamA})); err != nil {
		return nil, err
	}
	cl.SetAlwaysPullImages(alwaysPull)
	n, err := node.New("shared-node", reg, append([]node.Option{node.WithCluster(cl)}, opts...)...)
	if err != nil {
		return nil, err
	}
	if _, err := n.CreatePod(pod("team-a", "payroll", "payroll-pull")); err != nil {
		return nil, err
	}
	return n, nil
}

func scenario(w io.Writer, s setting) error {
	n, err := sharedNode(s.always, s.opts...)
	if err != nil {
		return err
	}
	seen := n.EventCount()
	p, err := n.CreatePod(pod("team-b", "curious", ""))
	if err != nil {
		return err
	}
	c := p.Status.ContainerStatuses[0]
	result := "Running, tenant A's private image"
	if c.State.Waiting != nil {
		result = "not started: " + c.State.Waiting.Reason
	}
	fmt.Fprintf(w, "\n%s\n  (%s)\n", s.label, s.explain)
	fmt.Fprintf(w, "  tenant B's pod: imagePullPolicy %s, %s\n", p.Spec.Containers[0].ImagePullPolicy, result)
	for _, e := range n.EventsSince(seen) {
		fmt.Fprintf(w, "    %-7s  %-7s  %s\n", e.Type, e.Reason, shorten(e.Message))
	}
	return nil
}

func pod(ns, name, secret string) node.Pod {
	p := node.Pod{Name: name, Namespace: ns, Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: image, ImagePullPolicy: pullpolicy.PullIfNotPresent}}}}
	if secret != "" {
		p.Spec.ImagePullSecrets = []string{secret}
	}
	return p
}

// shorten drops containerd's repetition of the reference from long errors.
func shorten(msg string) string {
	return strings.Replace(msg, `failed to pull and unpack image "`+image+`": failed to resolve reference "`+image+`": `, "... ", 1)
}
