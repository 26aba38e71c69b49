package ociserver_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pullsim/pullsim/registry"
)

// TestTokenEndpoint walks the token protocol as containerd and docker do:
// the ping challenges when the host has a private repository, the token
// endpoint checks credentials (GET with Basic, POST with a password
// grant), and a request presents the token.
func TestTokenEndpoint(t *testing.T) {
	reg := registry.New()
	reg.MustPush("team/app:1", registry.Image{Config: "1"})
	reg.MustPush("team/open:1", registry.Image{Config: "1"})
	base := "http://" + serve(t, reg)

	status, _, h := call(t, "GET", base+"/v2/", "", "")
	require.Equal(t, 200, status, "no private repository: no challenge")
	require.NoError(t, reg.SetPrivate("team/app", registry.Credential{Username: "alice", Password: "s3cret"}))
	status, _, h = call(t, "GET", base+"/v2/", "", "")
	require.Equal(t, 401, status)
	require.Equal(t, `Bearer realm="`+base+`/token",service="docker.io"`, h.Get("WWW-Authenticate"))

	token := func(method, user, pass string) (int, string) {
		t.Helper()
		var req *http.Request
		var err error
		if method == "GET" {
			req, err = http.NewRequest("GET", base+"/token?service=docker.io&scope=repository:team/app:pull", nil)
			require.NoError(t, err)
			if user != "" {
				req.SetBasicAuth(user, pass)
			}
		} else {
			form := url.Values{"grant_type": {"password"}, "username": {user}, "password": {pass}, "service": {"docker.io"}, "scope": {"repository:team/app:pull"}}
			req, err = http.NewRequest("POST", base+"/token", strings.NewReader(form.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body struct {
			Token string `json:"token"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Token
	}
	steps := []struct {
		method, user, pass string
		wantToken          int // status of the token request
		wantPull           int // status of a pull of team/app with the token
		wantOpen           int // status of a pull of team/open with the token
	}{
		{"GET", "", "", 200, 401, 200},
		{"GET", "alice", "wrong", 401, 0, 0},
		{"GET", "alice", "s3cret", 200, 200, 200},
		{"POST", "alice", "wrong", 401, 0, 0},
		{"POST", "alice", "s3cret", 200, 200, 200},
	}
	for i, s := range steps {
		status, tok := token(s.method, s.user, s.pass)
		if status != s.wantToken {
			t.Errorf("step %d: %s token for %q: %d, want %d", i, s.method, s.user, status, s.wantToken)
			continue
		}
		if status != 200 {
			continue
		}
		for _, pull := range []struct {
			path string
			want int
		}{{"/v2/team/app/manifests/1", s.wantPull}, {"/v2/team/open/manifests/1", s.wantOpen}} {
			got, _, _ := call(t, "GET", base+pull.path, "", "", "Authorization", "Bearer "+tok)
			if got != pull.want {
				t.Errorf("step %d: GET %s with the token: %d, want %d", i, pull.path, got, pull.want)
			}
		}
	}
	got, _, _ := call(t, "GET", base+"/v2/team/app/manifests/1", "", "", "Authorization", "Bearer forged")
	require.Equal(t, 401, got, "a token the server never issued")
	got, _, _ = call(t, "GET", base+"/v2/team/open/manifests/1", "", "", "Authorization", "Bearer forged")
	require.Equal(t, 401, got, "a forged token fails on a public repository too")
	got, _, _ = call(t, "GET", base+"/token", "", "", "Authorization", "Bearer x")
	require.Equal(t, 200, got, "an anonymous token")
	got, _, _ = call(t, "POST", base+"/token", "application/x-www-form-urlencoded", "grant_type=refresh_token&refresh_token=x")
	require.Equal(t, 400, got, "only the password grant")
}

// TestMirrorFlow follows containerd through a mirror of a private
// repository on another host: the ns parameter picks the host, the
// challenge's service names it, the password grant's token then opens it.
func TestMirrorFlow(t *testing.T) {
	reg := registry.New()
	want := reg.MustPush("registry.example.com/team/app:1", registry.Image{Config: "1"})
	require.NoError(t, reg.SetPrivate("registry.example.com/team/app", registry.Credential{Username: "bob", Password: "pw"}))
	base := "http://" + serve(t, reg)
	target := base + "/v2/team/app/manifests/1?ns=registry.example.com"

	status, _, h := call(t, "HEAD", target, "", "")
	require.Equal(t, 401, status)
	require.Equal(t, `Bearer realm="`+base+`/token",service="registry.example.com",scope="repository:team/app:pull"`, h.Get("WWW-Authenticate"))

	form := url.Values{"grant_type": {"password"}, "username": {"bob"}, "password": {"pw"}, "service": {"registry.example.com"}, "scope": {"repository:team/app:pull"}}
	resp, err := http.PostForm(base+"/token", form)
	require.NoError(t, err)
	var body struct {
		Token string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)

	status, _, h = call(t, "HEAD", target, "", "", "Authorization", "Bearer "+body.Token)
	require.Equal(t, 200, status)
	require.Equal(t, want.String(), h.Get("Docker-Content-Digest"))
	require.Equal(t, registry.Counters{Resolves: 2}, reg.CountersFor("registry.example.com/team/app"))
}

// TestTokenChecksCredentials: the token endpoint refuses credentials the
// host does not know whatever the scope, as docker login meets it (a token
// request with no scope, then a ping with the token); an anonymous
// request still gets a token, and a host without private repositories has
// no accounts to check credentials against.
func TestTokenChecksCredentials(t *testing.T) {
	reg := registry.New()
	reg.MustPush("team/app:1", registry.Image{Config: "1"})
	reg.MustPush("registry.example.com/team/open:1", registry.Image{Config: "1"})
	require.NoError(t, reg.SetPrivate("team/app", registry.Credential{Username: "alice", Password: "s3cret"}))
	base := "http://" + serve(t, reg)

	steps := []struct {
		method     string // GET with Basic credentials, POST with a password grant
		user, pass string // empty: no credentials
		service    string
		scope      string // empty: none, as docker login asks
		wantToken  int    // status of the token request
		wantCode   string // its error code
		wantPing   int    // status of GET /v2/ with the token
	}{
		{"GET", "", "", "docker.io", "", 200, "", 401},
		{"GET", "alice", "WRONG", "docker.io", "", 401, "UNAUTHORIZED", 0},
		{"GET", "alice", "WRONG", "docker.io", "repository:team/open:pull", 401, "UNAUTHORIZED", 0},
		{"GET", "mallory", "s3cret", "docker.io", "", 401, "UNAUTHORIZED", 0},
		{"GET", "alice", "s3cret", "docker.io", "", 200, "", 200},
		{"POST", "alice", "WRONG", "docker.io", "", 401, "UNAUTHORIZED", 0},
		{"POST", "alice", "s3cret", "docker.io", "", 200, "", 200},
		{"GET", "anyone", "anything", "registry.example.com", "", 200, "", 200},
		{"GET", "anyone", "anything", "new.example.com", "", 200, "", 200}, // a host pushes will create
	}
	for i, s := range steps {
		var req *http.Request
		var err error
		if s.method == "GET" {
			q := url.Values{"account": {s.user}, "service": {s.service}}
			if s.scope != "" {
				q.Set("scope", s.scope)
			}
			req, err = http.NewRequest("GET", base+"/token?"+q.Encode(), nil)
			require.NoError(t, err)
			if s.user != "" {
				req.SetBasicAuth(s.user, s.pass)
			}
		} else {
			form := url.Values{"grant_type": {"password"}, "username": {s.user}, "password": {s.pass}, "service": {s.service}}
			if s.scope != "" {
				form.Set("scope", s.scope)
			}
			req, err = http.NewRequest("POST", base+"/token", strings.NewReader(form.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var body struct {
			Token  string `json:"token"`
			Errors []struct{ Code string }
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		code := ""
		if len(body.Errors) > 0 {
			code = body.Errors[0].Code
		}
		if resp.StatusCode != s.wantToken || code != s.wantCode {
			t.Errorf("step %d: %s token for %q on %s: %d %s, want %d %s", i, s.method, s.user, s.service, resp.StatusCode, code, s.wantToken, s.wantCode)
			continue
		}
		if resp.StatusCode != 200 {
			continue
		}
		ping := base + "/v2/?ns=" + s.service
		if got, _, _ := call(t, "GET", ping, "", "", "Authorization", "Bearer "+body.Token); got != s.wantPing {
			t.Errorf("step %d: ping with the token: %d, want %d", i, got, s.wantPing)
		}
	}
}

// TestBasicChecksCredentials: Basic credentials on a request are checked
// as the token endpoint checks them: on a host with private repositories
// they must be one of its accounts, even to read a public repository; a
// host without private repositories takes any.
func TestBasicChecksCredentials(t *testing.T) {
	reg := registry.New()
	reg.MustPush("team/app:1", registry.Image{Config: "1"})
	reg.MustPush("team/open:1", registry.Image{Config: "1"})
	reg.MustPush("registry.example.com/team/open:1", registry.Image{Config: "1"})
	require.NoError(t, reg.SetPrivate("team/app", registry.Credential{Username: "alice", Password: "s3cret"}))
	base := "http://" + serve(t, reg)
	for i, s := range []struct {
		path       string
		user, pass string
		want       int
	}{
		{"/v2/team/open/manifests/1", "", "", 200},
		{"/v2/team/open/manifests/1", "alice", "s3cret", 200},
		{"/v2/team/open/manifests/1", "alice", "WRONG", 401},
		{"/v2/team/app/manifests/1", "alice", "s3cret", 200},
		{"/v2/team/app/manifests/1", "alice", "WRONG", 401},
		{"/v2/team/open/manifests/1?ns=registry.example.com", "anyone", "anything", 200},
	} {
		if got, _ := statusAs(t, http.MethodHead, base+s.path, s.user, s.pass); got != s.want {
			t.Errorf("step %d: HEAD %s as %q: %d, want %d", i, s.path, s.user, got, s.want)
		}
	}
}

// statusAs returns the status and the headers of the answer to a request
// to url with Basic credentials, none when user is empty.
func statusAs(t *testing.T, method, url, user, pass string) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// TestUploadSessionCredentials: a session continued without ns is checked
// against the host it was started on, whose account the client is; a
// malformed token service is refused as a malformed ns is.
func TestUploadSessionCredentials(t *testing.T) {
	reg := registry.New()
	reg.MustPush("registry.example.com/team/app:1", registry.Image{Config: "1"})
	reg.MustPush("team/other:1", registry.Image{Config: "1"})
	require.NoError(t, reg.SetPrivate("registry.example.com/team/app", registry.Credential{Username: "bob", Password: "pw"}))
	require.NoError(t, reg.SetPrivate("team/other", registry.Credential{Username: "alice", Password: "x"}))
	base := "http://" + serve(t, reg)
	code, header := statusAs(t, http.MethodPost, base+"/v2/team/app/blobs/uploads/?ns=registry.example.com", "bob", "pw")
	require.Equal(t, http.StatusAccepted, code)
	loc, err := url.Parse(header.Get("Location"))
	require.NoError(t, err)
	for i, s := range []struct {
		url, user, pass string
		want            int
	}{
		{base + loc.String(), "bob", "pw", http.StatusNoContent},
		{base + loc.Path, "bob", "pw", http.StatusNoContent}, // ns left out: the session's host still
		{base + loc.Path, "bob", "wrong", http.StatusUnauthorized},
		{base + loc.Path, "alice", "x", http.StatusUnauthorized}, // docker.io's account, not the session host's
	} {
		if got, _ := statusAs(t, http.MethodGet, s.url, s.user, s.pass); got != s.want {
			t.Errorf("step %d: GET %s as %q: %d, want %d", i, s.url, s.user, got, s.want)
		}
	}
	for _, service := range []string{"Docker.IO", "https://evil", "library"} {
		q := url.Values{"service": {service}, "scope": {"repository:team/other:pull"}}
		if got, _ := statusAs(t, http.MethodGet, base+"/token?"+q.Encode(), "alice", "x"); got != http.StatusBadRequest {
			t.Errorf("token for service %q: %d, want 400", service, got)
		}
	}
}
