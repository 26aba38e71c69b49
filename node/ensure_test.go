package node_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

func notFound(name string) string {
	return fmt.Sprintf("rpc error: code = NotFound desc = failed to pull and unpack image %q: failed to resolve reference %q: %s: not found", name, name, name)
}

// A missing tag: ErrImagePull, then ImagePullBackOff inside the window with
// the previous error carried in the message, then a real attempt again.
func TestPullFailureAndBackOff(t *testing.T) {
	const full = "docker.io/library/nginx:9.9"
	text := notFound(full)
	w := newWorld(t)
	w.run([]step{
		{action: push("nginx:1.28", "nginx 1.28.0")},
		{action: create("web", "nginx:9.9", ""), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling("nginx:9.9"), failedPull("nginx:9.9", text), startFailed("ErrImagePull")}},
		{at: 9 * time.Second, action: syncPod("web"), reason: "ImagePullBackOff",
			events: []string{`Normal BackOff Back-off pulling image "nginx:9.9"`, startFailed("ImagePullBackOff")}},
		{at: 10 * time.Second, action: syncPod("web"), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling("nginx:9.9"), failedPull("nginx:9.9", text), startFailed("ErrImagePull")}},
		{at: 29 * time.Second, action: syncPod("web"), reason: "ImagePullBackOff",
			events: []string{`Normal BackOff Back-off pulling image "nginx:9.9"`, startFailed("ImagePullBackOff")}},
		{at: 30 * time.Second, action: push("nginx:9.9", "nginx 9.9")},
		{at: 30 * time.Second, action: syncPod("web"), runs: "nginx 9.9", resolves: 1, blobs: 3,
			events: []string{pulling("nginx:9.9"), pulled("nginx:9.9", size("nginx 9.9"))}},
	})
	p, _ := w.node("").Pod("", "web")
	if p.Status.Phase != node.PodRunning {
		t.Errorf("phase = %s, want Running", p.Status.Phase)
	}
}

func TestBackOffMessageCarriesPreviousError(t *testing.T) {
	w := newWorld(t)
	n := w.node("")
	n.MustCreatePod(node.Pod{Name: "web", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "nginx:9.9"}}}})
	w.clock.Step(time.Second)
	_, msg, err := n.EnsureImage("", "web", "app")
	denied := `failed to pull and unpack image "docker.io/library/nginx:9.9": failed to resolve reference "docker.io/library/nginx:9.9": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`
	want := `Back-off pulling image "nginx:9.9": ErrImagePull: ` + denied
	if !errors.Is(err, pullpolicy.ErrImagePullBackOff) || msg != want {
		t.Errorf("EnsureImage = (%q, %v), want (%q, ImagePullBackOff)", msg, err, want)
	}
	p, _ := n.Pod("", "web")
	if got := p.Status.ContainerStatuses[0].State.Waiting.Message; got != denied {
		t.Errorf("waiting message = %q", got)
	}
}

// Always does not trust the cache: a tag gone from the registry fails the
// start even though the image is on the node.
func TestAlwaysFailsWhileCached(t *testing.T) {
	const full = "docker.io/library/nginx:1.28"
	w := newWorld(t)
	w.run([]step{
		{action: push("nginx:1.28", "nginx 1.28.0")},
		{action: create("a", "nginx:1.28", pullpolicy.PullAlways), runs: "nginx 1.28.0", resolves: 1, blobs: 3,
			events: []string{pulling("nginx:1.28"), pulled("nginx:1.28", size("nginx 1.28.0"))}},
		{action: do("delete tag", func(w *world, _ *node.Node) error { return w.reg.DeleteTag("nginx:1.28") })},
		{action: create("b", "nginx:1.28", pullpolicy.PullAlways), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling("nginx:1.28"), failedPull("nginx:1.28", notFound(full)), startFailed("ErrImagePull")}},
		{action: create("c", "nginx:1.28", pullpolicy.PullIfNotPresent), runs: "nginx 1.28.0",
			events: []string{present("nginx:1.28")}},
	})
}

func TestInvalidImageName(t *testing.T) {
	hex := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tag128, tag129 := strings.Repeat("a", 128), strings.Repeat("a", 129)
	for _, tc := range []struct {
		name   string // subtest
		image  string // as written
		detail string // wanted parser error
	}{
		{"uppercase", "NGINX", "invalid reference format: repository name (library/NGINX) must be lowercase"},
		{"empty tag", "nginx:", "invalid reference format"},
		{"64 hex", hex, "invalid repository name (" + hex + "), cannot specify 64-byte hexadecimal strings"},
		{"URL", "http://url", "invalid reference format"},
		{"tag of 129", "nginx:" + tag129, "invalid reference format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			msg := fmt.Sprintf("Failed to apply default image tag %q: couldn't parse image name %q: %s", tc.image, tc.image, tc.detail)
			w.run([]step{
				{action: create("bad", tc.image, ""), policy: "IfNotPresent", reason: "InvalidImageName",
					events: []string{"Warning InspectFailed " + msg, startFailed("InvalidImageName")}},
				// Retried on every sync, with no backoff and no registry contact.
				{at: time.Second, action: syncPod("bad"), reason: "InvalidImageName",
					events: []string{"Warning InspectFailed " + msg, startFailed("InvalidImageName")}},
			})
			p, _ := w.node("").Pod("", "bad")
			if got := p.Status.ContainerStatuses[0].State.Waiting.Message; got != msg {
				t.Errorf("waiting message = %q, want %q", got, msg)
			}
		})
	}
	// The boundary: a tag of 128 characters parses, so the kubelet asks the
	// registry, which has the repository but not that tag.
	t.Run("tag of 128", func(t *testing.T) {
		img := "nginx:" + tag128
		w := newWorld(t)
		w.run([]step{
			{action: push("nginx:1.28", "nginx 1.28.0")},
			{action: create("ok", img, ""), policy: "IfNotPresent", reason: "ErrImagePull", resolves: 1,
				events: []string{pulling(img), failedPull(img, notFound("docker.io/library/"+img)), startFailed("ErrImagePull")}},
		})
	})
}

func TestRegistryErrorTexts(t *testing.T) {
	for _, tc := range []struct {
		image string // as written; nothing is pushed
		text  string // wanted runtime error text
	}{
		{"ghcr.io/team/app:v1", `failed to pull and unpack image "ghcr.io/team/app:v1": failed to resolve reference "ghcr.io/team/app:v1": failed to do request: Head "https://ghcr.io/v2/team/app/manifests/v1": dial tcp: lookup ghcr.io: no such host`},
		{"nobody/private:v1", `failed to pull and unpack image "docker.io/nobody/private:v1": failed to resolve reference "docker.io/nobody/private:v1": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`},
		{"localhost:5000/app:v1", notFound("localhost:5000/app:v1")},
		{"nginx:1.28", notFound("docker.io/library/nginx:1.28")},
	} {
		w := newWorld(t)
		w.reg.MustPush("localhost:5000/other:v1", build("other"))
		w.reg.MustPush("nginx:1.27", build("nginx 1.27"))
		w.run([]step{{action: create("p", tc.image, ""), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling(tc.image), failedPull(tc.image, tc.text), startFailed("ErrImagePull")}}})
	}
}

// With the KEP-2535 gate off the kubelet says only "already present on
// machine".
func TestGateOff(t *testing.T) {
	w := newWorld(t, node.WithEnsureSecretPulledImages(false))
	w.run([]step{
		{action: push("nginx:1.28", "nginx 1.28.0")},
		{action: create("a", "nginx:1.28", ""), resolves: 1, blobs: 3, runs: "nginx 1.28.0",
			events: []string{pulling("nginx:1.28"), pulled("nginx:1.28", size("nginx 1.28.0"))}},
		{action: create("b", "nginx:1.28", ""), runs: "nginx 1.28.0",
			events: []string{`Normal Pulled Container image "nginx:1.28" already present on machine`}},
	})
}

// KEP-2535 keys a pull record's credentials by the image as written
// without tag and digest, not normalised (trimImageTagDigest in
// pkg/kubelet/images/pullmanager): "nginx:1.28" and
// "docker.io/library/nginx:1.28" are two keys of one image's record. Another
// spelling of an image pulled anonymously is not covered by its record and
// must pull (cheaply: the content is present); under Never it is
// ErrImageNeverPull. A side-loaded image is preloaded and needs no proof.
func TestEnsureSecretPulledImagesKeys(t *testing.T) {
	const long = "docker.io/library/nginx:1.28"
	w := newWorld(t)
	w.run([]step{
		{action: push("nginx:1.28", "nginx 1.28.0")},
		{action: create("a", long, ""), resolves: 1, blobs: 3, runs: "nginx 1.28.0",
			events: []string{pulling(long), pulled(long, size("nginx 1.28.0"))}},
		// The short spelling has no entry in the record: Never refuses.
		{action: create("b", "nginx:1.28", pullpolicy.PullNever), reason: "ErrImageNeverPull",
			events: []string{neverPull("nginx:1.28"), startFailed("ErrImageNeverPull")}},
		// IfNotPresent pulls: one round trip, no bytes, and the short key is
		// written.
		{action: create("c", "nginx:1.28", ""), resolves: 1, runs: "nginx 1.28.0",
			events: []string{pulling("nginx:1.28"), pulled("nginx:1.28", size("nginx 1.28.0"))}},
		{action: create("d", "nginx:1.28", pullpolicy.PullNever), runs: "nginx 1.28.0",
			events: []string{present("nginx:1.28")}},
		{action: create("e", long, pullpolicy.PullNever), runs: "nginx 1.28.0",
			events: []string{present(long)}},
		// A tag of the same spelling shares the key: the record is per image
		// ID, so another tag is another image, pulled.
		{action: create("f", "nginx:1.27", ""), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling("nginx:1.27"), failedPull("nginx:1.27", notFound("docker.io/library/nginx:1.27")), startFailed("ErrImagePull")}},
		{action: load("registry.local/tools:v1", "tools v1")},
		{action: create("g", "registry.local/tools:v1", pullpolicy.PullNever), runs: "tools v1",
			events: []string{present("registry.local/tools:v1")}},
	})
}

// The tenant findings of the audit: a record written under one spelling
// does not let another spelling in, for another tenant or for the owner.
func TestEnsureSecretPulledImagesKeysTenants(t *testing.T) {
	credA := registry.Credential{Username: "team-a", Password: "a-secret"}
	w, _ := newCredWorld(t)
	const long = "docker.io/team-a/app:v1"
	w.run([]step{
		{action: push(long, "app v1")},
		// Public when A's first pod pulls it as docker.io/team-a/app:v1:
		// the record is node-accessible under "docker.io/team-a/app".
		{action: create("a1", long, ""), resolves: 1, blobs: 3, runs: "app v1",
			events: []string{pulling(long), pulled(long, size("app v1"))}},
		{action: makePrivate(long, credA)},
		// B writes "team-a/app:v1": no entry under "team-a/app", so the
		// kubelet pulls, and the now private repository refuses B.
		{action: create("b", "team-a/app:v1", ""), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling("team-a/app:v1"), failedPull("team-a/app:v1", resolveFailed(long, hubDenied)), startFailed("ErrImagePull")}},
		// The spelling that was recorded is open to every pod.
		{action: create("a2", long, pullpolicy.PullNever), runs: "app v1", events: []string{present(long)}},
	})

	// The owner pulls team-a/app:v2 with its secret; its own second pod
	// spelling the image in full has no entry and Never refuses it.
	w, _ = newCredWorld(t)
	const long2 = "docker.io/team-a/app:v2"
	w.run([]step{
		{action: push(long2, "app v2")},
		{action: makePrivate(long2, credA)},
		{action: createSecret(node.DockerConfigSecret("", "a", map[string]registry.Credential{"docker.io": credA}))},
		{action: createPod(podWith("a1", "team-a/app:v2", "", "a")), resolves: 1, blobs: 3, runs: "app v2",
			events: []string{pulling("team-a/app:v2"), pulled("team-a/app:v2", size("app v2"))}},
		{action: createPod(podWith("a2", "team-a/app:v2", pullpolicy.PullNever, "a")), runs: "app v2", events: []string{present("team-a/app:v2")}},
		{action: createPod(podWith("a3", long2, pullpolicy.PullNever, "a")), reason: "ErrImageNeverPull",
			events: []string{neverPull(long2), startFailed("ErrImageNeverPull")}},
	})
}

// Init containers run one at a time; a failing one stops the sync, and app
// containers wait in PodInitializing. App containers start independently.
func TestInitContainersOrder(t *testing.T) {
	w := newWorld(t)
	w.reg.MustPush("busybox:1.36", build("busybox"))
	n := w.node("")
	pod := node.Pod{Name: "p", Spec: node.PodSpec{
		InitContainers: []node.Container{{Name: "init-a", Image: "busybox:1.36"}, {Name: "init-b", Image: "migrate:v1"}, {Name: "init-c", Image: "busybox:1.36"}},
		Containers:     []node.Container{{Name: "app", Image: "busybox:1.36"}, {Name: "side", Image: "missing:v1"}},
	}}
	p := n.MustCreatePod(pod)
	wantStates := func(step string, p node.Pod, want []string) {
		t.Helper()
		var got []string
		for _, s := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			switch {
			case s.State.Running != nil:
				got = append(got, s.Name+"=Running")
			case s.State.Terminated != nil:
				got = append(got, s.Name+"="+s.State.Terminated.Reason)
			default:
				got = append(got, s.Name+"="+s.State.Waiting.Reason)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: states = %v, want %v", step, got, want)
		}
	}
	wantStates("create", p, []string{"init-a=Completed", "init-b=ErrImagePull", "init-c=PodInitializing", "app=PodInitializing", "side=PodInitializing"})
	w.reg.MustPush("migrate:v1", build("migrate"))
	w.clock.Step(10 * time.Second)
	if err := n.SyncPod("", "p"); err != nil {
		t.Fatal(err)
	}
	p, _ = n.Pod("", "p")
	wantStates("sync", p, []string{"init-a=Completed", "init-b=Completed", "init-c=Completed", "app=Running", "side=ErrImagePull"})
	if p.Status.Phase != node.PodPending {
		t.Errorf("phase = %s, want Pending while a container never started", p.Status.Phase)
	}
	var fields []string
	for _, e := range n.PodEvents("", "p") {
		if e.Reason == "Pulling" || e.Message == "Error: ErrImagePull" {
			fields = append(fields, e.Object.FieldPath+":"+e.Message[:5])
		}
	}
	want := "[spec.initContainers{init-a}:Pulli spec.initContainers{init-b}:Pulli spec.initContainers{init-b}:Error spec.initContainers{init-b}:Pulli spec.containers{side}:Pulli spec.containers{side}:Error]"
	if fmt.Sprint(fields) != want {
		t.Errorf("Pulling events by field path = %v, want %s", fields, want)
	}
}

func TestBadInput(t *testing.T) {
	w := newWorld(t)
	n := w.node("")
	n.MustCreatePod(node.Pod{Name: "web", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "nginx:1.28", ImagePullPolicy: pullpolicy.PullNever}}}})
	before, evs := n.Pods(), n.EventCount()
	for i, tc := range []struct {
		do   func() error // the bad call
		is   error        // wanted sentinel
		text string       // wanted error text
	}{
		{func() error {
			_, err := n.CreatePod(node.Pod{Name: "web", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "nginx"}}}})
			return err
		}, node.ErrAlreadyExists, `pods "web" already exists`},
		{func() error { _, err := n.CreatePod(node.Pod{Name: "x"}); return err }, node.ErrInvalid, `Pod "x" is invalid: spec.containers: Required value`},
		{func() error {
			_, err := n.CreatePod(node.Pod{Name: "x", Spec: node.PodSpec{Containers: []node.Container{{Name: "a", Image: " nginx"}, {Name: "a", Image: "nginx", ImagePullPolicy: "always"}, {Image: ""}}}})
			return err
		}, node.ErrInvalid, `Pod "x" is invalid: [spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace, spec.containers[1].name: Duplicate value: "a", spec.containers[1].imagePullPolicy: Unsupported value: "always": supported values: "Always", "IfNotPresent", "Never", spec.containers[2].name: Required value, spec.containers[2].image: Required value]`},
		{func() error { return n.DeletePod("", "nope") }, node.ErrNotFound, `pods "nope" not found`},
		{func() error { return n.SyncPod("", "nope") }, node.ErrNotFound, `pods "nope" not found`},
		{func() error { return n.RestartContainer("", "web", "nope") }, node.ErrNotFound, `container "nope" not found in pod "web"`},
		{func() error { return n.RestartContainer("", "web", "app") }, nil, `node node-1: restart default/web: container "app" is not running`},
		{func() error { _, _, err := n.EnsureImage("", "nope", "app"); return err }, node.ErrNotFound, `pods "nope" not found`},
		{func() error { _, err := n.LoadImage("NGINX", build("x")); return err }, nil, `node node-1: load image: couldn't parse image name "NGINX": invalid reference format: repository name (library/NGINX) must be lowercase`},
		{func() error { _, err := n.LoadImage("nginx@"+digestOf("x"), build("x")); return err }, nil, `node node-1: load image "nginx@` + digestOf("x") + `": name the image by tag, not digest`},
		{func() error {
			_, err := n.LoadImage("nginx:1", registry.Image{Config: "x", Layers: []registry.Layer{{Content: "l", Size: -1}}})
			return err
		}, nil, `node node-1: load image "nginx:1": registry: layer 0 ("l") has negative size -1`},
	} {
		err := tc.do()
		if err == nil || err.Error() != tc.text {
			t.Errorf("case %d: error = %v, want %q", i, err, tc.text)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("case %d: error %v is not %v", i, err, tc.is)
		}
	}
	if !reflect.DeepEqual(n.Pods(), before) || n.EventCount() != evs || n.Cache().Len() != 0 {
		t.Errorf("bad input changed state: pods %v, events %d->%d, images %d", n.Pods(), evs, n.EventCount(), n.Cache().Len())
	}
}

func TestNewValidation(t *testing.T) {
	reg := registry.New()
	for i, tc := range []struct {
		name string
		src  registry.Source
		opts []node.Option
		want string
	}{
		{"", reg, nil, "node: name is required"},
		{"n", nil, nil, "node n: a registry.Source is required"},
		{"n", reg, []node.Option{node.WithImageBackOff(0, time.Minute)}, "node n: image backoff must be positive, got initial 0s and max 1m0s"},
		{"n", reg, []node.Option{node.WithImageBackOff(-time.Second, time.Minute)}, "node n: image backoff must be positive, got initial -1s and max 1m0s"},
		{"n", reg, []node.Option{node.WithImageBackOff(2*time.Minute, time.Minute)}, "node n: image backoff initial 2m0s exceeds max 1m0s"},
		{"n", reg, []node.Option{node.WithRegistryPullQPS(math.NaN(), 10)}, "node n: invalid configuration: registryPullQPS (--registry-qps) NaN must be a finite number"},
		{"n", reg, []node.Option{node.WithRegistryPullQPS(math.Inf(1), 10)}, "node n: invalid configuration: registryPullQPS (--registry-qps) +Inf must be a finite number"},
		{"n", reg, []node.Option{node.WithCredentialProvider(node.CredentialProvider{MatchImages: []string{"*.example.com"}})}, "node n: credential provider 0 (*.example.com): Credentials is required"},
	} {
		if _, err := node.New(tc.name, tc.src, tc.opts...); err == nil || err.Error() != tc.want {
			t.Errorf("case %d: New error = %v, want %q", i, err, tc.want)
		}
	}
}

// Recreating a pod gives it a new UID, and with it a fresh backoff.
func TestRecreateNewUIDFreshBackOff(t *testing.T) {
	w := newWorld(t)
	n := w.node("")
	first := n.MustCreatePod(node.Pod{Name: "web", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "nginx:9"}}}})
	if err := n.DeletePod("", "web"); err != nil {
		t.Fatal(err)
	}
	w.clock.Step(time.Second)
	second := n.MustCreatePod(node.Pod{Name: "web", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "nginx:9"}}}})
	if first.UID == second.UID || len(second.UID) != 36 {
		t.Errorf("UIDs %q and %q: want two different UUID-shaped UIDs", first.UID, second.UID)
	}
	if got := second.Status.ContainerStatuses[0].State.Waiting.Reason; got != "ErrImagePull" {
		t.Errorf("recreated pod reason = %q, want ErrImagePull (new UID, new backoff key)", got)
	}
	if got := len(n.PodEvents("", "web")); got != 3 {
		t.Errorf("PodEvents of the recreated pod = %d, want 3 (its own only)", got)
	}
}
