package ociserver_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"

	"github.com/pullsim/pullsim/registry"
	"github.com/pullsim/pullsim/registry/ociserver"
)

// call makes one request, with header's name-value pairs ("Host" sets the
// request's host), and returns the status and the first error code of the
// body ("" when there is none).
func call(t *testing.T, method, url, contentType, body string, header ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var doc struct {
		Errors []struct{ Code string } `json:"errors"`
	}
	_ = json.Unmarshal(data, &doc)
	code := ""
	if len(doc.Errors) > 0 {
		code = doc.Errors[0].Code
	}
	return resp.StatusCode, code, resp.Header
}

const ociManifest = "application/vnd.oci.image.manifest.v1+json"

// TestBadInput: each malformed request gets the spec's status and code,
// and nothing of it is stored.
func TestBadInput(t *testing.T) {
	reg := registry.New()
	require.NoError(t, reg.SetPrivate("docker.io/team/secret", registry.Credential{Username: "alice", Password: "s3cret"}))
	cfg, err := reg.PutBlob("docker.io/team/app", "", []byte("{}"))
	require.NoError(t, err)
	base := "http://" + serve(t, reg, ociserver.WithMaxBlobSize(64), ociserver.WithMaxManifestSize(1024))
	good := `{"schemaVersion":2,"mediaType":"` + ociManifest + `","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + cfg.Digest.String() + `","size":2},"layers":[]}`
	missing := strings.Replace(good, cfg.Digest.Encoded(), strings.Repeat("0", 64), 1)
	goodDigest := digest.FromString(good)
	data := "some bytes"
	dataDigest := digest.FromString(data)

	steps := []struct {
		name        string
		method, url string
		contentType string
		body        string
		wantStatus  int
		wantCode    string
	}{
		{"malformed manifest", "PUT", "/v2/team/app/manifests/bad", ociManifest, `{"schemaVersion":`, 400, "MANIFEST_INVALID"},
		{"manifest not an object", "PUT", "/v2/team/app/manifests/bad", "application/x-anything", `"a string"`, 400, "MANIFEST_INVALID"},
		{"media type disagrees", "PUT", "/v2/team/app/manifests/bad", "application/vnd.oci.image.index.v1+json", good, 400, "MANIFEST_INVALID"},
		{"no media type at all", "PUT", "/v2/team/app/manifests/bad", "", `{"schemaVersion":2}`, 400, "MANIFEST_INVALID"},
		{"schema 1", "PUT", "/v2/team/app/manifests/bad", "application/vnd.docker.distribution.manifest.v1+prettyjws", `{"schemaVersion":1}`, 400, "MANIFEST_INVALID"},
		{"manifest names a missing blob", "PUT", "/v2/team/app/manifests/bad", ociManifest, missing, 400, "MANIFEST_BLOB_UNKNOWN"},
		{"manifest digest mismatch", "PUT", "/v2/team/app/manifests/" + dataDigest.String(), ociManifest, good, 400, "DIGEST_INVALID"},
		{"malformed digest", "PUT", "/v2/team/app/manifests/sha256:nothex", ociManifest, good, 400, "DIGEST_INVALID"},
		{"unknown algorithm", "PUT", "/v2/team/app/manifests/md5:d41d8cd98f00b204e9800998ecf8427e", ociManifest, good, 400, "DIGEST_INVALID"},
		{"oversized manifest", "PUT", "/v2/team/app/manifests/bad", ociManifest, good + strings.Repeat(" ", 1024), 413, "SIZE_INVALID"},
		{"blob digest mismatch", "POST", "/v2/team/app/blobs/uploads/?digest=" + digest.FromString("other").String(), "application/octet-stream", data, 400, "DIGEST_INVALID"},
		{"unknown upload", "PUT", "/v2/team/app/blobs/uploads/nope", "application/octet-stream", data, 404, "BLOB_UPLOAD_UNKNOWN"},
		{"oversized blob", "POST", "/v2/team/app/blobs/uploads/?digest=" + digest.FromString(strings.Repeat("x", 65)).String(), "application/octet-stream", strings.Repeat("x", 65), 413, "SIZE_INVALID"},
		{"path traversal", "GET", "/v2/team/../../etc/manifests/latest", "", "", 400, "NAME_INVALID"},
		{"encoded traversal", "GET", "/v2/team/%2e%2e/app/manifests/latest", "", "", 400, "NAME_INVALID"},
		{"upper case name", "GET", "/v2/Team/app/manifests/latest", "", "", 400, "NAME_INVALID"},
		{"empty name", "GET", "/v2//manifests/latest", "", "", 400, "NAME_INVALID"},
		{"not an endpoint", "GET", "/v2/team/app/nothing", "", "", 404, "NOT_FOUND"},
		{"anonymous push to private", "PUT", "/v2/team/secret/manifests/1", ociManifest, good, 401, "UNAUTHORIZED"},
		{"anonymous upload to private", "POST", "/v2/team/secret/blobs/uploads/?digest=" + dataDigest.String(), "application/octet-stream", data, 401, "UNAUTHORIZED"},
		{"anonymous delete in private", "DELETE", "/v2/team/secret/manifests/1", "", "", 401, "UNAUTHORIZED"},
		{"bad tag page size", "GET", "/v2/team/app/tags/list?n=-1", "", "", 400, "PAGINATION_NUMBER_INVALID"},
		{"referrers of a malformed digest", "GET", "/v2/team/app/referrers/sha256:zz", "", "", 400, "DIGEST_INVALID"},
		{"invalid tag parameter", "PUT", "/v2/team/app/manifests/" + goodDigest.String() + "?tag=bad!tag", ociManifest, good, 400, "TAG_INVALID"},
		{"tag parameter with a leading dash", "PUT", "/v2/team/app/manifests/" + goodDigest.String() + "?tag=-leading", ociManifest, good, 400, "TAG_INVALID"},
		{"empty tag parameter", "PUT", "/v2/team/app/manifests/" + goodDigest.String() + "?tag=", ociManifest, good, 400, "TAG_INVALID"},
		{"one invalid tag parameter of two", "PUT", "/v2/team/app/manifests/" + goodDigest.String() + "?tag=fine&tag=bad!tag", ociManifest, good, 400, "TAG_INVALID"},
		{"unknown media type is accepted", "PUT", "/v2/team/app/manifests/custom", "application/vnd.example.thing.v1+json", `{"hello":"world"}`, 201, ""},
	}
	for i, s := range steps {
		status, code, h := call(t, s.method, base+s.url, s.contentType, s.body)
		if status != s.wantStatus || code != s.wantCode {
			t.Errorf("step %d (%s): got %d %s, want %d %s", i, s.name, status, code, s.wantStatus, s.wantCode)
		}
		if status == http.StatusUnauthorized && !strings.Contains(h.Get("WWW-Authenticate"), `scope="repository:team/secret:pull,push"`) {
			t.Errorf("step %d (%s): challenge %q does not ask for push", i, s.name, h.Get("WWW-Authenticate"))
		}
	}
	// Nothing partial: only the config blob and the custom manifest exist.
	require.Equal(t, []string{"custom"}, reg.Tags("docker.io/team/app"))
	require.Empty(t, reg.Tags("docker.io/team/secret"))
	for _, d := range []digest.Digest{dataDigest, digest.FromString("other"), digest.FromString(strings.Repeat("x", 65))} {
		_, ok := reg.LookupBlob("docker.io/team/app", d)
		require.False(t, ok, "blob %s stored", d)
	}
	status, _, _ := call(t, "HEAD", base+"/v2/team/app/manifests/"+goodDigest.String(), "", "")
	require.Equal(t, 404, status, "the manifest pushed with invalid tags is not stored")
	status, _, h := call(t, "GET", base+"/v2/team/app/manifests/custom", "", "")
	require.Equal(t, 200, status)
	require.Equal(t, "application/vnd.example.thing.v1+json", h.Get("Content-Type"), "the media type as pushed")
}

// TestFailedUploadLeavesNothing: a chunked upload that ends with the wrong
// digest stores no blob and closes the session; a chunk out of order is
// refused with 416 and the session's range.
func TestFailedUploadLeavesNothing(t *testing.T) {
	reg := registry.New()
	base := "http://" + serve(t, reg)
	status, _, h := call(t, "POST", base+"/v2/app/blobs/uploads/", "", "")
	require.Equal(t, 202, status)
	loc := base + h.Get("Location")

	steps := []struct {
		method, url, body, contentRange string
		wantStatus                      int
		wantRange                       string
	}{
		{"PATCH", loc, "hello ", "0-5", 202, "0-5"},
		{"PATCH", loc, "again", "3-7", 416, "0-5"},
		{"GET", loc, "", "", 204, "0-5"},
		{"PATCH", loc, "world", "6-10", 202, "0-10"},
		{"PUT", loc + "?digest=" + digest.FromString("something else").String(), "", "", 400, ""},
		{"GET", loc, "", "", 404, ""},
	}
	for i, s := range steps {
		var hdr []string
		if s.contentRange != "" {
			hdr = []string{"Content-Range", s.contentRange}
		}
		status, _, h := call(t, s.method, s.url, "application/octet-stream", s.body, hdr...)
		if status != s.wantStatus || h.Get("Range") != s.wantRange {
			t.Errorf("step %d: %s got %d range %q, want %d range %q", i, s.method, status, h.Get("Range"), s.wantStatus, s.wantRange)
		}
	}
	_, ok := reg.LookupBlob("docker.io/library/app", digest.FromString("hello world"))
	require.False(t, ok)
}

// TestNegativeContentLength: the server refuses a negative Content-Length
// before the handler runs, and the handler refuses one too if it gets it.
func TestNegativeContentLength(t *testing.T) {
	reg := registry.New()
	host := serve(t, reg)
	conn, err := net.Dial("tcp", host)
	require.NoError(t, err)
	defer conn.Close()
	d := digest.FromString("x")
	_, err = io.WriteString(conn, "POST /v2/app/blobs/uploads/?digest="+d.String()+" HTTP/1.1\r\nHost: "+host+"\r\nContent-Length: -5\r\n\r\nx")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	req := httptest.NewRequest("POST", "/v2/app/blobs/uploads/?digest="+d.String(), strings.NewReader("x"))
	req.ContentLength = -5
	rec := httptest.NewRecorder()
	ociserver.MustNew(reg).ServeHTTP(rec, req)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Contains(t, rec.Body.String(), "SIZE_INVALID")
	_, ok := reg.LookupBlob("docker.io/library/app", d)
	require.False(t, ok)
}
