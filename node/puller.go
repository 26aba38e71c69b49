package node

import (
	"errors"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/imagecache"
	"github.com/pullsim/pullsim/internal/chunk"
	"github.com/pullsim/pullsim/internal/heapq"
	"github.com/pullsim/pullsim/pullpolicy"
	"golang.org/x/time/rate"
)

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

// pullEntry is a finished pull as the puller keeps it, every one for as
// long as the node lives: 56 bytes and no pointers, so that the chunks
// holding a node's pulls are not scanned by the garbage collector and a
// simulation of millions of pulls touches little new memory. Who pulled
// what is a [pullOrigin] that consecutive pulls of one container share;
// the times are the request's, as Unix seconds and nanoseconds in the
// puller's Location, and the start and finish after it. A pull whose times
// would not read back identical (another Location, a monotonic clock
// reading) or whose numbers do not fit is odd: it is kept whole in
// puller.odd.
type pullEntry struct {
	origin            int   // index in puller.origins
	sec               int64 // requested, Unix seconds
	started, finished time.Duration
	bytes             int64
	nsec              int32 // requested, nanoseconds; oddPull for an odd pull
	requests          int32
	err               int32 // index+1 in puller.errTexts; 0: no error
}

// oddPull marks the nsec of a pull kept whole in puller.odd.
const oddPull = -1

// compactPulls lets the puller keep pulls as pullEntry; tests turn it off
// to compare with every pull kept whole.
var compactPulls = true

// pullOrigin is who asked for pulls: the pod, the container (or image
// volume) and the image as written. It names the pod by its strings, not
// by the object reference of its events, so that the pull history, which
// is kept for the node's life, does not keep a deleted pod's references
// alive.
type pullOrigin struct {
	namespace, pod, container string
	ref                       *pullpolicy.ImageRef
}

// addPull keeps the finished pull.
func (p *puller) addPull(obj *ObjectReference, container string, ref *pullpolicy.ImageRef, req, started, finished time.Time, requests int, bytes int64, err string) {
	i := p.pulls.Len()
	if i == 0 {
		p.loc = req.Location()
	}
	e := pullEntry{sec: req.Unix(), nsec: int32(req.Nanosecond()),
		started: started.Sub(req), finished: finished.Sub(req), bytes: bytes, requests: int32(requests)}
	if !compactPulls || time.Unix(e.sec, int64(e.nsec)).In(p.loc) != req || req.Add(e.started) != started || req.Add(e.finished) != finished || int(e.requests) != requests {
		if p.odd == nil {
			p.odd = make(map[int]Pull)
		}
		p.odd[i] = Pull{Namespace: obj.Namespace, Pod: obj.Name, Container: container, Image: ref.Requested(),
			Requested: req, Started: started, Finished: finished, Requests: requests, Bytes: bytes, Err: err}
		p.pulls.Append(pullEntry{nsec: oddPull})
		return
	}
	origin := pullOrigin{obj.Namespace, obj.Name, container, ref}
	if n := p.origins.Len(); n == 0 || *p.origins.At(n - 1) != origin {
		p.origins.Append(origin)
	}
	e.origin = p.origins.Len() - 1
	if err != "" {
		if p.errIndex == nil {
			p.errIndex = make(map[string]int32)
		}
		x, ok := p.errIndex[err]
		if !ok {
			p.errTexts = append(p.errTexts, err)
			x = int32(len(p.errTexts))
			p.errIndex[err] = x
		}
		e.err = x
	}
	p.pulls.Append(e)
}

// pull returns the i-th pull the node finished.
func (p *puller) pull(i int) Pull {
	e := p.pulls.At(i)
	if e.nsec == oddPull {
		return p.odd[i]
	}
	o := p.origins.At(e.origin)
	req := time.Unix(e.sec, int64(e.nsec)).In(p.loc)
	out := Pull{Namespace: o.namespace, Pod: o.pod, Container: o.container, Image: o.ref.Requested(),
		Requested: req, Started: req.Add(e.started), Finished: req.Add(e.finished), Requests: int(e.requests), Bytes: e.bytes}
	if e.err > 0 {
		out.Err = p.errTexts[e.err-1]
	}
	return out
}

// pullJob is one pull request on its way through the puller.
type pullJob struct {
	ps    *podState
	c     *containerState
	ref   *pullpolicy.ImageRef
	key   backOffID     // backoff key
	creds []trackedCred // tried in order; none means an anonymous pull

	requested, started, finished time.Time
	res                          pullResult
	fetched                      []digest.Digest // blobs this job downloads

	found     tristate // whether the image manager found the image (present_locally)
	throttled bool     // refused by the QPS throttle: the runtime was never called
	done      bool
	outcome   ensureOutcome
	blocked   bool // the pod's sync waits for this job
	seq       uint64
	// holds counts the callers that read the job after handing it to the
	// puller (pullImage while it requests, EnsureImage while it waits).
	// A finished job returns to the puller's spares, to be reused by a
	// later pull, only once it has no holds left: nothing may reach it
	// after that.
	holds int
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

// puller is the kubelet's image puller (pkg/kubelet/images/puller.go) on
// virtual time, with the QPS throttle that wraps the image service
// (throttleImagePulling in pkg/kubelet/images/helpers.go). A pull request
// waits in FIFO order for a slot: one slot when pulls are serialized,
// maxParallelImagePulls slots (or unlimited) when they are not. When a slot
// frees, the next request starts: the throttle is consulted, the runtime's
// image service makes its registry requests, and the pull is scheduled to
// finish after the link's latency and transfer time. Only when it finishes
// does the image enter the cache; then done hands the result back to the
// image manager.
type puller struct {
	limit    int // slots; 0 means unlimited
	running  int
	queue    []*pullJob // requests waiting for a slot: queue[head:], oldest first
	head     int
	spare    []*pullJob           // finished jobs nothing reaches any more, for reuse
	jobs     heapq.Heap[*pullJob] // pulls in flight, by finish time
	seq      uint64               // pulls ever started, for their order
	qps      float64              // the throttle's settings, to refill it on a kubelet restart
	burst    int
	throttle *rate.Limiter          // nil when off
	pulls    chunk.List[pullEntry]  // every finished pull (see pullEntry)
	origins  chunk.List[pullOrigin] // who asked for them
	loc      *time.Location         // of the first pull's request time
	odd      map[int]Pull           // pulls kept whole, by index
	errTexts []string               // the runtime's error texts, each once
	errIndex map[string]int32       // index+1 in errTexts by text
	counts   pullCounts
	images   *imageService
	done     func(job *pullJob, at time.Time) // the image manager's continuation
}

// pullCounts count the runtime pulls a puller made.
type pullCounts struct {
	pulls, errors int
	bytes         int64
}

// newPuller returns a puller with slots slots (0: unlimited) and the
// throttle qps and burst give, over the image service images.
func newPuller(slots int, qps float64, burst int, images *imageService) puller {
	return puller{limit: slots, qps: qps, burst: burst, throttle: newPullThrottle(qps, burst), images: images}
}

// restart is a kubelet restart: the throttle's bucket is full again.
func (p *puller) restart() { p.throttle = newPullThrottle(p.qps, p.burst) }

func (p *puller) free() bool { return p.limit == 0 || p.running < p.limit }

// Less orders in-flight jobs by finish time, then by start order.
func (j *pullJob) Less(k *pullJob) bool {
	if !j.finished.Equal(k.finished) {
		return j.finished.Before(k.finished)
	}
	return j.seq < k.seq
}

// reuseJobs lets the puller reuse finished jobs; tests turn it off to
// compare with a run in which every pull has a job of its own.
var reuseJobs = true

// maxSpareJobs caps the spare jobs a puller keeps: enough for a steady
// stream of pulls, little memory per node of a large fleet after a burst.
const maxSpareJobs = 4

// newJob returns an empty job for a pull request: a spare one when there
// is one, so that a node's steady stream of pulls allocates none.
func (p *puller) newJob() *pullJob {
	if n := len(p.spare); n > 0 {
		job := p.spare[n-1]
		p.spare[n-1] = nil
		p.spare = p.spare[:n-1]
		return job
	}
	return new(pullJob)
}

// recycle makes job, finished and held by no one, a spare. Its fields are
// cleared, so that a spare keeps no pod, credential or image alive; the
// array of fetched digests is kept for the next pull.
func (p *puller) recycle(job *pullJob) {
	if !reuseJobs || len(p.spare) >= maxSpareJobs {
		return
	}
	fetched := job.fetched
	clear(fetched)
	*job = pullJob{fetched: fetched[:0]}
	p.spare = append(p.spare, job)
}

// unhold ends one hold on job; the last hold on a finished job recycles it.
func (p *puller) unhold(job *pullJob) {
	if job.holds--; job.holds == 0 && job.done {
		p.recycle(job)
	}
}

// request hands job to the puller at time at. If the pull can start
// and takes no time, it is finished when request returns.
func (p *puller) request(job *pullJob, at time.Time) {
	job.requested = at
	p.queue = append(p.queue, job)
	p.startQueued(at)
}

// startQueued starts queued jobs, oldest first, while slots are free.
func (p *puller) startQueued(at time.Time) {
	for p.head < len(p.queue) && p.free() {
		job := p.queue[p.head]
		p.queue[p.head] = nil
		p.head++
		switch {
		case p.head == len(p.queue):
			// Empty: the array is reused from its start.
			p.queue, p.head = p.queue[:0], 0
		case p.head >= 64 && 2*p.head >= len(p.queue):
			// A queue that never empties would otherwise grow without
			// end: move the waiting requests to the front.
			n := copy(p.queue, p.queue[p.head:])
			clear(p.queue[n:])
			p.queue, p.head = p.queue[:n], 0
		}
		p.start(job, at)
	}
}

var errQPSExceeded = errors.New("pull QPS exceeded")

// start is the moment a slot takes job: the runtime's PullImage begins.
func (p *puller) start(job *pullJob, at time.Time) {
	p.running++
	p.seq++
	job.seq, job.started = p.seq, at
	if p.throttle != nil && !p.throttle.AllowN(at, 1) {
		// The throttle wraps the image service (throttleImagePulling in
		// pkg/kubelet/images/helpers.go): the runtime's PullImage is never
		// called, so this is no runtime pull.
		job.res = pullResult{err: errQPSExceeded}
		job.throttled = true
		job.finished = at
	} else {
		p.counts.pulls++
		job.c.attemptPulled = true
		waitUntil := p.images.fetch(job, at)
		l := p.images.link(job.ref.Domain())
		d := l.Transfer(job.res.requests, job.res.bytes)
		d += time.Duration(job.res.timeouts) * (l.Timeout - l.Latency)
		job.finished = at.Add(d)
		if waitUntil.After(job.finished) {
			job.finished = waitUntil
		}
		for _, d := range job.fetched {
			p.images.inflight[d] = job.finished
		}
	}
	if job.finished.Equal(at) {
		p.finish(job, at)
		return
	}
	p.jobs.Push(job)
}

// finish ends job at time at: the image enters the cache, the kubelet
// records Pulled or Failed, the slot frees and the waiting sync resumes.
func (p *puller) finish(job *pullJob, at time.Time) {
	p.running--
	if job.c.pulling == job {
		job.c.pulling = nil
	}
	for _, d := range job.fetched {
		if p.images.inflight[d].Equal(job.finished) {
			delete(p.images.inflight, d)
		}
	}
	res := &job.res
	if job.throttled {
		p.done(job, at)
		p.release(job)
		return
	}
	if res.err == nil && res.commit {
		img, err := p.images.cache.Add(res.entry)
		if err != nil {
			res.err = errors.New("failed to pull and unpack image " + quote(job.ref.Name()) + ": " + err.Error())
		} else {
			res.id, res.size = img.ID, img.Size
		}
	}
	if res.err == nil && p.images.statusErr != nil {
		// The puller asks ImageStatus for the size after the pull, best
		// effort: when that fails, the Pulled event says 0 bytes.
		res.size = 0
	}
	if res.err == nil {
		p.counts.bytes += res.bytes
	} else {
		p.counts.errors++
	}
	var text string
	if res.err != nil {
		text = res.err.Error()
	}
	p.addPull(job.c.obj, job.c.spec.Name, job.ref, job.requested, job.started, at, res.requests, res.bytes, text)
	p.done(job, at)
	p.release(job)
}

// release recycles job, which the puller and the image manager are done
// with, unless a caller still holds it.
func (p *puller) release(job *pullJob) {
	if job.holds == 0 {
		p.recycle(job)
	}
}

// next returns when the next in-flight pull finishes.
func (p *puller) next() (time.Time, bool) {
	if p.jobs.Len() == 0 {
		return time.Time{}, false
	}
	return p.jobs.Min().finished, true
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
