package node_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

func setFault(scope string, kind registry.FaultKind, requests int) action {
	return do(fmt.Sprintf("fault %s=%v", scope, kind), func(w *world, _ *node.Node) error {
		return w.reg.SetFault(registry.Fault{Scope: scope, Kind: kind, Requests: requests})
	})
}

func clearFault(scope string) action {
	return do("clear fault "+scope, func(w *world, _ *node.Node) error {
		if !w.reg.ClearFault(scope) {
			return errors.New("no fault")
		}
		return nil
	})
}

// Each fault kind, as the kubelet reports it under each runtime: the
// runtime's text in the Failed event and the waiting message, classified
// by prefix. containerd words every failure as a plain error, so an
// unreachable registry is ErrImagePull; CRI-O prefixes the two it
// classifies.
func TestFaultKinds(t *testing.T) {
	const img = "registry.example.com/team/app:v1"
	const full = "registry.example.com/team/app:v1"
	resolve := `failed to pull and unpack image "` + full + `": failed to resolve reference "` + full + `": `
	head := "https://registry.example.com/v2/team/app/manifests/v1"
	crio := "initializing source docker://registry.example.com/team/app:v1: reading manifest v1 in registry.example.com/team/app: "
	for _, tc := range []struct {
		runtime node.ContainerRuntime
		kind    registry.FaultKind // fault on the host
		reason  string             // wanted waiting reason
		event   string             // wanted runtime text in the Failed event
		message string             // wanted waiting message; "" means the runtime text
	}{
		{node.Containerd, registry.FaultUnavailable, "ErrImagePull", resolve + `failed to do request: Head "` + head + `": dial tcp registry.example.com:443: connect: connection refused`, ""},
		{node.Containerd, registry.FaultSignature, "ErrImagePull", `failed to pull and unpack image "` + full + `": image verifier bindir blocked pull of ` + full + ` for reason: no valid signature found`, ""},
		{node.CRIO, registry.FaultUnavailable, "RegistryUnavailable",
			`RegistryUnavailable: initializing source docker://registry.example.com/team/app:v1: pinging container registry registry.example.com: Get "https://registry.example.com/v2/": dial tcp registry.example.com:443: connect: connection refused`,
			`image pull failed for registry.example.com/team/app:v1 because the registry is unavailable: initializing source docker://registry.example.com/team/app:v1: pinging container registry registry.example.com: Get "https://registry.example.com/v2/": dial tcp registry.example.com:443: connect: connection refused`},
		{node.CRIO, registry.FaultSignature, "SignatureValidationFailed",
			`SignatureValidationFailed: Source image rejected: A signature was required, but no signature exists`,
			`image pull failed for registry.example.com/team/app:v1 because the signature validation failed: Source image rejected: A signature was required, but no signature exists`},
		// CRI-O classifies only a refused connection: a timeout is ErrImagePull.
		{node.CRIO, registry.FaultTimeout, "ErrImagePull",
			`initializing source docker://registry.example.com/team/app:v1: pinging container registry registry.example.com: Get "https://registry.example.com/v2/": dial tcp registry.example.com:443: i/o timeout`, ""},
		{node.CRIO, registry.FaultNotFound, "ErrImagePull", crio + "manifest unknown", ""},
		{node.CRIO, registry.FaultUnauthorized, "ErrImagePull", crio + "unauthorized: authentication required", ""},
		{node.CRIO, registry.FaultTooManyRequests, "ErrImagePull", crio + "toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit", ""},
		{node.CRIO, registry.FaultServerError, "ErrImagePull", crio + "received unexpected HTTP status: 500 Internal Server Error", ""},
		{node.Containerd, registry.FaultTimeout, "ErrImagePull", "rpc error: code = DeadlineExceeded desc = " + resolve + `failed to do request: Head "` + head + `": dial tcp registry.example.com:443: i/o timeout`, ""},
		{node.Containerd, registry.FaultNotFound, "ErrImagePull", "rpc error: code = NotFound desc = " + resolve + full + ": not found", ""},
		{node.Containerd, registry.FaultUnauthorized, "ErrImagePull", resolve + "pulling from host registry.example.com failed with status code [manifests v1]: 401 Unauthorized", ""},
		// A 429 meets the manifest GET: the HEAD that resolves the tag is not metered.
		{node.Containerd, registry.FaultTooManyRequests, "ErrImagePull", `failed to pull and unpack image "` + full + `": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry.example.com/v2/team/app/manifests/` + manifestDigest("app v1") + `: 429 Too Many Requests`, ""},
		{node.Containerd, registry.FaultServerError, "ErrImagePull", resolve + "pulling from host registry.example.com failed with status code [manifests v1]: 500 Internal Server Error", ""},
	} {
		t.Run(string(tc.runtime)+"/"+tc.kind.String(), func(t *testing.T) {
			w := newWorld(t, node.WithContainerRuntime(tc.runtime))
			w.run([]step{
				{action: push(img, "app v1")},
				{action: setFault("registry.example.com", tc.kind, 0)},
				{action: create("p", img, ""), reason: tc.reason, resolves: 1,
					events: []string{pulling(img), failedPull(img, tc.event), startFailed(tc.reason)}},
				{at: 5 * time.Second, action: syncPod("p"), reason: "ImagePullBackOff",
					events: []string{`Normal BackOff Back-off pulling image "` + img + `"`, startFailed("ImagePullBackOff")}},
				{at: 10 * time.Second, action: clearFault("registry.example.com")},
				{at: 10 * time.Second, action: syncPod("p"), runs: "app v1", resolves: 1, blobs: 3,
					events: []string{pulling(img), pulled(img, size("app v1"))}},
			})
			want := tc.message
			if want == "" {
				want = tc.event
			}
			_, msg, err := w.node("").EnsureImage("", "p", "app")
			_ = msg
			if err != nil {
				t.Fatalf("EnsureImage after recovery: %v", err)
			}
			a := w.node("").Attempts("", "p")
			if got := a[0].Message; got != want {
				t.Errorf("waiting message = %q, want %q", got, want)
			}
			if got := a[1].Message; !strings.HasPrefix(got, `Back-off pulling image "`+img+`": `+tc.reason+": "+want) {
				t.Errorf("backoff message = %q, want the previous error carried", got)
			}
		})
	}
}

// manifestDigest is the digest of a build's manifest.
func manifestDigest(b string) string {
	m, _, _ := registry.Build(build(b))
	return m.Digest.String()
}

// Docker Hub's pull rate limit meters manifest and blob GETs: under it, a
// pull whose resolved digest is on the node still succeeds (Always costs one
// HEAD), while a pull that needs content fails with Docker Hub's text.
func TestDockerHubRateLimit(t *testing.T) {
	w := newWorld(t)
	w.run([]step{
		{action: push("nginx:1.28", "nginx 1.28")},
		{action: push("nginx:1.29", "nginx 1.29")},
		{action: create("a", "nginx:1.28", pullpolicy.PullAlways), runs: "nginx 1.28", resolves: 1, blobs: 3,
			events: []string{pulling("nginx:1.28"), pulled("nginx:1.28", size("nginx 1.28"))}},
		{action: setFault("docker.io", registry.FaultTooManyRequests, 0)},
		{action: create("b", "nginx:1.28", pullpolicy.PullAlways), runs: "nginx 1.28", resolves: 1,
			events: []string{pulling("nginx:1.28"), pulled("nginx:1.28", size("nginx 1.28"))}},
		{action: create("c", "nginx:1.29", pullpolicy.PullAlways), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling("nginx:1.29"), failedPull("nginx:1.29", `failed to pull and unpack image "docker.io/library/nginx:1.29": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/`+manifestDigest("nginx 1.29")+`: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit`), startFailed("ErrImagePull")}},
	})
}

// An image written without a tag is pulled as ":latest", but every message
// the kubelet shows names it as written: the RegistryUnavailable and
// SignatureValidationFailed rewrites, the BackOff text and the Pulled event.
// Only the runtime's own text carries the tagged name.
func TestUntaggedImageMessages(t *testing.T) {
	const img = "registry.example.com/team/app"
	for _, tc := range []struct {
		kind    registry.FaultKind
		reason  string
		event   string // the runtime's text, tagged
		message string // the kubelet's rewrite, as written
	}{
		{registry.FaultUnavailable, "RegistryUnavailable",
			`RegistryUnavailable: initializing source docker://registry.example.com/team/app:latest: pinging container registry registry.example.com: Get "https://registry.example.com/v2/": dial tcp registry.example.com:443: connect: connection refused`,
			`image pull failed for registry.example.com/team/app because the registry is unavailable: initializing source docker://registry.example.com/team/app:latest: pinging container registry registry.example.com: Get "https://registry.example.com/v2/": dial tcp registry.example.com:443: connect: connection refused`},
		{registry.FaultSignature, "SignatureValidationFailed",
			`SignatureValidationFailed: Source image rejected: A signature was required, but no signature exists`,
			`image pull failed for registry.example.com/team/app because the signature validation failed: Source image rejected: A signature was required, but no signature exists`},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			w := newWorld(t, node.WithContainerRuntime(node.CRIO))
			w.run([]step{
				{action: push(img+":latest", "app")},
				{action: setFault("registry.example.com", tc.kind, 1)},
				{action: create("p", img, ""), reason: tc.reason, resolves: 1,
					events: []string{pulling(img), failedPull(img, tc.event), startFailed(tc.reason)}},
				{at: 5 * time.Second, action: syncPod("p"), reason: "ImagePullBackOff",
					events: []string{`Normal BackOff Back-off pulling image "` + img + `"`, startFailed("ImagePullBackOff")}},
				{at: 10 * time.Second, action: syncPod("p"), runs: "app", resolves: 1, blobs: 3,
					events: []string{pulling(img), pulled(img, size("app"))}},
			})
			a := w.node("").Attempts("", "p")
			if got := a[0].Message; got != tc.message {
				t.Errorf("waiting message = %q, want %q", got, tc.message)
			}
			if got, want := a[1].Message, `Back-off pulling image "`+img+`": `+tc.reason+": "+tc.message; got != want {
				t.Errorf("backoff message = %q, want %q", got, want)
			}
		})
	}
}

// A fault on one repository leaves the others alone; a counted fault
// switches itself off.
func TestFaultScopes(t *testing.T) {
	w := newWorld(t)
	w.run([]step{
		{action: push("nginx:1.28", "nginx")},
		{action: push("busybox:1.36", "busybox")},
		{action: setFault("nginx", registry.FaultServerError, 1)},
		{action: create("a", "busybox:1.36", ""), runs: "busybox", resolves: 1, blobs: 3,
			events: []string{pulling("busybox:1.36"), pulled("busybox:1.36", size("busybox"))}},
		{action: create("b", "nginx:1.28", ""), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling("nginx:1.28"), failedPull("nginx:1.28", `failed to pull and unpack image "docker.io/library/nginx:1.28": failed to resolve reference "docker.io/library/nginx:1.28": pulling from host registry-1.docker.io failed with status code [manifests 1.28]: 500 Internal Server Error`), startFailed("ErrImagePull")}},
		// The fault was for one request only.
		{at: 10 * time.Second, action: syncPod("b"), runs: "nginx", resolves: 1, blobs: 2,
			events: []string{pulling("nginx:1.28"), pulled("nginx:1.28", size("nginx"))}},
	})
	if f := w.reg.Faults(); len(f) != 0 {
		t.Errorf("Faults() = %v, want none left", f)
	}
}

// The kubelet's own unit test: backoff 1s/60s, the clock advanced 1s before
// each call. Real attempts happen at calls 1, 2, 4, 8 and 16.
func TestKubeletBackOffSequence(t *testing.T) {
	w := newWorld(t, node.WithImageBackOff(time.Second, 60*time.Second))
	w.reg.MustPush("localhost:5000/app:v1", build("app"))
	if err := w.reg.SetFault(registry.Fault{Scope: "localhost:5000", Kind: registry.FaultServerError}); err != nil {
		t.Fatal(err)
	}
	n := w.node("")
	w.clock.Step(time.Second)
	n.MustCreatePod(appPod("p", "localhost:5000/app:v1", ""))
	for call := 2; call <= 16; call++ {
		w.clock.Step(time.Second)
		if err := n.SyncPod("", "p"); err != nil {
			t.Fatal(err)
		}
	}
	var reasons []string
	var real []int
	for i, a := range n.Attempts("", "p") {
		reasons = append(reasons, a.Reason)
		if a.Pulled {
			real = append(real, i+1)
		}
	}
	if got, want := strings.Join(reasons[:6], ","), "ErrImagePull,ErrImagePull,ImagePullBackOff,ErrImagePull,ImagePullBackOff,ImagePullBackOff"; got != want {
		t.Errorf("reasons = %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(real), "[1 2 4 8 16]"; got != want {
		t.Errorf("real attempts at calls %s, want %s", got, want)
	}
}

// The driver syncs failing pods every resync interval; the registry is down
// for three minutes. The real attempts follow the backoff windows.
func TestDriverCadence(t *testing.T) {
	w := newWorld(t)
	w.reg.MustPush("nginx:1.28", build("nginx"))
	w.reg.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultTimeout})
	n := w.node("")
	n.MustCreatePod(appPod("web", "nginx:1.28", ""))
	if err := n.Advance(3 * time.Minute); err != nil {
		t.Fatal(err)
	}
	w.reg.ClearFault("docker.io")
	if err := n.Advance(10 * time.Minute); err != nil {
		t.Fatal(err)
	}
	var real []string
	syncs := 0
	for _, a := range n.Attempts("", "web") {
		syncs++
		if a.Pulled {
			real = append(real, fmt.Sprintf("%v:%s", a.At.Sub(node.Epoch), a.Reason))
		}
	}
	// Failures at 0, 10s, 30s, 70s, 150s (windows 10, 20, 40, 80, 160s);
	// the next real attempt is at 310s, after the registry came back.
	if got, want := fmt.Sprint(real), "[0s:ErrImagePull 10s:ErrImagePull 30s:ErrImagePull 1m10s:ErrImagePull 2m30s:ErrImagePull 5m10s:]"; got != want {
		t.Errorf("real attempts = %s, want %s", got, want)
	}
	if syncs != 32 {
		t.Errorf("syncs = %d, want 32 (every 10s from 0s to 310s)", syncs)
	}
	if got := w.clock.Now().Sub(node.Epoch); got != 13*time.Minute {
		t.Errorf("clock = %v, want 13m0s", got)
	}
}

// Two pods, and two spellings of one image, back off separately.
func TestSeparateBackOffs(t *testing.T) {
	w := newWorld(t)
	w.reg.MustPush("nginx:1.28", build("nginx"))
	w.reg.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultTimeout})
	w.run([]step{
		{action: create("a", "nginx:1.28", ""), reason: "ErrImagePull", resolves: 1, events: []string{
			pulling("nginx:1.28"), failedPull("nginx:1.28", `rpc error: code = DeadlineExceeded desc = failed to pull and unpack image "docker.io/library/nginx:1.28": failed to resolve reference "docker.io/library/nginx:1.28": failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/1.28": dial tcp registry-1.docker.io:443: i/o timeout`), startFailed("ErrImagePull")}},
		{at: time.Second, action: syncPod("a"), reason: "ImagePullBackOff", events: []string{`Normal BackOff Back-off pulling image "nginx:1.28"`, startFailed("ImagePullBackOff")}},
		{at: time.Second, action: createPod(node.Pod{Name: "b", Spec: node.PodSpec{Containers: []node.Container{
			{Name: "app", Image: "nginx:1.28"}, {Name: "long", Image: "docker.io/library/nginx:1.28"}}}}),
			reason: "ErrImagePull", resolves: 2, events: []string{
				pulling("nginx:1.28"), failedPull("nginx:1.28", `rpc error: code = DeadlineExceeded desc = failed to pull and unpack image "docker.io/library/nginx:1.28": failed to resolve reference "docker.io/library/nginx:1.28": failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/1.28": dial tcp registry-1.docker.io:443: i/o timeout`), startFailed("ErrImagePull"),
				pulling("docker.io/library/nginx:1.28"), failedPull("docker.io/library/nginx:1.28", `rpc error: code = DeadlineExceeded desc = failed to pull and unpack image "docker.io/library/nginx:1.28": failed to resolve reference "docker.io/library/nginx:1.28": failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/1.28": dial tcp registry-1.docker.io:443: i/o timeout`), startFailed("ErrImagePull")}},
	})
}

// Always fails while the registry is down, image cached or not; IfNotPresent
// uses an image that appears during its backoff window.
func TestCachedImageDuringOutage(t *testing.T) {
	down := `rpc error: code = DeadlineExceeded desc = failed to pull and unpack image "docker.io/library/nginx:1.28": failed to resolve reference "docker.io/library/nginx:1.28": failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/1.28": dial tcp registry-1.docker.io:443: i/o timeout`
	w := newWorld(t)
	w.run([]step{
		{action: push("nginx:1.28", "nginx")},
		{action: setFault("docker.io", registry.FaultTimeout, 0)},
		{action: create("ifnp", "nginx:1.28", pullpolicy.PullIfNotPresent), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling("nginx:1.28"), failedPull("nginx:1.28", down), startFailed("ErrImagePull")}},
		{at: time.Second, action: load("nginx:1.28", "nginx")},
		{at: 2 * time.Second, action: syncPod("ifnp"), runs: "nginx", events: []string{present("nginx:1.28")}},
		{at: 2 * time.Second, action: create("always", "nginx:1.28", pullpolicy.PullAlways), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling("nginx:1.28"), failedPull("nginx:1.28", down), startFailed("ErrImagePull")}},
		{at: 3 * time.Second, action: syncPod("always"), reason: "ImagePullBackOff",
			events: []string{`Normal BackOff Back-off pulling image "nginx:1.28"`, startFailed("ImagePullBackOff")}},
		// A running Always container is unaffected until it restarts.
		{at: 4 * time.Second, action: clearFault("docker.io")},
		{at: 12 * time.Second, action: syncPod("always"), runs: "nginx", resolves: 1,
			events: []string{pulling("nginx:1.28"), pulled("nginx:1.28", size("nginx"))}},
		{at: 13 * time.Second, action: setFault("docker.io", registry.FaultTimeout, 0)},
		{at: 13 * time.Second, action: restart("always"), reason: "ErrImagePull", resolves: 1,
			events: []string{pulling("nginx:1.28"), failedPull("nginx:1.28", down), startFailed("ErrImagePull")}},
	})
}

// ErrImageNeverPull is retried on every sync, without backoff; the pod starts
// on the first sync after the image is side-loaded.
func TestNeverRecoversOnNextSync(t *testing.T) {
	w := newWorld(t)
	n := w.node("")
	n.MustCreatePod(appPod("p", "tools:v1", pullpolicy.PullNever))
	n.Advance(35 * time.Second) // syncs at 10, 20, 30s
	n.LoadImage("tools:v1", build("tools"))
	n.Advance(10 * time.Second) // sync at 40s starts it
	var got []string
	for _, a := range n.Attempts("", "p") {
		got = append(got, fmt.Sprintf("%v:%s", a.At.Sub(node.Epoch), a.Reason))
	}
	if want := "[0s:ErrImageNeverPull 10s:ErrImageNeverPull 20s:ErrImageNeverPull 30s:ErrImageNeverPull 40s:]"; fmt.Sprint(got) != want {
		t.Errorf("attempts = %v, want %s", got, want)
	}
	if c := w.reg.Counters(); c.Requests() != 0 {
		t.Errorf("registry requests = %d, want 0", c.Requests())
	}
}

func TestDriverBadInput(t *testing.T) {
	w := newWorld(t)
	n := w.node("")
	n.MustCreatePod(appPod("p", "nginx:9", ""))
	other := node.MustNew("other", w.reg)
	now, evs := w.clock.Now(), n.EventCount()
	for i, tc := range []struct {
		err  error  // what the bad call returned
		want string // wanted text
	}{
		{n.Advance(0), "node node-1: advance by 0s: duration must be positive"},
		{n.Advance(-time.Second), "node node-1: advance by -1s: duration must be positive"},
		{n.RunUntil(now.Add(-time.Second)), "node node-1: run until 2025-12-31T23:59:59Z: that is before the clock's time 2026-01-01T00:00:00Z"},
		{node.Run(now), "node: run: no nodes"},
		{node.Run(now, n, other), "node other: run: it does not share node node-1's clock"},
		{w.reg.SetFault(registry.Fault{Scope: "docker.io", Kind: 99}), `registry: set fault on "docker.io": unknown fault kind 99`},
		{w.reg.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultTimeout, Requests: -1}), `registry: set fault on "docker.io": negative request count -1`},
		{w.reg.SetFault(registry.Fault{Scope: "", Kind: registry.FaultTimeout}), `registry: fault scope is empty; name a host or a repository`},
		{w.reg.SetFault(registry.Fault{Scope: "nginx:1.28", Kind: registry.FaultTimeout}), `registry: fault scope "nginx:1.28": name a host or a repository, without tag or digest`},
		{n.SyncPod("", "gone"), `pods "gone" not found`},
	} {
		if tc.err == nil || tc.err.Error() != tc.want {
			t.Errorf("case %d: error = %v, want %q", i, tc.err, tc.want)
		}
	}
	if !w.clock.Now().Equal(now) || n.EventCount() != evs || len(w.reg.Faults()) != 0 {
		t.Errorf("bad input changed state: clock %v, events %d->%d, faults %v", w.clock.Now(), evs, n.EventCount(), w.reg.Faults())
	}
	if _, err := node.New("n", w.reg, node.WithResyncInterval(0)); err == nil || err.Error() != "node n: resync interval must be positive, got 0s" {
		t.Errorf("WithResyncInterval(0): error = %v", err)
	}
}

// A clock without SetTime cannot drive the node.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func TestDriverNeedsSettableClock(t *testing.T) {
	reg := registry.New()
	reg.MustPush("nginx:1.28", build("nginx"))
	n := node.MustNew("n", reg, node.WithClock(fixedClock{node.Epoch}))
	if err := n.Advance(time.Second); err == nil || err.Error() != "node n: run: the clock (node_test.fixedClock) has no SetTime method; use a *node.ManualClock" {
		t.Errorf("Advance = %v", err)
	}
	// EnsureImage may have to wait for a pull: it refuses before doing
	// anything, so no event, count or pull is left behind.
	n.MustCreatePod(appPod("p", "nginx:1.28", pullpolicy.PullAlways))
	events, counts := n.EventCount(), n.Counters()
	if _, _, err := n.EnsureImage("", "p", "app"); err == nil || err.Error() != "node n: ensure image: the clock (node_test.fixedClock) has no SetTime method to wait for a pull with; use a *node.ManualClock" {
		t.Errorf("EnsureImage = %v", err)
	}
	if n.EventCount() != events || n.Counters() != counts {
		t.Errorf("EnsureImage failed but left events %d -> %d, counters %+v -> %+v", events, n.EventCount(), counts, n.Counters())
	}
}

// A failing presence check is ImageInspectError with the kubelet's quirky
// message, retried every sync with no backoff; Always does not check, but
// the size the puller asks ImageStatus for after its pull is unknown then:
// 0 bytes, and the real size once ImageStatus answers again.
func TestImageInspectError(t *testing.T) {
	const msg = `Failed to inspect image "": rpc error: code = DeadlineExceeded desc = context deadline exceeded`
	w := newWorld(t)
	w.run([]step{
		{action: push("nginx:1.28", "nginx")},
		{action: do("break ImageStatus", func(_ *world, n *node.Node) error {
			n.SetImageStatusError(errors.New("rpc error: code = DeadlineExceeded desc = context deadline exceeded"))
			return nil
		})},
		{action: create("a", "nginx:1.28", ""), reason: "ImageInspectError", events: []string{"Warning InspectFailed " + msg, startFailed("ImageInspectError")}},
		{at: time.Second, action: syncPod("a"), reason: "ImageInspectError", events: []string{"Warning InspectFailed " + msg, startFailed("ImageInspectError")}},
		{at: time.Second, action: create("b", "nginx:1.28", pullpolicy.PullAlways), runs: "nginx", resolves: 1, blobs: 3,
			events: []string{pulling("nginx:1.28"), pulled("nginx:1.28", 0)}},
		{at: 2 * time.Second, action: do("fix ImageStatus", func(_ *world, n *node.Node) error { n.SetImageStatusError(nil); return nil })},
		{at: 2 * time.Second, action: syncPod("a"), runs: "nginx", events: []string{present("nginx:1.28")}},
		{at: 2 * time.Second, action: create("c", "nginx:1.28", pullpolicy.PullAlways), runs: "nginx", resolves: 1,
			events: []string{pulling("nginx:1.28"), pulled("nginx:1.28", size("nginx"))}},
	})
	if got := w.node("").Attempts("", "a")[0].Message; got != msg {
		t.Errorf("waiting message = %q, want %q", got, msg)
	}
}

// A Message fault replays a runtime's text byte for byte; the kubelet
// classifies it by its prefix, whatever the runtime.
func TestFaultMessage(t *testing.T) {
	const img = "registry.example.com/team/app:v1"
	for i, tc := range []struct {
		text    string // the runtime's error
		op      registry.Op
		reason  string // wanted waiting reason
		message string // wanted waiting message
	}{
		{"RegistryUnavailable", "", "RegistryUnavailable", "image pull failed for " + img + " because the registry is unavailable"},
		{"SignatureValidationFailed: no valid signature found", "", "SignatureValidationFailed", "image pull failed for " + img + " because the signature validation failed: no valid signature found"},
		{"rpc error: code = Unavailable desc = connection error", "", "ErrImagePull", "rpc error: code = Unavailable desc = connection error"},
		// Failing the blob fetch, after the resolve and manifest succeeded.
		{"unexpected EOF", registry.OpBlob, "ErrImagePull", "unexpected EOF"},
	} {
		for _, rt := range []node.ContainerRuntime{node.Containerd, node.CRIO} {
			w := newWorld(t, node.WithContainerRuntime(rt))
			w.reg.MustPush(img, build("app v1"))
			if err := w.reg.SetFault(registry.Fault{Scope: "registry.example.com", Kind: registry.FaultMessage, Message: tc.text, Op: tc.op}); err != nil {
				t.Fatal(err)
			}
			n := w.node("")
			n.MustCreatePod(podWith("p", img, ""))
			a := lastAttempt(t, n, "p")
			if a.Reason != tc.reason || a.Message != tc.message {
				t.Errorf("case %d (%s): attempt = %q %q, want %q %q", i, rt, a.Reason, a.Message, tc.reason, tc.message)
			}
			c := w.reg.Counters()
			wantBlobs := 0
			if tc.op == registry.OpBlob {
				wantBlobs = 1
			}
			if c.Blobs != wantBlobs || c.Resolves != 1 {
				t.Errorf("case %d (%s): registry counters = %+v, want 1 resolve and %d blob fetches", i, rt, c, wantBlobs)
			}
		}
	}
}

// A registry that refuses connections mid-pull: the resolve works, the
// blob download fails, in each runtime's words.
func TestBlobStageOutage(t *testing.T) {
	const img = "registry.example.com/team/app:v1"
	for _, tc := range []struct {
		runtime node.ContainerRuntime
		reason  string
		prefix  string
	}{
		{node.Containerd, "ErrImagePull", `failed to pull and unpack image "` + img + `": failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://registry.example.com/v2/team/app/blobs/sha256:`},
		// CRI-O puts RegistryUnavailable in front of the whole error.
		{node.CRIO, "RegistryUnavailable", "image pull failed for " + img + " because the registry is unavailable: reading blob sha256:"},
	} {
		w := newWorld(t, node.WithContainerRuntime(tc.runtime))
		w.reg.MustPush(img, build("app v1"))
		if err := w.reg.SetFault(registry.Fault{Scope: "registry.example.com", Kind: registry.FaultUnavailable, Op: registry.OpBlob}); err != nil {
			t.Fatal(err)
		}
		n := w.node("")
		n.MustCreatePod(podWith("p", img, ""))
		a := lastAttempt(t, n, "p")
		if a.Reason != tc.reason || !strings.HasPrefix(a.Message, tc.prefix) {
			t.Errorf("%s: attempt = %q %q, want %q and a message starting %q", tc.runtime, a.Reason, a.Message, tc.reason, tc.prefix)
		}
		if len(n.Cache().List()) != 0 {
			t.Errorf("%s: a failed pull left images in the cache: %v", tc.runtime, n.Cache().List())
		}
	}
}

func TestContainerRuntimeOption(t *testing.T) {
	_, err := node.New("n", registry.New(), node.WithContainerRuntime("docker"))
	want := `node n: unknown container runtime "docker"; want "containerd" or "cri-o"`
	if err == nil || err.Error() != want {
		t.Errorf("New = %v, want %q", err, want)
	}
}
