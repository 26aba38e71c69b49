package node

import (
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// credentials are where the kubelet finds image pull credentials for a
// pod: the pod's pull secrets (getPullSecretsForPod, made into a keyring by
// credentialprovider/secrets.MakeDockerKeyring), the node's docker config
// (the credentialprovider package's default keyring) and the credential
// provider plugins (pkg/credentialprovider/plugin).
type credentials struct {
	cluster   *Cluster
	node      keyring // the node's docker config (WithNodeCredentials)
	providers []CredentialProvider
}

// credLookup computes a pod's credentials for one image at most once per
// EnsureImage, as the kubelet's lazy getPodCredentials does.
type credLookup struct {
	creds *credentials
	ps    *podState
	ref   *pullpolicy.ImageRef
	done  bool
	found []trackedCred
	err   error
}

func (l *credLookup) get() ([]trackedCred, error) {
	if !l.done {
		l.found, l.err = l.creds.podCredentials(l.ps, l.ref)
		l.done = true
	}
	return l.found, l.err
}

// podCredentials is the kubelet's keyring lookup for a pod's image: the
// pod's pull secrets first, then the node's docker config and credential
// providers. A pull secret that does not parse is an error, returned as it
// is; missing secrets are remembered for the FailedToRetrieveImagePullSecret
// event.
func (k *credentials) podCredentials(ps *podState, ref *pullpolicy.ImageRef) ([]trackedCred, error) {
	ps.resetMissingSecrets()
	var pod keyring
	for _, name := range ps.spec.ImagePullSecrets {
		if name == "" {
			continue
		}
		s, ok := k.cluster.pullSecret(ps.namespace(), name)
		if !ok {
			ps.addMissingSecret(name)
			continue
		}
		if s.err != nil {
			return nil, s.err
		}
		pod.add(s.auths, func(loc string, e dockerConfigEntry) trackedCred {
			return trackedCred{cred: registry.Credential{Username: e.Username, Password: e.Password}, source: fromSecret,
				uid: s.uid, namespace: s.namespace, name: s.name, hash: s.hashes[loc]}
		})
	}
	creds := pod.lookup(ref.Repository())

	// The node's docker config and the credential plugins are keyrings of
	// their own, looked up in that order, each with its own Docker Hub
	// fallback (UnionDockerKeyring).
	creds = append(creds, k.node.lookup(ref.Repository())...)
	var plugins keyring
	for _, p := range k.providers {
		c, ok := p.Credentials(ps.namespace(), ps.spec.ServiceAccountName)
		if !ok {
			continue
		}
		tc := trackedCred{cred: c, source: fromNode}
		if p.ServiceAccount {
			sa, _ := k.cluster.ServiceAccount(ps.namespace(), ps.spec.ServiceAccountName)
			tc = trackedCred{cred: c, source: fromServiceAccount, uid: sa.UID, namespace: sa.Namespace, name: sa.Name}
		}
		cfg := make(map[string]dockerConfigEntry, len(p.MatchImages))
		for _, m := range p.MatchImages {
			cfg[m] = dockerConfigEntry{Username: c.Username, Password: c.Password}
		}
		plugins.add(cfg, func(string, dockerConfigEntry) trackedCred { return tc })
	}
	return append(creds, plugins.lookup(ref.Repository())...), nil
}

// newNodeKeyring is the keyring of the node's own docker config, built once.
func newNodeKeyring(auths map[string]registry.Credential) keyring {
	var k keyring
	if len(auths) > 0 {
		k.add(toConfig(auths), func(_ string, e dockerConfigEntry) trackedCred {
			return trackedCred{cred: registry.Credential{Username: e.Username, Password: e.Password}, source: fromNode}
		})
	}
	return k
}

func toConfig(auths map[string]registry.Credential) map[string]dockerConfigEntry {
	cfg := make(map[string]dockerConfigEntry, len(auths))
	for k, c := range auths {
		cfg[k] = dockerConfigEntry{Username: c.Username, Password: c.Password}
	}
	return cfg
}
