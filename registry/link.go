package registry

import (
	"fmt"
	"math/bits"
	"time"
)

// Link is the network path from nodes to one registry host: a fixed
// latency per request and a bandwidth for blob bytes. A node times a pull
// as one latency per request it makes (resolve, manifest, each missing
// blob) plus the missing bytes divided by the bandwidth; requests are
// counted one after another, the way a single connection would make them.
type Link struct {
	// Latency is the time of one request's round trip, TLS and token
	// exchange included. Zero makes requests free.
	Latency time.Duration
	// Bandwidth is in bytes per second; zero means unlimited.
	Bandwidth int64
	// Timeout is how long a request to a host that does not answer
	// (FaultTimeout) takes to fail: the dial timeout of the runtime's
	// registry client.
	Timeout time.Duration
}

// DefaultLink is what every host gets unless told otherwise: a cloud VM
// pulling from a public registry in its region, about 50 ms a request and
// 50 MB/s (400 Mbit/s); a 1 GB image then takes about 20 s. A request to a
// host that does not answer fails after containerd's 30 s dial timeout.
var DefaultLink = Link{Latency: 50 * time.Millisecond, Bandwidth: 50_000_000, Timeout: 30 * time.Second}

// InstantLink makes pulls take no virtual time at all: useful for tests of
// decisions rather than timing.
var InstantLink = Link{}

// Transfer returns how long requests requests and bytes of blob data take
// over l.
// The result is exact to the nanosecond (rounded down) and saturates at the
// largest Duration rather than overflowing.
func (l Link) Transfer(requests int, bytes int64) time.Duration {
	d := satMul(uint64(max(requests, 0)), uint64(l.Latency))
	if l.Bandwidth > 0 && bytes > 0 {
		// bytes * 1e9 / bandwidth nanoseconds, in 128 bits.
		hi, lo := bits.Mul64(uint64(bytes), uint64(time.Second))
		if hi >= uint64(l.Bandwidth) {
			return maxDuration
		}
		q, _ := bits.Div64(hi, lo, uint64(l.Bandwidth))
		d = satAdd(d, q)
	}
	return time.Duration(d)
}

const maxDuration = time.Duration(1<<63 - 1)

func satMul(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 || lo > uint64(maxDuration) {
		return uint64(maxDuration)
	}
	return lo
}

func satAdd(a, b uint64) uint64 {
	if s := a + b; s >= a && s <= uint64(maxDuration) {
		return s
	}
	return uint64(maxDuration)
}

func (l Link) validate() error {
	if l.Latency < 0 || l.Bandwidth < 0 || l.Timeout < 0 {
		return fmt.Errorf("latency %v, bandwidth %d and timeout %v must not be negative", l.Latency, l.Bandwidth, l.Timeout)
	}
	return nil
}

// Timed is implemented by Sources that know their network links. Nodes
// time pulls with it; a Source without it is instant.
type Timed interface {
	Link(host string) Link
}

// SetDefaultLink sets the link of every host without one of its own
// (initially [DefaultLink]).
func (r *Registry) SetDefaultLink(l Link) error {
	if err := l.validate(); err != nil {
		return fmt.Errorf("registry: set default link: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.defaultLink = l
	return nil
}

// SetLink sets the link of one host ("docker.io", "localhost:5000").
func (r *Registry) SetLink(host string, l Link) error {
	if !isHost(host) && host != dockerHub {
		return fmt.Errorf("registry: set link: %q is not a host", host)
	}
	if err := l.validate(); err != nil {
		return fmt.Errorf("registry: set link for %s: %w", host, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.links == nil {
		r.links = make(map[string]Link)
	}
	r.links[host] = l
	return nil
}

// Link implements [Timed]: the link of host.
func (r *Registry) Link(host string) Link {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.links[host]; ok {
		return l
	}
	return r.defaultLink
}
