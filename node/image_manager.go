package node

import (
	"fmt"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/imagecache"
	"github.com/pullsim/pullsim/pullpolicy"
)

// imageManager is the kubelet's image manager
// (pkg/kubelet/images/image_manager.go): EnsureImageExists, which checks
// the image's presence as the pull policy asks, consults the pull manager
// (KEP-2535) and the pull backoff, hands pulls to the puller and records
// the image events. Its backoff is the kubelet's per pod and image, 10s
// doubling to 300s by default.
type imageManager struct {
	cfg     *config
	rec     *recorder
	images  *imageService
	puller  *puller
	records *pullManager
	creds   *credentials
	backOff *backOff
	counts  struct{ ensure, hits int }
	metrics metrics
	// The "already present" and ErrImageNeverPull texts, built once per
	// image as written.
	presentMsgs, neverMsgs map[string]string
	hit                    presentMemo // the last cache hit's answer
}

// presentMemo is the answer of a cache hit (UseCached on a present image)
// that holds for any pod: the image ID and the "already present" text for
// the image ref under the pull policy. It holds while the image cache and
// the KEP-2535 pull records are as they were (their generations): the
// answer reads nothing else, unless the KEP-2535 check read the pod's
// credentials, and then it is not memoised. The zero memo matches no
// container (a container with an image has a ref).
type presentMemo struct {
	ref                  *pullpolicy.ImageRef
	policy               pullpolicy.PullPolicy
	cache                *imagecache.Cache
	cacheGen, recordsGen uint64
	id                   digest.Digest
	msg                  string
}

// presentMemos lets the image manager answer from its present memo; tests
// turn it off to compare with every answer computed.
var presentMemos = true

// EnsureImage runs the kubelet's EnsureImageExists for one container of a
// pod: the presence check the policy asks for, the pull decision, the
// KEP-2535 credential check, backoff and the pull, with the kubelet's
// events. It returns what the kubelet returns: the image ref to start the
// container with (the image ID), a message (set on failures and for an
// already present image), and an error whose text is the waiting reason
// (match it with errors.Is against the pullpolicy errors).
//
// Like the kubelet's call, EnsureImage waits for its pull: when the pull
// queues or takes time, virtual time advances until it is done (the node's
// other work up to then happens meanwhile), which needs a clock with
// SetTime such as *[ManualClock]; with another clock EnsureImage fails
// before doing anything. EnsureImage does not start the container or change
// its status; syncing the pod does both. It fails with ErrNotFound for an
// unknown pod or container.
func (n *Node) EnsureImage(namespace, pod, container string) (imageRef, message string, err error) {
	if _, ok := n.clock.(settableClock); !ok {
		return "", "", fmt.Errorf("node %s: ensure image: the clock (%T) has no SetTime method to wait for a pull with; use a *node.ManualClock", n.name, n.clock)
	}
	ps, c, now, err := n.podContainerAt(namespace, pod, container)
	if err != nil {
		return "", "", err
	}
	// A pull already in flight for this container is joined, never
	// doubled: the kubelet's pod worker for the pod is waiting on it.
	job := c.pulling
	if job == nil {
		var o ensureOutcome
		if o, job = n.manager.ensureImage(ps, c, now); job == nil {
			return o.imageRef, o.msg, o.err
		}
	}
	// Held, the job is not reused while this call waits on it and reads
	// its outcome, even if it finishes on the way.
	job.holds++
	defer n.puller.unhold(job)
	for !job.done {
		next, ok := n.puller.next()
		if !ok {
			return "", "", fmt.Errorf("node %s: ensure image: pull of %q is queued with nothing running", n.name, c.spec.Image)
		}
		if err := Run(next, n); err != nil {
			return "", "", fmt.Errorf("node %s: ensure image %q: waiting for the pull: %w", n.name, c.spec.Image, err)
		}
	}
	return job.outcome.imageRef, job.outcome.msg, job.outcome.err
}

// ensureImage is EnsureImageExists (pkg/kubelet/images/image_manager.go) at
// time now. When it hands a pull to the puller that does not finish at
// once, it returns the job; the outcome arrives when the job is done.
func (m *imageManager) ensureImage(ps *podState, c *containerState, now time.Time) (ensureOutcome, *pullJob) {
	m.counts.ensure++
	image, policy := c.spec.Image, c.spec.ImagePullPolicy
	ref := c.ref
	if ref == nil {
		_, err := m.cfg.refs.Parse(image) // memoised: the error of the first parse
		msg := fmt.Sprintf("Failed to apply default image tag %q: %v", image, err)
		m.rec.record(now, evInvalidName, c.obj, image, msg)
		m.metrics.ensured(policy, labelUnknown, labelUnknown)
		return ensureOutcome{"", msg, pullpolicy.ErrInvalidImageName}, nil
	}

	var id digest.Digest
	present := false
	found := labelUnknown // present_locally: Always does not check
	if pullpolicy.NeedsPresenceCheck(policy) {
		if m.images.statusErr != nil {
			// The quirk is the kubelet's: it quotes the (empty) image ref.
			msg := fmt.Sprintf("Failed to inspect image %q: %v", "", m.images.statusErr)
			m.rec.record(now, evInspectFailed, c.obj, image, msg)
			m.metrics.ensured(policy, labelUnknown, labelUnknown)
			return ensureOutcome{"", msg, pullpolicy.ErrImageInspect}, nil
		}
		cache := m.images.cache
		if h := &m.hit; presentMemos && h.ref == ref && h.policy == policy && h.cache == cache &&
			h.cacheGen == cache.Generation() && h.recordsGen == m.records.gen {
			m.counts.hits++
			m.rec.record(now, m.presentKind(), c.obj, image, "")
			m.metrics.ensured(policy, labelTrue, labelFalse)
			return ensureOutcome{string(h.id), h.msg, nil}, nil
		}
		id, present = m.images.imageStatus(ref)
		found = known(present)
	}
	lookup := credLookup{creds: m.creds, ps: ps, ref: ref}
	anyPod := true
	if present && m.cfg.ensureSecret {
		// KEP-2535: an image this pod may not use without proving its
		// credentials is, for the decision, not there. Under Never that
		// reads "not present", as the kubelet means it to.
		must, forAll, err := m.records.mustAttemptImagePull(ref, id, lookup.get, now)
		if err != nil {
			m.metrics.ensured(policy, labelTrue, labelUnknown)
			return ensureOutcome{"", err.Error(), err}, nil
		}
		present, anyPod = !must, forAll
	}
	switch pullpolicy.Decide(policy, present) {
	case pullpolicy.UseCached:
		m.counts.hits++
		msg := m.presentMessage(c, now)
		if present && anyPod {
			cache := m.images.cache
			m.hit = presentMemo{ref: ref, policy: policy, cache: cache, cacheGen: cache.Generation(), recordsGen: m.records.gen, id: id, msg: msg}
		}
		m.metrics.ensured(policy, labelTrue, labelFalse)
		return ensureOutcome{string(id), msg, nil}, nil
	case pullpolicy.NeverPull:
		// Absent, the kubelet returns before deciding; present but not
		// for this pod (KEP-2535), it has decided to pull.
		required := labelUnknown
		if found == labelTrue {
			required = labelTrue
		}
		m.metrics.ensured(policy, found, required)
		return m.neverPull(c, image, now), nil
	}
	creds, err := lookup.get()
	if err != nil {
		// A pull secret that does not parse: the raw error, whose text
		// becomes the waiting reason.
		m.metrics.ensured(policy, found, labelTrue)
		return ensureOutcome{"", err.Error(), err}, nil
	}
	return m.pullImage(ps, c, ref, creds, found, now)
}

// presentMessage records the "already present" event and returns its text,
// which the kubelet also returns as EnsureImageExists's message. The text is
// built once per image on the node.
func (m *imageManager) presentMessage(c *containerState, now time.Time) string {
	kind := m.presentKind()
	m.rec.record(now, kind, c.obj, c.spec.Image, "")
	msg, ok := m.presentMsgs[c.spec.Image]
	if !ok {
		r := eventRecord{kind: kind, obj: c.obj, image: c.spec.Image}
		msg = r.event().Message
		m.presentMsgs[c.spec.Image] = msg
	}
	return msg
}

// presentKind is the kind of the "already present" event: with KEP-2535 on,
// the kubelet says the pod can access the image.
func (m *imageManager) presentKind() eventKind {
	if m.cfg.ensureSecret {
		return evPresentAccess
	}
	return evPresent
}

// neverPull records ErrImageNeverPull and returns its outcome, whose
// message is built once per image on the node.
func (m *imageManager) neverPull(c *containerState, image string, now time.Time) ensureOutcome {
	m.rec.record(now, evNeverPull, c.obj, image, "")
	msg, ok := m.neverMsgs[image]
	if !ok {
		msg = neverPullMessage(image)
		m.neverMsgs[image] = msg
	}
	return ensureOutcome{"", msg, pullpolicy.ErrImageNeverPull}
}

// pullImage is the kubelet's pullImage up to handing the request to the
// puller: intent, backoff, Pulling.
func (m *imageManager) pullImage(ps *podState, c *containerState, ref *pullpolicy.ImageRef, creds []trackedCred, found tristate, now time.Time) (ensureOutcome, *pullJob) {
	image := ref.Requested()
	if m.cfg.ensureSecret {
		m.records.recordPullIntent(ref)
	}
	key := backOffID{ps.uid(), image}
	if e, in := m.backOff.window(key, now); in {
		if m.cfg.ensureSecret {
			m.records.recordPullDone(ref, "", false, nil, now)
		}
		m.rec.record(now, evBackOff, c.obj, image, "")
		m.metrics.ensured(c.spec.ImagePullPolicy, found, labelTrue)
		return ensureOutcome{"", e.msg, pullpolicy.ErrImagePullBackOff}, nil
	}
	m.rec.record(now, evPulling, c.obj, image, "")
	job := m.puller.newJob()
	job.ps, job.c, job.ref, job.key, job.creds, job.found = ps, c, ref, key, creds, found
	// Held while requested: a pull that finishes at once must not be
	// reused before its outcome is read here.
	job.holds++
	m.puller.request(job, now)
	if job.done {
		o := job.outcome
		m.puller.unhold(job)
		return o, nil
	}
	job.holds--
	c.pulling = job
	return ensureOutcome{}, job
}

// pullDone is the rest of the kubelet's pullImage, when the puller answers
// at time at: Pulled or Failed, backoff, and the KEP-2535 records.
func (m *imageManager) pullDone(job *pullJob, at time.Time) ensureOutcome {
	ref, res := job.ref, &job.res
	if m.cfg.ensureSecret {
		m.records.recordPullDone(ref, res.id, res.err == nil, res.used, at)
	}
	m.metrics.ensured(job.c.spec.ImagePullPolicy, job.found, labelTrue)
	if res.err != nil {
		m.rec.record(at, evPullFailed, job.c.obj, ref.Requested(), res.err.Error())
		msg, reason := evalCRIPullErr(ref, res.err)
		m.backOff.Next(job.key, at).msg = fmt.Sprintf("Back-off pulling image %q: %s: %s", ref.Requested(), reason, msg)
		return ensureOutcome{"", msg, reason}
	}
	pull := at.Sub(job.started).Truncate(time.Millisecond)
	total := at.Sub(job.requested).Truncate(time.Millisecond)
	m.rec.recordPulled(at, job.c.obj, ref.Requested(), pull, total, res.size)
	m.metrics.pulled(total, res.size)
	m.backOff.GC(at)
	return ensureOutcome{string(res.id), "", nil}
}

// evalCRIPullErr classifies a runtime pull error by its text, as the kubelet
// must with gRPC errors: RegistryUnavailable and SignatureValidationFailed
// prefixes get their own reasons, everything else is ErrImagePull with the
// raw text.
func evalCRIPullErr(ref *pullpolicy.ImageRef, err error) (string, error) {
	text := err.Error()
	for _, c := range []struct {
		reason error
		why    string
	}{
		{pullpolicy.ErrRegistryUnavailable, "the registry is unavailable"},
		{pullpolicy.ErrSignatureValidationFailed, "the signature validation failed"},
	} {
		if rest, ok := strings.CutPrefix(text, c.reason.Error()); ok {
			return fmt.Sprintf("image pull failed for %s because %s%s", ref.Requested(), c.why, rest), c.reason
		}
	}
	return text, pullpolicy.ErrImagePull
}
