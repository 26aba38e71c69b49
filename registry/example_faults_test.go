package registry_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// A counted fault fails the next requests it affects and then switches
// itself off: Docker Hub rate-limits two requests, the third goes through.
func ExampleRegistry_SetFault() {
	r := registry.New()
	pushed := r.MustPush("nginx:1.28", registry.Image{Config: "nginx 1.28.0", Layers: []registry.Layer{{Content: "nginx", Size: 1000}}})
	if err := r.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultTooManyRequests, Requests: 2}); err != nil {
		panic(err)
	}
	ref, _ := pullpolicy.ParseImageRef("nginx:1.28")
	for range 3 {
		d, err := r.Resolve(ref, registry.Credential{})
		switch {
		case errors.Is(err, registry.ErrTooManyRequests):
			fmt.Println(err)
			fmt.Println("  faults left:", r.Faults())
		case err != nil:
			fmt.Println("unexpected:", err)
		default:
			fmt.Println("resolved the pushed build:", d.Digest == pushed)
			fmt.Println("  faults left:", r.Faults())
		}
	}
	fmt.Printf("resolves counted: %d\n", r.Counters().Resolves)
	// Output:
	// registry: resolve docker.io/library/nginx:1.28: 429 Too Many Requests
	//   faults left: [{docker.io TooManyRequests 1}]
	// registry: resolve docker.io/library/nginx:1.28: 429 Too Many Requests
	//   faults left: []
	// resolved the pushed build: true
	//   faults left: []
	// resolves counted: 3
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
