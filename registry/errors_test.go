package registry_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pullsim/pullsim/registry"
)

func TestErrorText(t *testing.T) {
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		err  *registry.Error // the error
		want string          // its text
	}{
		{&registry.Error{Op: "resolve", Repository: "docker.io/library/nginx", Reference: "1.28", Err: registry.ErrManifestUnknown},
			"registry: resolve docker.io/library/nginx:1.28: manifest unknown"},
		{&registry.Error{Op: "manifest", Repository: "docker.io/library/nginx", Reference: d, Err: registry.ErrManifestUnknown},
			"registry: manifest docker.io/library/nginx@" + d + ": manifest unknown"},
		{&registry.Error{Op: "blob", Repository: "localhost:5000/app", Reference: d, Err: registry.ErrBlobUnknown},
			"registry: blob localhost:5000/app@" + d + ": blob unknown to registry"},
		{&registry.Error{Op: "tag", Repository: "registry.example.com:443/team/app", Reference: "v1", Err: registry.ErrNameUnknown},
			"registry: tag registry.example.com:443/team/app:v1: repository name not known to registry"},
		{&registry.Error{Op: "resolve", Repository: "localhost:5001/app", Reference: "latest", Err: fmt.Errorf("lookup localhost:5001: %w", registry.ErrHostUnknown)},
			"registry: resolve localhost:5001/app:latest: lookup localhost:5001: no such host"},
		{&registry.Error{Op: "delete tag", Repository: "docker.io/library/nginx", Err: registry.ErrManifestUnknown},
			"registry: delete tag docker.io/library/nginx: manifest unknown"},
		{&registry.Error{Op: "resolve", Repository: "docker.io/library/nginx", Reference: "sha256", Err: registry.ErrManifestUnknown}, // a tag named sha256
			"registry: resolve docker.io/library/nginx:sha256: manifest unknown"},
	}
	for i, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("step %d: (%+v).Error() = %q, want %q", i, *tt.err, got, tt.want)
		}
		if !errors.Is(tt.err, tt.err.Err) || errors.Unwrap(tt.err) != tt.err.Err {
			t.Errorf("step %d: Unwrap() = %v, want %v", i, errors.Unwrap(tt.err), tt.err.Err)
		}
	}
}

func TestSentinelTexts(t *testing.T) {
	tests := []struct {
		err  error  // the sentinel
		want string // its text
	}{
		{registry.ErrHostUnknown, "no such host"},
		{registry.ErrNameUnknown, "repository name not known to registry"},
		{registry.ErrManifestUnknown, "manifest unknown"},
		{registry.ErrBlobUnknown, "blob unknown to registry"},
	}
	for i, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("step %d: Error() = %q, want %q", i, got, tt.want)
		}
	}
}
