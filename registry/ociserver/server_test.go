package ociserver_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"

	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
	"github.com/pullsim/pullsim/registry/ociserver"
)

// TestHosts: the ns parameter (containerd's mirror requests) names the
// host, one the registry lacks included (its reads answer 404, as a node
// resolving it fails), and a malformed one is refused; else the Host
// header chooses among the registry's hosts, and anything else reaches
// the default host.
func TestHosts(t *testing.T) {
	reg := registry.New()
	hub := reg.MustPush("docker.io/library/app:1", registry.Image{Config: "hub"})
	example := reg.MustPush("registry.example.com/library/app:1", registry.Image{Config: "example"})
	local := reg.MustPush("localhost:5000/library/app:1", registry.Image{Config: "local"})
	base := "http://" + serve(t, reg, ociserver.WithDefaultHost("localhost:5000"))

	steps := []struct {
		url, host  string
		wantStatus int
		wantCode   string
		want       string // the digest served
	}{
		{"/v2/library/app/manifests/1", "", 200, "", local.String()},
		{"/v2/library/app/manifests/1?ns=registry.example.com", "", 200, "", example.String()},
		{"/v2/library/app/manifests/1?ns=docker.io", "", 200, "", hub.String()},
		{"/v2/library/app/manifests/1?ns=unknown.example.org", "", 404, "NAME_UNKNOWN", ""},
		{"/v2/library/app/tags/list?ns=unknown.example.org", "", 404, "NAME_UNKNOWN", ""},
		{"/v2/library/app/blobs/" + digest.FromString("x").String() + "?ns=unknown.example.org", "", 404, "NAME_UNKNOWN", ""},
		{"/v2/library/app/manifests/1?ns=unknown.example.org", "registry.example.com", 404, "NAME_UNKNOWN", ""},
		{"/v2/library/app/manifests/1?ns=Docker.IO", "", 400, "NAME_INVALID", ""},
		{"/v2/library/app/manifests/1?ns=library", "", 400, "NAME_INVALID", ""},
		{"/v2/library/app/manifests/1?ns=https://docker.io", "", 400, "NAME_INVALID", ""},
		{"/v2/?ns=not+a+host", "", 400, "NAME_INVALID", ""},
		{"/v2/library/app/manifests/1", "registry.example.com", 200, "", example.String()},
		{"/v2/library/app/manifests/1", "docker.io", 200, "", hub.String()},
		{"/v2/library/app/manifests/1", "elsewhere.example.org", 200, "", local.String()},
	}
	for i, s := range steps {
		header := []string{}
		if s.host != "" {
			header = []string{"Host", s.host}
		}
		status, code, h := call(t, http.MethodGet, base+s.url, "", "", header...)
		if status != s.wantStatus || code != s.wantCode || h.Get("Docker-Content-Digest") != s.want {
			t.Errorf("step %d: %s (Host %q) gave %d %s %s, want %d %s %s", i, s.url, s.host, status, code, h.Get("Docker-Content-Digest"), s.wantStatus, s.wantCode, s.want)
		}
	}
}

// TestPushToNewHost: a push through a mirror of a host the registry does
// not hold yet (ns=new.example.com) creates the content under that host,
// which a node then resolves, and nothing under the default host.
func TestPushToNewHost(t *testing.T) {
	reg := registry.New()
	base := "http://" + serve(t, reg)
	const ns = "ns=new.example.com"
	cfg := `{"architecture":"amd64","os":"linux"}`
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[]}`,
		ociManifest, registry.MediaTypeConfig, digest.FromString(cfg), len(cfg))
	steps := []struct {
		method, url, contentType, body string
		want                           int
	}{
		{"GET", "/v2/?" + ns, "", "", 200},
		{"POST", "/v2/team/app/blobs/uploads/?" + ns + "&digest=" + digest.FromString(cfg).String(), "application/octet-stream", cfg, 201},
		{"PUT", "/v2/team/app/manifests/1?" + ns, ociManifest, manifest, 201},
		{"HEAD", "/v2/team/app/manifests/1?" + ns, "", "", 200},
		{"HEAD", "/v2/team/app/manifests/1", "", "", 404},
	}
	for i, s := range steps {
		if got, code, _ := call(t, s.method, base+s.url, s.contentType, s.body); got != s.want {
			t.Errorf("step %d: %s %s = %d %s, want %d", i, s.method, s.url, got, code, s.want)
		}
	}
	require.Contains(t, reg.Hosts(), "new.example.com")
	p, err := pullpolicy.ParseImageRef("new.example.com/team/app:1")
	require.NoError(t, err)
	d, err := reg.Resolve(p, registry.Credential{})
	require.NoError(t, err, "a node resolves what the mirror pushed")
	require.Equal(t, digest.FromString(manifest), d.Digest)
	_, err = reg.Lookup("docker.io/team/app:1")
	require.Error(t, err, "nothing under docker.io")
}

// TestPushByTagRecordsHistory: a PUT by tag moves the tag and is recorded
// as Push records it; a PUT of the same content again changes nothing;
// tags page with n and last and a Link header; deletes of tags, manifests
// and blobs take effect at once.
func TestPushByTagRecordsHistory(t *testing.T) {
	reg := registry.New()
	base := "http://" + serve(t, reg)
	cfg, err := reg.PutBlob("docker.io/team/app", "", []byte(`{"architecture":"amd64","os":"linux"}`))
	require.NoError(t, err)
	manifest := func(annotation string) string {
		return `{"schemaVersion":2,"mediaType":"` + ociManifest + `","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + cfg.Digest.String() + `","size":` + strconv.FormatInt(cfg.Size, 10) + `},"layers":[],"annotations":{"build":"` + annotation + `"}}`
	}
	var digests []string
	for _, build := range []string{"1", "2", "2", "1"} {
		status, _, h := call(t, "PUT", base+"/v2/team/app/manifests/latest", ociManifest, manifest(build))
		require.Equal(t, 201, status)
		digests = append(digests, h.Get("Docker-Content-Digest"))
	}
	var history []string
	for _, d := range reg.History("team/app:latest") {
		history = append(history, d.String())
	}
	require.Equal(t, []string{digests[0], digests[1], digests[3]}, history, "one entry per move")

	for _, tag := range []string{"a", "b", "c"} {
		status, _, _ := call(t, "PUT", base+"/v2/team/app/manifests/"+tag, ociManifest, manifest("1"))
		require.Equal(t, 201, status)
	}
	pages := []struct {
		query, wantBody, wantLink string
	}{
		{"", `{"name":"team/app","tags":["a","b","c","latest"]}`, ""},
		{"?n=2", `{"name":"team/app","tags":["a","b"]}`, `</v2/team/app/tags/list?last=b&n=2>; rel="next"`},
		{"?n=2&last=b", `{"name":"team/app","tags":["c","latest"]}`, ""},
		{"?last=latest", `{"name":"team/app","tags":[]}`, ""},
		{"?n=0", `{"name":"team/app","tags":[]}`, ""},
	}
	for i, p := range pages {
		resp, err := http.Get(base + "/v2/team/app/tags/list" + p.query)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != p.wantBody || resp.Header.Get("Link") != p.wantLink {
			t.Errorf("step %d: %s gave %s (Link %q), want %s (Link %q)", i, p.query, body, resp.Header.Get("Link"), p.wantBody, p.wantLink)
		}
	}

	deletes := []struct {
		method, url string
		want        int
		after       string // a HEAD that must then answer 404
	}{
		{"DELETE", "/v2/team/app/manifests/a", 202, "/v2/team/app/manifests/a"},
		{"DELETE", "/v2/team/app/manifests/" + digests[1], 202, "/v2/team/app/manifests/" + digests[1]},
		{"DELETE", "/v2/team/app/manifests/" + digests[1], 404, ""},
		{"DELETE", "/v2/team/app/blobs/" + cfg.Digest.String(), 202, "/v2/team/app/blobs/" + cfg.Digest.String()},
	}
	for i, d := range deletes {
		status, _, _ := call(t, d.method, base+d.url, "", "")
		if status != d.want {
			t.Errorf("delete %d: %s gave %d, want %d", i, d.url, status, d.want)
		}
		if d.after != "" {
			if status, _, _ := call(t, "HEAD", base+d.after, "", ""); status != 404 {
				t.Errorf("delete %d: HEAD %s gave %d after the delete, want 404", i, d.after, status)
			}
		}
	}
	require.Len(t, reg.History("team/app:latest"), 3, "deletes keep the history")
}

// TestListenAndServe: loopback only; the URL is printed and the server
// stops when the context is done.
func TestListenAndServe(t *testing.T) {
	reg := registry.New()
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:5000", "example.com:5000", ":5000", "no-port"} {
		err := ociserver.ListenAndServe(context.Background(), addr, reg, io.Discard)
		if err == nil {
			t.Fatalf("ListenAndServe(%q) served", addr)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- ociserver.ListenAndServe(ctx, "127.0.0.1:0", reg, pw) }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "serving the registry at ")
	require.True(t, ok, line)
	resp, err := http.Get(url + "v2/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("ListenAndServe did not return after the context was done")
	}
}

// TestOptions: the logger logs one line per request, dropped connections
// included; the cap on open uploads answers 429 until one finishes.
func TestOptions(t *testing.T) {
	reg := registry.New()
	reg.MustPush("app:1", registry.Image{Config: "1"})
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	base := "http://" + serve(t, reg, ociserver.WithLogger(logger), ociserver.WithMaxUploads(1))

	steps := []struct {
		method, path string
		want         int
	}{
		{"HEAD", "/v2/library/app/manifests/1", 200},
		{"POST", "/v2/app/blobs/uploads/", 202},
		{"POST", "/v2/app/blobs/uploads/", 429},
		{"DELETE", "/v2/app/blobs/uploads/pullsim-1", 204},
		{"POST", "/v2/app/blobs/uploads/", 202},
	}
	for i, s := range steps {
		if got, _, _ := call(t, s.method, base+s.path, "", ""); got != s.want {
			t.Errorf("step %d: %s %s = %d, want %d", i, s.method, s.path, got, s.want)
		}
	}
	require.NoError(t, reg.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultUnavailable}))
	_, err := http.Get(base + "/v2/library/app/manifests/1")
	require.Error(t, err, "the connection drops")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	// net/http retries a GET once when a reused connection drops.
	require.Contains(t, []int{len(steps) + 1, len(steps) + 2}, len(lines))
	require.Equal(t, `level=DEBUG msg=request method=HEAD path=/v2/library/app/manifests/1 host=`+strings.TrimPrefix(base, "http://")+` status=200`, lines[0])
	require.Contains(t, lines[2], "status=429")
	require.Contains(t, lines[len(lines)-1], `status="connection dropped"`)
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBadOptions: option values that make no sense keep the defaults
// instead of breaking the server.
func TestBadOptions(t *testing.T) {
	reg := registry.New()
	reg.MustPush("app:1", registry.Image{Config: "1"})
	base := "http://" + serve(t, reg, ociserver.WithDefaultHost(""), ociserver.WithMaxBlobSize(-1),
		ociserver.WithMaxManifestSize(0), ociserver.WithMaxUploads(-3), ociserver.WithTimeoutHang(-time.Second))
	steps := []struct {
		method, path, body string
		want               int
	}{
		{"HEAD", "/v2/library/app/manifests/1", "", 200},
		{"POST", "/v2/app/blobs/uploads/", "", 202},
		{"POST", "/v2/app/blobs/uploads/?digest=" + "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", "foo", 201},
	}
	for i, s := range steps {
		if got, _, _ := call(t, s.method, base+s.path, "application/octet-stream", s.body); got != s.want {
			t.Errorf("step %d: %s %s = %d, want %d", i, s.method, s.path, got, s.want)
		}
	}
}

// TestMirrorPush follows containerd pushing through a mirror of
// registry.example.com: every URL the server hands out (upload, blob and
// manifest Locations, the tags Link) carries ns, so a client following
// them stays on that host, and an upload session commits into the host it
// was started for even when a request of it leaves ns out.
func TestMirrorPush(t *testing.T) {
	reg := registry.New()
	for _, tag := range []string{"a", "b"} {
		reg.MustPush("registry.example.com/team/app:"+tag, registry.Image{Config: tag})
	}
	reg.MustPush("docker.io/team/app:hub", registry.Image{Config: "hub"}) // where a lost ns leads
	base := "http://" + serve(t, reg)
	const ns = "ns=registry.example.com"
	layer, cfg, other := "layer bytes", `{"architecture":"amd64","os":"linux"}`, "other bytes"
	ld, cd, od := digest.FromString(layer), digest.FromString(cfg), digest.FromString(other)
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[{"mediaType":%q,"digest":%q,"size":%d}]}`,
		ociManifest, registry.MediaTypeConfig, cd, len(cfg), registry.MediaTypeLayer, ld, len(layer))
	md := digest.FromString(manifest)

	steps := []struct {
		method string
		url    string // "<loc>" is the Location of the step before
		query  string // added to url
		body   string
		want   int
		header string // Location, or Link for a tag list
		wantH  string
	}{
		{"POST", "/v2/team/app/blobs/uploads/?" + ns, "", "", 202, "Location", "/v2/team/app/blobs/uploads/pullsim-1?" + ns},
		{"PATCH", "<loc>", "", layer, 202, "Location", "/v2/team/app/blobs/uploads/pullsim-1?" + ns},
		{"PUT", "<loc>", "digest=" + ld.String(), "", 201, "Location", "/v2/team/app/blobs/" + ld.String() + "?" + ns},
		{"POST", "/v2/team/app/blobs/uploads/?" + ns, "digest=" + cd.String(), cfg, 201, "Location", "/v2/team/app/blobs/" + cd.String() + "?" + ns},
		{"POST", "/v2/team/copy/blobs/uploads/?" + ns, "from=team/app&mount=" + ld.String(), "", 201, "Location", "/v2/team/copy/blobs/" + ld.String() + "?" + ns},
		{"PUT", "/v2/team/app/manifests/c?" + ns, "", manifest, 201, "Location", "/v2/team/app/manifests/" + md.String() + "?" + ns},
		{"GET", "/v2/team/app/tags/list?" + ns, "n=2", "", 200, "Link", `</v2/team/app/tags/list?last=b&n=2&` + ns + `>; rel="next"`},
		// A session started through the mirror, finished without ns.
		{"POST", "/v2/team/app/blobs/uploads/?" + ns, "", "", 202, "Location", "/v2/team/app/blobs/uploads/pullsim-2?" + ns},
		{"PUT", "/v2/team/app/blobs/uploads/pullsim-2", "digest=" + od.String(), other, 201, "Location", "/v2/team/app/blobs/" + od.String() + "?" + ns},
	}
	loc := ""
	for i, s := range steps {
		u := s.url
		if u == "<loc>" {
			u = loc
		}
		if s.query != "" {
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			u += sep + s.query
		}
		contentType := "application/octet-stream"
		if strings.Contains(u, "/manifests/") {
			contentType = ociManifest
		}
		status, code, h := call(t, s.method, base+u, contentType, s.body)
		if status != s.want || h.Get(s.header) != s.wantH {
			t.Errorf("step %d: %s %s = %d %s (%s %q), want %d (%s %q)", i, s.method, u, status, code, s.header, h.Get(s.header), s.want, s.header, s.wantH)
		}
		loc = h.Get("Location")
	}
	got, err := reg.Lookup("registry.example.com/team/app:c")
	require.NoError(t, err)
	require.Equal(t, md, got)
	for _, repo := range []string{"registry.example.com/team/app", "registry.example.com/team/copy"} {
		_, ok := reg.LookupBlob(repo, ld)
		require.True(t, ok, "the layer is a blob of %s", repo)
	}
	_, ok := reg.LookupBlob("registry.example.com/team/app", od)
	require.True(t, ok, "the session finished without ns committed into its own host")
	for _, d := range []digest.Digest{ld, cd, od} {
		_, ok := reg.LookupBlob("docker.io/team/app", d)
		require.False(t, ok, "nothing reached docker.io")
	}
}

// TestInvalidDefaultHost: WithDefaultHost takes a registry host as
// distribution/reference reads one, lowercase; anything else makes
// ListenAndServe fail before it listens, naming the option, and New panic.
func TestInvalidDefaultHost(t *testing.T) {
	reg := registry.New()
	steps := []struct {
		host  string
		valid bool
	}{
		{"docker.io", true},
		{"registry.example.com", true},
		{"localhost:5000", true},
		{"[::1]:5000", true},
		{"Docker.IO", false},
		{"not a host", false},
		{"https://docker.io", false},
		{"docker.io/library", false},
		{"library", false},
		{"index.docker.io", false}, // reference reads it as docker.io
	}
	for i, s := range steps {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // a valid server stops at once
		err := ociserver.ListenAndServe(ctx, "127.0.0.1:0", reg, io.Discard, ociserver.WithDefaultHost(s.host))
		if s.valid && err != nil {
			t.Errorf("step %d: ListenAndServe with WithDefaultHost(%q): %v, want nil", i, s.host, err)
		}
		if !s.valid && (err == nil || !strings.Contains(err.Error(), "WithDefaultHost") || !strings.Contains(err.Error(), strconv.Quote(s.host))) {
			t.Errorf("step %d: ListenAndServe with WithDefaultHost(%q): %v, want an error naming the option and the host", i, s.host, err)
		}
		h, err := ociserver.New(reg, ociserver.WithDefaultHost(s.host))
		if (err == nil) != s.valid || (h == nil) == s.valid {
			t.Errorf("step %d: New with WithDefaultHost(%q) = %v, %v, want an error: %v", i, s.host, h, err, !s.valid)
		}
		if !s.valid && (err == nil || !strings.Contains(err.Error(), strconv.Quote(s.host))) {
			t.Errorf("step %d: New with WithDefaultHost(%q): %v, want an error naming the host", i, s.host, err)
		}
	}
}
