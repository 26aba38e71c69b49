package imagecache_test

import (
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/imagecache"
)

// Pinned and Summary answer what Get would, without copying the image: the
// node's image GC manager asks them of every image every 5 minutes.
func TestPinnedAndSummary(t *testing.T) {
	c := imagecache.New()
	for i, s := range []struct {
		op   string        // add (A under nginx128), addB (B under the same tag), pin, unpin, remove
		id   digest.Digest // the image acted on and asked about afterwards
		want bool          // wanted Pinned(id)
		ok   bool          // wanted Summary's ok
	}{
		{"add", idA, false, true},
		{"pin", idA, true, true},
		{"addB", idA, false, false}, // the tag moved: A had no other name and is gone
		{"addB", idB, false, true},
		{"pin", idB, true, true},
		{"unpin", idB, false, true},
		{"pin", idB, true, true},
		{"remove", idB, false, false}, // a pinned image can still be removed
	} {
		var err error
		switch s.op {
		case "add":
			_, err = c.Add(imagecache.Entry{ID: idA, Manifest: mA, Blobs: blobsA, Names: []string{nginx128}})
		case "addB":
			_, err = c.Add(imagecache.Entry{ID: idB, Manifest: mB, Blobs: blobsB, Names: []string{nginx128}})
		case "pin", "unpin":
			err = c.SetPinned(string(s.id), s.op == "pin")
		case "remove":
			err = c.Remove(string(s.id))
		}
		if err != nil {
			t.Fatalf("step %d: %s: %v", i, s.op, err)
		}
		img, found := c.Get(string(s.id))
		if got := c.Pinned(s.id); got != s.want || got != img.Pinned {
			t.Errorf("step %d: %s: Pinned(%.19s) = %v, want %v (Get says %v)", i, s.op, s.id, got, s.want, img.Pinned)
		}
		manifest, size, ok := c.Summary(s.id)
		if ok != s.ok || ok != found || manifest != img.Manifest || size != img.Size {
			t.Errorf("step %d: %s: Summary(%.19s) = (%.19s, %d, %v), want (%.19s, %d, %v)", i, s.op, s.id, manifest, size, ok, img.Manifest, img.Size, s.ok)
		}
	}
	if _, err := c.Add(imagecache.Entry{ID: idA, Manifest: mA, Blobs: blobsA, Names: []string{nginx128}, Pinned: true}); err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(100, func() { c.Pinned(idA); c.Summary(idA) }); allocs != 0 {
		t.Errorf("Pinned and Summary: %.1f allocations, want 0", allocs)
	}
}
