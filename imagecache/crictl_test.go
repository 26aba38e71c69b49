package imagecache_test

import (
	"strings"
	"testing"

	"github.com/pullsim/pullsim/imagecache"
)

func TestHumanSize(t *testing.T) {
	for _, tc := range []struct {
		size int64
		want string
	}{
		{0, "0B"}, {999, "999B"}, {1000, "1kB"}, {746_000, "746kB"}, {251_000, "251kB"},
		{72_800_000, "72.8MB"}, {1_000_621, "1MB"}, {250_000_628, "250MB"}, {1_234_567_890, "1.23GB"}, {999_950, "1e+03kB"},
	} {
		if got := imagecache.HumanSize(tc.size); got != tc.want {
			t.Errorf("HumanSize(%d) = %q, want %q", tc.size, got, tc.want)
		}
	}
}

func TestWriteCrictlImages(t *testing.T) {
	imgs := []imagecache.Image{
		{ID: "sha256:f9d5de0795395aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", RepoTags: []string{"k8s.gcr.io/pause:3.1"}, Size: 746_000},
		{ID: "sha256:da86e6ba6ca19bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", RepoTags: []string{"docker.io/kubernetes/pause:latest", "docker.io/kubernetes/pause:v1"}, Size: 251_000},
		{ID: "sha256:0123456789abccccccccccccccccccccccccccccccccccccccccccccccccccccc", RepoDigests: []string{"localhost:5000/app@sha256:00"}, Size: 72_800_000},
	}
	var b strings.Builder
	if err := imagecache.WriteCrictlImages(&b, imgs); err != nil {
		t.Fatal(err)
	}
	want := `IMAGE                        TAG                 IMAGE ID            SIZE
docker.io/kubernetes/pause   latest              da86e6ba6ca19       251kB
docker.io/kubernetes/pause   v1                  da86e6ba6ca19       251kB
k8s.gcr.io/pause             3.1                 f9d5de0795395       746kB
localhost:5000/app           <none>              0123456789abc       72.8MB
`
	if b.String() != want {
		t.Errorf("WriteCrictlImages =\n%s\nwant\n%s", b.String(), want)
	}
}
