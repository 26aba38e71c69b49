package ociserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"

	"github.com/pullsim/pullsim/registry"
	"github.com/pullsim/pullsim/registry/ociserver"
)

// noRetry makes go-containerregistry report the first failure instead of
// retrying 429s and 5xx with backoff.
var noRetry = remote.WithRetryBackoff(remote.Backoff{Steps: 1})

var appImage = registry.Image{Config: "app 1", Layers: []registry.Layer{{Content: "rootfs", Size: 100}}}

// clientErr is what a go-containerregistry client sees of an error: the
// status and the first error code, or 0 and "" for an error that is not a
// registry's answer.
func clientErr(err error) (int, transport.ErrorCode) {
	var te *transport.Error
	if !errors.As(err, &te) {
		return 0, ""
	}
	if len(te.Errors) == 0 {
		return te.StatusCode, ""
	}
	return te.StatusCode, te.Errors[0].Code
}

// TestFaultsThroughClient switches on each fault and reads it back through
// go-containerregistry's errors.
func TestFaultsThroughClient(t *testing.T) {
	alice := registry.Credential{Username: "alice", Password: "s3cret"}
	layer := func(r *registry.Registry) string {
		m, _, err := registry.Build(appImage)
		require.NoError(t, err)
		return "/app@" + m.Layers[0].Digest.String()
	}
	getManifest := func(host, path string, opts ...remote.Option) error {
		r, err := name.ParseReference(host+path, name.Insecure)
		require.NoError(t, err)
		_, err = remote.Get(r, append(opts, noRetry)...)
		return err
	}
	readLayer := func(host, path string, opts ...remote.Option) error {
		r, err := name.NewDigest(host+path, name.Insecure)
		require.NoError(t, err)
		l, err := remote.Layer(r, append(opts, noRetry)...)
		if err != nil {
			return err
		}
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = io.ReadAll(rc)
		return err
	}
	pullImage := func(host, path string, opts ...remote.Option) error {
		r, err := name.ParseReference(host+path, name.Insecure)
		require.NoError(t, err)
		img, err := remote.Image(r, append(opts, noRetry)...)
		if err != nil {
			return err
		}
		layers, err := img.Layers()
		if err != nil {
			return err
		}
		for _, l := range layers {
			rc, err := l.Compressed()
			if err != nil {
				return err
			}
			_, err = io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}
	steps := []struct {
		name       string
		setup      func(r *registry.Registry) // after pushing app:1
		path       func(r *registry.Registry) string
		op         func(host, path string, opts ...remote.Option) error
		opts       []remote.Option
		wantStatus int                 // 0: not a registry answer
		wantCode   transport.ErrorCode // "" for a HEAD or a broken body
		wantErr    string              // a substring of the error, when not a registry answer
	}{
		{"healthy", func(*registry.Registry) {}, fixed("/app:1"), getManifest, nil, 0, "", ""},
		{"unknown repository", func(*registry.Registry) {}, fixed("/nope:1"), getManifest, nil, 404, transport.NameUnknownErrorCode, ""},
		{"unknown tag", func(*registry.Registry) {}, fixed("/app:2"), getManifest, nil, 404, transport.ManifestUnknownErrorCode, ""},
		{"unknown blob", func(*registry.Registry) {}, fixed("/app@sha256:0000000000000000000000000000000000000000000000000000000000000000"), readLayer, nil, 404, transport.BlobUnknownErrorCode, ""},
		{"not found fault", fault(registry.FaultNotFound), fixed("/app:1"), getManifest, nil, 404, transport.ManifestUnknownErrorCode, ""},
		{"private, anonymous", private(alice), fixed("/app:1"), getManifest, nil, 401, transport.UnauthorizedErrorCode, ""},
		{"private, wrong password", private(alice), fixed("/app:1"), getManifest, []remote.Option{remote.WithAuth(&authn.Basic{Username: "alice", Password: "nope"})}, 401, "", ""},
		{"private, token for alice", private(alice), fixed("/app:1"), getManifest, []remote.Option{remote.WithAuth(&authn.Basic{Username: "alice", Password: "s3cret"})}, 0, "", ""},
		{"unauthorized fault", fault(registry.FaultUnauthorized), fixed("/app:1"), getManifest, nil, 401, transport.UnauthorizedErrorCode, ""},
		{"rate limited", fault(registry.FaultTooManyRequests), fixed("/app:1"), getManifest, nil, 429, transport.TooManyRequestsErrorCode, ""},
		{"server error", fault(registry.FaultServerError), fixed("/app:1"), getManifest, nil, 500, transport.UnknownErrorCode, ""},
		{"signature", fault(registry.FaultSignature), fixed("/app:1"), getManifest, nil, 403, transport.DeniedErrorCode, ""},
		{"corrupt blob", fault(registry.FaultCorruptBlob), layer, readLayer, nil, 0, "", "error verifying sha256 checksum"},
		// The repository's outage, not the host's: the ping (a request of the host) passes.
		{"dropped mid-blob", setFault(registry.Fault{Scope: "app", Kind: registry.FaultUnavailable}), layer, readLayer, nil, 0, "", "unexpected EOF"},
		{"unavailable", fault(registry.FaultUnavailable), fixed("/app:1"), getManifest, nil, 0, "", "EOF"},
		{"message fault: the text as a 500", setFault(registry.Fault{Scope: "app", Kind: registry.FaultMessage, Message: "RegistryUnavailable: lab outage"}), fixed("/app:1"), getManifest, nil, 500, transport.UnknownErrorCode, "RegistryUnavailable: lab outage"},
		{"unavailable at the blob stage: the pull resolves, then the blob drops", func(r *registry.Registry) {
			pushReal(t, r, "docker.io/library/real:1")
			setFault(registry.Fault{Scope: "real", Kind: registry.FaultUnavailable, Op: registry.OpBlob})(r)
		}, fixed("/real:1"), pullImage, nil, 0, "", "unexpected EOF"},
		{"not found at the blob stage", setFault(registry.Fault{Scope: "app", Kind: registry.FaultNotFound, Op: registry.OpBlob}), layer, readLayer, nil, 404, transport.BlobUnknownErrorCode, ""},
		{"timeout", fault(registry.FaultTimeout), fixed("/app:1"), getManifest, []remote.Option{remote.WithContext(timeoutCtx(t, 300*time.Millisecond))}, 0, "", "context deadline exceeded"},
	}
	for i, s := range steps {
		reg := registry.New()
		reg.MustPush("app:1", appImage)
		s.setup(reg)
		host := serve(t, reg, ociserver.WithTimeoutHang(10*time.Second))
		err := s.op(host, s.path(reg), s.opts...)
		status, code := clientErr(err)
		if status != s.wantStatus || (s.wantCode != "" && code != s.wantCode) {
			t.Errorf("step %d (%s): got %d %s (%v), want %d %s", i, s.name, status, code, err, s.wantStatus, s.wantCode)
		}
		if s.wantStatus == 0 && s.wantErr == "" && err != nil {
			t.Errorf("step %d (%s): got %v, want success", i, s.name, err)
		}
		if s.wantErr != "" && (err == nil || !contains(err.Error(), s.wantErr)) {
			t.Errorf("step %d (%s): got %v, want an error containing %q", i, s.name, err, s.wantErr)
		}
	}
}

func fixed(p string) func(*registry.Registry) string {
	return func(*registry.Registry) string { return p }
}

func fault(k registry.FaultKind) func(*registry.Registry) {
	return func(r *registry.Registry) {
		if err := r.SetFault(registry.Fault{Scope: "docker.io", Kind: k}); err != nil {
			panic(err)
		}
	}
}

// pushReal pushes, through the registry's push face, an image whose layer
// is real bytes of the size its manifest claims.
func pushReal(t *testing.T, r *registry.Registry, ref string) {
	repo, _, _ := strings.Cut(ref, ":")
	cfg, err := r.PutBlob(repo, "", []byte(`{"architecture":"amd64","os":"linux"}`))
	require.NoError(t, err)
	layer, err := r.PutBlob(repo, "", []byte(strings.Repeat("real layer bytes ", 64)))
	require.NoError(t, err)
	raw := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[{"mediaType":%q,"digest":%q,"size":%d}]}`,
		registry.MediaTypeManifest, registry.MediaTypeConfig, cfg.Digest, cfg.Size, registry.MediaTypeLayer, layer.Digest, layer.Size)
	_, err = r.PutManifest(ref, registry.MediaTypeManifest, []byte(raw))
	require.NoError(t, err)
}

func setFault(f registry.Fault) func(*registry.Registry) {
	return func(r *registry.Registry) {
		if err := r.SetFault(f); err != nil {
			panic(err)
		}
	}
}

func private(c registry.Credential) func(*registry.Registry) {
	return func(r *registry.Registry) {
		if err := r.SetPrivate("app", c); err != nil {
			panic(err)
		}
	}
}

func timeoutCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestRateLimitHeaders: a 429 carries Docker Hub's rate-limit headers, and
// a HEAD is not limited, as Docker Hub does not count it.
func TestRateLimitHeaders(t *testing.T) {
	reg := registry.New()
	reg.MustPush("app:1", appImage)
	require.NoError(t, reg.SetFault(registry.Fault{Scope: "app", Kind: registry.FaultTooManyRequests}))
	host := serve(t, reg)

	resp, err := http.Get("http://" + host + "/v2/library/app/manifests/1")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Equal(t, "100;w=21600", resp.Header.Get("ratelimit-limit"))
	require.Equal(t, "0;w=21600", resp.Header.Get("ratelimit-remaining"))

	r, err := name.ParseReference(host+"/app:1", name.Insecure)
	require.NoError(t, err)
	_, err = remote.Head(r, noRetry)
	require.NoError(t, err, "HEAD is not rate limited")
}

// TestCountedFault: a fault for one request fails one request; the
// client's next try succeeds, and the counters count both.
func TestCountedFault(t *testing.T) {
	reg := registry.New()
	want := reg.MustPush("app:1", appImage)
	require.NoError(t, reg.SetFault(registry.Fault{Scope: "app", Kind: registry.FaultServerError, Requests: 1}))
	host := serve(t, reg)
	r, err := name.ParseReference(host+"/app:1", name.Insecure)
	require.NoError(t, err)

	steps := []struct {
		wantStatus int
		counters   registry.Counters
	}{
		{500, registry.Counters{Manifests: 1}},
		{0, registry.Counters{Manifests: 2}},
	}
	for i, s := range steps {
		d, err := remote.Get(r, noRetry)
		status, _ := clientErr(err)
		if status != s.wantStatus {
			t.Errorf("step %d: got status %d (%v), want %d", i, status, err, s.wantStatus)
		}
		if err == nil && d.Digest.String() != want.String() {
			t.Errorf("step %d: got %s, want %s", i, d.Digest, want)
		}
		if got := reg.CountersFor("app"); got != s.counters {
			t.Errorf("step %d: counters %+v, want %+v", i, got, s.counters)
		}
	}
}

// TestBasicAuthDirectly: a client may send Basic credentials with every
// request instead of fetching a token.
func TestBasicAuthDirectly(t *testing.T) {
	reg := registry.New()
	reg.MustPush("app:1", appImage)
	require.NoError(t, reg.SetPrivate("app", registry.Credential{Username: "alice", Password: "s3cret"}))
	host := serve(t, reg)
	steps := []struct {
		user, pass string
		want       int
	}{
		{"", "", http.StatusUnauthorized},
		{"alice", "wrong", http.StatusUnauthorized},
		{"alice", "s3cret", http.StatusOK},
	}
	for i, s := range steps {
		got, header := statusAs(t, http.MethodGet, "http://"+host+"/v2/library/app/manifests/1", s.user, s.pass)
		if got != s.want {
			t.Errorf("step %d: got %d, want %d", i, got, s.want)
		}
		if s.want == http.StatusUnauthorized {
			require.Equal(t, `Bearer realm="http://`+host+`/token",service="docker.io",scope="repository:library/app:pull"`, header.Get("WWW-Authenticate"))
		}
	}
}

// TestFaultsOnEveryEndpoint: a fault that fails every request fails the
// ping, tag lists, referrers, uploads, manifest pushes and deletes too,
// with the answers reads get, and a push during it moves no tag; faults
// of a pull's own requests (a rate limit, NotFound, Signature, corrupt
// blobs, a fault limited to an op) leave these endpoints alone.
func TestFaultsOnEveryEndpoint(t *testing.T) {
	chunk := "chunk"
	endpoints := []struct {
		method, path, body string
		healthy            int // the status without a fault
	}{
		{"GET", "/v2/", "", 200},
		{"GET", "/v2/library/app/tags/list", "", 200},
		{"GET", "/v2/library/app/referrers/" + digest.FromString("x").String(), "", 200},
		{"POST", "/v2/library/app/blobs/uploads/", "", 202},
		{"PATCH", "/v2/library/app/blobs/uploads/pullsim-1", chunk, 202},
		{"GET", "/v2/library/app/blobs/uploads/pullsim-1", "", 204},
		{"PUT", "/v2/library/app/blobs/uploads/pullsim-1?digest=" + digest.FromString(chunk).String(), "", 201},
		{"PUT", "/v2/library/app/manifests/1", "<manifest>", 201},
		{"DELETE", "/v2/library/app/manifests/1", "", 202},
		{"DELETE", "/v2/library/app/blobs/<config>", "", 202},
	}
	steps := []struct {
		fault    registry.Fault
		healthy  bool   // every endpoint answers as without the fault
		want     int    // else every endpoint's status; 0 when the connection drops
		wantCode string // and its error code
	}{
		{registry.Fault{Kind: registry.FaultUnavailable}, false, 0, ""},
		{registry.Fault{Kind: registry.FaultTimeout}, false, 0, ""},
		{registry.Fault{Kind: registry.FaultServerError}, false, 500, "UNKNOWN"},
		{registry.Fault{Kind: registry.FaultUnauthorized}, false, 401, "UNAUTHORIZED"},
		{registry.Fault{Kind: registry.FaultMessage, Message: "RegistryUnavailable: lab outage"}, false, 500, "UNKNOWN"},
		{registry.Fault{Kind: registry.FaultTooManyRequests}, true, 0, ""},
		{registry.Fault{Kind: registry.FaultNotFound}, true, 0, ""},
		{registry.Fault{Kind: registry.FaultSignature}, true, 0, ""},
		{registry.Fault{Kind: registry.FaultCorruptBlob}, true, 0, ""},
		{registry.Fault{Kind: registry.FaultServerError, Op: registry.OpBlob}, true, 0, ""},
	}
	for i, s := range steps {
		reg := registry.New()
		old := reg.MustPush("app:1", appImage)
		cfg, err := reg.PutBlob("docker.io/library/app", "", []byte("{}"))
		require.NoError(t, err)
		manifest := `{"schemaVersion":2,"mediaType":"` + ociManifest + `","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + cfg.Digest.String() + `","size":2},"layers":[]}`
		base := "http://" + serve(t, reg, ociserver.WithTimeoutHang(0))
		if status, _, _ := call(t, "POST", base+"/v2/library/app/blobs/uploads/", "", ""); status != 202 {
			t.Fatalf("step %d: opening the session: %d", i, status)
		}
		s.fault.Scope = "docker.io"
		require.NoError(t, reg.SetFault(s.fault))
		for _, e := range endpoints {
			path := strings.Replace(e.path, "<config>", cfg.Digest.String(), 1)
			body, contentType := e.body, "application/octet-stream"
			if body == "<manifest>" {
				body, contentType = manifest, ociManifest
			}
			status, code := 0, ""
			req, err := http.NewRequest(e.method, base+path, strings.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", contentType)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				var doc struct{ Errors []struct{ Code string } }
				_ = json.NewDecoder(resp.Body).Decode(&doc)
				resp.Body.Close()
				status = resp.StatusCode
				if len(doc.Errors) > 0 {
					code = doc.Errors[0].Code
				}
			}
			want, wantCode := s.want, s.wantCode
			if s.healthy {
				want, wantCode = e.healthy, ""
			}
			if status != want || code != wantCode {
				t.Errorf("step %d (%v, op %q): %s %s = %d %s, want %d %s", i, s.fault.Kind, s.fault.Op, e.method, e.path, status, code, want, wantCode)
			}
		}
		if got := reg.History("app:1"); !s.healthy && !equalDigests(got, []digest.Digest{old}) {
			t.Errorf("step %d (%v): history of app:1 %v after a push during the fault, want %v", i, s.fault.Kind, got, old)
		}
	}
}
