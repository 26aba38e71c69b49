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
//   - sigs.k8s.io/yaml (with go.yaml.in/yaml/v2): manifests and scenario
//     files, through the YAML-to-JSON conversion Kubernetes and kubectl use.
//   - k8s.io/api, k8s.io/apimachinery: manifests of every kind as the API
//     server reads them (node/kube); metav1.Duration and resource.Quantity
//     for durations and sizes in scenario files (root package). The rest of
//     the indirect list is what apimachinery brings.
//   - go.yaml.in/yaml/v3: its node API gives scenario errors their line
//     numbers (the root package); decoding itself is sigs.k8s.io/yaml's.
//   - github.com/stretchr/testify: tests only.
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
		"go.yaml.in/yaml/v3",
		"k8s.io/api",
		"k8s.io/apimachinery",
		"sigs.k8s.io/yaml",
	}
	// What k8s.io/apimachinery brings, and testify (tests only).
	indirect := []string{
		"github.com/fxamacker/cbor/v2", "github.com/go-logr/logr", "github.com/json-iterator/go",
		"github.com/modern-go/concurrent", "github.com/modern-go/reflect2", "github.com/x448/float16",
		"golang.org/x/net", "golang.org/x/text", "gopkg.in/inf.v0", "k8s.io/klog/v2", "k8s.io/kube-openapi",
		"k8s.io/utils", "sigs.k8s.io/json", "sigs.k8s.io/randfill", "sigs.k8s.io/structured-merge-diff/v6",
		"github.com/stretchr/testify", "github.com/davecgh/go-spew", "github.com/pmezard/go-difflib", "gopkg.in/yaml.v3",
	}
	allowed := append(slices.Clone(want), indirect...)
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
