package registry_test

import (
	"fmt"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pullsim/pullsim/registry"
)

func TestPushed(t *testing.T) {
	for i, img := range []registry.Image{
		{Config: "nginx 1.28.0", Layers: []registry.Layer{{Content: "base", Size: 30 << 20}, {Content: "nginx", Size: 8 << 20}}},
		{Config: "no layers"},
		{Config: "not utf-8 \xff\xfe"},
		{Config: "", Layers: []registry.Layer{{Content: "line\nbreaks\nsize 3\n", Size: 0}}},
	} {
		reg := registry.New()
		d := reg.MustPush("localhost:5000/app:v1", img)
		before := reg.Counters()
		got, ok := reg.Pushed(d)
		require.True(t, ok, "step %d", i)
		assert.Equal(t, img.Config, got.Config, "step %d", i)
		assert.Equal(t, len(img.Layers), len(got.Layers), "step %d", i)
		for j := range img.Layers {
			assert.Equal(t, img.Layers[j], got.Layers[j], "step %d layer %d", i, j)
		}
		m, _, err := registry.Build(got)
		require.NoError(t, err)
		assert.Equal(t, d, m.Digest, "step %d: the rebuilt image has another digest", i)
		assert.Equal(t, before, reg.Counters(), "step %d: Pushed counted a request", i)
	}
}

func TestPushedUnknown(t *testing.T) {
	reg := registry.New()
	reg.MustPush("nginx:1.28", registry.Image{Config: "nginx 1.28.0"})
	m, _, err := registry.Build(registry.Image{Config: "side-loaded"})
	require.NoError(t, err)
	_, ok := reg.Pushed(m.Digest)
	assert.False(t, ok)
	_, ok = reg.Pushed("")
	assert.False(t, ok)
	_, ok = reg.Pushed(digest.Digest("sha256:nonsense"))
	assert.False(t, ok)
}

// Which build does a digest name? The registry remembers what was pushed,
// even after the tag moved on.
func ExampleRegistry_Pushed() {
	reg := registry.New()
	first := reg.MustPush("nginx:latest", registry.Image{Config: "nginx 1.27.0"})
	reg.MustPush("nginx:latest", registry.Image{Config: "nginx 1.28.0"})
	img, ok := reg.Pushed(first)
	fmt.Println(img.Config, ok)
	// Output:
	// nginx 1.27.0 true
}
