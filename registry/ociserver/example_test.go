package ociserver_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/pullsim/pullsim/registry"
	"github.com/pullsim/pullsim/registry/ociserver"
)

// A build pushed in Go is served over HTTP: a HEAD of the tag answers the
// digest Push returned, and counts as a resolve.
func ExampleNew() {
	reg := registry.New()
	dgst := reg.MustPush("nginx:1.28", registry.Image{Config: "nginx 1.28.0"})
	h, err := ociserver.New(reg)
	if err != nil { // an invalid option
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Head(srv.URL + "/v2/library/nginx/manifests/1.28")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status, resp.Header.Get("Content-Type"))
	fmt.Println(resp.Header.Get("Docker-Content-Digest") == dgst.String())
	fmt.Println("resolves:", reg.Counters().Resolves)
	// Output:
	// 200 OK application/vnd.oci.image.manifest.v1+json
	// true
	// resolves: 1
}

// A rate-limited registry answers 429 with Docker Hub's headers.
func ExampleNew_rateLimit() {
	reg := registry.New()
	reg.MustPush("nginx:1.28", registry.Image{Config: "nginx 1.28.0"})
	if err := reg.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultTooManyRequests}); err != nil {
		panic(err)
	}
	srv := httptest.NewServer(ociserver.MustNew(reg))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/v2/library/nginx/manifests/1.28")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status)
	fmt.Println("ratelimit-remaining:", resp.Header.Get("ratelimit-remaining"))
	fmt.Print(string(body))
	// Output:
	// 429 Too Many Requests
	// ratelimit-remaining: 0;w=21600
	// {"errors":[{"code":"TOOMANYREQUESTS","message":"429 Too Many Requests"}]}
}

// A private repository challenges anonymous clients with the realm of the
// server's token endpoint and the scope they need.
func ExampleNew_private() {
	reg := registry.New()
	reg.MustPush("team/app:1", registry.Image{Config: "app 1"})
	if err := reg.SetPrivate("team/app", registry.Credential{Username: "alice", Password: "s3cret"}); err != nil {
		panic(err)
	}
	srv := httptest.NewServer(ociserver.MustNew(reg, ociserver.WithTokenRealm("https://auth.example.com/token")))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/v2/team/app/manifests/1")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	fmt.Println(resp.Header.Get("WWW-Authenticate"))
	// Output:
	// 401 Unauthorized
	// Bearer realm="https://auth.example.com/token",service="docker.io",scope="repository:team/app:pull"
}

// A tag moved over HTTP is recorded in the tag's history, as Push records
// it.
func ExampleNew_history() {
	reg := registry.New()
	srv := httptest.NewServer(ociserver.MustNew(reg))
	defer srv.Close()
	cfg, err := reg.PutBlob("docker.io/team/app", "", []byte(`{"architecture":"amd64","os":"linux"}`))
	if err != nil {
		panic(err)
	}
	for _, build := range []string{"1", "2"} {
		manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[],"annotations":{"build":%q}}`,
			registry.MediaTypeManifest, cfg.Digest, cfg.Size, build)
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/v2/team/app/manifests/latest", strings.NewReader(manifest))
		req.Header.Set("Content-Type", registry.MediaTypeManifest)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
	}
	fmt.Println("moves:", len(reg.History("team/app:latest")))
	// Output:
	// 201 Created
	// 201 Created
	// moves: 2
}
