package ociserver_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pullsim/pullsim/registry"
	"github.com/pullsim/pullsim/registry/ociserver"
)

// conformance builds the OCI distribution-spec conformance program, a
// tool of this module (go.mod's tool directive), and returns its path.
func conformance(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, gobin, "tool", "-n", "conformance").Output()
	if err != nil {
		t.Fatalf("go tool -n conformance: %v", err)
	}
	return strings.TrimSpace(string(out))
}

var resultLine = regexp.MustCompile(`(?m)^OCI Conformance Result: (\w+)$`)

// TestConformance runs the OCI distribution-spec conformance suite against
// the handler on loopback: every API (pull, every push method, mounts,
// referrers, tag listing, every delete) and every data set, sha512
// included. version "dev" adds the upload-cancel, digest-header and
// tag-parameter checks of the next release.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("the conformance suite builds a program; skipped with -short")
	}
	bin := conformance(t)
	for _, version := range []string{"1.1", "dev"} {
		t.Run(version, func(t *testing.T) {
			srv := httptest.NewServer(ociserver.MustNew(registry.New()))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin)
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(),
				"OCI_REGISTRY="+strings.TrimPrefix(srv.URL, "http://"),
				"OCI_TLS=disabled",
				"OCI_VERSION="+version,
				"OCI_REPO1=conformance/repo1",
				"OCI_REPO2=conformance/repo2",
				"OCI_RESULTS_DIR="+cmd.Dir,
				"OCI_LOG=error",
			)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			m := resultLine.FindSubmatch(stdout.Bytes())
			if err != nil || m == nil || string(m[1]) != "Pass" {
				t.Fatalf("conformance %s: %v\n%s\n%s", version, err, stdout.String(), stderr.String())
			}
			i := bytes.Index(stdout.Bytes(), []byte("OCI Conformance Result"))
			j := bytes.Index(stdout.Bytes(), []byte("API conformance"))
			if i >= 0 && j > i {
				t.Logf("%s", stdout.Bytes()[i:j])
			}
		})
	}
}
