package registry_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// A counted fault fails the next requests it affects and then switches
// itself off. Docker Hub's rate limit meters manifest and blob GETs, not
// the HEAD that resolves a tag: every resolve goes through, the first two
// manifest fetches are refused, the third is served.
func ExampleRegistry_SetFault() {
	r := registry.New()
	pushed := r.MustPush("nginx:1.28", registry.Image{Config: "nginx 1.28.0", Layers: []registry.Layer{{Content: "nginx", Size: 1000}}})
	if err := r.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultTooManyRequests, Requests: 2}); err != nil {
		panic(err)
	}
	ref, _ := pullpolicy.ParseImageRef("nginx:1.28")
	for range 3 {
		d, err := r.Resolve(ref, registry.Credential{})
		if err != nil {
			fmt.Println("unexpected:", err)
			continue
		}
		fmt.Println("resolved the pushed build:", d.Digest == pushed)
		_, err = r.FetchManifest(ref, d.Digest, registry.Credential{})
		switch {
		case errors.Is(err, registry.ErrTooManyRequests):
			fmt.Println(" ", err)
		case err != nil:
			fmt.Println("unexpected:", err)
		default:
			fmt.Println("  manifest served")
		}
		fmt.Println("  faults left:", r.Faults())
	}
	c := r.Counters()
	fmt.Printf("resolves: %d, manifests: %d\n", c.Resolves, c.Manifests)
	// Output:
	// resolved the pushed build: true
	//   registry: manifest docker.io/library/nginx@sha256:37c9d3a8d0c5e90b1b7c8fbda9b5441da0a28710769ac88a860a8487a35739b6: 429 Too Many Requests
	//   faults left: [{docker.io TooManyRequests 1  }]
	// resolved the pushed build: true
	//   registry: manifest docker.io/library/nginx@sha256:37c9d3a8d0c5e90b1b7c8fbda9b5441da0a28710769ac88a860a8487a35739b6: 429 Too Many Requests
	//   faults left: []
	// resolved the pushed build: true
	//   manifest served
	//   faults left: []
	// resolves: 3, manifests: 3
}

// Pulling a 1 GB image (a config and three layers) over the default link:
// one latency per request, resolve and manifest included, plus 1 GB at
// 50 MB/s.
func ExampleLink_Transfer() {
	const requests = 1 + 1 + 4 // resolve, manifest, config and three layers
	const size = 1_000_000_000
	fmt.Println("default link:", registry.DefaultLink.Transfer(requests, size))
	fmt.Println("instant link:", registry.InstantLink.Transfer(requests, size))

	r := registry.New()
	if err := r.SetLink("localhost:5000", registry.Link{Latency: 2 * time.Millisecond, Bandwidth: 1_000_000_000}); err != nil {
		panic(err)
	}
	fmt.Println("local registry:", r.Link("localhost:5000").Transfer(requests, size))
	fmt.Println("docker.io:", r.Link("docker.io").Transfer(requests, size))
	fmt.Println("timeout:", r.Link("docker.io").Timeout)
	// Output:
	// default link: 20.3s
	// instant link: 0s
	// local registry: 1.012s
	// docker.io: 20.3s
	// timeout: 30s
}
