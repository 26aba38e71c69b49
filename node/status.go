package node

import (
	"cmp"
	"slices"
	"strings"

	"github.com/pullsim/pullsim/imagecache"
)

// ContainerImage is one entry of a node's status.images, the list the
// scheduler's ImageLocality plugin scores nodes with.
type ContainerImage struct {
	Names     []string // repo digests first, then tags; at most 5
	SizeBytes int64
}

// maxNamesPerImageInNodeStatus is the kubelet's cap on names per image.
const maxNamesPerImageInNodeStatus = 5

// StatusImages returns the node's status.images: images sorted by size,
// largest first (ties by ID, descending), at most nodeStatusMaxImages of them (-1: all), each with up
// to 5 names, digests before tags. The kubelet refreshes this list every 30
// seconds; pullsim computes it when asked.
func (n *Node) StatusImages() []ContainerImage {
	n.catchUp()
	images := n.images.cache.List()
	slices.SortStableFunc(images, func(a, b imagecache.Image) int {
		if c := cmp.Compare(b.Size, a.Size); c != 0 {
			return c
		}
		return strings.Compare(string(b.ID), string(a.ID)) // ties: ID descending, as the kubelet's cache sorts
	})
	if max := n.cfg.statusMaxImages; max > -1 && len(images) > max {
		images = images[:max]
	}
	out := make([]ContainerImage, len(images))
	for i, img := range images {
		names := append(slices.Clone(img.RepoDigests), img.RepoTags...)
		if len(names) > maxNamesPerImageInNodeStatus {
			names = names[:maxNamesPerImageInNodeStatus]
		}
		out[i] = ContainerImage{Names: names, SizeBytes: img.Size}
	}
	return out
}
