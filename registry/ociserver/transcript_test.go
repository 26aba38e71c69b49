package ociserver_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/pullsim/pullsim/internal/golden"
	"github.com/pullsim/pullsim/registry"
	"github.com/pullsim/pullsim/registry/ociserver"
)

// TestTranscript records a session on the wire, request by request: the
// status, the headers and the body of every answer. It is the reference for
// what clients see; go test -update rewrites testdata/transcript.golden.
func TestTranscript(t *testing.T) {
	reg := registry.New()
	reg.MustPush("nginx:1.28", registry.Image{Config: "nginx 1.28.0", Layers: []registry.Layer{{Content: "rootfs", Size: 10}}})
	if err := reg.SetPrivate("team/secret", registry.Credential{Username: "alice", Password: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	h := ociserver.MustNew(reg)

	cfg := []byte(`{"architecture":"amd64","os":"linux"}`)
	layer := []byte("hello, layer")
	cfgDigest, layerDigest := digest.FromBytes(cfg), digest.FromBytes(layer)
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[{"mediaType":%q,"digest":%q,"size":%d}]}`,
		registry.MediaTypeManifest, registry.MediaTypeConfig, cfgDigest, len(cfg), registry.MediaTypeLayer, layerDigest, len(layer))
	manifestDigest := digest.FromString(manifest)

	steps := []struct {
		method, target string
		header         []string // name, value pairs
		body           string
	}{
		{"GET", "/v2/", nil, ""},
		{"HEAD", "/v2/library/nginx/manifests/1.28", nil, ""},
		{"GET", "/v2/library/nginx/tags/list", nil, ""},
		{"POST", "/v2/team/app/blobs/uploads/?digest=" + cfgDigest.String(), []string{"Content-Type", "application/octet-stream"}, string(cfg)},
		{"POST", "/v2/team/app/blobs/uploads/", nil, ""},
		{"PATCH", "/v2/team/app/blobs/uploads/pullsim-1", []string{"Content-Range", "0-5"}, string(layer[:6])},
		{"PATCH", "/v2/team/app/blobs/uploads/pullsim-1", []string{"Content-Range", "0-5"}, string(layer[:6])},
		{"PUT", "/v2/team/app/blobs/uploads/pullsim-1?digest=" + layerDigest.String(), []string{"Content-Range", "6-11"}, string(layer[6:])},
		{"PUT", "/v2/team/app/manifests/1.0", []string{"Content-Type", registry.MediaTypeManifest}, manifest},
		{"GET", "/v2/team/app/manifests/" + manifestDigest.String(), nil, ""},
		{"GET", "/v2/team/app/blobs/" + layerDigest.String(), []string{"Range", "bytes=7-"}, ""},
		{"GET", "/v2/team/app/referrers/" + manifestDigest.String(), nil, ""},
		{"DELETE", "/v2/team/app/manifests/1.0", nil, ""},
		{"GET", "/v2/team/app/manifests/1.0", nil, ""},
		{"GET", "/v2/team/nothing/tags/list", nil, ""},
		{"GET", "/v2/team/secret/manifests/1", nil, ""},
		{"PUT", "/v2/team/app/manifests/bad", []string{"Content-Type", registry.MediaTypeManifest}, `{"schemaVersion":2`},
		{"GET", "/v2/team/../etc/manifests/1", nil, ""},
	}
	var out bytes.Buffer
	for _, s := range steps {
		req := httptest.NewRequest(s.method, "http://127.0.0.1:5000"+s.target, strings.NewReader(s.body))
		for i := 0; i+1 < len(s.header); i += 2 {
			req.Header.Set(s.header[i], s.header[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Fprintf(&out, "> %s %s\n", s.method, s.target)
		fmt.Fprintf(&out, "< %d %s\n", rec.Code, http.StatusText(rec.Code))
		names := make([]string, 0, len(rec.Header()))
		for k := range rec.Header() {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			fmt.Fprintf(&out, "< %s: %s\n", k, strings.Join(rec.Header()[k], ", "))
		}
		if rec.Body.Len() > 0 {
			fmt.Fprintf(&out, "<\n%s\n", strings.TrimRight(rec.Body.String(), "\n"))
		}
		out.WriteString("\n")
	}
	golden.Check(t, "testdata/transcript.golden", out.Bytes())
}
