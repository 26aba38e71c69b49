package pullsim_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestDependencies pins the module's direct dependencies. Adding one needs
// a reason in the issue note, and an update here:
//
//   - github.com/distribution/reference: image reference parsing, exactly as
//     the kubelet parses (ParseNormalizedNamed v0.6.0).
//   - github.com/opencontainers/go-digest: digests.
//   - k8s.io/api: the real Kubernetes types (core/v1, apps/v1, batch/v1)
//     that manifests decode into and node/kube converts to and from.
//   - k8s.io/apimachinery: the API server's strict serializer (unknown and
//     duplicate fields with their paths), the scheme, YAML document
//     splitting, ObjectMeta and label selectors, the controllers' name
//     alphabet.
//   - sigs.k8s.io/yaml: the YAML-to-JSON conversion Kubernetes and kubectl
//     use, for manifests in and `kubectl get -o yaml` out, and for scenario
//     files (root package).
//   - go.yaml.in/yaml/v3 (already brought by sigs.k8s.io/yaml): its node API
//     gives scenario-file errors their line numbers and field paths (root
//     package); decoding itself is sigs.k8s.io/yaml's. apimachinery's
//     metav1.Duration and resource.Quantity read durations and sizes there.
//   - golang.org/x/time: rate.Limiter, the token bucket of the kubelet's pull
//     throttle (client-go's flowcontrol token bucket is built on it).
//   - github.com/stretchr/testify: assertions in tests.
//   - github.com/google/go-containerregistry: the real registry client
//     registry/ociserver's tests push, pull and read faults with; only
//     _test files import it.
//   - github.com/opencontainers/distribution-spec/conformance: the OCI
//     conformance suite, a go.mod tool (not a require of any package) that
//     registry/ociserver's tests build with `go tool -n conformance` and run
//     against the HTTP face.
//
// Indirect requirements (marked "// indirect") are tolerated only from the
// modules those bring (klog, kube-openapi, structured-merge-diff, json-iterator,
// cbor, ...); a new one fails here so that it is looked at.
func TestDependencies(t *testing.T) {
	direct, indirect := requirements(t)
	want := []string{
		"github.com/distribution/reference",
		"github.com/google/go-containerregistry",
		"github.com/opencontainers/go-digest",
		"github.com/stretchr/testify",
		"go.yaml.in/yaml/v3",
		"golang.org/x/time",
		"k8s.io/api",
		"k8s.io/apimachinery",
		"sigs.k8s.io/yaml",
	}
	if !slices.Equal(direct, want) {
		t.Errorf("go.mod's direct requirements are\n\t%v\nwant\n\t%v\n(update this test and its comment with the reason)", direct, want)
	}
	// What k8s.io/api, k8s.io/apimachinery, sigs.k8s.io/yaml and testify
	// bring with them.
	broughtIn := []string{
		"github.com/davecgh/go-spew",
		"github.com/fxamacker/cbor/v2",
		"github.com/go-logr/logr",
		"github.com/google/go-cmp",
		"github.com/json-iterator/go",
		"github.com/kr/pretty",
		"github.com/kr/text",
		"github.com/modern-go/concurrent",
		"github.com/modern-go/reflect2",
		"github.com/pmezard/go-difflib",
		"github.com/x448/float16",
		"go.yaml.in/yaml/v2",
		"go.yaml.in/yaml/v3",
		"golang.org/x/net",
		"golang.org/x/text",
		"gopkg.in/check.v1",
		"gopkg.in/inf.v0",
		"gopkg.in/yaml.v3",
		"k8s.io/klog/v2",
		"k8s.io/kube-openapi",
		"k8s.io/utils",
		"sigs.k8s.io/json",
		"sigs.k8s.io/randfill",
		"sigs.k8s.io/structured-merge-diff/v6",
		// go-containerregistry (test-only) brings these,
		"github.com/docker/cli",
		"github.com/docker/docker-credential-helpers",
		"github.com/klauspost/compress",
		"github.com/sirupsen/logrus",
		"golang.org/x/sync",
		"golang.org/x/sys",
		"gotest.tools/v3",
		// and the conformance suite (a tool) these.
		"github.com/goccy/go-yaml",
		"github.com/opencontainers/distribution-spec/conformance",
		"github.com/opencontainers/distribution-spec/specs-go",
		"github.com/opencontainers/image-spec",
	}
	for _, m := range indirect {
		if !slices.Contains(broughtIn, m) {
			t.Errorf("go.mod requires %s indirectly, which none of the allowed dependencies is known to bring", m)
		}
	}
}

// requirements reads go.mod's require directives, sorted, split by their
// "// indirect" marker.
func requirements(t *testing.T) (direct, indirect []string) {
	t.Helper()
	data, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	inBlock := false
	add := func(line string) {
		if strings.HasSuffix(line, "// indirect") {
			indirect = append(indirect, strings.Fields(line)[0])
		} else {
			direct = append(direct, strings.Fields(line)[0])
		}
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "require (":
			inBlock = true
		case line == ")":
			inBlock = false
		case strings.HasPrefix(line, "require "):
			add(strings.TrimPrefix(line, "require "))
		case inBlock && line != "" && !strings.HasPrefix(line, "//"):
			add(line)
		}
	}
	slices.Sort(direct)
	slices.Sort(indirect)
	return direct, indirect
}

// TestKubernetesImports checks that only node/kube, the root package and
// cmd/ import k8s.io/* or sigs.k8s.io/*: pullpolicy, imagecache, registry
// and node stay on the standard library, reference, go-digest and
// x/time/rate. Tests may use the real types anywhere.
func TestKubernetesImports(t *testing.T) {
	allowed := func(dir string) bool {
		return dir == "." || dir == filepath.Join("node", "kube") || strings.HasPrefix(dir, filepath.Join("node", "kube")+string(filepath.Separator)) ||
			dir == "cmd" || strings.HasPrefix(dir, "cmd"+string(filepath.Separator)) ||
			strings.HasPrefix(dir, "examples"+string(filepath.Separator))
	}
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if (strings.HasPrefix(p, "k8s.io/") || strings.HasPrefix(p, "sigs.k8s.io/")) && !allowed(filepath.Dir(path)) {
				t.Errorf("%s imports %s; only node/kube, the root package, cmd and examples may import Kubernetes modules", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked only %d files; is the walk broken?", checked)
	}
}
