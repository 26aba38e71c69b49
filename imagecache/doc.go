// Package imagecache is one node's image store, with containerd's naming
// rules: an image is identified by its ID (the digest of its config) and
// found by any of its names, repo:tag or repo@digest, fully qualified
// ("docker.io/library/nginx:1.28").
//
// When a pull brings new content under a tag another image held, the tag
// moves to the new image; the old image keeps its digest name and stays
// until it is removed. Content lives in a store shared between images, so a
// base layer used by ten images is stored, and counted, once.
//
// [WriteCrictlImages] lists a cache the way `crictl images` does.
package imagecache
