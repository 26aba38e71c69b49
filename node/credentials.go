package node

import (
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// credLookup computes a pod's credentials for one image at most once per
// EnsureImage, as the kubelet's lazy getPodCredentials does.
type credLookup struct {
	n     *Node
	ps    *podState
	ref   *pullpolicy.ImageRef
	done  bool
	creds []trackedCred
	err   error
}

func (l *credLookup) get() ([]trackedCred, error) {
	if !l.done {
		l.creds, l.err = l.n.podCredentials(l.ps, l.ref)
		l.done = true
	}
	return l.creds, l.err
}

// podCredentials is the kubelet's keyring lookup for a pod's image: the
// pod's pull secrets first, then the node's docker config and credential
// providers. A pull secret that does not parse is an error, returned as it
// is; missing secrets are remembered for the FailedToRetrieveImagePullSecret
// event.
func (n *Node) podCredentials(ps *podState, ref *pullpolicy.ImageRef) ([]trackedCred, error) {
	ps.missingSecrets = ps.missingSecrets[:0]
	var pod keyring
	for _, name := range ps.spec.ImagePullSecrets {
		if name == "" {
			continue
		}
		s, ok := n.cluster.Secret(ps.namespace, name)
		if !ok {
			ps.missingSecrets = append(ps.missingSecrets, name)
			continue
		}
		cfg, ok, err := parseDockerConfig(s)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		pod.add(cfg, func(e dockerConfigEntry) trackedCred {
			return trackedCred{cred: registry.Credential{Username: e.Username, Password: e.Password}, source: fromSecret,
				uid: s.UID, namespace: s.Namespace, name: s.Name, hash: credentialHash(e)}
		})
	}
	creds := pod.lookup(ref.Repository())

	// The node's docker config and the credential plugins are keyrings of
	// their own, looked up in that order, each with its own Docker Hub
	// fallback (UnionDockerKeyring).
	var node keyring
	if len(n.cfg.nodeCreds) > 0 {
		node.add(toConfig(n.cfg.nodeCreds), func(e dockerConfigEntry) trackedCred {
			return trackedCred{cred: registry.Credential{Username: e.Username, Password: e.Password}, source: fromNode}
		})
	}
	creds = append(creds, node.lookup(ref.Repository())...)
	var plugins keyring
	for _, p := range n.cfg.providers {
		c, ok := p.Credentials(ps.namespace, ps.spec.ServiceAccountName)
		if !ok {
			continue
		}
		tc := trackedCred{cred: c, source: fromNode}
		if p.ServiceAccount {
			sa, _ := n.cluster.ServiceAccount(ps.namespace, ps.spec.ServiceAccountName)
			tc = trackedCred{cred: c, source: fromServiceAccount, uid: sa.UID, namespace: sa.Namespace, name: sa.Name}
		}
		cfg := make(map[string]dockerConfigEntry, len(p.MatchImages))
		for _, m := range p.MatchImages {
			cfg[m] = dockerConfigEntry{Username: c.Username, Password: c.Password}
		}
		plugins.add(cfg, func(dockerConfigEntry) trackedCred { return tc })
	}
	return append(creds, plugins.lookup(ref.Repository())...), nil
}

func toConfig(auths map[string]registry.Credential) map[string]dockerConfigEntry {
	cfg := make(map[string]dockerConfigEntry, len(auths))
	for k, c := range auths {
		cfg[k] = dockerConfigEntry{Username: c.Username, Password: c.Password}
	}
	return cfg
}
