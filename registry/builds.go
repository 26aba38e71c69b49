package registry

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"
)

// Pushed returns the build that was pushed with manifest digest dgst, on any
// host: "which build runs in this container" for a container status whose
// image ID is repo@dgst (node.ContainerStatus.Digest gives it). The Image is
// rebuilt from the stored config and layers, so it equals what was pushed
// and Build(img) gives dgst again. Pushed does not count a request. It
// reports false for content never pushed here, such as a side-loaded image.
func (r *Registry) Pushed(dgst digest.Digest) (Image, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	hosts := make([]string, 0, len(r.hosts))
	for h := range r.hosts {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts) // content is content-addressed: any host gives the same answer
	for _, name := range hosts {
		h := r.hosts[name]
		for _, rp := range h.repos {
			m, ok := rp.manifests[dgst]
			if !ok {
				continue
			}
			img, ok := imageOf(m, h.blobs)
			return img, ok
		}
	}
	return Image{}, false
}

// imageOf reads an Image back from the blobs build made for it.
func imageOf(m Manifest, blobs map[digest.Digest]Blob) (Image, bool) {
	cfg, ok := blobs[m.Config.Digest]
	if !ok {
		return Image{}, false
	}
	var c imageConfig
	if err := json.Unmarshal(cfg.Data, &c); err != nil {
		return Image{}, false
	}
	var img Image
	if enc, ok := c.Config.Labels["org.pullsim.config.base64"]; ok {
		raw, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return Image{}, false
		}
		img.Config = string(raw)
	} else {
		img.Config = c.Config.Labels["org.opencontainers.image.version"]
	}
	for _, d := range m.Layers {
		b, ok := blobs[d.Digest]
		if !ok {
			return Image{}, false
		}
		l, ok := layerOf(b.Data)
		if !ok {
			return Image{}, false
		}
		img.Layers = append(img.Layers, l)
	}
	return img, true
}

// layerOf is the inverse of layerData.
func layerOf(data []byte) (Layer, bool) {
	rest, ok := strings.CutPrefix(string(data), "pullsim layer\nsize ")
	if !ok {
		return Layer{}, false
	}
	size, content, ok := strings.Cut(rest, "\n")
	if !ok {
		return Layer{}, false
	}
	n, err := strconv.ParseInt(size, 10, 64)
	if err != nil {
		return Layer{}, false
	}
	return Layer{Content: content, Size: n}, true
}
