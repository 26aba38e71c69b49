package node

import (
	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/pullpolicy"
)

// pullRecord is a KEP-2535 "pulled record": for one image ID, which
// credentials pulled it, keyed by the requested image without tag or digest
// as trimImageTagDigest computes it, which normalises: "nginx:1" and
// "docker.io/library/nginx:1" share the key docker.io/library/nginx.
type pullRecord struct {
	creds map[string]*credentialEntry
}

// credentialEntry says who may use an image pulled under one key.
type credentialEntry struct {
	// nodePodsAccessible: pulled anonymously or with node-level credentials,
	// so every pod on the node may use it.
	nodePodsAccessible bool
}

// credentialSource says where the credentials of a successful pull came
// from; the zero value is an anonymous pull.
type credentialSource struct{}

// mustAttemptImagePull is the KEP-2535 decision for a present image under
// IfNotPresent or Never (MustAttemptImagePull): true when the pod has to
// prove, by pulling, that it may use the image.
func (n *Node) mustAttemptImagePull(ref *pullpolicy.ImageRef, id digest.Digest) bool {
	rec := n.pulled[id]
	// NeverVerifyPreloadedImages: verify only what the kubelet pulled itself.
	if rec == nil && n.intents[ref.Requested()] == 0 {
		return false
	}
	if rec == nil {
		return true
	}
	e := rec.creds[ref.Repository()]
	if e == nil {
		return true
	}
	return !e.nodePodsAccessible
}

func (n *Node) recordPullIntent(ref *pullpolicy.ImageRef) {
	n.intents[ref.Requested()]++
}

// recordPullDone ends a pull intent; after a success it records who pulled.
func (n *Node) recordPullDone(ref *pullpolicy.ImageRef, id digest.Digest, ok bool, _ credentialSource) {
	if k := ref.Requested(); n.intents[k] <= 1 {
		delete(n.intents, k)
	} else {
		n.intents[k]--
	}
	if !ok {
		return
	}
	rec := n.pulled[id]
	if rec == nil {
		rec = &pullRecord{creds: make(map[string]*credentialEntry)}
		n.pulled[id] = rec
	}
	e := rec.creds[ref.Repository()]
	if e == nil {
		e = &credentialEntry{}
		rec.creds[ref.Repository()] = e
	}
	e.nodePodsAccessible = true
}
