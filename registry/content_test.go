package registry_test

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/registry"
)

// mustBuild is Build for images the test knows to be valid.
func mustBuild(t testing.TB, img registry.Image) (registry.Manifest, []registry.Blob) {
	t.Helper()
	m, blobs, err := registry.Build(img)
	if err != nil {
		t.Fatalf("Build(%+v): %v", img, err)
	}
	return m, blobs
}

// Build depends on the image value only: two equal values built separately
// give byte-identical manifests and blobs.
func TestBuildDeterministic(t *testing.T) {
	newImage := func() registry.Image {
		return registry.Image{Config: "nginx 1.28.0", Layers: []registry.Layer{{Content: "debian", Size: 28_000_000}, {Content: "nginx", Size: 40_000_000}}}
	}
	m1, b1 := mustBuild(t, newImage())
	m2, b2 := mustBuild(t, newImage())
	if !reflect.DeepEqual(m1, m2) {
		t.Errorf("Build twice: manifests differ:\n%+v\n%+v", m1, m2)
	}
	if !reflect.DeepEqual(b1, b2) {
		t.Errorf("Build twice: blobs differ:\n%+v\n%+v", b1, b2)
	}
	if m1.Digest != m2.Digest || m1.Config.Digest != m2.Config.Digest {
		t.Errorf("Build twice: digests (%s, %s) and (%s, %s)", m1.Digest, m1.Config.Digest, m2.Digest, m2.Config.Digest)
	}
}

// The manifest and its blobs are consistent with each other and with the
// OCI media types.
func TestBuildShape(t *testing.T) {
	img := registry.Image{Config: "app v1", Layers: []registry.Layer{{Content: "base", Size: 1000}, {Content: "app", Size: 24}}}
	m, blobs := mustBuild(t, img)
	if m.MediaType != registry.MediaTypeManifest {
		t.Errorf("manifest media type = %q, want %q", m.MediaType, registry.MediaTypeManifest)
	}
	if want := digest.FromBytes(m.Raw); m.Digest != want {
		t.Errorf("manifest digest = %s, want digest of Raw %s", m.Digest, want)
	}
	if m.Size != int64(len(m.Raw)) {
		t.Errorf("manifest size = %d, want len(Raw) = %d", m.Size, len(m.Raw))
	}
	if len(blobs) != len(img.Layers)+1 {
		t.Fatalf("Build returned %d blobs, want %d (layers, then config)", len(blobs), len(img.Layers)+1)
	}
	if len(m.Layers) != len(img.Layers) {
		t.Fatalf("manifest has %d layers, want %d", len(m.Layers), len(img.Layers))
	}
	for i, l := range img.Layers {
		if m.Layers[i].MediaType != registry.MediaTypeLayer || m.Layers[i].Size != l.Size {
			t.Errorf("layer %d = %+v, want media type %q and size %d", i, m.Layers[i], registry.MediaTypeLayer, l.Size)
		}
		if blobs[i].Descriptor != m.Layers[i] {
			t.Errorf("blob %d descriptor = %+v, want layer %d %+v", i, blobs[i].Descriptor, i, m.Layers[i])
		}
	}
	cfg := blobs[len(blobs)-1]
	if cfg.Descriptor != m.Config {
		t.Errorf("last blob descriptor = %+v, want config %+v", cfg.Descriptor, m.Config)
	}
	if m.Config.MediaType != registry.MediaTypeConfig {
		t.Errorf("config media type = %q, want %q", m.Config.MediaType, registry.MediaTypeConfig)
	}
	if m.Config.Size != int64(len(cfg.Data)) {
		t.Errorf("config size = %d, want len(Data) = %d", m.Config.Size, len(cfg.Data))
	}
	for i, b := range blobs {
		if err := b.Verify(); err != nil {
			t.Errorf("blob %d (%s): Verify() = %v, want nil", i, b.Digest, err)
		}
	}
	if !bytes.Contains(cfg.Data, []byte(`"app v1"`)) {
		t.Errorf("config %s does not carry the build's Config", cfg.Data)
	}
}

// Any change to Config, to a layer's Content or Size, or to the layer list
// gives new manifest and config digests (the config lists the layers'
// diff IDs, so a layer change changes the image ID too).
func TestBuildDigestsChange(t *testing.T) {
	base := registry.Layer{Content: "base", Size: 1000}
	tests := []struct {
		name string         // what differs
		a, b registry.Image // two builds that must not share digests
	}{
		{"config", registry.Image{Config: "1.0", Layers: []registry.Layer{base}}, registry.Image{Config: "1.1", Layers: []registry.Layer{base}}},
		{"empty config vs space", registry.Image{Config: ""}, registry.Image{Config: " "}},
		{"config with a quote", registry.Image{Config: `a"b`}, registry.Image{Config: `a\"b`}},
		{"config invalid UTF-8", registry.Image{Config: "v\xff"}, registry.Image{Config: "v\xfe"}},
		{"layer content", registry.Image{Layers: []registry.Layer{{Content: "base", Size: 1}}}, registry.Image{Layers: []registry.Layer{{Content: "base2", Size: 1}}}},
		{"layer size", registry.Image{Layers: []registry.Layer{{Content: "base", Size: 100}}}, registry.Image{Layers: []registry.Layer{{Content: "base", Size: 101}}}},
		{"size digits vs content", registry.Image{Layers: []registry.Layer{{Content: "2\nx", Size: 1}}}, registry.Image{Layers: []registry.Layer{{Content: "x", Size: 12}}}},
		{"layer order", registry.Image{Layers: []registry.Layer{{Content: "a", Size: 1}, {Content: "b", Size: 1}}}, registry.Image{Layers: []registry.Layer{{Content: "b", Size: 1}, {Content: "a", Size: 1}}}},
		{"extra layer", registry.Image{Layers: []registry.Layer{base}}, registry.Image{Layers: []registry.Layer{base, base}}},
		{"no layer vs empty layer", registry.Image{}, registry.Image{Layers: []registry.Layer{{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ma, ba := mustBuild(t, tt.a)
			mb, bb := mustBuild(t, tt.b)
			if ma.Digest == mb.Digest {
				t.Errorf("Build(%q) and Build(%q): same manifest digest %s, want different", fmt.Sprint(tt.a), fmt.Sprint(tt.b), ma.Digest)
			}
			if ma.Config.Digest == mb.Config.Digest {
				t.Errorf("Build(%q) and Build(%q): same config digest (image ID) %s, want different", fmt.Sprint(tt.a), fmt.Sprint(tt.b), ma.Config.Digest)
			}
			if bytes.Equal(ba[len(ba)-1].Data, bb[len(bb)-1].Data) {
				t.Errorf("Build(%q) and Build(%q): same config bytes %s", fmt.Sprint(tt.a), fmt.Sprint(tt.b), ba[len(ba)-1].Data)
			}
		})
	}
}

// A layer equal in Content and Size is the same blob whatever image it is in.
func TestBuildSharedLayer(t *testing.T) {
	base := registry.Layer{Content: "debian bookworm", Size: 28_000_000}
	mx, bx := mustBuild(t, registry.Image{Config: "x", Layers: []registry.Layer{base, {Content: "x", Size: 10}}})
	my, by := mustBuild(t, registry.Image{Config: "y", Layers: []registry.Layer{base, {Content: "y", Size: 10}}})
	if mx.Layers[0] != my.Layers[0] {
		t.Errorf("shared layer: descriptors %+v and %+v, want equal", mx.Layers[0], my.Layers[0])
	}
	if !reflect.DeepEqual(bx[0], by[0]) {
		t.Errorf("shared layer: blobs %+v and %+v, want equal", bx[0], by[0])
	}
	if mx.Layers[1].Digest == my.Layers[1].Digest {
		t.Errorf("own layers: same digest %s, want different", mx.Layers[1].Digest)
	}
}

func TestBuildNegativeSize(t *testing.T) {
	m, blobs, err := registry.Build(registry.Image{Config: "c", Layers: []registry.Layer{{Content: "ok", Size: 1}, {Content: "bad", Size: -1}}})
	const want = `registry: layer 1 ("bad") has negative size -1`
	if err == nil || err.Error() != want {
		t.Errorf("Build(negative size) error = %v, want %q", err, want)
	}
	if !reflect.DeepEqual(m, registry.Manifest{}) || blobs != nil {
		t.Errorf("Build(negative size) = (%+v, %v), want zero values", m, blobs)
	}
	// A zero size is allowed.
	if _, _, err := registry.Build(registry.Image{Layers: []registry.Layer{{Content: "empty", Size: 0}}}); err != nil {
		t.Errorf("Build(zero size) error = %v, want nil", err)
	}
}

func TestManifestImageSize(t *testing.T) {
	m := registry.Manifest{
		Descriptor: registry.Descriptor{Size: 10},
		Config:     registry.Descriptor{Size: 5},
		Layers:     []registry.Descriptor{{Size: 100}, {Size: 1}},
	}
	if got := m.ImageSize(); got != 116 {
		t.Errorf("ImageSize() = %d, want 116 (10 + 5 + 100 + 1)", got)
	}
	if got := (registry.Manifest{}).ImageSize(); got != 0 {
		t.Errorf("zero Manifest ImageSize() = %d, want 0", got)
	}

	built, blobs := mustBuild(t, registry.Image{Config: "c", Layers: []registry.Layer{{Content: "base", Size: 1000}, {Content: "app", Size: 24}}})
	want := int64(len(built.Raw)) + int64(len(blobs[2].Data)) + 1000 + 24
	if got := built.ImageSize(); got != want {
		t.Errorf("built ImageSize() = %d, want %d (manifest %d + config %d + layers 1024)", got, want, len(built.Raw), len(blobs[2].Data))
	}
}

func TestBlobVerify(t *testing.T) {
	_, blobs := mustBuild(t, registry.Image{Config: "c", Layers: []registry.Layer{{Content: "base", Size: 1000}}})
	for i, b := range blobs {
		if err := b.Verify(); err != nil {
			t.Errorf("blob %d: Verify() = %v, want nil", i, err)
		}
		tampered := b
		tampered.Data = append([]byte(nil), b.Data...)
		tampered.Data[0] ^= 1
		want := fmt.Sprintf("unexpected commit digest %s, expected %s: failed precondition", digest.FromBytes(tampered.Data), b.Digest)
		if err := tampered.Verify(); err == nil || err.Error() != want {
			t.Errorf("blob %d tampered: Verify() = %v, want %q", i, err, want)
		}
		// Tampering with a copy leaves the original intact.
		if err := b.Verify(); err != nil {
			t.Errorf("blob %d after tampering a copy: Verify() = %v, want nil", i, err)
		}
	}
	empty := registry.Blob{Descriptor: registry.Descriptor{Digest: digest.FromString("something")}}
	want := fmt.Sprintf("unexpected commit digest %s, expected %s: failed precondition", digest.FromBytes(nil), digest.FromString("something"))
	if err := empty.Verify(); err == nil || err.Error() != want {
		t.Errorf("empty data: Verify() = %v, want %q", err, want)
	}
}

// FuzzBuild: Build never panics, fails exactly for negative sizes, is
// deterministic, yields verifiable blobs, and gives different builds
// different digests.
func FuzzBuild(f *testing.F) {
	f.Add("nginx 1.28.0", "debian", int64(28_000_000), "nginx 1.28.1")
	f.Add("", "", int64(0), " ")
	f.Add("a", "b", int64(-1), "a")
	f.Add("<&>", "\x00", int64(1)<<62, "\u2028")
	f.Fuzz(func(t *testing.T, config, content string, size int64, other string) {
		img := registry.Image{Config: config, Layers: []registry.Layer{{Content: content, Size: size}, {Content: "top", Size: 1}}}
		m, blobs, err := registry.Build(img)
		if size < 0 {
			if err == nil {
				t.Fatalf("Build(%+v): nil error for negative size", img)
			}
			return
		}
		if err != nil {
			t.Fatalf("Build(%+v): %v", img, err)
		}
		m2, blobs2, err := registry.Build(img)
		if err != nil || !reflect.DeepEqual(m, m2) || !reflect.DeepEqual(blobs, blobs2) {
			t.Fatalf("Build(%+v) is not deterministic", img)
		}
		for _, b := range blobs {
			if err := b.Verify(); err != nil {
				t.Fatalf("Build(%+v): blob %s: %v", img, b.Digest, err)
			}
		}
		if got, want := m.ImageSize(), m.Size+m.Config.Size+size+1; got != want {
			t.Fatalf("Build(%+v): ImageSize() = %d, want %d", img, got, want)
		}
		if other == config {
			return
		}
		mo, _, err := registry.Build(registry.Image{Config: other, Layers: img.Layers})
		if err != nil {
			t.Fatalf("Build(Config %q): %v", other, err)
		}
		if mo.Config.Digest == m.Config.Digest || mo.Digest == m.Digest {
			t.Fatalf("Build with Config %q and %q: same digests (config %s, manifest %s)", config, other, m.Config.Digest, m.Digest)
		}
	})
}

func BenchmarkBuild(b *testing.B) {
	img := registry.Image{Config: "nginx 1.28.0", Layers: []registry.Layer{
		{Content: "debian bookworm", Size: 28_000_000},
		{Content: "nginx", Size: 40_000_000},
		{Content: "nginx config", Size: 2_000},
	}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := registry.Build(img); err != nil {
			b.Fatal(err)
		}
	}
}

// DigestOf hashes with the digest's own algorithm, and names one it
// cannot compute.
func TestDigestOf(t *testing.T) {
	data := []byte("a layer")
	for i, tc := range []struct {
		alg     digest.Algorithm
		want    digest.Digest
		wantErr string
	}{
		{digest.SHA256, digest.SHA256.FromBytes(data), ""},
		{digest.SHA512, digest.SHA512.FromBytes(data), ""},
		{digest.SHA384, digest.SHA384.FromBytes(data), ""},
		{"md5", "", `unsupported digest algorithm "md5"`},
		{"", "", `unsupported digest algorithm ""`},
	} {
		got, err := registry.DigestOf(tc.alg, data)
		if got != tc.want || (err == nil) != (tc.wantErr == "") || (err != nil && err.Error() != tc.wantErr) {
			t.Errorf("case %d: DigestOf(%q) = %q, %v, want %q, %q", i, tc.alg, got, err, tc.want, tc.wantErr)
		}
	}
	b := registry.Blob{Descriptor: registry.Descriptor{Digest: "md5:0123"}, Data: data}
	if err := b.Verify(); err == nil || !strings.Contains(err.Error(), "unsupported digest algorithm") {
		t.Errorf("Verify of an md5 blob: %v, want the unsupported algorithm", err)
	}
}
