package imagecache_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/imagecache"
)

// hd returns the SHA-256 digest whose hex is c repeated: readable, valid,
// and sorted by c.
func hd(c string) digest.Digest { return digest.Digest("sha256:" + strings.Repeat(c, 64)) }

// Fixtures: four images. A and B share a base layer, C and D share a layer.
// IDs are chosen so that List's order (by ID) is not the order of adding.
var (
	idA, idB, idC, idD = hd("e"), hd("b"), hd("c"), hd("d")
	mA, mB, mC, mD     = hd("1"), hd("2"), hd("3"), hd("4")

	base = imagecache.Blob{Digest: hd("0"), Size: 1000} // shared by A and B
	lc   = imagecache.Blob{Digest: hd("6"), Size: 30}   // shared by C and D

	blobsA = []imagecache.Blob{{Digest: mA, Size: 400}, {Digest: idA, Size: 200}, base, {Digest: hd("a"), Size: 100}} // 1700
	blobsB = []imagecache.Blob{{Digest: mB, Size: 400}, {Digest: idB, Size: 200}, base, {Digest: hd("5"), Size: 50}}  // 1650
	blobsC = []imagecache.Blob{{Digest: mC, Size: 40}, {Digest: idC, Size: 20}, lc}                                   // 90
	blobsD = []imagecache.Blob{{Digest: mD, Size: 40}, {Digest: idD, Size: 20}, lc, {Digest: hd("7"), Size: 7}}       // 97
)

const (
	nginxLatest = "docker.io/library/nginx:latest"
	nginx128    = "docker.io/library/nginx:1.28"
	busybox     = "docker.io/library/busybox:1.36"
	nope        = "docker.io/library/nope:1"
)

var (
	nginxA = "docker.io/library/nginx@" + mA.String()
	nginxB = "docker.io/library/nginx@" + mB.String()
)

func imageA(tags, digests []string, pinned bool) imagecache.Image {
	return imagecache.Image{ID: idA, Manifest: mA, RepoTags: tags, RepoDigests: digests, Size: 1700, Pinned: pinned, Blobs: blobsA}
}

func imageB(tags, digests []string, pinned bool) imagecache.Image {
	return imagecache.Image{ID: idB, Manifest: mB, RepoTags: tags, RepoDigests: digests, Size: 1650, Pinned: pinned, Blobs: blobsB}
}

func imageC(tags []string) imagecache.Image {
	return imagecache.Image{ID: idC, Manifest: mC, RepoTags: tags, Size: 90, Blobs: blobsC}
}

func imageD(tags []string) imagecache.Image {
	return imagecache.Image{ID: idD, Manifest: mD, RepoTags: tags, Size: 97, Blobs: blobsD}
}

// TestCache plays containerd's naming semantics step by step.
func TestCache(t *testing.T) {
	type step struct {
		op    string                   // "add", "remove", "pin" or "unpin"
		entry imagecache.Entry         // add: what is added
		name  string                   // remove, pin, unpin: a name or an image ID
		err   string                   // wanted error text; "" for success. A failed step must leave List and Usage unchanged.
		is    error                    // a sentinel the error must wrap; nil for none
		list  []imagecache.Image       // List() after a successful step, in ID order
		usage int64                    // Usage() after a successful step
		ids   map[string]digest.Digest // ID(name) after the step; "" for a miss
	}
	steps := []step{
		// 0: A under its tag and its digest name.
		{op: "add", entry: imagecache.Entry{ID: idA, Manifest: mA, Blobs: blobsA, Names: []string{nginxLatest, nginxA}},
			list:  []imagecache.Image{imageA([]string{nginxLatest}, []string{nginxA}, false)},
			usage: 1700,
			ids:   map[string]digest.Digest{nginxLatest: idA, nginxA: idA, idA.String(): idA, nginxB: "", "nginx:latest": "", "nginx": ""}},
		// 1: B under the same tag: the tag moves, A keeps only its digest name.
		{op: "add", entry: imagecache.Entry{ID: idB, Manifest: mB, Blobs: blobsB, Names: []string{nginxLatest, nginxB}},
			list:  []imagecache.Image{imageB([]string{nginxLatest}, []string{nginxB}, false), imageA(nil, []string{nginxA}, false)},
			usage: 1700 + 400 + 200 + 50, // base counted once
			ids:   map[string]digest.Digest{nginxLatest: idB, nginxA: idA, nginxB: idB, idA.String(): idA, idB.String(): idB}},
		// 2: C, known by a tag only.
		{op: "add", entry: imagecache.Entry{ID: idC, Manifest: mC, Blobs: blobsC, Names: []string{busybox}},
			list: []imagecache.Image{
				imageB([]string{nginxLatest}, []string{nginxB}, false),
				imageC([]string{busybox}),
				imageA(nil, []string{nginxA}, false),
			},
			usage: 2350 + 90,
			ids:   map[string]digest.Digest{busybox: idC, idC.String(): idC}},
		// 3: D takes C's only name: C is dropped, its own blobs released, the shared one kept.
		{op: "add", entry: imagecache.Entry{ID: idD, Manifest: mD, Blobs: blobsD, Names: []string{busybox}},
			list: []imagecache.Image{
				imageB([]string{nginxLatest}, []string{nginxB}, false),
				imageD([]string{busybox}),
				imageA(nil, []string{nginxA}, false),
			},
			usage: 2440 - 60 + 67,
			ids:   map[string]digest.Digest{busybox: idD, idC.String(): "", idD.String(): idD}},
		// 4: A again with a new name, other blobs and a pin: content already there only gains names (and the pin).
		{op: "add", entry: imagecache.Entry{ID: idA, Manifest: mA, Blobs: []imagecache.Blob{{Digest: hd("9"), Size: 1 << 30}}, Names: []string{nginx128, nginxA}, Pinned: true},
			list: []imagecache.Image{
				imageB([]string{nginxLatest}, []string{nginxB}, false),
				imageD([]string{busybox}),
				imageA([]string{nginx128}, []string{nginxA}, true),
			},
			usage: 2447,
			ids:   map[string]digest.Digest{nginx128: idA, nginxLatest: idB}},
		// 5, 6: pin by name, unpin by ID.
		{op: "pin", name: nginxB,
			list: []imagecache.Image{
				imageB([]string{nginxLatest}, []string{nginxB}, true),
				imageD([]string{busybox}),
				imageA([]string{nginx128}, []string{nginxA}, true),
			},
			usage: 2447},
		{op: "unpin", name: idB.String(),
			list: []imagecache.Image{
				imageB([]string{nginxLatest}, []string{nginxB}, false),
				imageD([]string{busybox}),
				imageA([]string{nginx128}, []string{nginxA}, true),
			},
			usage: 2447},
		// 7: removing B by its tag removes every name of B and B's own blobs; base stays for A.
		{op: "remove", name: nginxLatest,
			list: []imagecache.Image{
				imageD([]string{busybox}),
				imageA([]string{nginx128}, []string{nginxA}, true),
			},
			usage: 2447 - 650,
			ids:   map[string]digest.Digest{nginxLatest: "", nginxB: "", idB.String(): "", nginxA: idA}},
		// 8-10: unknown names.
		{op: "remove", name: nginxLatest, err: `imagecache: remove "docker.io/library/nginx:latest": image not found`, is: imagecache.ErrNotFound},
		{op: "remove", name: idB.String(), err: `imagecache: remove "` + idB.String() + `": image not found`, is: imagecache.ErrNotFound},
		{op: "pin", name: nope, err: `imagecache: pin "docker.io/library/nope:1": image not found`, is: imagecache.ErrNotFound},
		// 11-20: invalid entries change nothing, not even names that are valid.
		{op: "add", entry: imagecache.Entry{ID: "sha256:abc", Names: []string{busybox}},
			err: `imagecache: image ID "sha256:abc": invalid checksum digest length`, is: digest.ErrDigestInvalidLength},
		{op: "add", entry: imagecache.Entry{ID: "busybox", Names: []string{busybox}},
			err: `imagecache: image ID "busybox": invalid checksum digest format`, is: digest.ErrDigestInvalidFormat},
		{op: "add", entry: imagecache.Entry{ID: hd("f"), Manifest: hd("8"), Blobs: []imagecache.Blob{{Digest: hd("8"), Size: 1}}},
			err: "imagecache: image " + hd("f").String() + ": at least one name is required"},
		{op: "add", entry: imagecache.Entry{ID: hd("f"), Names: []string{busybox, "nginx:latest"}},
			err: `imagecache: name "nginx:latest": want a fully qualified repo:tag or repo@digest: repository name must be canonical`},
		{op: "add", entry: imagecache.Entry{ID: hd("f"), Names: []string{busybox, "docker.io/library/nginx:1.28@" + mA.String()}},
			err: `imagecache: name "docker.io/library/nginx:1.28@` + mA.String() + `": want exactly one of a tag or a digest`},
		{op: "add", entry: imagecache.Entry{ID: hd("f"), Names: []string{busybox, "docker.io/library/nginx"}},
			err: `imagecache: name "docker.io/library/nginx": want exactly one of a tag or a digest`},
		{op: "add", entry: imagecache.Entry{ID: hd("f"), Names: []string{busybox, idA.String()}},
			err: `imagecache: name "` + idA.String() + `": want a fully qualified repo:tag or repo@digest: repository name must be canonical`},
		{op: "add", entry: imagecache.Entry{ID: hd("f"), Names: []string{busybox}, Blobs: []imagecache.Blob{{Digest: hd("8"), Size: 1}, {Digest: hd("9"), Size: -1}}},
			err: "imagecache: image " + hd("f").String() + ": blob " + hd("9").String() + ": negative size -1"},
		{op: "add", entry: imagecache.Entry{ID: hd("f"), Names: []string{busybox}, Blobs: []imagecache.Blob{{Digest: "layer", Size: 1}}},
			err: "imagecache: image " + hd("f").String() + ": blob 0: invalid checksum digest format", is: digest.ErrDigestInvalidFormat},
		// 20: an image the cache holds, added again: the blobs it holds pass, an invalid one still fails.
		{op: "add", entry: imagecache.Entry{ID: idA, Names: []string{nginx128}, Blobs: []imagecache.Blob{blobsD[0], {Digest: "layer", Size: 1}}},
			err: "imagecache: image " + idA.String() + ": blob 1: invalid checksum digest format", is: digest.ErrDigestInvalidFormat},
		// 21: the names survived the failed adds.
		{op: "pin", name: busybox,
			list: []imagecache.Image{
				{ID: idD, Manifest: mD, RepoTags: []string{busybox}, Size: 97, Pinned: true, Blobs: blobsD},
				imageA([]string{nginx128}, []string{nginxA}, true),
			},
			usage: 1797,
			ids:   map[string]digest.Digest{busybox: idD, hd("f").String(): ""}},
		// 22: remove by ID, even when pinned; the base layer goes with its last user.
		{op: "remove", name: idA.String(),
			list:  []imagecache.Image{{ID: idD, Manifest: mD, RepoTags: []string{busybox}, Size: 97, Pinned: true, Blobs: blobsD}},
			usage: 97,
			ids:   map[string]digest.Digest{nginx128: "", nginxA: "", idA.String(): ""}},
		// 23: removing the last image by its tag empties the content store.
		{op: "remove", name: busybox,
			list:  []imagecache.Image{},
			usage: 0,
			ids:   map[string]digest.Digest{busybox: "", idD.String(): ""}},
	}

	c := imagecache.New()
	for i, s := range steps {
		before, usageBefore := c.List(), c.Usage()
		var (
			err   error
			added imagecache.Image
		)
		switch s.op {
		case "add":
			added, err = c.Add(s.entry)
		case "remove":
			err = c.Remove(s.name)
		case "pin":
			err = c.SetPinned(s.name, true)
		case "unpin":
			err = c.SetPinned(s.name, false)
		default:
			t.Fatalf("step %d: unknown op %q", i, s.op)
		}
		arg := s.name
		if s.op == "add" {
			arg = string(s.entry.ID)
		}
		switch {
		case err == nil && s.err != "":
			t.Errorf("step %d: %s(%v) error = nil, want %q", i, s.op, arg, s.err)
		case err != nil && err.Error() != s.err:
			t.Errorf("step %d: %s(%v) error = %q, want %q", i, s.op, arg, err, s.err)
		case s.is != nil && !errors.Is(err, s.is):
			t.Errorf("step %d: %s(%v) error = %v, want one wrapping %q", i, s.op, arg, err, s.is)
		}
		gotList, gotUsage := c.List(), c.Usage()
		if s.err != "" {
			if !reflect.DeepEqual(gotList, before) || gotUsage != usageBefore {
				t.Errorf("step %d: failed %s(%v) changed the cache:\nList() = %+v, usage %d\nbefore   %+v, usage %d", i, s.op, arg, gotList, gotUsage, before, usageBefore)
			}
			if s.op == "add" && !reflect.DeepEqual(added, imagecache.Image{}) {
				t.Errorf("step %d: failed Add(%v) = %+v, want the zero Image", i, arg, added)
			}
		} else {
			if !reflect.DeepEqual(gotList, s.list) {
				t.Errorf("step %d: %s(%v): List() =\n\t%+v\nwant\n\t%+v", i, s.op, arg, gotList, s.list)
			}
			if gotUsage != s.usage {
				t.Errorf("step %d: %s(%v): Usage() = %d, want %d", i, s.op, arg, gotUsage, s.usage)
			}
			if c.Len() != len(s.list) {
				t.Errorf("step %d: %s(%v): Len() = %d, want %d", i, s.op, arg, c.Len(), len(s.list))
			}
			if s.op == "add" {
				if got, ok := c.Get(string(s.entry.ID)); !ok || !reflect.DeepEqual(added, got) {
					t.Errorf("step %d: Add(%v) = %+v, want what Get returns: %+v", i, arg, added, got)
				}
			}
		}
		for name, want := range s.ids {
			got, ok := c.ID(name)
			if got != want || ok != (want != "") {
				t.Errorf("step %d: after %s(%v): ID(%q) = (%q, %v), want (%q, %v)", i, s.op, arg, name, got, ok, want, want != "")
			}
		}
	}
}

// Get, ByManifest, HasName and HasBlob after a tag move.
func TestLookups(t *testing.T) {
	c := imagecache.New()
	mustAdd(t, c, imagecache.Entry{ID: idA, Manifest: mA, Blobs: blobsA, Names: []string{nginxLatest, nginxA}})
	mustAdd(t, c, imagecache.Entry{ID: idB, Manifest: mB, Blobs: blobsB, Names: []string{nginxLatest, nginxB}})

	for _, tt := range []struct {
		name string           // the name or ID asked for
		want imagecache.Image // the image Get returns
		ok   bool             // whether Get finds it
	}{
		{nginxLatest, imageB([]string{nginxLatest}, []string{nginxB}, false), true},
		{nginxB, imageB([]string{nginxLatest}, []string{nginxB}, false), true},
		{idB.String(), imageB([]string{nginxLatest}, []string{nginxB}, false), true},
		{nginxA, imageA(nil, []string{nginxA}, false), true},
		{idA.String(), imageA(nil, []string{nginxA}, false), true},
		{"nginx:latest", imagecache.Image{}, false},
		{"docker.io/library/nginx", imagecache.Image{}, false},
		{mA.String(), imagecache.Image{}, false}, // a manifest digest is not an image ID
		{"", imagecache.Image{}, false},
	} {
		if got, ok := c.Get(tt.name); ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Get(%q) = (%+v, %v), want (%+v, %v)", tt.name, got, ok, tt.want, tt.ok)
		}
	}

	for _, tt := range []struct {
		manifest digest.Digest // the manifest digest
		want     digest.Digest // the image ID; "" for a miss
	}{
		{mA, idA},
		{mB, idB},
		{mC, ""},
		{idA, ""}, // an ID is not a manifest digest
	} {
		if got, ok := c.ByManifest(tt.manifest); got != tt.want || ok != (tt.want != "") {
			t.Errorf("ByManifest(%s) = (%q, %v), want (%q, %v)", tt.manifest, got, ok, tt.want, tt.want != "")
		}
	}

	for _, tt := range []struct {
		id   digest.Digest // the image
		name string        // the name
		want bool          // whether name points at id
	}{
		{idB, nginxLatest, true},
		{idB, nginxB, true},
		{idA, nginxA, true},
		{idA, nginxLatest, false}, // moved to B
		{idB, nginxA, false},
		{idA, idA.String(), false}, // an ID is not one of its names
		{"", nope, false},
		{"", "", false},
	} {
		if got := c.HasName(tt.id, tt.name); got != tt.want {
			t.Errorf("HasName(%q, %q) = %v, want %v", tt.id, tt.name, got, tt.want)
		}
	}

	for _, tt := range []struct {
		dgst digest.Digest // the blob
		want bool          // whether the content store holds it
	}{
		{base.Digest, true},
		{mA, true},
		{idA, true},
		{hd("a"), true},
		{hd("5"), true},
		{lc.Digest, false},
	} {
		if got := c.HasBlob(tt.dgst); got != tt.want {
			t.Errorf("HasBlob(%s) = %v, want %v", tt.dgst, got, tt.want)
		}
	}

	// After B goes, its manifest is unknown and its own blobs are gone; the shared base stays.
	if err := c.Remove(nginxB); err != nil {
		t.Fatal(err)
	}
	if id, ok := c.ByManifest(mB); ok {
		t.Errorf("ByManifest(mB) after Remove = (%q, true), want a miss", id)
	}
	if c.HasBlob(hd("5")) || c.HasBlob(mB) || c.HasBlob(idB) {
		t.Errorf("B's own blobs still present after Remove: layer %v, manifest %v, config %v", c.HasBlob(hd("5")), c.HasBlob(mB), c.HasBlob(idB))
	}
	if !c.HasBlob(base.Digest) {
		t.Errorf("HasBlob(base) after removing one of two users = false, want true")
	}
	if c.HasName(idB, nginxLatest) {
		t.Errorf("HasName(B, nginx:latest) after Remove = true, want false")
	}
}

// Names given in any order come back sorted; adding content that is there
// already adds names and never unpins.
func TestAddMoreNames(t *testing.T) {
	c := imagecache.New()
	mustAdd(t, c, imagecache.Entry{ID: idA, Manifest: mA, Blobs: blobsA, Names: []string{nginxLatest, nginxA}, Pinned: true})
	other := "docker.io/library/nginx@" + hd("8").String() // the same image pulled by another manifest (an index)
	local := "localhost:5000/nginx@" + mA.String()
	img := mustAdd(t, c, imagecache.Entry{ID: idA, Manifest: mA, Names: []string{
		local, "localhost:5000/nginx:1", nginx128, other, "docker.io/library/nginx:1", "docker.io/library/mirror@" + mA.String(),
	}})
	want := imageA(
		[]string{"docker.io/library/nginx:1", nginx128, nginxLatest, "localhost:5000/nginx:1"},
		[]string{"docker.io/library/mirror@" + mA.String(), nginxA, other, local},
		true)
	if !reflect.DeepEqual(img, want) {
		t.Errorf("Add(more names, Pinned false) =\n\t%+v\nwant\n\t%+v", img, want)
	}
	if got := c.Usage(); got != 1700 {
		t.Errorf("Usage() = %d, want 1700", got)
	}
	for _, name := range append(want.RepoTags, want.RepoDigests...) {
		if !c.HasName(idA, name) {
			t.Errorf("HasName(A, %q) = false, want true", name)
		}
	}
	// Removing by any one name removes them all.
	if err := c.Remove(other); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 0 || c.Usage() != 0 {
		t.Errorf("after Remove: Len() = %d, Usage() = %d, want 0 and 0", c.Len(), c.Usage())
	}
	for _, name := range append(want.RepoTags, want.RepoDigests...) {
		if id, ok := c.ID(name); ok {
			t.Errorf("after Remove: ID(%q) = %q, want a miss", name, id)
		}
	}
}

// A blob listed twice in one entry is stored and counted once.
func TestDuplicateBlobs(t *testing.T) {
	c := imagecache.New()
	blobs := []imagecache.Blob{{Digest: mA, Size: 400}, {Digest: idA, Size: 200}, base, base}
	img := mustAdd(t, c, imagecache.Entry{ID: idA, Manifest: mA, Blobs: blobs, Names: []string{nginxLatest}})
	if img.Size != 1600 || c.Usage() != 1600 {
		t.Errorf("Add(base twice): Size = %d, Usage() = %d, want 1600 and 1600", img.Size, c.Usage())
	}
	if !reflect.DeepEqual(img.Blobs, blobs) {
		t.Errorf("Add(base twice): Blobs = %v, want %v as given", img.Blobs, blobs)
	}
	mustAdd(t, c, imagecache.Entry{ID: idB, Manifest: mB, Blobs: blobsB, Names: []string{nginxB}})
	if err := c.Remove(nginxLatest); err != nil {
		t.Fatal(err)
	}
	if got := c.Usage(); got != 1650 {
		t.Errorf("Usage() after removing A = %d, want 1650 (B alone, base still used)", got)
	}
	if !c.HasBlob(base.Digest) {
		t.Errorf("HasBlob(base) after removing A = false, want true: B uses it")
	}
}

// What Add, Get and List return are copies.
func TestResultsAreCopies(t *testing.T) {
	c := imagecache.New()
	blobs := append([]imagecache.Blob(nil), blobsA...)
	e := imagecache.Entry{ID: idA, Manifest: mA, Blobs: blobs, Names: []string{nginxLatest, nginxA}}
	added := mustAdd(t, c, e)
	blobs[0].Size = 1 // the caller reuses its slice
	added.Blobs[1].Size = 2
	added.RepoTags[0] = "docker.io/library/evil:1"
	got, _ := c.Get(nginxLatest)
	got.Blobs[2].Size = 3
	got.RepoDigests[0] = "x"
	list := c.List()
	list[0].Blobs[3].Size = 4

	want := imageA([]string{nginxLatest}, []string{nginxA}, false)
	if got, _ := c.Get(idA.String()); !reflect.DeepEqual(got, want) {
		t.Errorf("Get after changing returned values = %+v, want %+v", got, want)
	}
	if id, ok := c.ID("docker.io/library/evil:1"); ok {
		t.Errorf("ID(evil) = %q, want a miss", id)
	}
}

// ID is the presence check on every container start: a hit does not allocate.
func TestIDAllocs(t *testing.T) {
	c := imagecache.New()
	mustAdd(t, c, imagecache.Entry{ID: idA, Manifest: mA, Blobs: blobsA, Names: []string{nginxLatest, nginxA}})
	for _, name := range []string{nginxLatest, nginxA, idA.String()} {
		var id digest.Digest
		var ok bool
		allocs := testing.AllocsPerRun(100, func() { id, ok = c.ID(name) })
		if allocs != 0 {
			t.Errorf("ID(%q) allocates %v times per call, want 0", name, allocs)
		}
		if id != idA || !ok {
			t.Errorf("ID(%q) = (%q, %v), want (%q, true)", name, id, ok, idA)
		}
	}
}

func mustAdd(t testing.TB, c *imagecache.Cache, e imagecache.Entry) imagecache.Image {
	t.Helper()
	img, err := c.Add(e)
	if err != nil {
		t.Fatalf("Add(%+v): %v", e, err)
	}
	return img
}

func BenchmarkID(b *testing.B) {
	c := imagecache.New()
	mustAdd(b, c, imagecache.Entry{ID: idA, Manifest: mA, Blobs: blobsA, Names: []string{nginxLatest, nginxA}})
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.ID(nginxLatest); !ok {
			b.Fatal("miss")
		}
	}
}

// BenchmarkAdd adds two images in turn under the same tag: each Add stores
// an image, moves the tag and drops the other image.
func BenchmarkAdd(b *testing.B) {
	c := imagecache.New()
	entries := []imagecache.Entry{
		{ID: idA, Manifest: mA, Blobs: blobsA, Names: []string{nginxLatest}},
		{ID: idB, Manifest: mB, Blobs: blobsB, Names: []string{nginxLatest}},
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := c.Add(entries[i%2]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	if c.Len() != 1 {
		b.Fatalf("Len() = %d, want 1", c.Len())
	}
}

// BenchmarkCachedContent is what the runtime asks the cache on every pull
// of content it already has (Always on a cached image): the image of the
// resolved manifest, its size, and whether both of its pull names point
// at it.
func BenchmarkCachedContent(b *testing.B) {
	c := imagecache.New()
	mustAdd(b, c, imagecache.Entry{ID: idA, Manifest: mA, Blobs: blobsA, Names: []string{nginxLatest, nginxA}})
	names := []string{nginxLatest, nginxA}
	b.ReportAllocs()
	for b.Loop() {
		id, ok := c.ByManifest(mA)
		if !ok {
			b.Fatal("miss")
		}
		if _, size, _ := c.Summary(id); size == 0 {
			b.Fatal("no size")
		}
		for _, n := range names {
			if !c.HasName(id, n) {
				b.Fatalf("%s does not point at %s", n, id)
			}
		}
	}
}

// TestCachedContentAllocs pins BenchmarkCachedContent's calls, and the
// presence check, to no allocation: they run on every start.
func TestCachedContentAllocs(t *testing.T) {
	c := imagecache.New()
	mustAdd(t, c, imagecache.Entry{ID: idA, Manifest: mA, Blobs: blobsA, Names: []string{nginxLatest, nginxA}})
	allocs := testing.AllocsPerRun(100, func() {
		id, _ := c.ByManifest(mA)
		c.Summary(id)
		c.HasName(id, nginxA)
		c.ID(nginxLatest)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per lookup, want 0", allocs)
	}
}

// TestGeneration steps through what changes the cache's generation: every
// Add and every removal, not reads, failed calls or pins.
func TestGeneration(t *testing.T) {
	c := imagecache.New()
	for i, step := range []struct {
		do     func() error
		change bool // the generation changes
	}{
		{func() error {
			_, err := c.Add(imagecache.Entry{ID: idA, Manifest: mA, Blobs: blobsA, Names: []string{nginxLatest}})
			return err
		}, true},
		{func() error {
			c.ID(nginxLatest)
			c.ByManifest(mA)
			c.HasName(idA, nginxLatest)
			c.Summary(idA)
			c.List()
			return nil
		}, false},
		{func() error {
			_, err := c.Add(imagecache.Entry{ID: idA, Manifest: mA, Blobs: blobsA, Names: []string{nginxA}})
			return err
		}, true},
		{func() error { return c.SetPinned(nginxA, true) }, false},
		{func() error {
			_, err := c.Add(imagecache.Entry{ID: "bad", Names: []string{nginxLatest}})
			return wantErr(err)
		}, false},
		{func() error {
			_, err := c.Add(imagecache.Entry{ID: idB, Manifest: mB, Blobs: blobsB, Names: []string{nginxLatest}})
			return err
		}, true}, // moves the tag
		{func() error { return wantErr(c.Remove("docker.io/library/absent:1")) }, false},
		{func() error { return c.Remove(nginxA) }, true},
	} {
		before := c.Generation()
		if err := step.do(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := c.Generation() != before; got != step.change {
			t.Errorf("step %d: generation changed = %v, want %v", i, got, step.change)
		}
	}
}

// wantErr turns an expected error into nil and its absence into an error.
func wantErr(err error) error {
	if err == nil {
		return errors.New("no error, want one")
	}
	return nil
}
