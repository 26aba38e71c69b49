package node

import (
	"container/heap"
	"errors"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/imagecache"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
	"golang.org/x/time/rate"
)

// This file is the kubelet's image puller (pkg/kubelet/images/puller.go) on
// virtual time. A pull request waits in FIFO order for a slot: one slot
// when pulls are serialized, maxParallelImagePulls slots (or unlimited)
// when they are not. When a slot frees, the next request starts: the QPS
// throttle is consulted, the runtime makes its registry requests, and the
// pull is scheduled to finish after the link's latency and transfer time.
// Only when it finishes does the image enter the cache and the waiting pod
// sync resume.

// Pull is one runtime PullImage call as the node saw it.
type Pull struct {
	Namespace, Pod string
	Container      string    // the container, or the image volume, it pulled for
	Image          string    // as written
	Requested      time.Time // when the kubelet handed it to the puller
	Started        time.Time // when a puller slot took it
	Finished       time.Time
	Requests       int    // registry requests made
	Bytes          int64  // blob bytes downloaded
	Err            string // the runtime's error text; "" on success
}

// Waiting is how long the pull queued for a puller slot.
func (p Pull) Waiting() time.Duration { return p.Started.Sub(p.Requested) }

// Duration is the pull's own time, from slot to finish.
func (p Pull) Duration() time.Duration { return p.Finished.Sub(p.Started) }

// pullJob is one pull request on its way through the puller.
type pullJob struct {
	ps    *podState
	c     *containerState
	ref   *pullpolicy.ImageRef
	key   string        // backoff key
	creds []trackedCred // tried in order; none means an anonymous pull

	requested, started, finished time.Time
	res                          pullResult
	fetched                      []digest.Digest // blobs this job downloads

	throttled bool // refused by the QPS throttle: the runtime was never called
	done      bool
	outcome   ensureOutcome
	blocked   bool // the pod's sync waits for this job
	seq       uint64
}

// ensureOutcome is EnsureImageExists's result.
type ensureOutcome struct {
	imageRef string
	msg      string
	err      error
}

type pullResult struct {
	id       digest.Digest
	size     int64
	entry    imagecache.Entry // to commit at finish; Names empty when nothing to add
	commit   bool
	requests int
	bytes    int64
	timeouts int          // requests that timed out
	used     *trackedCred // the credential that succeeded; nil: anonymous
	err      error
}

// puller is the queue and the slots.
type puller struct {
	limit   int // slots; 0 means unlimited
	running int
	queue   []*pullJob
}

func (p *puller) free() bool { return p.limit == 0 || p.running < p.limit }

// jobHeap orders in-flight jobs by finish time, then by start order.
type jobHeap []*pullJob

func (h jobHeap) Len() int { return len(h) }
func (h jobHeap) Less(i, j int) bool {
	if !h[i].finished.Equal(h[j].finished) {
		return h[i].finished.Before(h[j].finished)
	}
	return h[i].seq < h[j].seq
}
func (h jobHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *jobHeap) Push(x any)   { *h = append(*h, x.(*pullJob)) }
func (h *jobHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return j
}

// requestPull hands job to the puller at time at. If the pull can start
// and takes no time, it is finished when requestPull returns.
func (n *Node) requestPull(job *pullJob, at time.Time) {
	job.requested = at
	n.puller.queue = append(n.puller.queue, job)
	n.startQueued(at)
}

// startQueued starts queued jobs, oldest first, while slots are free.
func (n *Node) startQueued(at time.Time) {
	for len(n.puller.queue) > 0 && n.puller.free() {
		job := n.puller.queue[0]
		n.puller.queue[0] = nil
		n.puller.queue = n.puller.queue[1:]
		if len(n.puller.queue) == 0 {
			n.puller.queue = n.puller.queue[:0:0] // let the backing array go; the next append starts small
		}
		n.startPull(job, at)
	}
}

var errQPSExceeded = errors.New("pull QPS exceeded")

// startPull is the moment a slot takes job: the runtime's PullImage begins.
func (n *Node) startPull(job *pullJob, at time.Time) {
	n.puller.running++
	n.seq++
	job.seq, job.started = n.seq, at
	if n.qps != nil && !n.qps.AllowN(at, 1) {
		// The throttle wraps the image service (throttleImagePulling in
		// pkg/kubelet/images/helpers.go): the runtime's PullImage is never
		// called, so this is no runtime pull.
		job.res = pullResult{err: errQPSExceeded}
		job.throttled = true
		job.finished = at
	} else {
		n.counts.Pulls++
		job.c.attemptPulled = true
		waitUntil := n.fetch(job, at)
		l := n.link(job.ref.Domain())
		d := l.Transfer(job.res.requests, job.res.bytes)
		d += time.Duration(job.res.timeouts) * (l.Timeout - l.Latency)
		job.finished = at.Add(d)
		if waitUntil.After(job.finished) {
			job.finished = waitUntil
		}
		for _, d := range job.fetched {
			n.inflight[d] = job.finished
		}
	}
	if job.finished.Equal(at) {
		n.finishPull(job, at)
		return
	}
	heap.Push(&n.jobs, job)
}

// link returns the network link to host.
func (n *Node) link(host string) registry.Link {
	if n.timed == nil {
		return registry.InstantLink
	}
	return n.timed.Link(host)
}

// finishPull ends job at time at: the image enters the cache, the kubelet
// records Pulled or Failed, the slot frees and the waiting sync resumes.
func (n *Node) finishPull(job *pullJob, at time.Time) {
	n.puller.running--
	if job.c.pulling == job {
		job.c.pulling = nil
	}
	for _, d := range job.fetched {
		if n.inflight[d].Equal(job.finished) {
			delete(n.inflight, d)
		}
	}
	res := &job.res
	if job.throttled {
		job.outcome = n.pullDone(job, at)
		job.done = true
		n.startQueued(at)
		if job.blocked {
			n.resumeSync(job.ps, job.c, at, job.outcome)
		}
		return
	}
	if res.err == nil && res.commit {
		img, err := n.cache.Add(res.entry)
		if err != nil {
			res.err = errors.New("failed to pull and unpack image " + quote(job.ref.Name()) + ": " + err.Error())
		} else {
			res.id, res.size = img.ID, img.Size
		}
	}
	if res.err == nil {
		n.counts.BytesPulled += res.bytes
	} else {
		n.counts.PullErrors++
	}
	p := Pull{Namespace: job.c.obj.Namespace, Pod: job.c.obj.Name, Container: job.c.spec.Name,
		Image: job.ref.Requested(), Requested: job.requested, Started: job.started, Finished: at, Requests: res.requests, Bytes: res.bytes}
	if res.err != nil {
		p.Err = res.err.Error()
	}
	n.pulls.Append(p)

	job.outcome = n.pullDone(job, at)
	job.done = true
	n.startQueued(at)
	if job.blocked {
		n.resumeSync(job.ps, job.c, at, job.outcome)
	}
}

// process finishes, in time order, every in-flight pull due by t, and
// fires every container timer (exits, terminations) due by t; at equal
// times pulls go first.
func (n *Node) process(t time.Time) {
	for {
		jobAt, hasJob := n.nextJob()
		timerAt, hasTimer := n.nextTimer()
		switch {
		case hasJob && !jobAt.After(t) && (!hasTimer || !timerAt.Before(jobAt)):
			job := heap.Pop(&n.jobs).(*pullJob)
			n.finishPull(job, job.finished)
		case hasTimer && !timerAt.After(t):
			n.fire(heap.Pop(&n.timers).(*timer))
		default:
			return
		}
	}
}

// catchUp brings the node to its clock's time before it acts or answers:
// pulls that finished meanwhile finish now, in order, at their own times,
// and events older than the TTL expire.
func (n *Node) catchUp() {
	now := n.now()
	n.process(now)
	n.events.expire(now)
}

// nextJob returns when the next in-flight pull finishes.
func (n *Node) nextJob() (time.Time, bool) {
	if len(n.jobs) == 0 {
		return time.Time{}, false
	}
	return n.jobs[0].finished, true
}

// newPullThrottle is the kubelet's pull throttle: client-go's token bucket
// (flowcontrol.NewTokenBucketRateLimiter, a rate.Limiter), full at first,
// refilled at qps tokens a second up to burst, asked without waiting
// (TryAccept is AllowN(now, 1)). A qps of 0 disables it: nil.
func newPullThrottle(qps float64, burst int) *rate.Limiter {
	if qps == 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(qps), burst)
}
