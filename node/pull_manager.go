package node

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// This file is KEP-2535 "ensure secret pulled images" (feature gate
// KubeletEnsureSecretPulledImages): pull intents, pulled records, the
// credential verification policies and MustAttemptImagePull
// (pkg/kubelet/images/pullmanager).

// Credential verification policies (imagePullCredentialsVerificationPolicy).
const (
	// NeverVerify: any pod may use any present image.
	NeverVerify = "NeverVerify"
	// NeverVerifyPreloadedImages (the default): images the kubelet did not
	// pull itself (side-loaded, pulled before the gate) need no check.
	NeverVerifyPreloadedImages = "NeverVerifyPreloadedImages"
	// NeverVerifyAllowlistedImages: images on
	// preloadedImagesVerificationAllowlist need no check, whoever pulled them.
	NeverVerifyAllowlistedImages = "NeverVerifyAllowlistedImages"
	// AlwaysVerify: every present image is checked.
	AlwaysVerify = "AlwaysVerify"
)

// writeRecordWhileMatchingLimit caps the secrets a record keeps; past it a
// matching hash still admits the pod but is not written back.
const writeRecordWhileMatchingLimit = 100

// pullManager is the kubelet's image pull manager of KEP-2535
// (pkg/kubelet/images/pullmanager): the pull intents written before a pull
// and the pulled records written after it, and the decision whether a pod
// must prove its credentials for an image the node has
// (MustAttemptImagePull).
type pullManager struct {
	cfg    *config
	pulled map[digest.Digest]*pullRecord // pulled records by image ID
	// intents counts the pull intents by image as written. An image whose
	// pulls all ended keeps its key with a count of 0, so that the next
	// pull of it (under Always, every start) neither deletes nor inserts.
	intents map[string]int
	// gen changes at every write of the intents or the records, so an
	// answer read from them (imageManager's present memo) holds while gen
	// stays as it was.
	gen uint64
}

// newPullManager returns an empty pull manager.
func newPullManager(cfg *config) pullManager {
	return pullManager{cfg: cfg, pulled: make(map[digest.Digest]*pullRecord), intents: make(map[string]int)}
}

// restart is a kubelet restart: the intents of pulls that did not finish
// become pulled records of the images that are there, as the kubelet's
// initialisation turns leftover intents into records, and are gone.
func (m *pullManager) restart(images *imageService, now time.Time) {
	m.gen++
	for image, n := range m.intents {
		if n == 0 {
			continue // no pull left behind
		}
		if ref, err := m.cfg.refs.Parse(image); err == nil {
			if id, ok := images.imageStatus(ref); ok && m.pulled[id] == nil {
				m.pulled[id] = &pullRecord{creds: make(map[string]*credentialEntry), updated: now.Truncate(time.Second)}
			}
		}
	}
	m.intents = make(map[string]int)
}

// pullRecord is a pulled record: for one image ID, who pulled it, keyed by
// the image as written without tag and digest, not normalised
// (trimImageTagDigest): "nginx" and "docker.io/library/nginx" are two keys.
type pullRecord struct {
	creds map[string]*credentialEntry
	// updated is when the record was last written, to the whole second
	// as the kubelet stores it (PruneUnknownRecords compares it).
	updated time.Time
}

// touch notes a write of the record at now, to whole-second precision.
func (r *pullRecord) touch(now time.Time) { r.updated = now.Truncate(time.Second) }

// credentialEntry says who may use an image pulled under one key.
type credentialEntry struct {
	// nodePodsAccessible: pulled anonymously or with node-level credentials,
	// so every pod on the node may use it.
	nodePodsAccessible bool
	secrets            []trackedCred // fromSecret, sorted by namespace, name, UID
	serviceAccounts    []trackedCred // fromServiceAccount, same order
}

// requireVerification is RequireCredentialVerificationForImage.
func (m *pullManager) requireVerification(ref *pullpolicy.ImageRef, pulledByKubelet bool) bool {
	switch m.cfg.verifyPolicy() {
	case NeverVerify:
		return false
	case AlwaysVerify:
		return true
	case NeverVerifyAllowlistedImages:
		return !m.allowlisted(ref)
	default: // NeverVerifyPreloadedImages
		return pulledByKubelet
	}
}

// allowlisted matches the image, as written without tag and digest and not
// normalised, against the allowlist: exact entries, and prefixes of entries
// ending in "/*".
func (m *pullManager) allowlisted(ref *pullpolicy.ImageRef) bool {
	name := ref.Untagged()
	if m.cfg.before(KubeletV136) {
		// Until v1.36 the image was compared as written, tag included:
		// "registry.k8s.io/pause" does not match "registry.k8s.io/pause:3.10".
		name = ref.Requested()
	}
	for _, e := range m.cfg.allowlist {
		if prefix, ok := strings.CutSuffix(e, "*"); ok {
			if strings.HasPrefix(name, prefix) {
				return true
			}
		} else if name == e {
			return true
		}
	}
	return false
}

// mustAttemptImagePull is MustAttemptImagePull for a present image under
// IfNotPresent or Never: true when the pod must prove access by pulling.
// creds computes the pod's credentials, at most once; its error is
// returned. anyPod reports that the answer did not read the pod's
// credentials: it is the answer for every pod until gen changes.
func (m *pullManager) mustAttemptImagePull(ref *pullpolicy.ImageRef, id digest.Digest, creds func() ([]trackedCred, error), now time.Time) (must, anyPod bool, err error) {
	rec := m.pulled[id]
	pulledByKubelet := rec != nil || m.intents[ref.Requested()] > 0
	if !m.requireVerification(ref, pulledByKubelet) {
		return false, true, nil
	}
	if rec == nil {
		return true, true, nil
	}
	e := rec.creds[ref.Untagged()]
	switch {
	case e == nil:
		return true, true, nil
	case e.nodePodsAccessible:
		return false, true, nil
	case len(e.secrets) == 0 && len(e.serviceAccounts) == 0:
		return true, true, nil
	}
	pod, err := creds()
	if err != nil {
		return true, false, err
	}
	for _, p := range pod {
		if p.source != fromSecret {
			continue
		}
		for _, c := range e.secrets {
			hashes := c.hash != "" && p.hash == c.hash
			coords := p.uid == c.uid && p.namespace == c.namespace && p.name == c.name
			switch {
			case hashes:
				if !coords && len(e.secrets) < writeRecordWhileMatchingLimit {
					e.secrets, _ = mergeCreds(e.secrets, p)
					rec.touch(now)
					m.gen++
				}
				return false, false, nil
			case coords && len(e.secrets) < writeRecordWhileMatchingLimit:
				// A rotated secret admits the pod only if its new hash can
				// be written back (MustAttemptImagePull).
				e.secrets, _ = mergeCreds(e.secrets, p)
				rec.touch(now)
				m.gen++
				return false, false, nil
			}
		}
	}
	for _, p := range pod {
		if p.source != fromServiceAccount {
			continue
		}
		for _, c := range e.serviceAccounts {
			if p.uid == c.uid && p.namespace == c.namespace && p.name == c.name {
				return false, false, nil
			}
		}
		break // only the pod's first service-account credential counts
	}
	return true, false, nil
}

// mergeCreds adds c to a sorted set keyed by (namespace, name, UID); a new
// hash replaces the old one. changed reports whether the set changed.
func mergeCreds(set []trackedCred, c trackedCred) (_ []trackedCred, changed bool) {
	c.cred = registry.Credential{} // records keep coordinates and hashes, never secrets
	for i, x := range set {
		if x.namespace == c.namespace && x.name == c.name && x.uid == c.uid {
			changed = set[i].hash != c.hash
			set[i].hash = c.hash
			return set, changed
		}
	}
	set = append(set, c)
	slices.SortFunc(set, func(a, b trackedCred) int {
		if x := strings.Compare(a.namespace, b.namespace); x != 0 {
			return x
		}
		if x := strings.Compare(a.name, b.name); x != 0 {
			return x
		}
		return strings.Compare(a.uid, b.uid)
	})
	return set, true
}

func (m *pullManager) recordPullIntent(ref *pullpolicy.ImageRef) {
	m.gen++
	m.intents[ref.Requested()]++
}

// recordPullDone ends a pull intent; after a success it records who pulled:
// nil or node credentials make the image node-accessible.
func (m *pullManager) recordPullDone(ref *pullpolicy.ImageRef, id digest.Digest, ok bool, used *trackedCred, now time.Time) {
	m.gen++
	if k := ref.Requested(); m.intents[k] > 0 {
		m.intents[k]--
	}
	if !ok {
		return
	}
	rec := m.pulled[id]
	if rec == nil {
		rec = &pullRecord{creds: make(map[string]*credentialEntry)}
		m.pulled[id] = rec
	}
	key := ref.Untagged()
	e := rec.creds[key]
	changed := e == nil
	if e == nil {
		e = &credentialEntry{}
		rec.creds[key] = e
	}
	switch {
	case e.nodePodsAccessible:
	case used == nil || used.source == fromNode:
		*e, changed = credentialEntry{nodePodsAccessible: true}, true
	case used.source == fromSecret:
		var merged bool
		e.secrets, merged = mergeCreds(e.secrets, *used)
		changed = changed || merged
	case used.source == fromServiceAccount:
		var merged bool
		e.serviceAccounts, merged = mergeCreds(e.serviceAccounts, *used)
		changed = changed || merged
	}
	// The kubelet writes the record only when the pull changed it
	// (writePulledRecordIfChanged): a pull with credentials already
	// recorded leaves its time, which GC's pruning compares.
	if changed {
		rec.touch(now)
	}
}

// validateVerification checks the KEP-2535 kubelet settings as the kubelet
// does.
func (o *config) validateVerification() []string {
	var errs []string
	if !o.ensureSecret {
		if o.verification != nil && *o.verification != "" {
			errs = append(errs, "invalid configuration: `imagePullCredentialsVerificationPolicy` must not be set if KubeletEnsureSecretPulledImages feature gate is not enabled")
		}
		if len(o.allowlist) > 0 {
			errs = append(errs, "invalid configuration: `preloadedImagesVerificationAllowlist` must not be set if KubeletEnsureSecretPulledImages feature gate is not enabled")
		}
		return errs
	}
	switch p := o.verifyPolicy(); p {
	case NeverVerify, NeverVerifyPreloadedImages, NeverVerifyAllowlistedImages, AlwaysVerify:
	default:
		errs = append(errs, fmt.Sprintf("invalid configuration: option %q specified for imagePullCredentialsVerificationPolicy. Valid options are %q, %q, %q or %q",
			p, NeverVerify, NeverVerifyPreloadedImages, NeverVerifyAllowlistedImages, AlwaysVerify))
	}
	if len(o.allowlist) > 0 && o.verifyPolicy() != NeverVerifyAllowlistedImages {
		errs = append(errs, "invalid configuration: can't set `preloadedImagesVerificationAllowlist` if `imagePullCredentialsVertificationPolicy` is not \"NeverVerifyAllowlistedImages\"")
	} else if err := validateAllowlist(o.allowlist); err != nil {
		errs = append(errs, "invalid configuration: invalid image pattern in `preloadedImagesVerificationAllowlist`: "+err.Error())
	}
	return errs
}

// validateAllowlist checks allowlist patterns; the first bad one is the error.
func validateAllowlist(list []string) error {
	for _, p := range list {
		if err := validatePattern(p); err != nil {
			return err
		}
	}
	return nil
}

func validatePattern(p string) error {
	if p != strings.TrimSpace(p) {
		return fmt.Errorf("leading/trailing spaces are not allowed: %s", p)
	}
	rest, wildcard := strings.CutSuffix(p, "/*")
	if wildcard {
		rest += "/"
	}
	switch {
	case rest == "":
		return fmt.Errorf("the supplied pattern is too short: %s", p)
	case strings.Contains(rest, "*"):
		return fmt.Errorf("not a valid wildcard pattern, only patterns ending with '/*' are allowed: %s", p)
	case wildcard && len(rest) == 1:
		return fmt.Errorf("at least registry hostname is required")
	case wildcard:
		return nil
	}
	// Entries are parsed as written, without normalising: "ubuntu" is a
	// valid entry and matches "ubuntu", "ubuntu:tagged" and "ubuntu@sha256:…".
	ref, err := reference.Parse(rest)
	if err != nil {
		return fmt.Errorf("failed to parse as an image name: %w", err)
	}
	named, ok := ref.(reference.Named)
	if !ok || rest != named.Name() {
		return fmt.Errorf("neither tag nor digest is accepted in an image reference: %s", p)
	}
	return nil
}

// pruneUnknownRecords is PruneUnknownRecords: every pulled record whose
// image is not in keep and that was last written before until (the GC
// call's start) goes. The kubelet calls it after a size-based GC pass and
// after DeleteUnusedImages with the eviction candidates those kept, so the
// records of images in use and of pinned images, which are never
// candidates, are pruned too: such an image then counts as preloaded.
func (m *pullManager) pruneUnknownRecords(keep map[digest.Digest]bool, until time.Time) {
	for id, rec := range m.pulled {
		if !keep[id] && rec.updated.Before(until) {
			delete(m.pulled, id)
			m.gen++
		}
	}
}
