package node_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// credC is a credential no registry in these tests accepts.
var credC = registry.Credential{Username: "team-c", Password: "c-secret"}

// newCredWorld is the step harness of harness_test.go on a node of its own
// cluster, for scenarios in the default namespace.
func newCredWorld(t *testing.T, opts ...node.Option) (*world, *node.Cluster) {
	t.Helper()
	cl := node.NewCluster()
	return newWorld(t, append([]node.Option{node.WithCluster(cl)}, opts...)...), cl
}

func makePrivate(ref string, creds ...registry.Credential) action {
	return do("private "+ref, func(w *world, _ *node.Node) error { return w.reg.SetPrivate(ref, creds...) })
}

func createSecret(s node.Secret) action {
	return do("secret "+s.Name, func(_ *world, n *node.Node) error {
		_, err := n.Cluster().CreateSecret(s)
		return err
	})
}

// rawSecret is a dockerconfigjson secret in the default namespace holding
// exactly data.
func rawSecret(name, data string) node.Secret {
	return node.Secret{Name: name, Type: node.SecretTypeDockerConfigJSON, Data: map[string][]byte{node.DockerConfigJSONKey: []byte(data)}}
}

// podWith is a pod in the default namespace with one container "app" and
// the named pull secrets.
func podWith(name, image string, policy pullpolicy.PullPolicy, secrets ...string) node.Pod {
	return node.Pod{Name: name, Spec: node.PodSpec{
		Containers:       []node.Container{{Name: "app", Image: image, ImagePullPolicy: policy}},
		ImagePullSecrets: secrets,
	}}
}

// resolveFailed is containerd's text for a reference it could not resolve.
func resolveFailed(name, rest string) string {
	return fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: %s", name, name, rest)
}

// Registry refusals as the runtime words them (§12).
const (
	unauthorized = "pulling from host registry.example.com failed with status code [manifests v1]: 401 Unauthorized"
	hubDenied    = "pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"
	hubToken     = "failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://auth.docker.io/token?scope=repository%3Ateam%2Fapp%3Apull&service=registry.docker.io: 401 Unauthorized"
)

var (
	private401  = resolveFailed("registry.example.com/team-a/app:v1", unauthorized)
	privateHead = `failed to do request: Head "https://registry.example.com/v2/team-a/app/manifests/v1": dial tcp registry.example.com:443: i/o timeout`
)

// lastAttempt returns the last start attempt of the app container of a pod
// in the default namespace.
func lastAttempt(t *testing.T, n *node.Node, pod string) node.Attempt {
	t.Helper()
	a := n.Attempts("", pod)
	if len(a) == 0 {
		t.Fatalf("pod %s: no start attempts", pod)
	}
	return a[len(a)-1]
}

// A private repository refuses a pull without credentials, or with wrong
// ones; the runtime's text reaches the Failed event and the waiting message
// verbatim. Docker Hub words both differently from other registries.
func TestPrivateRepositoryRefusals(t *testing.T) {
	for i, tc := range []struct {
		image string                         // the pod's image, private with credA
		auths map[string]registry.Credential // the pod's one pull secret; nil: none
		text  string                         // wanted runtime error text
	}{
		{privateImage, nil, private401},
		{privateImage, map[string]registry.Credential{"registry.example.com": credB}, private401},
		{"team/app:v1", nil, resolveFailed("docker.io/team/app:v1", hubDenied)},
		{"docker.io/team/app:v1", nil, resolveFailed("docker.io/team/app:v1", hubDenied)},
		{"team/app:v1", map[string]registry.Credential{"https://index.docker.io/v1/": credB}, resolveFailed("docker.io/team/app:v1", hubToken)},
		{"team/app:v1", map[string]registry.Credential{"docker.io": credB}, resolveFailed("docker.io/team/app:v1", hubToken)},
		// Credentials for another registry are not presented: anonymous.
		{"team/app:v1", map[string]registry.Credential{"registry.example.com": credA}, resolveFailed("docker.io/team/app:v1", hubDenied)},
	} {
		w, _ := newCredWorld(t)
		var secrets []string
		steps := []step{
			{action: push(tc.image, "app v1")},
			{action: makePrivate(tc.image, credA)},
		}
		if tc.auths != nil {
			secrets = []string{"regcred"}
			steps = append(steps, step{action: createSecret(node.DockerConfigSecret("", "regcred", tc.auths))})
		}
		steps = append(steps, step{action: createPod(podWith("p", tc.image, "", secrets...)), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling(tc.image), failedPull(tc.image, tc.text), startFailed("ErrImagePull")}})
		w.run(steps)
		if a := lastAttempt(t, w.node(""), "p"); a.Message != tc.text {
			t.Errorf("case %d: %s with %v: waiting message = %q, want %q", i, tc.image, tc.auths, a.Message, tc.text)
		}
	}
}

// The runtime tries every matching credential in keyring order and stops at
// the first that works; when all fail, the error is their aggregate, which
// prints identical messages once and several as "[e1, e2]". A bracketed
// aggregate never starts with "RegistryUnavailable", so it is ErrImagePull.
func TestCredentialsTriedInOrder(t *testing.T) {
	good := func(name string) node.Secret {
		return node.DockerConfigSecret("", name, map[string]registry.Credential{"registry.example.com": credA})
	}
	bad := func(name string) node.Secret {
		return node.DockerConfigSecret("", name, map[string]registry.Credential{"registry.example.com": credB})
	}
	for i, tc := range []struct {
		secrets  []node.Secret   // the pod's pull secrets, in order
		fault    *registry.Fault // a fault on registry.example.com, if any
		reason   string          // wanted waiting reason; "" means running
		message  string          // wanted waiting message
		resolves int             // wanted resolves: one per credential tried
	}{
		{[]node.Secret{bad("b1"), bad("b2")}, nil, "ErrImagePull", private401, 2}, // the same text twice: printed once
		{[]node.Secret{bad("b1"), bad("b2")}, &registry.Fault{Scope: "registry.example.com", Kind: registry.FaultTimeout, Requests: 1}, "ErrImagePull",
			"[rpc error: code = DeadlineExceeded desc = " + resolveFailed("registry.example.com/team-a/app:v1", privateHead) + ", " + private401 + "]", 2},
		{[]node.Secret{bad("b1"), bad("b2")}, &registry.Fault{Scope: "registry.example.com", Kind: registry.FaultUnavailable, Requests: 1}, "ErrImagePull",
			"[" + resolveFailed("registry.example.com/team-a/app:v1", `failed to do request: Head "https://registry.example.com/v2/team-a/app/manifests/v1": dial tcp registry.example.com:443: connect: connection refused`) + ", " + private401 + "]", 2},
		// A CRI-O style text loses its prefix inside the aggregate.
		{[]node.Secret{bad("b1"), bad("b2")}, &registry.Fault{Scope: "registry.example.com", Kind: registry.FaultMessage, Message: "RegistryUnavailable: connection refused", Requests: 1}, "ErrImagePull",
			"[RegistryUnavailable: connection refused, " + private401 + "]", 2},
		{[]node.Secret{bad("b1"), good("g1")}, nil, "", "", 2},
		{[]node.Secret{good("g1"), bad("b1")}, nil, "", "", 1},
		// One secret, two keys: the longer key sorts first.
		{[]node.Secret{node.DockerConfigSecret("", "s", map[string]registry.Credential{"registry.example.com": credB, "registry.example.com/team-a": credA})}, nil, "", "", 1},
		{[]node.Secret{node.DockerConfigSecret("", "s", map[string]registry.Credential{"registry.example.com": credA, "registry.example.com/team-a": credB})}, nil, "", "", 2},
		// Two secrets share one keyring: the key order beats the secret order.
		{[]node.Secret{bad("b1"), node.DockerConfigSecret("", "g2", map[string]registry.Credential{"registry.example.com/team-a": credA})}, nil, "", "", 1},
		{[]node.Secret{node.DockerConfigSecret("", "b2", map[string]registry.Credential{"*.example.com": credB}), good("g1")}, nil, "", "", 1},
	} {
		w, _ := newCredWorld(t)
		steps := []step{{action: push(privateImage, "app v1")}, {action: makePrivate(privateImage, credA)}}
		var names []string
		for _, s := range tc.secrets {
			steps = append(steps, step{action: createSecret(s)})
			names = append(names, s.Name)
		}
		if tc.fault != nil {
			f := *tc.fault
			steps = append(steps, step{action: do("fault", func(w *world, _ *node.Node) error { return w.reg.SetFault(f) })})
		}
		last := step{action: createPod(podWith("p", privateImage, "", names...)), reason: tc.reason, resolves: tc.resolves,
			events: []string{pulling(privateImage), failedPull(privateImage, tc.message), startFailed("ErrImagePull")}}
		if tc.reason == "" {
			last.blobs, last.runs = 3, "app v1"
			last.events = []string{pulling(privateImage), pulled(privateImage, size("app v1"))}
		}
		w.run(append(steps, last))
		if a := lastAttempt(t, w.node(""), "p"); a.Reason != tc.reason || a.Message != tc.message {
			t.Errorf("case %d: secrets %v: attempt = %q %q, want %q %q", i, names, a.Reason, a.Message, tc.reason, tc.message)
		}
	}
}

// The pulled record names the credential that worked, not the ones tried
// before it: a later IfNotPresent pod with only the failing secret must
// pull (and fails), one with the working secret, or another secret holding
// the same credential, starts from the cache.
func TestRecordNamesWorkingSecret(t *testing.T) {
	w, _ := newCredWorld(t)
	w.run([]step{
		{action: push(privateImage, "app v1")},
		{action: makePrivate(privateImage, credA)},
		{action: createSecret(node.DockerConfigSecret("", "bad", map[string]registry.Credential{"registry.example.com": credB}))},
		{action: createSecret(node.DockerConfigSecret("", "good", map[string]registry.Credential{"registry.example.com": credA}))},
		{action: createSecret(node.DockerConfigSecret("", "good-copy", map[string]registry.Credential{"registry.example.com": credA}))},
		{action: createPod(podWith("first", privateImage, pullpolicy.PullIfNotPresent, "bad", "good")), runs: "app v1", resolves: 2, blobs: 3,
			events: []string{pulling(privateImage), pulled(privateImage, size("app v1"))}},
		{action: createPod(podWith("bad-only", privateImage, pullpolicy.PullIfNotPresent, "bad")), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling(privateImage), failedPull(privateImage, private401), startFailed("ErrImagePull")}},
		{action: createPod(podWith("good-only", privateImage, pullpolicy.PullIfNotPresent, "good")), runs: "app v1",
			events: []string{present(privateImage)}},
		{action: createPod(podWith("good-copy", privateImage, pullpolicy.PullIfNotPresent, "good-copy")), runs: "app v1",
			events: []string{present(privateImage)}},
		{action: createPod(podWith("none", privateImage, pullpolicy.PullIfNotPresent)), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling(privateImage), failedPull(privateImage, private401), startFailed("ErrImagePull")}},
	})
}

// A named pull secret that does not exist: the pull goes ahead without it
// (here anonymously, which Docker Hub words as "pull access denied"), and
// in a sync where a start failed with ErrImagePull the kubelet warns on the
// pod, naming the missing secrets in spec order. Not in BackOff syncs, not
// for RegistryUnavailable, not when the pull works.
func TestMissingPullSecrets(t *testing.T) {
	const hub = "team/app:v1"
	missing := "Warning FailedToRetrieveImagePullSecret Unable to retrieve some image pull secrets (a, b); attempting to pull the image may not succeed."
	denied := resolveFailed("docker.io/team/app:v1", hubDenied)
	w, _ := newCredWorld(t)
	w.run([]step{
		{action: push(hub, "app v1")},
		{action: makePrivate(hub, credA)},
		{action: createPod(podWith("p", hub, "", "a", "b")), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling(hub), failedPull(hub, denied), startFailed("ErrImagePull"), missing}},
		{at: 5 * time.Second, action: syncPod("p"), reason: "ImagePullBackOff",
			events: []string{`Normal BackOff Back-off pulling image "` + hub + `"`, startFailed("ImagePullBackOff")}},
		{at: 10 * time.Second, action: syncPod("p"), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling(hub), failedPull(hub, denied), startFailed("ErrImagePull"), missing}},
		// One secret exists (with the wrong credential): only the others are named.
		{at: 11 * time.Second, action: createSecret(node.DockerConfigSecret("", "wrong", map[string]registry.Credential{"docker.io": credB}))},
		{at: 11 * time.Second, action: createPod(podWith("q", hub, "", "a", "wrong", "c")), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling(hub), failedPull(hub, resolveFailed("docker.io/team/app:v1", hubToken)), startFailed("ErrImagePull"),
				"Warning FailedToRetrieveImagePullSecret Unable to retrieve some image pull secrets (a, c); attempting to pull the image may not succeed."}},
		// A public image pulls anonymously: no warning.
		{at: 12 * time.Second, action: push("tools:v1", "tools v1")},
		{at: 12 * time.Second, action: createPod(podWith("r", "tools:v1", "", "a", "b")), runs: "tools v1", resolves: 1, blobs: 3,
			events: []string{pulling("tools:v1"), pulled("tools:v1", size("tools v1"))}},
		// RegistryUnavailable (a runtime that words it so) is not
		// ErrImagePull: no warning.
		{at: 13 * time.Second, action: do("fault message", func(w *world, _ *node.Node) error {
			return w.reg.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultMessage, Message: "RegistryUnavailable: dial tcp: connection refused"})
		})},
		{at: 13 * time.Second, action: createPod(podWith("s", hub, "", "a", "b")), reason: "RegistryUnavailable", resolves: 1,
			events: []string{pulling(hub), failedPull(hub, "RegistryUnavailable: dial tcp: connection refused"), startFailed("RegistryUnavailable")}},
	})
	// The warning is about the pod itself: no field path.
	n := w.node("")
	p, _ := n.Pod("", "p")
	var got []node.ObjectReference
	for _, e := range n.PodEvents("", "p") {
		if e.Reason == pullpolicy.EventFailedToRetrieveImagePullSecret {
			got = append(got, e.Object)
			if e.Type != pullpolicy.EventTypeWarning {
				t.Errorf("missing-secret event type = %q, want Warning", e.Type)
			}
		}
	}
	want := node.ObjectReference{Kind: "Pod", Namespace: "default", Name: "p", UID: p.UID}
	if len(got) != 2 || got[0] != want || got[1] != want {
		t.Errorf("missing-secret events about %+v, want two about %+v", got, want)
	}
}

// A pull secret that does not parse: EnsureImageExists returns the raw
// error before any pull, so its text is the waiting reason and message and
// the Warning Failed event reads "Error: <text>". No registry request, no
// Pulling event, no backoff: every sync fails the same way.
func TestMalformedPullSecret(t *testing.T) {
	for i, tc := range []struct {
		data string // .dockerconfigjson of the pod's secret
		text string // wanted reason and message
	}{
		{`{"auths":{"registry.example.com":{"auth":"not base64!"}}}`, "illegal base64 data at input byte 3"},
		{`{"auths":{"registry.example.com":{"auth":"dXNlcnBhc3M="}}}`, "unable to parse auth field, must be formatted as base64(username:password)"}, // "userpass"
		{`{"auths":`, "unexpected end of JSON input"},
		// A bad entry for another registry breaks the whole keyring.
		{`{"auths":{"registry.example.com":{"auth":"` + b64cred(credA) + `"},"other.example.com":{"auth":"@@@@"}}}`, "illegal base64 data at input byte 0"},
	} {
		w, _ := newCredWorld(t)
		w.run([]step{
			{action: push(privateImage, "app v1")},
			{action: makePrivate(privateImage, credA)},
			{action: createSecret(rawSecret("broken", tc.data))},
			{action: createPod(podWith("p", privateImage, "", "broken")), reason: tc.text, events: []string{startFailed(tc.text)}},
			{at: time.Second, action: syncPod("p"), reason: tc.text, events: []string{startFailed(tc.text)}},
			{at: time.Minute, action: syncPod("p"), reason: tc.text, events: []string{startFailed(tc.text)}},
		})
		a := w.node("").Attempts("", "p")
		if len(a) != 3 || a[2].Reason != tc.text || a[2].Message != tc.text || a[2].Pulled {
			t.Errorf("case %d: %s: attempts = %+v, want 3 with reason and message %q and no pull", i, tc.data, a, tc.text)
		}
	}
}

func b64cred(c registry.Credential) string {
	return base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Password))
}

// A malformed secret only matters when the credentials are looked up: an
// IfNotPresent pod whose image is present starts with the gate off, and
// with the gate on when the image is node-accessible (pulled
// anonymously); it fails when the record holds secrets and the kubelet
// must compare the pod's.
func TestMalformedPullSecretWhenPresent(t *testing.T) {
	const broken = `{"auths":{"registry.example.com":{"auth":"not base64!"}}}`
	const text = "illegal base64 data at input byte 3"
	const public = "registry.example.com/public/tool:v1"
	t.Run("gate off", func(t *testing.T) {
		w, _ := newCredWorld(t, node.WithEnsureSecretPulledImages(false))
		w.run([]step{
			{action: push(privateImage, "app v1")},
			{action: makePrivate(privateImage, credA)},
			{action: createSecret(node.DockerConfigSecret("", "good", map[string]registry.Credential{"registry.example.com": credA}))},
			{action: createSecret(rawSecret("broken", broken))},
			{action: createPod(podWith("a", privateImage, "", "good")), runs: "app v1", resolves: 1, blobs: 3,
				events: []string{pulling(privateImage), pulled(privateImage, size("app v1"))}},
			{action: createPod(podWith("b", privateImage, "", "broken")), runs: "app v1",
				events: []string{`Normal Pulled Container image "` + privateImage + `" already present on machine`}},
			{action: createPod(podWith("c", privateImage, pullpolicy.PullAlways, "broken")), reason: text, events: []string{startFailed(text)}},
		})
	})
	t.Run("gate on", func(t *testing.T) {
		w, _ := newCredWorld(t)
		w.run([]step{
			{action: push(privateImage, "app v1")},
			{action: makePrivate(privateImage, credA)},
			{action: push(public, "tool v1")},
			{action: createSecret(node.DockerConfigSecret("", "good", map[string]registry.Credential{"registry.example.com": credA}))},
			{action: createSecret(rawSecret("broken", broken))},
			{action: createPod(podWith("a", privateImage, "", "good")), runs: "app v1", resolves: 1, blobs: 3,
				events: []string{pulling(privateImage), pulled(privateImage, size("app v1"))}},
			{action: createPod(podWith("b", privateImage, "", "broken")), reason: text, events: []string{startFailed(text)}},
			{action: createPod(podWith("c", public, "")), runs: "tool v1", resolves: 1, blobs: 2,
				events: []string{pulling(public), pulled(public, size("tool v1"))}},
			{action: createPod(podWith("d", public, "", "broken")), runs: "tool v1", events: []string{present(public)}},
		})
	})
}

// ServiceAccount admission on pod creation: the service account must exist
// ("default" always does); its imagePullSecrets are copied only into a pod
// that lists none.
func TestServiceAccountAdmission(t *testing.T) {
	cl := node.NewCluster()
	for _, sa := range []node.ServiceAccount{
		{Name: "builder", ImagePullSecrets: []string{"regcred", "extra"}},
		{Namespace: "team-a", Name: "default", ImagePullSecrets: []string{"team-secret"}},
		{Name: "plain"},
	} {
		if _, err := cl.CreateServiceAccount(sa); err != nil {
			t.Fatal(err)
		}
	}
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	n := node.MustNew("n", reg, node.WithCluster(cl))
	for i, tc := range []struct {
		pod     node.Pod
		sa      string   // wanted service account
		secrets []string // wanted pull secrets
		err     string   // wanted error; "" for none
	}{
		{podSA("", "p1", "", nil), "default", nil, ""},
		{podSA("", "p2", "default", nil), "default", nil, ""},
		{podSA("", "p3", "builder", nil), "builder", []string{"regcred", "extra"}, ""},
		{podSA("", "p4", "builder", []string{"own"}), "builder", []string{"own"}, ""},
		{podSA("", "p5", "plain", nil), "plain", nil, ""},
		{podSA("team-a", "p6", "", nil), "default", []string{"team-secret"}, ""},
		{podSA("team-a", "p7", "", []string{"mine"}), "default", []string{"mine"}, ""},
		{podSA("team-b", "p8", "builder", nil), "", nil,
			`pods "p8" is forbidden: error looking up service account team-b/builder: serviceaccount "builder" not found`},
		{podSA("", "p9", "ghost", nil), "", nil,
			`pods "p9" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found`},
		// Admission runs before validation, and names a nameless pod "Unknown"
		// (admission.NewForbidden, extractResourceName).
		{podSA("", "", "ghost", nil), "", nil,
			`pods "Unknown" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found`},
	} {
		got, err := n.CreatePod(tc.pod)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || !errors.Is(err, node.ErrForbidden) {
				t.Errorf("case %d: CreatePod(%s/%s, sa %q) error = %v, want Forbidden %q", i, tc.pod.Namespace, tc.pod.Name, tc.pod.Spec.ServiceAccountName, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("case %d: CreatePod(%s/%s) error = %v", i, tc.pod.Namespace, tc.pod.Name, err)
			continue
		}
		if got.Spec.ServiceAccountName != tc.sa || !slices.Equal(got.Spec.ImagePullSecrets, tc.secrets) {
			t.Errorf("case %d: CreatePod(%s/%s, sa %q, secrets %q) = sa %q secrets %q, want %q %q", i, tc.pod.Namespace, tc.pod.Name,
				tc.pod.Spec.ServiceAccountName, tc.pod.Spec.ImagePullSecrets, got.Spec.ServiceAccountName, got.Spec.ImagePullSecrets, tc.sa, tc.secrets)
		}
		if stored, _ := n.Pod(tc.pod.Namespace, tc.pod.Name); !slices.Equal(stored.Spec.ImagePullSecrets, tc.secrets) {
			t.Errorf("case %d: stored pod secrets = %q, want %q", i, stored.Spec.ImagePullSecrets, tc.secrets)
		}
	}
}

func podSA(ns, name, sa string, secrets []string) node.Pod {
	return node.Pod{Name: name, Namespace: ns, Spec: node.PodSpec{
		Containers:         []node.Container{{Name: "app", Image: "nginx:1.28"}},
		ImagePullSecrets:   secrets,
		ServiceAccountName: sa,
	}}
}

// The secrets a service account contributes are used for the pull.
func TestServiceAccountSecretsPull(t *testing.T) {
	w, cl := newCredWorld(t)
	if _, err := cl.CreateServiceAccount(node.ServiceAccount{Name: "builder", ImagePullSecrets: []string{"regcred"}}); err != nil {
		t.Fatal(err)
	}
	sa := func(name, account string, secrets ...string) node.Pod {
		p := podWith(name, privateImage, pullpolicy.PullAlways, secrets...)
		p.Spec.ServiceAccountName = account
		return p
	}
	w.run([]step{
		{action: push(privateImage, "app v1")},
		{action: makePrivate(privateImage, credA)},
		{action: createSecret(node.DockerConfigSecret("", "regcred", map[string]registry.Credential{"registry.example.com": credA}))},
		{action: createSecret(node.DockerConfigSecret("", "wrong", map[string]registry.Credential{"registry.example.com": credB}))},
		{action: createPod(sa("a", "builder")), runs: "app v1", resolves: 1, blobs: 3,
			events: []string{pulling(privateImage), pulled(privateImage, size("app v1"))}},
		// The pod's own secret replaces the account's; there is no merge.
		{action: createPod(sa("b", "builder", "wrong")), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling(privateImage), failedPull(privateImage, private401), startFailed("ErrImagePull")}},
		{action: createPod(sa("c", "")), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling(privateImage), failedPull(privateImage, private401), startFailed("ErrImagePull")}},
	})
}

// AlwaysPullImages admission rewrites every init and app container of a pod
// being created to Always, which the returned pod shows; pods created
// before it was enabled keep their policy.
func TestAlwaysPullImagesAdmission(t *testing.T) {
	w, cl := newCredWorld(t)
	n := w.node("")
	w.reg.MustPush("busybox:1.36", build("busybox"))
	w.reg.MustPush("nginx:1.28", build("nginx 1.28.0"))
	if _, err := n.LoadImage("nginx:1.28", build("nginx 1.28.0")); err != nil {
		t.Fatal(err)
	}
	pod := func(name string) node.Pod {
		return node.Pod{Name: name, Spec: node.PodSpec{
			InitContainers: []node.Container{{Name: "init", Image: "busybox:1.36", ImagePullPolicy: pullpolicy.PullNever}},
			Containers: []node.Container{
				{Name: "app", Image: "nginx:1.28", ImagePullPolicy: pullpolicy.PullIfNotPresent},
				{Name: "side", Image: "nginx:1.28"},
			},
		}}
	}
	policies := func(p node.Pod) []string {
		var out []string
		for _, c := range append(slices.Clone(p.Spec.InitContainers), p.Spec.Containers...) {
			out = append(out, c.Name+"="+string(c.ImagePullPolicy))
		}
		return out
	}
	before := n.MustCreatePod(pod("before"))
	if got, want := policies(before), []string{"init=Never", "app=IfNotPresent", "side=IfNotPresent"}; !slices.Equal(got, want) {
		t.Errorf("plugin off: policies %q, want %q", got, want)
	}
	if got := before.Status.InitContainerStatuses[0].State.Waiting; got == nil || got.Reason != "ErrImageNeverPull" {
		t.Errorf("plugin off: init container state %+v, want ErrImageNeverPull", before.Status.InitContainerStatuses[0].State)
	}

	cl.SetAlwaysPullImages(true)
	resolves := w.reg.Counters().Resolves
	after := n.MustCreatePod(pod("after"))
	if got, want := policies(after), []string{"init=Always", "app=Always", "side=Always"}; !slices.Equal(got, want) {
		t.Errorf("plugin on: policies %q, want %q", got, want)
	}
	if after.Status.Phase != node.PodRunning {
		t.Errorf("plugin on: phase %s, want Running", after.Status.Phase)
	}
	if got := w.reg.Counters().Resolves - resolves; got != 3 {
		t.Errorf("plugin on: %d resolves, want 3 (every container pulls, the present image too)", got)
	}
	if stored, _ := n.Pod("", "before"); !slices.Equal(policies(stored), []string{"init=Never", "app=IfNotPresent", "side=IfNotPresent"}) {
		t.Errorf("plugin on: the earlier pod changed to %q", policies(stored))
	}

	// Ephemeral containers cannot be set on create, plugin or not.
	p := pod("eph")
	p.Spec.EphemeralContainers = []node.Container{{Name: "debug", Image: "busybox:1.36", ImagePullPolicy: pullpolicy.PullIfNotPresent}}
	const want = `Pod "eph" is invalid: spec.ephemeralContainers: Forbidden: cannot be set on create`
	if _, err := n.CreatePod(p); err == nil || err.Error() != want || !errors.Is(err, node.ErrInvalid) {
		t.Errorf("CreatePod with ephemeral containers: error = %v, want Invalid %q", err, want)
	}
	cl.SetAlwaysPullImages(false)
	if _, err := n.CreatePod(p); err == nil || err.Error() != want {
		t.Errorf("CreatePod with ephemeral containers, plugin off: error = %v, want %q", err, want)
	}
	if got := policies(n.MustCreatePod(pod("off-again"))); !slices.Equal(got, []string{"init=Never", "app=IfNotPresent", "side=IfNotPresent"}) {
		t.Errorf("plugin off again: policies %q", got)
	}
}

// AdmitAlwaysPullImages covers ephemeral containers too and leaves the
// caller's container slices alone.
func TestAdmitAlwaysPullImages(t *testing.T) {
	orig := node.Pod{Name: "x", Spec: node.PodSpec{
		InitContainers:      []node.Container{{Name: "i", ImagePullPolicy: pullpolicy.PullNever}},
		Containers:          []node.Container{{Name: "c", ImagePullPolicy: pullpolicy.PullIfNotPresent}, {Name: "d"}},
		EphemeralContainers: []node.Container{{Name: "e", ImagePullPolicy: pullpolicy.PullIfNotPresent}},
	}}
	p := orig
	node.AdmitAlwaysPullImages(&p)
	for _, cs := range [][]node.Container{p.Spec.InitContainers, p.Spec.Containers, p.Spec.EphemeralContainers} {
		for _, c := range cs {
			if c.ImagePullPolicy != pullpolicy.PullAlways {
				t.Errorf("AdmitAlwaysPullImages: %s = %q, want Always", c.Name, c.ImagePullPolicy)
			}
		}
	}
	if err := node.ValidateAlwaysPullImages(p); err != nil {
		t.Errorf("ValidateAlwaysPullImages(admitted pod) = %v, want nil", err)
	}
	if orig.Spec.InitContainers[0].ImagePullPolicy != pullpolicy.PullNever || orig.Spec.Containers[0].ImagePullPolicy != pullpolicy.PullIfNotPresent ||
		orig.Spec.EphemeralContainers[0].ImagePullPolicy != pullpolicy.PullIfNotPresent {
		t.Errorf("AdmitAlwaysPullImages changed the caller's containers: %+v", orig.Spec)
	}
}

// The validating half: each container whose policy is not Always is a
// Forbidden error, at spec.initContainers[i], spec.containers[i] or
// spec.ephemeralContainers[i]; the plugin aggregates one Forbidden error
// per container, so several read "[pods "x" is forbidden: ..., pods "x" is
// forbidden: ...]" (plugin/pkg/admission/alwayspullimages, research §5).
func TestValidateAlwaysPullImages(t *testing.T) {
	const (
		always = pullpolicy.PullAlways
		ifnp   = pullpolicy.PullIfNotPresent
		never  = pullpolicy.PullNever
	)
	unsupported := func(path string, v pullpolicy.PullPolicy) string {
		return fmt.Sprintf(`pods "x" is forbidden: %s.imagePullPolicy: Unsupported value: %q: supported values: "Always"`, path, v)
	}
	for i, tc := range []struct {
		init, app, eph []pullpolicy.PullPolicy // policies of the containers
		want           string                  // wanted error; "" for nil
	}{
		{nil, []pullpolicy.PullPolicy{always}, nil, ""},
		{[]pullpolicy.PullPolicy{always}, []pullpolicy.PullPolicy{always, always}, []pullpolicy.PullPolicy{always}, ""},
		{nil, []pullpolicy.PullPolicy{ifnp}, nil, unsupported("spec.containers[0]", ifnp)},
		{nil, []pullpolicy.PullPolicy{always, never}, nil, unsupported("spec.containers[1]", never)},
		{[]pullpolicy.PullPolicy{always, ifnp}, []pullpolicy.PullPolicy{always}, nil, unsupported("spec.initContainers[1]", ifnp)},
		{nil, []pullpolicy.PullPolicy{always}, []pullpolicy.PullPolicy{ifnp}, unsupported("spec.ephemeralContainers[0]", ifnp)},
		{nil, []pullpolicy.PullPolicy{""}, nil, unsupported("spec.containers[0]", "")},
		{[]pullpolicy.PullPolicy{never}, []pullpolicy.PullPolicy{always, ifnp}, nil,
			"[" + unsupported("spec.initContainers[0]", never) + ", " + unsupported("spec.containers[1]", ifnp) + "]"},
		{[]pullpolicy.PullPolicy{ifnp}, []pullpolicy.PullPolicy{ifnp}, []pullpolicy.PullPolicy{ifnp},
			"[" + unsupported("spec.initContainers[0]", ifnp) + ", " + unsupported("spec.containers[0]", ifnp) + ", " + unsupported("spec.ephemeralContainers[0]", ifnp) + "]"},
	} {
		p := node.Pod{Name: "x"}
		for j, pp := range tc.init {
			p.Spec.InitContainers = append(p.Spec.InitContainers, node.Container{Name: fmt.Sprint("i", j), Image: "busybox", ImagePullPolicy: pp})
		}
		for j, pp := range tc.app {
			p.Spec.Containers = append(p.Spec.Containers, node.Container{Name: fmt.Sprint("c", j), Image: "busybox", ImagePullPolicy: pp})
		}
		for j, pp := range tc.eph {
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, node.Container{Name: fmt.Sprint("e", j), Image: "busybox", ImagePullPolicy: pp})
		}
		err := node.ValidateAlwaysPullImages(p)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("case %d: ValidateAlwaysPullImages(%v/%v/%v) = %q, want nil", i, tc.init, tc.app, tc.eph, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("case %d: ValidateAlwaysPullImages(%v/%v/%v) = %v, want %q", i, tc.init, tc.app, tc.eph, err, tc.want)
		case tc.want != "" && !strings.HasPrefix(tc.want, "[") && !errors.Is(err, node.ErrForbidden):
			t.Errorf("case %d: ValidateAlwaysPullImages(%v/%v/%v) = %v, want errors.Is ErrForbidden", i, tc.init, tc.app, tc.eph, err)
		}
	}
}

// tenantStep is one row of a tenant scenario: something happens, then a pod
// is created and its app container's outcome checked.
type tenantStep struct {
	desc string                             // what the step shows
	prep func(t *testing.T, w *tenantWorld) // runs first; nil for nothing
	pod  node.Pod                           // the pod created
	want string                             // wanted outcome: "cached", "pulled" or the waiting reason
}

func (w *tenantWorld) run(t *testing.T, steps []tenantStep) {
	t.Helper()
	for i, s := range steps {
		if s.prep != nil {
			s.prep(t, w)
		}
		if got := w.outcome(t, s.pod); got != s.want {
			t.Errorf("step %d (%s): pod %s/%s = %s, want %s", i, s.desc, s.pod.Namespace, s.pod.Name, got, s.want)
		}
	}
}

func updateSecret(s node.Secret) func(*testing.T, *tenantWorld) {
	return func(t *testing.T, w *tenantWorld) {
		t.Helper()
		old, _ := w.n.Cluster().Secret(s.Namespace, s.Name)
		got, err := w.n.Cluster().UpdateSecret(s)
		if err != nil {
			t.Fatal(err)
		}
		if got.UID != old.UID || got.UID == "" {
			t.Fatalf("UpdateSecret(%s/%s): UID %q, was %q", s.Namespace, s.Name, got.UID, old.UID)
		}
	}
}

func addSecret(s node.Secret) func(*testing.T, *tenantWorld) {
	return func(t *testing.T, w *tenantWorld) {
		t.Helper()
		if _, err := w.n.Cluster().CreateSecret(s); err != nil {
			t.Fatal(err)
		}
	}
}

func removeSecret(ns, name string) func(*testing.T, *tenantWorld) {
	return func(t *testing.T, w *tenantWorld) {
		t.Helper()
		if err := w.n.Cluster().DeleteSecret(ns, name); err != nil {
			t.Fatal(err)
		}
	}
}

// KEP-2535 write-back: a pod whose secret holds the credential of a
// recorded secret starts from the cache, and its secret's coordinates join
// the record. From then on the record vouches for it on its own: the
// original secret can go, and when the secret is rotated (same UID, new
// password) its coordinates still match and its new hash is written back.
func TestSecretRecordWriteBack(t *testing.T) {
	w := newTenantWorld(t)
	ifnp := pullpolicy.PullIfNotPresent
	rotated := node.DockerConfigSecret("team-b", "copy", map[string]registry.Credential{"registry.example.com": credC})
	w.run(t, []tenantStep{
		{"team-a pulls with its secret", nil, tenantPod("team-a", "first", "", pullpolicy.PullAlways, "regcred"), "pulled"},
		{"same credential, other secret: hash match", nil, tenantPod("team-b", "copy-1", "", ifnp, "copy"), "cached"},
		{"team-a's secret is deleted", removeSecret("team-a", "regcred"), tenantPod("team-b", "copy-2", "", ifnp, "copy"), "cached"},
		{"team-b's secret rotates: coordinates match", updateSecret(rotated), tenantPod("team-b", "copy-3", "", ifnp, "copy"), "cached"},
		{"the rotated credential's hash was written back",
			addSecret(node.DockerConfigSecret("team-b", "rotated-copy", map[string]registry.Credential{"registry.example.com": credC})),
			tenantPod("team-b", "copy-4", "", ifnp, "rotated-copy"), "cached"},
		{"a different credential must pull, and is refused", nil, tenantPod("team-b", "mine", "", ifnp, "mine"), "ErrImagePull"},
		{"no credential must pull, and is refused", nil, tenantPod("team-b", "none", "", ifnp), "ErrImagePull"},
		{"a deleted secret vouches for nothing", removeSecret("team-b", "copy"), tenantPod("team-b", "copy-5", "", ifnp, "copy"), "ErrImagePull"},
	})
}

// The record keeps at most 100 secrets: past that a matching hash still
// admits a pod, but nothing is written back, and a rotated secret matched
// only by its coordinates is no longer accepted.
func TestSecretRecordLimit(t *testing.T) {
	ifnp := pullpolicy.PullIfNotPresent
	for _, tc := range []struct {
		fill    int    // team-b secrets written into team-a's record
		rotated string // wanted outcome for a rotated secret that is in the record
	}{
		{98, "cached"},       // 99 secrets: write-back allowed
		{99, "ErrImagePull"}, // 100 secrets: the limit
	} {
		w := newTenantWorld(t)
		steps := []tenantStep{{"team-a pulls", nil, tenantPod("team-a", "first", "", pullpolicy.PullAlways, "regcred"), "pulled"}}
		for i := range tc.fill {
			s := fmt.Sprintf("s%02d", i)
			steps = append(steps, tenantStep{"fill " + s,
				addSecret(node.DockerConfigSecret("team-b", s, map[string]registry.Credential{"registry.example.com": credA})),
				tenantPod("team-b", "fill-"+s, "", ifnp, s), "cached"})
		}
		steps = append(steps,
			tenantStep{"s00 rotates",
				updateSecret(node.DockerConfigSecret("team-b", "s00", map[string]registry.Credential{"registry.example.com": credC})),
				tenantPod("team-b", "rotated", "", ifnp, "s00"), tc.rotated},
			// A matching hash admits the pod at the limit too.
			tenantStep{"a new secret with the recorded credential",
				addSecret(node.DockerConfigSecret("team-b", "late", map[string]registry.Credential{"registry.example.com": credA})),
				tenantPod("team-b", "late", "", ifnp, "late"), "cached"},
		)
		t.Run(fmt.Sprint(tc.fill+1, " secrets"), func(t *testing.T) { w.run(t, steps) })
	}
}

// With the gate off, any pod on the node uses any present image: team-b,
// with no credentials at all, runs team-a's private image, and the event
// says only "already present on machine".
func TestGateOffSharesPrivateImages(t *testing.T) {
	w := newTenantWorld(t, node.WithEnsureSecretPulledImages(false))
	w.run(t, []tenantStep{
		{"team-a pulls", nil, tenantPod("team-a", "first", "", pullpolicy.PullAlways, "regcred"), "pulled"},
		{"team-b, no credentials", nil, tenantPod("team-b", "second", "", pullpolicy.PullIfNotPresent), "cached"},
		{"team-b, wrong credentials, Never", nil, tenantPod("team-b", "third", "", pullpolicy.PullNever, "mine"), "cached"},
	})
	want := `Container image "` + privateImage + `" already present on machine`
	for _, name := range []string{"second", "third"} {
		evs := w.n.PodEvents("team-b", name)
		if len(evs) != 1 || evs[0].String() != "Normal Pulled "+want || evs[0].Object.FieldPath != "spec.containers{app}" {
			t.Errorf("%s: events %v, want one Normal Pulled %q about spec.containers{app}", name, evs, want)
		}
		if a := w.n.Attempts("team-b", name); len(a) != 1 || a[0].Message != want || a[0].Reason != "" {
			t.Errorf("%s: attempts %+v, want one start with message %q", name, a, want)
		}
	}
}

// Under Never, a present image the pod may not use reads as absent: the
// kubelet does not reveal that it is there.
func TestNeverHidesUnverifiedImage(t *testing.T) {
	w := newTenantWorld(t)
	w.run(t, []tenantStep{
		{"team-a pulls", nil, tenantPod("team-a", "first", "", pullpolicy.PullAlways, "regcred"), "pulled"},
		{"no credentials", nil, tenantPod("team-b", "none", "", pullpolicy.PullNever), "ErrImageNeverPull"},
		{"wrong credentials", nil, tenantPod("team-b", "mine", "", pullpolicy.PullNever, "mine"), "ErrImageNeverPull"},
		{"the recorded credential", nil, tenantPod("team-b", "copy", "", pullpolicy.PullNever, "copy"), "cached"},
	})
	want := fmt.Sprintf("Container image %q is not present with pull policy of Never", privateImage)
	for _, name := range []string{"none", "mine"} {
		var got []string
		for _, e := range w.n.PodEvents("team-b", name) {
			got = append(got, e.String())
		}
		if wantEv := []string{neverPull(privateImage), startFailed("ErrImageNeverPull")}; !slices.Equal(got, wantEv) {
			t.Errorf("%s: events %q, want %q", name, got, wantEv)
		}
		if a := w.n.Attempts("team-b", name); len(a) != 1 || a[0].Reason != "ErrImageNeverPull" || a[0].Message != want {
			t.Errorf("%s: attempts %+v, want one ErrImageNeverPull with message %q", name, a, want)
		}
	}
	if got := w.reg.Counters().Resolves; got != 1 {
		t.Errorf("registry resolves = %d, want 1 (team-a's pull only)", got)
	}
}

// Attempt.Pulled says whether that attempt reached the runtime's PullImage.
// A container's first attempt that uses a present image, or is refused
// under Never, made no pull, whatever other pods pulled before it.
func TestAttemptPulledIsPerContainer(t *testing.T) {
	w := newTenantWorld(t)
	w.run(t, []tenantStep{
		{"team-a pulls", nil, tenantPod("team-a", "first", "", pullpolicy.PullAlways, "regcred"), "pulled"},
		{"from the cache", nil, tenantPod("team-a", "second", "", pullpolicy.PullIfNotPresent, "regcred"), "cached"},
		{"refused under Never", nil, tenantPod("team-b", "never", "", pullpolicy.PullNever), "ErrImageNeverPull"},
	})
	for _, tc := range []struct {
		ns, pod string
		pulled  bool // wanted Pulled of the only attempt
	}{
		{"team-a", "first", true},
		{"team-a", "second", false},
		{"team-b", "never", false},
	} {
		if a := w.n.Attempts(tc.ns, tc.pod); len(a) != 1 || a[0].Pulled != tc.pulled {
			t.Errorf("%s/%s: attempts %+v, want one with Pulled %v", tc.ns, tc.pod, a, tc.pulled)
		}
	}
}

// preloadedImagesVerificationAllowlist entries are compared with the image
// as the pod writes it, tag and digest cut, not normalised: an entry
// "docker.io/library/ubuntu" does not cover "ubuntu:22.04". Wildcards
// cover whatever starts with the prefix before '*', slash included.
func TestAllowlistMatchesAsWritten(t *testing.T) {
	w, _ := newCredWorld(t,
		node.WithImagePullCredentialsVerificationPolicy(node.NeverVerifyAllowlistedImages),
		node.WithPreloadedImagesVerificationAllowlist("docker.io/library/ubuntu", "registry.example.com/team-a/*"))
	ubuntuDigest := digestOf("ubuntu 22.04")
	never := pullpolicy.PullNever
	w.run([]step{
		{action: load("docker.io/library/ubuntu:22.04", "ubuntu 22.04")},
		{action: load("registry.example.com/team-a/app:v1", "team-a app")},
		{action: load("registry.example.com/team-a/sub/tool:v1", "team-a tool")},
		{action: load("registry.example.com/team-b/app:v1", "team-b app")},
		{action: load("registry.example.com/team-a:v1", "team-a root")},
		{action: create("short", "ubuntu:22.04", never), reason: "ErrImageNeverPull",
			events: []string{neverPull("ubuntu:22.04"), startFailed("ErrImageNeverPull")}},
		{action: create("library", "library/ubuntu:22.04", never), reason: "ErrImageNeverPull",
			events: []string{neverPull("library/ubuntu:22.04"), startFailed("ErrImageNeverPull")}},
		{action: create("full", "docker.io/library/ubuntu:22.04", never), runs: "ubuntu 22.04",
			events: []string{present("docker.io/library/ubuntu:22.04")}},
		{action: create("digest", "docker.io/library/ubuntu@"+ubuntuDigest, never), runs: "ubuntu 22.04",
			events: []string{present("docker.io/library/ubuntu@" + ubuntuDigest)}},
		{action: create("team-a", "registry.example.com/team-a/app:v1", never), runs: "team-a app",
			events: []string{present("registry.example.com/team-a/app:v1")}},
		{action: create("team-a-sub", "registry.example.com/team-a/sub/tool:v1", never), runs: "team-a tool",
			events: []string{present("registry.example.com/team-a/sub/tool:v1")}},
		{action: create("team-b", "registry.example.com/team-b/app:v1", never), reason: "ErrImageNeverPull",
			events: []string{neverPull("registry.example.com/team-b/app:v1"), startFailed("ErrImageNeverPull")}},
		{action: create("team-a-root", "registry.example.com/team-a:v1", never), reason: "ErrImageNeverPull",
			events: []string{neverPull("registry.example.com/team-a:v1"), startFailed("ErrImageNeverPull")}},
	})
}

// A service-account credential provider: the pull is recorded against the
// pod's service account, whose later pods start from the cache; a pod of
// another service account must pull, with whatever the provider gives it.
func TestServiceAccountCredentialProvider(t *testing.T) {
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	reg.MustPush(privateImage, build("team-a app v1"))
	if err := reg.SetPrivate(privateImage, credA); err != nil {
		t.Fatal(err)
	}
	cl := node.NewCluster()
	for _, sa := range []string{"puller", "other", "outsider"} {
		if _, err := cl.CreateServiceAccount(node.ServiceAccount{Namespace: "team-b", Name: sa}); err != nil {
			t.Fatal(err)
		}
	}
	w := &tenantWorld{reg: reg, n: node.MustNew("n", reg, node.WithCluster(cl), node.WithCredentialProvider(node.CredentialProvider{
		MatchImages:    []string{"registry.example.com"},
		ServiceAccount: true,
		Credentials: func(ns, sa string) (registry.Credential, bool) {
			return credA, ns == "team-b" && sa != "outsider"
		},
	}))}
	ifnp := pullpolicy.PullIfNotPresent
	w.run(t, []tenantStep{
		{"puller pulls", nil, tenantPod("team-b", "p1", "puller", ifnp), "pulled"},
		{"puller again: recorded", nil, tenantPod("team-b", "p2", "puller", ifnp), "cached"},
		{"puller, Never", nil, tenantPod("team-b", "p3", "puller", pullpolicy.PullNever), "cached"},
		{"other account: must pull", nil, tenantPod("team-b", "o1", "other", ifnp), "pulled"},
		{"other account, now recorded", nil, tenantPod("team-b", "o2", "other", ifnp), "cached"},
		{"default account: must pull", nil, tenantPod("team-b", "d1", "", ifnp), "pulled"},
		{"an account the provider refuses", nil, tenantPod("team-b", "x1", "outsider", ifnp), "ErrImagePull"},
		{"an account the provider refuses, Never", nil, tenantPod("team-b", "x2", "outsider", pullpolicy.PullNever), "ErrImageNeverPull"},
		{"same account name, other namespace", nil, tenantPod("team-a", "a1", "", ifnp), "ErrImagePull"},
	})
}

// The kubelet's keyring is the pod's secrets, then the node keyring (its
// docker config), then the credential-provider plugins: MakeDockerKeyring(
// pullSecrets, UnionDockerKeyring{nodeKeyring, externalCredentialProviderKeyring})
// in image_manager.go. The node keyring and the plugins' keyring are
// looked up separately, each in key order with its own Docker Hub fallback.
func TestNodeKeyringBeforeProviders(t *testing.T) {
	t.Run("order", func(t *testing.T) {
		// The node's credential comes first even though the plugin's key
		// sorts above it; it works, so the image is node-accessible.
		w := newTenantWorld(t,
			node.WithNodeCredentials(map[string]registry.Credential{"registry.example.com": credA}),
			node.WithCredentialProvider(node.CredentialProvider{
				MatchImages:    []string{"registry.example.com/team-a"},
				ServiceAccount: true,
				Credentials:    func(string, string) (registry.Credential, bool) { return credA, true },
			}))
		w.run(t, []tenantStep{
			{"puller pulls: the node credential is tried first", nil, tenantPod("team-b", "p1", "puller", pullpolicy.PullIfNotPresent), "pulled"},
			{"node-accessible: any pod starts", nil, tenantPod("team-a", "a1", "", pullpolicy.PullNever), "cached"},
		})
	})
	t.Run("fallback", func(t *testing.T) {
		// The plugin's "docker.io" key does not hide the node keyring's
		// index.docker.io credential: they are different keyrings.
		reg := registry.New()
		reg.SetDefaultLink(registry.InstantLink)
		reg.MustPush("team/app:v1", build("hub app"))
		if err := reg.SetPrivate("team/app:v1", credA); err != nil {
			t.Fatal(err)
		}
		n := node.MustNew("n", reg,
			node.WithNodeCredentials(map[string]registry.Credential{"https://index.docker.io/v1/": credA}),
			node.WithCredentialProvider(node.CredentialProvider{
				MatchImages: []string{"docker.io"},
				Credentials: func(string, string) (registry.Credential, bool) { return credB, true },
			}))
		p := n.MustCreatePod(podWith("p", "team/app:v1", ""))
		if st := p.Status.ContainerStatuses[0].State; st.Running == nil {
			t.Errorf("pod with the node's Docker Hub credential: state %+v, want Running", st.Waiting)
		}
		if got := reg.Counters().Resolves; got != 1 {
			t.Errorf("resolves = %d, want 1 (the node credential, tried first, works)", got)
		}
	})
}

// KEP-2535 kubelet configuration is validated as the kubelet validates it
// (pkg/kubelet/apis/config/validation/validation.go), errors aggregated.
func TestVerificationConfig(t *testing.T) {
	const (
		badPolicy = `invalid configuration: option "Sometimes" specified for imagePullCredentialsVerificationPolicy. Valid options are "NeverVerify", "NeverVerifyPreloadedImages", "NeverVerifyAllowlistedImages" or "AlwaysVerify"`
		needsList = "invalid configuration: can't set `preloadedImagesVerificationAllowlist` if `imagePullCredentialsVertificationPolicy` is not \"NeverVerifyAllowlistedImages\""
		pattern   = "invalid configuration: invalid image pattern in `preloadedImagesVerificationAllowlist`: "
		gateOffP  = "invalid configuration: `imagePullCredentialsVerificationPolicy` must not be set if KubeletEnsureSecretPulledImages feature gate is not enabled"
		gateOffL  = "invalid configuration: `preloadedImagesVerificationAllowlist` must not be set if KubeletEnsureSecretPulledImages feature gate is not enabled"
	)
	policy := node.WithImagePullCredentialsVerificationPolicy
	list := node.WithPreloadedImagesVerificationAllowlist
	allow := policy(node.NeverVerifyAllowlistedImages)
	gateOff := node.WithEnsureSecretPulledImages(false)
	reg := registry.New()
	for i, tc := range []struct {
		opts []node.Option
		want string // wanted New error; "" for none
	}{
		{nil, ""},
		{[]node.Option{policy(node.NeverVerify)}, ""},
		{[]node.Option{policy(node.NeverVerifyPreloadedImages)}, ""},
		{[]node.Option{policy(node.AlwaysVerify)}, ""},
		{[]node.Option{allow}, ""},
		{[]node.Option{allow, list("docker.io/library/nginx", "registry.example.com/team-a/*", "test.io/*", "localhost:5000/app")}, ""},
		{[]node.Option{gateOff}, ""},
		{[]node.Option{gateOff, list()}, ""},
		// An empty policy is an unset one: defaulted with the gate on, not
		// set with it off (SetDefaults_KubeletConfiguration; len(...) > 0).
		{[]node.Option{policy("")}, ""},
		{[]node.Option{gateOff, policy("")}, ""},
		{[]node.Option{policy("Sometimes")}, "node n: " + badPolicy},
		{[]node.Option{policy("neververify")}, `node n: invalid configuration: option "neververify" specified for imagePullCredentialsVerificationPolicy. Valid options are "NeverVerify", "NeverVerifyPreloadedImages", "NeverVerifyAllowlistedImages" or "AlwaysVerify"`},
		{[]node.Option{list("docker.io/library/nginx")}, "node n: " + needsList},
		{[]node.Option{policy(node.AlwaysVerify), list("docker.io/library/nginx")}, "node n: " + needsList},
		{[]node.Option{policy(node.NeverVerify), list("*")}, "node n: " + needsList}, // else-if: the pattern is not looked at
		{[]node.Option{policy("Sometimes"), list("docker.io/library/nginx")}, "node n: [" + badPolicy + ", " + needsList + "]"},
		{[]node.Option{allow, list("")}, "node n: " + pattern + "the supplied pattern is too short: "},
		{[]node.Option{allow, list("*")}, "node n: " + pattern + "not a valid wildcard pattern, only patterns ending with '/*' are allowed: *"},
		{[]node.Option{allow, list("a/pokus*")}, "node n: " + pattern + "not a valid wildcard pattern, only patterns ending with '/*' are allowed: a/pokus*"},
		{[]node.Option{allow, list("a/*/b")}, "node n: " + pattern + "not a valid wildcard pattern, only patterns ending with '/*' are allowed: a/*/b"},
		{[]node.Option{allow, list("/*")}, "node n: " + pattern + "at least registry hostname is required"},
		{[]node.Option{allow, list(" x")}, "node n: " + pattern + "leading/trailing spaces are not allowed:  x"},
		{[]node.Option{allow, list("nginx", "myimage", "library/nginx")}, ""},
		{[]node.Option{allow, list("nginx:1")}, "node n: " + pattern + "neither tag nor digest is accepted in an image reference: nginx:1"},
		{[]node.Option{allow, list("docker.io/library/nginx:1")}, "node n: " + pattern + "neither tag nor digest is accepted in an image reference: docker.io/library/nginx:1"},
		{[]node.Option{allow, list("image.repo/")}, "node n: " + pattern + "failed to parse as an image name: invalid reference format"},
		// Only the first bad pattern is reported.
		{[]node.Option{allow, list("docker.io/library/nginx", "*", "nginx")}, "node n: " + pattern + "not a valid wildcard pattern, only patterns ending with '/*' are allowed: *"},
		{[]node.Option{gateOff, policy(node.NeverVerify)}, "node n: " + gateOffP},
		{[]node.Option{gateOff, list("docker.io/library/nginx")}, "node n: " + gateOffL},
		{[]node.Option{gateOff, allow, list("*")}, "node n: [" + gateOffP + ", " + gateOffL + "]"},
		// With the kubelet's other checks, in its order.
		{[]node.Option{node.WithRegistryPullQPS(-1, -2), policy("Sometimes")},
			"node n: [invalid configuration: registryBurst (--registry-burst) -2 must not be a negative number, invalid configuration: registryPullQPS (--registry-qps) -1 must not be a negative number, " + badPolicy + "]"},
	} {
		_, err := node.New("n", reg, tc.opts...)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("case %d: New = %q, want nil", i, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("case %d: New = %v, want %q", i, err, tc.want)
		}
	}
}
