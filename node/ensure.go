package node

import (
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// EnsureImage runs the kubelet's EnsureImageExists for one container of a
// pod: the presence check the policy asks for, the pull decision, the
// KEP-2535 credential check, backoff and the pull, with the kubelet's
// events. It returns what the kubelet returns: the image ref to start the
// container with (the image ID), a message (set on failures and for an
// already present image), and an error whose text is the waiting reason
// (match it with errors.Is against the pullpolicy errors).
//
// EnsureImage does not start the container or change its status; syncing
// the pod does both. It fails with ErrNotFound for an unknown pod or
// container.
func (n *Node) EnsureImage(namespace, pod, container string) (imageRef, message string, err error) {
	ps := n.pods[podKey(namespace, pod)]
	if ps == nil {
		return "", "", n.notFound(namespace, pod)
	}
	c := ps.container(container)
	if c == nil {
		return "", "", &apiError{ErrNotFound, fmt.Sprintf("container %q not found in pod %q", container, pod)}
	}
	return n.ensureImage(ps, c)
}

func (ps *podState) container(name string) *containerState {
	for _, cs := range [2][]*containerState{ps.init, ps.app} {
		for _, c := range cs {
			if c.spec.Name == name {
				return c
			}
		}
	}
	return nil
}

// ensureImage is EnsureImageExists (pkg/kubelet/images/image_manager.go).
func (n *Node) ensureImage(ps *podState, c *containerState) (string, string, error) {
	n.counts.EnsureImage++
	image, policy := c.spec.Image, c.spec.ImagePullPolicy
	ref, err := n.cfg.refs.Parse(image)
	if err != nil {
		msg := fmt.Sprintf("Failed to apply default image tag %q: %v", image, err)
		n.record(evInvalidName, &c.obj, image, msg)
		return "", msg, pullpolicy.ErrInvalidImageName
	}

	var id digest.Digest
	present := false
	if pullpolicy.NeedsPresenceCheck(policy) {
		if n.statusErr != nil {
			// The quirk is the kubelet's: it quotes the (empty) image ref.
			msg := fmt.Sprintf("Failed to inspect image %q: %v", "", n.statusErr)
			n.record(evInspectFailed, &c.obj, image, msg)
			return "", msg, pullpolicy.ErrImageInspect
		}
		id, present = n.cache.ID(ref.Name())
	}
	switch pullpolicy.Decide(policy, present) {
	case pullpolicy.UseCached:
		if !n.cfg.ensureSecret || !n.mustAttemptImagePull(ref, id) {
			n.counts.CacheHits++
			return string(id), n.presentMessage(c), nil
		}
		if policy == pullpolicy.PullNever {
			// KEP-2535 denial under Never reads as "not present".
			return n.neverPull(c, image)
		}
	case pullpolicy.NeverPull:
		return n.neverPull(c, image)
	}
	return n.pullImage(ps, c, ref)
}

// presentMessage records the "already present" event and returns its text,
// which the kubelet also returns as EnsureImageExists's message. The text is
// built once per container.
func (n *Node) presentMessage(c *containerState) string {
	kind := evPresent
	if n.cfg.ensureSecret {
		kind = evPresentAccess
	}
	n.record(kind, &c.obj, c.spec.Image, "")
	if c.presentMsg == "" {
		r := eventRecord{kind: kind, obj: &c.obj, image: c.spec.Image}
		c.presentMsg = r.event().Message
	}
	return c.presentMsg
}

func (n *Node) neverPull(c *containerState, image string) (string, string, error) {
	n.record(evNeverPull, &c.obj, image, "")
	return "", neverPullMessage(image), pullpolicy.ErrImageNeverPull
}

// pullImage is the kubelet's pullImage: intent, backoff, Pulling, the
// runtime's PullImage, then Pulled or Failed.
func (n *Node) pullImage(ps *podState, c *containerState, ref *pullpolicy.ImageRef) (string, string, error) {
	image := ref.Requested()
	if n.cfg.ensureSecret {
		n.recordPullIntent(ref)
	}
	now := n.clock.Now()
	key := ps.uid + "_" + image
	if n.backOff.InBackOffSinceUpdate(key, now) {
		if n.cfg.ensureSecret {
			n.recordPullDone(ref, "", false, credentialSource{})
		}
		n.record(evBackOff, &c.obj, image, "")
		msg := fmt.Sprintf("Back-off pulling image %q", image)
		if prev, ok := n.prevErr[key]; ok {
			msg += ": " + prev
		}
		return "", msg, pullpolicy.ErrImagePullBackOff
	}
	delete(n.prevErr, key)
	n.record(evPulling, &c.obj, image, "")

	res := n.runtimePull(ref, registry.Credential{})
	if n.cfg.ensureSecret {
		n.recordPullDone(ref, res.id, res.err == nil, credentialSource{})
	}
	if res.err != nil {
		n.record(evPullFailed, &c.obj, image, res.err.Error())
		n.backOff.Next(key, n.clock.Now())
		msg, reason := evalCRIPullErr(ref, res.err)
		n.prevErr[key] = reason.Error() + ": " + msg
		return "", msg, reason
	}
	n.record(evPulled, &c.obj, ref.SpecImage(), fmt.Sprintf("in %v (%v including waiting). Image size: %d bytes.", res.pull, res.total, res.size))
	n.backOff.GC(n.clock.Now())
	return string(res.id), "", nil
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
			return fmt.Sprintf("image pull failed for %s because %s%s", ref.SpecImage(), c.why, rest), c.reason
		}
	}
	return text, pullpolicy.ErrImagePull
}
