package node

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
)

// This file is the kubelet's image garbage collector
// (pkg/kubelet/images/image_gc_manager.go) on virtual time.

// imageGCManager is the kubelet's image garbage collector
// (pkg/kubelet/images/image_gc_manager.go): it detects the runtime's images
// every 5 minutes, remembers when each was first seen and last used, and
// frees space when the image filesystem crosses the high threshold, and
// images unused for longer than imageMaximumGCAge. After freeing it prunes
// the pull manager's records of images it did not keep.
type imageGCManager struct {
	cfg     *config
	rec     *recorder
	images  *imageService
	records *pullManager
	inUse   func(used map[digest.Digest]bool) // fills used with the images the pod workers' containers use
	busy    func() bool                       // a pull is in flight
	obj     ObjectReference                   // the node, the object of its events

	detected       map[digest.Digest]*imageRecord // by image ID
	used           map[digest.Digest]bool         // inUse's last answer; the map is reused
	kubeletStarted time.Time
	nextGC         time.Time
	fsOther        int64      // bytes on the image filesystem that are not images
	runs           []GCResult // the latest MaxGCRuns at least
	failed         bool       // the last periodic GC failed
	collected      [2]int64   // images removed for space (the eviction manager's too) and for age
}

// restart is a kubelet restart at now: what was detected is forgotten and
// the first GC runs at once.
func (g *imageGCManager) restart(now time.Time) {
	g.detected = make(map[digest.Digest]*imageRecord)
	g.kubeletStarted = now
	g.nextGC = now
	g.failed = false
	g.collected = [2]int64{}
}

// periodic is the GC the kubelet runs every ImageGCPeriod, at now: a
// detection only when GC is off; a second failure in a row is reported
// with ImageGCFailed.
func (g *imageGCManager) periodic(now time.Time) {
	g.nextGC = now.Add(ImageGCPeriod)
	if !g.enabled() {
		// The image manager's own 5-minute detection loop runs whether or
		// not GC does, so DeleteUnusedImages still knows the images' ages.
		g.detectImages(now)
		return
	}
	res := g.garbageCollect(now)
	if res.Err != nil {
		if g.failed {
			g.rec.record(now, evNodeWarning, &g.obj, EventImageGCFailed, res.Err.Error())
		}
		g.failed = true
		return
	}
	g.failed = false
}

// imageRecord is what the GC knows of an image: when it was first
// detected and last seen in use. Records live in memory and start afresh
// when the kubelet restarts.
type imageRecord struct {
	firstDetected time.Time
	lastUsed      time.Time
	size          int64
	pinned        bool
}

// GC event reasons (pkg/kubelet/events/event.go).
const (
	EventFreeDiskSpaceFailed = "FreeDiskSpaceFailed"
	EventInvalidDiskCapacity = "InvalidDiskCapacity"
	EventImageGCFailed       = "ImageGCFailed"
)

// GCResult is what one garbage collection did.
type GCResult struct {
	At                      time.Time
	Removed                 []RemovedImage // in the order they were removed
	UsageBefore, UsageAfter int64          // bytes on the image filesystem
	Err                     error
}

// RemovedImage is an image GC removed, and why.
type RemovedImage struct {
	ID    digest.Digest
	Names []string // the names it had
	Size  int64
	// Reason is "age" (unused for longer than imageMaximumGCAge), "space"
	// (freed to bring usage under the low threshold) or "eviction"
	// (DeleteUnusedImages).
	Reason   string
	LastUsed time.Time // zero: never seen in use
}

// detectImages refreshes the records: new images are detected now (so after
// a kubelet restart every image is new for imageMinimumGCAge), images in use
// are used now, records of vanished images go. It returns the images in
// use, in a map valid until the next detection.
//
// It runs every 5 minutes on every node of a fleet, so it walks the records
// it has and asks the cache about each (no copies); it lists the cache only
// when the cache holds images it has no record of.
func (g *imageGCManager) detectImages(now time.Time) map[digest.Digest]bool {
	used := g.imagesInUse()
	cache, present := g.images.cache, 0
	for id, r := range g.detected {
		_, size, ok := cache.Summary(id)
		if !ok {
			delete(g.detected, id)
			continue
		}
		present++
		if used[id] {
			r.lastUsed = now
		}
		r.size, r.pinned = size, cache.Pinned(id)
	}
	if present == cache.Len() {
		return used // every image has its record
	}
	for _, img := range cache.List() {
		if g.detected[img.ID] != nil {
			continue
		}
		r := &imageRecord{firstDetected: now, size: img.Size, pinned: img.Pinned}
		if used[img.ID] {
			r.lastUsed = now
		}
		g.detected[img.ID] = r
	}
	return used
}

// imagesInUse asks the pod workers which images their containers use, into
// a map it reuses: the answer is valid until the next call.
func (g *imageGCManager) imagesInUse() map[digest.Digest]bool {
	if g.used == nil {
		g.used = make(map[digest.Digest]bool)
	}
	g.inUse(g.used)
	return g.used
}

// allDetected reports whether every image in the cache has a record.
// Records of vanished images may remain until the next detection.
func (g *imageGCManager) allDetected() bool {
	present := 0
	for id := range g.detected {
		if _, _, ok := g.images.cache.Summary(id); ok {
			present++
		}
	}
	return present == g.images.cache.Len()
}

type evictable struct {
	id     digest.Digest
	record imageRecord
}

// spaceEligible reports whether the size pass (and eviction) may remove
// the image at now: not pinned, not used at or after now, and detected at
// least minAge ago.
func (e evictable) spaceEligible(now time.Time, minAge time.Duration) bool {
	return !e.record.pinned && e.record.lastUsed.Before(now) && now.Sub(e.record.firstDetected) >= minAge
}

// evictionOrder lists unused images, least recently used first, ties by
// first detection (byLastUsedAndDetected).
func (g *imageGCManager) evictionOrder(used map[digest.Digest]bool) []evictable {
	var out []evictable
	for id, r := range g.detected {
		if !used[id] {
			out = append(out, evictable{id, *r})
		}
	}
	slices.SortFunc(out, func(a, b evictable) int {
		if c := a.record.lastUsed.Compare(b.record.lastUsed); c != 0 {
			return c
		}
		if c := a.record.firstDetected.Compare(b.record.firstDetected); c != 0 {
			return c
		}
		return strings.Compare(string(a.id), string(b.id)) // map order must not leak
	})
	return out
}

// GarbageCollect runs one image garbage collection now, as the kubelet does
// every 5 minutes: the age pass, then the size pass when the image
// filesystem is at least imageGCHighThresholdPercent full. It returns what
// it removed; its error is the kubelet's GC error.
func (n *Node) GarbageCollect() GCResult {
	n.catchUp()
	return n.gc.garbageCollect(n.now()).clone() // the node keeps the original in GCRuns
}

func (g *imageGCManager) garbageCollect(now time.Time) GCResult {
	res := GCResult{At: now, UsageBefore: g.imageFSUsed()}
	used := g.detectImages(now)
	// The eviction order, built only when a pass needs it: most
	// collections find the disk below the threshold and no maximum age.
	var images []evictable
	ordered := g.agePass(now)
	if ordered {
		images = g.freeOldImages(&res, g.evictionOrder(used), now)
	}

	capacity := g.cfg.fsCapacity
	available := capacity - g.imageFSUsed()
	switch {
	case capacity == 0:
		// The kubelet returns here, before its post-GC hooks: the
		// KEP-2535 records are not pruned.
		err := errors.New("invalid capacity 0 on image filesystem")
		g.rec.record(now, evNodeWarning, &g.obj, EventInvalidDiskCapacity, err.Error())
		res.Err = err
		res.UsageAfter = g.imageFSUsed()
		g.addGCRun(res)
		return res
	default:
		if available > capacity {
			available = capacity
		}
		if available < 0 {
			available = 0
		}
		usage := 100 - int(mulDiv(available, 100, capacity))
		if usage >= g.cfg.gcHigh {
			if !ordered {
				images = g.evictionOrder(used)
			}
			toFree := mulDiv(capacity, int64(100-g.cfg.gcLow), 100) - available
			freed, kept := g.freeSpace(&res, images, toFree, now)
			if g.cfg.ensureSecret {
				// The KEP-2535 post-GC hook, before the freed-enough check.
				g.records.pruneUnknownRecords(kept, now)
			}
			if freed < toFree {
				msg := fmt.Sprintf("Insufficient free disk space on the node's image filesystem (%d%% of %s used). "+
					"Failed to free sufficient space by deleting unused images (freed %d bytes). "+
					"Investigate disk usage, as it could be used by active images, logs, volumes, or other data.",
					usage, formatSize(capacity), freed)
				if g.cfg.before(KubeletV135) {
					msg = fmt.Sprintf("Failed to garbage collect required amount of images. Attempted to free %d bytes, but only found %d bytes eligible to free.", toFree, freed)
				}
				g.rec.record(now, evNodeWarning, &g.obj, EventFreeDiskSpaceFailed, msg)
				res.Err = errors.New(msg)
			}
		}
	}
	res.UsageAfter = g.imageFSUsed()
	g.addGCRun(res)
	return res
}

// agePass reports whether a collection at now runs the age pass:
// imageMaximumGCAge is set and the kubelet has been up for longer than it.
func (g *imageGCManager) agePass(now time.Time) bool {
	return g.cfg.gcMaxAge != 0 && now.Sub(g.kubeletStarted) > g.cfg.gcMaxAge
}

// freeOldImages is the age pass, given the eviction order: unused unpinned
// images not used for longer than imageMaximumGCAge are removed, with no
// minimum-age check. It returns the images left, in order.
func (g *imageGCManager) freeOldImages(res *GCResult, images []evictable, now time.Time) []evictable {
	var left []evictable
	for _, e := range images {
		if !e.record.pinned && now.Sub(e.record.lastUsed) > g.cfg.gcMaxAge {
			g.removeImage(res, e, "age")
			continue
		}
		left = append(left, e)
	}
	return left
}

// freeSpace is the size pass: remove unused images in eviction order until
// toFree bytes are freed, skipping pinned images, images used at or after
// now and images detected less than imageMinimumGCAge ago. It returns the
// bytes freed as the kubelet counts them (the sum of the removed images'
// sizes) and the candidates it looked at and kept: unpinned images it
// skipped before it had freed enough.
func (g *imageGCManager) freeSpace(res *GCResult, images []evictable, toFree int64, now time.Time) (int64, map[digest.Digest]bool) {
	var freed int64
	kept := make(map[digest.Digest]bool)
	for _, e := range images {
		if e.record.pinned {
			continue // not a candidate
		}
		if !e.spaceEligible(now, g.cfg.gcMinAge) {
			kept[e.id] = true
			continue
		}
		if g.removeImage(res, e, "space") {
			// The kubelet counts the size the runtime reports for the
			// image, layers shared with other images included, although
			// removing it frees only what no other image holds.
			freed += e.record.size
			// The kubelet compares after a removal: with 0 bytes to
			// free (usage at the threshold, rounded), one image goes.
			if freed >= toFree {
				break
			}
		} else {
			kept[e.id] = true
		}
	}
	return freed, kept
}

// removeImage deletes an image from the runtime and reports whether it was
// there.
func (g *imageGCManager) removeImage(res *GCResult, e evictable, reason string) bool {
	img, ok := g.images.cache.Get(string(e.id))
	if !ok {
		return false
	}
	_ = g.images.cache.Remove(string(e.id))
	delete(g.detected, e.id)
	res.Removed = append(res.Removed, RemovedImage{ID: e.id, Names: append(img.RepoTags, img.RepoDigests...), Size: e.record.size, Reason: reason, LastUsed: e.record.lastUsed})
	// kubelet_image_garbage_collected_total's reason: the eviction
	// manager frees space with the size pass's code.
	if reason == "age" {
		g.collected[1]++
	} else {
		g.collected[0]++
	}
	return true
}

// DeleteUnusedImages removes every image no container uses, except pinned
// images and images detected less than imageMinimumGCAge ago, whatever the
// disk usage: what the eviction manager does under disk pressure.
func (n *Node) DeleteUnusedImages() GCResult {
	n.catchUp()
	return n.gc.deleteUnused(n.now())
}

// deleteUnused is DeleteUnusedImages at time now.
func (g *imageGCManager) deleteUnused(now time.Time) GCResult {
	res := GCResult{At: now, UsageBefore: g.imageFSUsed()}
	used := g.detectImages(now)
	kept := make(map[digest.Digest]bool)
	for _, e := range g.evictionOrder(used) {
		switch {
		case e.record.pinned:
		case !e.spaceEligible(now, g.cfg.gcMinAge), !g.removeImage(&res, e, "eviction"):
			kept[e.id] = true
		}
	}
	if g.cfg.ensureSecret {
		g.records.pruneUnknownRecords(kept, now)
	}
	res.UsageAfter = g.imageFSUsed()
	return res
}

// PinImage pins (or unpins) the image a name refers to, written as a pod
// would write it ("pause:3.10"). Pinned images are never garbage-collected;
// runtimes pin their sandbox image this way.
func (n *Node) PinImage(name string, pinned bool) error {
	n.catchUp()
	ref, err := n.cfg.refs.Parse(name)
	if err != nil {
		return fmt.Errorf("node %s: pin image: %w", n.name, err)
	}
	if err := n.images.cache.SetPinned(ref.Name(), pinned); err != nil {
		return fmt.Errorf("node %s: pin image %q: %w", n.name, name, err)
	}
	return nil
}

// MaxGCRuns is how many garbage collection results a node keeps.
const MaxGCRuns = 100

// addGCRun keeps res, dropping the oldest beyond MaxGCRuns.
func (g *imageGCManager) addGCRun(res GCResult) {
	g.runs = appendBounded(g.runs, res, MaxGCRuns)
}

// GCRuns returns the latest garbage collections, at most [MaxGCRuns],
// periodic or run with [Node.GarbageCollect], oldest first;
// [Node.DeleteUnusedImages] returns its result but is not listed.
func (n *Node) GCRuns() []GCResult {
	n.catchUp()
	runs := n.gc.runs[max(0, len(n.gc.runs)-MaxGCRuns):]
	out := make([]GCResult, len(runs))
	for i, r := range runs {
		out[i] = r.clone()
	}
	return out
}

// clone returns a copy of r that shares nothing a caller could change with
// the node's history of runs.
func (r GCResult) clone() GCResult {
	r.Removed = slices.Clone(r.Removed)
	for i := range r.Removed {
		r.Removed[i].Names = slices.Clone(r.Removed[i].Names)
	}
	return r
}

// ImageFS returns the image filesystem's capacity and the bytes in use:
// the cached content, shared layers counted once, plus other data
// (SetImageFSOtherUsage).
func (n *Node) ImageFS() (capacity, used int64) {
	n.catchUp()
	return n.cfg.fsCapacity, n.gc.imageFSUsed()
}

// SetImageFSOtherUsage sets how many bytes of the image filesystem hold
// something other than images (logs, writable layers, volumes): space GC
// cannot free.
func (n *Node) SetImageFSOtherUsage(bytes int64) error {
	if bytes < 0 {
		return fmt.Errorf("node %s: other usage %d must not be negative", n.name, bytes)
	}
	n.gc.fsOther = bytes
	return nil
}

// imageFSUsed is the bytes in use on the image filesystem, saturating at
// the largest int64.
func (g *imageGCManager) imageFSUsed() int64 {
	u := g.images.cache.Usage()
	if g.fsOther > math.MaxInt64-u {
		return math.MaxInt64
	}
	return u + g.fsOther
}

// mulDiv returns a*b/c for non-negative a, b and positive c, exactly,
// without overflowing in a*b; the kubelet's int64 arithmetic cannot
// overflow for the capacities real disks have, pullsim's must not for any.
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}

// idle reports whether a periodic collection now would change nothing and
// record nothing, and so would every one after it while nothing else
// happens on the node: detection refreshes the records of images in use,
// which only the last run's time matters for. That holds when the size pass
// does not run (usage below the high threshold, a capacity to measure) and
// the age pass has nothing it could ever remove, every image has been
// detected, and no earlier failure waits to be reported.
func (g *imageGCManager) idle() bool {
	if g.busy() || g.failed || !g.allDetected() {
		return false // an image not yet detected: the next detection dates it
	}
	if !g.enabled() {
		return true
	}
	capacity := g.cfg.fsCapacity
	if capacity == 0 {
		return false
	}
	available := max(0, min(capacity, capacity-g.imageFSUsed()))
	if 100-int(mulDiv(available, 100, capacity)) >= g.cfg.gcHigh {
		return false
	}
	if g.cfg.gcMaxAge == 0 {
		return true
	}
	used, cache := g.imagesInUse(), g.images.cache
	for id := range g.detected { // every image in the cache, and maybe vanished ones
		if _, _, ok := cache.Summary(id); ok && !cache.Pinned(id) && !used[id] {
			return false
		}
	}
	return true
}

// enabled reports whether the periodic GC runs: not when the high
// threshold is 100 and there is no maximum age.
func (g *imageGCManager) enabled() bool { return !(g.cfg.gcHigh == 100 && g.cfg.gcMaxAge == 0) }

// formatSize prints a capacity as the kubelet's FreeDiskSpaceFailed message
// does: bytes below 1 KiB, else binary units with one decimal.
func formatSize(bytes int64) string {
	if bytes < 1<<10 {
		return fmt.Sprintf("%d B", bytes)
	}
	f := float64(bytes)
	for _, unit := range []string{"KiB", "MiB", "GiB"} {
		if f /= 1024; f < 1024 {
			return fmt.Sprintf("%.1f %s", f, unit)
		}
	}
	return fmt.Sprintf("%.1f TiB", f/1024)
}
