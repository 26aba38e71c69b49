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

// imagesInUse returns the image IDs of every container the runtime knows:
// running, exited and completed ones, of every pod on the node, and of the
// pods' image volumes. A restarted
// container's previous instance is still known: the kubelet's container GC
// keeps one dead instance per container (MaxPerPodContainer 1), so the
// image it ran stays in use.
func (n *Node) imagesInUse() map[digest.Digest]bool {
	used := make(map[digest.Digest]bool)
	for _, ps := range n.order {
		for _, cs := range [2][]*containerState{ps.init, ps.app} {
			for _, c := range cs {
				if c.started && c.imageRef != "" {
					used[c.imageRef] = true
				}
				if c.prevImageRef != "" {
					used[c.prevImageRef] = true
				}
			}
		}
		// Images mounted as image volumes: what the last ensure of each
		// volume gave.
		if ps.vols != nil {
			for _, v := range ps.vols.list {
				if v.outcome.imageRef != "" {
					used[digest.Digest(v.outcome.imageRef)] = true
				}
			}
		}
	}
	return used
}

// detectImages refreshes the records: new images are detected now (so after
// a kubelet restart every image is new for imageMinimumGCAge), images in use
// are used now, records of vanished images go.
func (n *Node) detectImages(now time.Time) map[digest.Digest]bool {
	used := n.imagesInUse()
	current := make(map[digest.Digest]bool, n.cache.Len())
	for _, img := range n.cache.List() {
		current[img.ID] = true
		r := n.records[img.ID]
		if r == nil {
			r = &imageRecord{firstDetected: now}
			n.records[img.ID] = r
		}
		if used[img.ID] {
			r.lastUsed = now
		}
		r.size, r.pinned = img.Size, img.Pinned
	}
	for id := range n.records {
		if !current[id] {
			delete(n.records, id)
		}
	}
	return used
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
func (n *Node) evictionOrder(used map[digest.Digest]bool) []evictable {
	var out []evictable
	for id, r := range n.records {
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
	return n.garbageCollect(n.now())
}

func (n *Node) garbageCollect(now time.Time) GCResult {
	res := GCResult{At: now, UsageBefore: n.imageFSUsed()}
	used := n.detectImages(now)
	images := n.evictionOrder(used)
	images = n.freeOldImages(&res, images, now)

	capacity := n.cfg.fsCapacity
	available := capacity - n.imageFSUsed()
	switch {
	case capacity == 0:
		// The kubelet returns here, before its post-GC hooks: the
		// KEP-2535 records are not pruned.
		err := errors.New("invalid capacity 0 on image filesystem")
		n.record(now, evNodeWarning, &n.obj, EventInvalidDiskCapacity, err.Error())
		res.Err = err
		res.UsageAfter = n.imageFSUsed()
		n.addGCRun(res)
		return res
	default:
		if available > capacity {
			available = capacity
		}
		if available < 0 {
			available = 0
		}
		usage := 100 - int(mulDiv(available, 100, capacity))
		if usage >= n.cfg.gcHigh {
			toFree := mulDiv(capacity, int64(100-n.cfg.gcLow), 100) - available
			freed, kept := n.freeSpace(&res, images, toFree, now)
			if n.cfg.ensureSecret {
				// The KEP-2535 post-GC hook, before the freed-enough check.
				n.pruneUnknownRecords(kept, now)
			}
			if freed < toFree {
				msg := fmt.Sprintf("Insufficient free disk space on the node's image filesystem (%d%% of %s used). "+
					"Failed to free sufficient space by deleting unused images (freed %d bytes). "+
					"Investigate disk usage, as it could be used by active images, logs, volumes, or other data.",
					usage, formatSize(capacity), freed)
				if n.cfg.before(KubeletV135) {
					msg = fmt.Sprintf("Failed to garbage collect required amount of images. Attempted to free %d bytes, but only found %d bytes eligible to free.", toFree, freed)
				}
				n.record(now, evNodeWarning, &n.obj, EventFreeDiskSpaceFailed, msg)
				res.Err = errors.New(msg)
			}
		}
	}
	res.UsageAfter = n.imageFSUsed()
	n.addGCRun(res)
	return res
}

// freeOldImages is the age pass: with imageMaximumGCAge set and the kubelet
// up for longer than it, unused unpinned images not used for longer are
// removed, with no minimum-age check. It returns the images left.
func (n *Node) freeOldImages(res *GCResult, images []evictable, now time.Time) []evictable {
	if n.cfg.gcMaxAge == 0 || now.Sub(n.kubeletStarted) <= n.cfg.gcMaxAge {
		return images
	}
	var left []evictable
	for _, e := range images {
		if !e.record.pinned && now.Sub(e.record.lastUsed) > n.cfg.gcMaxAge {
			n.removeImage(res, e, "age")
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
func (n *Node) freeSpace(res *GCResult, images []evictable, toFree int64, now time.Time) (int64, map[digest.Digest]bool) {
	var freed int64
	kept := make(map[digest.Digest]bool)
	for _, e := range images {
		if freed >= toFree {
			break
		}
		if e.record.pinned {
			continue // not a candidate
		}
		if !e.spaceEligible(now, n.cfg.gcMinAge) {
			kept[e.id] = true
			continue
		}
		if n.removeImage(res, e, "space") {
			// The kubelet counts the size the runtime reports for the
			// image, layers shared with other images included, although
			// removing it frees only what no other image holds.
			freed += e.record.size
		} else {
			kept[e.id] = true
		}
	}
	return freed, kept
}

// removeImage deletes an image from the runtime and reports whether it was
// there.
func (n *Node) removeImage(res *GCResult, e evictable, reason string) bool {
	img, ok := n.cache.Get(string(e.id))
	if !ok {
		return false
	}
	_ = n.cache.Remove(string(e.id))
	delete(n.records, e.id)
	res.Removed = append(res.Removed, RemovedImage{ID: e.id, Names: append(img.RepoTags, img.RepoDigests...), Size: e.record.size, Reason: reason, LastUsed: e.record.lastUsed})
	return true
}

// DeleteUnusedImages removes every image no container uses, except pinned
// images and images detected less than imageMinimumGCAge ago, whatever the
// disk usage: what the eviction manager does under disk pressure.
func (n *Node) DeleteUnusedImages() GCResult {
	n.catchUp()
	now := n.now()
	res := GCResult{At: now, UsageBefore: n.imageFSUsed()}
	used := n.detectImages(now)
	kept := make(map[digest.Digest]bool)
	for _, e := range n.evictionOrder(used) {
		switch {
		case e.record.pinned:
		case !e.spaceEligible(now, n.cfg.gcMinAge), !n.removeImage(&res, e, "eviction"):
			kept[e.id] = true
		}
	}
	if n.cfg.ensureSecret {
		n.pruneUnknownRecords(kept, now)
	}
	res.UsageAfter = n.imageFSUsed()
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
	if err := n.cache.SetPinned(ref.Name(), pinned); err != nil {
		return fmt.Errorf("node %s: pin image %q: %w", n.name, name, err)
	}
	return nil
}

// MaxGCRuns is how many garbage collection results a node keeps.
const MaxGCRuns = 100

// addGCRun keeps res, dropping the oldest beyond MaxGCRuns.
func (n *Node) addGCRun(res GCResult) {
	if len(n.gcRuns) >= 2*MaxGCRuns {
		n.gcRuns = append(n.gcRuns[:0:0], n.gcRuns[len(n.gcRuns)-MaxGCRuns+1:]...)
	}
	n.gcRuns = append(n.gcRuns, res)
}

// GCRuns returns the latest garbage collections, at most [MaxGCRuns],
// periodic or run with [Node.GarbageCollect], oldest first;
// [Node.DeleteUnusedImages] returns its result but is not listed.
func (n *Node) GCRuns() []GCResult {
	n.catchUp()
	return slices.Clone(n.gcRuns[max(0, len(n.gcRuns)-MaxGCRuns):])
}

// ImageFS returns the image filesystem's capacity and the bytes in use:
// the cached content, shared layers counted once, plus other data
// (SetImageFSOtherUsage).
func (n *Node) ImageFS() (capacity, used int64) {
	n.catchUp()
	return n.cfg.fsCapacity, n.imageFSUsed()
}

// SetImageFSOtherUsage sets how many bytes of the image filesystem hold
// something other than images (logs, writable layers, volumes): space GC
// cannot free.
func (n *Node) SetImageFSOtherUsage(bytes int64) error {
	if bytes < 0 {
		return fmt.Errorf("node %s: other usage %d must not be negative", n.name, bytes)
	}
	n.fsOther = bytes
	return nil
}

// imageFSUsed is the bytes in use on the image filesystem, saturating at
// the largest int64.
func (n *Node) imageFSUsed() int64 {
	u := n.cache.Usage()
	if n.fsOther > math.MaxInt64-u {
		return math.MaxInt64
	}
	return u + n.fsOther
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

// gcIdle reports whether a periodic collection now would change nothing and
// record nothing, and so would every one after it while nothing else
// happens on the node: detection refreshes the records of images in use,
// which only the last run's time matters for. That holds when the size pass
// does not run (usage below the high threshold, a capacity to measure) and
// the age pass has nothing it could ever remove, every image has been
// detected, and no earlier failure waits to be reported.
func (n *Node) gcIdle() bool {
	if len(n.jobs) > 0 || n.gcFailed {
		return false
	}
	for _, img := range n.cache.List() {
		if n.records[img.ID] == nil {
			return false // not yet detected: the next detection dates it
		}
	}
	if !n.gcEnabled() {
		return true
	}
	capacity := n.cfg.fsCapacity
	if capacity == 0 {
		return false
	}
	available := max(0, min(capacity, capacity-n.imageFSUsed()))
	if 100-int(mulDiv(available, 100, capacity)) >= n.cfg.gcHigh {
		return false
	}
	if n.cfg.gcMaxAge == 0 {
		return true
	}
	used := n.imagesInUse()
	for _, img := range n.cache.List() {
		if !img.Pinned && !used[img.ID] {
			return false
		}
	}
	return true
}

// gcEnabled reports whether the periodic GC runs: not when the high
// threshold is 100 and there is no maximum age.
func (n *Node) gcEnabled() bool { return !(n.cfg.gcHigh == 100 && n.cfg.gcMaxAge == 0) }

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

// RestartKubelet simulates a kubelet restart: running containers and the
// image store survive, and so do KEP-2535 pulled records (they are files);
// pull intents left behind become records without credentials for images
// now present. Everything the kubelet keeps in memory starts afresh: image
// GC records (so every image is new for imageMinimumGCAge again), image
// pull backoff, the GC's idea of when the kubelet started and whether the
// last GC failed. Pods are synced again.
func (n *Node) RestartKubelet() {
	n.catchUp()
	now := n.now()
	n.records = make(map[digest.Digest]*imageRecord)
	n.kubeletStarted = now
	n.nextGC = now
	n.gcFailed = false
	n.backOff = newBackOff(n.cfg.backOff, n.cfg.maxBackOff)
	n.qps = newPullThrottle(n.cfg.qps, n.cfg.burst)
	n.crashBackOff = newCrashLoopBackOff(n.cfg.crashLoopPeriods())
	for image := range n.intents {
		if ref, err := n.cfg.refs.Parse(image); err == nil {
			if id, ok := n.cache.ID(ref.Name()); ok && n.pulled[id] == nil {
				n.pulled[id] = &pullRecord{creds: make(map[string]*credentialEntry), updated: now.Truncate(time.Second)}
			}
		}
	}
	n.intents = make(map[string]int)
	for _, ps := range n.order {
		n.syncPod(ps, now)
	}
}
