package node_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// slowWorld is a registry with a simple link: 100ms a request and 10 MB/s,
// so a 10 MB layer takes 1s.
func slowWorld(t *testing.T, opts ...node.Option) (*registry.Registry, *node.ManualClock, *node.Node) {
	t.Helper()
	reg := registry.New()
	if err := reg.SetDefaultLink(registry.Link{Latency: 100 * time.Millisecond, Bandwidth: 10_000_000, Timeout: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	clock := node.NewManualClock(node.Epoch)
	n := node.MustNew("node-1", reg, append([]node.Option{node.WithClock(clock)}, opts...)...)
	return reg, clock, n
}

// tenMB is an image of one 10 MB layer: a pull of it from scratch makes
// four requests (resolve, manifest, config, layer) and moves 10 MB plus a
// small config: 1.4s and a little more.
func tenMB(name string) registry.Image {
	return registry.Image{Config: name, Layers: []registry.Layer{{Content: name, Size: 10_000_000}}}
}

// pulledTimes returns the "in X (Y including waiting)" part of every
// Pulled-after-pull event, in emission order, with the pod name.
func pulledTimes(n *node.Node) []string {
	var out []string
	for _, e := range n.Events() {
		if e.Reason == pullpolicy.EventPulled && strings.HasPrefix(e.Message, "Successfully") {
			_, rest, _ := strings.Cut(e.Message, `" in `)
			timing, _, _ := strings.Cut(rest, ". Image size")
			out = append(out, fmt.Sprintf("%s@%v: %s", e.Object.Name, e.At.Sub(node.Epoch), timing))
		}
	}
	return out
}

func at(d time.Duration) time.Time { return node.Epoch.Add(d) }

// Three pods at the same instant, three different images: the serialized
// puller runs one pull at a time, in arrival order; parallel pullers do not.
func TestPullerQueue(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []node.Option
		want string // wanted pulled timings
	}{
		{"serialized (default)", nil,
			"[a@1.4s: 1.4s (1.4s including waiting) b@2.8s: 1.4s (2.8s including waiting) c@4.2s: 1.4s (4.2s including waiting)]"},
		{"parallel, no limit", []node.Option{node.WithSerializeImagePulls(false)},
			"[a@1.4s: 1.4s (1.4s including waiting) b@1.4s: 1.4s (1.4s including waiting) c@1.4s: 1.4s (1.4s including waiting)]"},
		{"maxParallelImagePulls 2", []node.Option{node.WithMaxParallelImagePulls(2)},
			"[a@1.4s: 1.4s (1.4s including waiting) b@1.4s: 1.4s (1.4s including waiting) c@2.8s: 1.4s (2.8s including waiting)]"},
		{"maxParallelImagePulls 1, serialized", []node.Option{node.WithMaxParallelImagePulls(1)},
			"[a@1.4s: 1.4s (1.4s including waiting) b@2.8s: 1.4s (2.8s including waiting) c@4.2s: 1.4s (4.2s including waiting)]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg, clock, n := slowWorld(t, tc.opts...)
			for _, p := range []string{"a", "b", "c"} {
				reg.MustPush("app-"+p+":v1", tenMB(p))
				n.MustCreatePod(appPod(p, "app-"+p+":v1", ""))
			}
			if p, _ := n.Pod("default", "a"); p.Status.ContainerStatuses[0].State.Waiting.Reason != "ContainerCreating" {
				t.Errorf("a at 0s: %+v, want ContainerCreating while pulling", p.Status.ContainerStatuses[0].State)
			}
			end, err := n.Settle()
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprint(truncate(pulledTimes(n)))
			if got != tc.want {
				t.Errorf("pulls =\n\t%s\nwant\n\t%s", got, tc.want)
			}
			if end != clock.Now() {
				t.Errorf("Settle returned %v, clock is %v", end, clock.Now())
			}
			for i, p := range []string{"a", "b", "c"} {
				lat, ok := n.StartupLatency("default", p)
				pl := n.Pulls()[i]
				if !ok || lat != pl.Finished.Sub(node.Epoch) {
					t.Errorf("StartupLatency(%s) = %v, %v; want %v (its pull's end)", p, lat, ok, pl.Finished.Sub(node.Epoch))
				}
			}
		})
	}
}

// truncate keeps the timings readable: the config blob adds a few hundred
// bytes, i.e. microseconds, that the kubelet's millisecond truncation drops
// from the message but not from event times.
func truncate(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		name, rest, _ := strings.Cut(s, "@")
		when, timing, _ := strings.Cut(rest, ": ")
		d, _ := time.ParseDuration(when)
		out[i] = name + "@" + d.Truncate(time.Millisecond).String() + ": " + timing
	}
	return out
}

// Two pods needing the same missing image: the kubelet does not de-duplicate.
// Serialized, the second pull finds the content and costs one round trip;
// in parallel, it waits for the first download instead of repeating it.
func TestNoDeduplication(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     []node.Option
		want     string // pulled timings
		requests int    // registry requests in all
	}{
		{"serialized", nil, "[a@1.4s: 1.4s (1.4s including waiting) b@1.5s: 100ms (1.5s including waiting)]", 5},
		{"parallel", []node.Option{node.WithSerializeImagePulls(false)}, "[a@1.4s: 1.4s (1.4s including waiting) b@1.4s: 1.4s (1.4s including waiting)]", 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg, _, n := slowWorld(t, tc.opts...)
			reg.MustPush("app:v1", tenMB("a"))
			n.MustCreatePod(appPod("a", "app:v1", ""))
			n.MustCreatePod(appPod("b", "app:v1", ""))
			n.Settle()
			if got := fmt.Sprint(truncate(pulledTimes(n))); got != tc.want {
				t.Errorf("pulls = %s, want %s", got, tc.want)
			}
			c := reg.Counters()
			if c.Requests() != tc.requests || c.Blobs != 2 || n.Counters().Pulls != 2 {
				t.Errorf("registry requests %d (blobs %d), node pulls %d; want %d requests, 2 blobs, 2 pulls", c.Requests(), c.Blobs, n.Counters().Pulls, tc.requests)
			}
			if got := n.Counters().BytesPulled; got != reg.Counters().BlobBytes {
				t.Errorf("node bytes %d, registry served %d", got, reg.Counters().BlobBytes)
			}
		})
	}
}

// Always on a cached digest costs one round trip and no bytes; a large image
// costs its size over the bandwidth.
func TestPullCost(t *testing.T) {
	reg, clock, n := slowWorld(t)
	reg.MustPush("big:v1", registry.Image{Config: "big", Layers: []registry.Layer{{Content: "a", Size: 600_000_000}, {Content: "b", Size: 400_000_000}}})
	n.MustCreatePod(appPod("p", "big:v1", pullpolicy.PullAlways))
	n.Settle()
	clock.Step(time.Minute)
	n.RestartContainer("default", "p", "app")
	n.Settle()
	pulls := n.Pulls()
	if len(pulls) != 2 {
		t.Fatalf("pulls = %+v", pulls)
	}
	// 1 GB at 10 MB/s is 100s, plus five requests of 100ms; the config blob
	// adds a few hundred bytes.
	m, _, _ := registry.Build(registry.Image{Config: "big", Layers: []registry.Layer{{Content: "a", Size: 600_000_000}, {Content: "b", Size: 400_000_000}}})
	if d := pulls[0].Duration().Truncate(time.Millisecond); d != 100500*time.Millisecond || pulls[0].Bytes != 1_000_000_000+m.Config.Size || pulls[0].Requests != 5 {
		t.Errorf("first pull: %v, %d bytes, %d requests; want 1m40.5s, 1e9+config bytes, 5 requests", d, pulls[0].Bytes, pulls[0].Requests)
	}
	if d := pulls[1].Duration(); d != 100*time.Millisecond || pulls[1].Bytes != 0 || pulls[1].Requests != 1 {
		t.Errorf("Always on a cached digest: %v, %d bytes, %d requests; want 100ms, 0, 1", d, pulls[1].Bytes, pulls[1].Requests)
	}
}

// A failure returns after the requests it made, and the backoff window opens
// then, not when the pull was asked for.
func TestFailureTiming(t *testing.T) {
	reg, _, n := slowWorld(t)
	reg.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultNotFound})
	n.MustCreatePod(appPod("p", "nginx:1.28", ""))
	if err := n.RunUntil(at(12 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range n.Attempts("default", "p") {
		got = append(got, fmt.Sprintf("%v %s pulled=%v", a.At.Sub(node.Epoch), a.Reason, a.Pulled))
	}
	// Fails at 100ms; the next sync at 10.1s is 10s after the failure: not
	// strictly inside the 10s window, so it pulls again and fails at 10.2s.
	if want := "[100ms ErrImagePull pulled=true 10.2s ErrImagePull pulled=true]"; fmt.Sprint(got) != want {
		t.Errorf("attempts = %v, want %s", got, want)
	}
	if w, until := n.ImageBackOff("default", "p", "nginx:1.28"); w != 20*time.Second || !until.Equal(at(30200*time.Millisecond)) {
		t.Errorf("ImageBackOff = %v until %v, want 20s until 30.2s", w, until.Sub(node.Epoch))
	}
}

// A timed-out request takes the link's timeout.
func TestTimeoutTakesTimeout(t *testing.T) {
	reg, _, n := slowWorld(t)
	reg.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultTimeout})
	n.MustCreatePod(appPod("p", "nginx:1.28", ""))
	n.Settle()
	if a := n.Attempts("default", "p"); len(a) != 1 || a[0].At != at(30*time.Second) {
		t.Errorf("attempts = %+v, want one ending at 30s", a)
	}
}

func TestPullQPS(t *testing.T) {
	for _, tc := range []struct {
		name  string
		qps   float64 // registryPullQPS
		burst int     // registryBurst
		want  string  // each pod's last start attempt: "" started, else its waiting message
		pulls int     // wanted runtime pulls: a throttled pull never reaches the runtime
	}{
		{"default 5/10", 5, 10, "[  ]", 3},
		{"1 qps, burst 2", 1, 2, "[  pull QPS exceeded]", 2},
		{"burst 0 never allows", 1, 0, "[pull QPS exceeded pull QPS exceeded pull QPS exceeded]", 0},
		{"qps 0 is unlimited", 0, 0, "[  ]", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg, _, n := slowWorld(t, node.WithRegistryPullQPS(tc.qps, tc.burst), node.WithSerializeImagePulls(false))
			reg.MustPush("app:v1", tenMB("app"))
			for _, p := range []string{"a", "b", "c"} {
				n.MustCreatePod(appPod(p, "app:v1", pullpolicy.PullAlways))
			}
			n.Settle()
			var got []string
			pulled := 0
			for _, p := range []string{"a", "b", "c"} {
				a := n.Attempts("", p)
				last := a[len(a)-1]
				got = append(got, last.Message)
				if last.Pulled {
					pulled++
				}
				if last.Pulled == (last.Message == "pull QPS exceeded") {
					t.Errorf("pod %s: attempt %+v: Pulled must say whether the runtime was called", p, last)
				}
			}
			if fmt.Sprint(got) != tc.want {
				t.Errorf("start messages = %q, want %s", got, tc.want)
			}
			if c := n.Counters(); len(n.Pulls()) != tc.pulls || c.Pulls != tc.pulls || c.PullErrors != 0 || pulled != tc.pulls {
				t.Errorf("runtime pulls: Pulls() %d, Counters %+v, attempts that pulled %d; want %d, no pull errors", len(n.Pulls()), c, pulled, tc.pulls)
			}
		})
	}
	// The bucket over virtual time: it starts full (burst), refills at qps
	// tokens a second, fractions carried over, never beyond burst; a refused
	// pull takes no token. Each step creates pods (new ones, so no backoff
	// applies) whose Always pulls of a cached image each ask for one token.
	t.Run("refill over time", func(t *testing.T) {
		reg := registry.New()
		reg.SetDefaultLink(registry.InstantLink)
		reg.MustPush("app:v1", tenMB("app"))
		clock := node.NewManualClock(node.Epoch)
		n := node.MustNew("node-1", reg, node.WithClock(clock), node.WithRegistryPullQPS(5, 10))
		n.MustCreatePod(appPod("seed", "app:v1", pullpolicy.PullIfNotPresent)) // 1 token; 9 left
		pods := 0
		for i, s := range []struct {
			at       time.Duration // virtual time of the step
			pulls    int           // pods created, one pull each
			admitted int           // wanted pulls the bucket lets through
		}{
			{0, 10, 9},                       // burst 10, less the seed's token
			{0, 1, 0},                        // exhausted, and no time has passed
			{time.Second, 7, 5},              // 1s at 5 QPS refills 5
			{1400 * time.Millisecond, 3, 2},  // 0.4s refills 2
			{1500 * time.Millisecond, 1, 0},  // 0.1s refills half a token: not enough
			{1600 * time.Millisecond, 1, 1},  // the two halves make one
			{10 * time.Second, 15, 10},       // 8.4s would refill 42: capped at burst
			{10 * time.Second, 1, 0},         // exhausted again
			{10500 * time.Millisecond, 3, 2}, // 0.5s refills 2.5; half a token stays
			{10600 * time.Millisecond, 2, 1}, // and with 0.1s's half makes one
		} {
			clock.Set(node.Epoch.Add(s.at))
			admitted, refused := 0, 0
			for range s.pulls {
				pods++
				p := n.MustCreatePod(appPod(fmt.Sprintf("p-%d", pods), "app:v1", pullpolicy.PullAlways))
				switch w := p.Status.ContainerStatuses[0].State.Waiting; {
				case w == nil:
					admitted++
				case w.Message == "pull QPS exceeded":
					refused++
				default:
					t.Errorf("step %d (at %v): unexpected waiting %+v", i, s.at, w)
				}
			}
			if admitted != s.admitted || refused != s.pulls-s.admitted {
				t.Errorf("step %d (at %v, %d pulls): admitted %d, refused %d; want %d, %d", i, s.at, s.pulls, admitted, refused, s.admitted, s.pulls-s.admitted)
			}
		}
	})

	// The failure is an ordinary ErrImagePull with a backoff entry.
	reg, _, n := slowWorld(t, node.WithRegistryPullQPS(1, 0))
	reg.MustPush("app:v1", tenMB("app"))
	p := n.MustCreatePod(appPod("p", "app:v1", ""))
	evs := n.PodEvents("default", "p")
	if w := p.Status.ContainerStatuses[0].State.Waiting; w == nil || w.Reason != "ErrImagePull" || w.Message != "pull QPS exceeded" ||
		evs[1].Message != `Failed to pull image "app:v1": pull QPS exceeded` {
		t.Errorf("waiting %+v, events %v", w, evs)
	}
	if win, _ := n.ImageBackOff("default", "p", "app:v1"); win != 10*time.Second {
		t.Errorf("backoff after a QPS failure = %v, want 10s", win)
	}
}

// Content that does not match its digest fails the pull, and nothing of it
// stays on the node.
func TestCorruptBlob(t *testing.T) {
	reg, _, n := slowWorld(t)
	reg.MustPush("app:v1", tenMB("app"))
	reg.SetFault(registry.Fault{Scope: "app", Kind: registry.FaultCorruptBlob, Requests: 1})
	m, _, _ := registry.Build(tenMB("app"))
	n.MustCreatePod(appPod("p", "app:v1", ""))
	n.Settle()
	a := n.Attempts("default", "p")
	bad := digestOfData(append([]byte("corrupted "), mustBlobData(t, tenMB("app"), m.Config.Digest.String())...))
	want := fmt.Sprintf(`rpc error: code = FailedPrecondition desc = failed to pull and unpack image "docker.io/library/app:v1": failed commit on ref "config-%s": unexpected commit digest %s, expected %s: failed precondition`, m.Config.Digest, bad, m.Config.Digest)
	if len(a) != 1 || a[0].Reason != "ErrImagePull" || a[0].Message != want {
		t.Errorf("attempts = %+v\nwant message %s", a, want)
	}
	if c := n.Cache(); c.Len() != 0 || c.Usage() != 0 || c.HasBlob(m.Config.Digest) {
		t.Errorf("cache after a corrupt pull: %d images, %d bytes", c.Len(), c.Usage())
	}
	n.RunUntil(at(time.Minute))
	if p, _ := n.Pod("default", "p"); p.Status.Phase != node.PodRunning {
		t.Errorf("after the fault: phase %s", p.Status.Phase)
	}
}

// While the kubelet pulls an image, a pull intent exists; under the default
// NeverVerifyPreloadedImages a present image with an intent but no pulled
// record must be pulled by an IfNotPresent pod too.
func TestIntentDuringPull(t *testing.T) {
	reg, clock, n := slowWorld(t)
	reg.SetLink("docker.io", registry.Link{Latency: time.Second})
	reg.MustPush("tools:v1", tenMB("tools"))
	n.LoadImage("tools:v1", tenMB("tools"))
	n.MustCreatePod(appPod("always", "tools:v1", pullpolicy.PullAlways)) // pulls 0s..1s
	clock.Step(500 * time.Millisecond)
	n.MustCreatePod(appPod("during", "tools:v1", pullpolicy.PullIfNotPresent))
	n.Settle()
	clock.Step(time.Second)
	n.MustCreatePod(appPod("after", "tools:v1", pullpolicy.PullIfNotPresent))
	var got []string
	for _, e := range n.Events() {
		got = append(got, e.Object.Name+":"+e.Reason)
	}
	if want := "[always:Pulling during:Pulling always:Pulled during:Pulled after:Pulled]"; fmt.Sprint(got) != want {
		t.Errorf("events = %v, want %s", got, want)
	}
}

// EnsureImage waits for its pull, moving virtual time to its end.
func TestEnsureImageWaits(t *testing.T) {
	reg, clock, n := slowWorld(t)
	reg.MustPush("app:v1", tenMB("app"))
	reg.MustPush("other:v1", tenMB("other"))
	n.MustCreatePod(appPod("first", "other:v1", "")) // holds the serial puller 0..1.4s
	n.MustCreatePod(appPod("p", "app:v1", pullpolicy.PullAlways))
	ref, msg, err := n.EnsureImage("default", "p", "app")
	m, _, _ := registry.Build(tenMB("app"))
	if err != nil || ref != m.Config.Digest.String() || msg != "" {
		t.Errorf("EnsureImage = %q, %q, %v", ref, msg, err)
	}
	// first 0..1.4, p's own sync pull 1.4..2.8, which EnsureImage joins
	// rather than queueing a second pull behind it.
	if got := clock.Now().Sub(node.Epoch).Truncate(time.Millisecond); got != 2800*time.Millisecond {
		t.Errorf("clock after EnsureImage = %v, want 2.8s", got)
	}
	if got := len(n.Pulls()); got != 2 {
		t.Errorf("runtime pulls = %d, want 2 (first's and p's)", got)
	}
}

// A pod deleted while its pull runs: the pull still completes into the
// cache, and nothing is started.
func TestDeleteDuringPull(t *testing.T) {
	reg, _, n := slowWorld(t)
	reg.MustPush("app:v1", tenMB("app"))
	n.MustCreatePod(appPod("p", "app:v1", ""))
	if err := n.DeletePod("default", "p"); err != nil {
		t.Fatal(err)
	}
	n.Settle()
	if n.Cache().Len() != 1 || len(n.Pods()) != 0 {
		t.Errorf("images %d, pods %d; want 1 and 0", n.Cache().Len(), len(n.Pods()))
	}
	// Recreated, it finds the image.
	p := n.MustCreatePod(appPod("p", "app:v1", ""))
	if p.Status.ContainerStatuses[0].State.Running == nil {
		t.Errorf("recreated pod: %+v", p.Status.ContainerStatuses[0].State)
	}
}

func TestPullerValidation(t *testing.T) {
	reg := registry.New()
	for i, tc := range []struct {
		opts []node.Option
		want string
	}{
		{[]node.Option{node.WithMaxParallelImagePulls(0)}, "node n: invalid configuration: maxParallelImagePulls 0 must be a positive number"},
		{[]node.Option{node.WithMaxParallelImagePulls(3), node.WithSerializeImagePulls(true)}, "node n: invalid configuration: maxParallelImagePulls cannot be larger than 1 unless SerializeImagePulls (--serialize-image-pulls) is set to false"},
		{[]node.Option{node.WithRegistryPullQPS(-1, 10)}, "node n: invalid configuration: registryPullQPS (--registry-qps) -1 must not be a negative number"},
		{[]node.Option{node.WithRegistryPullQPS(-1, -2)}, "node n: [invalid configuration: registryBurst (--registry-burst) -2 must not be a negative number, invalid configuration: registryPullQPS (--registry-qps) -1 must not be a negative number]"},
	} {
		if _, err := node.New("n", reg, tc.opts...); err == nil || err.Error() != tc.want {
			t.Errorf("case %d: error = %v, want %q", i, err, tc.want)
		}
	}
	for i, opts := range [][]node.Option{
		{node.WithMaxParallelImagePulls(3)}, // serializeImagePulls defaults to false
		{node.WithMaxParallelImagePulls(1), node.WithSerializeImagePulls(true)},
		{node.WithSerializeImagePulls(false)},
	} {
		if _, err := node.New("n", reg, opts...); err != nil {
			t.Errorf("valid case %d: %v", i, err)
		}
	}
	for i, tc := range []struct {
		desc string
		do   func() error
		want string
	}{
		{"SetLink(negative latency)", func() error { return reg.SetLink("docker.io", registry.Link{Latency: -1}) },
			"registry: set link for docker.io: latency -1ns, bandwidth 0 and timeout 0s must not be negative"},
		{"SetLink(not a host)", func() error { return reg.SetLink("not a host", registry.Link{}) },
			`registry: set link: "not a host" is not a host`},
		{"Settle on a fixed clock with a pull in flight", func() error { _, err := n0().Settle(); return err },
			"node n: settle: the clock (node_test.fixedClock) has no SetTime method; use a *node.ManualClock"},
	} {
		if err := tc.do(); err == nil || err.Error() != tc.want {
			t.Errorf("step %d (%s): error = %v, want %q", i, tc.desc, err, tc.want)
		}
	}
}

// n0 is a node whose clock cannot be moved, with a pull in flight.
func n0() *node.Node {
	reg := registry.New()
	reg.MustPush("app:v1", tenMB("app"))
	n := node.MustNew("n", reg, node.WithClock(fixedClock{node.Epoch}))
	n.MustCreatePod(appPod("p", "app:v1", ""))
	return n
}
