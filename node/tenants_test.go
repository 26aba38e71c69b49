package node_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

const privateImage = "registry.example.com/team-a/app:v1"

var (
	credA = registry.Credential{Username: "team-a", Password: "a-secret"}
	credB = registry.Credential{Username: "team-b", Password: "b-secret"}
)

// tenantWorld is a node shared by two tenants, with team-a's private image.
type tenantWorld struct {
	reg *registry.Registry
	n   *node.Node
}

func newTenantWorld(t *testing.T, opts ...node.Option) *tenantWorld {
	t.Helper()
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	reg.MustPush(privateImage, build("team-a app v1"))
	if err := reg.SetPrivate(privateImage, credA); err != nil {
		t.Fatal(err)
	}
	cl := node.NewCluster()
	for _, s := range []node.Secret{
		node.DockerConfigSecret("team-a", "regcred", map[string]registry.Credential{"registry.example.com": credA}),
		node.DockerConfigSecret("team-b", "copy", map[string]registry.Credential{"registry.example.com": credA}),
		node.DockerConfigSecret("team-b", "mine", map[string]registry.Credential{"registry.example.com": credB}),
	} {
		if _, err := cl.CreateSecret(s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cl.CreateServiceAccount(node.ServiceAccount{Namespace: "team-b", Name: "puller"}); err != nil {
		t.Fatal(err)
	}
	opts = append([]node.Option{node.WithCluster(cl), node.WithCredentialProvider(node.CredentialProvider{
		MatchImages:    []string{"registry.example.com"},
		ServiceAccount: true,
		Credentials: func(ns, sa string) (registry.Credential, bool) {
			return credA, ns == "team-b" && sa == "puller"
		},
	})}, opts...)
	return &tenantWorld{reg: reg, n: node.MustNew("shared-node", reg, opts...)}
}

// outcome returns what happened to a pod's container: "cached" (started
// without a pull), "pulled" (started after a pull) or the waiting reason.
func (w *tenantWorld) outcome(t *testing.T, p node.Pod) string {
	t.Helper()
	before := w.n.Counters().Pulls
	got, err := w.n.CreatePod(p)
	if err != nil {
		t.Fatalf("CreatePod(%s/%s): %v", p.Namespace, p.Name, err)
	}
	st := got.Status.ContainerStatuses[0].State
	switch {
	case st.Waiting != nil:
		return st.Waiting.Reason
	case w.n.Counters().Pulls > before:
		return "pulled"
	default:
		return "cached"
	}
}

func tenantPod(ns, name, sa string, policy pullpolicy.PullPolicy, secrets ...string) node.Pod {
	return node.Pod{Name: name, Namespace: ns, Spec: node.PodSpec{
		Containers:         []node.Container{{Name: "app", Image: privateImage, ImagePullPolicy: policy}},
		ImagePullSecrets:   secrets,
		ServiceAccountName: sa,
	}}
}

// TestTenantMatrix: a private image of team-a sits on a shared node. For
// every verification policy, every way the image got there, every kind of
// credential a second pod carries and every pull policy, the pod meets the
// kubelet's outcome. IfNotPresent and Never consult the cache; Always never
// does, so it pulls with the pod's own credentials whatever the
// verification policy, and a pod without valid ones meets the registry's
// refusal.
func TestTenantMatrix(t *testing.T) {
	policies := []string{"gate off", node.NeverVerify, node.NeverVerifyPreloadedImages, node.NeverVerifyAllowlistedImages, node.AlwaysVerify}
	pullers := []string{"anonymous", "node credentials", "team-a secret", "side-loaded"}
	creds := []string{"none", "same secret", "same credential, other secret", "different secret", "service account"}

	// The cells where a pod with no valid credential for the image starts
	// it: each is a policy, or a provenance, that says anyone may.
	allowed := []string{}
	for _, who := range pullers {
		for _, c := range []string{"none", "different secret"} {
			for _, pp := range []string{"IfNotPresent", "Never"} {
				allowed = append(allowed,
					"gate off/"+who+"/"+c+"/"+pp,                     // no verification at all: the old hole
					"NeverVerify/"+who+"/"+c+"/"+pp,                  // explicitly trusts every image
					"NeverVerifyAllowlistedImages/"+who+"/"+c+"/"+pp) // the image is allowlisted
			}
		}
	}
	for _, c := range []string{"none", "different secret"} {
		for _, pp := range []string{"IfNotPresent", "Never"} {
			allowed = append(allowed,
				"NeverVerifyPreloadedImages/side-loaded/"+c+"/"+pp, // preloaded images are trusted
				"NeverVerifyPreloadedImages/anonymous/"+c+"/"+pp,   // an anonymous pull is node-accessible
				"NeverVerifyPreloadedImages/node credentials/"+c+"/"+pp,
				"AlwaysVerify/anonymous/"+c+"/"+pp, // node-accessible records pass even AlwaysVerify
				"AlwaysVerify/node credentials/"+c+"/"+pp)
		}
		// Always pulls; the node's own credentials are in every pod's
		// keyring, so the pull works without the pod's.
		allowed = append(allowed,
			"gate off/node credentials/"+c+"/Always",
			"NeverVerify/node credentials/"+c+"/Always",
			"NeverVerifyPreloadedImages/node credentials/"+c+"/Always",
			"NeverVerifyAllowlistedImages/node credentials/"+c+"/Always",
			"AlwaysVerify/node credentials/"+c+"/Always")
	}
	slices.Sort(allowed)

	// What the runtime says when the registry refuses the pod's credentials
	// (or their absence).
	refused := fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: pulling from host registry.example.com failed with status code [manifests v1]: 401 Unauthorized", privateImage, privateImage)

	var startedWithout []string
	for _, policy := range policies {
		for _, who := range pullers {
			for _, cred := range creds {
				for _, pp := range []pullpolicy.PullPolicy{pullpolicy.PullIfNotPresent, pullpolicy.PullNever, pullpolicy.PullAlways} {
					cell := fmt.Sprintf("%s/%s/%s/%s", policy, who, cred, pp)
					var opts []node.Option
					switch policy {
					case "gate off":
						opts = append(opts, node.WithEnsureSecretPulledImages(false))
					case node.NeverVerifyAllowlistedImages:
						opts = append(opts, node.WithImagePullCredentialsVerificationPolicy(policy),
							node.WithPreloadedImagesVerificationAllowlist("registry.example.com/team-a/app"))
					default:
						opts = append(opts, node.WithImagePullCredentialsVerificationPolicy(policy))
					}
					if who == "node credentials" {
						opts = append(opts, node.WithNodeCredentials(map[string]registry.Credential{"registry.example.com": credA}))
					}
					w := newTenantWorld(t, opts...)

					// The image arrives.
					switch who {
					case "anonymous":
						w.reg.SetPublic(privateImage)
						w.mustStart(t, tenantPod("team-a", "first", "", pullpolicy.PullAlways))
						w.reg.SetPrivate(privateImage, credA)
					case "node credentials":
						w.mustStart(t, tenantPod("team-a", "first", "", pullpolicy.PullAlways))
					case "team-a secret":
						w.mustStart(t, tenantPod("team-a", "first", "", pullpolicy.PullAlways, "regcred"))
					case "side-loaded":
						if _, err := w.n.LoadImage(privateImage, build("team-a app v1")); err != nil {
							t.Fatal(err)
						}
					}

					// The second pod.
					var p node.Pod
					switch cred {
					case "none":
						p = tenantPod("team-b", "second", "", pp)
					case "same secret":
						p = tenantPod("team-a", "second", "", pp, "regcred")
					case "same credential, other secret":
						p = tenantPod("team-b", "second", "", pp, "copy")
					case "different secret":
						p = tenantPod("team-b", "second", "", pp, "mine")
					case "service account":
						p = tenantPod("team-b", "second", "puller", pp)
					}
					got := w.outcome(t, p)
					if want := expectedOutcome(policy, who, cred, pp); got != want {
						t.Errorf("%s: outcome %s, want %s", cell, got, want)
					}
					if got == "ErrImagePull" {
						st, _ := w.n.Pod(p.Namespace, p.Name)
						if msg := st.Status.ContainerStatuses[0].State.Waiting.Message; msg != refused {
							t.Errorf("%s: waiting message %q, want %q", cell, msg, refused)
						}
					}
					valid := cred != "none" && cred != "different secret"
					if !valid && (got == "cached" || got == "pulled") {
						startedWithout = append(startedWithout, cell)
					}
				}
			}
		}
	}
	slices.Sort(startedWithout)
	if !slices.Equal(startedWithout, allowed) {
		t.Errorf("pods without valid credentials started in:\n\t%s\nwant exactly the allowed cells:\n\t%s",
			strings.Join(startedWithout, "\n\t"), strings.Join(allowed, "\n\t"))
	}
}

func (w *tenantWorld) mustStart(t *testing.T, p node.Pod) {
	t.Helper()
	if got := w.outcome(t, p); got != "pulled" {
		t.Fatalf("first pull of %s: %s", privateImage, got)
	}
	if err := w.n.DeletePod(p.Namespace, p.Name); err != nil {
		t.Fatal(err)
	}
}

// expectedOutcome is the kubelet's rule (§10), written out independently of
// the node package.
func expectedOutcome(policy, who, cred string, pp pullpolicy.PullPolicy) string {
	canPull := cred == "same secret" || cred == "same credential, other secret" || cred == "service account" || who == "node credentials"
	if pp == pullpolicy.PullAlways {
		// No presence check: every start pulls, whatever the verification
		// policy and however the image got there.
		if canPull {
			return "pulled"
		}
		return "ErrImagePull"
	}
	verify := false
	switch policy {
	case "gate off", node.NeverVerify, node.NeverVerifyAllowlistedImages:
	case node.NeverVerifyPreloadedImages:
		verify = who != "side-loaded"
	case node.AlwaysVerify:
		verify = true
	}
	if !verify {
		return "cached"
	}
	switch who {
	case "anonymous", "node credentials":
		return "cached" // node-accessible record
	case "team-a secret":
		if cred == "same secret" || cred == "same credential, other secret" {
			return "cached" // coordinates or hash match
		}
	}
	// Must pull with the pod's own credentials.
	if pp == pullpolicy.PullNever {
		return "ErrImageNeverPull"
	}
	if canPull {
		return "pulled"
	}
	return "ErrImagePull"
}

// The KEP-2535 post-GC hook prunes as the kubelet's does: after a
// size-based pass it keeps only the records of the eviction candidates the
// pass kept, so the record of an image in use goes. The image then counts
// as preloaded, and under the default policy a pod with no credentials
// uses tenant A's private image. Below the high threshold nothing is
// pruned; under AlwaysVerify the pod must pull, and fails.
func TestGCPrunesRecordsOfImagesInUse(t *testing.T) {
	gcAt := func() action {
		return do("gc", func(w *world, n *node.Node) error { return n.GarbageCollect().Err })
	}
	fill := func(bytes int64) action {
		return do(fmt.Sprintf("other usage %d", bytes), func(_ *world, n *node.Node) error { return n.SetImageFSOtherUsage(bytes) })
	}
	secretA := node.DockerConfigSecret("", "a", map[string]registry.Credential{"registry.example.com": credA})
	base := func(opts ...node.Option) (*world, []step) {
		w, _ := newCredWorld(t, append([]node.Option{node.WithImageFSCapacity(100 << 20)}, opts...)...)
		return w, []step{
			{action: push(privateImage, "app v1")},
			{action: makePrivate(privateImage, credA)},
			{action: createSecret(secretA)},
			{action: createPod(podWith("a", privateImage, "", "a")), resolves: 1, blobs: 3, runs: "app v1",
				events: []string{pulling(privateImage), pulled(privateImage, size("app v1"))}},
		}
	}
	t.Run("below the threshold", func(t *testing.T) {
		w, steps := base()
		w.run(append(steps,
			step{at: time.Minute, action: gcAt()},
			step{at: time.Minute, action: createPod(podWith("b", privateImage, "")), reason: "ErrImagePull", resolves: 1,
				events: []string{pulling(privateImage), failedPull(privateImage, private401), startFailed("ErrImagePull")}},
		))
	})
	t.Run("above the threshold", func(t *testing.T) {
		w, steps := base()
		w.run(append(steps,
			// 35 MiB of image and 55 MiB of other data: 91% used. The
			// image is in use, so nothing can be freed; the record goes.
			step{at: time.Minute, action: fill(55 << 20)},
			step{at: time.Minute, action: gcAt(), err: "Insufficient free disk space on the node's image filesystem (91% of 100.0 MiB used). Failed to free sufficient space by deleting unused images (freed 0 bytes). Investigate disk usage, as it could be used by active images, logs, volumes, or other data.",
				events: []string{"Warning FreeDiskSpaceFailed Insufficient free disk space on the node's image filesystem (91% of 100.0 MiB used). Failed to free sufficient space by deleting unused images (freed 0 bytes). Investigate disk usage, as it could be used by active images, logs, volumes, or other data."}},
			step{at: time.Minute, action: createPod(podWith("b", privateImage, "")), runs: "app v1", events: []string{present(privateImage)}},
			step{at: time.Minute, action: createPod(podWith("c", privateImage, pullpolicy.PullNever)), runs: "app v1", events: []string{present(privateImage)}},
		))
	})
	t.Run("above the threshold, AlwaysVerify", func(t *testing.T) {
		w, steps := base(node.WithImagePullCredentialsVerificationPolicy(node.AlwaysVerify))
		w.run(append(steps,
			step{at: time.Minute, action: fill(55 << 20)},
			step{at: time.Minute, action: do("gc", func(w *world, n *node.Node) error { n.GarbageCollect(); return nil }),
				events: []string{"Warning FreeDiskSpaceFailed Insufficient free disk space on the node's image filesystem (91% of 100.0 MiB used). Failed to free sufficient space by deleting unused images (freed 0 bytes). Investigate disk usage, as it could be used by active images, logs, volumes, or other data."}},
			step{at: time.Minute, action: createPod(podWith("b", privateImage, "")), reason: "ErrImagePull", resolves: 1,
				events: []string{pulling(privateImage), failedPull(privateImage, private401), startFailed("ErrImagePull")}},
			// A's own next pod pulls again (no bytes) and writes a new record.
			step{at: time.Minute, action: createPod(podWith("a2", privateImage, "", "a")), resolves: 1, runs: "app v1",
				events: []string{pulling(privateImage), pulled(privateImage, size("app v1"))}},
			step{at: time.Minute, action: createPod(podWith("a3", privateImage, "", "a")), runs: "app v1", events: []string{present(privateImage)}},
		))
	})
	// The kubelet writes a record only when a pull changes it: A's second
	// pull, with the secret already recorded, leaves the record's time at
	// the first pull, so a GC in the same second as the second pull still
	// prunes it. A pull with a new secret does write it, and then the
	// record is too new to prune.
	for _, tc := range []struct {
		secret string
		b      step
	}{
		{"a", step{at: time.Minute, action: createPod(podWith("b", privateImage, "")), runs: "app v1", events: []string{present(privateImage)}}},
		{"a-copy", step{at: time.Minute, action: createPod(podWith("b", privateImage, "")), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling(privateImage), failedPull(privateImage, private401), startFailed("ErrImagePull")}}},
	} {
		t.Run("above the threshold after a pull with secret "+tc.secret, func(t *testing.T) {
			w, steps := base()
			w.run(append(steps,
				step{at: time.Minute, action: createSecret(node.DockerConfigSecret("", "a-copy", map[string]registry.Credential{"registry.example.com": credA}))},
				step{at: time.Minute, action: createPod(podWith("a2", privateImage, pullpolicy.PullAlways, tc.secret)), resolves: 1, runs: "app v1",
					events: []string{pulling(privateImage), pulled(privateImage, size("app v1"))}},
				step{at: time.Minute, action: fill(55 << 20)},
				step{at: time.Minute, action: do("gc", func(w *world, n *node.Node) error { n.GarbageCollect(); return nil }),
					events: []string{"Warning FreeDiskSpaceFailed Insufficient free disk space on the node's image filesystem (91% of 100.0 MiB used). Failed to free sufficient space by deleting unused images (freed 0 bytes). Investigate disk usage, as it could be used by active images, logs, volumes, or other data."}},
				tc.b,
			))
		})
	}
	t.Run("eviction", func(t *testing.T) {
		w, steps := base()
		w.run(append(steps,
			step{at: time.Minute, action: do("evict", func(w *world, n *node.Node) error { n.DeleteUnusedImages(); return nil })},
			step{at: time.Minute, action: createPod(podWith("b", privateImage, "")), runs: "app v1", events: []string{present(privateImage)}},
		))
	})
}
