package ociserver_test

import (
	"crypto/rand"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pullsim/pullsim/registry"
)

// BenchmarkGetManifest: GET of a cached manifest by tag over loopback,
// one keep-alive connection.
func BenchmarkGetManifest(b *testing.B) {
	reg := registry.New()
	reg.MustPush("nginx:1.28", registry.Image{Config: "nginx 1.28.0", Layers: []registry.Layer{{Content: "rootfs", Size: 50 << 20}}})
	url := "http://" + serve(b, reg) + "/v2/library/nginx/manifests/1.28"
	get(b, url) // warm the connection
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		get(b, url)
	}
}

// BenchmarkGetBlob10MB: GET of a 10 MB blob over loopback.
func BenchmarkGetBlob10MB(b *testing.B) {
	reg := registry.New()
	data := make([]byte, 10<<20)
	_, _ = rand.Read(data)
	d, err := reg.PutBlob("docker.io/team/app", "", data)
	require.NoError(b, err)
	url := "http://" + serve(b, reg) + "/v2/team/app/blobs/" + d.Digest.String()
	get(b, url)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		get(b, url)
	}
}

func get(b *testing.B, url string) {
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %s", url, resp.Status)
	}
}
