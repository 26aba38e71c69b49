package pullpolicy_test

import (
	"testing"

	"github.com/pullsim/pullsim/pullpolicy"
)

// BenchmarkRefCacheParse is a cache hit, what a node does on every sync of
// a container it has seen before.
func BenchmarkRefCacheParse(b *testing.B) {
	var c pullpolicy.RefCache
	const image = "registry.example.com:443/team/app:1.25"
	if _, err := c.Parse(image); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Parse(image); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseImageRef is a cache miss: one full parse with every
// spelling derived.
func BenchmarkParseImageRef(b *testing.B) {
	for _, bc := range []struct {
		name  string // sub-benchmark name
		image string // the image parsed
	}{
		{"short", "nginx"},
		{"host-port-tag", "localhost:5000/app:v1"},
		{"tag-digest", "nginx:1.25" + at},
	} {
		image := bc.image
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := pullpolicy.ParseImageRef(image); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecide is the pure decision, run once per container start.
func BenchmarkDecide(b *testing.B) {
	policies := []pullpolicy.PullPolicy{pullpolicy.PullAlways, pullpolicy.PullIfNotPresent, pullpolicy.PullNever}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		p := policies[n%len(policies)]
		if pullpolicy.Decide(p, n&4 == 0) == 0 {
			b.Fatal("no decision")
		}
		n++
	}
}
