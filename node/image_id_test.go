package node_test

import (
	"fmt"
	"testing"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// imageID returns the image ID (the config digest) of a build.
func imageID(b string) string {
	img, err := node.MustNew("scratch", registry.New()).LoadImage("scratch:v1", build(b))
	if err != nil {
		panic(err)
	}
	return img.ID.String()
}

// A pod may name an image by its ID (sha256:<config digest>): the kubelet
// parses it as the image "sha256" tagged with the hex, so it defaults to
// IfNotPresent, and containerd looks a bare digest up as an image ID. The
// image present runs; absent, the pull asks for docker.io/library/sha256.
func TestImageByID(t *testing.T) {
	nginx, redis := imageID("nginx"), imageID("redis")
	w := newWorld(t)
	w.run([]step{
		{action: load("nginx:1.28", "nginx")},
		// Preloaded: no pull record, so no credential check.
		{action: create("a", nginx, ""), runs: "nginx", policy: "IfNotPresent", events: []string{present(nginx)}},
		{action: create("b", nginx, pullpolicy.PullNever), runs: "nginx", events: []string{present(nginx)}},
		{action: create("c", redis, pullpolicy.PullNever), reason: "ErrImageNeverPull", events: []string{neverPull(redis), startFailed("ErrImageNeverPull")}},
		// The name docker.io/library/nginx:1.28 is not the ID.
		{action: create("d", "docker.io/library/nginx@"+nginx, pullpolicy.PullNever), reason: "ErrImageNeverPull",
			events: []string{neverPull("docker.io/library/nginx@" + nginx), startFailed("ErrImageNeverPull")}},
	})
	p, _ := w.node("").Pod("", "a")
	cs := p.Status.ContainerStatuses[0]
	if cs.Image != "docker.io/library/nginx:1.28" {
		t.Errorf("status image = %q, want the image's repo:tag name docker.io/library/nginx:1.28", cs.Image)
	}
	if cs.ImageID != "docker.io/library/nginx@"+manifestOf("nginx") {
		t.Errorf("status imageID = %q, want the image's repo@digest name", cs.ImageID)
	}
}

// manifestOf returns the manifest digest of a build.
func manifestOf(b string) string {
	m, _, _ := registry.Build(build(b))
	return m.Digest.String()
}

// With the KEP-2535 gate off, the ID finds the image as any name does; a
// pulled image named by its ID is checked with the pulled record's key,
// "sha256", which the pull by name did not write: the kubelet must pull.
func TestImageByIDPulledRecords(t *testing.T) {
	nginx := imageID("nginx")
	for _, gate := range []bool{true, false} {
		t.Run(fmt.Sprint("gate=", gate), func(t *testing.T) {
			w := newWorld(t, node.WithEnsureSecretPulledImages(gate))
			// The runtime pulls an ID as the image "sha256" of Docker Hub.
			name := "docker.io/library/" + nginx
			b := step{action: create("b", nginx, ""), resolves: 1, reason: "ErrImagePull", events: []string{
				pulling(nginx),
				failedPull(nginx, fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed", name, name)),
				startFailed("ErrImagePull"),
			}}
			if !gate {
				b = step{action: create("b", nginx, ""), runs: "nginx", events: []string{fmt.Sprintf("Normal Pulled Container image %q already present on machine", nginx)}}
			}
			w.run([]step{
				{action: push("nginx:1.28", "nginx")},
				{action: create("a", "nginx:1.28", ""), runs: "nginx", resolves: 1, blobs: 3, events: []string{pulling("nginx:1.28"), pulled("nginx:1.28", size("nginx"))}},
				b,
			})
		})
	}
}

// An image the node holds by digest alone has no repo:tag name: a
// container started by its ID shows the ID as its image, as containerd
// shows the image its config names when the image has no tag.
func TestImageByIDWithoutTags(t *testing.T) {
	nginx := imageID("nginx")
	w := newWorld(t, node.WithEnsureSecretPulledImages(false))
	byDigest := "nginx@" + manifestOf("nginx")
	w.run([]step{
		{action: push("nginx:1.28", "nginx")},
		{action: create("a", byDigest, ""), runs: "nginx", resolves: 1, blobs: 3, events: []string{pulling(byDigest), pulled(byDigest, size("nginx"))}},
		{action: create("b", nginx, pullpolicy.PullNever), runs: "nginx", events: []string{fmt.Sprintf("Normal Pulled Container image %q already present on machine", nginx)}},
	})
	p, _ := w.node("").Pod("", "b")
	if cs := p.Status.ContainerStatuses[0]; cs.Image != nginx || cs.ImageID != "docker.io/library/"+byDigest {
		t.Errorf("status image, imageID = %q, %q, want %q, %q", cs.Image, cs.ImageID, nginx, "docker.io/library/"+byDigest)
	}
}
