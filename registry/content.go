package registry

import (
	_ "crypto/sha256" // registers SHA-256 for go-digest
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/opencontainers/go-digest"
)

// OCI media types of the documents pullsim builds.
const (
	MediaTypeManifest = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeConfig   = "application/vnd.oci.image.config.v1+json"
	MediaTypeLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// Image is the content of a build, as a user pushes it. It is a plain
// value: the same Image always yields the same digests, and any change to
// Config or Layers yields new ones, as content addressing demands.
type Image struct {
	// Config distinguishes one build from another: a version string, a
	// commit, "my-app 1.0 build 2". It becomes a label in the image config,
	// so two builds with different Config have different image IDs.
	Config string
	// Layers, base first. Layers equal in Content and Size are the same blob
	// and are stored and downloaded once per node.
	Layers []Layer
	// Run is what a container of this build does: run until stopped (the
	// zero Run), exit after a while, or crash with an exit code.
	Run Run
}

// Layer is one filesystem layer, described rather than carried: Content
// names what is in it and Size is its compressed size in bytes.
type Layer struct {
	Content string
	Size    int64
}

// Descriptor points at a blob: its media type, digest and size, as in the
// OCI image spec.
type Descriptor struct {
	MediaType string        `json:"mediaType"`
	Digest    digest.Digest `json:"digest"`
	Size      int64         `json:"size"`
}

// Blob is a descriptor with the bytes the registry serves for it. Layers are
// simulated: Data is a short stand-in whose SHA-256 is the layer's digest,
// while Size is the size the layer claims and the size that is "downloaded".
type Blob struct {
	Descriptor
	Data []byte
}

// Verify reports whether the blob's data matches its digest, as a client
// must check before it commits content.
func (b Blob) Verify() error {
	got, err := DigestOf(b.Digest.Algorithm(), b.Data)
	if err != nil {
		return err
	}
	if got != b.Digest {
		return fmt.Errorf("unexpected commit digest %s, expected %s: failed precondition", got, b.Digest)
	}
	return nil
}

// DigestOf returns the digest of data with the algorithm alg, as a client
// verifies content against a digest of that algorithm (sha256, sha384 or
// sha512), or an error naming an algorithm it cannot compute.
func DigestOf(alg digest.Algorithm, data []byte) (digest.Digest, error) {
	if !alg.Available() {
		return "", fmt.Errorf("unsupported digest algorithm %q", string(alg))
	}
	return alg.FromBytes(data), nil
}

// Manifest is an OCI image manifest: the config and the layers of one
// image, addressed by the digest of its own bytes.
type Manifest struct {
	Descriptor              // the manifest itself
	Config     Descriptor   // the image config; its digest is the image ID
	Layers     []Descriptor // base first
	Raw        []byte       // the manifest's canonical JSON bytes

	// What the registry read from a manifest pushed over the distribution
	// API (see ParseManifest); zero for manifests built by Build.
	image        bool            // an image manifest, OCI or Docker
	index        bool            // an index or manifest list
	children     []indexEntry    // an index's manifests
	foreign      []digest.Digest // layers not expected in the registry
	subject      digest.Digest   // the referrers API's subject
	artifactType string
	annotations  map[string]string
}

// IsIndex reports whether m is an index or a manifest list (pushed over
// the distribution API): a manifest of manifests, one per platform.
func (m Manifest) IsIndex() bool { return m.index }

// PlatformManifest returns the digest of the manifest an index holds for a
// platform, as containerd's platform matcher picks it: the first entry for
// that os and architecture, else the first entry that names no platform.
// false when m is not an index or holds neither, which containerd reports
// as "no match for platform in manifest".
func (m Manifest) PlatformManifest(os, arch string) (digest.Digest, bool) {
	var any digest.Digest
	for _, c := range m.children {
		switch {
		case c.os == os && c.arch == arch:
			return c.digest, true
		case c.os == "" && c.arch == "" && any == "":
			any = c.digest
		}
	}
	return any, any != ""
}

// ImageSize is the size the runtime reports for the image: the manifest,
// the config and every layer, as containerd sums them.
func (m Manifest) ImageSize() int64 {
	n := m.Size + m.Config.Size
	for _, l := range m.Layers {
		n += l.Size
	}
	return n
}

// maxDocumentSize bounds what the manifest and config add to an image's
// layers, so that ImageSize cannot overflow.
const maxDocumentSize = 1 << 40

// Build computes the manifest and blobs of img. The result depends only on
// img. It fails for a negative layer size, and for layers whose sizes sum
// beyond what an int64 image size can hold.
func Build(img Image) (Manifest, []Blob, error) {
	m, blobs, err := build(img)
	if err != nil {
		return Manifest{}, nil, fmt.Errorf("registry: %w", err)
	}
	return m, blobs, nil
}

func build(img Image) (Manifest, []Blob, error) {
	blobs := make([]Blob, 0, len(img.Layers)+2)
	layers := make([]Descriptor, len(img.Layers))
	diffIDs := make([]digest.Digest, len(img.Layers))
	var total int64
	for i, l := range img.Layers {
		if l.Size < 0 {
			return Manifest{}, nil, fmt.Errorf("layer %d (%q) has negative size %d", i, l.Content, l.Size)
		}
		if l.Size > math.MaxInt64-total-maxDocumentSize {
			return Manifest{}, nil, fmt.Errorf("layer %d (%q): the image's size overflows: layers sum to more than %d bytes", i, l.Content, int64(math.MaxInt64-maxDocumentSize))
		}
		total += l.Size
		data := layerData(l)
		d := Descriptor{MediaType: MediaTypeLayer, Digest: digest.FromBytes(data), Size: l.Size}
		layers[i], diffIDs[i] = d, d.Digest
		blobs = append(blobs, Blob{Descriptor: d, Data: data})
	}
	cfg := imageConfig{Architecture: "amd64", OS: "linux"}
	if err := img.Run.Validate(); err != nil {
		return Manifest{}, nil, err
	}
	cfg.Config.Labels = configLabels(img.Config)
	if l := img.Run.label(); l != "" {
		cfg.Config.Labels[runLabel] = l
	}
	cfg.RootFS.Type = "layers"
	cfg.RootFS.DiffIDs = diffIDs
	cfgData := mustJSON(cfg)
	config := Descriptor{MediaType: MediaTypeConfig, Digest: digest.FromBytes(cfgData), Size: int64(len(cfgData))}
	blobs = append(blobs, Blob{Descriptor: config, Data: cfgData})

	raw := mustJSON(manifestJSON{SchemaVersion: 2, MediaType: MediaTypeManifest, Config: config, Layers: layers})
	m := Manifest{
		Descriptor: Descriptor{MediaType: MediaTypeManifest, Digest: digest.FromBytes(raw), Size: int64(len(raw))},
		Config:     config,
		Layers:     layers,
		Raw:        raw,
	}
	return m, blobs, nil
}

// configLabels puts Config in the image config. JSON cannot carry invalid
// UTF-8, so such a Config goes base64-encoded under a label of its own:
// every Config gives distinct bytes.
func configLabels(config string) map[string]string {
	if utf8.ValidString(config) {
		return map[string]string{"org.opencontainers.image.version": config}
	}
	return map[string]string{"org.pullsim.config.base64": base64.StdEncoding.EncodeToString([]byte(config))}
}

func layerData(l Layer) []byte {
	return []byte("pullsim layer\nsize " + strconv.FormatInt(l.Size, 10) + "\n" + l.Content)
}

type imageConfig struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Config       struct {
		Labels map[string]string `json:"Labels"`
	} `json:"config"`
	RootFS struct {
		Type    string          `json:"type"`
		DiffIDs []digest.Digest `json:"diff_ids"`
	} `json:"rootfs"`
}

type manifestJSON struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        Descriptor   `json:"config"`
	Layers        []Descriptor `json:"layers"`
}

// mustJSON marshals values whose types cannot fail to marshal.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("registry: marshal: " + err.Error())
	}
	return b
}
