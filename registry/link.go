package registry

import (
	"fmt"
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
func (l Link) Transfer(requests int, bytes int64) time.Duration {
	d := time.Duration(requests) * l.Latency
	if l.Bandwidth > 0 && bytes > 0 {
		// bytes/bandwidth seconds, in nanoseconds, without overflow for
		// sizes up to hundreds of terabytes.
		d += time.Duration(float64(bytes) / float64(l.Bandwidth) * float64(time.Second))
	}
	return d
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
