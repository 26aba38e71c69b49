package node

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/pullsim/pullsim/registry"
)

// This file is the kubelet's credential keyring (pkg/credentialprovider):
// docker config entries keyed by registry location, matched against the
// normalised repository of an image, each credential tagged with where it
// came from so that KEP-2535 can record who pulled.

// credSource says where a credential came from.
type credSource uint8

const (
	fromNode           credSource = iota // node docker config: no source
	fromSecret                           // a pod pull secret
	fromServiceAccount                   // a service-account credential provider
)

// trackedCred is a credential and its source (TrackedAuthConfig).
type trackedCred struct {
	cred   registry.Credential
	source credSource
	// Coordinates of the secret or service account.
	uid, namespace, name string
	hash                 string // secrets: the credential hash
}

// keyring maps docker config locations to credentials.
type keyring struct {
	index []string // locations, reverse-sorted so longer paths match first
	creds map[string][]trackedCred
}

// dockerConfigEntry is one auths entry as the kubelet reads it.
type dockerConfigEntry struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Email    string `json:"email"`
	Auth     string `json:"auth"`
}

// add files the entries of a docker config (location -> entry).
func (k *keyring) add(cfg map[string]dockerConfigEntry, source func(dockerConfigEntry) trackedCred) {
	if k.creds == nil {
		k.creds = make(map[string][]trackedCred)
	}
	locs := make([]string, 0, len(cfg))
	for loc := range cfg {
		locs = append(locs, loc)
	}
	sort.Strings(locs) // deterministic order within one config
	for _, loc := range locs {
		value := loc
		if !strings.HasPrefix(value, "https://") && !strings.HasPrefix(value, "http://") {
			value = "https://" + value
		}
		parsed, err := url.Parse(value)
		if err != nil {
			continue // the kubelet logs and ignores the entry
		}
		// The docker client treats /v1/ and /v2/ as the bare host.
		path := parsed.Path
		if strings.HasPrefix(path, "/v2/") || strings.HasPrefix(path, "/v1/") {
			path = path[3:]
		}
		key := parsed.Host
		if path != "" && path != "/" {
			key = parsed.Host + path
		}
		k.creds[key] = append(k.creds[key], source(cfg[loc]))
		if !slices.Contains(k.index, key) {
			k.index = append(k.index, key)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(k.index)))
}

// lookup returns the credentials for a normalised repository
// (docker.io/library/nginx), most specific location first.
func (k *keyring) lookup(repo string) []trackedCred {
	var out []trackedCred
	for _, key := range k.index {
		if urlsMatch(key, repo) {
			out = append(out, k.creds[key]...)
		}
	}
	if len(out) == 0 && isDefaultRegistryMatch(repo) {
		out = append(out, k.creds["index.docker.io"]...)
	}
	return out
}

// isDefaultRegistryMatch reports whether repo is pulled from Docker Hub.
func isDefaultRegistryMatch(repo string) bool {
	first, _, found := strings.Cut(repo, "/")
	if first == "" {
		return false
	}
	if !found || first == "docker.io" || first == "index.docker.io" {
		return true
	}
	return !strings.ContainsAny(first, ".:")
}

// urlsMatch matches a keyring location (a host glob, optionally with port
// and path) against a repository: same port, same number of host parts each
// matching its glob, and the location's path a prefix of the repository's.
func urlsMatch(glob, target string) bool {
	g, err := parseSchemeless(glob)
	if err != nil {
		return false
	}
	t, err := parseSchemeless(target)
	if err != nil {
		return false
	}
	gParts, gPort := splitHost(g.Host)
	tParts, tPort := splitHost(t.Host)
	if gPort != tPort || len(gParts) != len(tParts) || !strings.HasPrefix(t.Path, g.Path) {
		return false
	}
	for i, p := range gParts {
		if ok, err := filepath.Match(p, tParts[i]); err != nil || !ok {
			return false
		}
	}
	return true
}

func parseSchemeless(s string) (*url.URL, error) {
	u, err := url.Parse("https://" + s)
	if err != nil {
		return nil, err
	}
	return u, nil
}

func splitHost(host string) ([]string, string) {
	h, port, _ := strings.Cut(host, ":")
	return strings.Split(h, "."), port
}

// parseDockerConfig reads the auths of a pull secret. Bad JSON is an error
// the kubelet returns as it is.
func parseDockerConfig(s Secret) (map[string]dockerConfigEntry, bool, error) {
	var raw []byte
	switch s.Type {
	case SecretTypeDockerConfigJSON:
		raw = s.Data[DockerConfigJSONKey]
		if len(raw) == 0 {
			return nil, false, nil
		}
		var cfg struct {
			Auths map[string]dockerConfigEntry `json:"auths"`
		}
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return nil, false, err
		}
		return decodeAuths(cfg.Auths)
	case SecretTypeDockercfg:
		raw = s.Data[DockerConfigKey]
		if len(raw) == 0 {
			return nil, false, nil
		}
		var cfg map[string]dockerConfigEntry
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return nil, false, err
		}
		return decodeAuths(cfg)
	default:
		return nil, false, nil // other secret types are silently ignored
	}
}

var errAuthField = errors.New("unable to parse auth field, must be formatted as base64(username:password)")

// decodeAuths fills username and password from the auth field where set.
func decodeAuths(cfg map[string]dockerConfigEntry) (map[string]dockerConfigEntry, bool, error) {
	for k, e := range cfg {
		if e.Auth == "" {
			continue
		}
		// Padded base64 decodes with StdEncoding, unpadded with RawStdEncoding.
		enc := base64.RawStdEncoding
		if strings.HasSuffix(strings.TrimSpace(e.Auth), "=") {
			enc = base64.StdEncoding
		}
		dec, err := enc.DecodeString(e.Auth)
		if err != nil {
			return nil, false, err
		}
		user, pass, ok := strings.Cut(string(dec), ":")
		if !ok {
			return nil, false, errAuthField
		}
		e.Username, e.Password = user, pass
		cfg[k] = e
	}
	return cfg, true, nil
}

// credentialHash is KEP-2535's hash of a credential: SHA-256 of the JSON of
// its username and password (and e-mail, if any).
func credentialHash(e dockerConfigEntry) string {
	b, _ := json.Marshal(struct {
		Username string `json:"username,omitempty"`
		Password string `json:"password,omitempty"`
		Email    string `json:"email,omitempty"`
	}{e.Username, e.Password, e.Email})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
