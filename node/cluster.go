package node

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// Cluster is the API server's part of a simulation, shared by its nodes:
// secrets, service accounts, and the admission plugins that touch images
// (ServiceAccount's imagePullSecrets copy, AlwaysPullImages). Nodes made
// without [WithCluster] get a cluster of their own. A Cluster is safe for
// concurrent use, and its zero value is an empty cluster ready to use, as
// NewCluster returns.
type Cluster struct {
	mu               sync.Mutex
	secrets          map[string]Secret
	pullSecrets      map[string]*pullSecret // parsed docker configs, until the secret changes
	serviceAccounts  map[string]ServiceAccount
	defaultSAUIDs    map[string]string // namespace -> UID of its implicit "default" service account
	alwaysPullImages bool
	objects          int // objects created, for UIDs
}

// NewCluster returns a cluster with no secrets, no service accounts but the
// implicit "default" one of every namespace, and no optional admission
// plugin enabled.
func NewCluster() *Cluster {
	return &Cluster{secrets: make(map[string]Secret), pullSecrets: make(map[string]*pullSecret), serviceAccounts: make(map[string]ServiceAccount), defaultSAUIDs: make(map[string]string)}
}

// Secret types and data keys the kubelet reads pull credentials from.
const (
	SecretTypeDockerConfigJSON = "kubernetes.io/dockerconfigjson"
	SecretTypeDockercfg        = "kubernetes.io/dockercfg"
	DockerConfigJSONKey        = ".dockerconfigjson"
	DockerConfigKey            = ".dockercfg"
)

// Secret is a namespaced secret. Only the two docker config types carry
// pull credentials; the kubelet silently ignores other types.
type Secret struct {
	Namespace, Name string
	UID             string // set by the cluster
	Type            string
	Data            map[string][]byte
}

// DockerConfigSecret builds a kubernetes.io/dockerconfigjson secret whose
// auths map each registry key ("registry.example.com", "*.example.com",
// "https://index.docker.io/v1/", "localhost:5000/team") to a credential, as
// `kubectl create secret docker-registry` writes it.
func DockerConfigSecret(namespace, name string, auths map[string]registry.Credential) Secret {
	type entry struct {
		Username string `json:"username,omitempty"`
		Password string `json:"password,omitempty"`
		Auth     string `json:"auth,omitempty"`
	}
	cfg := struct {
		Auths map[string]entry `json:"auths"`
	}{Auths: make(map[string]entry, len(auths))}
	for k, c := range auths {
		e := entry{Username: c.Username, Password: c.Password}
		if c.Username != "" || c.Password != "" {
			e.Auth = base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Password))
		}
		cfg.Auths[k] = e
	}
	data, _ := json.Marshal(cfg) // maps of strings always marshal; keys come out sorted
	return Secret{Namespace: namespace, Name: name, Type: SecretTypeDockerConfigJSON, Data: map[string][]byte{DockerConfigJSONKey: data}}
}

// ServiceAccount is a namespaced service account. Its ImagePullSecrets are
// copied into pods that name it and list no secrets of their own, at
// creation only.
type ServiceAccount struct {
	Namespace, Name  string
	UID              string // set by the cluster
	ImagePullSecrets []string
}

// uuidOf returns a UUID-shaped string made of the SHA-256 of s: stable
// across runs, as simulated UIDs must be.
func uuidOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (c *Cluster) newUID(kind string) string {
	c.objects++
	return uuidOf(kind + "\x00" + strconv.Itoa(c.objects))
}

// CreateSecret stores s with a new UID and returns it. The namespace
// defaults to "default".
func (c *Cluster) CreateSecret(s Secret) (Secret, error) {
	return create(c, &c.secrets, "Secret", "secrets", &s.Namespace, s.Name, func(uid string) Secret {
		s.UID, s.Data = uid, cloneData(s.Data)
		return s
	})
}

// create stores a new object as the API server creates one: the namespace
// defaults to "default", the name is required and must be free in it, and
// the object gets a new UID. kind names the object in errors ("Secret"),
// resource is its plural ("secrets"); fill returns the object to store,
// with the UID set and nothing shared with the caller.
func create[T any](c *Cluster, objs *map[string]T, kind, resource string, namespace *string, name string, fill func(uid string) T) (T, error) {
	var zero T
	if *namespace == "" {
		*namespace = "default"
	}
	if errs := validateObjectMeta(*namespace, name); len(errs) > 0 {
		return zero, &apiError{ErrInvalid, fmt.Sprintf("%s %q is invalid: %v", kind, name, aggregate(errs))}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := podKey(*namespace, name)
	if _, ok := (*objs)[key]; ok {
		return zero, &apiError{ErrAlreadyExists, fmt.Sprintf("%s %q already exists", resource, name)}
	}
	obj := fill(c.newUID(strings.ToLower(kind)))
	if *objs == nil {
		*objs = make(map[string]T) // a zero Cluster
	}
	(*objs)[key] = obj
	return obj, nil
}

// UpdateSecret replaces the type and data of an existing secret, keeping its
// UID: how credentials are rotated.
func (c *Cluster) UpdateSecret(s Secret) (Secret, error) {
	if s.Namespace == "" {
		s.Namespace = "default"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := podKey(s.Namespace, s.Name)
	old, ok := c.secrets[key]
	if !ok {
		return Secret{}, &apiError{ErrNotFound, fmt.Sprintf("secrets %q not found", s.Name)}
	}
	s.UID = old.UID
	s.Data = cloneData(s.Data)
	c.secrets[key] = s
	delete(c.pullSecrets, key)
	return s, nil
}

// DeleteSecret removes a secret.
func (c *Cluster) DeleteSecret(namespace, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := podKey(namespace, name)
	if _, ok := c.secrets[key]; !ok {
		return &apiError{ErrNotFound, fmt.Sprintf("secrets %q not found", name)}
	}
	delete(c.secrets, key)
	delete(c.pullSecrets, key)
	return nil
}

// Secret returns a secret.
func (c *Cluster) Secret(namespace, name string) (Secret, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.secrets[podKey(namespace, name)]
	s.Data = cloneData(s.Data)
	return s, ok
}

// pullSecret is a secret as a pull secret: its docker config parsed once
// per version of the secret, for every node of the cluster.
type pullSecret struct {
	uid, namespace, name string
	auths                map[string]dockerConfigEntry // nil for a secret the kubelet ignores
	hashes               map[string]string            // KEP-2535 credential hash per location
	err                  error                        // the parse error, returned as it is
}

// pullSecret returns the named secret parsed as a pull secret; false when
// there is no such secret.
func (c *Cluster) pullSecret(namespace, name string) (*pullSecret, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := podKey(namespace, name)
	if ps, ok := c.pullSecrets[key]; ok {
		return ps, true
	}
	s, ok := c.secrets[key]
	if !ok {
		return nil, false
	}
	ps := &pullSecret{uid: s.UID, namespace: s.Namespace, name: s.Name}
	auths, ok, err := parseDockerConfig(s)
	switch {
	case err != nil:
		ps.err = err
	case ok:
		ps.auths = auths
		ps.hashes = make(map[string]string, len(auths))
		for loc, e := range auths {
			ps.hashes[loc] = credentialHash(e)
		}
	}
	if c.pullSecrets == nil {
		c.pullSecrets = make(map[string]*pullSecret) // a zero Cluster
	}
	c.pullSecrets[key] = ps
	return ps, true
}

func cloneData(d map[string][]byte) map[string][]byte {
	if d == nil {
		return nil
	}
	out := make(map[string][]byte, len(d))
	for k, v := range d {
		out[k] = slices.Clone(v)
	}
	return out
}

// CreateServiceAccount stores sa with a new UID. Every namespace has an
// implicit "default" service account with no pull secrets; creating one
// named "default" replaces it.
func (c *Cluster) CreateServiceAccount(sa ServiceAccount) (ServiceAccount, error) {
	return create(c, &c.serviceAccounts, "ServiceAccount", "serviceaccounts", &sa.Namespace, sa.Name, func(uid string) ServiceAccount {
		sa.UID, sa.ImagePullSecrets = uid, slices.Clone(sa.ImagePullSecrets)
		return sa
	})
}

// ServiceAccount returns a service account; the implicit "default" one of a
// namespace is returned with a UID derived from the namespace.
func (c *Cluster) ServiceAccount(namespace, name string) (ServiceAccount, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sa, ok := c.serviceAccountLocked(namespace, name)
	sa.ImagePullSecrets = slices.Clone(sa.ImagePullSecrets)
	return sa, ok
}

// serviceAccountLocked looks a service account up; its ImagePullSecrets
// are the cluster's own and must not be modified.
func (c *Cluster) serviceAccountLocked(namespace, name string) (ServiceAccount, bool) {
	if namespace == "" {
		namespace = "default"
	}
	if sa, ok := c.serviceAccounts[podKey(namespace, name)]; ok {
		return sa, true
	}
	if name != "default" {
		return ServiceAccount{}, false
	}
	uid, ok := c.defaultSAUIDs[namespace]
	if !ok {
		uid = uuidOf("default-serviceaccount\x00" + namespace)
		if c.defaultSAUIDs == nil {
			c.defaultSAUIDs = make(map[string]string) // a zero Cluster
		}
		c.defaultSAUIDs[namespace] = uid
	}
	return ServiceAccount{Namespace: namespace, Name: "default", UID: uid}, true
}

// SetAlwaysPullImages enables or disables the AlwaysPullImages admission
// plugin for pods created from now on.
func (c *Cluster) SetAlwaysPullImages(on bool) {
	c.mu.Lock()
	c.alwaysPullImages = on
	c.mu.Unlock()
}

// admit runs the mutating admission plugins on a pod being created, after
// defaulting: ServiceAccount (the service account must exist; its pull
// secrets are copied when the pod names none), then AlwaysPullImages.
func (c *Cluster) admit(p *Pod) (alwaysPullImages bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p.Spec.ServiceAccountName == "" {
		p.Spec.ServiceAccountName = "default"
	}
	sa, ok := c.serviceAccountLocked(p.Namespace, p.Spec.ServiceAccountName)
	if !ok {
		return false, &apiError{ErrForbidden, fmt.Sprintf("pods %q is forbidden: error looking up service account %s/%s: serviceaccount %q not found", resourceName(p.Name), p.Namespace, p.Spec.ServiceAccountName, p.Spec.ServiceAccountName)}
	}
	if len(p.Spec.ImagePullSecrets) == 0 && len(sa.ImagePullSecrets) > 0 {
		p.Spec.ImagePullSecrets = slices.Clone(sa.ImagePullSecrets)
	}
	if c.alwaysPullImages {
		AdmitAlwaysPullImages(p)
	}
	return c.alwaysPullImages, nil
}

// validateAdmission runs the validating admission plugins with the
// configuration admit saw: one request sees one configuration, so a plugin
// switched on meanwhile cannot refuse what it did not mutate.
func validateAdmission(p Pod, alwaysPullImages bool) error {
	if alwaysPullImages {
		return ValidateAlwaysPullImages(p)
	}
	return nil
}

// AdmitAlwaysPullImages is the mutating half of the AlwaysPullImages
// admission plugin: every init, regular and ephemeral container's policy,
// and every image volume's, becomes Always.
func AdmitAlwaysPullImages(p *Pod) {
	p.Spec = p.Spec.clone()
	for _, cs := range []*[]Container{&p.Spec.InitContainers, &p.Spec.Containers, &p.Spec.EphemeralContainers} {
		for i := range *cs {
			(*cs)[i].ImagePullPolicy = pullpolicy.PullAlways
		}
	}
	for _, v := range p.Spec.Volumes {
		if v.Image != nil {
			v.Image.PullPolicy = pullpolicy.PullAlways
		}
	}
}

// ValidateAlwaysPullImages is the validating half of the AlwaysPullImages
// admission plugin: any container or image volume whose policy is not
// Always is Forbidden.
func ValidateAlwaysPullImages(p Pod) error {
	var errs []string
	for _, f := range []struct {
		field string
		cs    []Container
	}{{"initContainers", p.Spec.InitContainers}, {"containers", p.Spec.Containers}, {"ephemeralContainers", p.Spec.EphemeralContainers}} {
		for i, c := range f.cs {
			if c.ImagePullPolicy != pullpolicy.PullAlways {
				errs = append(errs, fmt.Sprintf("spec.%s[%d].imagePullPolicy: Unsupported value: %q: supported values: %q", f.field, i, c.ImagePullPolicy, pullpolicy.PullAlways))
			}
		}
	}
	for i, v := range p.Spec.Volumes {
		if v.Image != nil && v.Image.PullPolicy != pullpolicy.PullAlways {
			errs = append(errs, fmt.Sprintf("spec.volumes[%d].image.pullPolicy: Unsupported value: %q: supported values: %q", i, v.Image.PullPolicy, pullpolicy.PullAlways))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	// One Forbidden error per container or volume, aggregated.
	for i, e := range errs {
		errs[i] = fmt.Sprintf("pods %q is forbidden: %s", resourceName(p.Name), e)
	}
	return &apiError{ErrForbidden, aggregate(errs).Error()}
}

// resourceName is how admission errors name an object: "Unknown" before it
// has a name (admission runs before validation).
func resourceName(name string) string {
	if name == "" {
		return "Unknown"
	}
	return name
}
