package imagecache

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteCrictlImages writes images as `crictl images` lists them: IMAGE, TAG,
// IMAGE ID (without "sha256:", 13 characters) and SIZE (decimal units, three
// significant digits: 72.8MB). There is a row per tag; an image with no tag
// shows its repository with TAG <none>. Rows are sorted by first tag, else
// first digest name, else ID.
func WriteCrictlImages(w io.Writer, images []Image) error {
	if w == nil {
		return errors.New("imagecache: crictl images: the io.Writer is nil")
	}
	images = slices.Clone(images)
	key := func(img Image) string {
		switch {
		case len(img.RepoTags) > 0:
			return img.RepoTags[0]
		case len(img.RepoDigests) > 0:
			return img.RepoDigests[0]
		default:
			return string(img.ID)
		}
	}
	slices.SortStableFunc(images, func(a, b Image) int { return strings.Compare(key(a), key(b)) })
	tw := tabwriter.NewWriter(w, 20, 1, 3, ' ', 0)
	fmt.Fprintln(tw, "IMAGE\tTAG\tIMAGE ID\tSIZE")
	for _, img := range images {
		id := strings.TrimPrefix(string(img.ID), "sha256:")
		if len(id) > 13 {
			id = id[:13]
		}
		size := HumanSize(img.Size)
		if len(img.RepoTags) == 0 {
			repo := "<none>"
			if len(img.RepoDigests) > 0 {
				repo, _, _ = strings.Cut(img.RepoDigests[0], "@")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", repo, "<none>", id, size)
			continue
		}
		for _, t := range img.RepoTags {
			i := strings.LastIndexByte(t, ':')
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t[:i], t[i+1:], id, size)
		}
	}
	return tw.Flush()
}

// HumanSize formats a size the way crictl does (go-units
// HumanSizeWithPrecision with 3 digits): decimal units, no space.
func HumanSize(size int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
	f, i := float64(size), 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return fmt.Sprintf("%.*g%s", 3, f, units[i])
}
