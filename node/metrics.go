package node

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pullsim/pullsim/pullpolicy"
)

// metrics are the image manager's metrics, as the kubelet's /metrics
// endpoint exposes them (pkg/kubelet/images/metrics.go and
// pkg/kubelet/metrics), kept in fixed arrays so that counting costs a start
// nothing. The image GC manager counts its removals itself.
type metrics struct {
	// ensure counts EnsureImageExists calls by pull_policy, present_locally
	// and pull_required, each indexed as in ensureLabels.
	ensure [3][3][3]int64
	// pulls are the pull durations of the image size buckets pulled so
	// far, in the order first pulled: a fleet's nodes keep one or two.
	pulls []sizedHistogram
}

// sizedHistogram is the series of one image size bucket: an index of
// imageSizeBuckets, len(imageSizeBuckets) for "N/A".
type sizedHistogram struct {
	size int
	durationHistogram
}

// tristate is a label that is "false", "true" or "unknown": what the
// kubelet had determined when EnsureImageExists returned.
type tristate uint8

const (
	labelFalse tristate = iota
	labelTrue
	labelUnknown
)

var tristateNames = [3]string{"false", "true", "unknown"}

func known(b bool) tristate {
	if b {
		return labelTrue
	}
	return labelFalse
}

// policyIndex is pull_policy's index: the policies in their lowercase
// names' order (always, ifnotpresent, never).
func policyIndex(p pullpolicy.PullPolicy) int {
	switch p {
	case pullpolicy.PullAlways:
		return 0
	case pullpolicy.PullIfNotPresent:
		return 1
	}
	return 2
}

var policyNames = [3]string{"always", "ifnotpresent", "never"}

// ensured counts one EnsureImageExists call, recorded when it returns
// (recordEnsureImageRequest).
func (m *metrics) ensured(policy pullpolicy.PullPolicy, present, required tristate) {
	m.ensure[policyIndex(policy)][present][required]++
}

// imagePullDurationBuckets are kubelet_image_pull_duration_seconds's
// buckets, in seconds.
var imagePullDurationBuckets = [...]float64{1, 5, 10, 20, 30, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600}

// imageSizeBuckets label the pull durations by the image's size: the last
// bucket whose lower bound the size exceeds (GetImageSizeBucket).
var imageSizeBuckets = [...]struct {
	above int64
	label string
}{
	{0, "0-10MB"}, {10 << 20, "10MB-100MB"}, {100 << 20, "100MB-500MB"}, {500 << 20, "500MB-1GB"},
	{1 << 30, "1GB-5GB"}, {5 << 30, "5GB-10GB"}, {10 << 30, "10GB-20GB"}, {20 << 30, "20GB-30GB"},
	{30 << 30, "30GB-40GB"}, {40 << 30, "40GB-60GB"}, {60 << 30, "60GB-100GB"}, {100 << 30, "GT100GB"},
}

// sizeBucket returns the index of size's label: len(imageSizeBuckets) for
// "N/A", an unknown (0) size.
func sizeBucket(size int64) int {
	if size <= 0 {
		return len(imageSizeBuckets)
	}
	for i := len(imageSizeBuckets) - 1; i > 0; i-- {
		if size > imageSizeBuckets[i].above {
			return i
		}
	}
	return 0
}

func sizeLabel(i int) string {
	if i == len(imageSizeBuckets) {
		return "N/A"
	}
	return imageSizeBuckets[i].label
}

// durationHistogram is one series of a histogram of durations.
type durationHistogram struct {
	buckets [len(imagePullDurationBuckets)]int64 // not cumulative
	count   int64
	sum     time.Duration
}

func (h *durationHistogram) observe(d time.Duration) {
	for i, le := range imagePullDurationBuckets {
		if d.Seconds() <= le {
			h.buckets[i]++
			break
		}
	}
	h.count++
	h.sum += d
}

// pulled observes a successful pull: its time including the wait, as the
// Pulled event gives it, by the size the puller reported.
func (m *metrics) pulled(total time.Duration, size int64) {
	b := sizeBucket(size)
	for i := range m.pulls {
		if m.pulls[i].size == b {
			m.pulls[i].observe(total)
			return
		}
	}
	m.pulls = append(m.pulls, sizedHistogram{size: b})
	m.pulls[len(m.pulls)-1].observe(total)
}

// WriteMetrics writes the kubelet's image metrics as its /metrics endpoint
// serves them (the Prometheus text format, families and series sorted,
// series that never counted left out):
//
//   - kubelet_image_manager_ensure_image_requests_total{pull_policy,
//     present_locally, pull_required}: EnsureImageExists calls (kubelets
//     1.35 and later); present_locally is "unknown" under Always, which
//     does not check, and pull_required is "unknown" when the call failed
//     before deciding (ErrImageNeverPull on an absent image, an invalid
//     name, a failed presence check);
//   - kubelet_image_pull_duration_seconds{image_size_in_bytes}: successful
//     pulls, the time including the wait in the queue, by the image's size
//     ("N/A" when the size was unknown);
//   - kubelet_image_garbage_collected_total{reason}: images image GC
//     removed, for "space" (the eviction manager's included) or "age".
//
// A kubelet exposes many other metrics; these are the image manager's.
func (n *Node) WriteMetrics(w io.Writer) error {
	if w == nil {
		return fmt.Errorf("node %s: write metrics: the io.Writer is nil", n.name)
	}
	n.catchUp()
	m := &n.manager.metrics
	b := bufio.NewWriter(w)
	family := func(name, kind, help string) {
		fmt.Fprintf(b, "# HELP %s [ALPHA] %s\n# TYPE %s %s\n", name, help, name, kind)
	}
	if collected := n.gc.collected; collected != [2]int64{} {
		family("kubelet_image_garbage_collected_total", "counter", "Total number of images garbage collected by the kubelet, whether through disk usage or image age.")
		for i, reason := range []string{"age", "space"} {
			if v := collected[1-i]; v > 0 {
				fmt.Fprintf(b, "kubelet_image_garbage_collected_total{reason=%q} %d\n", reason, v)
			}
		}
	}
	if !n.cfg.before(KubeletV135) && m.ensure != [3][3][3]int64{} {
		family("kubelet_image_manager_ensure_image_requests_total", "counter", "Number of ensure-image requests processed by the kubelet.")
		// Labels in name order: present_locally, pull_policy, pull_required.
		for present := range tristateNames {
			for policy := range policyNames {
				for required := range tristateNames {
					if v := m.ensure[policy][present][required]; v > 0 {
						fmt.Fprintf(b, "kubelet_image_manager_ensure_image_requests_total{present_locally=%q,pull_policy=%q,pull_required=%q} %d\n",
							tristateNames[present], policyNames[policy], tristateNames[required], v)
					}
				}
			}
		}
	}
	if len(m.pulls) > 0 {
		family("kubelet_image_pull_duration_seconds", "histogram", "Duration in seconds to pull an image.")
		pulls := slices.Clone(m.pulls)
		slices.SortFunc(pulls, func(a, b sizedHistogram) int { return strings.Compare(sizeLabel(a.size), sizeLabel(b.size)) })
		for i := range pulls {
			h := &pulls[i]
			label := sizeLabel(h.size)
			var cum int64
			for j, le := range imagePullDurationBuckets {
				cum += h.buckets[j]
				fmt.Fprintf(b, "kubelet_image_pull_duration_seconds_bucket{image_size_in_bytes=%q,le=%q} %d\n", label, strconv.FormatFloat(le, 'g', -1, 64), cum)
			}
			fmt.Fprintf(b, "kubelet_image_pull_duration_seconds_bucket{image_size_in_bytes=%q,le=\"+Inf\"} %d\n", label, h.count)
			fmt.Fprintf(b, "kubelet_image_pull_duration_seconds_sum{image_size_in_bytes=%q} %s\n", label, strconv.FormatFloat(h.sum.Seconds(), 'g', -1, 64))
			fmt.Fprintf(b, "kubelet_image_pull_duration_seconds_count{image_size_in_bytes=%q} %d\n", label, h.count)
		}
	}
	return b.Flush()
}
