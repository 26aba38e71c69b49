package registry_test

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/pullsim/pullsim/registry"
)

// A Registry knows its links: nodes time pulls through it.
var _ registry.Timed = (*registry.Registry)(nil)

func TestDefaultLink(t *testing.T) {
	want := registry.Link{Latency: 50 * time.Millisecond, Bandwidth: 50_000_000, Timeout: 30 * time.Second}
	if registry.DefaultLink != want {
		t.Errorf("DefaultLink = %+v, want %+v", registry.DefaultLink, want)
	}
	if registry.InstantLink != (registry.Link{}) {
		t.Errorf("InstantLink = %+v, want the zero Link", registry.InstantLink)
	}
	// The doc's promise: a 1 GB image takes about 20 s.
	if got := registry.DefaultLink.Transfer(0, 1_000_000_000); got != 20*time.Second {
		t.Errorf("DefaultLink.Transfer(0, 1 GB) = %v, want 20s", got)
	}
	r := registry.New()
	for _, host := range []string{"docker.io", "localhost:5000", "registry.example.com:443", "localhost", "never.seen", ""} {
		if got := r.Link(host); got != want {
			t.Errorf("New().Link(%q) = %+v, want %+v", host, got, want)
		}
	}
	// A Registry behind the Source interface is still Timed.
	var src registry.Source = r
	if timed, ok := src.(registry.Timed); !ok || timed.Link("docker.io") != want {
		t.Errorf("Source(New()).(Timed) = (%v, %v), want a Timed with the default link", timed, ok)
	}
}

// TestTransfer: requests × latency, plus bytes / bandwidth exactly (to the
// nanosecond, rounded down); zero bandwidth is unlimited.
func TestTransfer(t *testing.T) {
	tests := []struct {
		link     registry.Link // the link
		requests int           // requests made
		bytes    int64         // blob bytes transferred
		want     time.Duration // Transfer's result
	}{
		{registry.InstantLink, 0, 0, 0},
		{registry.InstantLink, 10, 1_000_000_000, 0},
		{registry.DefaultLink, 0, 0, 0},
		{registry.DefaultLink, 1, 0, 50 * time.Millisecond},
		{registry.DefaultLink, 0, 1_000_000_000, 20 * time.Second},
		{registry.DefaultLink, 6, 1_000_000_000, 20*time.Second + 300*time.Millisecond},
		{registry.DefaultLink, 3, 28_000_000, 150*time.Millisecond + 560*time.Millisecond},
		{registry.DefaultLink, 0, 201_000_000, 4020 * time.Millisecond},
		{registry.DefaultLink, 0, 1, 20 * time.Nanosecond},
		// The timeout is not part of a transfer.
		{registry.Link{Timeout: time.Hour}, 5, 1_000_000, 0},
		// Zero bandwidth is unlimited: only the latency counts.
		{registry.Link{Latency: 100 * time.Millisecond}, 3, 1_000_000_000_000, 300 * time.Millisecond},
		{registry.Link{Latency: time.Second, Bandwidth: 0}, 0, 1 << 62, 0},
		// No bytes (or a negative count) cost nothing.
		{registry.Link{Latency: time.Millisecond, Bandwidth: 1}, 2, 0, 2 * time.Millisecond},
		{registry.Link{Latency: time.Millisecond, Bandwidth: 1}, 2, -5, 2 * time.Millisecond},
		// Fractions of a nanosecond are dropped.
		{registry.Link{Bandwidth: 3}, 0, 1, 333_333_333 * time.Nanosecond},
		{registry.Link{Bandwidth: 3}, 0, 2, 666_666_666 * time.Nanosecond},
		{registry.Link{Bandwidth: 1_000_000_000}, 0, 3, 3 * time.Nanosecond},
		{registry.Link{Bandwidth: 1_000_000_000}, 0, 1_000_000_001, time.Second + time.Nanosecond},
		{registry.Link{Bandwidth: 10}, 0, 7, 700 * time.Millisecond},
		// Exact results stay exact.
		{registry.Link{Bandwidth: 5}, 0, 41, 8200 * time.Millisecond},
		{registry.Link{Bandwidth: 10_000_000}, 0, 41_000_000, 4100 * time.Millisecond},
		{registry.Link{Bandwidth: 125_000_000}, 0, 1_001_000_000, 8008 * time.Millisecond},
		// Large sizes do not overflow.
		{registry.Link{Bandwidth: 1_000_000}, 0, 1_000_000_000_000, 1_000_000 * time.Second},
		{registry.Link{Latency: 50 * time.Millisecond, Bandwidth: 1_000_000}, 4, 100_000_000_000_000, 100_000_000*time.Second + 200*time.Millisecond},
		{registry.Link{Bandwidth: 1_000_000_000}, 0, 999_999_999_999, 999*time.Second + 999_999_999*time.Nanosecond},
		{registry.Link{Latency: 50 * time.Millisecond}, 1_000_000, 0, 50_000 * time.Second},
		// Up to the largest Duration, exactly; past it, saturated.
		{registry.Link{Latency: 50 * time.Millisecond, Bandwidth: 1}, 1, 9_223_372_036, 9_223_372_036*time.Second + 50*time.Millisecond},
		{registry.Link{Latency: time.Second, Bandwidth: 1}, 1, 9_223_372_036, math.MaxInt64},
		{registry.Link{Bandwidth: 1}, 0, 10_000_000_000, math.MaxInt64}, // 10 GB at 1 B/s: 317 years
		{registry.Link{Bandwidth: 1}, 0, math.MaxInt64, math.MaxInt64},
		{registry.Link{Latency: time.Hour}, math.MaxInt, 0, math.MaxInt64},
		{registry.Link{Latency: math.MaxInt64, Bandwidth: 1_000_000_000}, 1, 1, math.MaxInt64},
		// A negative request count costs nothing.
		{registry.Link{Latency: 50 * time.Millisecond, Bandwidth: 1_000}, -3, 1_000, time.Second},
	}
	for i, tt := range tests {
		if got := tt.link.Transfer(tt.requests, tt.bytes); got != tt.want {
			t.Errorf("step %d: %+v.Transfer(%d, %d) = %v, want %v", i, tt.link, tt.requests, tt.bytes, got, tt.want)
		}
	}
}

// TestTransferMonotonic: more bytes never take less time, and no transfer
// takes negative time, even past what a Duration can hold (about 292
// years: 10 GB at 1 B/s is 317 years).
func TestTransferMonotonic(t *testing.T) {
	for _, l := range []registry.Link{{Bandwidth: 1}, {Latency: time.Second, Bandwidth: 1_000}, registry.DefaultLink} {
		prev := time.Duration(0)
		for bytes := int64(1); bytes > 0 && bytes <= 1<<62; bytes *= 10 {
			got := l.Transfer(1, bytes)
			if got < prev {
				t.Errorf("%+v.Transfer(1, %d) = %v, less than %v for a tenth of the bytes", l, bytes, got, prev)
				break
			}
			prev = got
		}
	}
	if got := (registry.Link{Bandwidth: 1}).Transfer(0, 10_000_000_000); got < 0 {
		t.Errorf("{Bandwidth: 1}.Transfer(0, 10 GB) = %v, want a non-negative duration", got)
	}
}

// TestLinks plays SetDefaultLink and SetLink: a host's own link wins over
// the default, and a failed call changes nothing.
func TestLinks(t *testing.T) {
	fast := registry.Link{Latency: time.Millisecond, Bandwidth: 1_000_000_000, Timeout: time.Second}
	slow := registry.Link{Latency: 300 * time.Millisecond, Bandwidth: 1_000_000, Timeout: time.Minute}
	lan := registry.Link{Latency: 5 * time.Millisecond, Bandwidth: 100_000_000, Timeout: 10 * time.Second}
	d := registry.DefaultLink
	hosts := []string{"docker.io", "localhost:5000", "registry.example.com:443", "localhost"}
	type step struct {
		op    string          // "default" (SetDefaultLink(link)) or "set" (SetLink(host, link))
		host  string          // SetLink's host
		link  registry.Link   // the link set
		err   string          // the error text wanted; "" for success
		links []registry.Link // Link(h) after the step, for each h in hosts
	}
	steps := []step{
		{op: "set", host: "docker.io", link: fast, links: []registry.Link{fast, d, d, d}},
		{op: "set", host: "localhost:5000", link: registry.InstantLink, links: []registry.Link{fast, registry.InstantLink, d, d}},
		{op: "default", link: slow, links: []registry.Link{fast, registry.InstantLink, slow, slow}},
		{op: "default", link: registry.Link{Latency: -time.Millisecond, Bandwidth: 1, Timeout: time.Second},
			err:   "registry: set default link: latency -1ms, bandwidth 1 and timeout 1s must not be negative",
			links: []registry.Link{fast, registry.InstantLink, slow, slow}},
		{op: "default", link: registry.Link{Bandwidth: -1},
			err:   "registry: set default link: latency 0s, bandwidth -1 and timeout 0s must not be negative",
			links: []registry.Link{fast, registry.InstantLink, slow, slow}},
		{op: "default", link: registry.Link{Latency: time.Second, Bandwidth: 50_000_000, Timeout: -30 * time.Second},
			err:   "registry: set default link: latency 1s, bandwidth 50000000 and timeout -30s must not be negative",
			links: []registry.Link{fast, registry.InstantLink, slow, slow}},
		{op: "set", host: "nginx/app", link: lan,
			err:   `registry: set link: "nginx/app" is not a host`,
			links: []registry.Link{fast, registry.InstantLink, slow, slow}},
		{op: "set", host: "nginx", link: lan,
			err:   `registry: set link: "nginx" is not a host`,
			links: []registry.Link{fast, registry.InstantLink, slow, slow}},
		{op: "set", host: "localhost:5000/app", link: lan,
			err:   `registry: set link: "localhost:5000/app" is not a host`,
			links: []registry.Link{fast, registry.InstantLink, slow, slow}},
		{op: "set", host: "localhost:http", link: lan,
			err:   `registry: set link: "localhost:http" is not a host`,
			links: []registry.Link{fast, registry.InstantLink, slow, slow}},
		{op: "set", host: "", link: lan,
			err:   `registry: set link: "" is not a host`,
			links: []registry.Link{fast, registry.InstantLink, slow, slow}},
		// The host is checked before the link.
		{op: "set", host: "nginx/app", link: registry.Link{Latency: -1},
			err:   `registry: set link: "nginx/app" is not a host`,
			links: []registry.Link{fast, registry.InstantLink, slow, slow}},
		{op: "set", host: "localhost:5000", link: registry.Link{Bandwidth: -1},
			err:   "registry: set link for localhost:5000: latency 0s, bandwidth -1 and timeout 0s must not be negative",
			links: []registry.Link{fast, registry.InstantLink, slow, slow}},
		{op: "set", host: "registry.example.com:443", link: registry.Link{Latency: -2 * time.Second, Bandwidth: -3, Timeout: -time.Minute},
			err:   "registry: set link for registry.example.com:443: latency -2s, bandwidth -3 and timeout -1m0s must not be negative",
			links: []registry.Link{fast, registry.InstantLink, slow, slow}},
		{op: "set", host: "registry.example.com:443", link: lan, links: []registry.Link{fast, registry.InstantLink, lan, slow}},
		{op: "set", host: "localhost", link: lan, links: []registry.Link{fast, registry.InstantLink, lan, lan}},
		// A host's link is replaced; the default changes only hosts without one.
		{op: "set", host: "localhost:5000", link: slow, links: []registry.Link{fast, slow, lan, lan}},
		{op: "default", link: registry.InstantLink, links: []registry.Link{fast, slow, lan, lan}},
	}
	r := registry.New()
	for i, s := range steps {
		var err error
		switch s.op {
		case "default":
			err = r.SetDefaultLink(s.link)
		case "set":
			err = r.SetLink(s.host, s.link)
		default:
			t.Fatalf("step %d: unknown op %q", i, s.op)
		}
		if got := errText(err); got != s.err {
			t.Errorf("step %d: %s(%q, %+v) error = %q, want %q", i, s.op, s.host, s.link, got, s.err)
		}
		for j, h := range hosts {
			if got := r.Link(h); got != s.links[j] {
				t.Errorf("step %d: after %s(%q, %+v): Link(%q) = %+v, want %+v", i, s.op, s.host, s.link, h, got, s.links[j])
			}
		}
	}
	// Hosts never set follow the last default.
	if got := r.Link("other.example.com"); got != registry.InstantLink {
		t.Errorf("Link(other.example.com) = %+v, want %+v", got, registry.InstantLink)
	}
	// Registries do not share links, and DefaultLink itself is untouched.
	if got := registry.New().Link("docker.io"); got != d || registry.DefaultLink != d {
		t.Errorf("New().Link(docker.io) = %+v and DefaultLink = %+v after another registry's changes, want %+v", got, registry.DefaultLink, d)
	}
}

// errText is err's text, or "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestConcurrentLinks, under -race: links set and read from many
// goroutines, alongside requests.
func TestConcurrentLinks(t *testing.T) {
	const workers, rounds = 8, 100
	r := registry.New()
	r.MustPush("nginx:1.28", build("nginx 1.28.0"))
	ref := mustRef(t, "nginx:1.28")
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*3)
	for w := range workers {
		wg.Go(func() {
			host := fmt.Sprintf("localhost:%d", 5000+w)
			for i := range rounds {
				l := registry.Link{Latency: time.Duration(i) * time.Millisecond, Bandwidth: int64(w + 1)}
				if err := r.SetLink(host, l); err != nil {
					errs <- err
				}
				if got := r.Link(host); got != l {
					errs <- fmt.Errorf("Link(%q) = %+v right after SetLink(%+v)", host, got, l)
				}
				if err := r.SetDefaultLink(registry.Link{Latency: time.Duration(w)}); err != nil {
					errs <- err
				}
				_ = r.Link("docker.io")
				if _, err := r.Resolve(ref, registry.Credential{}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := range workers {
		host := fmt.Sprintf("localhost:%d", 5000+w)
		if got, want := r.Link(host), (registry.Link{Latency: (rounds - 1) * time.Millisecond, Bandwidth: int64(w + 1)}); got != want {
			t.Errorf("Link(%q) = %+v, want %+v", host, got, want)
		}
	}
}
