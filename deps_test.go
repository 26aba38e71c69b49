package pullsim_test

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestDependencies pins the module's dependencies. Adding one needs a
// reason in the issue note, and an update here.
//
//   - github.com/distribution/reference: image reference parsing, exactly as
//     the kubelet parses (ParseNormalizedNamed v0.6.0).
//   - github.com/opencontainers/go-digest: digests.
//   - sigs.k8s.io/yaml (with go.yaml.in/yaml/v2): Pod manifests, through the
//     YAML-to-JSON conversion Kubernetes and kubectl use.
//   - golang.org/x/time: rate.Limiter, the token bucket of the kubelet's pull
//     throttle (client-go's flowcontrol token bucket is built on it).
//   - github.com/stretchr/testify: allowed in tests; none needs it yet.
func TestDependencies(t *testing.T) {
	data, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	inBlock := false
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "require (":
			inBlock = true
		case line == ")":
			inBlock = false
		case strings.HasPrefix(line, "require "):
			got = append(got, strings.Fields(strings.TrimPrefix(line, "require "))[0])
		case inBlock && line != "":
			got = append(got, strings.Fields(line)[0])
		}
	}
	slices.Sort(got)
	want := []string{
		"github.com/distribution/reference",
		"github.com/opencontainers/go-digest",
		"go.yaml.in/yaml/v2",
		"golang.org/x/time",
		"sigs.k8s.io/yaml",
	}
	allowed := append(slices.Clone(want), "github.com/stretchr/testify", "github.com/davecgh/go-spew", "github.com/pmezard/go-difflib", "gopkg.in/yaml.v3")
	for _, m := range got {
		if !slices.Contains(allowed, m) {
			t.Errorf("go.mod requires %s, which is not an allowed dependency", m)
		}
	}
	for _, m := range want {
		if !slices.Contains(got, m) {
			t.Errorf("go.mod no longer requires %s; update this test", m)
		}
	}
}
