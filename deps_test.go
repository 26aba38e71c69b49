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
//   - github.com/stretchr/testify: allowed in tests.
//   - github.com/opencontainers/distribution-spec/conformance (a go.mod
//     tool, with its specs-go, image-spec, goccy/go-yaml and go-cmp): the
//     OCI conformance suite registry/ociserver's tests run against the
//     HTTP face; no package of the module imports it.
//   - github.com/google/go-containerregistry (with its docker/cli,
//     docker-cli credential helpers, containerd/stargz-snapshotter,
//     klauspost/compress, vbatts/tar-split, mitchellh/go-homedir,
//     pkg/errors, sirupsen/logrus, golang.org/x/sync and x/sys, gotest.tools): the
//     real registry client registry/ociserver's tests push and pull
//     with; only _test files import it.
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
	allowed := append(slices.Clone(want), "github.com/stretchr/testify", "github.com/davecgh/go-spew", "github.com/pmezard/go-difflib", "gopkg.in/yaml.v3", "go.yaml.in/yaml/v3")
	// Test-only: the conformance suite (a go.mod tool) and
	// go-containerregistry, with what they pull in.
	allowed = append(allowed,
		"github.com/opencontainers/distribution-spec/conformance",
		"github.com/opencontainers/distribution-spec/specs-go",
		"github.com/opencontainers/image-spec",
		"github.com/goccy/go-yaml",
		"github.com/google/go-cmp",
		"github.com/google/go-containerregistry",
		"github.com/containerd/stargz-snapshotter/estargz",
		"github.com/docker/cli",
		"github.com/docker/distribution",
		"github.com/docker/docker-credential-helpers",
		"github.com/klauspost/compress",
		"github.com/mitchellh/go-homedir",
		"github.com/pkg/errors",
		"github.com/sirupsen/logrus",
		"github.com/vbatts/tar-split",
		"golang.org/x/sync",
		"golang.org/x/sys",
		"gotest.tools/v3",
	)
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
