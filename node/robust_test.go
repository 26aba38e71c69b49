package node_test

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pullsim/pullsim/imagecache"
	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// backClock is a Clock that can be set anywhere, backwards included, as
// k8s.io/utils' FakeClock can.
type backClock struct{ t time.Time }

func (c *backClock) Now() time.Time      { return c.t }
func (c *backClock) SetTime(t time.Time) { c.t = t }

func failingPod(name string) node.Pod {
	return node.Pod{Name: name, Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "missing:v1"}}}}
}

// A clock moved backwards is read as standing still: events keep their
// order, backoff windows stay sane, nothing panics.
func TestClockMovedBackwards(t *testing.T) {
	clock := &backClock{t: node.Epoch.Add(time.Hour)}
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	n := node.MustNew("n", reg, node.WithClock(clock))
	n.MustCreatePod(failingPod("p"))
	clock.SetTime(node.Epoch) // an hour back
	if err := n.SyncPod("", "p"); err != nil {
		t.Fatal(err)
	}
	evs := n.Events()
	for i := 1; i < len(evs); i++ {
		if evs[i].At.Before(evs[i-1].At) {
			t.Errorf("event %d at %v is before event %d at %v", i, evs[i].At, i-1, evs[i-1].At)
		}
	}
	if last := evs[len(evs)-1]; last.Reason != "Failed" || last.Message != "Error: ImagePullBackOff" || !last.At.Equal(node.Epoch.Add(time.Hour)) {
		t.Errorf("last event %v, want Error: ImagePullBackOff at the node's latest time", last)
	}
	if err := n.RunUntil(node.Epoch.Add(30 * time.Minute)); err == nil {
		t.Error("RunUntil before the node's time succeeded, want an error")
	}
}

// Virtual time ends with year 9999: a node near it is not driven past it,
// and a huge Advance on an idle node returns at once, in bounded memory.
func TestEndOfTime(t *testing.T) {
	end := time.Date(9999, time.December, 31, 23, 59, 59, 999999999, time.UTC)
	clock := node.NewManualClock(end.Add(-time.Second))
	n := node.MustNew("n", registry.New(), node.WithClock(clock))
	if err := n.Advance(time.Hour); err == nil || !strings.Contains(err.Error(), "past the end of virtual time, 9999-12-31T23:59:59Z") {
		t.Errorf("Advance(1h) a second before the end = %v, want a past-the-end error", err)
	}
	if err := n.Advance(time.Millisecond); err != nil {
		t.Errorf("Advance(1ms) = %v", err)
	}
	if err := n.RunUntil(end.Add(time.Nanosecond)); err == nil {
		t.Error("RunUntil past the end succeeded")
	}

	idle := node.MustNew("idle", registry.New())
	idle.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "x:1", ImagePullPolicy: pullpolicy.PullNever}}}})
	if err := idle.DeletePod("", "p"); err != nil {
		t.Fatal(err)
	}
	if err := idle.Advance(math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	if runs := idle.GCRuns(); len(runs) == 0 || len(runs) > node.MaxGCRuns {
		t.Errorf("GCRuns after 292 idle years: %d, want between 1 and %d", len(runs), node.MaxGCRuns)
	}
	if got := len(idle.Events()); got != 0 {
		t.Errorf("events after 292 years: %d, want none: they expired", got)
	}
}

// A pod failing for 30 days keeps bounded histories: events expire after
// the TTL, attempts and GC results keep their latest.
func TestBoundedHistories(t *testing.T) {
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	n := node.MustNew("n", reg, node.WithResyncInterval(time.Minute))
	n.MustCreatePod(failingPod("p"))
	if err := n.Advance(30 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	evs := n.Events()
	if len(evs) == 0 || len(evs) > 200 {
		t.Errorf("events kept: %d, want only the last hour's", len(evs))
	}
	if first := evs[0].At; n.Clock().Now().Sub(first) > time.Hour {
		t.Errorf("oldest event kept is %v old, want at most the 1h TTL", n.Clock().Now().Sub(first))
	}
	if got := len(n.Attempts("", "p")); got != node.MaxAttempts {
		t.Errorf("attempts kept: %d, want %d", got, node.MaxAttempts)
	}
	if got := len(n.GCRuns()); got != node.MaxGCRuns {
		t.Errorf("GC results kept: %d, want %d", got, node.MaxGCRuns)
	}
	if n.EventCount() < 40000 {
		t.Errorf("EventCount = %d, want every emission counted", n.EventCount())
	}
}

// WithEventTTL sets the TTL; the describe view shows only what is left.
func TestEventTTL(t *testing.T) {
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	reg.MustPush("app:v1", registry.Image{Config: "app"})
	n := node.MustNew("n", reg, node.WithEventTTL(10*time.Minute))
	n.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "app:v1"}}}})
	seen := n.EventCount()
	if err := n.Advance(11 * time.Minute); err != nil {
		t.Fatal(err)
	}
	n.MustCreatePod(node.Pod{Name: "q", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "app:v1"}}}})
	if got := len(n.PodEvents("", "p")); got != 0 {
		t.Errorf("p's events after 11m with a 10m TTL: %d, want 0", got)
	}
	if got := n.EventsSince(0); len(got) != 1 || got[0].Object.Name != "q" {
		t.Errorf("EventsSince(0) = %v, want only q's event", got)
	}
	if got := n.EventsSince(seen); len(got) != 1 {
		t.Errorf("EventsSince(%d) = %v, want q's event", seen, got)
	}
	if _, err := node.New("n", reg, node.WithEventTTL(0)); err == nil || err.Error() != "node n: event TTL 0s must be positive" {
		t.Errorf("WithEventTTL(0): %v", err)
	}
}

// Nodes sharing a ManualClock, each advanced from its own goroutine,
// never fail with "before the clock's time".
func TestSharedClockFromGoroutines(t *testing.T) {
	reg := registry.New()
	reg.SetDefaultLink(registry.InstantLink)
	reg.MustPush("app:v1", registry.Image{Config: "app"})
	clock := node.NewManualClock(node.Epoch)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 4 {
		n := node.MustNew("n"+string(rune('a'+i)), reg, node.WithClock(clock))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				if _, err := n.CreatePod(node.Pod{Name: "p" + strings.Repeat("x", j%3) + string(rune('a'+j%26)) + string(rune('a'+j/26)), Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "app:v1"}}}}); err != nil {
					errs <- err
					return
				}
				if err := n.Advance(time.Second); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// AlwaysPullImages switched on and off while pods are created never
// refuses a valid pod: admission and validation see one configuration.
func TestAlwaysPullImagesToggledDuringCreate(t *testing.T) {
	cl := node.NewCluster()
	n := node.MustNew("n", registry.New(), node.WithCluster(cl))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for on := true; ; on = !on {
			select {
			case <-stop:
				return
			default:
				cl.SetAlwaysPullImages(on)
			}
		}
	}()
	for i := range 200 {
		p := node.Pod{Name: "p" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "app:v1", ImagePullPolicy: pullpolicy.PullNever}}}}
		if _, err := n.CreatePod(p); err != nil {
			t.Errorf("pod %d: %v", i, err)
			break
		}
	}
	close(stop)
	<-done
}

// Zero and nil values: a zero Cluster works, a typed-nil Source and nil
// nodes and writers are refused, a nil reference gets a registry error.
func TestZeroAndNilValues(t *testing.T) {
	var cl node.Cluster
	if _, err := cl.CreateSecret(node.Secret{Name: "s"}); err != nil {
		t.Errorf("zero Cluster CreateSecret: %v", err)
	}
	if _, err := cl.CreateServiceAccount(node.ServiceAccount{Name: "robot"}); err != nil {
		t.Errorf("zero Cluster CreateServiceAccount: %v", err)
	}
	n := node.MustNew("n", registry.New(), node.WithCluster(&cl))
	if _, err := n.CreatePod(failingPod("p")); err != nil {
		t.Errorf("CreatePod on a zero Cluster: %v", err)
	}

	var nilReg *registry.Registry
	if _, err := node.New("n", nilReg); err == nil || err.Error() != "node n: the registry.Source is a nil *registry.Registry" {
		t.Errorf("New with a typed-nil Source: %v", err)
	}
	if err := node.Run(node.Epoch, n, nil); err == nil || err.Error() != "node: run: node 1 of 2 is nil" {
		t.Errorf("Run with a nil node: %v", err)
	}
	if err := n.Describe(nil, "", "p"); err == nil {
		t.Error("Describe(nil) succeeded")
	}
	if err := n.GetPods(nil, ""); err == nil {
		t.Error("GetPods(nil) succeeded")
	}
	if err := imagecache.WriteCrictlImages(nil, nil); err == nil {
		t.Error("WriteCrictlImages(nil) succeeded")
	}
	_, err := registry.New().Resolve(nil, registry.Credential{})
	if !errors.Is(err, registry.ErrNameInvalid) || err.Error() != "registry: resolve: invalid repository name" {
		t.Errorf("Resolve(nil) = %v", err)
	}
	var ref *pullpolicy.ImageRef
	if ref.Name() != "" || ref.Requested() != "" || ref.Digest() != "" {
		t.Error("a nil *ImageRef answers with non-empty strings")
	}
}

// FuzzFaultMessage: whatever text a runtime reports, the kubelet passes it
// through byte for byte, classified by its prefix only.
func FuzzFaultMessage(f *testing.F) {
	for _, s := range []string{"RegistryUnavailable", "SignatureValidationFailed: no valid signature found", "RegistryUnavailableX", "x", "[RegistryUnavailable: a, b]", "\x00\xff"} {
		f.Add(s)
	}
	const img = "registry.example.com/app:v1"
	f.Fuzz(func(t *testing.T, text string) {
		if text == "" {
			return
		}
		reg := registry.New()
		reg.SetDefaultLink(registry.InstantLink)
		if err := reg.SetFault(registry.Fault{Scope: "registry.example.com", Kind: registry.FaultMessage, Message: text}); err != nil {
			t.Fatal(err)
		}
		n := node.MustNew("n", reg)
		n.MustCreatePod(node.Pod{Name: "p", Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: img}}}})
		a := n.Attempts("", "p")[0]
		reason, msg := "ErrImagePull", text
		if rest, ok := strings.CutPrefix(text, "RegistryUnavailable"); ok {
			reason, msg = "RegistryUnavailable", "image pull failed for "+img+" because the registry is unavailable"+rest
		} else if rest, ok := strings.CutPrefix(text, "SignatureValidationFailed"); ok {
			reason, msg = "SignatureValidationFailed", "image pull failed for "+img+" because the signature validation failed"+rest
		}
		if a.Reason != reason || a.Message != msg {
			t.Errorf("text %q: attempt %q %q, want %q %q", text, a.Reason, a.Message, reason, msg)
		}
		var failed string
		for _, e := range n.Events() {
			if e.Reason == "Failed" && strings.HasPrefix(e.Message, "Failed to pull image") {
				failed = e.Message
			}
		}
		if want := `Failed to pull image "` + img + `": ` + text; failed != want {
			t.Errorf("Failed event %q, want %q", failed, want)
		}
	})
}

// FuzzObjectNames: any pod name and namespace is accepted or refused with
// an error, never a panic, and what is accepted is found again under it.
func FuzzObjectNames(f *testing.F) {
	for _, s := range [][2]string{{"p", "default"}, {"team/x", "a"}, {"x/pull", "team"}, {"", ""}, {strings.Repeat("a", 254), "b"}, {"a.b-c", "d-e"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, name, namespace string) {
		n := node.MustNew("n", registry.New())
		_, err := n.CreatePod(node.Pod{Name: name, Namespace: namespace, Spec: node.PodSpec{Containers: []node.Container{{Name: "app", Image: "x:1", ImagePullPolicy: pullpolicy.PullNever}}}})
		if err != nil {
			if len(n.Pods()) != 0 {
				t.Fatalf("refused pod %q/%q was stored", namespace, name)
			}
			return
		}
		if strings.ContainsAny(name+namespace, "/_ ") {
			t.Fatalf("pod %q/%q accepted", namespace, name)
		}
		if _, ok := n.Pod(namespace, name); !ok {
			t.Fatalf("pod %q/%q accepted but not found", namespace, name)
		}
	})
}
